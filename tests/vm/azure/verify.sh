#!/bin/bash
# Usage: verify.sh RELEASE WORK KERNEL_ROOT
#
# The host-side checks of the Azure handler tests (run.sh's
# SNAPFREEZE_VM_HOST_CHECKS), once the VM stopped: hostd answered the
# guest's presnapshot and dosnapshot requests, took one QMP snapshot of the
# three disks for each enable that asked, named after its taskId, and none
# for a sequence number processed already; both agents exited 0.
# Prints "1..N", then "ok - TOPIC/NAME" or "not ok - TOPIC/NAME".
set -uo pipefail
work=$2
log=$work/hostd.log
checks=0

check() { # check NAME CMD...
	checks=$((checks + 1))
	if "${@:2}" >/dev/null 2>&1; then
		results+=("ok - azure_host/$1")
	else
		results+=("not ok - azure_host/$1")
	fi
}

overlays_of() { # overlays_of TASK: the three disks' overlays, and only those
	[ "$(ls "$work/overlays" | grep -c -- "-$1\.qcow2$")" = 3 ]
}

results=()
check presnapshot_answered grep -q "presnapshot answered" "$log"
check first_enable_snapshotted grep -Eq "\[task-1\] answered ok: 3 disks$" "$log"
check first_enable_overlays overlays_of task-1
check second_enable_snapshotted grep -Eq "\[task-2\] answered ok: 3 disks$" "$log"
check second_enable_overlays overlays_of task-2
check processed_sequence_not_snapshotted_again \
	test "$(grep -c "\[task-1\] dosnapshot: snapshot requested" "$log")" = 1
check hostd_exits_0 grep -q "^agent: hostd exited with status 0$" "$work/host-agent.log"
check hanging_hostd_asked grep -q "\[task-3\] dosnapshot: snapshot requested" "$work/hostd-hang.log"
echo "1..$checks"
printf '%s\n' "${results[@]}"
for line in "${results[@]}"; do
	[ "${line#not ok}" = "$line" ] || exit 1
done
