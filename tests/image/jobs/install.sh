# The first boot of the image: the packages installed with apt.
. ./lib.sh
release=$(uname -r)

folders_have_their_modes() {
	stat -c '%n %a %U' /var/lib/snapfreeze \
		/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux
	[ "$(stat -c %a%U /var/lib/snapfreeze)" = 700root ] &&
		[ "$(stat -c %a%U /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux)" = 750root ]
}

configuration_is_a_conffile() {
	dpkg-query -W -f='${Conffiles}\n' snapfreeze
	dpkg-query -W -f='${Conffiles}\n' snapfreeze | grep -q '^ /etc/snapfreeze/snapfreeze.json '
}

# With an instance's file in place, as snapfreeze-hostd(8) says (the image
# has no man pages to check the unit's Documentation= against).
hostd_unit_verifies() {
	mkdir -p /etc/snapfreeze/hostd
	printf 'GUEST=/run/vm1/g.sock\nQMP=/run/vm1/q.sock\nSNAPSHOT_DIR=/var/lib/vm1\n' \
		>/etc/snapfreeze/hostd/vm1.conf
	systemd-analyze verify --man=no snapfreeze-hostd@vm1.service >verify.out 2>&1
	verify_status=$?
	cat verify.out
	rm -r /etc/snapfreeze/hostd
	[ "$verify_status" = 0 ] && ! grep -q . verify.out
}

# An instance started by systemd, sandboxed as the unit says, connects to
# its VM's socket (a listener standing in for QEMU's, the connection on
# cat's standard input and output, which hostd keeps open).
hostd_unit_connects() {
	mkdir -p /etc/snapfreeze/hostd /run/vm1
	printf 'GUEST=/run/vm1/g.sock\nQMP=/run/vm1/q.sock\nSNAPSHOT_DIR=/var/lib/vm1\n' \
		>/etc/snapfreeze/hostd/vm1.conf
	systemd-socket-activate --accept --inetd -l /run/vm1/g.sock cat &
	listener=$!
	timeout 60 journalctl -f -n all -u snapfreeze-hostd@vm1 |
		grep -m 1 -q "connected to the guest's channel" &
	connected=$!
	systemctl start snapfreeze-hostd@vm1
	wait "$connected"
	connect_status=$?
	systemctl is-active snapfreeze-hostd@vm1
	active_status=$?
	systemctl stop snapfreeze-hostd@vm1
	journalctl -u snapfreeze-hostd@vm1 --no-pager
	kill "$listener"
	rm -r /etc/snapfreeze/hostd /run/vm1
	[ "$connect_status" = 0 ] && [ "$active_status" = 0 ]
}

check install/apt_installs_the_three_packages apt_install_packages v1
check "install/dkms_built_the_module_for_$release" dkms_installed "$version_1" "$release"
check install/state_and_log_folders_made_with_their_modes folders_have_their_modes
check install/configuration_is_a_conffile configuration_is_a_conffile
check install/hostd_unit_passes_systemd_analyze_verify hostd_unit_verifies
check install/hostd_unit_runs_and_connects_to_its_vm hostd_unit_connects
