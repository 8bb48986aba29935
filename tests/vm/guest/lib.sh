# Helpers for the test cases, sourced before each case.
# Values that depend on the boot (kernel release, expected module identity)
# come from /tests/env, written by the host.
. /tests/env

# util-linux's, by path: busybox's shell would run its own smaller applet.
SETPRIV=/usr/bin/setpriv

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# expect_match TEXT PATTERN WHAT: PATTERN is an extended regular expression.
expect_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "$3: '$1' does not match /$2/"
}

module_loaded() {
	[ -d /sys/module/snapfreeze ]
}

# The module exactly as DKMS built it, decompressed when DKMS compressed it.
load_module() {
	module_loaded && return 0
	case "$SNAPFREEZE_KO" in
	*.xz) unxz -c "$SNAPFREEZE_KO" >/tmp/snapfreeze.ko ;;
	*) cp "$SNAPFREEZE_KO" /tmp/snapfreeze.ko ;;
	esac
	insmod /tmp/snapfreeze.ko || fail "insmod $SNAPFREEZE_KO"
}

unload_module() {
	module_loaded || return 0
	rmmod snapfreeze || fail "rmmod snapfreeze"
}

# run CMD...: runs CMD, leaving its exit status in $status and its standard
# output and error in $out and $err.
run() {
	"$@" >/tmp/run.out 2>/tmp/run.err
	status=$?
	out=$(cat /tmp/run.out)
	err=$(cat /tmp/run.err)
	echo "\$ $* -> $status" >&2
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	[ -z "$err" ] || printf '%s\n' "$err" >&2
}
