#!/bin/bash
# Usage: tests/vm/debug.sh
#
# The VM cases on the debug kernel (debug-kernel.sh: lockdep, KASAN,
# DEBUG_ATOMIC_SLEEP), built first when the cache has none: any splat fails
# the run, as on Debian's kernels. Prints TAP.
#
# The cases are the module's: the topics that drive it (freezes, stuck and
# stacked targets, the module's life, the netlink interface). The checkers
# slow every case about threefold: the controller's topics, and the
# keepalive topic, whose pets must come within intervals of 0.5 and 1 s
# (a command takes 0.6 s to start on this kernel), run on Debian's kernels
# only. SNAPFREEZE_VM_CASES and SNAPFREEZE_VM_CASE_TIMEOUT as for run.sh
# (a case may take 180 s by default).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! release=$("$here/debug-kernel.sh"); then
	echo "not ok 1 - debug/kernel_built"
	echo "1..1"
	exit 1
fi
echo "ok 1 - debug/kernel_built ($release)"
echo "1..1"
cases=
for topic in freeze stuck stacked module interface; do
	cases+=" $here/cases/$topic.sh"
done
SNAPFREEZE_KERNELS=$release SNAPFREEZE_VM_CASES=${SNAPFREEZE_VM_CASES:-${cases# }} \
	SNAPFREEZE_VM_CASE_TIMEOUT=${SNAPFREEZE_VM_CASE_TIMEOUT:-180} \
	exec "$here/run.sh"
