#!/bin/sh
# The application's post-script (Azure's postScriptLocation): the workload
# of scenario.sh carries on.
. /tests/lib.sh
workload=/run/workload
rm -f "$workload/pause"
wait_until 10 eval '[ ! -e "$workload/paused" ]' || fail "the workload did not resume within 10 s"
echo "workload resumed"
