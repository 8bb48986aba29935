// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "commands.h"
#include "config.h"
#include "fifreeze.h"
#include "handler_env.h"
#include "host.h"
#include "keepalive.h"
#include "log.h"
#include "mounts.h"
#include "output.h"
#include "scripts.h"
#include "state.h"
#include "status.h"

#define SF_LOCK_PATH "/run/snapfreeze.lock"
#define SF_RESULT_NAME "last-snapshot.json"

static const char snapshot_usage[] =
	"Usage: snapfreeze snapshot [--config FILE] [--host URI] [--timeout SEC]\n"
	"                           [--keepalive SEC] [--json] [--handler-env FILE]\n"
	"\n"
	"Take one consistent snapshot: run the applications' pre-script (from\n"
	SF_AZURE_SCRIPT_CONFIG_PATH "), freeze every\n"
	"filesystem 'snapfreeze mounts' lists as one session, ask the host to\n"
	"take the snapshot (docs/protocol.md), thaw, run the post-script, and\n"
	"report. The filesystems are thawed whatever happens: by this command,\n"
	"or by the kernel if it dies or stalls: a thread keeps the session alive\n"
	"and the kernel thaws once a keepalive interval passes without it.\n"
	"Nothing is written to a file while the filesystems are frozen. One\n"
	"snapshot runs at a time.\n"
	"\n"
	"The result (JSON) is also written to " SF_STATE_DIR "/" SF_RESULT_NAME ".\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE  configuration (default " SF_CONFIG_PATH ")\n"
	"  -H, --host URI     where to ask for the snapshot (overrides \"host\")\n"
	"  -t, --timeout SEC  the watchdog's timeout, the hard limit of the freeze\n"
	"                     (overrides \"freeze_timeout\")\n"
	"  -k, --keepalive SEC\n"
	"                     the keepalive interval, 0 for none (overrides\n"
	"                     \"keepalive_interval\")\n"
	"  -j, --json         print the result as JSON\n"
	"  -E, --handler-env FILE\n"
	"                     run as Azure's extension handler: FILE is its\n"
	"                     HandlerEnvironment.json (default: $" SF_HANDLER_ENV_VARIABLE ");\n"
	"                     the log goes to its logFolder, and the status to\n"
	"                     statusFolder/N.status, N from $ConfigSequenceNumber\n"
	"                     or the newest configFolder/N.settings\n"
	"  -h, --help         show this help\n";

struct snapshot {
	struct sf_handler_env handler;	/* status_folder NULL: not a handler */
	struct sf_config config;
	const char *host;
	struct sf_log *log;
	struct sf_nl *nl;		/* NULL: degraded, FIFREEZE */
	struct sf_fifreeze *fifreeze;
	char degraded[600];		/* why the module is not used */
	struct sf_state state;
	char id[40];
	const char *consistency;
	const char *status;
	char error[1024];
	struct sf_mounts mounts;
	struct sf_session_info session;
	struct sf_host_answer answer;
	bool pre_ran;
	uint64_t started_ns, pre_ns, freeze_ns, host_ns, post_ns;
};

/* The first error is the one reported; later ones are only logged. */
static void failed(struct snapshot *snap, const char *what, const char *why)
{
	sf_log_write(snap->log, SF_LOG_ERROR, "%s: %s", what, why);
	if (!snap->error[0])
		snprintf(snap->error, sizeof(snap->error), "%s: %s", what, why);
	snap->status = "error";
}

static int take_lock(struct sf_error *err)
{
	int fd = open(SF_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", SF_LOCK_PATH,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return sf_fail(err, SF_EXIT_FAILURE,
			       "another snapshot is running (%s is locked)",
			       SF_LOCK_PATH);
	}
	return fd;
}

