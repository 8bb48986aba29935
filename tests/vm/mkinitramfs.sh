#!/bin/bash
# Usage: mkinitramfs.sh RELEASE KERNEL_ROOT SNAPFREEZE_KO ENV_FILE OUTPUT
#
# Builds the test VM's initramfs (an uncompressed cpio): busybox, the kernel
# modules the tests need from the unpacked image KERNEL_ROOT, the snapfreeze
# module SNAPFREEZE_KO as DKMS built it, the snapfreeze binaries with their
# shared libraries, the guest runner and every test case. ENV_FILE becomes
# /tests/env.
set -euo pipefail
release=$1 kroot=$2 ko=$3 env_file=$4 output=$5
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel_modules="virtio_pci virtio_blk virtio_console ext4 xfs btrfs gfs2 loop dm_mod vsock_loopback ${SNAPFREEZE_VM_MODULES:-}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,dev,proc,sys,tmp,run,mnt,etc,tests/cases}

cp /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	>"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"

# Kernel modules in load order, decompressed: busybox insmod reads plain .ko.
for module in $kernel_modules; do
	modprobe -d "$kroot" -S "$release" --show-depends "$module"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
while read -r path; do
	rel=${path#"$kroot"}
	rel=${rel%.xz}
	mkdir -p "$stage$(dirname "$rel")"
	case "$path" in
	*.xz) xz -dc "$path" >"$stage$rel" ;;
	*) cp "$path" "$stage$rel" ;;
	esac
	echo "$rel" >>"$stage/etc/modules.load"
done

mkdir -p "$stage/lib/modules/$release/updates/dkms"
cp "$ko" "$stage/lib/modules/$release/updates/dkms/"

# A dynamically linked program and the libraries it loads, at their paths.
copy_program() {
	local program=$1 dest=$2 lib
	cp "$program" "$stage$dest"
	for lib in $(ldd "$program" | grep -o '/[^ ]*'); do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
copy_program "$top/build/snapfreeze" /usr/bin/snapfreeze
copy_program "$(command -v setpriv)" /usr/bin/setpriv
copy_program "$top/build/tests/badmsg" /usr/bin/badmsg
copy_program "$top/build/tests/freezebench" /usr/bin/freezebench
copy_program "$top/build/tests/stallwrite" /usr/bin/stallwrite
copy_program "$top/build/tests/fakehost" /usr/bin/fakehost
copy_program "$(command -v fsfreeze)" /usr/bin/fsfreeze
# Stacked storage: partitions, device-mapper, btrfs on loop devices; and
# gfs2, which freezes itself.
copy_program "$(command -v sfdisk)" /usr/bin/sfdisk
copy_program "$(command -v dmsetup)" /usr/bin/dmsetup
copy_program "$(command -v mkfs.btrfs)" /usr/bin/mkfs.btrfs
# The benchmark's loop filesystems: busybox's mke2fs makes no journal. (As
# mkfs.ext4, not mke2fs: the cases' mke2fs stays busybox's.)
copy_program "$(command -v mkfs.ext4)" /usr/bin/mkfs.ext4
copy_program "$(command -v mkfs.gfs2)" /usr/bin/mkfs.gfs2

cp "$here/guest/init" "$stage/init"
cp "$here/guest/runner.sh" "$here/guest/lib.sh" "$stage/tests/"
cp "$env_file" "$stage/tests/env"
cp "$here"/cases/*.sh "$here"/demo/*.sh "$here"/bench/*.sh "$here"/e2e/*.sh \
	"$here"/libvirt/guest/*.sh "$here"/azure/handler.sh \
	"$here"/bench/trace.awk "$here"/bench/block.awk "$stage/tests/cases/"
if [ -n "${SNAPFREEZE_VM_FILES:-}" ]; then
	cp -r "$SNAPFREEZE_VM_FILES" "$stage/tests/files"
fi
"$here/list-cases.sh" >"$stage/tests/cases.list"

(cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet) >"$output"
