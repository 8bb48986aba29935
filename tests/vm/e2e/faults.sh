# End to end, with the host failing or slow (agent.sh's plan, request after
# request): hostd killed in the middle of a request, hostd answering after
# the guest's deadline, a transaction slower than the guest's wait, QMP
# refusing the snapshot. Each failure thaws the guest in time and is
# reported, and the next snapshot succeeds (its images checked by
# verify.sh).
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
	# Its port is closed: agent.sh may start hostd again (sooner, the
	# guest could take the new hostd for the old before it saw it go).
	note "e2e-host-gone-seen"
	expect_failed_snapshot "the connection closed without an answer"
	[ "$(host_wait_ms)" -lt 10000 ] || fail "waited $(host_wait_ms) ms for a host that was gone"
	snapshot
	expect_application_snapshot after_kill
}

# hostd, held back until the guest's deadline passed (3 s: three quarters
# of the 4 s freeze), takes the snapshot and answers, too late. That answer
# waits in the channel until the guest opens its port again: the next
# snapshot gets it first, skips it and takes its own (agent.sh checks that
# the late answer left the channel by then).
case_host_answers_late() {
	start_application
	snapshot --timeout 4
	expect_failed_snapshot "no answer in time"
	# Three quarters of the timeout count from the freeze request, as the
	# watchdog's: the freeze's own time comes off the wait.
	expect_match "$(host_wait_ms)" '^(2[5-9][0-9]{2}|3000)$' "waited 3 s for the host"
	# hostd answers a second after the deadline, as agent.sh continues
	# it: a time on the host, of which the guest hears nothing.
	sleep 3
	snapshot
	expect_application_snapshot after_late
}

# The transaction takes 8 s, the guest waits 3 s for the host (host_timeout)
# but up to 15 s (three quarters of the 20 s freeze) while hostd says it is
# still working: the snapshot succeeds, frozen all along.
case_host_reports_progress() {
	start_application
	echo '{"freeze_timeout": 20, "host_timeout": 3}' >/tmp/progress.json
	chmod 600 /tmp/progress.json
	snapshot --config /tmp/progress.json
	expect_application_snapshot progress
	[ "$(host_wait_ms)" -ge 8000 ] || fail "waited $(host_wait_ms) ms for the host, not 8 s"
	expect_match "$(extension_log)" "host: progress: working for [0-9]+ ms" \
		"hostd's progress logged"
	expect_match "$out" '"reason":"request"' "thawed by the controller, not the watchdog"
}

case_qmp_refuses() {
	start_application
	snapshot
	expect_failed_snapshot "transaction: "
	expect_match "$out" '"host":\{[^}]*"error":"qmp"' "the host's error"
	snapshot
	expect_application_snapshot after_refusal
}
