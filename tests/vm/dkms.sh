# Sourced by the harness (bash), after kenv.sh, with top, version and a
# tap function set: the module built by DKMS for a test kernel, and the
# check of what its compat probes found.

# dkms_build RELEASE WORK: builds the module with DKMS where RELEASE's
# headers are, as a user's DKMS would, its log in WORK/dkms.log; prints the
# module's path, copied to WORK and decompressed (busybox's insmod reads
# plain .ko files).
dkms_build() {
	local root tree ko status=0
	root=$(kenv_root "$1" 2>>"$2/dkms.log") || return 1
	tree=$root/var/lib/dkms/snapfreeze/$version
	KBUILD_EXTRA_WARN=1 SNAPFREEZE_WERROR=y kenv_run "$1" sh -c \
		'make -C "$1" --no-print-directory dkms-source &&
		 make -C "$1" --no-print-directory dkms-build KVER="$2"' \
		dkms "$top" "$1" >"$2/dkms.log" 2>&1 || status=1
	# DKMS's make.log: in its build folder (DKMS 3.0), or kept beside the
	# module once the build folder is cleaned (3.2).
	cat "$tree/build/make.log" "$tree/$1/$(uname -m)/log/make.log" \
		>>"$2/dkms.log" 2>/dev/null
	[ "$status" = 0 ] || return 1
	ko=$(ls "$tree/$1/$(uname -m)/module/"snapfreeze.ko* 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { echo "no module in DKMS's tree" >>"$2/dkms.log"; return 1; }
	case "$ko" in
	*.xz) xz -dc "$ko" >"$2/snapfreeze.ko" ;;
	*) cp "$ko" "$2/snapfreeze.ko" ;;
	esac || return 1
	echo "$2/snapfreeze.ko"
}

# check_probes RELEASE WORK: the compat probes of DKMS's build (the line
# probe.sh wrote into its log, with the kernel's upstream version) must have
# found the API that version has, as the kernel's history says:
# freeze_super(sb) before 6.6, with a holder from 6.6, with an owner from
# 6.16; the CAP_SYS_ADMIN flag of a multicast group from 6.8 and 6.1.176,
# its bitfield from 6.1.68 to 6.1.175; NL_SET_ERR_MSG_FMT and pre_doit's
# split operation from 6.2; percpu_rwsem_release() without a read flag
# from 6.12; hrtimer_setup() from 6.13.
check_probes() {
	local line upstream found a b c expected name verdict=
	line=$(grep '^probe.sh: [^:]*: found:' "$2/dkms.log" | tail -n 1)
	upstream=${line#probe.sh: }
	upstream=${upstream%%:*}
	found=" ${line#*: found:} "
	echo "# $1: compat probes (Linux $upstream) found: ${line#*: found: }"
	IFS=. read -r a b c _ <<<"$upstream.0.0"
	c=${c%%[!0-9]*}
	if [[ ! $a$b$c =~ ^[0-9]+$ ]]; then
		tap "not ok" "$1 host/compat_probes (no probe results in DKMS's log)"
		return
	fi
	if ((a > 6 || (a == 6 && b >= 16))); then
		expected="FREEZE_SUPER_OWNER"
	elif ((a == 6 && b >= 6)); then
		expected="FREEZE_SUPER_HOLDER"
	else
		expected="FREEZE_SUPER_NOHOLDER"
	fi
	if ((a > 6 || (a == 6 && b >= 8) || (a == 6 && b == 1 && c >= 176))); then
		expected+=" GENL_MCAST_CAP_SYS_ADMIN"
	elif ((a == 6 && b == 1 && c >= 68)); then
		expected+=" GENL_MCGRP_CAP_SYS_ADMIN"
	fi
	((a == 6 && b < 2)) || expected+=" NL_SET_ERR_MSG_FMT GENL_SPLIT_OPS"
	((a == 6 && b < 12)) || expected+=" PERCPU_RWSEM_RELEASE_IP"
	((a == 6 && b < 13)) || expected+=" HRTIMER_SETUP"
	for name in $expected; do
		[[ $found == *" HAVE_$name "* ]] || verdict+=" HAVE_$name missing"
	done
	# And nothing a kernel of that version cannot have.
	if ((a == 6 && b < 2)) && [[ $found == *" HAVE_GENL_SPLIT_OPS "* ]]; then
		verdict+=" HAVE_GENL_SPLIT_OPS found before 6.2"
	fi
	if ((a == 6 && b < 12)) && [[ $found == *" HAVE_PERCPU_RWSEM_RELEASE_IP "* ]]; then
		verdict+=" HAVE_PERCPU_RWSEM_RELEASE_IP found before 6.12"
	fi
	if ((a == 6 && b < 13)) && [[ $found == *" HAVE_HRTIMER_SETUP "* ]]; then
		verdict+=" HAVE_HRTIMER_SETUP found before 6.13"
	fi
	if [ -z "$verdict" ]; then
		tap ok "$1 host/compat_probes"
	else
		tap "not ok" "$1 host/compat_probes (expected $expected:$verdict)"
	fi
}
