# Freezes that cannot finish, and sessions ended while they still freeze:
# the session ends at its deadline all the same, THAW answers once nothing
# is or will be frozen, and nothing waits on a freeze that does not return.
#
# The stuck filesystem is ext4 on a device-mapper device over a loop image:
# suspended (without freezing it) with dirty data to write, its freeze
# waits until the device resumes.

PARAMS=/sys/module/snapfreeze/parameters

# stall_setup [IMAGE]: /mnt/stack/stall, on the device "stall", its image
# at IMAGE (default in /tmp, on no target). Its inode tables are written by
# mke2fs, not by ext4lazyinit once mounted: that thread holds s_umount
# while it writes, and on the suspended device it would hold it until the
# device resumed, the freeze waiting at its barrier all the while.
stall_setup() {
	image=${1:-/tmp/stall.img}
	truncate -s 64M "$image"
	make_ext4 "$(make_dm stall "$(attach_loop "$image")" 131072)" /mnt/stack/stall \
		-E lazy_itable_init=0
}

stall_hold() {
	dd if=/dev/zero of=/mnt/stack/stall/dirty bs=1M count=4 2>/dev/null
	dmsetup suspend --nolockfs --noflush stall || fail "dmsetup suspend stall"
}

stall_release() {
	dmsetup resume stall || fail "dmsetup resume stall"
}

session_freezing() {
	snapfreeze status --json | grep -q '"state":"freezing"'
}

# A session still freezing that a THAW request told to end.
session_ending() {
	snapfreeze status --json | grep -q '"state":"freezing".*"reason":"request"'
}

# in_freeze_super: a thread of the module is inside freeze_super(), past
# its level's barrier (7.3's compiler splits it: freeze_super.part.0).
in_freeze_super() {
	for stack in $(grep -Els ' freeze_super[+.]' /proc/[0-9]*/stack); do
		grep -qs '^snapfreeze' "${stack%stack}comm" && return 0
	done
	return 1
}

# module_stacks: the kernel stacks of the module's threads, on one line.
module_stacks() {
	for comm in /proc/[0-9]*/comm; do
		grep -qs '^snapfreeze' "$comm" &&
			! grep -qs sf_spare_thread "${comm%comm}stack" &&
			echo "$(cat "$comm"): $(tr '\n' ' ' <"${comm%comm}stack")"
	done
}

module_unused() {
	[ "$(cat /sys/module/snapfreeze/refcnt)" = 0 ]
}

# start_freeze TIMEOUT TARGET...: a detached freeze in the background, its
# pid in $freezer, its output in /tmp/freeze.out and .err; returns once
# the session is freezing.
start_freeze() {
	timeout=$1
	shift
	snapfreeze freeze --detach --json --timeout "$timeout" "$@" \
		>/tmp/freeze.out 2>/tmp/freeze.err &
	freezer=$!
	wait_until 10 session_freezing || fail "the session is not freezing"
}

# stuck_session_setup: the stalled filesystem, still taking writes, a
# watcher of one event, and stuck_after_ms 1000.
stuck_session_setup() {
	load_module
	mount_disks
	stack_reset
	stall_setup
	echo 1000 >"$PARAMS/stuck_after_ms"
	start_watcher 1
}

# expect_session_ends_stuck WHAT: a session of /mnt/xfs and the stalled
# filesystem, 2 s long, fails naming the latter stuck, and leaves /mnt/xfs
# writable and no session; its THAWED event in $events.
expect_session_ends_stuck() {
	run snapfreeze freeze --detach --json --timeout 2 /mnt/xfs /mnt/stack/stall
	expect_eq "$status" 1 "$1"
	expect_match "$err" "/mnt/stack/stall: stuck" "the stuck target named"
	expect_writable /mnt/xfs
	expect_no_sessions
	wait_until 5 gone "$watcher" || fail "no thawed event"
	events=$(cat /tmp/events)
	expect_match "$events" '"path":"/mnt/stack/stall"[^}]*"stuck":true' \
		"the event names the stuck target"
}

