# The freeze engine: what a frozen filesystem does, all or nothing, and every
# way a session ends.

case_write_blocks_until_thaw() {
	load_module
	mount_disks
	for fs in ext4 xfs btrfs; do
		echo before >"/mnt/$fs/data" && sync
		freeze_detached "/mnt/$fs"
		start_writer "/mnt/$fs/data" after
		wait_until 10 blocked "$writer" ||
			fail "$fs: a write to the frozen filesystem did not block"
		expect_eq "$(cat "/mnt/$fs/data")" before "$fs: content while frozen"
		run snapfreeze thaw "$id"
		expect_eq "$status" 0 "thaw session $id"
		wait_until 10 gone "$writer" || fail "$fs: the write did not complete after thaw"
		expect_eq "$(tr '\n' ' ' <"/mnt/$fs/data")" "before after " \
			"$fs: content after thaw"
	done
}

case_three_filesystems_in_one_session() {
	load_module
	mount_disks
	freeze_detached /mnt/ext4 /mnt/xfs /mnt/btrfs
	expect_match "$out" '"state":"frozen"' "session state"
	expect_match "$out" '"fstype":"ext4".*"fstype":"xfs".*"fstype":"btrfs"' "targets"
	expect_match "$out" '"spread_ns":[0-9]+' "spread reported"
	writers=
	for fs in ext4 xfs btrfs; do
		start_writer "/mnt/$fs/multi" x
		wait_until 10 blocked "$writer" || fail "$fs: a write did not block"
		writers="$writers $writer"
	done
	run snapfreeze thaw --json "$id"
	expect_match "$out" '"state":"thawed".*"reason":"request"' "thaw reply"
	expect_eq "$(printf '%s' "$out" | grep -o '"frozen_ns":[1-9][0-9]*' | wc -l)" 4 \
		"how long the session and each of its three targets stayed frozen"
	for writer in $writers; do
		wait_until 10 gone "$writer" || fail "a write did not complete after thaw"
	done
}

case_bad_target_leaves_all_thawed() {
	load_module
	mount_disks
	run snapfreeze freeze --detach /mnt/ext4 /mnt/xfs /nonexistent /mnt/btrfs
	expect_eq "$status" 1 "freeze with a missing target"
	expect_match "$err" "freeze: /nonexistent: cannot resolve the path" "message"
	mkdir -p /mnt/tmp
	grep -q " /mnt/tmp " /proc/mounts || mount -t tmpfs tmpfs /mnt/tmp
	run snapfreeze freeze --detach /mnt/ext4 /mnt/tmp
	expect_eq "$status" 1 "freeze with tmpfs"
	expect_match "$err" "/mnt/tmp: the filesystem does not support freezing" "message"
	run snapfreeze freeze --detach /mnt/ext4 /dev/vdb
	expect_eq "$status" 1 "freeze with a block device"
	expect_match "$err" "/dev/vdb: a block device: give the mount point" "message"
	# Frozen by someone else (FIFREEZE), found when the session registers.
	fsfreeze --freeze /mnt/btrfs || fail "fsfreeze --freeze /mnt/btrfs"
	run snapfreeze freeze --detach /mnt/ext4 /mnt/xfs /mnt/btrfs
	fsfreeze --unfreeze /mnt/btrfs
	expect_eq "$status" 1 "freeze with a filesystem frozen already"
	expect_match "$err" "/mnt/btrfs: the filesystem is frozen already" "message"
	expect_no_sessions
	for fs in ext4 xfs btrfs; do
		expect_writable "/mnt/$fs"
	done
}

case_watchdog_thaws_by_itself() {
	load_module
	mount_disks
	before=$(json_number "$(snapfreeze status --json)" watchdog_thaws)
	start_watcher 2
	freeze_detached --timeout 2 /mnt/ext4
	start_writer /mnt/ext4/watchdog x
	wait_until 5 blocked "$writer" || fail "a write did not block"
	wait_until 10 gone "$writer" || fail "the write did not resume: no watchdog thaw"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"event":"thawed".*"reason":"watchdog"' "event"
	expect_no_sessions
	expect_eq "$(json_number "$(snapfreeze status --json)" watchdog_thaws)" \
		"$((before + 1))" "watchdog_thaws counter"
}

