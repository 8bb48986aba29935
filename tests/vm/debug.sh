#!/bin/bash
# Usage: tests/vm/debug.sh
#
# The VM cases on the debug kernel (debug-kernel.sh: lockdep, KASAN,
# DEBUG_ATOMIC_SLEEP), built first when the cache has none: any splat fails
# the run, as on Debian's kernels. Prints TAP.
#
# SNAPFREEZE_VM_CASES and SNAPFREEZE_VM_CASE_TIMEOUT as for run.sh; the
# checkers slow the kernel down, so a case may take 180 s by default.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! release=$("$here/debug-kernel.sh"); then
	echo "not ok 1 - debug/kernel_built"
	echo "1..1"
	exit 1
fi
echo "ok 1 - debug/kernel_built ($release)"
echo "1..1"
SNAPFREEZE_KERNELS=$release SNAPFREEZE_VM_CASE_TIMEOUT=${SNAPFREEZE_VM_CASE_TIMEOUT:-180} \
	exec "$here/run.sh"