/* Each line of a script's output a line of the log, marked as its output. */
static void log_output(struct snapshot *snap, const char *which,
		       const struct sf_script_result *result)
{
	const char *line = result->output, *end;

	while (*line) {
		end = line + strcspn(line, "\n");
		sf_log_write(snap->log, SF_LOG_INFO, "%s> %.*s", which,
			     (int)(end - line), line);
		line = *end ? end + 1 : end;
	}
	if (result->output_truncated)
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "%s: output beyond %zu bytes dropped", which,
			     result->output_len);
}

/* true: the script succeeded. Its output goes to the log. */
static bool run_script(struct snapshot *snap, const char *which, const char *path,
		       char **params, size_t n_params, unsigned int retries)
{
	struct sf_script script = {
		.path = path,
		.args = (const char *const *)params,
		.n_args = n_params,
		.timeout_ms = snap->config.app.timeout_s * 1000,
		.term_grace_ms = 5000,
		.retries = retries,
		.output_limit = 16384,
	};
	struct sf_script_result result;
	struct sf_error err;
	char why[600];
	int ret;

	if (sf_check_file_safety(path, 022, &err)) {
		failed(snap, which, err.msg);
		return false;
	}
	sf_log_write(snap->log, SF_LOG_INFO, "%s: running %s", which, path);
	ret = sf_script_run(&script, &result, &err);
	if (ret < 0) {
		failed(snap, which, err.msg);
		return false;
	}
	log_output(snap, which, &result);
	if (ret) {
		if (result.timed_out)
			snprintf(why, sizeof(why), "killed after %u s, %u attempt(s)",
				 snap->config.app.timeout_s, result.attempts);
		else
			snprintf(why, sizeof(why), "exit status %d, %u attempt(s)",
				 result.exit_status, result.attempts);
		sf_log_write(snap->log, SF_LOG_ERROR, "%s: %s failed: %s", which,
			     path, why);
	} else {
		sf_log_write(snap->log, SF_LOG_INFO, "%s: succeeded", which);
	}
	sf_script_result_free(&result);
	return !ret;
}

/*
 * Scripts run unless the fallback says this one is filesystem-only. A
 * failed pre-script makes the snapshot filesystem-consistent if Azure's
 * continueBackupOnFailure allows, or stops it (false).
 */
static bool pre_script(struct snapshot *snap)
{
	const struct sf_app_scripts *app = &snap->config.app;
	uint64_t start = sf_now_ns();
	bool ok;

	snap->consistency = "filesystem";
	if (!app->present || !app->pre_script)
		return true;
	if (!sf_state_take_turn(&snap->state)) {
		sf_log_write(snap->log, SF_LOG_INFO,
			     "scripts skipped: filesystem-consistent after a recent script failure (%u more)",
			     snap->state.filesystem_only_left);
		return true;
	}
	snap->pre_ran = true;
	ok = run_script(snap, "pre-script", app->pre_script, app->pre_params,
			app->n_pre_params, app->pre_retries);
	snap->pre_ns = sf_now_ns() - start;
	if (ok) {
		snap->consistency = "application";
		return true;
	}
	sf_state_note_script_failure(&snap->state);
	if (app->continue_on_failure) {
		snap->error[0] = '\0';
		snap->status = "success";
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "continuing filesystem-consistent (continueBackupOnFailure)");
		return true;
	}
	snap->consistency = "none";
	failed(snap, "pre-script", "failed, and continueBackupOnFailure is false: no snapshot");
	return false;
}

static void post_script(struct snapshot *snap)
{
	const struct sf_app_scripts *app = &snap->config.app;
	uint64_t start = sf_now_ns();

	if (!snap->pre_ran || !app->post_script)
		return;
	if (!run_script(snap, "post-script", app->post_script, app->post_params,
			app->n_post_params, app->post_retries) &&
	    !strcmp(snap->status, "success"))
		failed(snap, "post-script", "failed (see the log)");
	snap->post_ns = sf_now_ns() - start;
}

