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
# crash-consistent. As a database flushes its log, the ext4 and xfs files
# are flushed just before; the btrfs file waits in the page cache, and
# btrfs, committing every 30 s, still holds what the sync at the start
# left: no records. The host must find these images inconsistent.
case_crash_snapshot_without_freezing() {
	load_module
	mount_disks
	rm -f $RECORDS
	sync
	start_workload
	wait_for_records 200
	sync /mnt/ext4/records /mnt/xfs/records
	id=control-$(date +%s)
	ask_host "$id" crash
	expect_match "$answer" "\"id\":\"$id\",\"ok\":true" "the host's answer"
	expect_match "$answer" '"disks":\[\{"device":"virtio0".*"virtio1".*"virtio2"' \
		"the three disks snapshotted"
	expect_no_sessions
	note "e2e-snapshot control $id crash -"
}
