#!/bin/sh
# Usage: qemu.sh RELEASE KERNEL_ROOT INITRAMFS LOGS [QEMU_ARG...]
#
# Boots a test VM: the kernel RELEASE unpacked in KERNEL_ROOT, with
# INITRAMFS, panicking on any WARN or oops. The console goes to
# LOGS/console.log, the second serial port (the guest's TAP) to
# LOGS/tap.log, QEMU's own output to LOGS/qemu.log. QEMU_ARGs add disks and
# devices. Exits with QEMU's status, or 124 when the boot was killed after
# SNAPFREEZE_VM_BOOT_TIMEOUT seconds (default 900). SNAPFREEZE_VM_KVM=1
# boots with KVM instead of TCG.
release=$1 kroot=$2 initramfs=$3 logs=$4
shift 4
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/kenv.sh"
if [ "${SNAPFREEZE_VM_KVM:-0}" = 1 ]; then
	set -- -accel kvm -cpu host "$@"
else
	set -- -accel tcg -cpu max "$@"
fi
exec timeout -k 10 "${SNAPFREEZE_VM_BOOT_TIMEOUT:-900}" qemu-system-x86_64 \
	-nodefaults -no-user-config -display none -no-reboot -m 1024 -smp 2 \
	-kernel "$kroot/boot/vmlinuz-$release" -initrd "$initramfs" \
	-append "console=ttyS0 $kenv_kernel_args" \
	-serial "file:$logs/console.log" -serial "file:$logs/tap.log" \
	"$@" >"$logs/qemu.log" 2>&1
