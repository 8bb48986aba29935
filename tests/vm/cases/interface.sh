# The netlink interface: limits, malformed requests, privileges.

case_limits_enforced() {
	load_module
	mount_disks
	params=/sys/module/snapfreeze/parameters
	trap 'echo 600000 >$params/max_timeout_ms; echo 64 >$params/max_targets' EXIT
	echo 5000 >$params/max_timeout_ms
	run snapfreeze freeze --detach --timeout 6 /mnt/ext4
	expect_eq "$status" 1 "timeout above max_timeout_ms"
	expect_match "$err" "above.*max_timeout_ms" "message"
	run snapfreeze freeze --detach --timeout 5 /mnt/ext4
	expect_eq "$status" 0 "timeout at max_timeout_ms"
	snapfreeze thaw --all >/dev/null
	echo 2 >$params/max_targets
	run snapfreeze freeze --detach /mnt/ext4 /mnt/xfs /mnt/btrfs
	expect_eq "$status" 1 "more targets than max_targets"
	expect_match "$err" "max_targets" "message"
	expect_no_sessions
}

# Every malformed request is refused with an error and a message naming
# the problem, and leaves no session behind.
case_malformed_requests_refused() {
	load_module
	run badmsg
	expect_eq "$status" 0 "badmsg ran"
	printf '%s\n' "$out" | while read -r scenario error message; do
		[ "$error" -lt 0 ] || fail "$scenario: accepted"
		[ -n "$message" ] || fail "$scenario: refused ($error) without a message"
	done || exit 1
	expect_match "$out" "freeze_too_many_targets -7 " "too many targets: E2BIG"
	expect_match "$out" "thaw_unknown_session -2 no such session" "unknown session: ENOENT"
	expect_no_sessions
}

case_freeze_without_sys_admin_refused() {
	load_module
	mount_disks
	run "$SETPRIV" --bounding-set=-sys_admin snapfreeze freeze --detach /mnt/ext4
	expect_eq "$status" 4 "freeze without CAP_SYS_ADMIN"
	expect_match "$err" "CAP_SYS_ADMIN is required" "message"
	run "$SETPRIV" --reuid=65534 --regid=65534 --clear-groups snapfreeze thaw --all
	expect_eq "$status" 4 "thaw as uid 65534"
	run "$SETPRIV" --bounding-set=-sys_admin snapfreeze watch
	expect_eq "$status" 4 "watch without CAP_SYS_ADMIN"
	expect_match "$err" "CAP_SYS_ADMIN is required" "message"
	expect_no_sessions
	expect_writable /mnt/ext4
}

# A session larger than any one netlink message (64 targets, each a path of
# about a kilobyte) is listed whole by the GET_SESSION dump, with the
# sessions after it, never dropped.
case_status_lists_a_large_session() {
	load_module
	mount_disks
	long=/tmp/large
	for part in 1 2 3 4; do
		long=$long/$(printf "%0200d" "$part")
	done
	targets=
	for i in $(seq 1 64); do
		mkdir -p "$long/$i" || fail "mkdir $i"
		dd if=/dev/zero of="/tmp/large-$i.img" bs=1k count=256 2>/dev/null &&
			mke2fs -F "/tmp/large-$i.img" >/dev/null 2>&1 &&
			mount -o loop "/tmp/large-$i.img" "$long/$i" || fail "filesystem $i"
		targets="$targets $long/$i"
	done
	trap 'snapfreeze thaw --all >/dev/null; for i in $(seq 1 64); do umount "$long/$i"; done' EXIT
	freeze_detached $targets
	large=$id
	freeze_detached /mnt/ext4
	small=$id
	run snapfreeze status --json
	expect_eq "$status" 0 "snapfreeze status --json"
	sessions=$(printf '%s' "$out" | grep -o '"id":[0-9]*' | tr '\n' ' ')
	expect_eq "$sessions" "\"id\":$large \"id\":$small " "sessions listed"
	expect_eq "$(printf '%s' "$out" | grep -o "\"path\":\"$long/[0-9]*\"" | wc -l)" 64 \
		"targets of the large session listed"
	expect_match "$out" "\"path\":\"/mnt/ext4\"" "the session after the large one"
	snapfreeze thaw --all >/dev/null
	expect_no_sessions
}
