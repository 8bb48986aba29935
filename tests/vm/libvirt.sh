#!/bin/sh
# Usage: tests/vm/libvirt.sh
#
# The libvirt tests: run.sh, for each test kernel, with the VM booted as a
# TCG domain of a libvirtd that libvirt/boot.sh starts without systemd, the
# cases of libvirt/guest/quiesce.sh in the VM, libvirt/host.sh acting on the
# host (virsh domfsfreeze and domfsthaw, virsh snapshot-create-as
# --quiesce, libvirtd SIGKILLed while the guest is frozen, and
# snapfreeze-hostd --libvirt serving the guest's own snapshot) and, once
# the VM stopped, the checks of what the host saw and of the snapshots'
# images (libvirt/verify.sh). Runs as root, with the packages of
# tests/deps.sh, and no libvirtd running already: it starts its own, and
# stops it. Prints TAP; exits 1 if any test failed.
here=$(cd "$(dirname "$0")" && pwd)
SNAPFREEZE_VM_CASES="$here/libvirt/guest/quiesce.sh" \
	SNAPFREEZE_VM_BOOT="$here/libvirt/boot.sh" \
	SNAPFREEZE_VM_HOST_AGENT="$here/libvirt/host.sh" \
	SNAPFREEZE_VM_HOST_CHECKS="$here/libvirt/verify.sh" \
	SNAPFREEZE_VM_CASE_TIMEOUT="${SNAPFREEZE_VM_CASE_TIMEOUT:-120}" \
	exec "$here/run.sh"
