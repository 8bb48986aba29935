#!/bin/sh
# make demo's host agent (run.sh starts it as AGENT GUEST_SOCKET QMP_SOCKET
# WORK): snapfreeze-hostd, its overlays next to the disk images in WORK.
top=$(cd "$(dirname "$0")/../../.." && pwd)
exec "$top/build/snapfreeze-hostd" --guest "$1" --qmp "$2"
