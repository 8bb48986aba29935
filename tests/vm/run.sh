#!/bin/bash
# Usage: tests/vm/run.sh
#
# For each test kernel: builds the module with DKMS against the kernel's
# headers, boots the kernel in QEMU with that module and runs the cases of
# tests/vm/cases inside, then checks the kernel log for warnings and oopses.
# Prints one TAP line per case and per kernel check, "1..N" last; exits 1 if
# any failed. A boot that hangs is killed and its unreported cases fail.
#
# Environment:
#   SNAPFREEZE_KERNELS          releases to test (default: see kernels.sh)
#   SNAPFREEZE_VM_CASES         case files to run (default: cases/*.sh)
#   SNAPFREEZE_VM_KVM=1         use KVM instead of TCG emulation
#   SNAPFREEZE_VM_BOOT_TIMEOUT  seconds one boot may take (default 900)
#   SNAPFREEZE_VM_CASE_TIMEOUT  seconds one case may take (default 60)
#   SNAPFREEZE_VM_VERBOSE=1     show the output of passing cases too
#   SNAPFREEZE_VM_BENCH_DISKS   extra ext4 disks for the benchmark (default 0)
#   SNAPFREEZE_CACHE            kernels, the Debian 13 root and the run folders
#                               (default ~/.cache/snapfreeze; see kenv.sh)
#   SNAPFREEZE_VM_HOST_AGENT    the host side of the guest channel, started as
#                               AGENT GUEST_SOCKET QMP_SOCKET WORK while the VM
#                               runs (default: build/tests/fakehost)
#   SNAPFREEZE_VM_BOOT          boots the VM in place of QEMU with the three
#                               disks: run as BOOT RELEASE KERNEL_ROOT WORK
#                               INITRAMFS WORK AGENT, it serves the VM with
#                               AGENT as it likes, and returns once the VM
#                               stopped, with console.log and tap.log in WORK
#                               (default: QEMU, as boot() below)
#   SNAPFREEZE_VM_QEMU_ARGS     more QEMU arguments (split on blanks), e.g. a
#                               network device (QEMU's boot() only, not a
#                               SNAPFREEZE_VM_BOOT)
#   SNAPFREEZE_VM_MODULES       more kernel modules in the initramfs, loaded at boot
#   SNAPFREEZE_VM_FILES         a folder copied into the VM as /tests/files
#   SNAPFREEZE_VM_HOST_CHECKS   run as CHECKS RELEASE WORK KERNEL_ROOT after the
#                               VM stopped, with the disk images, the logs and
#                               the initramfs in WORK; prints "1..N", then
#                               "ok - TOPIC/NAME" or "not ok - TOPIC/NAME" for
#                               each of the N checks
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/kenv.sh"
. "$here/dkms.sh"
. "$here/boot-again.sh"
cache=$kenv_cache
boot_timeout=${SNAPFREEZE_VM_BOOT_TIMEOUT:-900}
case_timeout=${SNAPFREEZE_VM_CASE_TIMEOUT:-60}
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
bench_disks=${SNAPFREEZE_VM_BENCH_DISKS:-0}
host_agent=${SNAPFREEZE_VM_HOST_AGENT:-$top/build/tests/fakehost}
host_checks=${SNAPFREEZE_VM_HOST_CHECKS:-}
booter=${SNAPFREEZE_VM_BOOT:-boot}
host_channel=org.snapfreeze.host
number=0
failed=0

tap() { # tap ok|"not ok" NAME
	number=$((number + 1))
	[ "$1" = ok ] || failed=$((failed + 1))
	echo "$1 $number - $2"
}

diag() { # diag FILE [LINES]: the end of FILE as TAP diagnostics
	tail -n "${2:-30}" "$1" 2>/dev/null | sed 's/^/# /'
}

fail_cases() { # fail_cases RELEASE REASON
	local topic name
	while read -r topic name; do
		tap "not ok" "$1 $topic/$name ($2)"
	done < <("$here/list-cases.sh")
}

write_guest_env() { # write_guest_env RELEASE KO FILE
	cat >"$3" <<-EOF
	KVER='$1'
	SNAPFREEZE_VERSION='$version'
	SNAPFREEZE_KO='/lib/modules/$1/updates/dkms/$(basename "$2")'
	EXPECT_KO_SHA256='$(sha256sum "$2" | cut -d' ' -f1)'
	EXPECT_SRCVERSION='$(modinfo -F srcversion "$2")'
	HOST_CHANNEL='$host_channel'
	CASE_TIMEOUT='$case_timeout'
	VERBOSE='${SNAPFREEZE_VM_VERBOSE:-0}'
	BENCH_DISKS='$bench_disks'
	BENCH_TRACE='${SNAPFREEZE_BENCH_TRACE:-0}'
	EOF
}

