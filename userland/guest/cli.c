// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

const struct sf_command sf_commands[] = {
	{ "snapshot", cmd_snapshot, "take one consistent snapshot: scripts, freeze, host, thaw" },
	{ "freeze", cmd_freeze, "freeze filesystems as one session" },
	{ "thaw", cmd_thaw, "end a session, or all of them" },
	{ "keepalive", cmd_keepalive, "keep a detached session alive" },
	{ "status", cmd_status, "show the kernel module and its sessions" },
	{ "watch", cmd_watch, "print the module's events as they come" },
	{ "mounts", cmd_mounts, "show what a snapshot freezes, and what it skips" },
	{ "agent", cmd_agent, "serve the QEMU guest agent's protocol, freezing through the module" },
	{ "handler", cmd_handler, "Azure's extension handler: install, enable, disable, ..." },
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
	      "3 kernel module not loaded, 4 permission denied,\n"
	      "5 the freeze ended before it was released (its timeout, a missed\n"
	      "keepalive because the command hung, or an unload).\n", out);
}

int sf_option_error(struct sf_error *err, const char *command, char **argv,
		    int opt)
{
	if (opt == ':')
		return sf_fail(err, SF_EXIT_USAGE,
			       "%s: option '%s' needs a value", command,
			       argv[optind - 1]);
	return sf_fail(err, SF_EXIT_USAGE,
		       "%s: unknown option '%s' (see: snapfreeze %s --help)",
		       command, argv[optind - 1], command);
}

int sf_parse_json_option(int argc, char **argv, const char *command,
			 const char *usage, bool *json, struct sf_error *err)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	*json = false;
	while ((opt = getopt_long(argc, argv, ":jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return sf_option_error(err, command, argv, opt);
		}
	}
	return 0;
}

int sf_parse_session(const char *command, const char *text, uint64_t *id,
		     struct sf_error *err)
{
	unsigned long long value;
	char *end;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || end == text || *end || !value)
		return sf_fail(err, SF_EXIT_USAGE, "%s: '%s': not a session number",
			       command, text);
	*id = value;
	return 0;
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
