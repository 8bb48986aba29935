# The images of the snapshots snapfreeze-hostd took, on the host once the
# VM stopped; sourced by verify.sh and by make demo's images.sh, which set
# topic (the checks are "TOPIC/NAME"), release, work (run.sh's run folder),
# kroot (the kernel's root) and out (a folder for copies and logs).
#
# A snapshot's images are copied to raw files in $out, checked on the host
# without replaying anything (fscheck.sh), and read back in a verification
# boot of the same kernel (readback.sh): without and with journal/log
# replay, the records of the three disks must be the same, whole, and a
# consistent cut: exactly the records up to the pre-script's marker.
# Every check says what it found, passing or not; failures counts the ones
# that failed.
snapshots_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$snapshots_dir/fscheck.sh"
. "$snapshots_dir/../boot-again.sh"
# run.sh attaches them in this order: virtio0, virtio1, virtio2 (the names
# hostd gives their overlays; a libvirt domain's are its targets, which its
# checks set in disks after sourcing this).
filesystems=(ext4 xfs btrfs)
disks=(virtio0 virtio1 virtio2)
# What is checked of a snapshot that should be consistent, once its images
# are copied (the checks are PREFIXNAME).
consistent_checks=(ext4_clean xfs_clean btrfs_clean no_replay_needed consistent_cut)
failures=0

verdict() { # verdict STATUS NAME OUTPUT [WHY]: the check's line, and what it found
	if [ "$1" = 0 ]; then
		echo "ok - $topic/$2"
	else
		echo "not ok - $topic/$2${4:+ ($4)}"
		failures=$((failures + 1))
	fi
	[ -z "$3" ] || printf '%s\n' "$3" | sed 's/^/#   /'
}

# check NAME CMD...: passes if CMD succeeds; returns CMD's status.
check() {
	local name=$1 output status
	shift
	output=$("$@" 2>&1)
	status=$?
	verdict "$status" "$name" "$output"
	return $status
}

not_checked() { # not_checked WHY NAME...: checks that could not be made fail
	local why=$1 name
	shift
	for name; do
		verdict 1 "$name" "" "$why"
	done
}

# The snapshots the guest noted: "NAME ID CONSISTENCY MARKER" lines.
noted() {
	tr -d '\r' <"$work/tap.log" | sed -n 's/^# e2e-snapshot //p'
}

# overlay OVERLAYS ID INDEX: the overlay snapshot ID made for disk INDEX in
# the folder OVERLAYS, named as snapfreeze-hostd names it.
overlay() {
	echo "$1/${disks[$3]}-$(printf '%s' "$2" | tr -c 'A-Za-z0-9._-' '_').qcow2"
}

# point_in_time OVERLAY: the image that holds the disk as the snapshot
# caught it, i.e. the backing file of the overlay the snapshot made.
point_in_time() {
	[ -f "$1" ] || { echo "no overlay $1"; return 1; }
	qemu-img info "$1" | sed -n 's/^backing file: //p'
}

# copy_noted OVERLAYS NAME...: the images of each snapshot NAME the guest
# noted, copied from their overlays in OVERLAYS (the check NAME_images);
# the checks of one that is not, as checks_of NAME prints them (a function
# of the sourcing script's), fail. The names copied go to copied, each
# one's marker to snapshot_marker.
declare -A snapshot_marker
copied=()
copy_noted() {
	local overlays=$1 name id consistency marker checks
	declare -A ids
	shift
	while read -r name id consistency marker; do
		ids[$name]=$id
		snapshot_marker[$name]=$marker
	done < <(noted)
	for name; do
		mapfile -t checks < <(checks_of "$name")
		if [ -z "${ids[$name]:-}" ]; then
			not_checked "the guest noted no such snapshot" "${name}_images" "${checks[@]}"
		elif check "${name}_images" copy_images "$overlays" "$name" "${ids[$name]}"; then
			copied+=("$name")
		else
			not_checked "no images" "${checks[@]}"
		fi
	done
}

# copy_images OVERLAYS NAME ID: the snapshot's images as raw files in $out,
# NAME-FSTYPE.img; says which image held each disk.
copy_images() {
	local i image overlay
	for i in 0 1 2; do
		overlay=$(overlay "$1" "$3" "$i")
		image=$(point_in_time "$overlay") && [ -n "$image" ] &&
			qemu-img convert -O raw "$image" "$out/$2-${filesystems[i]}.img" ||
			{ echo "snapshot $3: no image of ${disks[i]}${image:+: $image}"; return 1; }
		echo "${disks[i]} (${filesystems[i]}): $image holds the snapshot ($(du -h "$image" | cut -f1) used); the VM's writes since went to $overlay"
	done
}

# readback NAME FSTYPE VIEW: "COUNT STATE MARKER" as the verification boot
# read them.
readback() {
	tr -d '\r' <"$out/tap.log" 2>/dev/null |
		sed -n "s/^# readback $1 $2 $3 //p" | head -n 1
}

# read_back NAME...: the verification boot, every image of the snapshots
# NAME attached in a throw-away overlay, read back by readback.sh's case.
read_back() {
	local stage=$out/stage name fs disks=() letter=a
	if [ $# = 0 ]; then
		not_checked "no images to read" readback_boot
		return
	fi
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
	boot_again_if_it_died "$out" \
		"$snapshots_dir/../qemu.sh" "$release" "$kroot" "$out/initramfs.cpio" "$out" "${disks[@]}"
	rm -f "$out/initramfs.cpio"
	if grep -q '^ok - readback/read_snapshots' "$out/tap.log"; then
		verdict 0 readback_boot ""
	else
		verdict 1 readback_boot "$(tail -n 20 "$out/tap.log" "$out/console.log" 2>&1)"
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

# records_cut NAME: after replay, the records of ext4, xfs and btrfs
# (written in that order) form a prefix of the write sequence (status 0)
# or not (1); status 2 if a disk was not read.
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
	echo "each disk holds records 1 to $2, the marker $2: the cut the pre-script made"
}

# consistent_snapshot PREFIX NAME MARKER: the checks of consistent_checks,
# as PREFIXext4_clean..., for the copied images of snapshot NAME.
consistent_snapshot() {
	local fs
	for fs in "${filesystems[@]}"; do
		check "$1${fs}_clean" "${fs}_clean" "$out/$2-$fs.img"
	done
	check "$1no_replay_needed" views_agree "$2"
	check "$1consistent_cut" application_cut "$2" "$3"
}
