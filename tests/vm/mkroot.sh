#!/bin/sh
# Usage: mkroot.sh [PACKAGE...]
#
# Makes, once, the Debian 13 (trixie) root in which the newest kernels'
# modules are built (see kenv.sh): debootstrap's minimal base with
# trixie-backports, the compiler, DKMS and what it signs with. Then
# installs each PACKAGE (kernel headers) that is not installed there yet.
# A root that was not finished is made again. Needs root and Debian's
# archive (kenv_mirror).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"
root=$kenv_newer_root
base_packages="build-essential dkms kmod openssl xz-utils"

in_root() {
	DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"
}

make_root() {
	archive=$(kenv_mirror)
	echo "mkroot.sh: making the Debian 13 root $root from $archive (once; about a minute)"
	rm -rf "$root.new"
	mkdir -p "$(dirname "$root")"
	debootstrap --variant=minbase trixie "$root.new" "$archive" >"$root.log" 2>&1 || {
		tail -n 20 "$root.log" >&2
		echo "mkroot.sh: debootstrap trixie failed (its log: $root.log)" >&2
		exit 1
	}
	cat >"$root.new/etc/apt/sources.list" <<-EOF
	deb $archive trixie main
	deb $archive trixie-updates main
	deb $archive trixie-backports main
	EOF
	rm -f "$root.new/etc/apt/sources.list.d/debian.sources"
	root=$root.new
	in_root apt-get update -q >>"$root.log" 2>&1 &&
		in_root apt-get install -y -q --no-install-recommends $base_packages \
			>>"$root.log" 2>&1 || {
		tail -n 20 "$root.log" >&2
		echo "mkroot.sh: installing $base_packages in the root failed" >&2
		exit 1
	}
	root=$kenv_newer_root
	rm -rf "$root"
	mv "$root.new" "$root"
}

as_root() { # as_root WHAT: fails unless run as root
	[ "$(id -u)" = 0 ] && return
	echo "mkroot.sh: $1 needs root" >&2
	exit 1
}

[ -d "$root" ] || { as_root "making the Debian 13 root $root"; make_root; }
# Backports keep only their newest kernel: lists a day old may name one
# that is gone.
if [ "$(id -u)" = 0 ] &&
	[ -z "$(find "$root/var/lib/apt/lists" -maxdepth 1 -name '*_Release' -mmin -1440)" ]; then
	in_root apt-get update -q >>"$root.log" 2>&1 ||
		echo "mkroot.sh: apt-get update in $root failed; using its older lists" >&2
fi

missing=
for package in "$@"; do
	chroot "$root" dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null |
		grep -q '^install ok installed$' || missing="$missing $package"
done
[ -n "$missing" ] || exit 0
as_root "installing$missing in $root"
kenv_forget_module "$root"
echo "mkroot.sh: installing in the Debian 13 root:$missing"
in_root apt-get install -y -q --no-install-recommends $missing >>"$root.log" 2>&1 || {
	tail -n 20 "$root.log" >&2
	echo "mkroot.sh: installing$missing in $root failed (its log: $root.log)" >&2
	exit 1
}
