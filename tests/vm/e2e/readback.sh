# The verification boot of the end-to-end tests (verify.sh): the images of
# the snapshots are attached (their writes go to a throw-away overlay), and
# each is mounted read-only twice, first without replaying its journal or
# log, then as a restored VM would mount it, replaying them. What the
# application finds each time goes to the host as a note:
#   readback NAME FSTYPE no-replay|replay COUNT whole|broken|none MARKER
# COUNT records from 1 on, then the end of the file (whole), something
# else (broken), or no records file (none); MARKER the pre-script's marker,
# or "none". /tests/readback.list names the disks: "DEVICE FSTYPE NAME".

# count_records FILE: "COUNT whole|broken|none"
count_records() {
	[ -e "$1" ] || { echo "0 none"; return; }
	awk '$0 != NR { print NR - 1, "broken"; bad = 1; exit }
	     END { if (!bad) print NR, "whole" }' "$1"
}

mount_options() { # mount_options FSTYPE no-replay|replay
	case $1-$2 in
	ext4-no-replay) echo ro,noload ;;
	xfs-no-replay) echo ro,norecovery,nouuid ;;
	xfs-replay) echo ro,nouuid ;;
	btrfs-no-replay) echo ro,rescue=nologreplay ;;
	*) echo ro ;;
	esac
}

read_image() { # read_image DEVICE FSTYPE NAME no-replay|replay
	mkdir -p /mnt/readback
	if ! mount -t "$2" -o "$(mount_options "$2" "$4")" "$1" /mnt/readback; then
		note "readback $3 $2 $4 unmountable"
		return
	fi
	records=$(count_records /mnt/readback/records)
	marker=$(cat /mnt/readback/marker 2>/dev/null)
	umount /mnt/readback || fail "umount $1"
	note "readback $3 $2 $4 $records ${marker:-none}"
}

case_read_snapshots() {
	while read -r device fstype name; do
		read_image "/dev/$device" "$fstype" "$name" no-replay
		read_image "/dev/$device" "$fstype" "$name" replay
	done </tests/readback.list
}
