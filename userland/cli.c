// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "commands.h"

const struct sf_command sf_commands[] = {
	{ "status", cmd_status, "show the kernel module's version and features" },
	{ NULL, NULL, NULL },
};

static void print_usage(FILE *out)
{
	const struct sf_command *cmd;

	fputs("Usage: snapfreeze COMMAND [OPTIONS]\n"
	      "       snapfreeze --version | --help\n"
	      "\n"
	      "Commands:\n", out);
	for (cmd = sf_commands; cmd->name; cmd++)
		fprintf(out, "  %-10s %s\n", cmd->name, cmd->summary);
	fputs("\n"
	      "Run 'snapfreeze COMMAND --help' for the options of a command.\n"
	      "\n"
	      "Exit codes: 0 success, 1 failure, 2 usage error,\n"
	      "3 kernel module not loaded, 4 permission denied.\n", out);
}

int sf_main(int argc, char **argv, struct sf_error *err)
{
	const struct sf_command *cmd;

	if (argc < 2) {
		print_usage(stderr);
		return SF_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return SF_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("snapfreeze %s\n", SNAPFREEZE_VERSION);
		return SF_EXIT_OK;
	}
	for (cmd = sf_commands; cmd->name; cmd++)
		if (!strcmp(argv[1], cmd->name))
			return cmd->run(argc - 1, argv + 1, err);
	return sf_fail(err, SF_EXIT_USAGE,
		       "unknown command '%s' (see: snapfreeze --help)", argv[1]);
}
