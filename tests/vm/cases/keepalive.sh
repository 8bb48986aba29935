# The watchdog's keepalive: a session held only while its controller makes
# progress and pets it, and never beyond its timeout.

# Milliseconds since boot (10 ms resolution).
now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# start_attached OUTPUT OPTION... TARGET...: an attached freeze in the
# background, held open by /tmp/hold, its pid in $pid and its session in $id
# once frozen; standard output in OUTPUT, standard error in OUTPUT.err.
start_attached() {
	output=$1
	shift
	rm -f /tmp/hold "$output" "$output.err"
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	snapfreeze freeze --json "$@" </tmp/hold >"$output" 2>"$output.err" 3>&- &
	pid=$!
	wait_until 10 grep -q '"state":"frozen"' "$output" || fail "not frozen: $(cat "$output.err")"
	id=$(json_number "$(cat "$output")" id)
}

# The session's life by the kernel's clock, from its THAWED event in
# /tmp/events: milliseconds from the FREEZE request to the last thaw.
thawed_after_ms() {
	ns=$(json_number "$(grep '"event":"thawed"' /tmp/events)" duration_ns)
	[ -n "$ns" ] || fail "no duration in the thawed event: $(cat /tmp/events)"
	echo $((ns / 1000000))
}

# A process that hangs while frozen (stopped here) is not petting: the
# kernel thaws within the interval, long before the hard deadline, and the
# command, once it runs again, says the freeze was lost.
case_stopped_controller_thawed_by_missed_keepalive() {
	load_module
	mount_disks
	before=$(json_number "$(snapfreeze status --json)" keepalive_thaws)
	start_watcher 2
	start_attached /tmp/stopped.out --keepalive 1 --timeout 30 /mnt/ext4
	seen_frozen=$(now_ms)
	expect_match "$(cat /tmp/stopped.out)" '"timeout_ms":30000,"keepalive_ms":1000' "session"
	start_writer /mnt/ext4/stopped x
	wait_until 5 blocked "$writer" || fail "a write did not block"
	# Petted meanwhile: still frozen after more than one interval (a
	# deliberate sleep: what is asserted is that nothing happens).
	sleep 2
	blocked "$writer" || fail "thawed although the controller was petting"
	kill -STOP "$pid"
	stopped=$(now_ms)
	wait_until 2 gone "$writer" || fail "still frozen 2 s (interval + 1 s) after SIGSTOP"
	echo "thawed $(($(now_ms) - stopped)) ms after SIGSTOP" >&2
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"event":"thawed".*"reason":"keepalive-missed"' "event"
	# The request came before the reply was seen: the thaw came at most
	# that long after SIGSTOP.
	lived=$(thawed_after_ms)
	late=$((seen_frozen + lived - stopped))
	echo "the kernel thawed at most $late ms after SIGSTOP, $lived ms after the request" >&2
	[ "$late" -le 2000 ] || fail "thawed up to $late ms after SIGSTOP: more than interval + 1 s"
	[ "$lived" -lt 10000 ] || fail "the session lived $lived ms of its 30 s timeout"
	expect_eq "$(json_number "$(snapfreeze status --json)" keepalive_thaws)" \
		"$((before + 1))" "keepalive_thaws counter"
	kill -CONT "$pid"
	wait_until 10 gone "$pid" || fail "did not exit after SIGCONT"
	wait "$pid"
	expect_eq "$?" 5 "exit status"
	expect_match "$(cat /tmp/stopped.out.err)" \
		"session $id (ended before it was released: keepalive-missed|was lost)" "message"
	exec 3>&-
	expect_no_sessions
}

# A petted session still ends at its timeout: the keepalive never extends it.
case_petting_cannot_pass_the_hard_deadline() {
	load_module
	mount_disks
	start_watcher 2
	started=$(now_ms)
	start_attached /tmp/hard.out --keepalive 0.5 --timeout 3 /mnt/xfs
	wait_until 10 gone "$pid" || fail "did not exit when the timeout passed"
	elapsed=$(($(now_ms) - started))
	wait "$pid"
	expect_eq "$?" 5 "exit status"
	expect_match "$(cat /tmp/hard.out.err)" "ended before it was released: watchdog" "message"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"event":"thawed".*"reason":"watchdog"' "event"
	[ "$elapsed" -ge 2900 ] || fail "ended after $elapsed ms, before its 3 s timeout"
	lived=$(thawed_after_ms)
	[ "$lived" -ge 3000 ] && [ "$lived" -lt 4000 ] ||
		fail "the kernel thawed $lived ms after the request, not at its 3 s timeout"
	exec 3>&-
	expect_writable /mnt/xfs
}

