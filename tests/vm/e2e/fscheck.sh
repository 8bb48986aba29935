# Checks of a filesystem image on the host, without mounting it and
# without replaying its journal or log, sourced by verify.sh and by make
# demo. Each says what it found, and returns non-zero if the image fails.
#
# A frozen filesystem needs no replay: ext4 clears needs_recovery, btrfs
# commits its transaction (no log tree is left). xfs covers its log: two
# checkpoints of the superblock alone, which a mount replays (harmlessly)
# and which xfs_repair -n reports as a dirty log, since it knows only an
# unmount record as clean; the superblock's lazy counters then disagree
# with what it counts. So for xfs, the log must hold nothing but the
# superblock, and xfs_repair -n must find nothing else.

ext4_needs_recovery() { # ext4_needs_recovery IMAGE: its journal must be replayed
	dumpe2fs -h "$1" 2>/dev/null | grep -q '^Filesystem features:.* needs_recovery' &&
		echo "needs_recovery: the journal must be replayed"
}

ext4_clean() { # ext4_clean IMAGE
	! ext4_needs_recovery "$1" || return 1
	e2fsck -fn "$1" >"$1.log" 2>&1 || {
		echo "e2fsck -fn: exit status $?"
		tail -n 20 "$1.log"
		return 1
	}
	echo "no needs_recovery; e2fsck -fn: $(tail -n 1 "$1.log")"
}

# xfs_log_changes IMAGE: its log holds changes besides the superblock's
# (the covering a freeze writes), which a mount must replay; status 2 if
# the log could not be read.
xfs_log_changes() {
	local items sb
	xfs_logprint -t "$1" >"$1.log" 2>&1 || { cat "$1.log"; return 2; }
	items=$(grep -c '^[A-Z][A-Z_]*: cnt:' "$1.log")
	sb=$(grep -c 'SUPER Block Buffer' "$1.log")
	[ "$items" != "$sb" ] || return 1
	echo "the log holds $((items - sb)) changes besides the superblock's: it must be replayed"
	sed -n 's/^\([A-Z][A-Z_]*\): cnt:.*/\1/p; s/^	\([A-Za-z ]* Buffer\):.*/\1/p' "$1.log" |
		sort | uniq -c
}

xfs_clean() { # xfs_clean IMAGE
	local findings
	xfs_log_changes "$1"
	[ $? = 1 ] || return 1
	echo "the log holds $(grep -c 'SUPER Block Buffer' "$1.log") superblock checkpoints, nothing else"
	xfs_repair -n "$1" >"$1.repair" 2>&1
	findings=$(grep -Ev '^Phase [0-9]|^ +- |^No modify flag set|host filesystem geometry|^Repair may fail|^the image and the host filesystem|^ALERT: The filesystem has valuable metadata changes in a log|^ignored because the -n option was used|^which may be resolved by first mounting|^sb_(fdblocks|icount|ifree) [0-9]+, counted [0-9]+$|^$' \
		"$1.repair")
	[ -z "$findings" ] || {
		echo "xfs_repair -n found:"
		echo "$findings" | head -n 20
		return 1
	}
	echo "xfs_repair -n: nothing but that log and the superblock's counters"
}

# btrfs_log_tree IMAGE: a log tree, which fsync writes and the next commit
# of a transaction (a freeze makes one) drops, is there for a mount to
# replay; status 2 if the superblock could not be read.
btrfs_log_tree() {
	local log_root
	log_root=$(btrfs inspect-internal dump-super "$1" | awk '$1 == "log_root" { print $2 }')
	[ -n "$log_root" ] || { echo "no log_root in the superblock"; return 2; }
	[ "$log_root" != 0 ] || return 1
	echo "a log tree (log_root $log_root) to replay"
}

btrfs_clean() { # btrfs_clean IMAGE
	btrfs_log_tree "$1"
	[ $? = 1 ] || return 1
	btrfs check --readonly "$1" >"$1.log" 2>&1 || {
		echo "btrfs check --readonly: exit status $?"
		tail -n 20 "$1.log"
		return 1
	}
	echo "no log tree; btrfs check --readonly: $(grep -m 1 'no error found' "$1.log")"
}
