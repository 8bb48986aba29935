# Sourced by the harness (POSIX sh): the cache folder, and where each test
# kernel's build environment is.
#
# Debian 12's kernels (6.1, 6.12) are built on this machine, against the
# headers in /lib/modules/RELEASE/build. Newer kernels need the compiler and
# libc of a newer Debian: their headers, DKMS and the module's build live
# in a Debian 13 root made by mkroot.sh in the cache, entered with kenv_run.
#
# SNAPFREEZE_CACHE  kernels, the Debian 13 root and the runs' folders
#                   (default: ~/.cache/snapfreeze, outside the work tree)
#
# The sourcing script sets top, the work tree, first.

kenv_top=${top:?}
kenv_cache=${SNAPFREEZE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapfreeze}
kenv_newer_root=$kenv_cache/roots/trixie

# The kernel command line of every test boot, after console=: a WARN or an
# oops panics the guest, and its panic ends the VM. tsc=unstable keeps the
# kernel from switching its scheduler clock to "stable" at the end of boot:
# that switch rewrites sched_clock_cpu(), which every interrupt calls, and
# under TCG with two CPUs it once left the other CPU at a stale breakpoint
# (6.12: "Oops: int3" in sched_clock_cpu, in the idle task, 2 s into boot).
# The 6.1 line finds the TSC unsynchronized under TCG and never switches.
kenv_kernel_args="panic_on_warn=1 oops=panic panic=-1 tsc=unstable"

# kenv_root RELEASE: prints the root folder holding RELEASE's headers, "/"
# for this machine; fails, saying what to run, when no root has them.
kenv_root() {
	if [ -f "/lib/modules/$1/build/Makefile" ]; then
		echo /
	elif [ -f "$kenv_newer_root/lib/modules/$1/build/Makefile" ]; then
		echo "$kenv_newer_root"
	else
		echo "kenv: no headers of kernel $1, neither here nor in $kenv_newer_root (run 'make deps')" >&2
		return 1
	fi
}

# kenv_propagation: how the command's mount namespace starts. Private, so
# that no mount of it reaches this machine's; but inside a chroot, where "/"
# is no mount point, the kernel refuses to change "/" (EINVAL): there the
# mounts keep the propagation of the mount that holds the chroot.
kenv_propagation() {
	if unshare --mount --propagation private true 2>/dev/null; then
		echo private
	else
		echo unchanged
	fi
}

# kenv_run RELEASE COMMAND...: runs COMMAND where RELEASE's headers are: on
# this machine, or in the Debian 13 root with kenv_chroot, where the work
# tree and the cache are seen at the same paths as here.
kenv_run() {
	kenv_run_root=$(kenv_root "$1") || return 1
	shift
	if [ "$kenv_run_root" = / ]; then
		"$@"
		return
	fi
	kenv_chroot "$kenv_run_root" "$kenv_top $kenv_cache" "$@"
}

# kenv_chroot ROOT "DIR..." COMMAND...: runs COMMAND chrooted in ROOT, with
# /proc (7.x's objtool reads it, package scripts too), /dev, and each DIR
# seen at the same path as here; the mounts live in a mount namespace of
# the command's own and end with it.
kenv_chroot() {
	unshare --mount --propagation "$(kenv_propagation)" sh -eu -c '
		root=$1 dirs=$2
		shift 2
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		for dir in $dirs; do
			mkdir -p "$root$dir"
			mount --bind "$dir" "$root$dir"
		done
		exec chroot "$root" "$@"' \
		kenv "$@"
}

# kenv_mirror [security]: the Debian archive this machine's apt uses
# (SNAPFREEZE_MIRROR chooses another), or its security archive.
kenv_mirror() {
	if [ -n "${SNAPFREEZE_MIRROR:-}" ]; then
		echo "$SNAPFREEZE_MIRROR${1:+-security}"
		return
	fi
	{
		sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm.*/\2/p' /etc/apt/sources.list
	} 2>/dev/null | if [ -n "${1:-}" ]; then grep security; else grep -v security; fi |
		head -n 1 | grep . || echo "http://deb.debian.org/debian${1:+-security}"
}

# kenv_forget_module [ROOT]: drops the module's DKMS registration (which
# make dkms-source, run by the tests, leaves) on this machine or in ROOT:
# installing kernel headers would otherwise make DKMS build it there, and a
# failed build would fail the install. The tests register it again.
kenv_forget_module() {
	kenv_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$kenv_top/dkms.conf")
	set -- ${1:+chroot "$1"}
	if "$@" sh -c 'command -v dkms' >/dev/null &&
		"$@" dkms status -m snapfreeze -v "$kenv_version" 2>/dev/null | grep -q .; then
		"$@" dkms remove "snapfreeze/$kenv_version" --all >/dev/null 2>&1
	fi
}