case_owner_killed_thaws_within_a_second() {
	load_module
	mount_disks
	start_watcher 2
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	snapfreeze freeze --json --timeout 60 /mnt/xfs </tmp/hold >/tmp/owner.out 2>&1 3>&- &
	owner=$!
	wait_until 10 grep -q '"state":"frozen"' /tmp/owner.out || fail "not frozen"
	start_writer /mnt/xfs/owner x
	wait_until 5 blocked "$writer" || fail "a write did not block"
	kill -9 "$owner"
	wait_until 1 gone "$writer" || fail "still frozen a second after SIGKILL"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"reason":"owner-gone"' "event"
	exec 3>&-
	rm -f /tmp/hold
}

case_attached_freeze_released_at_end_of_input() {
	load_module
	mount_disks
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	snapfreeze freeze --json /mnt/btrfs </tmp/hold >/tmp/attached.out 2>&1 3>&- &
	pid=$!
	wait_until 10 grep -q '"state":"frozen"' /tmp/attached.out || fail "not frozen"
	exec 3>&-
	wait_until 10 gone "$pid" || fail "did not exit at the end of its input"
	wait "$pid"
	expect_eq "$?" 0 "exit status"
	expect_match "$(cat /tmp/attached.out)" '"state":"thawed".*"reason":"request"' "output"
	expect_writable /mnt/btrfs
	rm -f /tmp/hold
}

case_attached_freeze_reports_the_watchdog() {
	load_module
	mount_disks
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	snapfreeze freeze --timeout 1 /mnt/ext4 </tmp/hold >/tmp/attached.out 2>/tmp/attached.err 3>&- &
	pid=$!
	wait_until 10 gone "$pid" || fail "did not exit when the watchdog thawed"
	wait "$pid"
	expect_eq "$?" 5 "exit status"
	expect_match "$(cat /tmp/attached.err)" "ended before it was released: watchdog" "message"
	exec 3>&-
	rm -f /tmp/hold
	expect_writable /mnt/ext4
}

case_detached_session_outlives_its_creator() {
	load_module
	mount_disks
	freeze_detached /mnt/btrfs
	expect_match "$(snapfreeze status --json)" "\"id\":$id,\"state\":\"frozen\",\"detached\":true" \
		"session after its creator exited"
	start_writer /mnt/btrfs/detached x
	wait_until 5 blocked "$writer" || fail "a write did not block"
	run snapfreeze thaw "$id"
	expect_eq "$status" 0 "thaw"
	wait_until 10 gone "$writer" || fail "the write did not complete after thaw"
}

case_overlapping_sessions_refused() {
	load_module
	mount_disks
	freeze_detached /mnt/ext4
	run snapfreeze freeze --detach /mnt/xfs /mnt/ext4/lost+found
	expect_eq "$status" 1 "overlapping session"
	expect_match "$err" "/mnt/ext4/lost\+found: the filesystem is part of another session" "message"
	run snapfreeze freeze --detach /mnt/xfs /mnt/btrfs /mnt/btrfs/
	expect_eq "$status" 1 "one filesystem twice"
	expect_match "$err" "/mnt/btrfs/: on the same filesystem as another target" "message"
	expect_writable /mnt/xfs
	run snapfreeze thaw --all
	expect_eq "$out" "thawed 1 session" "thaw --all"
	expect_no_sessions
}

case_unload_while_frozen_thaws() {
	load_module
	mount_disks
	start_watcher 2
	freeze_detached /mnt/ext4 /mnt/xfs
	start_writer /mnt/ext4/unload x
	ext4_writer=$writer
	start_writer /mnt/xfs/unload x
	wait_until 5 blocked "$ext4_writer" || fail "a write did not block"
	unload_module
	wait_until 10 gone "$ext4_writer" || fail "ext4 still frozen after unload"
	wait_until 10 gone "$writer" || fail "xfs still frozen after unload"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"reason":"module-unload"' "event"
}

