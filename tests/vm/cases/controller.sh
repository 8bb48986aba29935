# The snapfreeze command's view of the system, in a booted kernel.

# What "mounts" chooses is exactly what the module can freeze in one session.
case_mounts_chooses_what_can_be_frozen() {
	load_module
	mount_disks
	mkdir -p /mnt/ext4/bind /mnt/bind
	mount --bind /mnt/ext4/bind /mnt/bind || fail "bind mount"
	run snapfreeze mounts --json
	umount /mnt/bind
	expect_eq "$status" 0 "snapfreeze mounts"
	freeze=$(printf '%s' "$out" | sed 's/"skipped".*//')
	for fs in ext4 xfs btrfs; do
		expect_match "$freeze" "\"mount_point\":\"/mnt/$fs\"" "/mnt/$fs frozen"
	done
	expect_match "$out" '"mount_point":"/mnt/bind".*"reason":"same filesystem as","same_as":"/mnt/ext4"' \
		"bind mount skipped"
	expect_match "$out" '"mount_point":"/proc","fstype":"proc".*"reason":"not a local filesystem' \
		"proc skipped"
	targets=$(snapfreeze mounts | awk '/^skipped/ { exit } /^  / { print $1 }')
	freeze_detached $targets
	expect_match "$out" '"state":"frozen"' "every chosen filesystem frozen"
	run snapfreeze thaw "$id"
	expect_eq "$status" 0 "thaw"
}

