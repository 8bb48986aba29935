# Sourced by the package tests (POSIX sh, after kenv.sh): where the Debian 12
# image is, how a job disk is made and how the image boots.
#
# SNAPFREEZE_IMAGE_BOOT_TIMEOUT  seconds one boot of the image may take
#                                (default 1800: apt and DKMS under TCG)

image_cache=$kenv_cache/images
# As every test boot (kenv.sh): a WARN or an oops fails the run. GRUB's
# command line in the image.
image_kernel_args=$kenv_kernel_args
# Named by its recipe, so that a changed recipe makes a new image.
image_recipe=$({
	cat "$kenv_top/tests/image/mkimage.sh" "$kenv_top"/tests/image/guest/*
	echo "$image_kernel_args"
} | sha256sum | cut -c1-12)
image_base=$image_cache/bookworm-$image_recipe.img
image_size_mib=4096

# image_job_disk DIR IMAGE: a small ext4 disk labelled SFJOB holding DIR
# and jobs/run-job.sh, which the image's sf-image-job runs (and which runs
# DIR's job.sh).
image_job_disk() {
	cp "$kenv_top/tests/image/jobs/run-job.sh" "$1/"
	rm -f "$2"
	truncate -s "$(( $(du -sm "$1" | cut -f1) + 32 ))M" "$2"
	mkfs.ext4 -q -F -L SFJOB -d "$1" "$2"
}

# image_boot DISK FORMAT JOB_DISK LOGS [QEMU_ARG...]: boots DISK (the image,
# or an overlay of it) with the job disk and QEMU's user network, until the
# guest powers off. The disk ignores the guest's flushes (cache=unsafe:
# dpkg's many fsyncs are what makes a package install slow under TCG); what
# the guest wrote is in the file once QEMU exited, or once a snapshot
# drained the disk. The console goes to LOGS/console.log, the job's TAP
# (the second serial port) to LOGS/tap.log. Exits with QEMU's status, 124
# when the boot was killed after SNAPFREEZE_IMAGE_BOOT_TIMEOUT seconds.
image_boot() {
	image_boot_disk=$1 image_boot_format=$2 image_boot_job=$3 image_boot_logs=$4
	shift 4
	rm -f "$image_boot_logs/console.log" "$image_boot_logs/tap.log"
	timeout -k 10 "${SNAPFREEZE_IMAGE_BOOT_TIMEOUT:-1800}" qemu-system-x86_64 \
		-nodefaults -no-user-config -display none -no-reboot \
		-accel tcg -cpu max -m 2048 -smp 2 \
		-drive "file=$image_boot_disk,if=virtio,format=$image_boot_format,cache=unsafe" \
		-drive "file=$image_boot_job,if=virtio,format=raw" \
		-netdev user,id=net -device virtio-net-pci,netdev=net \
		-serial "file:$image_boot_logs/console.log" \
		-serial "file:$image_boot_logs/tap.log" \
		"$@" >"$image_boot_logs/qemu.log" 2>&1
}

# image_packages VERSION DIR: the three Debian packages of this tree, as
# version VERSION, in DIR (without their sources and debug symbols, which
# the image needs not).
image_packages() {
	DEB_BUILD_OPTIONS=nocheck "$kenv_top/debian/build-packages.sh" "$1" "$2" &&
		rm -rf "$2/src" "$2"/*dbgsym*
}
