#!/bin/sh
# Installs everything snapfreeze needs to build and to run its tests, from
# Debian's packages. Does nothing when all of it is there already. Run as
# root; otherwise prints the command to run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

packages="build-essential pkg-config kmod cpio xz-utils util-linux openssl
	e2fsprogs xfsprogs btrfs-progs busybox-static qemu-system-x86 qemu-utils dkms
	libnl-genl-3-dev libcjson-dev libcmocka-dev libcurl4-openssl-dev"

missing_packages() {
	for package in $packages $(headers); do
		dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$package"
	done
}

headers() {
	"$here/vm/kernels.sh" | sed 's/^/linux-headers-/'
}

if ! "$here/vm/kernels.sh" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	apt-get update -q
fi
missing=$(missing_packages)
[ -n "$missing" ] || exit 0

command="apt-get install -y --no-install-recommends $(echo $missing)"
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages; as root, run: apt-get update && $command" >&2
	exit 1
fi
echo "deps.sh: installing: $(echo $missing)"
export DEBIAN_FRONTEND=noninteractive
$command || { apt-get update -q && $command; }
