# The VM the host prepared: what later tests rely on is really there.

case_disks_attached() {
	mount_disks
	for disk in vda:ext4 vdb:xfs vdc:btrfs; do
		expect_eq "$(awk -v dev="/dev/${disk%:*}" '$1 == dev { print $3 }' /proc/mounts)" \
			"${disk#*:}" "filesystem on /dev/${disk%:*}"
	done
}

case_host_channel_present() {
	for name in /sys/class/virtio-ports/*/name; do
		[ "$(cat "$name" 2>/dev/null)" = "$HOST_CHANNEL" ] || continue
		port=$(basename "$(dirname "$name")")
		[ -c "/dev/$port" ] || fail "/dev/$port is not a character device"
		return 0
	done
	fail "no virtio-serial port named $HOST_CHANNEL"
}
