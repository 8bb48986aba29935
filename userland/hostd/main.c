// SPDX-License-Identifier: GPL-2.0
/* snapfreeze-hostd: the host side of the snapfreeze snapshot protocol. */
#include <signal.h>
#include <stdio.h>

#include "hostd.h"

int main(int argc, char **argv)
{
	struct sf_error err = { 0 };
	int ret;

	/* A guest or QEMU that hangs up is an error to answer or log, not a death. */
	signal(SIGPIPE, SIG_IGN);
	ret = hostd_main(argc, argv, &err);
	if (ret < 0) {
		fprintf(stderr, "snapfreeze-hostd: %s\n", err.msg);
		return err.exit_code;
	}
	return ret;
}
