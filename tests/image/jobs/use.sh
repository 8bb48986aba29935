# The second boot: the module loaded by systemd, a snapshot run from a
# systemd unit against snapfreeze-hostd on the host (the host checks the
# images once the VM stopped), then a newer kernel line with its headers.
. ./lib.sh
release=$(uname -r)

# The application: its pre-script leaves a marker on the data disk, which
# the snapshot's image must hold.
configure_application() {
	mount_data &&
		install -m 0700 pre-script.sh /usr/local/sbin/sf-test-pre &&
		mkdir -p /etc/azure &&
		printf '{"preScriptLocation": "/usr/local/sbin/sf-test-pre", "timeoutInSeconds": 30}\n' \
			>/etc/azure/VMSnapshotScriptPluginConfig.json &&
		chmod 0600 /etc/azure/VMSnapshotScriptPluginConfig.json
}

# With the packaged configuration, as the packages left it.
snapshot_from_a_unit() {
	systemd-run --wait --pipe --quiet --unit=sf-test-snapshot \
		/usr/sbin/snapfreeze snapshot --json >result.json
	snapshot_status=$?
	cat result.json
	note "result: $(cut -c1-160 result.json)..."
	[ "$snapshot_status" = 0 ]
}

snapshot_through_the_module() {
	grep -q '"status":"success"' result.json &&
		grep -q '"consistency":"application"' result.json &&
		grep -q '"freezer":"module"' result.json &&
		! grep -q '"degraded"' result.json &&
		grep -q '"path":"/srv/data"' result.json &&
		grep -q '"path":"/"' result.json
}

install_kernel() {
	apt-get install -y -q "linux-image-$new_kernel_line-amd64" "linux-headers-$new_kernel_line-amd64"
}

new_release() {
	ls /lib/modules | grep -F "$new_kernel_line" | sort -V | tail -n 1
}

grub_boots_the_new_kernel() {
	first=$(sed -n "s/^[[:space:]]*linux[[:space:]]*\/boot\/vmlinuz-\([^ ]*\) .*/\1/p" /boot/grub/grub.cfg | head -n 1)
	echo "GRUB's first entry: $first"
	[ "$first" = "$(new_release)" ]
}

check "boot/systemd_loaded_the_module_on_$release" loaded_at_boot "$version_1"
check boot/application_configured configure_application
check snapshot/runs_from_a_systemd_unit snapshot_from_a_unit
check snapshot/application_consistent_through_the_module snapshot_through_the_module
check "kernel/apt_installs_linux_$new_kernel_line" install_kernel
check kernel/dkms_built_the_module_for_the_new_kernel dkms_installed "$version_1" "$(new_release)"
check kernel/grub_boots_the_new_kernel grub_boots_the_new_kernel
