/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_COMMANDS_H
#define SNAPFREEZE_COMMANDS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "mounts.h"
#include "netlink.h"
#include "parse.h"

/*
 * A subcommand gets its own argv (argv[0] is its name) and returns an exit
 * code, or -1 with err filled in.
 */
struct sf_command {
	const char *name;
	int (*run)(int argc, char **argv, struct sf_error *err);
	const char *summary;
};

extern const struct sf_command sf_commands[];

int sf_main(int argc, char **argv, struct sf_error *err);

/* For subcommands: getopt_long's '?' or ':' turned into a usage error. */
int sf_option_error(struct sf_error *err, const char *command, char **argv,
		    int opt);
/*
 * The options of a command that has only --json and --help: 1 once the
 * usage is shown, -1 on a usage error; optind then indexes the arguments.
 */
int sf_parse_json_option(int argc, char **argv, const char *command,
			 const char *usage, bool *json, struct sf_error *err);
/* A session's number, as the module counts them from 1. */
int sf_parse_session(const char *command, const char *text, uint64_t *id,
		     struct sf_error *err);

int cmd_status(int argc, char **argv, struct sf_error *err);
int cmd_freeze(int argc, char **argv, struct sf_error *err);
int cmd_thaw(int argc, char **argv, struct sf_error *err);
int cmd_keepalive(int argc, char **argv, struct sf_error *err);
int cmd_watch(int argc, char **argv, struct sf_error *err);
int cmd_mounts(int argc, char **argv, struct sf_error *err);
int cmd_snapshot(int argc, char **argv, struct sf_error *err);
int cmd_agent(int argc, char **argv, struct sf_error *err);
int cmd_handler(int argc, char **argv, struct sf_error *err);
cJSON *sf_module_status_json(const struct sf_module_status *status);
cJSON *sf_mounts_json(const struct sf_mounts *mounts);

#endif
