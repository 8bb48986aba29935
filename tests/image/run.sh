#!/bin/bash
# Usage: tests/image/run.sh
#
# The package tests: the Debian packages installed, used, upgraded and
# purged on a Debian 12 image booted with systemd from its own disk
# (mkimage.sh). An overlay of the cached image goes through three boots,
# each running a job of jobs/ (sf-image-job in the image reports its checks
# on the second serial port):
#   install    apt installs the three packages of this tree; DKMS builds
#   use        systemd loaded the module; a snapshot from a systemd unit,
#              snapfreeze-hostd on this machine taking it (checked here
#              once the VM stopped: the images are clean and hold the
#              pre-script's marker); a newer kernel line (6.12) installed
#              with its headers (DKMS builds for it)
#   newkernel  booted into it by GRUB, the module loads and freezes; the
#              next version installed over the first (DKMS rebuilds for
#              both kernels); a version whose module does not compile fails
#              its install, DKMS's error shown; purge, with a session frozen
# Prints TAP; exits 1 if any test failed.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/vm/kenv.sh"
. "$here/lib.sh"
. "$top/tests/vm/e2e/fscheck.sh"
work=$kenv_cache/runs/image
version_1=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
next_version() { # next_version VERSION: the last number plus one
	echo "$1" | awk -F. -v OFS=. '{ $NF = $NF + 1; print }'
}
version_2=$(next_version "$version_1")
# A version whose module does not compile: DKMS's failure must reach apt.
version_broken=$(next_version "$version_2")
new_kernel_line=6.12
boots=(install use newkernel)
host_checks=4 # packages built, and the three checks of the snapshot
failed=0

tap() { # tap ok|"not ok" NAME
	echo "$1 - $2"
	[ "$1" = ok ] || failed=1
}

diag() { # diag FILE LINES: the end of FILE, as TAP comments
	[ -f "$1" ] && tail -n "$2" "$1" | sed 's/^/#   /'
}

# Each check of a job is one line "check NAME ...", and each boot adds a
# check of its kernel log.
planned=$host_checks
for boot in "${boots[@]}"; do
	planned=$((planned + 1 + $(grep -c '^check ' "$here/jobs/$boot.sh")))
done
echo "1..$planned"

if ! "$here/mkimage.sh" >&2; then
	echo "# the Debian 12 image could not be made: no test ran"
	exit 1
fi

