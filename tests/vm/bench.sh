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
	echo "appending a CLOCK_MONOTONIC stamp, write after write; the last stamp before"
	echo "its longest pause is when it stopped taking writes. \"FIFREEZE loop\" freezes"
	echo "the filesystems one after another, as freeze helpers do today; snapfreeze"
	echo "freezes them as one session, thawed by its 1 s watchdog. Spread: from the"
	echo "first filesystem to stop to the last. All frozen: from the request to the"
	echo "last one stopped (writers' view). Lateness: from the watchdog's deadline"
	echo "to the first writer resuming."
	echo
	echo "| filesystems | method | spread (ms) | all frozen (ms) | watchdog lateness (ms) | spread, loop / snapfreeze |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: |"
	grep '^# RESULT' "$log" | awk '
	function field(name,   i) {
		for (i = 1; i < NF; i++) if ($i == name) return $(i + 1)
		return ""
	}
	{
		n = field("n"); method = field("method")
		spread = field("spread_ns") / 1e6
		stopped = field("all_stopped_ns") / 1e6
		late = field("lateness_ns")
		if (method == "fifreeze") {
			loop[n] = spread
			printf "| %d | FIFREEZE loop | %.2f | %.2f | - | |\n", n, spread, stopped
		} else {
			ratio = spread > 0 ? sprintf("%.0fx", loop[n] / spread) : "-"
			printf "| %d | snapfreeze | %.2f | %.2f | %.2f | %s |\n", n, spread, stopped, late / 1e6, ratio
		}
	}'
} >"$results"
echo
cat "$results"
