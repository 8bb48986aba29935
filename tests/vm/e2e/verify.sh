#!/bin/bash
# Usage: verify.sh RELEASE WORK KERNEL_ROOT
#
# The host-side checks of the end-to-end tests (run.sh's
# SNAPFREEZE_VM_HOST_CHECKS), once the VM stopped. The guest noted each
# snapshot on its TAP port ("e2e-snapshot NAME ID CONSISTENCY MARKER");
# hostd left its overlays in WORK/overlays. For each snapshot, the image
# each disk had at that instant (the backing file of the overlay the
# snapshot made) is copied to a raw image in WORK/verify, then:
#   - checked on the host without replaying anything: ext4 must not need
#     recovery and pass e2fsck -fn; btrfs must have no log tree and pass
#     btrfs check --readonly; xfs's log must hold nothing but the
#     superblock, as a freeze leaves it (covered), and xfs_repair -n must
#     find nothing but that log (which it calls dirty: it knows only an
#     unmount record as clean) and the lazy superblock counters;
#   - read back in a verification boot of the same kernel (readback.sh):
#     without and with journal/log replay, the records of the three disks
#     must be the same, whole, and a consistent cut: a prefix of the write
#     order, and for an application-consistent snapshot exactly the records
#     up to the pre-script's marker.
# The control snapshot, taken without freezing, must fail these checks.
# Prints "ok - TOPIC/NAME" and "not ok - TOPIC/NAME" lines.
set -uo pipefail
release=$1 work=$2 kroot=$3
here=$(cd "$(dirname "$0")" && pwd)
out=$work/verify
. "$here/fscheck.sh"
# run.sh attaches them in this order: virtio0, virtio1, virtio2.
filesystems=(ext4 xfs btrfs)
# The snapshots the cases take, in order.
expected=(consistent control after_kill after_late after_refusal)

# check NAME CMD...: "ok - verify/NAME" if CMD succeeds, else "not ok" and
# what CMD printed as diagnostics. Returns CMD's status.
check() {
	local name=$1 output status
	shift
	output=$("$@" 2>&1)
	status=$?
	if [ "$status" = 0 ]; then
		echo "ok - verify/$name"
	else
		echo "not ok - verify/$name"
		printf '%s\n' "$output" | sed 's/^/# /'
	fi
	return $status
}

# detected NAME CMD...: for the control, CMD finds the inconsistency it
# looks for: "ok" and what it found, or "not ok".
detected() {
	local name=$1 output
	shift
	if output=$("$@" 2>&1); then
		echo "ok - verify/$name"
		printf '%s\n' "$output" | sed 's/^/# control: /'
	else
		echo "not ok - verify/$name (not detected)"
		printf '%s\n' "$output" | sed 's/^/# /'
	fi
}

# The snapshots the guest noted: "NAME ID CONSISTENCY MARKER" lines.
noted() {
	tr -d '\r' <"$work/tap.log" | sed -n 's/^# e2e-snapshot //p'
}

# point_in_time ID INDEX: the image that holds disk INDEX as snapshot ID
# caught it, i.e. the backing file of the overlay the snapshot made.
point_in_time() {
	local tag overlay
	tag=$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_')
	overlay=$work/overlays/virtio$2-$tag.qcow2
	[ -f "$overlay" ] || { echo "no overlay $overlay" >&2; return 1; }
	qemu-img info "$overlay" | sed -n 's/^backing file: //p'
}

# copy_images NAME ID: the snapshot's images as raw files in $out.
copy_images() {
	local i image
	for i in 0 1 2; do
		image=$(point_in_time "$2" "$i") && [ -n "$image" ] &&
			qemu-img convert -O raw "$image" "$out/$1-${filesystems[i]}.img" ||
			{ echo "snapshot $2: no image of virtio$i"; return 1; }
	done
}

# readback NAME FSTYPE VIEW: "COUNT STATE MARKER" as the verification boot
# read them.
readback() {
	tr -d '\r' <"$out/tap.log" |
		sed -n "s/^# readback $1 $2 $3 //p" | head -n 1
}

