# The agents' bench, second boot, with libvirt on the host
# (tests/image/bench.sh): light writers on the bench disks, frozen and
# thawed by the host's virsh domfsfreeze and domfsthaw through qemu-ga,
# then through snapfreeze agent, switched to as README says. For each
# measurement the job notes "bench-ready AGENT N RUN MOUNT..." once the
# writers run, waits for every writer to have been frozen and thawed, and
# notes "bench-result AGENT N RUN spread_ns NS" (freezebench analyze).
. ./lib.sh
# The job's folder is on /run, which systemd mounts noexec.
install -m 0755 freezebench /usr/local/bin/freezebench

# wait_until SECONDS CMD...: CMD succeeded within SECONDS (tried every 50 ms).
wait_until() {
	tries=$(($1 * 20))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# bench_mounts N: the first N bench disks, mounted; their mount points.
bench_mounts() {
	i=1
	while [ "$i" -le "$1" ]; do
		mkdir -p "/mnt/bench-$i"
		mountpoint -q "/mnt/bench-$i" || mount "LABEL=sfbench-$i" "/mnt/bench-$i" || return 1
		echo "/mnt/bench-$i"
		i=$((i + 1))
	done
}

# The unit serving the agent's port is AGENT's, and only it runs.
serves() {
	case $1 in
	qemu-ga) systemctl is-active -q qemu-guest-agent.service &&
		! systemctl is-active -q snapfreeze-agent.service ;;
	snapfreeze) systemctl is-active -q snapfreeze-agent.service &&
		! systemctl is-active -q qemu-guest-agent.service ;;
	esac
}

# use_agent AGENT: qemu-ga as Debian starts it (its udev rule), or
# snapfreeze agent as README's "switch" says.
use_agent() {
	case $1 in
	qemu-ga) systemctl start qemu-guest-agent.service ;;
	snapfreeze) systemctl mask qemu-guest-agent.service &&
		systemctl enable --now snapfreeze-agent.service ;;
	esac
	wait_until 30 serves "$1"
	systemctl status --no-pager qemu-guest-agent.service snapfreeze-agent.service
	serves "$1"
}

# measure AGENT N RUN MOUNT...
measure() {
	agent=$1 n=$2 run=$3
	shift 3
	pids='' stamps=''
	for mount_point; do
		rm -f "$mount_point/stamps"
		freezebench write "$mount_point/stamps" &
		pids="$pids $!"
		stamps="$stamps $mount_point/stamps"
	done
	for file in $stamps; do
		wait_until 10 test -s "$file" || { echo "no writer on $file"; return 1; }
	done
	since=$(freezebench now)
	note "bench-ready $agent $n $run $*"
	wait_until 120 freezebench resumed "$since" 100 $stamps
	waited=$?
	kill $pids
	wait
	[ "$waited" = 0 ] || { echo "$agent: not frozen and thawed within 120 s"; return 1; }
	note "bench-result $agent $n $run $(freezebench analyze "$since" $stamps)"
}

bench_agent() { # bench_agent AGENT
	use_agent "$1" || return 1
	for n in $bench_counts; do
		mounts=$(bench_mounts "$n") || return 1
		for run in 1 2 3; do
			measure "$1" "$n" "$run" $mounts || return 1
		done
	done
}

note "bench-kernel $(uname -r)"
check bench/qemu_ga bench_agent qemu-ga
check bench/snapfreeze_agent bench_agent snapfreeze
