# "make bench": when does each filesystem stop taking writes? Each ext4
# filesystem has a writer of its own, under one of two workloads:
# - light (case_freeze_spread, 1, 4 and 16 filesystems): "freezebench
#   write", an 8-byte stamp every 200 us;
# - heavy (case_heavy_writer_spread, 4, 16 and 64 filesystems):
#   "freezebench write-heavy", 64 KiB buffered writes back to back, as a
#   busy database writes.
# snapfreeze (one session, thawed by its watchdog) against a sequential
# FIFREEZE loop, three times each. Prints one "RESULT" line per measurement.
# Up to 16 filesystems are the bench disks themselves; 64 are loop devices
# on them (loop_mounts).

# write-heavy writes its file over from its start once it holds that many
# MiB: a quarter of a bench disk. The case sets it lower for the small loop
# filesystems.
heavy_max_mib=32

bench_mounts() { # bench_mounts N: the first N bench disks, mounted
	ls /dev/vd? | tail -n +4 | head -n "$1" | while read -r dev; do
		mount_point=/mnt/bench-${dev#/dev/}
		mkdir -p "$mount_point"
		grep -q " $mount_point " /proc/mounts ||
			mount -t ext4 "$dev" "$mount_point" || exit 1
		echo "$mount_point"
	done
}

# loop_mounts N: N ext4 filesystems of 24 MiB, each an image on a bench disk
# (spread over the 16: four on each for 64) attached to a loop device,
# mounted at /mnt/loop-I. The bench disks under them are not frozen, and no
# loop filesystem is stored on another: all N freeze at one level.
loop_mounts() {
	disks=$(bench_mounts 16) || exit 1
	i=0
	while [ "$i" -lt "$1" ]; do
		for disk in $disks; do
			[ "$i" -lt "$1" ] || break
			i=$((i + 1))
			loop_mount "$disk/loop-$i.img" "/mnt/loop-$i" || exit 1
			echo "/mnt/loop-$i"
		done
	done
}

# loop_mount IMAGE MOUNT: a new ext4 filesystem in IMAGE, mounted at MOUNT
# through a free loop device (unless MOUNT is mounted already). Busybox's
# mke2fs makes no journal: e2fsprogs' mkfs.ext4 does.
loop_mount() {
	mkdir -p "$2"
	grep -q " $2 " /proc/mounts && return 0
	truncate -s 24M "$1" && mkfs.ext4 -q -F "$1" >/dev/null || return 1
	dev=$(losetup -f) && losetup "$dev" "$1" || return 1
	mount -t ext4 "$dev" "$2"
}

# loop_unmount: undoes loop_mounts. A session holds its filesystems a moment
# past its end: an unmount may have to wait for it. (A device still held
# is detached once let go.)
loop_unmount() {
	awk '$2 ~ "^/mnt/loop-" { print $1, $2 }' /proc/mounts |
		while read -r dev mount_point; do
			wait_until 10 umount "$mount_point" 2>/dev/null ||
				fail "umount $mount_point"
			losetup -d "$dev" || fail "losetup -d $dev"
		done || exit 1
	rm -f /mnt/bench-vd?/loop-*.img
}

# start_writers WORKLOAD MOUNT...: a writer on each MOUNT, once each has
# written; their pids in $pids, the stamp files "analyze" reads in $stamps.
start_writers() {
	workload=$1
	shift
	pids=
	files=
	stamps=
	i=0
	for mount_point in "$@"; do
		i=$((i + 1))
		if [ "$workload" = heavy ]; then
			freezebench write-heavy "$mount_point/data" \
				"/tmp/heavy-$i.log" "$heavy_max_mib" &
			files="$files $mount_point/data"
			stamps="$stamps /tmp/heavy-$i.log"
		else
			freezebench write "$mount_point/stamps" &
			files="$files $mount_point/stamps"
			stamps="$stamps $mount_point/stamps"
		fi
		pids="$pids $!"
	done
	for file in $files; do
		wait_until 60 test -s "$file" || fail "writer on $file did not start within 60 s"
	done
}

# stop_writers WORKLOAD: SIGTERM to the writers, and their end. A heavy
# writer then writes its log, and exits 0; its data file goes, for the
# room the loop filesystems' images need on the bench disks.
stop_writers() {
	kill $pids
	for pid in $pids; do
		wait_until 30 gone "$pid" || fail "writer $pid still there 30 s after SIGTERM"
		wait "$pid"
		status=$?
		[ "$1" = light ] || [ "$status" = 0 ] ||
			fail "freezebench write-heavy exited with status $status"
	done
	[ "$1" = light ] || rm -f $files
}

# Every measurement, of either method, traces when each filesystem stopped
# taking new writes, as the kernel blocked them (block.awk): the writers'
# stamps place that instant only to within their last write, which under
# heavy writers lasts tens of milliseconds, and they count the writes in
# flight, which finish after it.
# With SNAPFREEZE_BENCH_TRACE=1 (BENCH_TRACE in the guest), each snapfreeze
# measurement under heavy writers is traced further: the freezer threads'
# wakeups and runs; in each freeze_super(), the first level's RCU grace
# period (rcu_sync_enter() returning), its write cut (percpu_down_write()
# returning: new writes blocked and those in flight done), the sync
# (sync_filesystem()) and the return; the writers' dirty throttling; and
# the FREEZE request's start (sf_session_freeze()).
# probes_report sums it up. The return probes allow 64 threads at once
# (the default, 2 per CPU, would miss most of them).
tracing=/sys/kernel/tracing

# probes_start TRACED: block.awk's probes, and with TRACED=1 the rest.
# Only a traced run records the tasks' names: recording them hooks the
# scheduler's tracepoints, which patches the scheduler's code each time,
# and under TCG a kernel patching code that another CPU runs very rarely
# dies of it (an int3 oops in __schedule() was seen; boot-again.sh).
probes_start() {
	[ -d "$tracing/events" ] || mount -t tracefs tracefs "$tracing" ||
		fail "mount tracefs"
	echo 0 >"$tracing/tracing_on"
	echo "$1" >"$tracing/options/record-cmd"
	[ "$1" = 0 ] || echo 16384 >"$tracing/buffer_size_kb"
	echo >"$tracing/trace"
	{
		echo 'p:sf/stop_freeze freeze_super'
		echo 'r64:sf/stop_gp rcu_sync_enter'
	} >"$tracing/kprobe_events" || fail "kprobe events"
	if [ "$1" = 1 ]; then
		{
			echo 'p:sf/request sf_session_freeze'
			echo 'p:sf/freeze freeze_super'
			echo 'r64:sf/gp rcu_sync_enter'
			echo 'r64:sf/blocked percpu_down_write'
			echo 'p:sf/sync sync_filesystem'
			echo 'r64:sf/frozen freeze_super ret=$retval'
		} >>"$tracing/kprobe_events" || fail "kprobe events"
		echo 'comm ~ "snapfreeze*"' >"$tracing/events/sched/sched_wakeup/filter"
		echo 1 >"$tracing/events/sched/sched_wakeup/enable"
		echo 'next_comm ~ "snapfreeze*"' >"$tracing/events/sched/sched_switch/filter"
		echo 1 >"$tracing/events/sched/sched_switch/enable"
		echo 1 >"$tracing/events/writeback/balance_dirty_pages/enable"
	fi
	echo 1 >"$tracing/events/sf/enable"
	echo 1 >"$tracing/tracing_on"
}

# probes_report N TRACED: $block, "block_spread_ns NS" for the RESULT line,
# once the trace holds N freezes; with TRACED=1, the "TRACE" line.
probes_report() {
	echo 0 >"$tracing/tracing_on"
	block=$(awk -v n="$1" -f /tests/cases/block.awk "$tracing/trace") ||
		fail "the trace of the instants new writes were blocked"
	[ "$2" = 0 ] || awk -v n="$1" -f /tests/cases/trace.awk "$tracing/trace"
	echo 0 >"$tracing/events/enable"
	echo >"$tracing/kprobe_events"
}

# measure WORKLOAD METHOD MOUNT...: prints a RESULT line. Under heavy
# writers a freeze first writes their dirty data back: snapfreeze's
# watchdog gets 5 s for it instead of 1 (30 s for the 64 loop
# filesystems, of which one alone was seen to take 4.6 s, and all of them
# more than 5), and the FIFREEZE loop holds 1 s
# instead of 300 ms, for the pause of each filesystem's freeze to stay
# well above the writers' own waits (the kernel throttles a writer that
# dirties too fast, up to 200 ms at a time).
measure() {
	workload=$1
	method=$2
	shift 2
	if [ "$workload" = heavy ]; then
		timeout_s=$(($# > 16 ? 30 : 5))
		hold_ms=1000
	else
		timeout_s=1
		hold_ms=300
	fi
	traced=0
	[ "$method/$workload/${BENCH_TRACE:-0}" = snapfreeze/heavy/1 ] && traced=1
	start_writers "$workload" "$@"
	since=$(freezebench now)
	probes_start "$traced"
	if [ "$method" = snapfreeze ]; then
		start_watcher 2
		out=$(snapfreeze freeze --detach --json --timeout "$timeout_s" "$@") ||
			fail "snapfreeze freeze"
		wait_until $((timeout_s + 30)) gone "$watcher" ||
			fail "no thaw within $((timeout_s + 30)) s"
		wait "$watcher"
		thawed=$(tail -n 1 /tmp/events)
		# Each target has a freeze_ns too: the session's comes before.
		session=${out%%\"targets\":*}
		extra="all_frozen_ns $(json_number "$session" freeze_ns)"
		extra="$extra module_spread_ns $(json_number "$session" spread_ns)"
		extra="$extra lateness_ns $(($(json_number "$thawed" duration_ns) - timeout_s * 1000000000))"
	else
		extra=$(freezebench fifreeze "$hold_ms" "$@") || fail "FIFREEZE loop"
		extra=${extra#start_ns * }
	fi
	probes_report "$#" "$traced"
	stop_writers "$workload"
	result=$(freezebench analyze "$since" $stamps) || fail "analyze"
	echo "RESULT workload $workload n $# method $method $result $block $extra"
}

case_freeze_spread() {
	load_module
	[ "$BENCH_DISKS" -ge 16 ] || fail "the benchmark needs 16 extra disks (SNAPFREEZE_VM_BENCH_DISKS)"
	for n in 1 4 16; do
		mounts=$(bench_mounts "$n") || fail "mount the bench disks"
		for run in 1 2 3; do
			for method in fifreeze snapfreeze; do
				measure light "$method" $mounts
			done
		done
	done
}

rcu_stall_timeout=/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout

# 4 and 16 filesystems are bench disks, 64 the loop filesystems on them
# (their writers' files 8 MiB, a third of 24).
case_heavy_writer_spread() {
	load_module
	[ "$BENCH_DISKS" -ge 16 ] || fail "the benchmark needs 16 extra disks (SNAPFREEZE_VM_BENCH_DISKS)"
	# A freeze holds writers while dirty data is written back: at 64
	# filesystems under TCG, writers were seen blocked past the guest's
	# 30 s hung-task limit, whose reports fail the run. Such a wait is what
	# the bench measures, not a fault.
	echo 600 >/proc/sys/kernel/hung_task_timeout_secs
	# And 64 writers on 2 CPUs starve the kernel's nice 19 threads: a
	# khugepaged preempted in an RCU read section was seen held off past
	# RCU's 21 s stall limit (a report, which fails the run). That is the
	# load, not a fault of the freeze; the limit goes to its maximum.
	stall_timeout=$(cat "$rcu_stall_timeout")
	echo 300 >"$rcu_stall_timeout"
	for n in 4 16 64; do
		if [ "$n" -le 16 ]; then
			heavy_max_mib=32
			mounts=$(bench_mounts "$n") || fail "mount the bench disks"
		else
			heavy_max_mib=8
			mounts=$(loop_mounts "$n") || fail "make $n loop filesystems"
		fi
		for run in 1 2 3; do
			for method in fifreeze snapfreeze; do
				measure heavy "$method" $mounts
			done
		done
	done
	loop_unmount
	echo 30 >/proc/sys/kernel/hung_task_timeout_secs
	echo "$stall_timeout" >"$rcu_stall_timeout"
}
