# libvirt on the host, snapfreeze in the guest (libvirt.sh): libvirt
# quiesces the guest through the QEMU guest agent's protocol, which
# snapfreeze agent speaks on the port org.qemu.guest_agent.0 in place of
# qemu-ga, and snapshots the disks, for virsh and for snapfreeze-hostd
# --libvirt. Each case says when it is ready for the host (host.sh), which
# then acts; the host checks the snapshots' images once the VM stopped
# (verify.sh).
. /tests/cases/scenario.sh

# start_agent TIMEOUT OPTION...: snapfreeze agent in the background, no
# qemu-ga behind it, a freeze held TIMEOUT seconds at most; ready once it
# holds its port open.
start_agent() {
	timeout=$1
	shift
	snapfreeze agent --timeout "$timeout" --no-qemu-ga "$@" >/tmp/agent.log 2>&1 &
	agent=$!
	wait_until 10 holds_its_port "$agent" ||
		fail "snapfreeze agent did not open its port: $(cat /tmp/agent.log)"
}

holds_its_port() { # holds_its_port PID: one of its descriptors is a virtio port
	for fd in "/proc/$1/fd"/*; do
		case $(readlink "$fd") in
		/dev/vport*) return 0 ;;
		esac
	done
	return 1
}

frozen_now() {
	snapfreeze status --json | grep -q '"state":"frozen"'
}

uptime_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

expect_all_writable() {
	for fs in ext4 xfs btrfs; do
		expect_writable "/mnt/$fs"
	done
}

# virsh domfsfreeze freezes the three filesystems as one session of the
# module (a write blocks), and virsh domfsthaw thaws them, long before the
# agent's own deadline.
case_domfsfreeze_freezes_through_the_module() {
	load_module
	mount_disks
	start_agent 30 --no-fsfreeze-hook
	note "libvirt-ready domfsfreeze"
	wait_until 60 frozen_now || fail "nothing frozen: virsh domfsfreeze did not reach the module"
	expect_eq "$(snapfreeze status --json | grep -o '"fstype"' | wc -l)" 3 \
		"filesystems in the session: $(snapfreeze status --json)"
	start_writer /mnt/xfs/during-freeze x
	wait_until 5 blocked "$writer" || fail "a write to /mnt/xfs did not block"
	note "libvirt-frozen-seen domfsfreeze"
	wait_until 20 no_sessions || fail "virsh domfsthaw did not thaw within 20 s"
	wait_until 5 gone "$writer" || fail "the blocked write did not complete after the thaw"
	expect_all_writable
}

# virsh snapshot-create-as --quiesce: the agent runs the application's
# scripts as the fsfreeze hook (libvirt-hook.sh), freezes through the
# module, and thaws when libvirt says; the images are checked as
# application-consistent, up to the pre-script's marker.
case_quiesced_snapshot_is_consistent() {
	start_application
	start_watcher 2
	start_agent 30 --fsfreeze-hook /tests/cases/libvirt-hook.sh
	note "libvirt-ready snapshot"
	wait_until 90 gone "$watcher" || fail "no freeze and thaw: $(cat /tmp/events)"
	expect_match "$(cat /tmp/events)" '"event":"frozen"' "frozen through the module"
	expect_match "$(cat /tmp/events)" '"event":"thawed".*"reason":"request"' \
		"thawed when libvirt asked"
	marker=$(cat /mnt/ext4/marker) || fail "the hook's pre-script left no marker"
	wait_until 10 records_beyond "$marker" || fail "the workload did not resume: no thaw hook"
	expect_no_sessions
	note "e2e-snapshot virsh virsh application $marker"
}

# libvirtd SIGKILLed while the guest is frozen: nobody is left to thaw it,
# and it thaws at the agent's deadline (8 s), not before, not much later.
case_libvirtd_killed_while_frozen_thaws_at_the_deadline() {
	load_module
	mount_disks
	start_agent 8 --no-fsfreeze-hook
	note "libvirt-ready killed"
	wait_until 60 frozen_now || fail "nothing frozen: virsh domfsfreeze did not reach the module"
	since=$(uptime_ms)
	wait_until 30 no_sessions || fail "still frozen 30 s after libvirtd was killed"
	took=$(($(uptime_ms) - since))
	note "libvirt-thawed-seen killed $took"
	[ "$took" -ge 6000 ] || fail "thawed $took ms after the freeze was seen: before the 8 s deadline"
	[ "$took" -le 11000 ] || fail "thawed $took ms after the freeze was seen: long after the 8 s deadline"
	expect_all_writable
}

# The guest's own snapshot (snapfreeze snapshot), taken by snapfreeze-hostd
# through libvirt: one atomic snapshot of the three disks, its overlays
# named after libvirt's targets (vda, vdb, vdc), checked by the host.
case_guest_driven_snapshot_through_hostd_libvirt() {
	start_application
	snapshot
	expect_application_snapshot hostd
}
