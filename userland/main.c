// SPDX-License-Identifier: GPL-2.0
/* snapfreeze: the command that drives the snapfreeze kernel module. */
#include <stdio.h>

#include "commands.h"

int main(int argc, char **argv)
{
	struct sf_error err = { 0 };
	int ret = sf_main(argc, argv, &err);

	if (ret < 0) {
		fprintf(stderr, "snapfreeze: %s\n", err.msg);
		return err.exit_code;
	}
	return ret;
}
