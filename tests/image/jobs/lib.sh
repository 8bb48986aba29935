# Sourced by the jobs, in the image (after sf-image-job's check and note):
# what the host wrote to env, and the steps the jobs share.
. ./env

export DEBIAN_FRONTEND=noninteractive

# apt_install_packages SET: installs the three packages of debs/SET with
# apt, which resolves their dependencies from the image's archive.
apt_install_packages() {
	apt-get update -q &&
		apt-get install -y -q ./debs/"$1"/snapfreeze_*.deb \
			./debs/"$1"/snapfreeze-dkms_*.deb ./debs/"$1"/snapfreeze-hostd_*.deb
}

# dkms_installed VERSION RELEASE: DKMS built and installed VERSION for RELEASE.
dkms_installed() {
	dkms status -m snapfreeze -v "$1" -k "$2"
	dkms status -m snapfreeze -v "$1" -k "$2" | grep -q ': installed' &&
		ls /lib/modules/"$2"/updates/dkms/snapfreeze.ko*
}

# loaded_at_boot VERSION: systemd-modules-load loaded the module, VERSION.
# (Early in the boot it logs to the kernel's log, before journald runs:
# its lines carry its name, not its unit's.)
loaded_at_boot() {
	journalctl -b -t systemd-modules-load --no-pager
	journalctl -b -t systemd-modules-load --no-pager | grep -q "Inserted module 'snapfreeze'" &&
		[ "$(cat /sys/module/snapfreeze/version)" = "$1" ]
}

mount_data() {
	mkdir -p /srv/data
	mountpoint -q /srv/data || mount LABEL=sfdata /srv/data
}