static int freeze_filesystems(struct snapshot *snap,
			      const struct sf_freeze_request *freeze,
			      struct sf_error *err)
{
	if (snap->nl)
		return sf_nl_freeze(snap->nl, freeze, &snap->session, err);
	snap->fifreeze = sf_fifreeze_freeze(snap->mounts.mounts, freeze->n_paths,
					    freeze->timeout_ms, &snap->session, err);
	return snap->fifreeze ? 0 : -1;
}

/* Held in memory with the rest of the log while frozen. */
static void note_progress(const char *message, void *arg)
{
	struct snapshot *snap = arg;

	sf_log_write(snap->log, SF_LOG_INFO, "host: progress%s%s",
		     message ? ": " : "", message ? message : "");
}

static int thaw_filesystems(struct snapshot *snap, struct sf_error *err)
{
	struct sf_session_info thawed = { 0 };

	if (!snap->nl)
		return sf_fifreeze_thaw(snap->fifreeze, &snap->session, err);
	if (sf_nl_thaw(snap->nl, snap->session.id, &thawed, err))
		return -1;
	sf_session_info_free(&snap->session);
	snap->session = thawed;
	return 0;
}

/*
 * Frozen: ask the host, then thaw. The log holds its lines meanwhile, and
 * signals wait: the kernel thaws anyway if this process dies.
 */
static void freeze_and_ask(struct snapshot *snap)
{
	const char **paths = calloc(snap->mounts.n_frozen + 1, sizeof(*paths));
	struct sf_freeze_request freeze = {
		.paths = paths,
		.n_paths = snap->mounts.n_frozen,
		.timeout_ms = snap->config.freeze_timeout_ms,
		.keepalive_ms = snap->nl ? snap->config.keepalive_ms : 0,
	};
	struct sf_host_request request = {
		.id = snap->id,
		.on_progress = note_progress,
		.progress_arg = snap,
		.targets = snap->mounts.mounts,
		.n_targets = snap->mounts.n_frozen,
	};
	struct sf_keeper *keeper = NULL;
	struct sf_error err;
	char why[600];
	uint64_t start;
	size_t i;

	if (!paths || !snap->mounts.n_frozen) {
		failed(snap, "freeze", paths ? "no filesystem to freeze (see: snapfreeze mounts)" :
						 "out of memory");
		free(paths);
		return;
	}
	for (i = 0; i < snap->mounts.n_frozen; i++)
		paths[i] = snap->mounts.mounts[i].mount_point;
	request.consistency = snap->consistency;
	/*
	 * Leave the watchdog a quarter of its time to spare, also when the
	 * host's progress messages extend the wait.
	 */
	request.max_deadline_ms = freeze.timeout_ms / 4 * 3;
	request.deadline_ms = snap->config.host_timeout_ms;
	if (request.deadline_ms > request.max_deadline_ms)
		request.deadline_ms = request.max_deadline_ms;
	if (freeze.keepalive_ms && sf_keepalive_lock_memory(&err)) {
		failed(snap, "freeze", err.msg);
		free(paths);
		return;
	}

	sf_log_write(snap->log, SF_LOG_INFO, "freezing %zu filesystems",
		     freeze.n_paths);
	sf_log_hold(snap->log);
	start = sf_now_ns();
	if (freeze_filesystems(snap, &freeze, &err)) {
		snap->consistency = "crash";
		failed(snap, "freeze", err.msg);
		goto out;
	}
	snap->freeze_ns = sf_now_ns() - start;
	if (freeze.keepalive_ms &&
	    !(keeper = sf_keeper_start(snap->nl, snap->session.id,
				       freeze.keepalive_ms, &err))) {
		failed(snap, "freeze", err.msg);
		goto thaw;
	}
	if (snap->nl)
		sf_log_write(snap->log, SF_LOG_INFO,
			     "frozen as session %llu in %.3f ms (writes stopped within %.3f ms)",
			     (unsigned long long)snap->session.id,
			     snap->session.freeze_ns / 1e6, snap->session.spread_ns / 1e6);
	else
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "frozen with FIFREEZE in %.3f ms (writes stopped within %.3f ms)",
			     snap->session.freeze_ns / 1e6, snap->session.spread_ns / 1e6);
	start = sf_now_ns();
	if (sf_host_ask(snap->host, &request, &snap->answer, &err))
		failed(snap, "host", err.msg);
	else if (!snap->answer.ok)
		failed(snap, "host", snap->answer.message ? snap->answer.message :
			       snap->answer.error ? snap->answer.error : "refused");
	else
		sf_log_write(snap->log, SF_LOG_INFO, "host: snapshot %s",
			     snap->answer.snapshot ? snap->answer.snapshot : "taken");
	snap->host_ns = sf_now_ns() - start;
	/* Lost: the kernel thawed already, and the snapshot is worthless. */
	if (sf_keeper_stop(keeper, &err)) {
		snprintf(why, sizeof(why), "the session was lost while frozen: %s",
			 err.msg);
		failed(snap, "freeze", why);
		goto out;
	}
