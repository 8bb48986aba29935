# Sums up the trace of one traced snapfreeze measurement (bench.sh's
# probes_start), in the guest, with busybox awk: one "TRACE" line. -v n=N,
# the number of filesystems. From the FREEZE request to the first thread
# let go (start: its threads taken and at the barrier, their filesystems'
# s_umount held); per freezer thread, in ms:
# - run: from its last wakeup before freezing (the barrier) to running;
# - entry: entering freeze_super(), from the first thread let go;
# - gp: the first level's RCU grace period (rcu_sync_enter()), from entry;
# - drain: from then to the write cut (percpu_down_write() returning: new
#   writes blocked, those in flight done);
# - block: the first level's grace period over, new writes blocked (the
#   instant the filesystem stops taking writes: those in flight go on);
#   the spread of those instants;
# - cut: the write cut, from the first thread let go; its spread;
# - sync: from the cut to sync_filesystem() (the page-fault level: its
#   grace period, and the module's writeback gate);
# - frozen: freeze_super() returning, from the cut;
# who woke the threads past their grace period: RCU's grace-period
# kthread, a kworker (past the fifth waiter, on kernels that wake
# synchronize_rcu() callers from the grace-period kthread:
# rcu_normal_wake_from_gp), or another task; from the first thread past
# its grace period to the first one a kworker woke;
# and the writers in a throttle pause (balance_dirty_pages) when the
# threads were let go, with the longest time one of them still had to
# sleep.

function stamp(   i) {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^[0-9]+\.[0-9]+:$/)
			return substr($i, 1, length($i) - 1) * 1000
	return -1
}

function pid_of(task) {
	return substr(task, match(task, /-[0-9]+$/) + 1)
}

function comm_of(task) {
	return substr(task, 1, match(task, /-[0-9]+$/) - 1)
}

function value(key,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, key "=") == 1)
			return substr($i, length(key) + 2)
	return ""
}

# stat(LIST, COUNT, WHICH): the median of LIST's COUNT numbers, or their
# maximum when WHICH is "max".
function stat(list, count, which,   a, i, j, t) {
	split(list, a, " ")
	for (i = 2; i <= count; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return which == "max" ? a[count] : a[int((count + 1) / 2)]
}

function both(name, list) {
	return sprintf(" %s_ms median %.2f max %.2f", name, stat(list, threads),
		       stat(list, threads, "max"))
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
	waker[p] = comm_of($1)
	if (!(p in entry)) {
		woken[p] = t
		delete ran[p]
	}
	next
}

/ sched_switch: / {
	p = value("next_pid")
	if ((p in woken) && !(p in ran) && !(p in entry))
		ran[p] = t
	next
}

/ request: / { if (request == "") request = t; next }
/ freeze: / { entry[pid] = t; next }
/ gp: / {
	if ((pid in entry) && !(pid in gp)) {
		gp[pid] = t
		gp_waker[pid] = waker[pid]
	}
	next
}
/ blocked: / { if ((pid in gp) && !(pid in blocked)) blocked[pid] = t; next }
/ sync: / { if (pid in blocked) synced[pid] = t; next }
/ frozen: / { if (pid in synced) frozen[pid] = t; next }

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
		if ((p in woken) && (go < 0 || woken[p] < go))
			go = woken[p]
	threads = 0
	for (p in frozen) {
		if (!(p in woken) || !(p in ran))
			continue
		threads++
		runs = runs " " (ran[p] - woken[p])
		entries = entries " " (entry[p] - go)
		gps = gps " " (gp[p] - entry[p])
		drains = drains " " (blocked[p] - gp[p])
		cuts = cuts " " (blocked[p] - go)
		syncs = syncs " " (synced[p] - blocked[p])
		to_frozen = to_frozen " " (frozen[p] - blocked[p])
		if (first_block == "" || gp[p] < first_block) first_block = gp[p]
		if (last_block == "" || gp[p] > last_block) last_block = gp[p]
		if (gp_waker[p] ~ /^rcu_/)
			by_rcu++
		else if (gp_waker[p] ~ /^kworker/) {
			by_kworker++
			if (first_kworker == "" || gp[p] < first_kworker)
				first_kworker = gp[p]
		} else
			by_other++
		if (first_cut == "" || blocked[p] < first_cut) first_cut = blocked[p]
		if (last_cut == "" || blocked[p] > last_cut) last_cut = blocked[p]
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
	printf "TRACE n %d threads %d start_ms %.2f%s%s%s block_spread_ms %.2f%s%s cut_spread_ms %.2f%s%s",
		n, threads, request == "" ? -1 : go - request,
		both("run", runs), both("entry", entries),
		both("gp", gps), last_block - first_block, both("drain", drains),
		both("cut", cuts), last_cut - first_cut,
		both("sync", syncs), both("frozen", to_frozen)
	printf " gp_woken_by_rcu %d gp_woken_by_kworker %d gp_woken_by_other %d kworker_first_ms %.2f",
		by_rcu, by_kworker, by_other,
		first_kworker == "" ? 0 : first_kworker - first_block
	printf " writers_in_pause %d longest_remaining_ms %.2f longest_pause_ms %d\n",
		in_pause, remaining, longest_pause
}
