#!/bin/sh
# Usage: kernels.sh [--where] | --build-only
#
# Prints the releases of the kernels the VM tests boot, one per line, oldest
# line first: the newest of Debian 12's 6.1 line and of its 6.12 line that
# this machine's apt knows, then the newest kernel of Debian 13 and its
# backports that the Debian 13 root's apt knows (mkroot.sh, see kenv.sh).
# With --where, each release is followed by where its headers come from:
# "host" (this machine's apt) or "root" (the Debian 13 root's).
#
# SNAPFREEZE_KERNELS="REL..." chooses the releases instead; each is looked
# for on this machine first (its headers installed, as the debug kernel's
# are, or known to apt), then in the root's apt.
#
# --build-only prints the kernels the module is built for but not booted
# (their headers come from this machine's apt): by default the oldest of
# Debian 12's 6.1 line that apt knows, the oldest API dkms.conf accepts
# that a user may still run; SNAPFREEZE_BUILD_KERNELS="REL..." chooses.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"
where=${1:-}
status=0

# newest APT_CACHE... PATTERN: the newest release of linux-headers-PATTERN-amd64
newest() {
	pattern=$1
	shift
	"$@" apt-cache search --names-only "^linux-headers-$pattern-amd64\$" 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | sort -V | tail -n 1
}

root_apt() {
	if [ ! -d "$kenv_newer_root" ]; then
		echo "kernels.sh: no Debian 13 root at $kenv_newer_root for the newest kernels (run 'make deps')" >&2
		return 1
	fi
	chroot "$kenv_newer_root" "$@"
}

say() { # say RELEASE host|root
	if [ "$where" = --where ]; then echo "$1 $2"; else echo "$1"; fi
}

if [ "$where" = --build-only ]; then
	if [ -n "${SNAPFREEZE_BUILD_KERNELS+set}" ]; then
		[ -z "$SNAPFREEZE_BUILD_KERNELS" ] || printf '%s\n' $SNAPFREEZE_BUILD_KERNELS
		exit 0
	fi
	release=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | sort -V | head -n 1)
	[ -n "$release" ] || {
		echo "kernels.sh: apt knows no kernel headers of the 6.1 line (run apt-get update)" >&2
		exit 1
	}
	echo "$release"
	exit 0
fi

if [ -n "${SNAPFREEZE_KERNELS:-}" ]; then
	for release in $SNAPFREEZE_KERNELS; do
		if [ -f "/lib/modules/$release/build/Makefile" ] ||
			apt-cache show "linux-headers-$release" >/dev/null 2>&1; then
			say "$release" host
		elif root_apt apt-cache show "linux-headers-$release" >/dev/null 2>&1; then
			say "$release" root
		else
			echo "kernels.sh: neither this machine's apt nor the Debian 13 root's knows linux-headers-$release" >&2
			status=1
		fi
	done
	exit $status
fi

for line in '6\.1\.0-[0-9]+' '6\.12\.[0-9]+\+deb12'; do
	release=$(newest "$line")
	if [ -z "$release" ]; then
		echo "kernels.sh: apt knows no kernel headers matching $line (run apt-get update)" >&2
		status=1
	else
		say "$release" host
	fi
done
release=$(newest '[0-9][0-9.]*\+deb13' root_apt) || true
if [ -z "$release" ]; then
	echo "kernels.sh: the Debian 13 root's apt knows no kernel headers (run 'make deps')" >&2
	status=1
else
	say "$release" root
fi
exit $status
