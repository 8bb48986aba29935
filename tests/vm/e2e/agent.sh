#!/bin/bash
# Usage: agent.sh GUEST_SOCKET QMP_SOCKET WORK
#
# The host side of the end-to-end tests (run.sh's SNAPFREEZE_VM_HOST_AGENT):
# snapfreeze-hostd serves the VM, its overlays in WORK/overlays and its log
# in WORK/hostd.log, with faults injected at known requests. hostd reaches
# QMP through qmpgate, which holds each QMP connection until this script
# says what to do with it. hostd opens one connection per snapshot request,
# once it has read the request: a held connection is a request in progress.
#
# The plan says what happens to each request in turn, in the order the
# cases of consistency.sh and faults.sh make them:
#   ok      the connection goes through
#   kill    hostd is killed (SIGKILL) while it waits, then started again
#           once the guest notes that its snapshot ended
#   late    hostd is stopped (SIGSTOP) before the request comes, and
#           continues (SIGCONT) a second after the guest gave up on it: it
#           takes the snapshot and answers, too late. Its answer waits in
#           the channel while the guest's port is closed, and must be gone
#           by the next request: the guest took it first (and skipped it)
#   slow    QEMU gets the transaction 8 s late: longer than the guest waits
#           without hostd's progress messages
#   refuse  the overlay folder is moved away until QMP has answered: QEMU
#           cannot create the overlays and fails the transaction
# Requests beyond the plan go through. On SIGTERM (run.sh: the VM stopped)
# it reports how hostd ended, and exits.
set -uo pipefail
guest=$1 qmp=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
plan=(ok ok kill ok late ok slow refuse ok)
# The late case's guest waits 3 s for its answer (faults.sh).
late_guest_wait_ms=3000
slow_transaction_ms=8000
# No wait here outlasts the VM, which run.sh kills after this long.
bound=${SNAPFREEZE_VM_BOOT_TIMEOUT:-300}
overlays=$work/overlays
gate=$(dirname "$guest")/gate.sock
request=0
late_answer=
hostd=

start_hostd() {
	"$top/build/snapfreeze-hostd" --guest "$guest" --qmp "$gate" \
		--snapshot-dir "$overlays" --log "$work/hostd.log" &
	hostd=$!
	echo "agent: hostd started, pid $hostd"
}

verdict() { # verdict pass|drop|"delay MS": for the connection the gate holds
	echo "$1" >&"${GATE[1]}"
}

# gate_says EVENT: the gate's next line, which must be "EVENT N".
gate_says() {
	local event number
	read -r -t "$bound" event number <&"${GATE[0]}" && [ "$event" = "$1" ] || {
		echo "agent: the gate said '${event:-nothing}${number:+ $number}', not $1"
		return 1
	}
}

# queued qemu|hostd: the bytes at that end of the guest's channel that were
# not read yet. QEMU reads hostd's lines only while the guest holds its port
# open; hostd, stopped, reads no request.
queued() {
	local qemu_end
	qemu_end=$(ss -xH src "$guest" | awk '$2 == "ESTAB" { print $3, $8; exit }')
	[ -n "$qemu_end" ] || return 1
	if [ "$1" = qemu ]; then
		echo "${qemu_end% *}"
	else
		ss -xH | awk -v peer="${qemu_end#* }" '$2 == "ESTAB" && $6 == peer { print $3; exit }'
	fi
}

# hold_back_request: the next request reaches hostd only once the guest
# gave up on it.
hold_back_request() {
	local tries=$((bound * 20)) bytes
	kill -STOP "$hostd"
	echo "agent: hostd stopped before the next request"
	until bytes=$(queued hostd) && [ "${bytes:-0}" -gt 0 ]; do
		((tries-- > 0)) || { echo "agent: no request came"; return 1; }
		sleep 0.05
	done
	sleep $(((late_guest_wait_ms + 1000) / 1000))
	kill -CONT "$hostd"
	echo "agent: a request of $bytes bytes came; hostd continued a second after the guest's deadline"
}

# guest_saw_hostd_go: the guest's snapshot ended, its port closed, as it
# notes on its TAP port (faults.sh). Like systemd's RestartSec, this keeps
# a new hostd from reopening the channel before the guest saw it close.
guest_saw_hostd_go() {
	local tries=$((bound * 20))
	until grep -qs '^# e2e-host-gone-seen' "$work/tap.log"; do
		((tries-- > 0)) || { echo "agent: the guest never said it saw hostd go"; return 1; }
		sleep 0.05
	done
	echo "agent: the guest saw hostd go"
}

inject() { # inject STEP
	case $1 in
	ok | late)
		verdict pass ;;
	kill)
		kill -KILL "$hostd"
		wait "$hostd"
		echo "agent: hostd killed mid-request (status $?)"
		verdict drop
		guest_saw_hostd_go
		start_hostd ;;
	slow)
		verdict "delay $slow_transaction_ms"
		echo "agent: the transaction reaches QEMU ${slow_transaction_ms} ms late" ;;
	refuse)
		mv "$overlays" "$overlays.away"
		verdict pass
		gate_says closed
		mv "$overlays.away" "$overlays"
		echo "agent: the overlay folder is back" ;;
	esac
}

# After the late request: hostd answered it before it closed its QMP
# connection, and the answer waits in the channel for the guest.
late_answer_waits() {
	late_answer=$(queued qemu)
	echo "agent: the late answer waits in the channel: ${late_answer:-?} bytes"
}

# The next request: the guest opened its port for it, and took the late
# answer, which came first (QEMU may take a moment to pass it on).
late_answer_gone() {
	local left tries=100
	until left=$(queued qemu) && [ "$left" = 0 ] || ((tries-- == 0)); do
		sleep 0.02
	done
	if [ "${late_answer:-0}" -gt 0 ] && [ "$left" = 0 ]; then
		echo "agent: the late answer left the channel before the next request"
	else
		echo "agent: the late answer (${late_answer:-?} bytes) did not leave the channel: ${left:-?} bytes wait"
	fi
	late_answer=
}

# The VM stopped: hostd, its channel closed, ends by itself.
finish() {
	local tries=50
	trap - TERM
	while kill -0 "$hostd" 2>/dev/null && ((tries-- > 0)); do
		sleep 0.1
	done
	if kill -0 "$hostd" 2>/dev/null; then
		echo "agent: hostd still runs 5 s after the VM stopped: terminating it"
		kill -CONT "$hostd"
		kill -TERM "$hostd"
	fi
	wait "$hostd"
	echo "agent: hostd exited with status $?"
	echo "agent: $request requests, ${#plan[@]} planned"
	kill "$GATE_PID" 2>/dev/null
	exit 0
}

mkdir -p "$overlays"
coproc GATE { exec "$top/build/tests/qmpgate" "$gate" "$qmp"; }
trap finish TERM
start_hostd
while :; do
	step=${plan[request]:-ok}
	if [ "$step" = late ]; then
		hold_back_request || break
	fi
	gate_says connection || break
	request=$((request + 1))
	[ -z "$late_answer" ] || late_answer_gone
	echo "agent: request $request: $step"
	inject "$step"
	[ "$step" = refuse ] || gate_says closed || break
	[ "$step" != late ] || late_answer_waits
done
finish