# The command blocks writing its own output to the filesystem it froze: the
# process runs, but makes no progress. The keepalives stop, the kernel
# thaws within one and a half intervals (not at the 30 s timeout), and the
# command, unblocked, reports the freeze lost.
case_blocked_on_its_own_output_thawed_by_missed_keepalive() {
	load_module
	mount_disks
	start_watcher 2
	rm -f /tmp/hold /mnt/ext4/freeze.out
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	snapfreeze freeze --json --keepalive 1 --timeout 30 /mnt/ext4 \
		</tmp/hold >/mnt/ext4/freeze.out 2>/tmp/blocked.err 3>&- &
	pid=$!
	wait_until 10 grep -q '"event":"frozen"' /tmp/events || fail "not frozen: $(cat /tmp/blocked.err)"
	wait_until 2 blocked "$pid" || fail "the command did not block writing to /mnt/ext4"
	wait_until 10 gone "$watcher" || fail "not thawed 10 s after the freeze (timeout 30 s)"
	expect_match "$(grep '"event":"thawed"' /tmp/events)" '"reason":"keepalive-missed"' "event"
	lived=$(thawed_after_ms)
	echo "the kernel thawed $lived ms after the request" >&2
	[ "$lived" -lt 3000 ] || fail "frozen for $lived ms with a keepalive of 1 s"
	wait_until 10 gone "$pid" || fail "did not exit once thawed"
	wait "$pid"
	expect_eq "$?" 5 "exit status"
	expect_match "$(cat /tmp/blocked.err)" \
		"(ended before it was released: keepalive-missed|was lost)" "message"
	expect_match "$(head -n 1 /mnt/ext4/freeze.out)" '"state":"frozen"' "the output it was writing"
	exec 3>&-
	expect_no_sessions
}

# Only the socket that froze an attached session may pet it; anyone may pet
# a detached one, which then lives as long as someone does.
case_keepalive_from_another_socket() {
	load_module
	mount_disks
	start_attached /tmp/owner.out --keepalive 2 --timeout 30 /mnt/btrfs
	run badmsg keepalive "$id"
	expect_eq "$out" "keepalive -1 only the socket that created an attached session may keep it alive" \
		"a keepalive from another socket"
	exec 3>&-
	wait_until 10 gone "$pid" || fail "did not exit at the end of its input"

	start_watcher 2
	freeze_detached --keepalive 1 /mnt/btrfs
	expect_match "$out" '"keepalive_ms":1000' "session"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run badmsg keepalive "$id"
		expect_match "$out" "^keepalive 0 time_left_ms=[0-9]+$" "keepalive $i"
		usleep 300000
	done
	expect_match "$(snapfreeze status --json)" "\"id\":$id,\"state\":\"frozen\"" \
		"frozen 3 s on, petted every 0.3 s with an interval of 1 s"
	wait_until 3 expect_no_sessions_quietly || fail "not thawed once the keepalives stopped"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"reason":"keepalive-missed"' "event"
	run badmsg keepalive "$id"
	expect_eq "$out" "keepalive -2 no such session" "a keepalive once thawed"
}

# An admin keeps a detached session alive with "snapfreeze keepalive": it
# lives while petted, ends one interval after the last pet, and is then
# gone; the command may not pet an attached session of another process.
case_keepalive_command() {
	load_module
	mount_disks
	start_watcher 2
	freeze_detached --keepalive 1 /mnt/xfs
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run snapfreeze keepalive --json "$id"
		expect_eq "$status" 0 "keepalive $i"
		expect_match "$out" "^\{\"id\":$id,\"keepalive_ms\":1000,\"time_left_ms\":[0-9]+\}$" \
			"keepalive $i"
		usleep 300000
	done
	left=$(json_number "$out" time_left_ms)
	[ "$left" -gt 20000 ] && [ "$left" -lt 28000 ] ||
		fail "$left ms left 3 s into a 30 s timeout"
	run snapfreeze keepalive "$id"
	expect_match "$out" "^session $id: kept alive for 1000 ms, [0-9]+ ms left before its timeout$" \
		"the human output"
	expect_match "$(snapfreeze status --json)" "\"id\":$id,\"state\":\"frozen\"" \
		"frozen 3 s on, petted every 0.3 s with an interval of 1 s"
	wait_until 3 expect_no_sessions_quietly || fail "not thawed once the keepalives stopped"
	wait_until 5 gone "$watcher" || fail "no thawed event"
	expect_match "$(cat /tmp/events)" '"reason":"keepalive-missed"' "event"
	run snapfreeze keepalive "$id"
	expect_eq "$status" 1 "a keepalive once thawed"
	expect_match "$err" "^snapfreeze: keepalive: no such session" "message"

	freeze_detached /mnt/xfs
	run snapfreeze keepalive "$id"
	expect_eq "$status" 0 "a session without an interval"
	expect_match "$out" "^session $id: no keepalive interval, [0-9]+ ms left" "its output"
	snapfreeze thaw --all >/dev/null

	start_attached /tmp/owned.out --keepalive 2 --timeout 30 /mnt/xfs
	run snapfreeze keepalive "$id"
	expect_eq "$status" 4 "an attached session of another process"
	expect_match "$err" "only the socket that created an attached session may keep it alive" \
		"message"
	exec 3>&-
	wait_until 10 gone "$pid" || fail "did not exit at the end of its input"
}