make_disks() { # make_disks WORK
	local i
	truncate -s 512M "$1/ext4.img" "$1/xfs.img" "$1/btrfs.img" &&
		mkfs.ext4 -q -F "$1/ext4.img" &&
		mkfs.xfs -q -f "$1/xfs.img" &&
		mkfs.btrfs -q -f "$1/btrfs.img" >/dev/null || return 1
	for ((i = 0; i < bench_disks; i++)); do
		truncate -s 128M "$1/bench$i.img" &&
			mkfs.ext4 -q -F "$1/bench$i.img" || return 1
	done
}

bench_drives() { # bench_drives WORK: QEMU arguments for the extra disks
	local i
	for ((i = 0; i < bench_disks; i++)); do
		echo "-drive"
		echo "file=$1/bench$i.img,if=virtio,format=raw"
	done
}

# boot RELEASE KERNEL_ROOT WORK INITRAMFS LOGS [AGENT]: boots with the disks
# of WORK, leaving console.log, tap.log and qemu.log in LOGS, and AGENT (the
# host side of the guest channel) serving the VM, its output in host-agent.log.
boot() {
	local sockets status extra qemu agent
	# Unix socket paths are limited to 107 bytes: keep them short.
	sockets=$(mktemp -d /tmp/snapfreeze-vm.XXXXXX)
	mapfile -t extra < <(bench_drives "$3")
	# shellcheck disable=SC2206 # split on blanks, as documented
	extra+=(${SNAPFREEZE_VM_QEMU_ARGS:-})
	"$here/qemu.sh" "$1" "$2" "$4" "$5" \
		-drive "file=$3/ext4.img,if=virtio,format=raw" \
		-drive "file=$3/xfs.img,if=virtio,format=raw" \
		-drive "file=$3/btrfs.img,if=virtio,format=raw" \
		"${extra[@]}" \
		-device virtio-serial-pci \
		-chardev "socket,id=host,path=$sockets/host.sock,server=on,wait=off" \
		-device "virtserialport,chardev=host,name=$host_channel" \
		-qmp "unix:$sockets/qmp.sock,server=on,wait=off" &
	qemu=$!
	if [ -n "${6:-}" ]; then
		$6 "$sockets/host.sock" "$sockets/qmp.sock" "$5" >"$5/host-agent.log" 2>&1 &
		agent=$!
	fi
	wait "$qemu"
	status=$?
	if [ -n "${agent:-}" ]; then
		kill "$agent" 2>/dev/null
		wait "$agent"
	fi
	rm -rf "$sockets"
	return $status
}

# run_host_checks RELEASE WORK KERNEL_ROOT: the checks made on the host
# after the VM stopped. The checker declares how many it makes ("1..N")
# before it reports them: each one it does not report fails, and so does a
# checker without a plan, or one that fails without reporting a failure.
run_host_checks() {
	local line planned= reported=0 failures=0 status
	[ -n "$host_checks" ] || return 0
	while IFS= read -r line; do
		case "$line" in
		1..*) planned=${line#1..} ;;
		"ok - "*) tap ok "$1 ${line#ok - }"; reported=$((reported + 1)) ;;
		"not ok - "*)
			tap "not ok" "$1 ${line#not ok - }"
			reported=$((reported + 1))
			failures=$((failures + 1)) ;;
		"#"*) echo "$line" ;;
		esac
	done < <($host_checks "$1" "$2" "$3" 2>&1)
	wait $! 2>/dev/null
	status=$?
	if [[ ! $planned =~ ^[0-9]+$ ]]; then
		tap "not ok" "$1 host/checks (no plan: the checker never said how many checks it makes; exit status $status)"
		return
	fi
	while ((reported < planned)); do
		reported=$((reported + 1))
		failures=$((failures + 1))
		tap "not ok" "$1 host/checks (check $reported of $planned never reported; the checker exited with status $status)"
	done
	((reported == planned)) ||
		tap "not ok" "$1 host/checks ($reported checks reported, $planned planned)"
	[ "$status" = 0 ] || [ "$failures" -gt 0 ] ||
		tap "not ok" "$1 host/checks (exited with status $status, no check failed)"
}

report_guest() { # report_guest RELEASE WORK: one line per case, in list order
	local topic name line reported=" "
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		"ok - "*)
			tap ok "$1 ${line#ok - }"
			reported+="${line#ok - } " ;;
		"not ok - "*)
			tap "not ok" "$1 ${line#not ok - }"
			line=${line#not ok - }
			reported+="${line%% *} " ;;
		"# runner: done") ;;
		"#"*) echo "$line" ;;
		esac
	done <"$2/tap.log"
	while read -r topic name; do
		[[ $reported == *" $topic/$name "* ]] ||
			tap "not ok" "$1 $topic/$name (no result: the VM stopped first)"
	done < <("$here/list-cases.sh")
}

# Any WARN, oops, BUG or lockdep report fails the kernel, even one that did
# not panic.
check_kernel_log() { # check_kernel_log RELEASE WORK
	local pattern='WARNING:|BUG:|Oops|Kernel panic|general protection fault|Call Trace|possible circular locking|INFO: task .* blocked'
	if grep -Eq "$pattern" "$2/console.log"; then
		tap "not ok" "$1 host/kernel_log_clean"
		grep -E -A 12 "$pattern" "$2/console.log" | head -n 40 | sed 's/^/# /'
	else
		tap ok "$1 host/kernel_log_clean"
	fi
}

