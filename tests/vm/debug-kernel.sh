#!/bin/sh
# Usage: debug-kernel.sh [--release]
#
# Builds the debug test kernel from Debian's linux-source-6.12 (installed by
# deps.sh): debug-kernel/debug.config on top of tinyconfig, so lockdep
# (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, KASAN and the object and list
# checkers catch what Debian's kernels let pass. Its release is the
# source's upstream version with "-debug" (6.12.117-debug, say).
#
# The build lives in the cache (kenv.sh), kernels/RELEASE, laid out as
# fetch-kernel.sh lays Debian's kernels: root/boot/vmlinuz-RELEASE and
# root/lib/modules/RELEASE, plus build/, the kernel's build tree, which
# /lib/modules/RELEASE/build points to so that DKMS builds the module
# against it as against any installed headers. A finished build is reused
# while debug.config stays the same: a machine builds it once; the builds
# of older releases are removed. Runs one build at a time (a lock in the
# cache). Prints the release; with --release, prints it and builds nothing.
#
# SNAPFREEZE_DEBUG_JOBS   make's jobs (default: the number of CPUs)
# SNAPFREEZE_DEBUG_RETRY  1: build again a configuration whose build failed
#                         (by default it fails at once, its log kept)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"
source_package=linux-source-6.12
tarball=/usr/src/$source_package.tar.xz

version=$(dpkg-query -W -f='${Version}' "$source_package" 2>/dev/null) || version=
[ -n "$version" ] && [ -f "$tarball" ] || {
	echo "debug-kernel.sh: $source_package is not installed (run 'make deps')" >&2
	exit 1
}
# 6.12.117-1~deb12u1: the upstream version, 6.12.117.
release=${version%%-*}-debug
if [ "${1:-}" = --release ]; then
	echo "$release"
	exit 0
fi

dir=$kenv_cache/kernels/$release
# A build is reused while its configuration is the one asked for.
key=$(cksum <"$here/debug-kernel/debug.config")
built() { [ -f "$dir/complete" ] && [ "$(cat "$dir/complete")" = "$key" ]; }

# One build at a time: make check starts one in the background early, and
# its debug suite waits here for it to end.
mkdir -p "$kenv_cache/kernels"
exec 9>"$kenv_cache/kernels/debug.lock"
flock 9
if built && [ -f "/lib/modules/$release/build/Makefile" ]; then
	echo "$release"
	exit 0
fi
# A build that failed fails at once for the same configuration: make
# check's suite does not spend the build's time again on the same error.
if [ -f "$dir/failed" ] && [ "$(cat "$dir/failed")" = "$key" ] &&
	[ -z "${SNAPFREEZE_DEBUG_RETRY:-}" ]; then
	tail -n 20 "$dir/build.log" >&2
	echo "debug-kernel.sh: the build of $release failed (log: $dir/build.log); SNAPFREEZE_DEBUG_RETRY=1 tries again" >&2
	exit 1
fi

# The builds of older sources, and their links.
for old in "$kenv_cache"/kernels/*-debug; do
	[ "$old" != "$dir" ] && [ -d "$old" ] || continue
	rm -rf "$old" "/lib/modules/${old##*/}"
done

# build: the steps, each stopping the build when it fails (set -e does not
# reach into a function whose status is tested).
build() {
	kmake() { make -C "$dir/source" O="$dir/build" "$@"; }
	tar -xJf "$tarball" -C "$dir" || return 1
	mv "$dir/$source_package" "$dir/source" || return 1
	kmake tinyconfig || return 1
	"$dir/source/scripts/kconfig/merge_config.sh" -m -O "$dir/build" \
		"$dir/build/.config" "$here/debug-kernel/debug.config" || return 1
	kmake olddefconfig || return 1
	# Every option asked for must be in the result: one that Kconfig
	# dropped for an unmet dependency would leave a checker out.
	for option in $(grep -o '^CONFIG_[A-Z0-9_]*=[^ ]*' "$here/debug-kernel/debug.config"); do
		grep -qxF "$option" "$dir/build/.config" || {
			echo "debug-kernel.sh: $option did not survive olddefconfig"
			return 1
		}
	done
	kmake -j"${SNAPFREEZE_DEBUG_JOBS:-$(nproc)}" bzImage modules || return 1
	kmake INSTALL_MOD_PATH="$dir/root" modules_install || return 1
	# modules_install links build and source to the tree at paths seen only
	# on this machine: the VM needs neither.
	rm -f "$dir/root/lib/modules/$release/build" "$dir/root/lib/modules/$release/source"
	mkdir -p "$dir/root/boot" &&
		cp "$dir/build/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$release" || return 1
	built=$(kmake -s kernelrelease) || return 1
	[ "$built" = "$release" ] || {
		echo "debug-kernel.sh: the build's release is $built, not $release"
		return 1
	}
}

if ! built; then
	rm -rf "$dir"
	mkdir -p "$dir"
	log=$dir/build.log
	echo "debug-kernel.sh: building $release from $source_package $version (log: $log)" >&2
	start=$(date +%s)
	build >"$log" 2>&1 || {
		echo "$key" >"$dir/failed"
		tail -n 20 "$log" >&2
		echo "debug-kernel.sh: the build of $release failed (log: $log)" >&2
		exit 1
	}
	echo "debug-kernel.sh: built $release in $(($(date +%s) - start)) s" >&2
	echo "$key" >"$dir/complete"
fi
mkdir -p "/lib/modules/$release"
ln -sfn "$dir/build" "/lib/modules/$release/build"
echo "$release"