case_stuck_freeze_ends_at_its_deadline() {
	stuck_session_setup
	stall_hold
	expect_session_ends_stuck "freeze with a target that cannot freeze"
	# The stuck freeze holds the module: unloading is refused at once.
	run rmmod snapfreeze
	[ "$status" != 0 ] || fail "rmmod succeeded while a freeze was stuck"
	module_loaded || fail "the module went"
	stall_release
	wait_until 10 module_unused || fail "the stuck freeze did not return"
	expect_writable /mnt/stack/stall
	unload_module
	stack_reset
}

# Another task holds a target's s_umount (a syncfs, waiting on the
# suspended device): its thread cannot reach the barrier, which holds every
# thread of the level. The session ends at its deadline with nothing
# frozen, the other target included; the thread, once it has the lock,
# freezes nothing and lets the module go.
case_barrier_held_by_s_umount_freezes_nothing() {
	stuck_session_setup
	stall_hold
	sync -f /mnt/stack/stall/dirty &
	syncer=$!
	wait_until 10 blocked "$syncer" || fail "the syncfs did not wait on the suspended device"
	expect_session_ends_stuck "freeze with a target whose s_umount is held"
	expect_match "$events" '"path":"/mnt/xfs"[^}]*"freeze_ns":0,' \
		"the target at the barrier never froze"
	module_unused && fail "the thread waiting for s_umount does not hold the module"
	stall_release
	wait_until 10 gone "$syncer" || fail "the syncfs did not return once the device resumed"
	wait_until 10 module_unused || fail "the thread did not exit once it had s_umount"
	expect_writable /mnt/stack/stall
	expect_no_sessions
	unload_module
	stack_reset
}

# frozen_while_freezing PATH: the session, still freezing and not told to
# end (no reason: its deadline has not passed), has frozen its target PATH
# (its freeze returned: it has a freeze_ns).
frozen_while_freezing() {
	sessions=$(snapfreeze status --json)
	printf '%s\n' "$sessions" | grep -q '"state":"freezing"' &&
		! printf '%s\n' "$sessions" | grep -q '"reason":' &&
		printf '%s\n' "$sessions" | grep -q "\"path\":\"$1\"[^}]*\"freeze_ns\":[1-9]"
}

# A write in flight that does not finish (stallwrite's: its data is a page
# userfaultfd has not filled) holds /mnt/ext4 before its cut. The other
# targets of its level freeze all the same: their writeback waits for
# /mnt/ext4's writes in flight behind its gates for at most 1 s. Once the
# write finishes, /mnt/ext4 freezes too, and the session is frozen.
case_write_in_flight_holds_the_others_writeback_for_at_most_1_s() {
	load_module
	mount_disks
	stallwrite /mnt/ext4/stalled >/tmp/stallwrite.out &
	stalled=$!
	wait_until 10 grep -qx "in flight" /tmp/stallwrite.out ||
		fail "the write never waited on its page"
	start_freeze 30 /mnt/xfs /mnt/btrfs /mnt/ext4
	for mount_point in /mnt/xfs /mnt/btrfs; do
		wait_until 10 frozen_while_freezing "$mount_point" ||
			fail "$mount_point did not freeze while a write in flight held /mnt/ext4"
	done
	session_freezing || fail "the session froze with a write in flight on /mnt/ext4"
	kill "$stalled"
	wait "$stalled"
	expect_eq "$?" 0 "stallwrite, once its page was filled"
	wait "$freezer"
	expect_eq "$?" 0 "the freeze, once the write in flight finished"
	run snapfreeze thaw --all
	expect_eq "$status" 0 "thaw --all"
	for mount_point in /mnt/xfs /mnt/btrfs /mnt/ext4; do
		expect_writable "$mount_point"
	done
	rm -f /mnt/ext4/stalled
	expect_no_sessions
}