# A loop device's filesystem writes through to its image on another target:
# it must be frozen first and thawed last, or the freeze deadlocks.
case_loop_image_on_a_frozen_target() {
	load_module
	mount_disks
	truncate -s 64M /mnt/ext4/image
	mke2fs -F /mnt/ext4/image >/dev/null || fail "mke2fs"
	mkdir -p /mnt/loop
	mount -t ext4 -o loop /mnt/ext4/image /mnt/loop || fail "mount the image"
	dd if=/dev/zero of=/mnt/loop/dirty bs=1M count=8 2>/dev/null
	freeze_detached /mnt/ext4 /mnt/loop
	expect_match "$out" '"path":"/mnt/loop","dev":"7:[0-9]+","fstype":"ext4","level":0' \
		"the loop-backed filesystem first"
	run snapfreeze thaw --all
	expect_eq "$status" 0 "thaw"
	umount /mnt/loop
	rm /mnt/ext4/image
}

# The watchdog fires while the freezes still run: each is undone as it
# returns, and the request fails.
case_watchdog_during_the_freeze() {
	load_module
	mount_disks
	run snapfreeze freeze --detach --timeout 0.001 /mnt/ext4 /mnt/xfs /mnt/btrfs
	expect_eq "$status" 1 "freeze with a 1 ms timeout"
	expect_match "$err" "the timeout passed before every target was frozen" "message"
	expect_no_sessions
	for fs in ext4 xfs btrfs; do
		expect_writable "/mnt/$fs"
	done
}

# From 6.6 the kernel holds the freeze: a userspace FITHAW leaves it frozen
# (6.12 even reports success). Before, FITHAW thaws the filesystem, and the
# session says so when it ends.
case_fithaw_against_the_session() {
	load_module
	mount_disks
	freeze_detached /mnt/xfs
	if snapfreeze status --json | grep -q '"kernel-holder"'; then
		fsfreeze --unfreeze /mnt/xfs 2>/dev/null
		start_writer /mnt/xfs/fithaw x
		wait_until 5 blocked "$writer" || fail "FITHAW broke the kernel's freeze"
		run snapfreeze thaw --json "$id"
		expect_eq "$status" 0 "thaw"
		! printf '%s' "$out" | grep -q thaw_error || fail "thaw error reported: $out"
	else
		fsfreeze --unfreeze /mnt/xfs || fail "FITHAW refused before 6.6"
		expect_writable /mnt/xfs
		run snapfreeze thaw --json "$id"
		expect_eq "$status" 0 "thaw"
		expect_match "$out" '"thaw_error":"Invalid argument"' "thaw error reported"
	fi
	expect_writable /mnt/xfs
}

# The session holds the filesystem: unmounting it while frozen neither
# frees it under the session nor leaves it frozen.
case_unmount_while_frozen() {
	load_module
	mount_disks
	freeze_detached /mnt/btrfs
	umount /mnt/btrfs || fail "umount a frozen filesystem"
	run snapfreeze thaw --all
	expect_eq "$out" "thawed 1 session" "thaw after unmount"
	mount_disks
	expect_writable /mnt/btrfs
}

# gfs2 freezes itself (its own ->freeze_super, a freeze of the cluster): the
# generic freeze would bypass it, so such a target is refused by name, and
# nothing of the session is frozen.
case_self_freezing_filesystem_refused() {
	load_module
	mount_disks
	stack_reset
	truncate -s 256M /mnt/ext4/gfs2.img
	dev=$(attach_loop /mnt/ext4/gfs2.img)
	mkfs.gfs2 -O -p lock_nolock -j 1 -J 8 "$dev" >/dev/null 2>&1 || fail "mkfs.gfs2 $dev"
	mkdir -p /mnt/stack/gfs2
	mount -t gfs2 -o lockproto=lock_nolock "$dev" /mnt/stack/gfs2 || fail "mount gfs2"
	run snapfreeze freeze --detach /mnt/xfs /mnt/stack/gfs2
	expect_eq "$status" 1 "freeze with gfs2"
	expect_match "$err" "/mnt/stack/gfs2: the filesystem freezes itself" "message"
	expect_no_sessions
	expect_writable /mnt/xfs
	expect_writable /mnt/stack/gfs2
	stack_reset
}

# A level of more than 5 threads (as many as the grace-period kthread
# wakes) is let go with RCU's grace periods expedited for the whole
# machine, until that level's filesystems stopped taking writes; a smaller
# one is not. However a session ends, every rcu_expedite_gp() has its
# rcu_unexpedite_gp() by the time the request returns, or the machine
# stays expedited. The kernel counts the calls of each (kprobe_profile).
# The tasks' names are not recorded: that would patch the scheduler's code
# (see bench.sh's probes_start).
expedite_calls() {
	awk '$1 == "expedite" { e = $2 } $1 == "unexpedite" { u = $2 }
	     END { print e + 0, u + 0 }' /sys/kernel/tracing/kprobe_profile
}

