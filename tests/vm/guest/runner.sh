#!/bin/sh
# Usage: runner.sh TAP_DEVICE
#
# Runs the cases of /tests/cases.list ("TOPIC NAME" lines: function
# case_NAME in /tests/cases/TOPIC.sh), each in a shell of its own under a
# timeout, and reports one TAP line per case on TAP_DEVICE, followed by the
# case's output as diagnostics when it fails (always, when VERBOSE=1).
tap=$1
. /tests/lib.sh
# Cases write notes for the host there too (note, in lib.sh).
export TAP_DEVICE="$tap"

# Whatever a case left behind (a writer, a freeze holding its session, a
# detached session, a filesystem frozen with FIFREEZE) must not reach into
# the next case.
clean_up_after_case() {
	for dir in /proc/[0-9]*; do
		pid=${dir#/proc/}
		[ "$pid" = 1 ] || [ "$pid" = $$ ] && continue
		# Kernel threads have no command line. (test -s cannot tell:
		# every file of /proc has size 0.)
		cmdline=
		read -r cmdline <"$dir/cmdline" 2>/dev/null
		[ -n "$cmdline" ] && kill -9 "$pid" 2>/dev/null
	done
	[ -d /sys/module/snapfreeze ] && snapfreeze thaw --all >/dev/null 2>&1
}

# A test disk (lib.sh's mount_disks) a case left frozen with FIFREEZE (a
# process it started, killed between its freeze and its thaw): thawed, or
# every later case would wait on it until the boot's timeout. Prints each
# one it thawed. A thaw waits for the filesystem's s_umount, which a task
# stuck in the kernel may hold: one that does not return within 5 s is
# printed too, and left to finish by itself.
thaw_what_fifreeze_left() {
	for mount_point in /mnt/ext4 /mnt/xfs /mnt/btrfs; do
		grep -q " $mount_point " /proc/mounts || continue
		# Its output not ours: $(...) would wait for a thaw that does not end.
		fsfreeze --unfreeze "$mount_point" >/dev/null 2>&1 &
		thawer=$!
		if ! wait_until 5 gone "$thawer"; then
			echo "$mount_point (its thaw still waits)"
		elif wait "$thawer"; then
			echo "$mount_point"
		fi
	done
}

while read -r topic name; do
	echo "runner: $topic/$name" >/dev/kmsg
	timeout -s KILL "$CASE_TIMEOUT" sh -c \
		". /tests/lib.sh && . /tests/cases/$topic.sh && case_$name" \
		</dev/null >/tmp/case.log 2>&1
	status=$?
	clean_up_after_case
	left_frozen=$(thaw_what_fifreeze_left)
	if [ -n "$left_frozen" ]; then
		echo "not ok - $topic/$name (left frozen: $(echo $left_frozen))" >"$tap"
		tail -n 40 /tmp/case.log | sed 's/^/# /' >"$tap"
		continue
	fi
	if [ "$status" = 0 ]; then
		echo "ok - $topic/$name" >"$tap"
		[ "$VERBOSE" = 1 ] && sed 's/^/# /' /tmp/case.log >"$tap"
		continue
	fi
	if [ "$status" = 137 ]; then
		echo "not ok - $topic/$name (killed after ${CASE_TIMEOUT}s)" >"$tap"
	else
		echo "not ok - $topic/$name (exit status $status)" >"$tap"
	fi
	tail -n 40 /tmp/case.log | sed 's/^/# /' >"$tap"
done </tests/cases.list
echo "# runner: done" >"$tap"
