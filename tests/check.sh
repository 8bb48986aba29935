#!/bin/bash
# Runs every test suite (the unit tests, the DKMS kernel range, the builds
# for kernels not booted, the VM tests, the end-to-end tests, the Azure
# extension handler's flow, the libvirt tests on the newest kernel, the
# Debian packages, built and then used on a
# Debian 12 image, then the VM tests on the debug kernel) and ends with
# "N passed, N failed". A suite that stops before
# running all the tests it planned, or fails without reporting a failed
# test, counts as failed tests.
# Exits 1 if anything failed or nothing ran.
set -uo pipefail
# Tools such as mkfs and modprobe live in sbin, which some shells leave out.
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
passed=0
failed=0

# run_suite NAME COMMAND...: runs a suite that prints TAP, echoing it, and
# adds its results to the totals; its figures and how long it took close
# it, to see where the run's time goes.
run_suite() {
	local name=$1 line planned=0 ok=0 not_ok=0 status start=$SECONDS
	shift
	echo "== $name"
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok "*) ok=$((ok + 1)) ;;
		"not ok "*) not_ok=$((not_ok + 1)) ;;
		1..*) planned=$((planned + ${line#1..})) ;;
		esac
	done < <("$@" 2>&1)
	wait $! 2>/dev/null
	status=$?
	if [ $((ok + not_ok)) -lt "$planned" ]; then
		echo "# $name: $((planned - ok - not_ok)) planned tests did not report"
		not_ok=$((planned - ok))
	fi
	if [ "$status" != 0 ] && [ "$not_ok" = 0 ]; then
		echo "# $name: exited with status $status"
		not_ok=1
	fi
	echo "# $name: $ok passed, $not_ok failed, in $((SECONDS - start)) s"
	passed=$((passed + ok))
	failed=$((failed + not_ok))
}

unit_tests() {
	local test
	make -C "$top" --no-print-directory unit-tests || return 1
	for test in "$top"/build/tests/test_*; do
		CMOCKA_MESSAGE_OUTPUT=TAP "$test" || return 1
	done
}

# A command the harness needs and cannot find is named before any test
# runs, never left to fail a test obscurely.
if ! "$here/deps.sh" --check; then
	echo "0 passed, 1 failed"
	exit 1
fi
# The debug kernel takes minutes to build, once per machine: it builds at
# the lowest priority while the suites before its own run, on the time
# their VMs leave idle, and its suite waits for it (debug-kernel.sh's lock).
mkdir -p "$top/build"
nice -n 19 "$here/vm/debug-kernel.sh" >"$top/build/debug-kernel.log" 2>&1 &
debug_build=$!

run_suite "unit tests" unit_tests
run_suite "DKMS's kernel range" "$here/dkms-range.sh"
run_suite "DKMS builds for kernels not booted" "$here/vm/build-only.sh"
run_suite "VM tests" "$here/vm/run.sh"
run_suite "end-to-end tests" "$here/vm/e2e.sh"
run_suite "Azure extension handler" "$here/vm/azure.sh"
# libvirt's side is the host's: the guest's kernel is exercised above, so
# one kernel, the newest, is enough here.
run_suite "libvirt" env SNAPFREEZE_KERNELS="$("$here/vm/kernels.sh" | tail -n 1)" \
	"$here/vm/libvirt.sh"
run_suite "Debian packages" "$here/packages.sh"
run_suite "Debian packages on a Debian 12 image" "$here/image/run.sh"
wait "$debug_build"
run_suite "VM tests on the debug kernel" "$here/vm/debug.sh"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
