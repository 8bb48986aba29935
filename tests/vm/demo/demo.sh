# What "make demo" shows: the module as DKMS built it, loaded in a booted
# test kernel, freezing three filesystems as one session.

case_freeze_three_filesystems() {
	load_module
	mount_disks
	for command in "snapfreeze status" \
		"snapfreeze freeze --detach --timeout 30 /mnt/ext4 /mnt/xfs /mnt/btrfs" \
		"snapfreeze status" "snapfreeze thaw 1"; do
		echo "\$ $command"
		$command || fail "$command"
	done
}
