# The benchmark tables from the "# RESULT" lines of the guest (bench.sh)
# and of the agents' bench (tests/image/bench.sh): one per workload, light
# writers, heavy writers, then the guest agents under libvirt, each with a
# row per filesystem count and method, medians in milliseconds. A line
# without a workload is light (the guest's lines before there were two).
function field(name,   i) {
	for (i = 1; i < NF; i++) if ($i == name) return $(i + 1)
	return ""
}
function median(list,   v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((n + 1) / 2)] / 1e6
}
# The median of the longest last write before the cut ("-" for lines from
# before it was measured).
function last_write_cell(key) {
	return last_write[key] ~ /[0-9]/ ? sprintf("%.2f", median(last_write[key])) : "-"
}
# The median spread of the instants the kernel blocked new writes, in ms,
# or -1 for lines from before it was measured.
function kernel_block(key) {
	return block[key] ~ /[0-9]/ ? median(block[key]) : -1
}
function ms_cell(ms) {
	return ms < 0 ? "-" : sprintf("%.2f", ms)
}
function ratio_cell(loop, mine) {
	return loop >= 0 && mine > 0 ? sprintf("%.0fx", loop / mine) : "-"
}
function table(workload, title,   k, part, n, key, loop, loop_block, alone, s, c, f, rows) {
	for (k = 1; k <= keys; k++) {
		split(order[k], part, " ")
		if (part[1] != workload) continue
		if (!rows++) {
			print "### " title
			print ""
			print "| filesystems | method | spread (ms) | longest last write (ms) | kernel's block spread (ms) | request to all frozen (ms) | slowest filesystem alone (ms) | watchdog lateness (ms) | spread, loop / snapfreeze | kernel's block spread, loop / snapfreeze | all frozen / slowest alone |"
			print "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		}
		n = part[2]; key = order[k]
		if (part[3] == "fifreeze") {
			loop[n] = median(spread[key])
			loop_block[n] = kernel_block(key)
			alone[n] = slowest[key] ~ /[0-9]/ ? median(slowest[key]) : 0
			printf "| %d | FIFREEZE loop | %.2f | %s | %s | %.2f | %s | - | | | |\n", n, loop[n],
				last_write_cell(key), ms_cell(loop_block[n]), median(frozen[key]),
				(alone[n] > 0 ? sprintf("%.2f", alone[n]) : "-")
		} else {
			s = median(spread[key])
			c = kernel_block(key)
			f = median(frozen[key])
			printf "| %d | snapfreeze | %.2f (module: %.2f) | %s | %s | %.2f | | %.2f | %s | %s | %s |\n", n, s,
				median(module[key]), last_write_cell(key), ms_cell(c), f,
				median(late[key]), ratio_cell(loop[n], s),
				(c < 0 ? "-" : ratio_cell(loop_block[n], c)),
				(alone[n] > 0 ? sprintf("%.2f", f / alone[n]) : "-")
		}
	}
	if (rows) print ""
}
# The guest agents: qemu-ga's row, then snapfreeze agent's with the ratios.
function agents_table(   k, part, n, key, s, f, ga_spread, ga_frozen, rows) {
	for (k = 1; k <= keys; k++) {
		split(order[k], part, " ")
		if (part[1] != "agents") continue
		if (!rows++) {
			print "### Guest agents under virsh domfsfreeze"
			print ""
			print "| filesystems | agent | spread (ms) | longest last write (ms) | domfsfreeze to all frozen (ms) | spread, qemu-ga / snapfreeze | all frozen, qemu-ga / snapfreeze |"
			print "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
		}
		n = part[2]; key = order[k]
		s = median(spread[key])
		f = median(frozen[key])
		if (part[3] == "qemu-ga") {
			ga_spread[n] = s
			ga_frozen[n] = f
			printf "| %d | qemu-ga | %.2f | %s | %.2f | | |\n", n, s, last_write_cell(key), f
		} else {
			printf "| %d | snapfreeze agent | %.2f | %s | %.2f | %s | %s |\n", n, s,
				last_write_cell(key), f,
				ratio_cell(ga_spread[n], s),
				(f > 0 ? sprintf("%.2f", ga_frozen[n] / f) : "-")
		}
	}
	if (rows) print ""
}
{
	workload = field("workload")
	key = (workload == "" ? "light" : workload) " " field("n") " " field("method")
	if (!(key in spread)) order[++keys] = key
	spread[key] = spread[key] " " field("spread_ns")
	frozen[key] = frozen[key] " " field("all_frozen_ns")
	module[key] = module[key] " " field("module_spread_ns")
	late[key] = late[key] " " field("lateness_ns")
	slowest[key] = slowest[key] " " field("slowest_ns")
	last_write[key] = last_write[key] " " field("last_write_ns")
	block[key] = block[key] " " field("block_spread_ns")
}
END {
	table("light", "Light writers")
	table("heavy", "Heavy writers")
	agents_table()
}
