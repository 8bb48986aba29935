#!/bin/sh
# Usage: fetch-kernel.sh RELEASE DIR
#
# Unpacks Debian's linux-image-RELEASE-unsigned into DIR/root (boot/vmlinuz
# and lib/modules with its depmod tables) without installing it anywhere;
# a finished DIR is reused.
set -eu
release=$1
dir=$2

[ -f "$dir/complete" ] && exit 0
rm -rf "$dir"
mkdir -p "$dir/deb"
(cd "$dir/deb" && apt-get download -q "linux-image-$release-unsigned" 2>&1 |
	grep -v 'Download is performed unsandboxed' >&2 || true)
deb=$(ls "$dir"/deb/*.deb 2>/dev/null) || {
	echo "fetch-kernel.sh: apt-get download linux-image-$release-unsigned failed" >&2
	exit 1
}
dpkg-deb -x "$deb" "$dir/root"
rm -rf "$dir/deb"
depmod -b "$dir/root" "$release"
touch "$dir/complete"
