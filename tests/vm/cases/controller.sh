# The snapfreeze command's view of the system, in a booted kernel.

# What "mounts" chooses is exactly what the module can freeze in one session.
case_mounts_chooses_what_can_be_frozen() {
	load_module
	mount_disks
	mkdir -p /mnt/ext4/bind /mnt/bind
	mount --bind /mnt/ext4/bind /mnt/bind || fail "bind mount"
	run snapfreeze mounts --json
	umount /mnt/bind
	expect_eq "$status" 0 "snapfreeze mounts"
	freeze=$(printf '%s' "$out" | sed 's/"skipped".*//')
	for fs in ext4 xfs btrfs; do
		expect_match "$freeze" "\"mount_point\":\"/mnt/$fs\"" "/mnt/$fs frozen"
	done
	expect_match "$out" '"mount_point":"/mnt/bind".*"reason":"same filesystem as","same_as":"/mnt/ext4"' \
		"bind mount skipped"
	expect_match "$out" '"mount_point":"/proc","fstype":"proc".*"reason":"not a local filesystem' \
		"proc skipped"
	targets=$(snapfreeze mounts | awk '/^skipped/ { exit } /^  / { print $1 }')
	freeze_detached $targets
	expect_match "$out" '"state":"frozen"' "every chosen filesystem frozen"
	run snapfreeze thaw "$id"
	expect_eq "$status" 0 "thaw"
}
