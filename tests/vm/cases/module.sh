# The module itself: where it comes from, loading and unloading, its generic
# netlink family, and who may talk to it.

case_dkms_module_is_loaded() {
	# The initramfs carries DKMS's output byte for byte...
	expect_eq "$(sha256sum "$SNAPFREEZE_KO" | cut -d' ' -f1)" \
		"$EXPECT_KO_SHA256" "sha256 of $SNAPFREEZE_KO"
	unload_module
	load_module
	# ...and the kernel runs that build, made for this kernel.
	expect_eq "$(cat /sys/module/snapfreeze/srcversion)" \
		"$EXPECT_SRCVERSION" "srcversion of the loaded module"
	expect_eq "$(cat /sys/module/snapfreeze/version)" \
		"$SNAPFREEZE_VERSION" "version of the loaded module"
	expect_eq "$(strings /tmp/snapfreeze.ko | sed -n 's/^vermagic=\([^ ]*\) .*/\1/p')" \
		"$(uname -r)" "kernel release in the module's vermagic"
}

case_load_unload_cycles() {
	unload_module
	for cycle in 1 2 3; do
		dmesg -c >/dev/null
		load_module
		module_loaded || fail "cycle $cycle: not in /sys/module after insmod"
		expect_match "$(dmesg)" "snapfreeze: version $SNAPFREEZE_VERSION loaded" \
			"cycle $cycle: load message"
		run snapfreeze status
		expect_eq "$status" 0 "cycle $cycle: snapfreeze status after load"
		unload_module
		! module_loaded || fail "cycle $cycle: still in /sys/module after rmmod"
		expect_match "$(dmesg)" "snapfreeze: unloaded" "cycle $cycle: unload message"
	done
}

case_family_resolves() {
	load_module
	run snapfreeze status --json
	expect_eq "$status" 0 "exit status of snapfreeze status --json"
	expect_match "$out" "\"version\":[[:space:]]*\"$SNAPFREEZE_VERSION\"" "reported version"
	run snapfreeze status
	expect_eq "$status" 0 "exit status of snapfreeze status"
	expect_match "$out" "^module version: $SNAPFREEZE_VERSION\$" "reported version"
}

case_family_gone_after_unload() {
	load_module
	unload_module
	run snapfreeze status
	expect_eq "$status" 3 "exit status without the module"
	expect_match "$err" "kernel module is not loaded \(try: modprobe snapfreeze\)" \
		"message without the module"
}

# The feature probes must find the kernel-held freeze exactly where the
# kernel has one: from 6.6 on.
case_features_match_kernel() {
	load_module
	run snapfreeze status --json
	expect_eq "$status" 0 "exit status of snapfreeze status --json"
	release=$(uname -r)
	major=${release%%.*}
	minor=${release#*.}
	minor=${minor%%.*}
	if [ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 6 ]; }; then
		expect_match "$out" '"kernel-holder"' "features on $release"
	else
		! printf '%s' "$out" | grep -q kernel-holder ||
			fail "features on $release: kernel-holder reported before 6.6"
	fi
}

case_unprivileged_caller_refused() {
	load_module
	run "$SETPRIV" --reuid=65534 --regid=65534 --clear-groups snapfreeze status
	expect_eq "$status" 4 "exit status as uid 65534"
	expect_match "$err" "status: Operation not permitted" "message as uid 65534"
}

# Root without CAP_SYS_ADMIN passes generic netlink's CAP_NET_ADMIN check
# and must be refused by the module itself, with its extended ACK message.
case_caller_without_sys_admin_refused() {
	load_module
	run "$SETPRIV" --bounding-set=-sys_admin snapfreeze status
	expect_eq "$status" 4 "exit status without CAP_SYS_ADMIN"
	expect_match "$err" "status: CAP_SYS_ADMIN is required \(Operation not permitted\)" \
		"message without CAP_SYS_ADMIN"
}
