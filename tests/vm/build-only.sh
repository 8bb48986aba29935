#!/bin/bash
# Usage: tests/vm/build-only.sh
#
# Builds the module with DKMS, as a user's DKMS would (W=1, warnings as
# errors), for each kernel of "kernels.sh --build-only": kernels that
# dkms.conf accepts and users run, but that the VM tests do not boot. Checks
# what the compat probes found there. Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"
. "$here/dkms.sh"
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
number=0

tap() { # tap ok|"not ok" NAME
	number=$((number + 1))
	echo "$1 $number - $2"
}

kernels=$("$here/kernels.sh" --build-only) || exit 1
for release in $kernels; do
	work=$kenv_cache/builds/$release
	rm -rf "$work"
	mkdir -p "$work"
	if dkms_build "$release" "$work" >/dev/null; then
		tap ok "$release host/dkms_build"
		check_probes "$release" "$work"
	else
		tap "not ok" "$release host/dkms_build"
		grep -E 'error|Error' "$work/dkms.log" | head -n 10 | sed 's/^/# /'
	fi
done
echo "1..$number"
