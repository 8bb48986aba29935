#!/bin/bash
# Usage: images.sh RELEASE WORK KERNEL_ROOT
#
# make demo's host side, once the VM stopped: what snapfreeze-hostd did,
# the images it made, and each image that holds the snapshot checked
# without mounting it or replaying anything (e2e/fscheck.sh).
set -uo pipefail
work=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/fscheck.sh"
filesystems=(ext4 xfs btrfs)

id=$(tr -d '\r' <"$work/tap.log" | sed -n 's/^# e2e-snapshot demo \([^ ]*\) .*/\1/p')
[ -n "$id" ] || { echo "not ok - demo/snapshot_images (no snapshot was taken)"; exit 0; }
echo "# On the host, snapfreeze-hostd's log:"
sed 's/^/#   /' "$work/host-agent.log"
for i in 0 1 2; do
	fs=${filesystems[i]}
	overlay=$work/virtio$i-$id.qcow2
	image=$(qemu-img info "$overlay" 2>/dev/null | sed -n 's/^backing file: //p')
	if [ -z "$image" ]; then
		echo "not ok - demo/${fs}_snapshot_clean (no overlay $overlay)"
		continue
	fi
	echo "# virtio$i ($fs): $image holds the snapshot ($(du -h "$image" | cut -f1) used);"
	echo "#   the VM's writes since went to $overlay"
	if output=$("${fs}_clean" "$image" 2>&1); then
		echo "ok - demo/${fs}_snapshot_clean"
	else
		echo "not ok - demo/${fs}_snapshot_clean"
	fi
	printf '%s\n' "$output" | sed 's/^/#   /'
done
