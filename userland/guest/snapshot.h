/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_SNAPSHOT_H
#define SNAPFREEZE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure_settings.h"
#include "config.h"
#include "error.h"
#include "freezer.h"
#include "handler_env.h"
#include "host.h"
#include "log.h"
#include "mounts.h"
#include "netlink.h"
#include "state.h"

/*
 * One snapshot, as `snapfreeze snapshot` takes it: cmd_snapshot.c prepares
 * it (options, configuration, log, host, freezer), snapshot_steps.c takes
 * it (scripts, freeze, host, thaw), snapshot_report.c reports it (log,
 * state, result, output), snapshot_azure.c speaks to Azure's agent.
 */
#define SF_RESULT_NAME "last-snapshot.json"
/* One snapshot at a time: its holder's pid in it. */
#define SF_LOCK_PATH "/run/snapfreeze.lock"

#define SF_MAX_ERRORS 8

struct snapshot {
	struct sf_handler_env handler;	/* status_folder NULL: not a handler */
	struct sf_azure_settings settings;	/* the handler's N.settings, if any */
	int azure_code;			/* Azure's code of the first error; 0: none yet */
	const char *state_dir;
	struct sf_config config;
	const char *host_uri;
	struct sf_host *host;
	struct sf_log *log;
	struct sf_freezer *freezer;	/* NULL: nothing is frozen */
	char degraded[600];		/* why the module is not used */
	struct sf_state state;
	bool state_loaded;		/* only then is it saved */
	char id[40];
	const char *consistency;
	const char *status;
	enum sf_exit exit_code;		/* of the first error */
	char errors[SF_MAX_ERRORS][SF_ERROR_MSG_SIZE];
	size_t n_errors;
	/*
	 * Readable when waiting must end: a signal (signal_fd), or the
	 * freeze lost (the freezer's lost fd, while frozen).
	 */
	int abort_fd;
	int signal_fd;
	struct sf_mounts mounts;
	struct sf_session_info session;
	struct sf_host_answer answer;
	bool answered;
	bool scripts_ran;
	bool interrupted;		/* and said so */
	uint64_t started_ns, pre_ns, freeze_ns, host_ns, post_ns;
};

/*
 * The first error is the one reported, its exit code the command's; the
 * others are kept in the result too. what: the step (NULL: why says).
 */
void snapshot_failed_with(struct snapshot *snap, enum sf_exit code, const char *what,
			  const char *why);
void snapshot_failed(struct snapshot *snap, const char *what, const char *why);
/* One more message after those err has: "; message". */
void snapshot_add_message(struct sf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A SIGINT, SIGTERM or SIGHUP came: said once, as what's failure. */
bool snapshot_interrupted(struct snapshot *snap, const char *what);

/* The snapshot proper, once prepared. */
void snapshot_take(struct snapshot *snap);
/*
 * After the thaw: the log, the state (if it was read) and the result,
 * then the output. 0, or -1 with err the first error and those of the
 * report after it.
 */
int snapshot_report(struct snapshot *snap, bool json, struct sf_error *err);

/* The result, as saved and printed with --json: JSON text to free. */
char *snapshot_result_text(const struct snapshot *snap);

/*
 * As Azure's extension handler: "transitioning" first, the outcome last.
 * Entering reads N.settings when there is one: refused settings, or a
 * command started too long ago, fail the snapshot with Azure's code.
 */
int snapshot_enter_handler_env(struct snapshot *snap, const char *path,
			       struct sf_error *err);
int snapshot_leave_handler_env(struct snapshot *snap, int ret, struct sf_error *err);
/* Azure's code of the snapshot's failure (enum sf_azure_code), the first one set. */
void snapshot_azure_code(struct snapshot *snap, int code);
/*
 * An error of the configuration's loading, as Azure's code: one of the
 * script configuration's own (SCRIPT_CONFIG: parsing, mode, owner), or 2.
 */
int snapshot_config_code(const char *message, const char *script_config);

#endif
