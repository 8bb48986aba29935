# The third boot, into the newer kernel line: the module built for it is
# loaded by systemd and freezes; the next version's packages installed
# over these are built for both kernels; a version whose module does not
# compile fails its install; then the packages are purged while a session
# is frozen.
. ./lib.sh
release=$(uname -r)
# The image's own kernel, which the first boots ran.
first_release=$(ls /lib/modules | grep -v -F "$new_kernel_line" | sort -V | tail -n 1)

booted_the_new_kernel() {
	echo "running $release"
	case "$release" in
	"$new_kernel_line".*) ;;
	*) return 1 ;;
	esac
}

# A session on the data disk, detached, with a watchdog far longer than
# any wait here: only snapfreeze can thaw it.
freeze_data() {
	mount_data &&
		snapfreeze freeze --detach --timeout 600 /srv/data &&
		snapfreeze status --json | tee status.json | grep -q '"state":"frozen"'
}

thaw_data() {
	snapfreeze thaw --all && ! snapfreeze status --json | grep -q '"state":"frozen"'
}

# A version whose module does not compile: apt fails, with DKMS's error.
broken_version_fails() {
	apt_install_packages broken >broken.out 2>&1
	broken_status=$?
	cat broken.out
	[ "$broken_status" != 0 ] &&
		grep -q "Bad return status for module build on kernel: " broken.out &&
		grep -q "/var/lib/dkms/snapfreeze/$version_broken/build/make.log" broken.out
}

old_version_gone() {
	dkms status -m snapfreeze
	! dkms status -m snapfreeze -v "$version_1" | grep -q . &&
		[ ! -e "/usr/src/snapfreeze-$version_1" ]
}

new_module_loads() {
	rmmod snapfreeze && modprobe snapfreeze &&
		[ "$(cat /sys/module/snapfreeze/version)" = "$version_2" ]
}

purge_packages() {
	apt-get purge -y -q snapfreeze snapfreeze-dkms snapfreeze-hostd
}

# A write to the data disk completes: nothing is frozen (bounded, far
# shorter than the session's watchdog).
data_writable() {
	timeout 60 sh -c 'echo after >/srv/data/after-purge && sync -f /srv/data/after-purge'
}

nothing_of_ours_left() {
	left=$(find / -xdev \( -path /proc -o -path /sys -o -path /run -o -path /srv/data \) -prune \
		-o -name '*snapfreeze*' -print)
	echo "${left:-nothing}"
	dpkg -l 'snapfreeze*' 2>/dev/null | grep '^[a-z][a-z] '
	[ -z "$left" ] && [ ! -d /sys/module/snapfreeze ] &&
		[ ! -e /var/lib/snapfreeze ] &&
		[ ! -e /var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux ] &&
		! dpkg -l 'snapfreeze*' 2>/dev/null | grep -q '^[a-z][a-z] '
}

no_module_files() {
	! find /lib/modules /var/lib/dkms /usr/src -name '*snapfreeze*' | grep .
}

check "kernel/booted_linux_$new_kernel_line" booted_the_new_kernel
check "kernel/systemd_loaded_the_module_on_the_new_kernel" loaded_at_boot "$version_1"
check kernel/a_freeze_and_thaw_work freeze_data
check kernel/the_thaw_works thaw_data
check upgrade/apt_installs_the_next_version apt_install_packages v2
check "upgrade/dkms_rebuilt_the_module_for_$release" dkms_installed "$version_2" "$release"
check upgrade/dkms_rebuilt_the_module_for_the_first_kernel dkms_installed "$version_2" "$first_release"
check upgrade/the_old_version_is_gone old_version_gone
check upgrade/the_new_module_loads new_module_loads
check install/a_module_that_does_not_compile_fails_the_install broken_version_fails
check purge/a_frozen_session_before_the_purge freeze_data
check purge/apt_purges_the_three_packages purge_packages
check purge/nothing_left_frozen data_writable
check purge/no_module_and_no_dkms_tree_left no_module_files
check purge/no_file_of_ours_left nothing_of_ours_left
