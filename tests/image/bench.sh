#!/bin/bash
# Usage: tests/image/bench.sh
#
# make bench's guest agents under libvirt: Debian's qemu-guest-agent against
# snapfreeze agent, in the package tests' Debian 12 image (mkimage.sh) with
# 16 bench disks, each agent driven by "virsh domfsfreeze --mountpoint" and
# "virsh domfsthaw" on 4 and 16 of them (light writers: an 8-byte stamp
# every 200 us, as in the module's bench). A first boot, by QEMU, installs
# this tree's packages and qemu-guest-agent (jobs/bench-install.sh); the
# second, a TCG domain of a libvirtd started as the libvirt tests start it
# (tests/vm/libvirt/daemons.sh), runs jobs/bench-agents.sh, whose notes on
# the TAP port pace this script: for each measurement, domfsfreeze of the
# mount points the guest names (its duration is "request to all frozen":
# virsh's own start and libvirt's round trip are in it, for both agents
# alike), 300 ms frozen, domfsthaw. Prints "# RESULT workload agents n N
# method AGENT spread_ns S all_frozen_ns F" lines for bench.sh's table,
# and the job's checks as TAP; exits 1 if any failed.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/vm/kenv.sh"
. "$here/lib.sh"
. "$top/tests/vm/libvirt/daemons.sh"
work=$kenv_cache/runs/image-bench
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
domain=snapfreeze-bench-agents
disks=16
counts="4 16"
agents="qemu-ga snapfreeze"
wait_s=600
failed=0

fail() { # fail WHAT [LOG]: says so, with LOG's end
	echo "not ok - bench/$1"
	[ -z "${2:-}" ] || tail -n 20 "$2" | sed 's/^#*/#   /'
	failed=1
}

# prepare: the packages, the job disks, an overlay of the image, the bench
# disks (ext4, labelled sfbench-I).
prepare() {
	local i
	rm -rf "$work"
	mkdir -p "$work/job/debs" "$work/install" "$work/agents" || return 1
	make -C "$top" --no-print-directory userland vm-tools >"$work/build.log" 2>&1 &&
		image_packages "$version" "$work/job/debs/v1" >>"$work/build.log" 2>&1 ||
		{ fail packages_built "$work/build.log"; return 1; }
	cp "$here"/jobs/lib.sh "$here"/jobs/bench-*.sh "$top/build/tests/freezebench" "$work/job/" &&
		printf 'version_1=%s\nbench_counts="%s"\n' "$version" "$counts" >"$work/job/env" &&
		echo ". ./bench-install.sh" >"$work/job/job.sh" &&
		image_job_disk "$work/job" "$work/install/job.img" &&
		echo ". ./bench-agents.sh" >"$work/job/job.sh" &&
		rm -rf "$work/job/debs" &&
		image_job_disk "$work/job" "$work/agents/job.img" &&
		qemu-img create -q -f qcow2 -b "$image_base" -F raw "$work/root.qcow2" || return 1
	for i in $(seq "$disks"); do
		truncate -s 128M "$work/bench-$i.img" &&
			mkfs.ext4 -q -F -L "sfbench-$i" "$work/bench-$i.img" || return 1
	done
}

# report BOOT: the job's checks, as TAP; whether it finished.
report() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) echo "$line" ;;
		"not ok - "*) echo "$line"; failed=1 ;;
		"#   "*) echo "$line" ;;
		esac
	done < <(tr -d '\r' <"$work/$1/tap.log")
	grep -q '^# job done' "$work/$1/tap.log" && return 0
	fail "${1}_finished (the console's end follows)" "$work/$1/console.log"
	return 1
}

install_boot() {
	image_boot "$work/root.qcow2" qcow2 "$work/install/job.img" "$work/install"
	report install
}