# A host, run by the controller (exec:), that answers as $HOST_ANSWER says
# and reports what it saw: how many sessions were frozen while it answered.
make_host() {
	mkdir -p /var/lib /tmp/host
	cat >/tmp/host/host.sh <<'HOST'
#!/bin/sh
read -r request
echo "$request" >/tmp/host/request
id=$(printf '%s' "$request" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
frozen=$(snapfreeze status --json | grep -o '"state":"frozen"' | wc -l)
targets=$(snapfreeze status --json | grep -o '"fstype"' | wc -l)
[ "$(cat /tmp/host/answer)" = hang ] && exec sleep 600
if [ "$(cat /tmp/host/answer)" = ok ]; then
	echo "{\"type\":\"result\",\"version\":1,\"id\":\"$id\",\"ok\":true,\"snapshot\":\"snap-$id\",\"message\":\"frozen sessions $frozen, targets $targets\"}"
else
	echo "{\"type\":\"result\",\"version\":1,\"id\":\"$id\",\"ok\":false,\"error\":\"qmp\",\"message\":\"denied\"}"
fi
HOST
	chmod 755 /tmp/host/host.sh
	echo "$1" >/tmp/host/answer
}

# The exec host is started before the freeze; it is asked once it reads a
# request (an empty line: the command ended without asking).
host_asked() {
	grep -qs '"type":"snapshot"' /tmp/host/request
}

case_snapshot_through_a_host() {
	load_module
	mount_disks
	make_host ok
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success","consistency":"filesystem"' "result"
	expect_match "$out" '"message":"frozen sessions 1, targets 3"' \
		"the three filesystems were frozen while the host answered"
	expect_match "$(cat /tmp/host/request)" \
		'"type":"snapshot","version":1,.*"consistency":"filesystem".*"mount_point":"/mnt/ext4"' \
		"the request"
	expect_match "$(cat /var/lib/snapfreeze/last-snapshot.json)" '"status":"success"' \
		"result file"
	expect_no_sessions
	expect_writable /mnt/xfs
}

case_snapshot_host_refuses() {
	load_module
	mount_disks
	make_host refuse
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 1 "snapshot refused by the host"
	expect_match "$out" '"status":"error","consistency":"filesystem","error":"host: denied"' "result"
	expect_match "$err" "snapshot .* failed: host: denied" "message"
	expect_no_sessions
	expect_writable /mnt/ext4
}

# The log lives on a filesystem the snapshot freezes: lines wait in memory.
case_snapshot_log_on_a_frozen_filesystem() {
	load_module
	mount_disks
	make_host ok
	mkdir -p /etc/snapfreeze
	trap 'rm -f /etc/snapfreeze/snapfreeze.json' EXIT
	echo '{"log": "/mnt/ext4/log/extension.log", "freeze_timeout": 20, "host_timeout": 10}' \
		>/etc/snapfreeze/snapfreeze.json
	chmod 644 /etc/snapfreeze/snapfreeze.json
	run snapfreeze snapshot --host exec:/tmp/host/host.sh
	expect_eq "$status" 0 "snapshot"
	log=$(cat /mnt/ext4/log/extension.log)
	expect_match "$log" "INFO \[[0-9-]+\] frozen as session" "frozen logged"
	expect_match "$log" "INFO \[[0-9-]+\] host: snapshot snap-" "host logged"
	expect_match "$log" "snapshot [0-9-]+: success, filesystem-consistent" "result logged"
}

# Azure's script configuration: pre- and post-scripts around the freeze;
# after a failed pre-script, three filesystem-only snapshots.
case_snapshot_runs_application_scripts() {
	load_module
	mount_disks
	make_host ok
	mkdir -p /etc/azure /tmp/app
	trap 'rm -f /etc/azure/VMSnapshotScriptPluginConfig.json' EXIT
	printf '#!/bin/sh\n[ -e /tmp/app/broken ] && exit 3\necho pre "$@" >>/tmp/app/trace\n' >/tmp/app/pre.sh
	printf '#!/bin/sh\necho post >>/tmp/app/trace\n' >/tmp/app/post.sh
	chmod 755 /tmp/app/pre.sh /tmp/app/post.sh
	cat >/etc/azure/VMSnapshotScriptPluginConfig.json <<-'CONFIG'
	{"pluginName": "ScriptRunner", "preScriptLocation": "/tmp/app/pre.sh",
	 "postScriptLocation": "/tmp/app/post.sh", "preScriptParams": ["db"],
	 "timeoutInSeconds": 30, "continueBackupOnFailure": false}
	CONFIG
	chmod 600 /etc/azure/VMSnapshotScriptPluginConfig.json
	rm -f /var/lib/snapfreeze/state.json /tmp/app/trace

	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_match "$out" '"status":"success","consistency":"application"' "with scripts"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre db post " "scripts around the freeze"

	touch /tmp/app/broken
	rm -f /tmp/host/request
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 1 "pre-script failed, continueBackupOnFailure false"
	expect_match "$out" '"status":"error","consistency":"none","error":"pre-script: failed' "result"
	! printf '%s' "$out" | grep -q '"session"' || fail "a session reported, yet nothing was frozen"
	! host_asked || fail "the host was asked after the pre-script failed"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre db post post " "post-script still ran"
	rm /tmp/app/broken

	for n in 1 2 3; do
		run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
		expect_match "$out" '"status":"success","consistency":"filesystem"' \
			"filesystem-only snapshot $n after the failure"
	done
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_match "$out" '"status":"success","consistency":"application"' \
		"the fourth tries the scripts again"
	expect_no_sessions
}

frozen_session() {
	snapfreeze status --json | grep -q '"state":"frozen"'
}

no_session() {
	! snapfreeze status --json | grep -q '"state":'
}

# SIGKILL while the host is asked: the kernel thaws at once (the session
# belongs to the command), and the next snapshot is not locked out.
case_snapshot_killed_while_frozen() {
	load_module
	mount_disks
	make_host hang
	snapfreeze snapshot --host exec:/tmp/host/host.sh >/dev/null 2>&1 &
	controller=$!
	wait_until 10 frozen_session || fail "no frozen session"
	kill -9 "$controller"
	wait_until 1 no_session || fail "still frozen a second after SIGKILL"
	expect_writable /mnt/btrfs
	make_host ok
	run snapfreeze snapshot --host exec:/tmp/host/host.sh
	expect_eq "$status" 0 "the next snapshot"
}

# host_mode MODE: how the host behind the virtio-serial port (fakehost)
# answers the next snapshot request.
host_mode() {
	for name in /sys/class/virtio-ports/*/name; do
		[ "$(cat "$name")" = "$HOST_CHANNEL" ] || continue
		port=${name%/name}
		echo "{\"type\":\"test-mode\",\"mode\":\"$1\"}" >"/dev/${port##*/}" ||
			fail "write to /dev/${port##*/}"
		return
	done
	fail "no virtio-serial port named $HOST_CHANNEL"
}

