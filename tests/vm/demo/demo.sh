# What "make demo" shows: one application-consistent snapshot. In the VM an
# application writes numbered records to three disks (ext4, xfs, btrfs);
# snapfreeze snapshot runs its pre-script, which pauses it, freezes the
# three filesystems as one session, asks snapfreeze-hostd on the host to
# snapshot the disks, thaws, and runs the post-script, which resumes it.
# The host then checks the snapshot's images (demo/images.sh).
. /tests/cases/scenario.sh

case_application_consistent_snapshot() {
	start_application
	echo "The application's scripts, in Azure's configuration:"
	cat /etc/azure/VMSnapshotScriptPluginConfig.json
	echo "The application has written $(last_record) records to each disk so far."
	snapshot
	expect_application_snapshot demo
	echo "The end of extension.log:"
	extension_log | tail -n 12
}
