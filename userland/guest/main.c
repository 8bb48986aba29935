// SPDX-License-Identifier: GPL-2.0
/* snapfreeze: the command that drives the snapfreeze kernel module. */
#include <signal.h>
#include <stdio.h>

#include "commands.h"
#include "output.h"

int main(int argc, char **argv)
{
	struct sf_error err = { 0 };
	int ret;

	/*
	 * A host that hangs up, or a closed output, must be an error to report
	 * (EPIPE), not a signal that kills us with filesystems frozen.
	 */
	signal(SIGPIPE, SIG_IGN);
	ret = sf_main(argc, argv, &err);

	if (ret < 0) {
		sf_error_print(stderr, &err);
		return err.exit_code;
	}
	return ret;
}
