#!/bin/sh
# Usage: debian/build-packages.sh [VERSION [OUT]]   (make deb [DEB_VERSION=...])
#
# Builds the Debian packages from a copy of this tree in OUT/src (build
# output and the version control folder left out), with the version
# dkms.conf gives, or VERSION written into the copy's dkms.conf, and
# debian/changelog made from it. The .deb files land in OUT (default:
# build/deb).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")}
out=${2:-$top/build/deb}
case "$version" in
[0-9]*) ;;
*) echo "build-packages.sh: '$version': not a version (it must start with a digit)" >&2; exit 2 ;;
esac
for tool in dpkg-buildpackage dh dh_dkms; do
	command -v "$tool" >/dev/null || {
		echo "build-packages.sh: '$tool' not found: run 'make deps'" >&2
		exit 1
	}
done

src=$out/src/snapfreeze-$version
rm -rf "$out"
mkdir -p "$src"
tar -C "$top" --exclude-vcs --exclude=./build --exclude=./kmod/compat/generated \
	--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' -cf - . | tar -C "$src" -xf -
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$version\"/" "$src/dkms.conf"

# The changelog's date is the last commit's, so that a build is reproducible.
date=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
maintainer=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
cat >"$src/debian/changelog" <<END
snapfreeze ($version) unstable; urgency=medium

  * snapfreeze $version.

 -- $maintainer  $date
END

(cd "$src" && dpkg-buildpackage --build=binary --no-sign) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-packages.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
ls "$out"/*.deb
