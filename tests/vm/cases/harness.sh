# The VM the host prepared: what later tests rely on is really there.

case_disks_attached() {
	for disk in vda:ext4 vdb:xfs vdc:btrfs; do
		dev=/dev/${disk%:*}
		fstype=${disk#*:}
		mkdir -p /mnt/check
		mount -t "$fstype" -o ro "$dev" /mnt/check || fail "mount $dev as $fstype"
		mounted=$(awk '$2 == "/mnt/check" { print $3 }' /proc/mounts)
		umount /mnt/check
		expect_eq "$mounted" "$fstype" "filesystem on $dev"
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
