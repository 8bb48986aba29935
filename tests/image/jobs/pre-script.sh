#!/bin/sh
# The test application's pre-script: a marker, on disk before the freeze.
echo "marker $(cat /proc/sys/kernel/random/boot_id)" >/srv/data/marker
sync -f /srv/data/marker