expect_no_sessions_quietly() {
	snapfreeze status --json | grep -q '"sessions":\[\]'
}

case_keepalive_interval_bounds() {
	load_module
	mount_disks
	params=/sys/module/snapfreeze/parameters
	trap 'echo 100 >$params/min_keepalive_ms; echo 60000 >$params/max_keepalive_ms' EXIT
	expect_match "$(snapfreeze status --json)" '"min_keepalive_ms":100,"max_keepalive_ms":60000' \
		"bounds in the status"
	run snapfreeze freeze --detach --keepalive 0.05 /mnt/ext4
	expect_eq "$status" 1 "keepalive below min_keepalive_ms"
	expect_match "$err" "keepalive.*outside.*min.*max_keepalive_ms" "message"
	run snapfreeze freeze --detach --keepalive 61 /mnt/ext4
	expect_eq "$status" 1 "keepalive above max_keepalive_ms"
	expect_match "$err" "keepalive.*outside.*max_keepalive_ms" "message"
	echo 2000 >$params/max_keepalive_ms
	run snapfreeze freeze --detach --keepalive 3 /mnt/ext4
	expect_eq "$status" 1 "keepalive above a lowered max_keepalive_ms"
	run snapfreeze freeze --detach --keepalive 2 --timeout 5 /mnt/ext4
	expect_eq "$status" 0 "keepalive at max_keepalive_ms"
	snapfreeze thaw --all >/dev/null
	run snapfreeze freeze --keepalive x /mnt/ext4
	expect_eq "$status" 2 "--keepalive x"
	run badmsg
	expect_match "$out" "freeze_keepalive_too_short -34 keepalive" "a request below the minimum: ERANGE"
	expect_match "$out" "keepalive_unknown_session -2 no such session" "unknown session: ENOENT"
	expect_no_sessions
}

# refuse_param NAME VALUE: writing VALUE to the module parameter NAME fails
# with EINVAL, and leaves the parameter as it was.
refuse_param() {
	was=$(cat "$params/$1")
	sh -c "echo '$2' >$params/$1" 2>/tmp/param.err && fail "$1=$2 accepted"
	expect_match "$(cat /tmp/param.err)" "Invalid argument" "$1=$2 refused"
	expect_eq "$(cat "$params/$1")" "$was" "$1 after writing $2"
}

case_module_parameters_validated() {
	load_module
	params=/sys/module/snapfreeze/parameters
	trap 'echo 100 >$params/min_keepalive_ms; echo 60000 >$params/max_keepalive_ms
	      echo 60000 >$params/default_timeout_ms; echo 600000 >$params/max_timeout_ms
	      echo 64 >$params/max_targets' EXIT
	refuse_param min_keepalive_ms 0
	refuse_param min_keepalive_ms 60001
	refuse_param max_keepalive_ms 99
	refuse_param min_keepalive_ms x
	refuse_param default_timeout_ms 0
	refuse_param max_timeout_ms 0
	refuse_param max_timeout_ms -1
	refuse_param max_targets 0
	echo 1000 >$params/max_keepalive_ms || fail "max_keepalive_ms=1000 refused"
	refuse_param min_keepalive_ms 1001
	echo 1000 >$params/min_keepalive_ms || fail "min_keepalive_ms=max_keepalive_ms refused"
	refuse_param max_keepalive_ms 999
	expect_match "$(snapfreeze status --json)" '"min_keepalive_ms":1000,"max_keepalive_ms":1000' \
		"bounds in the status"
	dmesg | grep -q "snapfreeze: max_keepalive_ms: 999 refused: outside 1000\.\." ||
		fail "no log line says why max_keepalive_ms=999 was refused"
}

