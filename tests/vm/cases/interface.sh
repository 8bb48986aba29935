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