# What is frozen is thawed at once, and the reply waits for the freeze that
# still runs: then nothing of the session is frozen, nor will be.
case_thaw_all_while_freezing() {
	load_module
	mount_disks
	stack_reset
	stall_setup
	echo 20000 >"$PARAMS/stuck_after_ms"
	stall_hold
	start_freeze 30 /mnt/xfs /mnt/stack/stall
	snapfreeze thaw --all >/tmp/thaw.out 2>&1 &
	thawer=$!
	expect_writable /mnt/xfs
	gone "$thawer" && fail "THAW replied while a freeze of the session still ran"
	stall_release
	wait_until 10 gone "$thawer" || fail "no THAW reply once the freeze returned"
	wait "$thawer"
	expect_eq "$?" 0 "thaw --all"
	expect_eq "$(cat /tmp/thaw.out)" "thawed 1 session" "thaw --all"
	wait "$freezer"
	expect_eq "$?" 1 "the freeze THAW ended"
	expect_match "$(cat /tmp/freeze.err)" "a THAW request ended the session" "message"
	expect_writable /mnt/stack/stall
	expect_no_sessions
	echo 3000 >"$PARAMS/stuck_after_ms"
	stack_reset
}

# The stuck filesystem's image on /mnt/ext4, so frozen first: a THAW while
# it freezes, and /mnt/ext4, the next level, is never frozen.
case_thaw_between_levels_freezes_nothing_more() {
	load_module
	mount_disks
	stack_reset
	stall_setup /mnt/ext4/stall.img
	echo 20000 >"$PARAMS/stuck_after_ms"
	start_watcher 1
	stall_hold
	start_freeze 30 /mnt/ext4 /mnt/stack/stall
	id=$(json_number "$(snapfreeze status --json)" id)
	# The session shows before its first level is let go.
	wait_until 10 in_freeze_super || {
		stacks=$(module_stacks)
		stall_release
		fail "the first level did not begin its freeze: $stacks"
	}
	expect_writable /mnt/ext4
	snapfreeze thaw "$id" >/tmp/thaw.out 2>&1 &
	thawer=$!
	# The THAW must have reached the module before the first level's
	# freeze returns.
	wait_until 10 session_ending || fail "the session never showed its THAW"
	stall_release
	wait_until 10 gone "$thawer" || fail "no THAW reply once the freeze returned"
	wait "$thawer"
	expect_eq "$?" 0 "thaw $id"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	events=$(cat /tmp/events)
	expect_match "$events" '"path":"/mnt/stack/stall"[^}]*"freeze_ns":[1-9]' \
		"the first level froze"
	expect_match "$events" '"path":"/mnt/ext4"[^}]*"freeze_ns":0,' \
		"the second level never froze"
	expect_writable /mnt/ext4
	expect_writable /mnt/stack/stall
	echo 3000 >"$PARAMS/stuck_after_ms"
	stack_reset
}

# rmmod while a session freezes is refused at once (the freeze holds the
# module) rather than waiting for it; the session goes on.
case_rmmod_while_freezing_refused() {
	load_module
	mount_disks
	stack_reset
	stall_setup
	echo 3000 >"$PARAMS/stuck_after_ms"
	stall_hold
	start_freeze 30 /mnt/xfs /mnt/stack/stall
	rmmod snapfreeze 2>/tmp/rmmod.err &
	remover=$!
	wait_until 10 gone "$remover" || fail "rmmod waited on the freeze"
	wait "$remover" && fail "rmmod succeeded while a session was freezing"
	session_freezing || fail "the session did not go on freezing"
	stall_release
	wait "$freezer"
	expect_eq "$?" 0 "the freeze, once the device resumed"
	unload_module
	expect_writable /mnt/xfs
	expect_writable /mnt/stack/stall
	stack_reset
}
