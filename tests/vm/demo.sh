#!/bin/sh
# make demo: builds the module with DKMS for the newest test kernel, boots
# that kernel in QEMU, loads the module and freezes three filesystems
# (ext4, xfs, btrfs) as one session.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kernel=$("$here/kernels.sh" | tail -n 1)
echo "snapfreeze demo: booting $kernel under QEMU (about a minute)"
SNAPFREEZE_KERNELS=$kernel SNAPFREEZE_VM_CASES="$here/demo/*.sh" \
	SNAPFREEZE_VM_VERBOSE=1 exec "$here/run.sh"
