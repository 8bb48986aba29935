# Usage: sh run-job.sh TAP_DEVICE (run by sf-image-job, in the image)
#
# Runs job.sh with the helpers below. The job's results go to TAP_DEVICE as
# TAP lines ("ok - NAME", "not ok - NAME"), then "# job done".
tap=$1

note() { # note TEXT: a comment line in the TAP
	echo "# $*" >"$tap"
}

# check NAME COMMAND...: runs COMMAND, its output on the console as it
# comes (and the end of it in the TAP when it fails), and reports NAME.
check() {
	check_name=$1
	shift
	echo "== $check_name: $*"
	{
		"$@" 2>&1
		echo $? >check.status
	} | tee check.out
	check_status=$(cat check.status)
	if [ "$check_status" = 0 ]; then
		echo "ok - $check_name" >"$tap"
	else
		echo "not ok - $check_name (exit status $check_status)" >"$tap"
		tail -n 15 check.out | sed 's/^/#   /' >"$tap"
	fi
}

. ./job.sh
note "job done"
