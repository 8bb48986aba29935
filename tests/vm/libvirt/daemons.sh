# shellcheck shell=bash
# libvirt's daemons for the libvirt tests, sourced by boot.sh and host.sh:
# virtlogd and libvirtd started as daemons (-d), without systemd, once the
# user and the groups exist that Debian's libvirt-daemon-system would have
# made (QEMU runs as libvirt-qemu). Only what was started here is stopped.
libvirt_uri=qemu:///system
libvirtd_pidfile=/run/libvirtd.pid
virtlogd_pidfile=/run/virtlogd.pid

lv() { # lv ARG...: virsh on the tests' libvirt, bounded
	timeout 60 virsh -c "$libvirt_uri" "$@"
}

libvirt_answers() {
	timeout 10 virsh -c "$libvirt_uri" version >/dev/null 2>&1
}

running() { # running PIDFILE: the daemon of PIDFILE runs
	[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# kvm_group: the name of the group that owns /dev/kvm, made if it has none
# here (in a chroot, /dev is the host's and its group may be unknown).
# QEMU's user must be in it: libvirt checks that this user can open
# /dev/kvm, and when that check and QEMU's own probe disagree it throws
# its capabilities away and probes QEMU again at every look-up (seen: 70 s
# for one "virsh create").
kvm_group() {
	local gid name
	if [ ! -e /dev/kvm ]; then
		getent group kvm >/dev/null || groupadd -r kvm || return 1
		echo kvm
		return
	fi
	gid=$(stat -c %g /dev/kvm) || return 1
	if ! getent group "$gid" >/dev/null; then
		name=kvm
		getent group kvm >/dev/null && name=kvm-dev
		groupadd -r -g "$gid" "$name" || return 1
	fi
	getent group "$gid" | cut -d: -f1
}

libvirt_users() {
	local kvm
	kvm=$(kvm_group) &&
		{ getent group libvirt-qemu || groupadd -r libvirt-qemu; } >/dev/null &&
		{ getent passwd libvirt-qemu ||
		  useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin \
			libvirt-qemu; } >/dev/null &&
		usermod -a -G "$kvm" libvirt-qemu
}

qemu_conf=/etc/libvirt/qemu.conf
qemu_conf_saved=$qemu_conf.snapfreeze-saved

# Inside a chroot "/" is no mount point, and the kernel refuses to change
# its propagation (EINVAL, as kenv.sh finds): libvirt then cannot build
# QEMU's private /dev in a mount namespace, and QEMU dies at its start.
# There the tests' libvirtd runs its domains without (qemu.conf's
# "namespaces = []"); the file is put back when the daemons stop.
qemu_conf_for_here() {
	unshare --mount --propagation private true 2>/dev/null && return 0
	[ -e "$qemu_conf_saved" ] && return 0
	if [ -e "$qemu_conf" ]; then
		cp -p "$qemu_conf" "$qemu_conf_saved" || return 1
	else
		: >"$qemu_conf_saved" || return 1
	fi
	{ cat "$qemu_conf_saved"; echo 'namespaces = []'; } >"$qemu_conf"
}

qemu_conf_restore() {
	[ -e "$qemu_conf_saved" ] || return 0
	if [ -s "$qemu_conf_saved" ]; then
		mv "$qemu_conf_saved" "$qemu_conf"
	else
		rm -f "$qemu_conf" "$qemu_conf_saved"
	fi
}

# start_libvirtd: virtlogd unless it runs, then libvirtd, which must answer
# within 30 s.
start_libvirtd() {
	local tries=300
	# The folders the packages' systemd units would make (RuntimeDirectory,
	# LogsDirectory): without systemd, nothing does.
	mkdir -p /var/log/libvirt/qemu /run/libvirt || return 1
	qemu_conf_for_here || return 1
	running "$virtlogd_pidfile" || virtlogd -d || { echo "libvirt: virtlogd -d failed"; return 1; }
	libvirtd -d || { echo "libvirt: libvirtd -d failed"; return 1; }
	until libvirt_answers; do
		((tries-- > 0)) || { echo "libvirt: libvirtd does not answer"; return 1; }
		sleep 0.1
	done
}

stop_daemon() { # stop_daemon PIDFILE: SIGTERM, SIGKILL 10 s later
	local pid tries=100
	running "$1" || return 0
	pid=$(cat "$1")
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		((tries-- > 0)) || { kill -KILL "$pid"; break; }
		sleep 0.1
	done
}

stop_libvirtd() {
	stop_daemon "$libvirtd_pidfile"
	stop_daemon "$virtlogd_pidfile"
	qemu_conf_restore
}
