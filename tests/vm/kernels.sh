#!/bin/sh
# Prints the releases of the kernels the VM tests boot, one per line.
#
# SNAPFREEZE_KERNELS="REL..." chooses them; by default, the newest of Debian
# 12's 6.1 line and the newest of its 6.12 line that apt knows of.
set -eu

if [ -n "${SNAPFREEZE_KERNELS:-}" ]; then
	printf '%s\n' $SNAPFREEZE_KERNELS
	exit 0
fi

status=0
for line in '6\.1\.0-[0-9]+' '6\.12\.[0-9]+\+deb12'; do
	release=$(apt-cache search --names-only "^linux-headers-$line-amd64\$" 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | sort -V | tail -n 1)
	if [ -z "$release" ]; then
		echo "kernels.sh: apt knows no kernel headers matching $line (run apt-get update)" >&2
		status=1
	fi
	echo "$release"
done
exit $status
