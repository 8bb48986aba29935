#!/bin/sh
# make demo: builds the module with DKMS for the newest test kernel, boots
# that kernel in QEMU with snapfreeze-hostd on the host, takes one
# application-consistent snapshot of three disks (ext4, xfs, btrfs) while
# an application writes to them, and checks the snapshot's images on the
# host.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kernel=$("$here/kernels.sh" | tail -n 1)
echo "snapfreeze demo: booting $kernel under QEMU, snapfreeze-hostd on the host (about a minute)"
SNAPFREEZE_KERNELS=$kernel SNAPFREEZE_VM_CASES="$here/demo/demo.sh" \
	SNAPFREEZE_VM_HOST_AGENT="$here/demo/hostd.sh" \
	SNAPFREEZE_VM_HOST_CHECKS="$here/demo/images.sh" \
	SNAPFREEZE_VM_VERBOSE=1 exec "$here/run.sh"
