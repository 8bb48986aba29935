#!/bin/sh
# Usage: fetch-kernel.sh RELEASE DIR
#
# Unpacks Debian's kernel RELEASE into DIR/root without installing it
# anywhere, with the apt of the root that has its headers (kenv.sh), and
# lays it out as the harness reads it: DIR/root/boot/vmlinuz-RELEASE and
# DIR/root/lib/modules/RELEASE with its depmod tables. Debian packages a
# kernel in one of two ways: up to 6.x, linux-image-RELEASE-unsigned
# (/boot/vmlinuz-RELEASE, /lib/modules); from 7.x, linux-binary-unsigned-
# RELEASE (the image at /usr/lib/modules/RELEASE/vmlinuz.unsigned),
# linux-modules-RELEASE (.ko.xz under /usr/lib/modules) and linux-base-
# RELEASE (modules.builtin and modules.order). A finished DIR is reused.
set -eu
release=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"

[ -f "$dir/complete" ] && exit 0
rm -rf "$dir"
mkdir -p "$dir/deb"
dir=$(cd "$dir" && pwd)

download() { # download PACKAGE...: into DIR/deb
	kenv_run "$release" sh -c 'cd "$1" && shift && apt-get download -q "$@"' \
		download "$dir/deb" "$@" 2>&1 | grep -v 'Download is performed unsandboxed' >&2
	[ -n "$(ls "$dir/deb")" ]
}

download "linux-image-$release-unsigned" ||
	download "linux-binary-unsigned-$release" "linux-modules-$release" "linux-base-$release" || {
	echo "fetch-kernel.sh: neither linux-image-$release-unsigned nor linux-binary-unsigned-$release could be downloaded" >&2
	exit 1
}
for deb in "$dir"/deb/*.deb; do
	dpkg-deb -x "$deb" "$dir/root"
done
rm -rf "$dir/deb"

# The 7.x layout, merged under /usr: seen at the paths of the older one.
if [ ! -e "$dir/root/lib" ] && [ -d "$dir/root/usr/lib/modules/$release" ]; then
	ln -s usr/lib "$dir/root/lib"
fi
if [ ! -e "$dir/root/boot/vmlinuz-$release" ] &&
	[ -f "$dir/root/lib/modules/$release/vmlinuz.unsigned" ]; then
	mkdir -p "$dir/root/boot"
	ln -s "../lib/modules/$release/vmlinuz.unsigned" "$dir/root/boot/vmlinuz-$release"
fi
[ -f "$dir/root/boot/vmlinuz-$release" ] || {
	echo "fetch-kernel.sh: no kernel image for $release in the packages" >&2
	exit 1
}
depmod -b "$dir/root" "$release"
touch "$dir/complete"
