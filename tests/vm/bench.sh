#!/bin/bash
# make bench: boots the newest test kernel with 16 extra ext4 disks and
# measures, for 1, 4 and 16 filesystems under continuous writers,
# snapfreeze against a sequential FIFREEZE loop in the same run: the spread
# of the instants the filesystems stopped taking writes, the time from the
# request to all frozen, and the watchdog's lateness. Writes the figures to
# docs/benchmark.md and prints them.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
results=$top/docs/benchmark.md
kernel=$("$here/kernels.sh" | tail -n 1)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "snapfreeze bench: booting $kernel with 16 extra disks (a few minutes)"
SNAPFREEZE_KERNELS=$kernel SNAPFREEZE_VM_CASES="$here/bench/*.sh" \
	SNAPFREEZE_VM_BENCH_DISKS=16 SNAPFREEZE_VM_VERBOSE=1 \
	SNAPFREEZE_VM_CASE_TIMEOUT=600 SNAPFREEZE_VM_BOOT_TIMEOUT=900 \
	"$here/run.sh" >"$log" 2>&1
status=$?
grep -v '^# \[' "$log"
[ "$status" = 0 ] || { echo "snapfreeze bench: the run failed" >&2; exit 1; }

# "# RESULT n N method M spread_ns X all_stopped_ns Y [lateness_ns Z] ..."
{
	echo "# Benchmark: when do the filesystems stop taking writes?"
	echo
	echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d), kernel $kernel under QEMU"
	echo "TCG on $(nproc) cores. Each filesystem (ext4, 128 MiB virtio disk) has a writer"
	echo "appending a CLOCK_MONOTONIC stamp every 200 us; the last stamp before its"
	echo "longest pause is when the filesystem stopped taking writes. \"FIFREEZE loop\""
	echo "freezes the filesystems one after another, as freeze helpers do today, and"
	echo "thaws them 300 ms later; snapfreeze freezes them as one session, thawed by"
	echo "its 1 s watchdog."
	echo
	echo "Each figure is the median of three runs."
	echo
	echo "- Spread: from the first filesystem to stop taking writes to the last, as"
	echo "  the writers saw it; for snapfreeze, the module's own measure follows (the"
	echo "  spread of the instants its threads began to freeze)."
	echo "- Request to all frozen: from the FIFREEZE call or the FREEZE request to"
	echo "  the last filesystem frozen, as the loop and the module measure it."
	echo "- Watchdog lateness: from the session's deadline to its last thaw, as the"
	echo "  module reports it (duration_ns minus the timeout)."
	echo
	echo "| filesystems | method | spread (ms) | request to all frozen (ms) | watchdog lateness (ms) | spread, loop / snapfreeze |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: |"
	grep '^# RESULT' "$log" | awk '
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
	{
		key = field("n") " " field("method")
		if (!(key in spread)) order[++keys] = key
		spread[key] = spread[key] " " field("spread_ns")
		frozen[key] = frozen[key] " " field("all_frozen_ns")
		module[key] = module[key] " " field("module_spread_ns")
		late[key] = late[key] " " field("lateness_ns")
	}
	END {
		for (k = 1; k <= keys; k++) {
			split(order[k], part, " ")
			n = part[1]; key = order[k]
			if (part[2] == "fifreeze") {
				loop[n] = median(spread[key])
				printf "| %d | FIFREEZE loop | %.2f | %.2f | - | |\n", n, loop[n], median(frozen[key])
			} else {
				s = median(spread[key])
				printf "| %d | snapfreeze | %.2f (module: %.2f) | %.2f | %.2f | %s |\n", n, s,
					median(module[key]), median(frozen[key]), median(late[key]),
					(s > 0 ? sprintf("%.0fx", loop[n] / s) : "-")
			}
		}
	}'
} >"$results"
echo
cat "$results"
