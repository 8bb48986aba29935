# Helpers for the test cases, sourced before each case.
# Values that depend on the boot (kernel release, expected module identity)
# come from /tests/env, written by the host.
. /tests/env

# util-linux's, by path: busybox's shell would run its own smaller applet.
SETPRIV=/usr/bin/setpriv

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# expect_match TEXT PATTERN WHAT: PATTERN is an extended regular expression.
expect_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "$3: '$1' does not match /$2/"
}

module_loaded() {
	[ -d /sys/module/snapfreeze ]
}

# The module exactly as DKMS built it, decompressed when DKMS compressed it.
load_module() {
	module_loaded && return 0
	case "$SNAPFREEZE_KO" in
	*.xz) unxz -c "$SNAPFREEZE_KO" >/tmp/snapfreeze.ko ;;
	*) cp "$SNAPFREEZE_KO" /tmp/snapfreeze.ko ;;
	esac
	insmod /tmp/snapfreeze.ko || fail "insmod $SNAPFREEZE_KO"
}

unload_module() {
	module_loaded || return 0
	rmmod snapfreeze || fail "rmmod snapfreeze"
}

# note TEXT: a line for the host, on the TAP port as "# TEXT": run.sh shows
# it, and the host-side checks find it in WORK/tap.log.
note() {
	echo "# $*" >"$TAP_DEVICE"
}

# run CMD...: runs CMD, leaving its exit status in $status and its standard
# output and error in $out and $err.
run() {
	"$@" >/tmp/run.out 2>/tmp/run.err
	status=$?
	out=$(cat /tmp/run.out)
	err=$(cat /tmp/run.err)
	echo "\$ $* -> $status" >&2
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	[ -z "$err" ] || printf '%s\n' "$err" >&2
}

# The three test disks mounted at /mnt/ext4, /mnt/xfs and /mnt/btrfs.
mount_disks() {
	for disk in vda:ext4 vdb:xfs vdc:btrfs; do
		fstype=${disk#*:}
		mkdir -p "/mnt/$fstype"
		grep -q " /mnt/$fstype " /proc/mounts ||
			mount -t "$fstype" "/dev/${disk%:*}" "/mnt/$fstype" ||
			fail "mount /dev/${disk%:*} on /mnt/$fstype"
	done
}

# wait_until SECONDS CMD...: polls CMD every 20 ms until it succeeds;
# fails once SECONDS have passed.
wait_until() {
	tries=$(($1 * 50))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		usleep 20000
	done
}

process_state() {
	awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null
}

# In uninterruptible sleep: how a write to a frozen filesystem waits.
blocked() {
	[ "$(process_state "$1")" = D ]
}

gone() {
	case "$(process_state "$1")" in
	"" | Z) return 0 ;;
	*) return 1 ;;
	esac
}

# start_writer FILE TEXT: appends a line to FILE in the background, its pid
# in $writer.
start_writer() {
	(echo "$2" >>"$1") &
	writer=$!
}

# expect_writable MOUNT: a write there completes at once.
expect_writable() {
	start_writer "$1/.writable" x
	wait_until 5 gone "$writer" || fail "$1: a write did not complete: still frozen?"
}

# json_number JSON KEY: the number after "KEY": (a key that occurs once).
json_number() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | head -n 1
}

# start_watcher N: "snapfreeze watch --json --count N" in the background,
# writing /tmp/events; returns once it listens. Its pid in $watcher.
start_watcher() {
	rm -f /tmp/events /tmp/watch.err
	snapfreeze watch --json --count "$1" >/tmp/events 2>/tmp/watch.err &
	watcher=$!
	wait_until 10 grep -q watching /tmp/watch.err || fail "snapfreeze watch did not start"
}

no_sessions() {
	snapfreeze status --json | grep -q '"sessions":\[\]'
}

expect_no_sessions() {
	no_sessions || fail "sessions left: $(snapfreeze status --json)"
}

# freeze_detached [OPTION...] TARGET...: a detached session (30 s timeout
# unless an option says otherwise) that must succeed; its id in $id, the
# reply in $out.
freeze_detached() {
	run snapfreeze freeze --detach --json --timeout 30 "$@"
	expect_eq "$status" 0 "snapfreeze freeze $*"
	id=$(json_number "$out" id)
}

# Stacked storage, under /mnt/stack: loop devices, partitions and
# device-mapper devices on images.

# stack_reset: nothing left of an earlier case's stack: its device-mapper
# devices resumed, its mounts undone (the last mounted first), then the
# devices and the images on the test disks removed. A filesystem stays open
# until the session that held it is freed, just after it ends: its device
# may be busy for a moment.
stack_reset() {
	for name in $(dmsetup ls 2>/dev/null | awk 'NF == 2 { print $1 }'); do
		dmsetup resume "$name" 2>/dev/null
	done
	awk '$2 ~ "^/mnt/stack/" { m[n++] = $2 } END { while (n) print m[--n] }' \
		/proc/mounts | while read -r mount; do
		umount "$mount" || fail "umount $mount"
		dmsetup remove_all 2>/dev/null
		detach_loops
	done
	wait_until 10 dm_removed || fail "device-mapper devices left: $(dmsetup ls)"
	detach_loops
	rm -f /mnt/ext4/*.img /mnt/xfs/*.img /tmp/*.img
}

# Detaches every loop device that nothing holds any more.
detach_loops() {
	for dev in /dev/loop[0-9]*; do
		[ -b "$dev" ] && losetup -d "$dev" 2>/dev/null
	done
}

dm_removed() {
	dmsetup remove_all 2>/dev/null
	[ -z "$(dmsetup ls 2>/dev/null | awk 'NF == 2')" ]
}

# attach_loop FILE [-P]: attaches FILE to a free loop device (-P: with its
# partitions), and prints the device.
attach_loop() {
	dev=$(losetup -f) || fail "no free loop device"
	losetup $2 "$dev" "$1" || fail "losetup $dev $1"
	echo "$dev"
}

# make_ext4 DEVICE MOUNT [MKE2FS_OPTION...]: a new filesystem on DEVICE,
# mounted at MOUNT.
make_ext4() {
	make_ext4_dev=$1 make_ext4_mount=$2
	shift 2
	mke2fs -q -F "$@" "$make_ext4_dev" >/dev/null 2>&1 || fail "mke2fs $make_ext4_dev"
	mkdir -p "$make_ext4_mount"
	mount -t ext4 "$make_ext4_dev" "$make_ext4_mount" ||
		fail "mount $make_ext4_dev on $make_ext4_mount"
}

# make_dm NAME DEVICE SECTORS: a linear device-mapper device over DEVICE,
# made without udev; prints its node.
make_dm() {
	dmsetup create "$1" --noudevsync --table "0 $3 linear $2 0" ||
		fail "dmsetup create $1"
	dmsetup mknodes "$1"
	echo "/dev/mapper/$1"
}

# target_level JSON PATH: the freeze level the module gave PATH.
target_level() {
	printf '%s\n' "$1" |
		sed -n "s|.*\"path\":\"$2\",\"dev\":\"[^\"]*\",\"fstype\":\"[^\"]*\",\"level\":\([0-9]*\).*|\1|p"
}
