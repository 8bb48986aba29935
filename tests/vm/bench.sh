#!/bin/bash
# make bench [KVER=RELEASE]: boots a test kernel (SNAPFREEZE_BENCH_KERNEL,
# by default the newest) with 16 extra ext4 disks and measures snapfreeze
# against a sequential FIFREEZE loop in the same run, under light writers
# (1, 4 and 16 filesystems) and heavy ones (4, 16 and 64: 64 are loop
# filesystems on the 16 disks): the spread of the instants the filesystems
# stopped taking writes, the time from the request to all frozen, and the
# watchdog's lateness. Then, in the package tests' Debian 12 image under
# libvirt, Debian's qemu-guest-agent against snapfreeze agent, driven by
# virsh domfsfreeze (tests/image/bench.sh). Prints the figures and writes
# them to docs/benchmark.md, in that kernel's section and in the agents'
# section; the other kernels' sections stay as they were.
# SNAPFREEZE_BENCH_TRACE=1 traces the heavy workload's freezes
# (docs/testing.md), leaves the agents out and writes nothing;
# SNAPFREEZE_BENCH_AGENTS=0 leaves the agents out (and their section as it
# was).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
results=$top/docs/benchmark.md
kernel=${SNAPFREEZE_BENCH_KERNEL:-$("$here/kernels.sh" | tail -n 1)}
log=$(mktemp)
agents_log=$(mktemp)
table=$(mktemp)
trap 'rm -f "$log" "$agents_log" "$table" "$results.new"' EXIT

echo "snapfreeze bench: booting $kernel with 16 extra disks (a few minutes)"
SNAPFREEZE_KERNELS=$kernel SNAPFREEZE_VM_CASES="$here/bench/*.sh" \
	SNAPFREEZE_VM_BENCH_DISKS=16 SNAPFREEZE_VM_VERBOSE=1 \
	SNAPFREEZE_VM_CASE_TIMEOUT=3600 SNAPFREEZE_VM_BOOT_TIMEOUT=5400 \
	"$here/run.sh" >"$log" 2>&1
status=$?
grep -v '^# \[' "$log"
[ "$status" = 0 ] || { echo "snapfreeze bench: the run failed" >&2; exit 1; }

# A traced run is about the module's threads: the agents are left out.
if [ "${SNAPFREEZE_BENCH_AGENTS:-1}" = 1 ] && [ "${SNAPFREEZE_BENCH_TRACE:-0}" != 1 ]; then
	echo "snapfreeze bench: qemu-ga against snapfreeze agent, on a Debian 12 image under libvirt (about 10 minutes)"
	"$top/tests/image/bench.sh" >"$agents_log" 2>&1
	status=$?
	cat "$agents_log"
	[ "$status" = 0 ] || { echo "snapfreeze bench: the agents' run failed" >&2; exit 1; }
fi

# The section of one kernel: "## Linux RELEASE", its tables (one per
# workload, "### ..."), up to the next.
section_heading="## Linux $kernel"
agents_heading="## Guest agents under libvirt"
agents_kernel=$(sed -n 's/^# the agents. kernel: //p' "$agents_log")

# "# RESULT workload W n N method M spread_ns S last_write_ns W
# all_frozen_ns F [module_spread_ns MS lateness_ns L | slowest_ns A]"
{
	echo "$section_heading"
	echo
	echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d), under QEMU TCG on $(nproc) cores."
	echo
	grep '^# RESULT' "$log" | awk -f "$here/bench/table.awk"
	if [ -n "$agents_kernel" ]; then
		echo "$agents_heading"
		echo
		echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d): Debian 12's image with Linux $agents_kernel, a TCG domain of libvirt on $(nproc) cores."
		echo
		grep '^# RESULT' "$agents_log" | awk -f "$here/bench/table.awk"
	fi
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
	awk -v mine="$section_heading" -v agents="${agents_kernel:+$agents_heading}" '
		/^## / { keep = ($0 != mine && !(agents && index($0, agents) == 1)) }
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
	echo "- Heavy writers, as busy databases write: each writes 64 KiB buffered"
	echo "  writes back to back, without a pause, appending to its file until it"
	echo "  holds 32 MiB and then writing it over again from its start, round and"
	echo "  round, as a database recycles its log; the instants stay in memory."
	echo "  (Truncating a full file instead took a truncation 190 to 240 ms on"
	echo "  average under TCG, and a freeze waits for one in flight: the writers"
	echo "  then saw the truncations, not the freeze.) 4 and 16 filesystems are"
	echo "  virtio disks as above; 64 are loop devices, four 24 MiB ext4 images on"
	echo "  each of the 16 disks (their files 8 MiB); the disks under them are not"
	echo "  frozen."
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
	echo "- Longest last write: of the writers' last writes before their pause, the"
	echo "  longest. Each filesystem stopped taking writes during its writer's last"
	echo "  write, so the spread the writers see is the filesystems' own to within it:"
	echo "  the precision of the spread column."
	echo "- Kernel's block spread: from the first filesystem to stop taking new writes"
	echo "  to the last, as the kernel blocked them, traced in the guest for either"
	echo "  method: in each freeze_super(), the return of its first rcu_sync_enter()"
	echo "  (the first level's RCU grace period over: the freezing task then blocks"
	echo "  new writes, and lets those in flight finish). The writers see the same"
	echo "  cut later, and less precisely: once their writes in flight are done."
	echo "- Request to all frozen: from the FIFREEZE call or the FREEZE request to"
	echo "  the last filesystem frozen, as the loop and the module measure it."
	echo "- Slowest filesystem alone: the longest single FIFREEZE of the loop; \"all"
	echo "  frozen / slowest alone\" divides snapfreeze's request to all frozen by it."
	echo "- Watchdog lateness: from the session's deadline to its last thaw, as the"
	echo "  module reports it (duration_ns minus the timeout)."
	echo
	echo "The guest agents: Debian's qemu-guest-agent, which freezes one filesystem"
	echo "after another with FIFREEZE, against snapfreeze agent, which freezes them as"
	echo "one session of the module, both driven from the host by libvirt's \`virsh"
	echo "domfsfreeze --mountpoint ...\` and \`virsh domfsthaw\` 300 ms later, in the"
	echo "package tests' Debian 12 image booted with systemd, light writers on 4 and 16"
	echo "of its 128 MiB disks. \"domfsfreeze to all frozen\" is how long \`virsh"
	echo "domfsfreeze\` took, virsh's own start and libvirt's round trip included (the"
	echo "same for both agents)."
	echo
	echo "One section per kernel, newest run first, with a table per workload (a"
	echo "section from before the heavy workload has one, of light writers; \"-\" for"
	echo "a figure not measured then); each figure is the median of three runs."
	echo
	cat "$table"
	other_sections
} >"$results.new"
mv "$results.new" "$results"

echo
cat "$results"
