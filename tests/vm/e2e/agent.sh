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
#   late    hostd is stopped (SIGSTOP), the connection goes through, and
#           hostd continues (SIGCONT) a second after the guest's deadline
#   refuse  the overlay folder is moved away until QMP has answered: QEMU
#           cannot create the overlays and fails the transaction
# Requests beyond the plan go through. On SIGTERM (run.sh: the VM stopped)
# it reports how hostd ended, and exits.
set -uo pipefail
guest=$1 qmp=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
plan=(ok ok kill ok late ok refuse ok)
overlays=$work/overlays
gate=$(dirname "$guest")/gate.sock
request=0
hostd=

start_hostd() {
	"$top/build/snapfreeze-hostd" --guest "$guest" --qmp "$gate" \
		--snapshot-dir "$overlays" --log "$work/hostd.log" &
	hostd=$!
	echo "agent: hostd started, pid $hostd"
}

verdict() { # verdict pass|drop: for the connection the gate holds
	echo "$1" >&"${GATE[1]}"
}

# gate_says EVENT: the gate's next line, which must be "EVENT N".
gate_says() {
	local event number
	read -r -t 600 event number <&"${GATE[0]}" && [ "$event" = "$1" ] || {
		echo "agent: the gate said '$event $number', not $1"
		return 1
	}
}

# in_loop: hostd waits in its poll loop (x86-64 poll or ppoll), between two
# steps of its work.
in_loop() {
	local number rest
	read -r number rest <"/proc/$hostd/syscall" 2>/dev/null
	[ "$number" = 7 ] || [ "$number" = 271 ]
}

# until_in_loop: at most 5 s. A request that hostd read is done with only
# once it is back in its loop: stopped before, it would read the next
# request the guest sends meanwhile before it sees that the first one's
# deadline passed, and answer "busy".
until_in_loop() {
	local tries=250
	until in_loop; do
		((tries-- > 0)) || { echo "agent: hostd did not go back to its loop"; return 1; }
		sleep 0.02
	done
}

# How long the guest waits for the answer to the request in progress.
guest_deadline_ms() {
	sed -n 's/.*snapshot requested: .*the guest waits \([0-9]*\) ms.*/\1/p' \
		"$work/hostd.log" | tail -n 1
}

inject() { # inject STEP
	local ms
	case $1 in
	ok)
		verdict pass ;;
	kill)
		kill -KILL "$hostd"
		wait "$hostd"
		echo "agent: hostd killed mid-request (status $?)"
		verdict drop
		start_hostd ;;
	late)
		until_in_loop
		kill -STOP "$hostd"
		verdict pass
		ms=$(guest_deadline_ms)
		echo "agent: hostd stopped; the guest waits ${ms:-?} ms"
		sleep $(((${ms:-10000} + 1999) / 1000))
		kill -CONT "$hostd"
		echo "agent: hostd continued, past the guest's deadline" ;;
	refuse)
		mv "$overlays" "$overlays.away"
		verdict pass
		gate_says closed
		mv "$overlays.away" "$overlays"
		echo "agent: the overlay folder is back" ;;
	esac
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
while gate_says connection; do
	request=$((request + 1))
	step=${plan[request - 1]:-ok}
	echo "agent: request $request: $step"
	inject "$step"
	[ "$step" = refuse ] || gate_says closed
done
finish