# snapshot_over_serial [OPTION...]: a snapshot asking the host on the
# virtio-serial port; $status, $out and $err as run leaves them.
snapshot_over_serial() {
	mkdir -p /var/lib
	run snapfreeze snapshot --host "serial:$HOST_CHANNEL" --json "$@"
}

case_snapshot_over_virtio_serial() {
	load_module
	mount_disks
	host_mode ok
	snapshot_over_serial
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success","consistency":"filesystem"' "result"
	expect_match "$out" '"snapshot":"fake-[0-9]' "the host's snapshot identifier"
	expect_no_sessions
	expect_writable /mnt/btrfs
}

case_snapshot_serial_host_refuses() {
	load_module
	mount_disks
	host_mode error
	snapshot_over_serial
	expect_eq "$status" 1 "snapshot refused"
	expect_match "$out" '"status":"error".*"error":"host: refused by the test host"' "result"
	expect_no_sessions
	expect_writable /mnt/ext4
}

case_snapshot_serial_host_sends_garbage() {
	load_module
	mount_disks
	host_mode garbage
	snapshot_over_serial
	expect_eq "$status" 1 "snapshot with a garbled answer"
	expect_match "$err" "not a JSON object" "message"
	expect_no_sessions
	expect_writable /mnt/xfs
}

# A silent host: the controller gives up at its host deadline (3/4 of the
# freeze timeout from the freeze request, as the watchdog counts), long
# before the watchdog, and thaws.
case_snapshot_serial_host_silent() {
	load_module
	mount_disks
	host_mode silence
	snapshot_over_serial --timeout 4
	expect_eq "$status" 1 "snapshot with a silent host"
	expect_match "$err" "no answer in time" "message"
	expect_match "$out" '"host":(2[5-9][0-9][0-9]|3000)\.' \
		"waited 3 s, less the freeze's own time, for the host"
	expect_match "$out" '"reason":"request"' "thawed by the controller, not the watchdog"
	expect_no_sessions
	expect_writable /mnt/btrfs
}

# An answer that comes after the deadline fails that snapshot; the next
# snapshot skips it (another request's id) and takes the right answer.
case_snapshot_serial_late_answer_is_skipped() {
	load_module
	mount_disks
	host_mode late
	snapshot_over_serial --timeout 2
	expect_eq "$status" 1 "snapshot answered late"
	host_mode ok
	snapshot_over_serial
	expect_eq "$status" 0 "the next snapshot"
	expect_no_sessions
}

# fakehost_listening WHERE MODE: a host listening on WHERE (a unix socket's
# path, or vsock:PORT), in the background as $host_pid, once it listens.
fakehost_listening() {
	rm -f /tmp/fakehost.out
	fakehost --listen "$1" "$2" >/tmp/fakehost.out 2>&1 &
	host_pid=$!
	wait_until 5 grep -qs "fakehost: listening" /tmp/fakehost.out ||
		fail "fakehost did not listen on $1: $(cat /tmp/fakehost.out)"
}

