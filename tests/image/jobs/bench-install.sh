# The agents' bench, first boot: this tree's packages and Debian's
# qemu-guest-agent installed with apt (tests/image/bench.sh).
. ./lib.sh
release=$(uname -r)

check bench/apt_installs_the_packages apt_install_packages v1
check "bench/dkms_built_the_module_for_$release" dkms_installed "$version_1" "$release"
check bench/apt_installs_qemu_guest_agent apt-get install -y -q qemu-guest-agent
