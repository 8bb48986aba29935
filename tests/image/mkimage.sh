#!/bin/sh
# Usage: mkimage.sh
#
# Makes, once, the Debian 12 disk image the package tests boot
# (CACHE/images/bookworm-RECIPE.img, raw, 4 GiB sparse; RECIPE: a hash of
# this script, guest/ and the kernel command line, so that changing them
# makes a new image): debootstrap's minimal base
# with systemd as init, Debian 12's kernel (the 6.1 line) and its headers,
# GRUB on the disk's MBR, systemd-networkd (DHCP on QEMU's user network),
# the archive of this machine's apt, and the test runner of guest/ (a unit
# that runs the job of a disk labelled SFJOB, then powers off). Its first
# boot, from QEMU's -kernel with the image's own kernel and initrd, installs
# GRUB; every later boot is from the disk. An image that was not finished
# is made again. Needs root and Debian's archive.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/vm/kenv.sh"
. "$here/lib.sh"
image=$image_base
[ ! -f "$image" ] || exit 0
[ "$(id -u)" = 0 ] || { echo "mkimage.sh: making $image needs root" >&2; exit 1; }

work=$image.new
root=$work/root
log=$image_cache/bookworm-$image_recipe.log
archive=$(kenv_mirror)
security=$(kenv_mirror security)
packages="linux-image-amd64 linux-headers-amd64 initramfs-tools e2fsprogs"

step() { # step WHAT COMMAND...: runs COMMAND, its output in the log
	step_what=$1
	shift
	echo "== $step_what" >>"$log"
	"$@" >>"$log" 2>&1 && return
	tail -n 20 "$log" >&2
	echo "mkimage.sh: $step_what failed (the log: $log)" >&2
	exit 1
}

in_root() {
	DEBIAN_FRONTEND=noninteractive kenv_chroot "$root" "" "$@"
}

configure() {
	cat >"$root/etc/apt/sources.list" <<-EOF
	deb $archive bookworm main
	deb $archive bookworm-updates main
	deb $security bookworm-security main
	EOF
	rm -f "$root/etc/apt/sources.list.d/debian.sources"
	echo "/dev/vda1 / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
	echo sfimage >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 sfimage\n' >"$root/etc/hosts"
	# QEMU's user network: DHCP, and its DNS forwarder.
	printf '[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\n' \
		>"$root/etc/systemd/network/80-qemu-user.network"
	echo "nameserver 10.0.2.3" >"$root/etc/resolv.conf"
	cat >"$root/etc/default/grub" <<-EOF
	GRUB_DEFAULT=0
	GRUB_TIMEOUT=0
	GRUB_DISTRIBUTOR=Debian
	GRUB_CMDLINE_LINUX_DEFAULT=""
	GRUB_CMDLINE_LINUX="console=ttyS0 $image_kernel_args"
	GRUB_TERMINAL=console
	GRUB_DISABLE_OS_PROBER=true
	EOF
	install -m 0755 "$here/guest/sf-image-job" "$root/usr/local/sbin/sf-image-job"
	install -m 0644 "$here/guest/sf-image-job.service" \
		"$root/etc/systemd/system/sf-image-job.service"
	in_root systemctl enable systemd-networkd sf-image-job.service
}

# make_disk: the root filesystem at 1 MiB into a partitioned raw disk,
# made from the folder without mounting anything.
make_disk() {
	rm -f "$work/disk.img"
	truncate -s "${image_size_mib}M" "$work/disk.img"
	echo 'start=2048, type=83, bootable' | sfdisk -q "$work/disk.img"
	mkfs.ext4 -q -F -L sfroot -d "$root" -E offset=1048576 "$work/disk.img" \
		"$((image_size_mib - 1))M"
}

# first_boot: boots the image's own kernel and initrd, whose job installs
# GRUB there, on the disk it boots from: never in a chroot on this machine,
# where GRUB's scripts would see this machine's disks.
first_boot() {
	mkdir -p "$work/job"
	cat >"$work/job/job.sh" <<-'EOF'
	# As cloud images do, an initrd with the modules this VM needs, not all
	# (a new kernel's initrd is made in seconds, not minutes, under TCG).
	echo MODULES=dep >/etc/initramfs-tools/conf.d/modules-dep
	install_grub() {
		echo "grub-pc grub-pc/install_devices multiselect /dev/vda" | debconf-set-selections &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends grub-pc &&
			grub-install /dev/vda && update-grub && apt-get clean
	}
	check image/grub_installed install_grub
	EOF
	image_job_disk "$work/job" "$work/job.img"
	kernel=$(ls "$root"/boot/vmlinuz-* | tail -n 1)
	initrd=$(ls "$root"/boot/initrd.img-* | tail -n 1)
	image_boot "$work/disk.img" raw "$work/job.img" "$work" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "root=/dev/vda1 ro console=ttyS0 $image_kernel_args"
	grep -q '^ok - image/grub_installed' "$work/tap.log"
}

echo "mkimage.sh: making the Debian 12 image $image (once; about 5 minutes)"
mkdir -p "$image_cache"
rm -rf "$image_cache"/bookworm-* # older recipes' images
mkdir -p "$work"
step "debootstrap bookworm" debootstrap --variant=minbase \
	--include=systemd-sysv,udev,dbus,kmod,apt,ca-certificates,procps,iproute2 \
	bookworm "$root" "$archive"
step "configuring the system" configure
step "apt-get update" in_root apt-get update -q
step "installing $packages" in_root apt-get install -y -q --no-install-recommends $packages
in_root apt-get clean
step "making the disk" make_disk
step "the first boot (GRUB)" first_boot
mv "$work/disk.img" "$image"
rm -rf "$work"
echo "mkimage.sh: made $image"
