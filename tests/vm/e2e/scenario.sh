# The end-to-end scenario inside the VM, sourced by its cases: an
# application writing to the three disks, its pre- and post-scripts in
# Azure's script configuration, and snapshots taken by the host agent
# (snapfreeze-hostd) over the virtio-serial port.
#
# The application writes numbered records: record n goes to the ext4, the
# xfs and the btrfs disk in turn, then n+1. Whatever instant a snapshot
# catches, the three files then hold a prefix of that sequence if the
# snapshot is consistent: no disk holds a record written after one that is
# missing from another. The host checks that on the snapshot's images
# (verify.sh).
#
# The btrfs file is the application's journal: it is made durable (fsync)
# every tenth record, as a database commits its log; the kernel writes the
# other two back when it likes. Writeback is quick (data older than 1 s,
# every 0.5 s; ext4 and xfs commit their journal and log every second), so
# that every disk keeps moving on its own: a snapshot taken without
# freezing catches each where its own writeback left it.

WORKLOAD=/run/workload
RECORDS="/mnt/ext4/records /mnt/xfs/records /mnt/btrfs/records"
MARKERS="/mnt/ext4/marker /mnt/xfs/marker /mnt/btrfs/marker"

# The workload's loop. At the end of a round, while $WORKLOAD/pause exists,
# it flushes its files, says after which record in $WORKLOAD/paused, and
# waits.
workload_loop() {
	n=0
	while :; do
		n=$((n + 1))
		for file in $RECORDS; do
			echo "$n" >>"$file" || exit 1
		done
		[ $((n % 10)) != 0 ] || sync /mnt/btrfs/records || exit 1
		[ -e "$WORKLOAD/pause" ] || continue
		sync $RECORDS || exit 1
		echo "$n" >"$WORKLOAD/paused.new" && mv "$WORKLOAD/paused.new" "$WORKLOAD/paused"
		while [ -e "$WORKLOAD/pause" ]; do
			usleep 10000
		done
		rm -f "$WORKLOAD/paused"
	done
}

quick_writeback() {
	echo 100 >/proc/sys/vm/dirty_expire_centisecs &&
		echo 50 >/proc/sys/vm/dirty_writeback_centisecs &&
		echo 100 >/proc/sys/fs/xfs/xfssyncd_centisecs &&
		mount -o remount,commit=1 /mnt/ext4 ||
		fail "quick writeback could not be set"
}

# start_workload: from record 1 again, in the background (the runner ends
# it after the case). What earlier cases left (records, markers) is gone
# for good first, as an application starts on files it made durable.
start_workload() {
	quick_writeback
	rm -rf "$WORKLOAD"
	mkdir -p "$WORKLOAD"
	rm -f $RECORDS $MARKERS
	sync
	workload_loop &
	echo $! >"$WORKLOAD/pid"
}

# The last record the workload finished on every disk.
last_record() {
	tail -n 1 /mnt/btrfs/records 2>/dev/null
}

records_beyond() { # records_beyond N
	[ "$(last_record)" -gt "$1" ] 2>/dev/null
}

# wait_for_records N: the workload has written N records (it runs).
wait_for_records() {
	wait_until 30 records_beyond "$1" || fail "the workload did not write $1 records"
}

# The application's scripts, as Azure's VM snapshot extension configures them.
configure_scripts() {
	mkdir -p /etc/azure /var/lib
	cat >/etc/azure/VMSnapshotScriptPluginConfig.json <<-'CONFIG'
	{"pluginName": "ScriptRunner",
	 "preScriptLocation": "/tests/cases/app-pre.sh", "preScriptParams": [],
	 "postScriptLocation": "/tests/cases/app-post.sh", "postScriptParams": [],
	 "preScriptNoOfRetries": 0, "postScriptNoOfRetries": 0,
	 "timeoutInSeconds": 30, "continueBackupOnFailure": false, "fsFreezeEnabled": true}
	CONFIG
	chmod 600 /etc/azure/VMSnapshotScriptPluginConfig.json
	rm -f /var/lib/snapfreeze/state.json
}

# The module loaded, the disks mounted, the scripts configured, the
# workload running and past its first records.
start_application() {
	load_module
	mount_disks
	configure_scripts
	start_workload
	wait_for_records 200
}

# The controller's log (extension.log at Azure's place).
extension_log() {
	cat /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log
}

# snapshot [OPTION...]: snapfreeze snapshot through the host agent on the
# virtio-serial port; $status, $out and $err as run leaves them, the
# snapshot's id in $snapshot_id.
snapshot() {
	run snapfreeze snapshot --host "serial:$HOST_CHANNEL" --json "$@"
	snapshot_id=$(printf '%s' "$out" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
}

# expect_application_snapshot NAME: the last snapshot succeeded,
# application-consistent: the pre-script paused the workload and left its
# marker, the post-script resumed it. The host checks its images as NAME.
expect_application_snapshot() {
	expect_eq "$status" 0 "snapshot"
	expect_match "$out" '"status":"success","consistency":"application"' "result"
	expect_match "$out" "\"host\":\\{[^}]*\"snapshot\":\"$snapshot_id\"" \
		"the host's answer to this request"
	marker=$(cat /mnt/ext4/marker)
	expect_match "$(extension_log)" "workload paused after record $marker\$" \
		"the pre-script's output in the log"
	wait_until 10 records_beyond "$marker" || fail "the workload did not resume"
	expect_no_sessions
	note "e2e-snapshot $1 $snapshot_id application $marker"
}

# expect_thawed: nothing frozen, every disk takes writes, the workload runs.
expect_thawed() {
	expect_no_sessions
	for fs in ext4 xfs btrfs; do
		expect_writable "/mnt/$fs"
	done
	records=$(last_record)
	wait_until 10 records_beyond "$records" || fail "the workload did not resume"
}

# The virtio-serial port to the host agent.
host_port() {
	for name in /sys/class/virtio-ports/*/name; do
		[ "$(cat "$name")" = "$HOST_CHANNEL" ] || continue
		port=${name%/name}
		echo "/dev/${port##*/}"
		return
	done
	fail "no virtio-serial port named $HOST_CHANNEL"
}

# ask_host ID CONSISTENCY: a snapshot request written on the port by hand,
# nothing frozen; the host's answer in $answer.
ask_host() {
	port=$(host_port)
	exec 3<>"$port"
	printf '{"type":"snapshot","version":1,"id":"%s","consistency":"%s","deadline_ms":30000,"targets":[]}\n' \
		"$1" "$2" >&3
	answer=
	read -r -t 30 answer <&3
	exec 3<&-
	echo "host: $answer"
}
