# Filesystems stored on other targets (the image of a loop device, under
# partitions, device-mapper and more loops): each is frozen before the
# targets it is stored on, whatever the order they are named in, and every
# way the session ends thaws them all.

# check_stack PATH...: PATH stored on the next PATH, and so on. With dirty
# data on each, frozen with the targets named in both orders, thawed by a
# request and by the watchdog: the levels rise along the stack, and nothing
# stays frozen.
check_stack() {
	backward=$(printf '%s\n' "$@" | awk '{ l[NR] = $0 } END { while (NR) printf "%s ", l[NR--] }')
	for order in "$*" "$backward"; do
		for end in request watchdog; do
			for path in "$@"; do
				dd if=/dev/zero of="$path/dirty" bs=1M count=4 2>/dev/null
			done
			timeout=30
			[ "$end" = watchdog ] && timeout=5
			run snapfreeze freeze --detach --json --timeout "$timeout" $order
			expect_eq "$status" 0 "freeze $order"
			expect_match "$out" '"state":"frozen"' "frozen: $order"
			level=-1
			for path in "$@"; do
				next=$(target_level "$out" "$path")
				[ -n "$next" ] && [ "$next" -gt "$level" ] ||
					fail "$order: $path at level '$next', not above $level"
				level=$next
			done
			id=$(json_number "$out" id)
			if [ "$end" = request ]; then
				run snapfreeze thaw "$id"
				expect_eq "$status" 0 "thaw $order"
			else
				wait_until 15 no_sessions || fail "$order: no watchdog thaw"
			fi
			for path in "$@"; do
				expect_writable "$path"
			done
		done
	done
}

case_btrfs_on_a_loop_image() {
	load_module
	mount_disks
	stack_reset
	truncate -s 128M /mnt/ext4/btrfs.img
	dev=$(attach_loop /mnt/ext4/btrfs.img)
	mkfs.btrfs -q -f "$dev" >/dev/null || fail "mkfs.btrfs $dev"
	mkdir -p /mnt/stack/top
	mount -t btrfs "$dev" /mnt/stack/top || fail "mount $dev"
	check_stack /mnt/stack/top /mnt/ext4
	stack_reset
}

case_ext4_on_a_loop_partition() {
	load_module
	mount_disks
	stack_reset
	truncate -s 64M /mnt/ext4/part.img
	echo 'start=2048, type=83' | sfdisk -q /mnt/ext4/part.img || fail "sfdisk"
	dev=$(attach_loop /mnt/ext4/part.img -P)
	wait_until 5 test -b "${dev}p1" || fail "no partition ${dev}p1"
	make_ext4 "${dev}p1" /mnt/stack/top
	check_stack /mnt/stack/top /mnt/ext4
	stack_reset
}

# The middle filesystem a target, and not one.
case_two_level_loop() {
	load_module
	mount_disks
	stack_reset
	truncate -s 96M /mnt/ext4/mid.img
	make_ext4 "$(attach_loop /mnt/ext4/mid.img)" /mnt/stack/mid
	truncate -s 32M /mnt/stack/mid/top.img
	make_ext4 "$(attach_loop /mnt/stack/mid/top.img)" /mnt/stack/top
	check_stack /mnt/stack/top /mnt/stack/mid /mnt/ext4
	check_stack /mnt/stack/top /mnt/ext4
	stack_reset
}

case_device_mapper_on_a_loop() {
	load_module
	mount_disks
	stack_reset
	truncate -s 64M /mnt/ext4/dm.img
	make_ext4 "$(make_dm stacked "$(attach_loop /mnt/ext4/dm.img)" 131072)" /mnt/stack/top
	check_stack /mnt/stack/top /mnt/ext4
	stack_reset
}

# What a caller says of the storage is checked: no target stored on itself,
# on one that is not in the request, or in a cycle.
case_stored_on_checked() {
	load_module
	mount_disks
	run badmsg order /mnt/ext4 /mnt/xfs
	expect_eq "$status" 0 "badmsg ran"
	expect_match "$out" "order_stored_on_itself -22 a target cannot be stored on itself" \
		"stored on itself"
	expect_match "$out" "order_stored_on_a_missing_target -22 stored on a target that is not in the request" \
		"stored on a missing target"
	expect_match "$out" "order_stored_on_each_other -40 the targets are stored on each other in a cycle" \
		"a cycle"
	expect_no_sessions
	expect_writable /mnt/ext4
	expect_writable /mnt/xfs
}

# A caller that gives the order wrong (the holder of a loop image said to
# be stored on the loop's filesystem, so frozen first) cannot hang the
# session: the loop's freeze waits on the frozen holder until the deadline
# thaws it, then returns, and is thawed at once.
case_a_wrong_order_ends_at_the_deadline() {
	load_module
	mount_disks
	stack_reset
	truncate -s 64M /mnt/ext4/loop.img
	make_ext4 "$(attach_loop /mnt/ext4/loop.img)" /mnt/stack/top
	dd if=/dev/zero of=/mnt/stack/top/dirty bs=1M count=8 2>/dev/null
	run badmsg stored-on 2000 /mnt/ext4 /mnt/stack/top
	expect_eq "$status" 0 "badmsg ran"
	expect_match "$out" "^stored-on -110 " "the freeze timed out"
	expect_no_sessions
	expect_writable /mnt/ext4
	expect_writable /mnt/stack/top
	stack_reset
}