# A host on a unix socket or a vsock port (the guest's vsock loopback),
# answering each way it can: only "ok" succeeds, and every failure names
# its cause and leaves nothing frozen.
case_snapshot_over_a_socket() {
	load_module
	mount_disks
	mkdir -p /var/lib
	for transport in "unix:/tmp/host.sock /tmp/host.sock" "vsock:1:5000 vsock:5000"; do
		uri=${transport% *}
		where=${transport#* }
		for expected in "ok:0:" "error:1:host: refused by the test host" \
			"garbage:1:not a JSON object" "silence:1:no answer in time"; do
			mode=${expected%%:*}
			message=${expected#*:*:}
			fakehost_listening "$where" "$mode"
			run snapfreeze snapshot --host "$uri" --timeout 4 --json
			kill "$host_pid"
			wait "$host_pid" || true
			expect_eq "$status" "$(echo "$expected" | cut -d: -f2)" "$uri, host answering $mode"
			expect_match "$out$err" "$message" "$uri, host answering $mode"
			expect_no_sessions
		done
	done
}

# Without the module: a host that checks, with FIFREEZE of its own, that the
# three filesystems are frozen (EBUSY) while it is asked; "hang" as its
# argument makes it never answer, "quiet" makes it only probe.
make_probing_host() {
	mkdir -p /var/lib /tmp/host
	cat >/tmp/host/probe.sh <<'HOST'
#!/bin/sh
read -r request
id=$(printf '%s' "$request" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
for fs in ext4 xfs btrfs; do
	if fsfreeze --freeze "/mnt/$fs" 2>/dev/null; then
		fsfreeze --unfreeze "/mnt/$fs"
		echo "$fs was not frozen"
	else
		echo "$fs frozen"
	fi
done >/tmp/host/probe
[ "$1" = hang ] && exec sleep 600
[ "$1" = quiet ] && exit 0
echo "{\"type\":\"result\",\"version\":1,\"id\":\"$id\",\"ok\":true,\"snapshot\":\"snap-$id\"}"
HOST
	chmod 755 /tmp/host/probe.sh
	rm -f /tmp/host/probe
}

case_snapshot_without_the_module_uses_fifreeze() {
	unload_module
	mount_disks
	make_probing_host
	run snapfreeze snapshot --host exec:/tmp/host/probe.sh --json
	expect_eq "$status" 0 "degraded snapshot"
	expect_eq "$(cat /tmp/host/probe | tr '\n' ' ')" "ext4 frozen xfs frozen btrfs frozen " \
		"what the host saw"
	expect_match "$out" '"freezer":"fifreeze","degraded":"the snapfreeze kernel module is not loaded' \
		"reported as degraded"
	expect_match "$out" '"session":\{"id":0,"state":"thawed".*"reason":"request"' "session"
	expect_match "$(cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log)" \
		"WARNING \[[0-9-]+\] degraded: " "logged as degraded"
	expect_writable /mnt/ext4
	expect_writable /mnt/xfs
	expect_writable /mnt/btrfs
	pidof snapfreeze && fail "a snapfreeze process is left"
	return 0
}

case_snapshot_without_the_module_nor_fallback_fails() {
	unload_module
	mount_disks
	make_probing_host
	mkdir -p /etc/snapfreeze
	trap 'rm -f /etc/snapfreeze/snapfreeze.json' EXIT
	echo '{"fifreeze_fallback": false}' >/etc/snapfreeze/snapfreeze.json
	run snapfreeze snapshot --host exec:/tmp/host/probe.sh
	expect_eq "$status" 3 "exit status"
	expect_match "$err" 'module is not loaded \(try: modprobe snapfreeze\); "fifreeze_fallback" is false' \
		"message"
	[ ! -e /tmp/host/probe ] || fail "the host was asked"
}

# The watchdog process thaws when the controller dies while frozen...
case_fifreeze_thawed_when_the_controller_dies() {
	unload_module
	mount_disks
	make_probing_host
	snapfreeze snapshot --host "exec:/tmp/host/probe.sh hang" >/dev/null 2>&1 &
	controller=$!
	wait_until 10 grep -q btrfs /tmp/host/probe || fail "the host was not asked"
	kill -9 "$controller"
	expect_writable /mnt/ext4
	expect_writable /mnt/xfs
	expect_writable /mnt/btrfs
	wait_until 5 sh -c '! pidof snapfreeze' || fail "the watchdog process is left"
}

# ...and when its timeout passes while the controller is stopped; the
# controller then reports the freeze as lost.
case_fifreeze_watchdog_thaws_a_stopped_controller() {
	unload_module
	mount_disks
	make_probing_host
	snapfreeze snapshot --host "exec:/tmp/host/probe.sh hang" --timeout 2 --json \
		>/tmp/result 2>/tmp/error &
	controller=$!
	wait_until 10 grep -q btrfs /tmp/host/probe || fail "the host was not asked"
	kill -STOP "$controller"
	expect_eq "$(cat /tmp/host/probe | tr '\n' ' ')" "ext4 frozen xfs frozen btrfs frozen " \
		"frozen"
	watchdog=
	for pid in $(pidof snapfreeze); do
		[ "$pid" = "$controller" ] || watchdog=$pid
	done
	[ -n "$watchdog" ] || fail "no watchdog process"
	wait_until 4 gone "$watchdog" || fail "the watchdog process did not end"
	expect_writable /mnt/ext4
	expect_writable /mnt/btrfs
	kill -CONT "$controller"
	wait "$controller"
	expect_eq "$?" 5 "exit status: the freeze was lost"
	expect_match "$(cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log)" \
		"ERROR \[[0-9-]+\] freeze: the watchdog thawed after 2000 ms" "logged"
	expect_match "$(cat /tmp/result)" '"status":"error".*"reason":"watchdog"' "result"
}

# A host that, once asked, probes what is frozen (probe.before), sends $1
# to the FIFREEZE watchdog process (the snapfreeze process whose parent is
# snapfreeze), then probes again (probe) and answers; "hang" as $2 makes
# it never answer, and probe no more: the probe freezes each filesystem
# it finds thawed and thaws it again, and the command, which thaws at
# once when its watchdog dies, would end the host between the two and
# leave that filesystem frozen.
make_watchdog_signaller() {
	make_probing_host
	cat >/tmp/host/signal.sh <<HOST
#!/bin/sh
# Started before the freeze: the request comes once frozen.
read -r request
for pid in \$(pidof snapfreeze); do
	parent=\$(cut -d' ' -f4 /proc/\$pid/stat)
	[ "\$(cat /proc/\$parent/comm)" = snapfreeze ] && echo \$pid >/tmp/host/watchdog
done
cat "/proc/\$(cat /tmp/host/watchdog)/oom_score_adj" >/tmp/host/oom_score_adj
echo "\$request" | /tmp/host/probe.sh quiet
mv /tmp/host/probe /tmp/host/probe.before
kill -$1 "\$(cat /tmp/host/watchdog)"
[ "$2" = hang ] && exec sleep 600
echo "\$request" | exec /tmp/host/probe.sh
HOST
	chmod 755 /tmp/host/signal.sh
}

fifreeze_log() {
	cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log
}

# The watchdog blocks every signal it can: SIGQUIT (and so a core dump on a
# frozen filesystem) does not end it, and the snapshot completes.
case_fifreeze_watchdog_survives_sigquit() {
	unload_module
	mount_disks
	make_watchdog_signaller QUIT
	run snapfreeze snapshot --host exec:/tmp/host/signal.sh --json
	expect_eq "$status" 0 "snapshot"
	expect_eq "$(cat /tmp/host/probe | tr '\n' ' ')" "ext4 frozen xfs frozen btrfs frozen " \
		"frozen after the SIGQUIT"
	expect_match "$out" '"reason":"request"' "thawed by request"
	expect_eq "$(cat /tmp/host/oom_score_adj)" -1000 "the OOM killer's last choice"
}

# A watchdog SIGKILLed while frozen: the command notices at once, thaws
# every filesystem itself, then reports the freeze lost.
case_fifreeze_watchdog_killed_while_frozen() {
	unload_module
	mount_disks
	make_watchdog_signaller KILL hang
	run timeout 60 snapfreeze snapshot --host exec:/tmp/host/signal.sh --timeout 30 --json
	expect_eq "$status" 5 "exit status: the freeze was lost"
	expect_eq "$(cat /tmp/host/probe.before | tr '\n' ' ')" "ext4 frozen xfs frozen btrfs frozen " \
		"frozen before the watchdog was killed"
	expect_writable /mnt/ext4
	expect_writable /mnt/xfs
	expect_writable /mnt/btrfs
	expect_match "$out" "the watchdog process died while frozen; the command thawed the filesystems" \
		"result"
	expect_match "$(fifreeze_log)" "ERROR \[[0-9-]+\] freeze: fifreeze: the watchdog process died" \
		"logged, once thawed"
	wait_until 5 sh -c '! pidof snapfreeze' || fail "a snapfreeze process is left"
}

# A watchdog that stops answering (SIGSTOP) is killed at the thaw, and the
# command thaws itself.
case_fifreeze_watchdog_stopped_while_frozen() {
	unload_module
	mount_disks
	make_watchdog_signaller STOP
	run timeout 60 snapfreeze snapshot --host exec:/tmp/host/signal.sh --timeout 30 --json
	expect_eq "$status" 5 "exit status: the freeze was lost"
	expect_writable /mnt/ext4
	expect_writable /mnt/xfs
	expect_writable /mnt/btrfs
	expect_match "$out" "the watchdog process did not answer while frozen; the command thawed" \
		"result"
	wait_until 5 sh -c '! pidof snapfreeze' || fail "a snapfreeze process is left"
}

# As Azure's extension handler: folders from HandlerEnvironment.json, the
# status "transitioning" while the host is asked, then the result.
case_snapshot_as_an_extension_handler() {
	load_module
	mount_disks
	make_host ok
	rm -rf /tmp/ext
	mkdir -p /tmp/ext/config /tmp/ext/status
	for n in 3 4; do
		printf '{"runtimeSettings": [{"handlerSettings": {"publicSettings": {"commandToExecute": "snapshot", "taskId": "task-%s"}}}]}\n' \
			"$n" >/tmp/ext/config/$n.settings
	done
	cat >/tmp/ext/HandlerEnvironment.json <<-'EOF2'
	[{"name": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "version": 1.0,
	  "handlerEnvironment": {"logFolder": "/tmp/ext/log", "configFolder": "/tmp/ext/config",
	                         "statusFolder": "/tmp/ext/status"}}]
	EOF2
	host="exec:cp /tmp/ext/status/4.status /tmp/host/during; /tmp/host/host.sh"
	run snapfreeze snapshot --handler-env /tmp/ext/HandlerEnvironment.json --host "$host"
	expect_eq "$status" 0 "snapshot"
	expect_match "$(cat /tmp/host/during)" \
		'^\[\{"version":"1.0","timestampUTC":"[0-9T:-]+Z","status":\{"name":"Microsoft.Azure.RecoveryServices.VMSnapshotLinux","operation":"Enable","status":"transitioning","code":4,"taskId":"task-4"' \
		"status while frozen"
	expect_match "$(cat /tmp/ext/status/4.status)" \
		'"status":"success","code":1,"taskId":"task-4",.*"formattedMessage":\{"lang":"en-US","message":"\{\\"messageStr\\":\\"snapshot [0-9-]+: success, filesystem-consistent\\",\\"snapshotConsistency\\":1' \
		"final status"
	expect_match "$(cat /tmp/ext/log/extension.log)" "host: snapshot snap-" "log in the log folder"

	make_host refuse
	ConfigSequenceNumber=5 SNAPFREEZE_HANDLER_ENVIRONMENT=/tmp/ext/HandlerEnvironment.json \
		run snapfreeze snapshot --host exec:/tmp/host/host.sh
	expect_eq "$status" 1 "refused snapshot"
	expect_match "$(cat /tmp/ext/status/5.status)" \
		'"status":"error","code":76,.*"message":"\{\\"messageStr\\":\\"snapshot [0-9-]+ failed: host: denied\\",\\"snapshotConsistency\\":0' \
		"error status"
	[ "$(ls /tmp/ext/status)" = "$(printf '4.status\n5.status')" ] ||
		fail "status folder: $(ls -a /tmp/ext/status)"
}

# azure_scripts PRE POST [KEY: VALUE...]: Azure's script configuration, with
# scripts PRE and POST (shell bodies, "" for none) in /tmp/app; the
# configuration is removed when the case ends.
azure_scripts() {
	mkdir -p /etc/azure /tmp/app
	trap 'rm -f /etc/azure/VMSnapshotScriptPluginConfig.json' EXIT
	# A key given twice is refused: the default timeout only if none is given.
	case "$*" in
	*timeoutInSeconds*) config='{"pluginName": "ScriptRunner"' ;;
	*) config='{"pluginName": "ScriptRunner", "timeoutInSeconds": 30' ;;
	esac
	for which in pre post; do
		body=$1
		shift
		[ -n "$body" ] || continue
		printf '#!/bin/sh\n%s\n' "$body" >"/tmp/app/$which.sh"
		chmod 755 "/tmp/app/$which.sh"
		config="$config, \"${which}ScriptLocation\": \"/tmp/app/$which.sh\""
	done
	for setting in "$@"; do
		config="$config, $setting"
	done
	echo "$config}" >/etc/azure/VMSnapshotScriptPluginConfig.json
	chmod 600 /etc/azure/VMSnapshotScriptPluginConfig.json
	rm -f /var/lib/snapfreeze/state.json /tmp/app/trace
}

sessions_since_load() {
	json_number "$(snapfreeze status --json)" sessions_since_load
}

# snapshot_in_background [OPTION...]: a snapshot asking the exec host, its
# pid in $controller, its output in /tmp/result and /tmp/result.err.
snapshot_in_background() {
	snapfreeze snapshot --host exec:/tmp/host/host.sh --json "$@" \
		>/tmp/result 2>/tmp/result.err &
	controller=$!
}

# SIGTERM while the host is asked: the wait ends at once (not at the host
# deadline), the filesystems are thawed by the command, the result says why.
case_snapshot_sigterm_cuts_the_host_wait_short() {
	load_module
	mount_disks
	make_host hang
	rm -f /tmp/host/request
	snapshot_in_background --timeout 60
	wait_until 10 host_asked || fail "the host was not asked"
	frozen_session || fail "not frozen while the host is asked"
	kill -TERM "$controller"
	wait_until 3 gone "$controller" || fail "still running 3 s after SIGTERM"
	wait "$controller"
	expect_eq "$?" 1 "exit status"
	result=$(cat /tmp/result)
	expect_match "$result" '"status":"error".*"error":"host: interrupted by SIGTERM"' "result"
	expect_match "$result" '"reason":"request"' "thawed by the command, not the watchdog"
	expect_no_sessions
	expect_writable /mnt/xfs
}

# SIGTERM during the pre-script: the script gets SIGTERM (it can clean up),
# nothing is frozen, the host is not asked, the post-script still runs.
case_snapshot_sigterm_during_the_pre_script() {
	load_module
	mount_disks
	make_host ok
	azure_scripts "trap 'echo pre stopped >>/tmp/app/trace; exit 1' TERM
echo pre started >>/tmp/app/trace
while :; do sleep 0.05; done" 'echo post >>/tmp/app/trace'
	rm -f /tmp/host/request
	sessions=$(sessions_since_load)
	snapshot_in_background
	wait_until 10 grep -qs "pre started" /tmp/app/trace || fail "the pre-script did not start"
	kill -TERM "$controller"
	wait_until 10 gone "$controller" || fail "still running 10 s after SIGTERM"
	wait "$controller"
	expect_eq "$?" 1 "exit status"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre started pre stopped post " \
		"the pre-script stopped by SIGTERM, the post-script ran"
	expect_match "$(cat /tmp/result)" \
		'"status":"error","consistency":"none","error":"pre-script: interrupted by SIGTERM"' "result"
	! host_asked || fail "the host was asked after SIGTERM"
	expect_eq "$(sessions_since_load)" "$sessions" "sessions after SIGTERM: nothing was frozen"
	expect_match "$(cat /var/lib/snapfreeze/state.json)" '"filesystem_only_left": ?0[,}]' \
		"a signal is not an application failure"
}

# One snapshot at a time: a second one fails at once and names the lock.
case_snapshot_second_one_refused() {
	load_module
	mount_disks
	make_host hang
	rm -f /tmp/host/request
	snapshot_in_background
	wait_until 10 host_asked || fail "the host was not asked"
	run snapfreeze snapshot --host exec:/tmp/host/host.sh
	expect_eq "$status" 1 "second snapshot"
	expect_match "$err" "another snapshot is running \(/run/snapfreeze.lock is locked\)" "message"
	kill -TERM "$controller"
	wait "$controller"
	expect_no_sessions
}

# A failed pre-script with continueBackupOnFailure: filesystem-consistent,
# and a success; the failure is in the log.
case_snapshot_continues_after_a_failed_pre_script() {
	load_module
	mount_disks
	make_host ok
	azure_scripts 'echo pre failing; exit 4' 'echo post >>/tmp/app/trace' \
		'"continueBackupOnFailure": true'
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success","consistency":"filesystem"' "result"
	expect_match "$out" '"message":"frozen sessions 1, targets 3"' "frozen while the host answered"
	expect_eq "$(cat /tmp/app/trace)" "post" "post-script"
	log=$(cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log)
	expect_match "$log" "INFO \[[0-9-]+\] pre-script> pre failing$" "script output, a log line"
	expect_match "$log" "ERROR \[[0-9-]+\] pre-script: /tmp/app/pre.sh failed: exit status 4" \
		"the failure logged"
}

# fsFreezeEnabled false: the host takes the snapshot, nothing is frozen.
case_snapshot_without_freezing_when_azure_says_so() {
	load_module
	mount_disks
	make_host ok
	azure_scripts 'echo pre >>/tmp/app/trace' 'echo post >>/tmp/app/trace' \
		'"fsFreezeEnabled": false'
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success","consistency":"application"' "result"
	expect_match "$out" '"message":"frozen sessions 0, targets 0".*"freezer":"none"' \
		"the host asked, nothing frozen"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre post " "scripts around the host's snapshot"
}

# A pre-script past its timeout is killed; an unsafe script is refused by
# name and mode; neither freezes anything.
case_snapshot_script_timeout_and_unsafe_script() {
	load_module
	mount_disks
	make_host ok
	sessions=$(sessions_since_load)
	azure_scripts 'exec sleep 100' '' '"timeoutInSeconds": 1' '"continueBackupOnFailure": false'
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 1 "snapshot with a hung pre-script"
	expect_match "$(cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log)" \
		"pre-script: /tmp/app/pre.sh failed: killed after 1 s, 1 attempt" "killed at its timeout"
	expect_match "$out" '"consistency":"none"' "no snapshot"

	azure_scripts 'true' '' '"continueBackupOnFailure": false'
	chmod 777 /tmp/app/pre.sh
	run snapfreeze snapshot --host exec:/tmp/host/host.sh --json
	expect_eq "$status" 1 "snapshot with a world-writable pre-script"
	expect_match "$out" '"error":"pre-script: /tmp/app/pre.sh: mode 0777, must not be writable by group or others"' \
		"refusal"
	expect_eq "$(sessions_since_load)" "$sessions" "sessions: nothing was frozen"
}

# A host that cannot be reached fails the snapshot before anything is frozen.
case_snapshot_unreachable_host_fails_before_freezing() {
	load_module
	mount_disks
	sessions=$(sessions_since_load)
	run snapfreeze snapshot --host unix:/nonexistent/host.sock --json
	expect_eq "$status" 1 "snapshot"
	expect_match "$out" '"status":"error","consistency":"none","error":"unix:/nonexistent/host.sock: connect: No such file or directory"' \
		"result"
	expect_eq "$(sessions_since_load)" "$sessions" "sessions: nothing was frozen"
	run snapfreeze snapshot --host bogus:x
	expect_eq "$status" 2 "a URI of no known scheme"
	expect_match "$err" "host URI 'bogus:x': not serial:, unix:, vsock:, exec:, http://, https:// or azure:" \
		"message"
}

# As Azure's handler, a configuration that is refused still ends in an
# error status that says why.
case_snapshot_handler_reports_a_bad_configuration() {
	load_module
	rm -rf /tmp/ext
	mkdir -p /tmp/ext/status /etc/snapfreeze
	trap 'rm -f /etc/snapfreeze/snapfreeze.json' EXIT
	echo '{"host": "exec:true"}' >/etc/snapfreeze/snapfreeze.json
	chmod 666 /etc/snapfreeze/snapfreeze.json
	cat >/tmp/ext/HandlerEnvironment.json <<-'EOF2'
	[{"name": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "version": 1.0,
	  "handlerEnvironment": {"logFolder": "/tmp/ext/log", "configFolder": "/tmp/ext",
	                         "statusFolder": "/tmp/ext/status"}}]
	EOF2
	ConfigSequenceNumber=7 run snapfreeze snapshot --handler-env /tmp/ext/HandlerEnvironment.json
	expect_eq "$status" 1 "snapshot"
	expect_match "$(cat /tmp/ext/status/7.status)" \
		'"status":"error","code":2,.*"messageStr\\":\\"snapshot [0-9-]+ failed: /etc/snapfreeze/snapfreeze.json: mode 0666, must not be writable by group or others\\"' \
		"error status"
}

# A state file damaged by hand never holds snapshots up: a warning, and a
# fresh state written in its place.
case_snapshot_not_held_up_by_a_damaged_state() {
	load_module
	mount_disks
	make_host ok
	mkdir -p /var/lib/snapfreeze
	echo 'not json' >/var/lib/snapfreeze/state.json
	run snapfreeze snapshot --host exec:/tmp/host/host.sh
	expect_eq "$status" 0 "snapshot"
	expect_match "$(cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log)" \
		"WARNING \[[0-9-]+\] /var/lib/snapfreeze/state.json: not a snapfreeze state: starting afresh" \
		"warned"
	expect_match "$(cat /var/lib/snapfreeze/state.json)" '"filesystem_only_left": ?0[,}]' \
		"a fresh state saved"
}