# The bench domain: the overlay, booted from its disk by GRUB as a VM
# boots, the job disk, the bench disks, the agent's channel. QEMU runs as
# root (a static DAC label): the image is in root's cache, which
# libvirt-qemu cannot reach.
domain_xml() {
	local i letter=c
	cat <<-XML
	<domain type='qemu'>
	  <name>$domain</name>
	  <memory unit='MiB'>2048</memory>
	  <vcpu>2</vcpu>
	  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
	  <features><acpi/></features>
	  <cpu mode='maximum' migratable='off'/>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <disk type='file' device='disk'>
	      <driver name='qemu' type='qcow2' cache='unsafe'/>
	      <source file='$work/root.qcow2'/>
	      <target dev='vda' bus='virtio'/>
	    </disk>
	    <disk type='file' device='disk'>
	      <driver name='qemu' type='raw'/>
	      <source file='$work/agents/job.img'/>
	      <target dev='vdb' bus='virtio'/>
	    </disk>
	XML
	for i in $(seq "$disks"); do
		cat <<-XML
		    <disk type='file' device='disk'>
		      <driver name='qemu' type='raw'/>
		      <source file='$work/bench-$i.img'/>
		      <target dev='vd$letter' bus='virtio'/>
		    </disk>
		XML
		letter=$(echo "$letter" | tr a-y b-z)
	done
	cat <<-XML
	    <serial type='file'><source path='$work/agents/console.log'/><target port='0'/></serial>
	    <serial type='file'><source path='$work/agents/tap.log'/><target port='1'/></serial>
	    <channel type='unix'>
	      <source mode='bind'/>
	      <target type='virtio' name='org.qemu.guest_agent.0'/>
	    </channel>
	    <memballoon model='none'/>
	  </devices>
	  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
	</domain>
	XML
}

# guest_note PREFIX: the guest's first note starting with PREFIX, without
# "# ", once it came (within wait_s seconds).
guest_note() {
	local tries=$((wait_s * 20)) line
	while ((tries-- > 0)); do
		line=$(tr -d '\r' <"$work/agents/tap.log" | grep -m 1 "^# $1") &&
			{ echo "${line#\# }"; return 0; }
		grep -q '^# job done' "$work/agents/tap.log" && break
		sleep 0.05
	done
	echo "# the guest never noted '$1'" >&2
	return 1
}

# The agent answers through libvirt (it has the port, and libvirt saw it).
agent_answers() {
	local tries=$((wait_s * 2))
	until lv qemu-agent-command "$domain" '{"execute":"guest-ping"}' >/dev/null 2>&1; do
		((tries-- > 0)) || { echo "# no agent answered guest-ping" >&2; return 1; }
		sleep 0.5
	done
}

# measure AGENT N RUN: one freeze and thaw, when the guest is ready for it;
# its RESULT line.
measure() {
	local ready mounts=() m start end output result
	ready=$(guest_note "bench-ready $1 $2 $3 ") || return 1
	for m in ${ready#"bench-ready $1 $2 $3 "}; do
		mounts+=(--mountpoint "$m")
	done
	agent_answers || return 1
	start=$(date +%s%N)
	output=$(lv domfsfreeze "$domain" "${mounts[@]}" 2>&1) ||
		{ echo "# $1: domfsfreeze failed: $output"; lv domfsthaw "$domain"; return 1; }
	end=$(date +%s%N)
	sleep 0.3 # held frozen, as the module's bench holds its loop
	lv domfsthaw "$domain" >/dev/null || { echo "# $1: domfsthaw failed"; return 1; }
	[[ $output == *"Froze $2 filesystem(s)"* ]] ||
		{ echo "# $1: domfsfreeze said '$output', not $2 filesystems"; return 1; }
	result=$(guest_note "bench-result $1 $2 $3 ") || return 1
	echo "# RESULT workload agents n $2 method $1 ${result#"bench-result $1 $2 $3 "} all_frozen_ns $((end - start))"
}

measure_all() {
	local agent n run kernel
	kernel=$(guest_note "bench-kernel ") || return 1
	echo "# the agents' kernel: ${kernel#bench-kernel }"
	for agent in $agents; do
		for n in $counts; do
			for run in 1 2 3; do
				measure "$agent" "$n" "$run" || return 1
			done
		done
	done
}

domain_stopped() {
	! lv list --name 2>/dev/null | grep -qxF "$domain"
}

agents_boot() {
	local tries=$((wait_s * 2)) status=0
	touch "$work/agents/console.log" "$work/agents/tap.log"
	domain_xml >"$work/agents/domain.xml"
	libvirt_users && start_libvirtd >&2 && lv create "$work/agents/domain.xml" >/dev/null ||
		{ fail libvirt_domain_started; stop_libvirtd; return 1; }
	measure_all || status=1
	until domain_stopped; do
		((tries-- > 0)) || { lv destroy "$domain" >/dev/null; break; }
		sleep 0.5
	done
	stop_libvirtd
	report agents && [ "$status" = 0 ]
}

if libvirt_answers; then
	echo "bench.sh: a libvirtd runs already: stop it, the bench starts its own" >&2
	exit 1
fi
"$here/mkimage.sh" >&2 || { fail image_made; exit 1; }
prepare || { [ "$failed" = 1 ] || fail prepared; exit 1; }
install_boot && agents_boot || failed=1
[ "$failed" = 0 ] && rm -f "$work"/*.img "$work"/*.qcow2
exit "$failed"