# The harness must be able to fail: a module that WARNs as it loads has to
# panic its VM, quickly, and be caught in the kernel log. A kernel that
# stops before the canary loads (see boot-again.sh) is booted once more.
canary_timeout=120
boot_canary() { # boot_canary RELEASE KERNEL_ROOT WORK
	SNAPFREEZE_VM_BOOT_TIMEOUT=$canary_timeout \
		boot "$1" "$2" "$3" "$3/canary/initramfs.cpio" "$3/canary"
}

check_warn_fails_the_run() { # check_warn_fails_the_run RELEASE KERNEL_ROOT WORK
	local canary=$3/canary verdict="" status
	rm -rf "$canary"
	mkdir -p "$canary/stage/bin"
	cp "$here"/canary/* "$canary/"
	if ! kenv_run "$1" make -C "/lib/modules/$1/build" M="$canary" modules \
		>"$canary/build.log" 2>&1; then
		verdict="the canary module did not build"
	else
		cp /bin/busybox "$canary/stage/bin/"
		ln -s busybox "$canary/stage/bin/sh"
		cp "$canary/init" "$canary/canary.ko" "$canary/stage/"
		(cd "$canary/stage" && find . | cpio -o -H newc -R 0:0 --quiet) >"$canary/initramfs.cpio"
		boot_canary "$@"
		status=$?
		if ! grep -q "canary" "$canary/console.log"; then
			echo "# $1: the canary's kernel stopped before the canary loaded; booting once more"
			diag "$canary/console.log" 8
			boot_canary "$@"
			status=$?
		fi
		if [ "$status" -ge 124 ]; then
			verdict="the canary VM did not stop within ${canary_timeout}s"
		elif [ "$status" != 0 ]; then
			verdict="QEMU exited with status $status"
		elif grep -q "still running" "$canary/tap.log"; then
			verdict="the canary's WARN did not panic"
		elif ! grep -q "WARNING:.*canary" "$canary/console.log"; then
			verdict="no WARNING in the canary's console log"
		fi
	fi
	if [ -z "$verdict" ]; then
		tap ok "$1 host/warn_fails_the_run"
	else
		tap "not ok" "$1 host/warn_fails_the_run ($verdict)"
		diag "$canary/build.log" 10
		diag "$canary/console.log" 20
	fi
}

test_kernel() { # test_kernel RELEASE
	local release=$1 kroot=$cache/kernels/$1/root work=$cache/runs/$1 ko
	local failed_before=$failed status
	rm -rf "$work"
	mkdir -p "$work"

	if ! "$here/fetch-kernel.sh" "$release" "$cache/kernels/$release" >"$work/fetch.log" 2>&1; then
		diag "$work/fetch.log"
		fail_cases "$release" "kernel image unavailable"
		return
	fi
	if ko=$(dkms_build "$release" "$work"); then
		tap ok "$release host/dkms_build"
		check_probes "$release" "$work"
	else
		tap "not ok" "$release host/dkms_build"
		diag "$work/dkms.log"
		fail_cases "$release" "no module"
		return
	fi
	if ! { write_guest_env "$release" "$ko" "$work/env" &&
	       "$here/mkinitramfs.sh" "$release" "$kroot" "$ko" "$work/env" "$work/initramfs.cpio" &&
	       make_disks "$work"; } >"$work/setup.log" 2>&1; then
		diag "$work/setup.log"
		fail_cases "$release" "VM setup failed"
		return
	fi

	boot_again_if_it_died "$work" \
		$booter "$release" "$kroot" "$work" "$work/initramfs.cpio" "$work" "$host_agent"
	status=$?
	[ "$status" -lt 124 ] || echo "# $release: the VM did not finish within ${boot_timeout}s and was killed"
	report_guest "$release" "$work"
	run_host_checks "$release" "$work" "$kroot"
	check_kernel_log "$release" "$work"
	check_warn_fails_the_run "$release" "$kroot" "$work"

	if [ "$failed" = "$failed_before" ]; then
		rm -f "$work"/*.img "$work"/*.qcow2 "$work"/*/*.img "$work"/*/*.qcow2 \
			"$work/initramfs.cpio"
	else
		echo "# $release: console log kept in $work/console.log; its end:"
		diag "$work/console.log" 40
		diag "$work/qemu.log" 5
		diag "$work/host-agent.log" 10
	fi
}

main() {
	local kernels release
	kernels=$("$here/kernels.sh") || exit 1
	if ! make -C "$top" --no-print-directory userland vm-tools >"$cache/build.log" 2>&1; then
		diag "$cache/build.log"
		for release in $kernels; do
			fail_cases "$release" "build failed"
		done
	else
		for release in $kernels; do
			test_kernel "$release"
		done
	fi
	echo "1..$number"
	[ "$failed" = 0 ]
}

mkdir -p "$cache"
main