# The verification boot: every image of the snapshots in NAMES, attached in
# a throw-away overlay, read back by readback.sh's case.
read_back() { # read_back NAME...
	local stage=$out/stage name fs disks=() letter=a
	mkdir -p "$stage/tests"
	for name; do
		for fs in "${filesystems[@]}"; do
			echo "vd$letter $fs $name"
			disks+=(-drive "file=$out/$name-$fs.img,if=virtio,format=raw,snapshot=on")
			letter=$(echo "$letter" | tr a-y b-z)
		done
	done >"$stage/tests/readback.list"
	echo "readback read_snapshots" >"$stage/tests/cases.list"
	{ cat "$work/env"; echo "CASE_TIMEOUT='240'"; } >"$stage/tests/env"
	{ cat "$work/initramfs.cpio"
	  (cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet); } >"$out/initramfs.cpio"
	"$here/../qemu.sh" "$release" "$kroot" "$out/initramfs.cpio" "$out" "${disks[@]}"
	rm -f "$out/initramfs.cpio"
	if grep -q '^ok - readback/read_snapshots' "$out/tap.log"; then
		echo "ok - verify/readback_boot"
	else
		echo "not ok - verify/readback_boot"
		tail -n 20 "$out/tap.log" "$out/console.log" 2>&1 | sed 's/^/# /'
	fi
}

# views_agree NAME: without replay, each disk reads as with replay.
views_agree() {
	local fs plain replayed status=0
	for fs in "${filesystems[@]}"; do
		plain=$(readback "$1" "$fs" no-replay)
		replayed=$(readback "$1" "$fs" replay)
		echo "$fs: without replay '$plain', with replay '$replayed'"
		[ -n "$replayed" ] && [ "$plain" = "$replayed" ] || status=1
	done
	return $status
}

# records_cut NAME: after replay, the records of ext4, xfs and btrfs (written in
# that order) form a prefix of the write sequence (status 0) or not (1);
# status 2 if a disk was not read.
records_cut() {
	local fs count state marker counts=() status=0
	for fs in "${filesystems[@]}"; do
		read -r count state marker < <(readback "$1" "$fs" replay)
		echo "$fs: ${count:-?} records, ${state:-unread}, marker ${marker:-?}"
		case $state in
		whole | none) counts+=("$count") ;;
		broken) counts+=(-1); status=1 ;;
		*) return 2 ;;
		esac
	done
	((counts[0] >= counts[1] && counts[1] >= counts[2] && counts[2] >= counts[0] - 1)) || {
		echo "not a prefix of the write order: ${counts[*]} records"
		status=1
	}
	return $status
}

torn_cut() { # torn_cut NAME: read, and not a consistent cut
	records_cut "$1"
	[ $? = 1 ]
}

# application_cut NAME MARKER: a consistent cut of exactly the records up
# to MARKER, the pre-script's marker on every disk.
application_cut() {
	local fs
	records_cut "$1" || return 1
	for fs in "${filesystems[@]}"; do
		[ "$(readback "$1" "$fs" replay)" = "$2 whole $2" ] || {
			echo "$fs: not the records up to the marker $2"
			return 1
		}
	done
}

# hostd served the whole plan, and exited 0 when the VM closed its channel.
hostd_checks() {
	local log=$work/host-agent.log
	if grep -q '^agent: hostd exited with status 0$' "$log"; then
		echo "ok - hostd/exits_0_when_the_vm_stops"
	else
		echo "not ok - hostd/exits_0_when_the_vm_stops"
		sed 's/^/# /' "$log"
	fi
	if grep -Eq '^agent: ([0-9]+) requests, \1 planned$' "$log"; then
		echo "ok - hostd/fault_plan_carried_out"
	else
		echo "not ok - hostd/fault_plan_carried_out"
		grep '^agent: [0-9]* requests' "$log" | sed 's/^/# /'
	fi
}

main() {
	local name id consistency marker copied=()
	declare -A snapshot_id snapshot_marker
	rm -rf "$out"
	mkdir -p "$out"
	hostd_checks
	while read -r name id consistency marker; do
		snapshot_id[$name]=$id
		snapshot_marker[$name]=$marker
	done < <(noted)
	for name in "${expected[@]}"; do
		if [ -z "${snapshot_id[$name]:-}" ]; then
			echo "not ok - verify/${name}_images (the guest noted no such snapshot)"
		elif check "${name}_images" copy_images "$name" "${snapshot_id[$name]}"; then
			copied+=("$name")
		fi
	done
	[ ${#copied[@]} = 0 ] || read_back "${copied[@]}"
	for name in "${copied[@]}"; do
		if [ "$name" = control ]; then
			detected control_ext4_needs_recovery_detected ext4_needs_recovery \
				"$out/control-ext4.img"
			detected control_xfs_log_replay_detected xfs_log_changes "$out/control-xfs.img"
			detected control_torn_cut_detected torn_cut control
			continue
		fi
		for fs in "${filesystems[@]}"; do
			check "${name}_${fs}_clean" "${fs}_clean" "$out/$name-$fs.img"
		done
		check "${name}_no_replay_needed" views_agree "$name"
		check "${name}_consistent_cut" application_cut "$name" "${snapshot_marker[$name]}"
	done
}

main
