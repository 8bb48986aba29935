# Azure's extension handler, as Azure's guest agent drives it: the
# commands run from the extension's folder, with HandlerEnvironment.json
# there, the sequence number in ConfigSequenceNumber, N.settings in the
# agent's shape (field names from Azure's extension, values made up; the
# protected settings encrypted on the host to a throwaway certificate,
# /tests/files, here the agent's), and the host at 168.63.129.16, where
# QEMU's user network forwards it to snapfreeze-hostd (azure/agent.sh).
# The cases run in order and build on each other.
EXT=/var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.0
WAAGENT=/run/waagent
LOG_FOLDER=/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux

# handler COMMAND N: snapfreeze handler COMMAND as the agent runs it.
handler() {
	(
		cd "$EXT" || exit 99
		export ConfigSequenceNumber="$2" SNAPFREEZE_WAAGENT_DIR="$WAAGENT"
		run snapfreeze handler "$1"
		exit "$status"
	)
	status=$?
}

# settings N [COMMAND]: N.settings as the agent writes it, task task-N.
settings() {
	ticks=$(($(date +%s) * 10000000 + 621355968000000000))
	cat >"$EXT/config/$1.settings" <<-SETTINGS
	{"runtimeSettings": [{"handlerSettings": {
	  "protectedSettingsCertThumbprint": "$(cat /tests/files/thumbprint)",
	  "protectedSettings": "$(cat /tests/files/protected)",
	  "publicSettings": {"locale": "en-us", "taskId": "task-$1",
	    "commandToExecute": "${2:-snapshot}", "commandStartTimeUTCTicks": "$ticks",
	    "vmType": "microsoft.compute/virtualmachines", "logsBlobUri": "", "statusBlobUri": "",
	    "objectStr": "$(cat /tests/files/objectStr)"}}}]}
	SETTINGS
}

status_of() { # status_of N: N.status, or nothing
	cat "$EXT/status/$1.status" 2>/dev/null
}

final_status() { # final_status N: N.status is no longer transitioning
	status_of "$1" | grep -Eq '"status":"(success|error)"'
}

# The VM's address in QEMU's user network 168.63.129.0/24, where the host is
# 168.63.129.16 as Azure's wire server is.
network_up() {
	ip link set eth0 up &&
		{ ip addr show eth0 | grep -q 168.63.129.15 ||
		  ip addr add 168.63.129.15/24 dev eth0; } ||
		fail "eth0 not configured"
}

