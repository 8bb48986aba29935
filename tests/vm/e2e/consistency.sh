# End to end: snapshots of the VM's three disks taken by snapfreeze-hostd
# on the host while an application writes to them (scenario.sh). The host
# checks the snapshots' images after the VM stopped (verify.sh); its agent
# (agent.sh) answers the requests of these cases normally.
. /tests/cases/scenario.sh

# The whole workflow: the pre-script pauses the workload, snapfreeze
# freezes the three filesystems as one session, hostd snapshots the three
# disks in one QMP transaction, snapfreeze thaws, the post-script resumes
# the workload.
case_application_consistent_snapshot() {
	start_application
	snapshot
	expect_application_snapshot consistent
	expect_match "$(extension_log)" "frozen as session [0-9]+" "the freeze logged"
	expect_match "$(extension_log)" "host: snapshot " "the host's answer logged"
}

# The control: the same workload and the same host agent, but nothing
# paused and nothing frozen: the request is written on the port by hand, as
# crash-consistent, while the application writes. The host must find these
# images inconsistent, each disk caught where its own writeback and its
# journal's commits left it, with no marker: nothing flushed them together.
case_crash_snapshot_without_freezing() {
	start_application
	# A few rounds of the kernel's writeback and of each journal's
	# commits: time, not an event to wait for.
	sleep 3
	id=control-$(date +%s)
	ask_host "$id" crash
	expect_match "$answer" "\"id\":\"$id\",\"ok\":true" "the host's answer"
	expect_match "$answer" '"disks":\[\{"device":"virtio0".*"virtio1".*"virtio2"' \
		"the three disks snapshotted"
	expect_no_sessions
	note "e2e-snapshot control $id crash -"
}
