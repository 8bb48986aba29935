# End to end, with the host failing (agent.sh's plan, request after
# request): hostd killed in the middle of a request, hostd answering after
# the guest's deadline, QMP refusing the snapshot. Each time the guest
# thaws in time and reports the failure, and the next snapshot succeeds
# (its images checked by verify.sh).
. /tests/cases/scenario.sh

# How long the controller waited for the host, in whole milliseconds.
host_wait_ms() {
	printf '%s' "$out" | sed -n 's/.*"timings_ms":{[^}]*"host":\([0-9]*\).*/\1/p'
}

# expect_failed_snapshot MESSAGE: the last snapshot failed with MESSAGE
# (an extended regular expression), thawed by the controller.
expect_failed_snapshot() {
	expect_eq "$status" 1 "snapshot"
	expect_match "$out" '"status":"error","consistency":"application"' "result"
	expect_match "$err" "snapshot .* failed: host: .*$1" "message"
	expect_match "$out" '"reason":"request"' "thawed by the controller, not the watchdog"
	expect_thawed
}

# Killed, hostd closes the channel: the guest sees it at once.
case_host_killed_mid_request() {
	start_application
	snapshot --timeout 20
	expect_failed_snapshot "the connection closed without an answer"
	[ "$(host_wait_ms)" -lt 10000 ] || fail "waited $(host_wait_ms) ms for a host that was gone"
	snapshot
	expect_application_snapshot after_kill
}

# Stopped past the deadline (3 s: three quarters of the 4 s freeze), hostd
# answers the old request when it continues; the next snapshot skips that
# answer and takes its own.
case_host_answers_late() {
	start_application
	snapshot --timeout 4
	expect_failed_snapshot "no answer in time"
	expect_match "$(host_wait_ms)" '^3[0-9]{3}$' "waited 3 s for the host"
	snapshot
	expect_application_snapshot after_late
}

case_qmp_refuses() {
	start_application
	snapshot
	expect_failed_snapshot "transaction: "
	expect_match "$out" '"host":\{"error":"qmp"' "the host's error"
	snapshot
	expect_application_snapshot after_refusal
}