# What the agent lays out, and the application's scripts.
setup_extension() {
	load_module
	mount_disks
	network_up
	mkdir -p "$EXT/config" "$EXT/status" "$LOG_FOLDER" "$WAAGENT" /etc/snapfreeze /etc/azure \
		/tmp/app
	cp /tests/files/*.crt /tests/files/*.prv "$WAAGENT/"
	chmod 600 "$WAAGENT"/*.prv
	cat >"$EXT/HandlerEnvironment.json" <<-EOF2
	[{"name": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "seqNo": "0",
	  "version": "1.0.0",
	  "handlerEnvironment": {"logFolder": "$LOG_FOLDER", "configFolder": "$EXT/config",
	                         "statusFolder": "$EXT/status",
	                         "heartbeatFile": "$EXT/heartbeat.log"}}]
	EOF2
	echo '{"host": "azure:"}' >/etc/snapfreeze/snapfreeze.json
	printf '#!/bin/sh\necho pre >>/tmp/app/trace\n' >/tmp/app/pre.sh
	printf '#!/bin/sh\necho post >>/tmp/app/trace\n' >/tmp/app/post.sh
	chmod 755 /tmp/app/pre.sh /tmp/app/post.sh
	cat >/etc/azure/VMSnapshotScriptPluginConfig.json <<-'CONFIG'
	{"pluginName": "ScriptRunner", "preScriptLocation": "/tmp/app/pre.sh",
	 "postScriptLocation": "/tmp/app/post.sh", "preScriptParams": ["", ""],
	 "postScriptParams": ["", ""], "preScriptNoOfRetries": 0, "postScriptNoOfRetries": 0,
	 "timeoutInSeconds": 30, "continueBackupOnFailure": true, "fsFreezeEnabled": true}
	CONFIG
	chmod 600 /etc/azure/VMSnapshotScriptPluginConfig.json
	rm -f /tmp/app/trace "$EXT/mrseq"
}

case_install() {
	setup_extension
	settings 0 install
	handler install 0
	expect_eq "$status" 0 "install"
	[ -d /var/lib/snapfreeze ] || fail "no state folder after install"
	expect_match "$(status_of 0)" '"operation":"Install","status":"success","code":0' "status"
	[ ! -e "$EXT/heartbeat.log" ] || fail "a heartbeat, though the manifest declares none"
}

# enable returns at once with "transitioning"; the snapshot runs detached,
# asks hostd (presnapshot before the freeze, dosnapshot while frozen) and
# ends application-consistent.
case_enable_takes_a_snapshot() {
	settings 1
	start=$(date +%s)
	handler enable 1
	expect_eq "$status" 0 "enable"
	[ $(($(date +%s) - start)) -le 3 ] || fail "enable did not return at once"
	expect_match "$(status_of 1)" '"status":"(transitioning|success)"' "status right after enable"
	wait_until 60 final_status 1 || fail "no final status: $(status_of 1)"
	expect_match "$(status_of 1)" \
		'"operation":"Enable","status":"success","code":0,"taskId":"task-1","commandStartTimeUTCTicks":"[0-9]+"' \
		"final status"
	expect_match "$(status_of 1)" '\\"snapshotConsistency\\":2' "application-consistent"
	expect_match "$(status_of 1)" '"substatus":\[\{"code":0,"name":"\{\\"id\\"' "the report in substatus"
	expect_match "$(status_of 1)" 'snapshotInfo|isSuccessful' "the host's disks in the report"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre post " "scripts"
	expect_eq "$(cat "$EXT/mrseq")" 1 "mrseq"
	expect_no_sessions
	expect_match "$(cat "$LOG_FOLDER/extension.log")" "frozen as session" "frozen"
	! grep -q "token-from-the-protected-settings" "$LOG_FOLDER/extension.log" "$EXT"/status/* ||
		fail "the protected settings' token written in clear"
}

# The same sequence number again: nothing run, nothing written.
case_same_sequence_does_nothing() {
	before=$(status_of 1)
	handler enable 1
	expect_eq "$status" 0 "enable again"
	expect_eq "$(status_of 1)" "$before" "status untouched"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre post " "no script ran"
}

case_new_sequence_second_snapshot() {
	settings 2
	handler enable 2
	expect_eq "$status" 0 "enable"
	wait_until 60 final_status 2 || fail "no final status: $(status_of 2)"
	expect_match "$(status_of 2)" '"status":"success","code":0,"taskId":"task-2"' "final status"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre post pre post " "scripts ran again"
	expect_eq "$(cat "$EXT/mrseq")" 2 "mrseq"
}

# disable while the snapshot is frozen, waiting for a host that never
# answers dosnapshot (168.63.129.16:81): the snapshot stops, nothing stays
# frozen, the post-script runs, disable reports.
case_disable_during_a_snapshot_leaves_nothing_frozen() {
	echo '{"host": "azure:168.63.129.16:81"}' >/etc/snapfreeze/snapfreeze.json
	settings 3
	handler enable 3
	expect_eq "$status" 0 "enable"
	wait_until 30 frozen_now || fail "the snapshot never froze"
	handler disable 3
	expect_eq "$status" 0 "disable"
	expect_no_sessions
	expect_writable /mnt/ext4
	expect_writable /mnt/xfs
	expect_writable /mnt/btrfs
	expect_match "$(status_of 3)" '"operation":"Disable","status":"success"' "disable's status"
	expect_eq "$(tr '\n' ' ' </tmp/app/trace)" "pre post pre post pre post " \
		"the post-script ran"
	expect_match "$(cat "$LOG_FOLDER/extension.log")" "interrupted by SIGTERM" \
		"the snapshot was stopped"
	echo '{"host": "azure:"}' >/etc/snapfreeze/snapfreeze.json
}

frozen_now() {
	snapfreeze status --json | grep -q '"state":"frozen"'
}

case_uninstall_removes_our_files() {
	handler uninstall 3
	expect_eq "$status" 0 "uninstall"
	[ ! -e /var/lib/snapfreeze/state.json ] || fail "state.json left"
	[ ! -e /var/lib/snapfreeze/last-snapshot.json ] || fail "last-snapshot.json left"
	[ ! -e "$EXT/mrseq" ] || fail "mrseq left"
	expect_match "$(status_of 3)" '"operation":"Uninstall","status":"success","code":0' "status"
}