rm -rf "$work"
mkdir -p "$work/job/debs" "$work/snapshots"
build_packages() {
	make -C "$top" --no-print-directory userland >"$work/build.log" 2>&1 &&
		image_packages "$version_1" "$work/job/debs/v1" >>"$work/build.log" 2>&1 &&
		image_packages "$version_2" "$work/job/debs/v2" >>"$work/build.log" 2>&1 &&
		build_broken_packages >>"$work/build.log" 2>&1 &&
		rm -rf "$work"/job/debs/broken/src "$work"/job/debs/broken/*dbgsym* "$work/broken-tree"
}

# build_broken_packages: from a copy of the tree whose module stops at an
# #error.
build_broken_packages() {
	mkdir -p "$work/broken-tree" &&
		tar -C "$top" --exclude-vcs --exclude=./build -cf - . | tar -C "$work/broken-tree" -xf - &&
		echo '#error "a module that does not compile"' >>"$work/broken-tree/kmod/main.c" &&
		DEB_BUILD_OPTIONS=nocheck "$work/broken-tree/debian/build-packages.sh" \
			"$version_broken" "$work/job/debs/broken"
}
if build_packages; then
	tap ok "packages/built_$version_1-$version_2-and-$version_broken"
else
	tap "not ok" "packages/built_$version_1-$version_2-and-$version_broken"
	diag "$work/build.log" 20
	exit 1
fi
cp "$here"/jobs/*.sh "$work/job/"
cat >"$work/job/env" <<EOF
version_1=$version_1
version_2=$version_2
version_broken=$version_broken
new_kernel_line=$new_kernel_line
EOF
qemu-img create -q -f qcow2 -b "$image_base" -F raw "$work/root.qcow2"
truncate -s 256M "$work/data.img"
mkfs.ext4 -q -F -L sfdata "$work/data.img"

# report BOOT: the job's TAP lines, then the check of the kernel log.
report() {
	local line reported=0
	while IFS= read -r line; do
		case "$line" in
		"ok - "* | "not ok - "*)
			echo "$line"
			reported=$((reported + 1))
			case "$line" in not*) failed=1 ;; esac
			;;
		"#"*) echo "$line" ;;
		esac
	done <"$work/$1/tap.log"
	grep -q '^# job done' "$work/$1/tap.log" ||
		{ echo "# boot $1: the job did not finish ($reported checks reported)"; diag "$work/$1/console.log" 30; }
	if grep -Eq 'WARNING: |BUG: |Oops|Kernel panic|Call Trace:' "$work/$1/console.log"; then
		tap "not ok" "$1/kernel_log_clean"
		grep -E -m 5 -A 5 'WARNING: |BUG: |Oops|Kernel panic' "$work/$1/console.log" | sed 's/^/#   /'
	else
		tap ok "$1/kernel_log_clean"
	fi
}

# boot BOOT [QEMU_ARG...]: boots the overlay with the data disk, running the
# job BOOT.
boot() {
	local name=$1 status
	shift
	mkdir -p "$work/$name"
	echo ". ./$name.sh" >"$work/job/job.sh"
	image_job_disk "$work/job" "$work/$name/job.img"
	image_boot "$work/root.qcow2" qcow2 "$work/$name/job.img" "$work/$name" \
		-drive "file=$work/data.img,if=virtio,format=raw,cache=unsafe" "$@"
	status=$?
	[ "$status" = 0 ] || echo "# boot $name: QEMU exited with status $status"
	report "$name"
}

# The snapshot's boot: snapfreeze-hostd serves the VM's org.snapfreeze.host
# port and takes one snapshot through QMP.
boot_with_hostd() {
	local sockets hostd
	sockets=$(mktemp -d /tmp/snapfreeze-image.XXXXXX)
	boot use -device virtio-serial-pci \
		-chardev "socket,id=host,path=$sockets/host.sock,server=on,wait=off" \
		-device virtserialport,chardev=host,name=org.snapfreeze.host \
		-qmp "unix:$sockets/qmp.sock,server=on,wait=off" &
	local vm=$!
	"$top/build/snapfreeze-hostd" --guest "$sockets/host.sock" --qmp "$sockets/qmp.sock" \
		--snapshot-dir "$work/snapshots" --log "$work/hostd.log" --once \
		--connect-timeout 60 &
	hostd=$!
	wait "$vm"
	# The VM closed the channel: hostd ends by itself.
	timeout 30 tail --pid="$hostd" -f /dev/null || kill "$hostd"
	wait "$hostd"
	rm -rf "$sockets"
}

# The images the snapshot left: the disks as they were when hostd took it
# (the overlays in snapshots/ hold what came after).
overlay_of() { # overlay_of IMAGE: the overlay whose backing file IMAGE is
	local overlay
	for overlay in "$work"/snapshots/*; do
		qemu-img info --output=json "$overlay" 2>/dev/null |
			grep -q "\"backing-filename\": \"$1\"" && echo "$overlay"
	done
}

check_snapshot() {
	local data root
	data=$(overlay_of "$work/data.img")
	root=$(overlay_of "$work/root.qcow2")
	if [ -n "$data" ] && [ -n "$root" ] && grep -q 'answered ok: snapshot' "$work/hostd.log"; then
		tap ok "snapshot/hostd_took_it"
	else
		tap "not ok" "snapshot/hostd_took_it (overlays: $(ls "$work/snapshots" | tr '\n' ' '))"
		diag "$work/hostd.log" 10
	fi
	if ext4_clean "$work/data.img" | sed 's/^/# /' && [ "${PIPESTATUS[0]}" = 0 ] &&
		debugfs -R 'cat /marker' "$work/data.img" 2>/dev/null | grep -q '^marker '; then
		tap ok "snapshot/data_image_clean_with_the_pre_script_marker"
	else
		tap "not ok" "snapshot/data_image_clean_with_the_pre_script_marker"
	fi
	qemu-img convert -O raw --image-opts \
		"driver=raw,offset=1048576,file.driver=qcow2,file.file.filename=$work/root.qcow2" \
		"$work/root-snapshot.img"
	if ext4_clean "$work/root-snapshot.img" | sed 's/^/# /' && [ "${PIPESTATUS[0]}" = 0 ]; then
		tap ok "snapshot/root_image_clean"
	else
		tap "not ok" "snapshot/root_image_clean"
	fi
	rm -f "$work/root-snapshot.img"
	# What came after the snapshot goes back into the disks the next boot uses.
	[ -z "$data" ] || qemu-img commit -q "$data"
	[ -z "$root" ] || qemu-img commit -q "$root"
	rm -f "$work"/snapshots/*
}

boot install
boot_with_hostd
check_snapshot
boot newkernel
exit "$failed"
