#!/bin/bash
# Usage: agent.sh GUEST_SOCKET QMP_SOCKET WORK
#
# The host side of the Azure handler tests (run.sh's
# SNAPFREEZE_VM_HOST_AGENT): snapfreeze-hostd serving Azure's host protocol
# on 127.0.0.1:$SNAPFREEZE_AZURE_PORT (the VM's 168.63.129.16:80), its
# snapshots by QMP, its overlays in WORK/overlays, its log in
# WORK/hostd.log; and a second one on the next port (the VM's
# 168.63.129.16:81) whose snapshots never end (a command that sleeps), for
# the case that disables the handler while frozen. The guest's channel is
# not used. On SIGTERM (run.sh: the VM stopped) it stops both, says how
# they ended, and exits.
set -uo pipefail
qmp=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
port=${SNAPFREEZE_AZURE_PORT:?}

mkdir -p "$work/overlays"
"$top/build/snapfreeze-hostd" --azure-listen "127.0.0.1:$port" --qmp "$qmp" \
	--snapshot-dir "$work/overlays" --log "$work/hostd.log" &
hostd=$!
"$top/build/snapfreeze-hostd" --azure-listen "127.0.0.1:$((port + 1))" \
	--command "exec sleep 300" --log "$work/hostd-hang.log" &
hang=$!
echo "agent: hostd $hostd on port $port, the hanging one $hang on $((port + 1))"

stop() {
	kill -TERM "$hostd" "$hang" 2>/dev/null
	wait "$hostd"
	echo "agent: hostd exited with status $?"
	wait "$hang"
	echo "agent: the hanging hostd exited with status $?"
	exit 0
}
trap stop TERM
while :; do
	sleep 1 &
	wait $!
done
