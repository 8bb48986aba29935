#!/bin/bash
# Usage: boot.sh RELEASE KERNEL_ROOT WORK INITRAMFS LOGS AGENT
#
# run.sh's SNAPFREEZE_VM_BOOT for the libvirt tests: starts libvirt's
# daemons (daemons.sh), boots the test VM as a transient domain (TCG, or
# KVM with SNAPFREEZE_VM_KVM=1; direct boot of the kernel RELEASE of
# KERNEL_ROOT with INITRAMFS; the three disks of WORK as vda, vdb and vdc;
# the guest's console and TAP ports in files; the channels
# org.snapfreeze.host and org.qemu.guest_agent.0 on unix sockets that
# libvirt places), serves it with AGENT DOMAIN GUEST_SOCKET WORK (its output
# in LOGS/host-agent.log, SIGTERM once the domain stopped), then stops the
# daemons it started.
#
# QEMU runs as libvirt-qemu, which cannot reach WORK (in root's home): what
# it opens is in a folder of its own, linked as WORK/libvirt, and
# LOGS/console.log and LOGS/tap.log link there. Exits 0 once the domain
# stopped by itself, 124 if it was destroyed after
# SNAPFREEZE_VM_BOOT_TIMEOUT seconds (default 300), 1 if it did not start.
set -uo pipefail
release=$1 kroot=$2 work=$3 initramfs=$4 logs=$5 agent=$6
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$top/tests/vm/kenv.sh"
. "$here/daemons.sh"
bound=${SNAPFREEZE_VM_BOOT_TIMEOUT:-300}
domain=snapfreeze-test-${release//[^A-Za-z0-9.-]/-}
files=/var/tmp/snapfreeze-libvirt/$release

# The folder QEMU reads and writes: made anew with run.sh's new disks, kept
# (with its disks) when run.sh boots once more. The disks stay reachable
# from WORK by links, for run.sh's own boots (the canary's).
prepare_files() {
	local fs
	if [ ! -L "$work/ext4.img" ]; then
		rm -rf "$files"
		mkdir -p "$files" || return 1
		for fs in ext4 xfs btrfs; do
			mv "$work/$fs.img" "$files/" &&
				ln -s "$files/$fs.img" "$work/$fs.img" || return 1
		done
	fi
	chown libvirt-qemu:libvirt-qemu "$files" && chmod 755 "$files" &&
		ln -sfn "$files" "$work/libvirt" &&
		cp "$kroot/boot/vmlinuz-$release" "$files/vmlinuz" &&
		cp "$initramfs" "$files/initramfs.cpio" || return 1
	# run.sh keeps the console of a boot that died early: a copy, not our link.
	[ ! -L "$logs/console-boot-failure.log" ] ||
		cp --remove-destination "$files/console.log" "$logs/console-boot-failure.log"
	rm -f "$files/console.log" "$files/tap.log" "$logs/console.log" "$logs/tap.log"
	touch "$files/console.log" "$files/tap.log" &&
		ln -s "$files/console.log" "$logs/console.log" &&
		ln -s "$files/tap.log" "$logs/tap.log"
}

domain_xml() {
	local type=qemu cpu="<cpu mode='maximum' migratable='off'/>" disk letter=a
	if [ "${SNAPFREEZE_VM_KVM:-0}" = 1 ]; then
		type=kvm cpu="<cpu mode='host-passthrough'/>"
	fi
	cat <<-XML
	<domain type='$type'>
	  <name>$domain</name>
	  <memory unit='MiB'>1024</memory>
	  <vcpu>2</vcpu>
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$files/vmlinuz</kernel>
	    <initrd>$files/initramfs.cpio</initrd>
	    <cmdline>console=ttyS0 $kenv_kernel_args</cmdline>
	  </os>
	  <features>
	    <acpi/>
	  </features>
	  $cpu
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	XML
	for disk in ext4 xfs btrfs; do
		cat <<-XML
		    <disk type='file' device='disk'>
		      <driver name='qemu' type='raw'/>
		      <source file='$files/$disk.img'/>
		      <target dev='vd$letter' bus='virtio'/>
		    </disk>
		XML
		letter=$(echo "$letter" | tr a-y b-z)
	done
	cat <<-XML
	    <serial type='file'><source path='$files/console.log'/><target port='0'/></serial>
	    <serial type='file'><source path='$files/tap.log'/><target port='1'/></serial>
	    <channel type='unix'>
	      <source mode='bind'/>
	      <target type='virtio' name='org.snapfreeze.host'/>
	    </channel>
	    <channel type='unix'>
	      <source mode='bind'/>
	      <target type='virtio' name='org.qemu.guest_agent.0'/>
	    </channel>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	XML
}

# The socket libvirt gave the channel NAME.
channel_socket() {
	lv dumpxml "$domain" |
		xmllint --xpath "string(//channel[target/@name='$1']/source/@path)" -
}

# Gone from libvirt's list; not while libvirtd is down (host.sh kills it).
domain_stopped() {
	local names
	names=$(lv list --name 2>/dev/null) || return 1
	! grep -qxF "$domain" <<<"$names"
}

main() {
	local status=0 tries=$((bound * 2)) agent_pid='' guest
	if libvirt_answers; then
		echo "boot.sh: a libvirtd runs already: stop it, the libvirt tests start their own" >&2
		return 1
	fi
	libvirt_users && prepare_files && domain_xml >"$files/domain.xml" &&
		start_libvirtd >&2 && lv create "$files/domain.xml" >&2 || {
		stop_libvirtd
		return 1
	}
	guest=$(channel_socket org.snapfreeze.host)
	"$agent" "$domain" "$guest" "$work" >"$logs/host-agent.log" 2>&1 &
	agent_pid=$!
	until domain_stopped; do
		if ((tries-- == 0)); then
			lv destroy "$domain" >&2
			status=124
			break
		fi
		sleep 0.5
	done
	kill -TERM "$agent_pid"
	wait "$agent_pid"
	stop_libvirtd
	return $status
}

main
