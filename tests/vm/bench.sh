#!/bin/bash
# make bench [KVER=RELEASE]: boots a test kernel (SNAPFREEZE_BENCH_KERNEL,
# by default the newest) with 16 extra ext4 disks and measures snapfreeze
# against a sequential FIFREEZE loop in the same run, under light writers
# (1, 4 and 16 filesystems) and heavy ones (4, 16 and 64: 64 are loop
# filesystems on the 16 disks): the spread of the instants the filesystems
# stopped taking writes, the time from the request to all frozen, and the
# watchdog's lateness. Prints the figures and writes them to
# docs/benchmark.md, in that kernel's section; the other kernels' sections
# stay as they were. SNAPFREEZE_BENCH_TRACE=1 traces the heavy workload's
# freezes (docs/testing.md) and writes nothing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
results=$top/docs/benchmark.md
kernel=${SNAPFREEZE_BENCH_KERNEL:-$("$here/kernels.sh" | tail -n 1)}
log=$(mktemp)
table=$(mktemp)
trap 'rm -f "$log" "$table" "$results.new"' EXIT

echo "snapfreeze bench: booting $kernel with 16 extra disks (a few minutes)"
SNAPFREEZE_KERNELS=$kernel SNAPFREEZE_VM_CASES="$here/bench/*.sh" \
	SNAPFREEZE_VM_BENCH_DISKS=16 SNAPFREEZE_VM_VERBOSE=1 \
	SNAPFREEZE_VM_CASE_TIMEOUT=3600 SNAPFREEZE_VM_BOOT_TIMEOUT=5400 \
	"$here/run.sh" >"$log" 2>&1
status=$?
grep -v '^# \[' "$log"
[ "$status" = 0 ] || { echo "snapfreeze bench: the run failed" >&2; exit 1; }

# The section of one kernel: "## Linux RELEASE", its tables (one per
# workload, "### ..."), up to the next.
section_heading="## Linux $kernel"

# "# RESULT workload W n N method M spread_ns S all_frozen_ns F
# [module_spread_ns MS lateness_ns L]"
{
	echo "$section_heading"
	echo
	echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d), under QEMU TCG on $(nproc) cores."
	echo
	grep '^# RESULT' "$log" | awk -f "$here/bench/table.awk"
} >"$table"

# A traced run's figures carry the probes' cost: shown, not kept.
if [ "${SNAPFREEZE_BENCH_TRACE:-0}" = 1 ]; then
	cat "$table"
	echo "snapfreeze bench: traced, so $results is left as it was"
	exit 0
fi

# The other kernels' sections, from the document as it was.
other_sections() {
	[ -f "$results" ] || return 0
	awk -v mine="$section_heading" '
		/^## / { keep = ($0 != mine) }
		keep' "$results"
}

{
	echo "# Benchmark: when do the filesystems stop taking writes?"
	echo
	echo "Each filesystem (ext4) has a writer of its own, which notes the instant"
	echo "(CLOCK_MONOTONIC) each of its writes completed; the last one before its"
	echo "longest pause is when the filesystem stopped taking writes. Two workloads:"
	echo
	echo "- Light writers: each appends an 8-byte stamp every 200 us. 1, 4 and 16"
	echo "  filesystems, each a 128 MiB virtio disk."
	echo "- Heavy writers, as busy databases write: each appends 64 KiB buffered"
	echo "  writes back to back, without a pause, truncating its file once it"
	echo "  holds 32 MiB, keeping the instants in memory. 4 and 16 filesystems are"
	echo "  virtio disks as above; 64 are loop devices, four 24 MiB ext4 images on"
	echo "  each of the 16 disks (their files truncated at 8 MiB); the disks under"
	echo "  them are not frozen."
	echo
	echo "\"FIFREEZE loop\" freezes the filesystems one after another, as freeze"
	echo "helpers do today, and thaws them 300 ms later (1 s under heavy writers);"
	echo "snapfreeze freezes them as one session, thawed by its watchdog after 1 s"
	echo "(5 s under heavy writers: each freeze first writes their dirty data back;"
	echo "30 s for the 64 loop filesystems)."
	echo
	echo "- Spread: from the first filesystem to stop taking writes to the last, as"
	echo "  the writers saw it; for snapfreeze, the module's own measure follows (the"
	echo "  spread of the instants its threads began to freeze)."
	echo "- Request to all frozen: from the FIFREEZE call or the FREEZE request to"
	echo "  the last filesystem frozen, as the loop and the module measure it."
	echo "- Slowest filesystem alone: the longest single FIFREEZE of the loop; \"all"
	echo "  frozen / slowest alone\" divides snapfreeze's request to all frozen by it."
	echo "- Watchdog lateness: from the session's deadline to its last thaw, as the"
	echo "  module reports it (duration_ns minus the timeout)."
	echo
	echo "One section per kernel, newest run first, with a table per workload (a"
	echo "section from before the heavy workload has one, of light writers); each"
	echo "figure is the median of three runs."
	echo
	cat "$table"
	other_sections
} >"$results.new"
mv "$results.new" "$results"

echo
cat "$results"
