#!/bin/bash
# Usage: tests/dkms-range.sh
#
# The kernels dkms.conf accepts: BUILD_EXCLUSIVE_KERNEL must take Linux 6.1
# and every later release, 7.x and on included, and nothing older; and
# DKMS, asked to build for an older kernel, must refuse with a message
# that says why rather than skip it silently. Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
range=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$top/dkms.conf")
accepted="6.1.0-57-amd64 6.1.192 6.6.0 6.12.117+deb12-amd64 6.16.1 7.0.0 7.3.4+deb13-amd64 8.1.0 10.0.1 12.4.0-1-amd64"
refused="5.10.0-30-amd64 5.19.17 6.0.0-1-amd64 6.0.19 4.19.0-27-amd64 3.16.0"
number=0

tap() { # tap ok|"not ok" NAME
	number=$((number + 1))
	echo "$1 $number - $2"
}

for release in $accepted; do
	if [[ $release =~ $range ]]; then
		tap ok "dkms/accepts_$release"
	else
		tap "not ok" "dkms/accepts_$release (BUILD_EXCLUSIVE_KERNEL=\"$range\" refuses it)"
	fi
done
for release in $refused; do
	if [[ $release =~ $range ]]; then
		tap "not ok" "dkms/refuses_$release (BUILD_EXCLUSIVE_KERNEL=\"$range\" accepts it)"
	else
		tap ok "dkms/refuses_$release"
	fi
done

# DKMS itself, with the module's sources added as make dkms-source adds them.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
old=5.10.0-30-amd64
if ! make -C "$top" --no-print-directory dkms-source >"$log" 2>&1; then
	tap "not ok" "dkms/refuses_to_build_for_$old (make dkms-source failed)"
	sed 's/^/# /' "$log" | tail -n 10
else
	dkms build -k "$old" "snapfreeze/$version" >"$log" 2>&1
	status=$?
	if [ "$status" != 0 ] && grep -q "BUILD_EXCLUSIVE directive which does not match" "$log"; then
		tap ok "dkms/refuses_to_build_for_$old"
	else
		tap "not ok" "dkms/refuses_to_build_for_$old (exit status $status, no BUILD_EXCLUSIVE message)"
		sed 's/^/# /' "$log" | tail -n 10
	fi
fi
echo "1..$number"
