#!/bin/bash
# Usage: tests/packages.sh
#
# The Debian packages as make deb builds them: lintian finds no error or
# warning, and each package holds what it must. (Installing and using them
# is tests/image/run.sh's.) Prints TAP; exits 1 if any test failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$top/build/deb
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
echo "1..6"

check() { # check NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "ok - deb/$name"
	else
		echo "not ok - deb/$name"
		tail -n 20 "$log" | sed 's/^/#   /'
		failed=1
	fi
}

lintian_clean() {
	lintian --info --pedantic "$out/snapfreeze_${version}_amd64.changes" 2>&1 |
		grep -v '^running with root privileges' | tee "$out/lintian.log"
	! grep -q '^[EW]: ' "$out/lintian.log"
}

contents() { # contents PACKAGE PATH...: the package holds each PATH
	local listing path
	listing=$(dpkg-deb -c "$out/$1") || return 1
	shift
	for path in "$@"; do
		grep -q " \./$path\$" <<<"$listing" || { echo "missing: $path"; return 1; }
	done
}

conffiles() {
	dpkg-deb -e "$out/snapfreeze_${version}_amd64.deb" "$out/control.snapfreeze"
	cat "$out/control.snapfreeze/conffiles"
	[ "$(cat "$out/control.snapfreeze/conffiles")" = /etc/snapfreeze/snapfreeze.json ]
}

bad_version_refused() {
	local message
	message=$("$top/debian/build-packages.sh" v1 "$out/bad" 2>&1)
	[ $? = 2 ] && echo "$message" && [[ "$message" == *"'v1': not a version"* ]] &&
		[ ! -e "$out/bad" ]
}

check builds make -C "$top" --no-print-directory deb
check lintian_finds_no_error_or_warning lintian_clean
check dkms_package_holds_the_module_sources contents "snapfreeze-dkms_${version}_all.deb" \
	"usr/src/snapfreeze-$version/dkms.conf" "usr/src/snapfreeze-$version/Kbuild" \
	"usr/src/snapfreeze-$version/Makefile" "usr/src/snapfreeze-$version/kmod/main.c" \
	"usr/src/snapfreeze-$version/kmod/compat/probe.sh"
check snapfreeze_package_holds_its_files contents "snapfreeze_${version}_amd64.deb" \
	usr/sbin/snapfreeze usr/share/man/man8/snapfreeze.8.gz etc/snapfreeze/snapfreeze.json \
	usr/lib/modules-load.d/snapfreeze.conf usr/lib/tmpfiles.d/snapfreeze.conf
check the_configuration_is_the_only_conffile conffiles
check a_version_that_is_not_one_is_refused bad_version_refused
exit "$failed"
