#!/bin/bash
# Usage: host.sh DOMAIN GUEST_SOCKET WORK
#
# The host side of the libvirt tests (boot.sh's AGENT). snapfreeze-hostd
# --libvirt serves the guest's channel GUEST_SOCKET from the start, its
# overlays next to the disks (WORK/libvirt), its log in WORK/hostd.log.
# virsh acts on DOMAIN when the guest's cases say they are ready, by their
# notes on the TAP port (WORK/tap.log), in the order of quiesce.sh:
#   libvirt-ready domfsfreeze  virsh domfsfreeze; virsh domfsthaw once the
#                              guest saw its filesystems frozen
#                              (libvirt-frozen-seen domfsfreeze)
#   libvirt-ready snapshot     virsh snapshot-create-as --disk-only --atomic
#                              --quiesce --no-metadata, its overlays named
#                              as hostd names them (DISK-virsh.qcow2)
#   libvirt-ready killed       virsh domfsfreeze, then libvirtd SIGKILLed;
#                              started again once the guest saw the thaw
#                              (libvirt-thawed-seen killed)
# Before each, the guest's agent must answer guest-ping through libvirt.
# Each step logs "host: STEP: status N: OUTPUT", which verify.sh checks. A
# case that fails before its note holds up no later step: each wait ends
# after SNAPFREEZE_VM_CASE_TIMEOUT seconds. On SIGTERM (the domain
# stopped) a step under way still ends and logs its line (libvirtd's start
# can outlast the guest's last case), the waits for the guest end, and it
# reports how hostd ended and exits.
set -uo pipefail
domain=$1 guest=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$here/daemons.sh"
files=$(readlink -f "$work/libvirt")
wait_s=${SNAPFREEZE_VM_CASE_TIMEOUT:-120}
hostd=
stopping=

# guest_says NOTE: the guest noted NOTE (maybe followed by more) on its TAP port.
guest_says() {
	local tries=$((wait_s * 20))
	until tr -d '\r' <"$work/tap.log" | grep -Eq "^# $1( |\$)"; do
		((tries-- > 0)) && [ -z "$stopping" ] ||
			{ echo "host: the guest never said '$1'"; return 1; }
		sleep 0.05
	done
}

# step NAME CMD...: CMD's status and output, on one line.
step() {
	local name=$1 output status
	shift
	output=$("$@" 2>&1)
	status=$?
	echo "host: $name: status $status: $(printf '%s' "$output" | tr '\n' ' ')"
	return $status
}

# The guest's agent answers through libvirt (it opened its port, and libvirt saw it).
agent_answers() {
	local tries=$((wait_s * 2))
	until lv qemu-agent-command "$domain" '{"execute":"guest-ping"}' >/dev/null 2>&1; do
		((tries-- > 0)) && [ -z "$stopping" ] ||
			{ echo "host: the guest's agent never answered guest-ping"; return 1; }
		sleep 0.5
	done
}

ready() { # ready CASE: the guest is ready for CASE, its agent answers
	guest_says "libvirt-ready $1" && agent_answers
}

domfsfreeze_and_thaw() {
	ready domfsfreeze || return
	step domfsfreeze lv domfsfreeze "$domain"
	guest_says "libvirt-frozen-seen domfsfreeze" || return
	step domfsthaw lv domfsthaw "$domain"
}

quiesced_snapshot() {
	local disk specs=()
	ready snapshot || return
	for disk in vda vdb vdc; do
		specs+=(--diskspec "$disk,snapshot=external,file=$files/$disk-virsh.qcow2")
	done
	step snapshot-create-as lv snapshot-create-as "$domain" --name virsh --disk-only \
		--atomic --quiesce --no-metadata "${specs[@]}"
}

# libvirtd dies with the guest frozen: nothing thaws it but its agent's
# deadline, which the guest measures.
libvirtd_killed_while_frozen() {
	local pid tries=100
	ready killed || return
	step killed-domfsfreeze lv domfsfreeze "$domain" || return
	pid=$(cat "$libvirtd_pidfile")
	kill -KILL "$pid"
	while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do
		sleep 0.1
	done
	echo "host: libvirtd killed while the guest is frozen"
	guest_says "libvirt-thawed-seen killed"
	step libvirtd-started start_libvirtd
}

finish() {
	kill -TERM "$hostd" 2>/dev/null
	wait "$hostd"
	echo "host: hostd exited with status $?"
	exit 0
}

trap 'stopping=1' TERM
"$top/build/snapfreeze-hostd" --guest "$guest" --libvirt "$libvirt_uri" --domain "$domain" \
	--snapshot-dir "$files" --log "$work/hostd.log" &
hostd=$!
echo "host: hostd started, pid $hostd, on $guest"
domfsfreeze_and_thaw
quiesced_snapshot
libvirtd_killed_while_frozen
until [ -n "$stopping" ]; do
	sleep 1
done
finish
