# When each filesystem stopped taking new writes, as the kernel blocked
# them, from the trace of one measurement (bench.sh's probes_start), in the
# guest, with busybox awk: the first return of rcu_sync_enter() in each
# freeze_super() call (the first level's RCU grace period over: the
# freezing task then blocks new writes at once, and those in flight go
# on). -v n=N, the number of filesystems frozen. Prints "block_spread_ns
# NS", from the first of those instants to the last, or fails unless
# there were n of them.

function stamp(   i) {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^[0-9]+\.[0-9]+:$/)
			return substr($i, 1, length($i) - 1)
	return -1
}

function pid_of(task) {
	return substr(task, match(task, /-[0-9]+$/) + 1)
}

/^#/ { next }

/ stop_freeze: / { entered[pid_of($1)] = 1; next }

/ stop_gp: / {
	pid = pid_of($1)
	if (!entered[pid])
		next
	entered[pid] = 0
	t = stamp()
	if (!blocks || t < first) first = t
	if (!blocks || t > last) last = t
	blocks++
}

END {
	if (blocks != n) {
		printf "block.awk: %d freezes traced, %d expected\n", blocks, n > "/dev/stderr"
		exit 1
	}
	# The trace's stamps are seconds with 6 decimals: microseconds.
	printf "block_spread_ns %.0f\n", (last - first) * 1e9
}
