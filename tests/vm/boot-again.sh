# Sourced by the scripts that boot a test VM (run.sh, e2e/snapshots.sh).
#
# Under TCG, Debian's kernels very rarely trip over their own code patching
# early in boot (an int3 oops in sched_clock_cpu was seen, in the main boot
# and in the verification boot). Such a death is not a result of anything
# under test, so that boot is tried once more; a second death fails the run
# as any other.

# died_while_booting LOGS: the kernel whose console went to LOGS/console.log
# panicked before the test runner started, before our module said anything
# and before any result.
died_while_booting() {
	! grep -q "runner: " "$1/console.log" &&
		! grep -q "snapfreeze: " "$1/console.log" &&
		grep -q "Kernel panic" "$1/console.log" &&
		! grep -Eq "^(not )?ok " "$1/tap.log"
}

# boot_again_if_it_died LOGS BOOT...: runs the command BOOT..., whose
# console goes to LOGS/console.log, and runs it once more if its kernel died
# while booting (that console log kept as LOGS/console-boot-failure.log).
# Its status: the last boot's.
boot_again_if_it_died() {
	local logs=$1 status
	shift
	"$@"
	status=$?
	died_while_booting "$logs" || return $status
	echo "# the kernel died while booting, before the module was loaded or any case ran; booting once more (that console log: $logs/console-boot-failure.log); its end:"
	tail -n 8 "$logs/console.log" | sed 's/^/# /'
	mv "$logs/console.log" "$logs/console-boot-failure.log"
	"$@"
}
