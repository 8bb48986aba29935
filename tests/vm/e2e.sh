#!/bin/sh
# Usage: tests/vm/e2e.sh
#
# The end-to-end tests: run.sh, for each test kernel, with the cases of
# e2e/consistency.sh and e2e/faults.sh in the VM, snapfreeze-hostd on the
# host (e2e/agent.sh injects its faults) and, once the VM stopped, the
# checks of the snapshots' images (e2e/verify.sh). Prints TAP; exits 1 if
# any test failed.
here=$(cd "$(dirname "$0")" && pwd)
SNAPFREEZE_VM_CASES="$here/e2e/consistency.sh $here/e2e/faults.sh" \
	SNAPFREEZE_VM_HOST_AGENT="$here/e2e/agent.sh" \
	SNAPFREEZE_VM_HOST_CHECKS="$here/e2e/verify.sh" \
	exec "$here/run.sh"
