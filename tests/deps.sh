#!/bin/sh
# Usage: deps.sh [--check]
#
# Installs everything snapfreeze needs to build and to run its tests, from
# Debian's packages: the packages below and the headers of the test kernels
# on this machine, and the Debian 13 root in which the newest kernels'
# modules are built (tests/vm/mkroot.sh). Does nothing when all of it is
# there already. Then checks that every command the build and the harness
# run is found, naming any that is not. Run as root; otherwise prints the
# command to run.
#
# --check only checks the commands, installing nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/vm/kenv.sh"
# Tools such as mkfs and modprobe live in sbin, which some shells leave out.
export PATH="$PATH:/usr/sbin:/sbin"

packages="build-essential busybox-static pkg-config libnl-genl-3-dev libcjson-dev libcmocka-dev
	libcurl4-openssl-dev libssl-dev libvirt-dev libxml2-dev libvirt-daemon-driver-qemu
	linux-source-6.12 libelf-dev"

# The commands that the Makefile and the scripts under tests/ run on this
# machine, each with the package it comes from. A command the harness
# starts is listed here, or a newcomer's first run fails on it.
commands="
	apt-cache apt
	apt-get apt
	awk mawk
	bc bc
	bison bison
	btrfs btrfs-progs
	busybox busybox-static
	cc build-essential
	chroot coreutils
	cpio cpio
	debootstrap debootstrap
	debugfs e2fsprogs
	depmod kmod
	dh debhelper
	dh_dkms dh-dkms
	dkms dkms
	dmsetup dmsetup
	dpkg-buildpackage dpkg-dev
	dpkg-deb dpkg
	dpkg-query dpkg
	du coreutils
	dumpe2fs e2fsprogs
	e2fsck e2fsprogs
	find findutils
	flex flex
	flock util-linux
	fsfreeze util-linux
	getent libc-bin
	grep grep
	groupadd passwd
	libvirtd libvirt-daemon
	lintian lintian
	make make
	mkfs.btrfs btrfs-progs
	mkfs.ext4 e2fsprogs
	mkfs.gfs2 gfs2-utils
	mkfs.xfs xfsprogs
	mktemp coreutils
	modinfo kmod
	modprobe kmod
	mount mount
	nice coreutils
	openssl openssl
	pkg-config pkg-config
	qemu-img qemu-utils
	qemu-system-x86_64 qemu-system-x86
	sed sed
	setpriv util-linux
	sfdisk fdisk
	sha256sum coreutils
	socat socat
	ss iproute2
	stat coreutils
	tail coreutils
	timeout coreutils
	truncate coreutils
	unshare util-linux
	useradd passwd
	usermod passwd
	virsh libvirt-clients
	virtlogd libvirt-daemon
	xfs_logprint xfsprogs
	xfs_repair xfsprogs
	xmllint libxml2-utils
	xz xz-utils
	zip zip
"

installed() { # installed PACKAGE
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing_commands() { # prints "COMMAND PACKAGE" for each command not found
	echo "$commands" | while read -r command package; do
		[ -z "$command" ] || command -v "$command" >/dev/null ||
			echo "$command $package"
	done
}

# install_packages PACKAGE...: installs those of them that are missing.
install_packages() {
	missing=
	for package in "$@"; do
		installed "$package" || missing="$missing $package"
	done
	[ -n "$missing" ] || return 0
	command="apt-get install -y --no-install-recommends$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages; as root, run: apt-get update && $command" >&2
		exit 1
	fi
	echo "deps.sh: installing:$missing"
	DEBIAN_FRONTEND=noninteractive $command || {
		apt-get update -q && DEBIAN_FRONTEND=noninteractive $command
	}
}

check_commands() {
	missing=$(missing_commands)
	[ -n "$missing" ] || return 0
	echo "$missing" | while read -r command package; do
		echo "deps.sh: command '$command' not found (package $package; run 'make deps')" >&2
	done
	return 1
}

if [ "${1:-}" = --check ]; then
	check_commands
	exit
fi

# kernels PRINTER: the test kernels as PRINTER prints them (kernels.sh
# --where or --build-only); apt's lists are updated once when they know
# none of them: a new machine's lists (debootstrap's) have only part of
# the archive.
kernels() {
	"$here/vm/kernels.sh" "$1" 2>/dev/null && return
	[ "$(id -u)" = 0 ] && apt-get update -q >&2
	"$here/vm/kernels.sh" "$1"
}

install_packages $packages $(missing_commands | cut -d' ' -f2 | sort -u)
"$here/vm/mkroot.sh"
booted=$(kernels --where)
built=$(kernels --build-only)
headers=$( (echo "$booted" | sed -n 's/^\([^ ]*\) host$/\1/p'; echo "$built") |
	sed -n 's/^./linux-headers-&/p')
for package in $headers; do
	installed "$package" || { kenv_forget_module; break; }
done
install_packages $headers
"$here/vm/mkroot.sh" $(echo "$booted" | sed -n 's/^\([^ ]*\) root$/linux-headers-\1/p')
check_commands
