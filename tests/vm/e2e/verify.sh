#!/bin/bash
# Usage: verify.sh RELEASE WORK KERNEL_ROOT
#
# The host-side checks of the end-to-end tests (run.sh's
# SNAPFREEZE_VM_HOST_CHECKS), once the VM stopped. The guest noted each
# snapshot on its TAP port ("e2e-snapshot NAME ID CONSISTENCY MARKER");
# hostd left its overlays in WORK/overlays. Each snapshot's images are
# checked as snapshots.sh says; the control snapshot, taken without
# freezing, must fail those checks. How hostd went through the fault plan
# is in agent.sh's log (WORK/host-agent.log).
# Prints "1..N", then "ok - TOPIC/NAME" or "not ok - TOPIC/NAME" for each of
# the N checks.
set -uo pipefail
release=$1 work=$2 kroot=$3
here=$(cd "$(dirname "$0")" && pwd)
out=$work/verify
topic=verify
. "$here/snapshots.sh"
# The snapshots the cases take, in order.
expected=(consistent control after_kill after_late progress after_refusal)
# The control's images must need what a frozen snapshot never needs.
control_checks=(ext4_needs_recovery_detected xfs_log_replay_detected
	btrfs_log_tree_detected torn_cut_detected)
agent_checks=(exits_0_when_the_vm_stops fault_plan_carried_out late_answer_went_to_the_guest)

# detected NAME CMD...: for the control, CMD finds the inconsistency it
# looks for.
detected() {
	local name=$1 output status
	shift
	output=$("$@" 2>&1)
	status=$?
	verdict "$status" "$name" "$output" "not detected"
}

torn_cut() { # torn_cut NAME: read, and not a consistent cut
	records_cut "$1"
	[ $? = 1 ]
}

# agent_says NAME PATTERN: the check passes if agent.sh logged a line
# matching PATTERN (an extended regular expression).
agent_says() {
	local log=$work/host-agent.log
	if grep -Eq "$2" "$log"; then
		verdict 0 "$1" "$(grep -E "$2" "$log")"
	else
		verdict 1 "$1" "$(grep '^agent: ' "$log")"
	fi
}

# hostd served the whole plan, the late answer reached the guest first
# thing the next time it opened its port, and hostd exited 0 when the VM
# closed its channel.
agent_account() {
	local topic=hostd
	agent_says exits_0_when_the_vm_stops '^agent: hostd exited with status 0$'
	agent_says fault_plan_carried_out '^agent: ([0-9]+) requests, \1 planned$'
	agent_says late_answer_went_to_the_guest \
		'^agent: the late answer left the channel before the next request$'
}

checks_of() { # checks_of NAME: the checks of snapshot NAME's images, once copied
	if [ "$1" = control ]; then
		printf '%s\n' "${control_checks[@]/#/control_}"
	else
		printf '%s\n' "${consistent_checks[@]/#/${1}_}"
	fi
}

plan() {
	local name count=$((${#agent_checks[@]} + 1))
	for name in "${expected[@]}"; do
		count=$((count + 1 + $(checks_of "$name" | wc -l)))
	done
	echo "1..$count"
}

main() {
	local name
	rm -rf "$out"
	mkdir -p "$out"
	plan
	agent_account
	copy_noted "$work/overlays" "${expected[@]}"
	read_back "${copied[@]}"
	for name in "${copied[@]}"; do
		if [ "$name" = control ]; then
			detected control_ext4_needs_recovery_detected ext4_needs_recovery \
				"$out/control-ext4.img"
			detected control_xfs_log_replay_detected xfs_log_changes "$out/control-xfs.img"
			detected control_btrfs_log_tree_detected btrfs_log_tree "$out/control-btrfs.img"
			detected control_torn_cut_detected torn_cut control
		else
			consistent_snapshot "${name}_" "$name" "${snapshot_marker[$name]}"
		fi
	done
	[ "$failures" = 0 ]
}

main
