# Sums up the trace of one traced snapfreeze measurement (bench.sh's
# trace_start), in the guest, with busybox awk: one "TRACE" line. -v n=N,
# the number of filesystems. Times in ms from the instant the freezer
# threads were let go (the first wakeup of a thread that then froze):
# - run: from its wakeup to the thread running (scheduling);
# - entry: the thread entering freeze_super();
# - cut: its sync_filesystem(), once writes and page faults are blocked,
#   from entry (waiting for the writes in flight, and RCU);
# - frozen: freeze_super() returning, from the cut (the writeback);
# - writers in a throttle pause (balance_dirty_pages) when the threads
#   were let go, and the longest time one of them still had to sleep.

function stamp(   i) {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^[0-9]+\.[0-9]+:$/)
			return substr($i, 1, length($i) - 1) * 1000
	return -1
}

function pid_of(task) {
	return substr(task, match(task, /-[0-9]+$/) + 1)
}

function value(key,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, key "=") == 1)
			return substr($i, length(key) + 2)
	return ""
}

function sorted_stat(list, count, which,   a, i, j, t) {
	split(list, a, " ")
	for (i = 2; i <= count; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (which == "max")
		return a[count]
	return a[int((count + 1) / 2)]
}

/^#/ { next }

{
	t = stamp()
	if (t < 0)
		next
	pid = pid_of($1)
}

/ sched_wakeup: / {
	p = value("pid")
	if (!(p in entry))
		woken[p] = t
	next
}

/ sched_switch: / {
	p = value("next_pid")
	if ((p in woken) && !(p in ran) && t >= woken[p])
		ran[p] = t
	next
}

/ freeze: / { entry[pid] = t; wake_at[pid] = woken[pid]; run_at[pid] = ran[pid]; next }
/ cut: / { if (pid in entry) cut[pid] = t; next }
/ frozen: / { if (pid in cut) frozen[pid] = t; next }

/ balance_dirty_pages: / {
	pause = value("pause") + 0
	if (pause > 0) {
		pauses++
		pause_pid[pauses] = pid
		pause_at[pauses] = t
		pause_ms[pauses] = pause
		if (pause > longest_pause)
			longest_pause = pause
	}
}

END {
	go = -1
	for (p in entry)
		if (wake_at[p] != "" && (go < 0 || wake_at[p] < go))
			go = wake_at[p]
	threads = 0
	for (p in frozen) {
		threads++
		runs = runs " " (run_at[p] != "" ? run_at[p] - wake_at[p] : 0)
		entries = entries " " (entry[p] - go)
		to_cut = to_cut " " (cut[p] - entry[p])
		cuts = cuts " " (cut[p] - go)
		to_frozen = to_frozen " " (frozen[p] - cut[p])
		if (first_cut == "" || cut[p] < first_cut) first_cut = cut[p]
		if (last_cut == "" || cut[p] > last_cut) last_cut = cut[p]
	}
	if (!threads || go < 0) {
		print "TRACE n " n " no freeze traced"
		exit
	}
	in_pause = 0
	remaining = 0
	for (i = 1; i <= pauses; i++) {
		end_at = pause_at[i] + pause_ms[i]
		if (pause_at[i] <= go && end_at > go && !(pause_pid[i] in counted)) {
			counted[pause_pid[i]] = 1
			in_pause++
			if (end_at - go > remaining)
				remaining = end_at - go
		}
	}
	printf "TRACE n %d threads %d run_ms median %.2f max %.2f", n, threads,
		sorted_stat(runs, threads), sorted_stat(runs, threads, "max")
	printf " entry_ms max %.2f", sorted_stat(entries, threads, "max")
	printf " entry_to_cut_ms median %.2f max %.2f", sorted_stat(to_cut, threads),
		sorted_stat(to_cut, threads, "max")
	printf " cut_spread_ms %.2f last_cut_ms %.2f", last_cut - first_cut, last_cut - go
	printf " cut_to_frozen_ms median %.2f max %.2f", sorted_stat(to_frozen, threads),
		sorted_stat(to_frozen, threads, "max")
	printf " writers_in_pause %d longest_remaining_ms %.2f longest_pause_ms %d\n",
		in_pause, remaining, longest_pause
}