# six_loop_filesystems: /mnt/stack/1 to 6, images on /mnt/ext4.
six_loop_filesystems() {
	for i in 1 2 3 4 5 6; do
		truncate -s 16M "/mnt/ext4/$i.img"
		make_ext4 "$(attach_loop "/mnt/ext4/$i.img")" "/mnt/stack/$i"
	done
}

case_expedited_grace_periods_end_with_each_level() {
	load_module
	mount_disks
	stack_reset
	tracing=/sys/kernel/tracing
	[ -d "$tracing/events" ] || mount -t tracefs tracefs "$tracing" ||
		fail "mount tracefs"
	echo 0 >"$tracing/options/record-cmd"
	{
		echo 'p:sfx/expedite rcu_expedite_gp'
		echo 'p:sfx/unexpedite rcu_unexpedite_gp'
	} >>"$tracing/kprobe_events" || fail "kprobes on rcu_(un)expedite_gp"
	echo 1 >"$tracing/events/sfx/enable"
	freeze_detached /mnt/ext4 /mnt/xfs /mnt/btrfs
	expect_eq "$(expedite_calls)" "0 0" "after a session of one level of 3"
	run snapfreeze thaw --all
	six_loop_filesystems
	freeze_detached /mnt/ext4 /mnt/xfs /mnt/btrfs /mnt/stack/[1-6]
	expect_eq "$(expedite_calls)" "1 1" \
		"after a session of a level of 6 on one of 3"
	run snapfreeze thaw --all
	run snapfreeze freeze --detach --timeout 0.001 /mnt/stack/[1-6]
	expect_eq "$status" 1 "freeze with a 1 ms timeout"
	calls=$(expedite_calls)
	expect_eq "${calls% *}" "${calls#* }" "expedite and unexpedite calls, ended by the watchdog"
	echo 0 >"$tracing/events/sfx/enable"
	echo '-:sfx/expedite' >>"$tracing/kprobe_events"
	echo '-:sfx/unexpedite' >>"$tracing/kprobe_events"
	expect_no_sessions
	stack_reset
}

# freezer_pids: the pids of the module's threads ("snapfreeze/N"), sorted.
freezer_pids() {
	awk '/^snapfreeze\// { split(FILENAME, path, "/"); print path[3] }' \
		/proc/[0-9]*/comm 2>/dev/null | sort -n
}

freezer_count_is() {
	[ "$(freezer_pids | wc -l)" = "$1" ]
}

# A session's freezes, and its request's steps, run on spare threads, made
# when the module loads (as many as a session may use: one per target, up
# to max_targets, and one for the request) and made again once a session
# has ended: none is made while the session waits for it.
case_freezes_run_on_spare_threads() {
	unload_module
	load_module
	mount_disks
	spares=$(($(cat /sys/module/snapfreeze/parameters/max_targets) + 1))
	wait_until 10 freezer_count_is "$spares" ||
		fail "the module keeps $(freezer_pids | wc -l) threads ready, not $spares"
	before=$(freezer_pids)
	freeze_detached /mnt/ext4 /mnt/xfs /mnt/btrfs
	# Listed twice, the threads from before drop out: what is left is new.
	expect_eq "$(printf '%s\n' "$before" "$before" "$(freezer_pids)" | sort -n | uniq -u)" "" \
		"threads made while the session froze"
	expect_eq "$(freezer_pids | wc -l)" $((spares - 1)) \
		"the module's threads while frozen (the request's has ended)"
	run snapfreeze thaw "$id"
	expect_eq "$status" 0 "thaw session $id"
	wait_until 10 freezer_count_is "$spares" ||
		fail "the stock was not made again after the session: $(freezer_pids | wc -l) threads"
	expect_eq "$(printf '%s\n' "$before" "$(freezer_pids)" | sort -n | uniq -u | wc -l)" 8 \
		"threads changed by the session (its four gone, four new spares)"
	unload_module
	expect_eq "$(freezer_pids)" "" "threads left after rmmod"
}