# A host, run by the snapshot (exec:), that reports progress every $1
# seconds, $2 times, then answers (or, with "never", keeps reporting).
make_progress_host() {
	mkdir -p /var/lib /tmp/host
	rm -f /tmp/host/request
	cat >/tmp/host/progress.sh <<-HOST
	#!/bin/sh
	read -r request
	echo "\$request" >/tmp/host/request
	id=\$(printf '%s' "\$request" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
	n=0
	while [ "$2" = never ] || [ \$n -lt $2 ]; do
		sleep $1
		n=\$((n + 1))
		echo "{\"type\":\"progress\",\"version\":1,\"id\":\"\$id\",\"message\":\"step \$n\"}"
	done
	echo "{\"type\":\"result\",\"version\":1,\"id\":\"\$id\",\"ok\":true,\"snapshot\":\"snap-\$id\"}"
	HOST
	chmod 755 /tmp/host/progress.sh
}

# snapfreeze.json for a case; removed when it ends.
use_config() {
	mkdir -p /etc/snapfreeze
	trap 'rm -f /etc/snapfreeze/snapfreeze.json' EXIT
	echo "$1" >/etc/snapfreeze/snapfreeze.json
	chmod 644 /etc/snapfreeze/snapfreeze.json
}

# The host needs 6 s, twice host_timeout, but says so every 2 s.
case_snapshot_host_progress_extends_the_wait() {
	load_module
	mount_disks
	make_progress_host 2 3
	use_config '{"host_timeout": 3, "freeze_timeout": 30, "keepalive_interval": 1}'
	run snapfreeze snapshot --host exec:/tmp/host/progress.sh --json
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success"' "result"
	expect_match "$out" '"snapshot":"snap-' "the host's answer"
	expect_match "$out" '"keepalive_ms":1000' "the session kept alive"
	# 22500 ms, three quarters of the timeout, less the freeze's own time.
	expect_match "$(cat /tmp/host/request)" '"deadline_ms":3000,"max_deadline_ms":22[0-4][0-9]{2}' \
		"the request says how long progress may extend the wait"
	expect_no_sessions
	expect_writable /mnt/ext4
}

# The issue's scenario: a host that needs 20 s, four times host_timeout,
# and says so every 2 s, with a keepalive of 5 s and a hard limit of 60 s.
# Only the host's progress keeps the controller's wait, and with it the
# keepalive, going: the snapshot succeeds, and no keepalive was missed.
case_snapshot_slow_host_with_progress_kept_alive() {
	load_module
	mount_disks
	before=$(json_number "$(snapfreeze status --json)" keepalive_thaws)
	make_progress_host 2 10
	use_config '{"host_timeout": 5, "freeze_timeout": 60, "keepalive_interval": 5}'
	run snapfreeze snapshot --host exec:/tmp/host/progress.sh --json
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success"' "result"
	expect_match "$out" '"keepalive_ms":5000' "the session kept alive"
	host=$(printf '%s\n' "$out" | sed -n 's/.*"timings_ms":{[^}]*"host":\([0-9]*\).*/\1/p')
	[ -n "$host" ] && [ "$host" -ge 20000 ] && [ "$host" -lt 30000 ] ||
		fail "the host took $host ms, not the 20 s it needs"
	expect_eq "$(json_number "$(snapfreeze status --json)" keepalive_thaws)" "$before" \
		"keepalive_thaws counter"
	expect_no_sessions
	expect_writable /mnt/ext4
}

# Progress forever: the snapshot still gives up with a quarter of the
# timeout to spare, and nothing stayed frozen for the timeout.
case_snapshot_endless_progress_bounded() {
	load_module
	mount_disks
	make_progress_host 0.5 never
	use_config '{"host_timeout": 1, "freeze_timeout": 3, "keepalive_interval": 0.5}'
	run snapfreeze snapshot --host exec:/tmp/host/progress.sh --json
	expect_eq "$status" 1 "snapshot"
	expect_match "$out" '"status":"error".*"error":"host: exec:/tmp/host/progress.sh: no answer in time"' \
		"result"
	frozen=$(printf '%s\n' "$out" | sed -n 's/.*"frozen":\([0-9]*\).*/\1/p')
	[ -n "$frozen" ] && [ "$frozen" -ge 2000 ] && [ "$frozen" -lt 3000 ] ||
		fail "frozen for $frozen ms: not waiting on progress up to 2.25 s of a 3 s timeout"
	expect_no_sessions
}

# A snapshot whose controller stops while the host works: the kernel thaws
# at the missed keepalive, and the snapshot fails.
case_snapshot_stopped_loses_the_freeze() {
	load_module
	mount_disks
	make_progress_host 1 4
	use_config '{"host_timeout": 10, "freeze_timeout": 30, "keepalive_interval": 1}'
	start_watcher 2
	snapfreeze snapshot --host exec:/tmp/host/progress.sh --json >/tmp/snap.out 2>/tmp/snap.err &
	snap=$!
	wait_until 10 test -s /tmp/host/request || fail "the host was not asked"
	kill -STOP "$snap"
	wait_until 3 gone "$watcher" || fail "not thawed 3 s after SIGSTOP"
	expect_match "$(cat /tmp/events)" '"reason":"keepalive-missed"' "event"
	kill -CONT "$snap"
	wait_until 15 gone "$snap" || fail "the snapshot did not end"
	wait "$snap"
	expect_eq "$?" 5 "exit status: the freeze was lost"
	expect_match "$(cat /tmp/snap.out)" '"status":"error","consistency":"[a-z]*","error":"freeze: the session was lost' \
		"result"
}
