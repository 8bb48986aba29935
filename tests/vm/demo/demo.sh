# What "make demo" shows: the module as DKMS built it, loaded in a booted
# test kernel, answering the snapfreeze command over generic netlink.

case_module_status() {
	load_module
	echo "\$ uname -r"
	uname -r
	echo "\$ snapfreeze status"
	snapfreeze status || fail "snapfreeze status"
	echo "\$ snapfreeze status --json"
	snapfreeze status --json || fail "snapfreeze status --json"
	echo "\$ dmesg | grep snapfreeze"
	dmesg | grep snapfreeze
}
