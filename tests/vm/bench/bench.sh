# "make bench": when does each filesystem stop taking writes? For 1, 4 and
# 16 ext4 filesystems under continuous writers, snapfreeze (one session,
# thawed by its 1 s watchdog) against a sequential FIFREEZE loop (held
# 300 ms), three times each. Prints one "RESULT" line per measurement.

bench_mounts() { # bench_mounts N: the first N bench disks, mounted
	ls /dev/vd? | tail -n +4 | head -n "$1" | while read -r dev; do
		mount_point=/mnt/bench-${dev#/dev/}
		mkdir -p "$mount_point"
		grep -q " $mount_point " /proc/mounts ||
			mount -t ext4 "$dev" "$mount_point" || exit 1
		echo "$mount_point"
	done
}

# measure METHOD MOUNT...: prints a RESULT line.
measure() {
	method=$1
	shift
	pids=
	files=
	for mount_point in "$@"; do
		freezebench write "$mount_point/stamps" &
		pids="$pids $!"
		files="$files $mount_point/stamps"
	done
	for file in $files; do
		wait_until 10 test -s "$file" || fail "writer on $file did not start"
	done
	since=$(freezebench now)
	if [ "$method" = snapfreeze ]; then
		start_watcher 2
		out=$(snapfreeze freeze --detach --json --timeout 1 "$@") || fail "snapfreeze freeze"
		wait_until 30 gone "$watcher" || fail "no thaw within 30 s"
		thawed=$(tail -n 1 /tmp/events)
		# Each target has a freeze_ns too: the session's comes before.
		session=${out%%\"targets\":*}
		extra="all_frozen_ns $(json_number "$session" freeze_ns)"
		extra="$extra module_spread_ns $(json_number "$session" spread_ns)"
		extra="$extra lateness_ns $(($(json_number "$thawed" duration_ns) - 1000000000))"
	else
		extra=$(freezebench fifreeze 300 "$@") || fail "FIFREEZE loop"
		extra=${extra#start_ns * }
	fi
	kill $pids
	wait
	result=$(freezebench analyze "$since" $files) || fail "analyze"
	echo "RESULT n $# method $method $result $extra"
}

case_freeze_spread() {
	load_module
	[ "$BENCH_DISKS" -ge 16 ] || fail "the benchmark needs 16 extra disks (SNAPFREEZE_VM_BENCH_DISKS)"
	for n in 1 4 16; do
		mounts=$(bench_mounts "$n") || fail "mount the bench disks"
		for run in 1 2 3; do
			for method in fifreeze snapfreeze; do
				measure "$method" $mounts
			done
		done
	done
}
