#!/bin/bash
# Usage: verify.sh RELEASE WORK KERNEL_ROOT
#
# The host-side checks of the libvirt tests (run.sh's
# SNAPFREEZE_VM_HOST_CHECKS), once the VM stopped: what virsh and hostd did,
# as host.sh and hostd logged it, and the images of the two snapshots the
# guest noted ("e2e-snapshot NAME ID CONSISTENCY MARKER": virsh's, hostd's),
# checked as the end-to-end tests check theirs (e2e/snapshots.sh), their
# overlays in WORK/libvirt under libvirt's target names.
# Prints "1..N", then "ok - TOPIC/NAME" or "not ok - TOPIC/NAME" for each of
# the N checks.
set -uo pipefail
release=$1 work=$2 kroot=$3
here=$(cd "$(dirname "$0")" && pwd)
out=$work/verify
topic=libvirt
. "$here/../e2e/snapshots.sh"
disks=(vda vdb vdc)
expected=(virsh hostd)

# host_says NAME LOG PATTERN: the check passes if LOG has a line matching
# PATTERN (an extended regular expression).
host_says() {
	if grep -Eq "$3" "$2"; then
		verdict 0 "$1" "$(grep -E "$3" "$2")"
	else
		verdict 1 "$1" "$(grep -E '^host: |answered' "$2")"
	fi
}

host_account() {
	local log=$work/host-agent.log
	host_says domfsfreeze_froze_three "$log" \
		'^host: domfsfreeze: status 0: Froze 3 filesystem\(s\)'
	host_says domfsthaw_thawed_three "$log" '^host: domfsthaw: status 0: Thawed 3 filesystem\(s\)'
	host_says snapshot_quiesced "$log" '^host: snapshot-create-as: status 0: '
	host_says domfsfreeze_before_the_kill "$log" \
		'^host: killed-domfsfreeze: status 0: Froze 3 filesystem\(s\)'
	host_says libvirtd_killed_while_frozen "$log" '^host: libvirtd killed while the guest is frozen$'
	host_says libvirtd_started_again "$log" '^host: libvirtd-started: status 0: '
	host_says hostd_exits_0_when_the_vm_stops "$log" '^host: hostd exited with status 0$'
	host_says hostd_snapshot_of_three_disks "$work/hostd.log" \
		' INFO \[[^]]*\] answered ok: snapshot [^ ]*, 3 disks$'
}
host_checks=8

checks_of() { # checks_of NAME: the checks of snapshot NAME's images, once copied
	printf '%s\n' "${consistent_checks[@]/#/${1}_}"
}

plan() {
	echo "1..$((host_checks + 1 + ${#expected[@]} * (1 + ${#consistent_checks[@]})))"
}

main() {
	local name
	rm -rf "$out"
	mkdir -p "$out"
	plan
	host_account
	copy_noted "$work/libvirt" "${expected[@]}"
	read_back "${copied[@]}"
	for name in "${copied[@]}"; do
		consistent_snapshot "${name}_" "$name" "${snapshot_marker[$name]}"
	done
	[ "$failures" = 0 ]
}

main
