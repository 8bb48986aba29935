#!/bin/bash
# Usage: images.sh RELEASE WORK KERNEL_ROOT
#
# make demo's host side, once the VM stopped: what snapfreeze-hostd did,
# the images it made, and the snapshot checked as the end-to-end tests
# check theirs (e2e/snapshots.sh): each point-in-time image without
# mounting it or replaying anything, then the records the application finds
# on the three disks, read back in a second boot: exactly those up to the
# pre-script's marker. Prints "1..N" and a line per check; exits 1 if any
# failed.
set -uo pipefail
release=$1 work=$2 kroot=$3
here=$(cd "$(dirname "$0")" && pwd)
out=$work/verify
topic=demo
. "$here/../e2e/snapshots.sh"
checks=(snapshot_images readback_boot "${consistent_checks[@]}")

rm -rf "$out"
mkdir -p "$out"
echo "1..${#checks[@]}"
echo "# On the host, snapfreeze-hostd's log:"
sed 's/^/#   /' "$work/host-agent.log"
read -r _ id _ marker < <(noted | grep '^demo ')
if [ -z "${id:-}" ]; then
	not_checked "no snapshot was taken" "${checks[@]}"
elif ! check snapshot_images copy_images "$work" demo "$id"; then
	not_checked "no images" "${checks[@]:1}"
else
	read_back demo
	consistent_snapshot "" demo "$marker"
fi
[ "$failures" = 0 ]
