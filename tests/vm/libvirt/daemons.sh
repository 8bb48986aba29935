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

libvirt_users() {
	{ getent group kvm || groupadd -r kvm; } >/dev/null &&
		{ getent group libvirt-qemu || groupadd -r libvirt-qemu; } >/dev/null &&
		{ getent passwd libvirt-qemu ||
		  useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin \
			libvirt-qemu; } >/dev/null
}

# start_libvirtd: virtlogd unless it runs, then libvirtd, which must answer
# within 30 s.
start_libvirtd() {
	local tries=300
	# The folders the packages' systemd units would make (RuntimeDirectory,
	# LogsDirectory): without systemd, nothing does.
	mkdir -p /var/log/libvirt/qemu /run/libvirt || return 1
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
}