thaw:
	if (thaw_filesystems(snap, &err))
		failed(snap, "thaw", err.msg);
out:
	if (sf_log_release(snap->log, &err))
		failed(snap, "log", err.msg);
	if (freeze.keepalive_ms)
		sf_keepalive_unlock_memory();
	free(paths);
}

static cJSON *result_json(const struct snapshot *snap)
{
	cJSON *json = cJSON_CreateObject(), *timings, *host;

	if (!json || !cJSON_AddStringToObject(json, "id", snap->id) ||
	    !cJSON_AddStringToObject(json, "status", snap->status) ||
	    !cJSON_AddStringToObject(json, "consistency", snap->consistency) ||
	    (snap->error[0] && !cJSON_AddStringToObject(json, "error", snap->error)) ||
	    !(timings = cJSON_AddObjectToObject(json, "timings_ms")) ||
	    !cJSON_AddNumberToObject(timings, "pre_script", snap->pre_ns / 1e6) ||
	    !cJSON_AddNumberToObject(timings, "freeze", snap->freeze_ns / 1e6) ||
	    !cJSON_AddNumberToObject(timings, "host", snap->host_ns / 1e6) ||
	    !cJSON_AddNumberToObject(timings, "frozen", snap->session.frozen_ns / 1e6) ||
	    !cJSON_AddNumberToObject(timings, "post_script", snap->post_ns / 1e6) ||
	    !cJSON_AddNumberToObject(timings, "total",
				     (sf_now_ns() - snap->started_ns) / 1e6) ||
	    (snap->session.n_targets &&
	     !cJSON_AddItemToObject(json, "session", sf_session_json(&snap->session))) ||
	    !(host = cJSON_AddObjectToObject(json, "host")) ||
	    (snap->answer.snapshot &&
	     !cJSON_AddStringToObject(host, "snapshot", snap->answer.snapshot)) ||
	    (snap->answer.error &&
	     !cJSON_AddStringToObject(host, "error", snap->answer.error)) ||
	    (snap->answer.message &&
	     !cJSON_AddStringToObject(host, "message", snap->answer.message)) ||
	    !cJSON_AddStringToObject(json, "freezer", snap->nl ? "module" : "fifreeze") ||
	    (snap->degraded[0] &&
	     !cJSON_AddStringToObject(json, "degraded", snap->degraded))) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

/* After the thaw: the result file, the state, then the output. */
static int report(struct snapshot *snap, bool json, struct sf_error *err)
{
	cJSON *result = result_json(snap);
	char *text = result ? cJSON_PrintUnformatted(result) : NULL;
	char path[256];
	int ret = SF_EXIT_OK;

	sf_log_write(snap->log, strcmp(snap->status, "success") ? SF_LOG_ERROR :
			       SF_LOG_INFO, "snapshot %s: %s, %s-consistent%s%s",
		     snap->id, snap->status, snap->consistency,
		     snap->error[0] ? ": " : "", snap->error);
	snprintf(path, sizeof(path), "%s/%s", SF_STATE_DIR, SF_RESULT_NAME);
	if (sf_state_save(SF_STATE_DIR, &snap->state, err) ||
	    (text && sf_write_file_atomic(path, text, 0644, err)))
		ret = -1;
	if (json && text)
		puts(text);
	else if (!json)
		printf("snapshot %s: %s, %s-consistent%s%s\n", snap->id, snap->status,
		       snap->consistency, snap->error[0] ? ": " : "", snap->error);
	free(text);
	cJSON_Delete(result);
	if (!ret && strcmp(snap->status, "success"))
		ret = sf_fail(err, SF_EXIT_FAILURE, "snapshot %s failed: %s", snap->id,
			      snap->error);
	return ret;
}

/*
 * Without the module, and if the configuration allows, FIFREEZE: degraded,
 * since the filesystems then stop one after another, not at one instant.
 */
static int open_freezer(struct snapshot *snap, struct sf_error *err)
{
	struct sf_error why;

	snap->nl = sf_nl_open(&why);
	if (snap->nl)
		return 0;
	if (why.exit_code != SF_EXIT_NO_MODULE)
		return sf_fail(err, why.exit_code, "%s", why.msg);
	if (!snap->config.fifreeze_fallback)
		return sf_fail(err, why.exit_code, "%s; \"fifreeze_fallback\" is false",
			       why.msg);
	snprintf(snap->degraded, sizeof(snap->degraded),
		 "%s: frozen with FIFREEZE, one filesystem after another", why.msg);
	sf_log_write(snap->log, SF_LOG_WARNING, "degraded: %s", snap->degraded);
	return 0;
}

struct snapshot_options {
	const char *config;
	const char *host;
	const char *handler_env;
	uint32_t timeout_ms;
	uint32_t keepalive_ms;
	bool keepalive_given;
	bool json;
};

static int parse_snapshot_options(int argc, char **argv, struct snapshot_options *opts,
				  struct sf_error *err)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "handler-env", required_argument, NULL, 'E' },
		{ "host", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	opts->handler_env = getenv(SF_HANDLER_ENV_VARIABLE);
	while ((opt = getopt_long(argc, argv, ":c:E:H:t:k:jh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			opts->config = optarg;
			break;
		case 'E':
			opts->handler_env = optarg;
			break;
		case 'H':
			opts->host = optarg;
			break;
		case 't':
			if (sf_parse_seconds(optarg, &opts->timeout_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "snapshot: --timeout '%s': not a number of seconds",
					       optarg);
			break;
		case 'k':
			if (sf_parse_interval(optarg, &opts->keepalive_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "snapshot: --keepalive '%s': not a number of seconds (0 for none)",
					       optarg);
			opts->keepalive_given = true;
			break;
		case 'j':
			opts->json = true;
			break;
		case 'h':
			fputs(snapshot_usage, stdout);
			return 1;
		default:
			return sf_option_error(err, "snapshot", argv, opt);
		}
	}
	if (optind < argc)
		return sf_fail(err, SF_EXIT_USAGE,
			       "snapshot: unexpected argument '%s'", argv[optind]);
	return 0;
}

/*
 * As Azure's handler: the log in its log folder, and "transitioning" in
 * the status file until the result replaces it.
 */
static int enter_handler_env(struct snapshot *snap, const char *path,
			     struct sf_error *err)
{
	char *log_path;

	if (sf_handler_env_load(path, &snap->handler, err))
		return -1;
	if (asprintf(&log_path, "%s/extension.log", snap->handler.log_folder) < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	free(snap->config.log_path);
	snap->config.log_path = log_path;
	return sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				     SF_AZURE_OPERATION, SF_AZURE_TRANSITIONING, 0,
				     "snapshot starting", err);
}

static int prepare(struct snapshot *snap, const struct snapshot_options *opts,
		   struct sf_error *err)
{
	if (sf_config_load(opts->config, NULL, &snap->config, err) ||
	    (opts->handler_env && enter_handler_env(snap, opts->handler_env, err)))
		return -1;
	snap->host = opts->host ? opts->host : snap->config.host;
	if (!snap->host)
		return sf_fail(err, SF_EXIT_USAGE,
			       "snapshot: no host: set \"host\" in the configuration or pass --host");
	if (opts->timeout_ms)
		snap->config.freeze_timeout_ms = opts->timeout_ms;
	if (opts->keepalive_given)
		snap->config.keepalive_ms = opts->keepalive_ms;
	snap->log = sf_log_open(snap->config.log_path, SF_LOG_DEFAULT_LIMITS, err);
	if (!snap->log || sf_state_load(SF_STATE_DIR, &snap->state, err))
		return -1;
	snprintf(snap->id, sizeof(snap->id), "%lld-%d", (long long)time(NULL),
		 (int)getpid());
	sf_log_set_snapshot(snap->log, snap->id);
	sf_log_write(snap->log, SF_LOG_INFO, "snapshot starting, host %s", snap->host);
	return sf_mounts_read("/proc/self/mountinfo",
			      (const char *const *)snap->config.skip_mounts,
			      snap->config.n_skip_mounts, &snap->mounts, err);
}

/* The handler's final status: success, or the error that ended the command. */
static int leave_handler_env(struct snapshot *snap, int ret, struct sf_error *err)
{
	char message[700];
	struct sf_error status_err;

	if (!ret)
		snprintf(message, sizeof(message), "snapshot %s: success, %s-consistent%s%s",
			 snap->id, snap->consistency, snap->degraded[0] ? ", degraded: " : "",
			 snap->degraded);
	if (!sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				   SF_AZURE_OPERATION,
				   ret ? SF_AZURE_ERROR : SF_AZURE_SUCCESS,
				   ret ? (int)err->exit_code : 0, ret ? err->msg : message,
				   &status_err))
		return ret;
	if (snap->log)
		sf_log_write(snap->log, SF_LOG_ERROR, "%s", status_err.msg);
	if (!ret)
		*err = status_err;
	return -1;
}

int cmd_snapshot(int argc, char **argv, struct sf_error *err)
{
	struct snapshot snap = { .status = "success", .consistency = "crash" };
	struct snapshot_options opts = { 0 };
	sigset_t signals, pending;
	int lock, ret;

	ret = parse_snapshot_options(argc, argv, &opts, err);
	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;
	lock = take_lock(err);
	if (lock < 0)
		return -1;
	snap.started_ns = sf_now_ns();
	ret = prepare(&snap, &opts, err);
	if (!ret)
		ret = open_freezer(&snap, err);
	if (!ret) {
		sigemptyset(&signals);
		sigaddset(&signals, SIGINT);
		sigaddset(&signals, SIGTERM);
		sigaddset(&signals, SIGHUP);
		sigprocmask(SIG_BLOCK, &signals, NULL);
		if (pre_script(&snap) && snap.config.app.fs_freeze_enabled)
			freeze_and_ask(&snap);
		post_script(&snap);
		sigpending(&pending);
		if (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
		    sigismember(&pending, SIGHUP))
			failed(&snap, "snapshot", "interrupted by a signal");
		ret = report(&snap, opts.json, err);
	}
	if (snap.handler.status_folder)
		ret = leave_handler_env(&snap, ret, err);
	sf_nl_close(snap.nl);
	sf_host_answer_free(&snap.answer);
	sf_session_info_free(&snap.session);
	sf_mounts_free(&snap.mounts);
	sf_log_close(snap.log);
	sf_config_free(&snap.config);
	sf_handler_env_free(&snap.handler);
	close(lock);
	return ret;
}
