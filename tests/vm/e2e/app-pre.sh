#!/bin/sh
# The application's pre-script (Azure's preScriptLocation): the workload of
# scenario.sh finishes its round, flushes its files and pauses; a marker on
# each disk says after which record.
. /tests/lib.sh
workload=/run/workload
[ -e "$workload/pid" ] || fail "no workload running"
touch "$workload/pause"
wait_until 10 test -e "$workload/paused" || fail "the workload did not pause within 10 s"
record=$(cat "$workload/paused")
for disk in /mnt/ext4 /mnt/xfs /mnt/btrfs; do
	echo "$record" >"$disk/marker" || exit 1
done
echo "workload paused after record $record"
