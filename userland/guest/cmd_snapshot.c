// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
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
	"                           [--state-dir DIR]\n"
	"\n"
	"Take one consistent snapshot: run the applications' pre-script (from\n"
	SF_AZURE_SCRIPT_CONFIG_PATH "), freeze every\n"
	"filesystem 'snapfreeze mounts' lists as one session, ask the host to\n"
	"take the snapshot (docs/protocol.md), thaw, run the post-script, and\n"
	"report. The filesystems are thawed whatever happens: by this command,\n"
	"or by the kernel if it dies or stalls: a thread keeps the session alive\n"
	"and the kernel thaws once a keepalive interval passes without it.\n"
	"Nothing is written to a file while the filesystems are frozen. One\n"
	"snapshot runs at a time. SIGINT, SIGTERM and SIGHUP end it at its next\n"
	"step: they stop the pre-script, or cut the wait for the host short and\n"
	"thaw; the post-script still runs.\n"
	"\n"
	"Exit status: 0 success; else the first error's: 1 failed, 2 usage\n"
	"(no host, unknown URI), 3 no module and no fallback, 4 permission\n"
	"denied, 5 the freeze was lost before the host was done.\n"
	"\n"
	"The result (JSON) is also written to " SF_RESULT_NAME " in the state\n"
	"folder (" SF_STATE_DIR ", or --state-dir).\n"
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
	"  -S, --state-dir DIR\n"
	"                     where the state and the result are kept (default\n"
	"                     " SF_STATE_DIR ")\n"
	"  -h, --help         show this help\n";

#define SF_MAX_ERRORS 8

struct snapshot {
	struct sf_handler_env handler;	/* status_folder NULL: not a handler */
	const char *state_dir;
	struct sf_config config;
	const char *host_uri;
	struct sf_host *host;
	struct sf_log *log;
	struct sf_nl *nl;		/* NULL: degraded, FIFREEZE */
	struct sf_fifreeze *fifreeze;
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
	 * session lost (the keeper's fd, while there is one).
	 */
	int abort_fd;
	int signal_fd;
	struct sf_mounts mounts;
	struct sf_session_info session;
	struct sf_host_answer answer;
	bool answered;
	bool scripts_ran;
	bool interrupted;		/* and said so */
	struct sf_keeper *keeper;	/* while frozen, with a keepalive */
	uint64_t started_ns, pre_ns, freeze_ns, host_ns, post_ns;
};

/*
 * The first error is the one reported, its exit code the command's; the
 * others are kept in the result too. what: the step (NULL: why says).
 */
static void failed_with(struct snapshot *snap, enum sf_exit code, const char *what,
			const char *why)
{
	if (snap->log)
		sf_log_write(snap->log, SF_LOG_ERROR, "%s%s%s", what ? what : "",
			     what ? ": " : "", why);
	if (!snap->n_errors)
		snap->exit_code = code;
	if (snap->n_errors < SF_MAX_ERRORS)
		snprintf(snap->errors[snap->n_errors++], SF_ERROR_MSG_SIZE, "%s%s%s",
			 what ? what : "", what ? ": " : "", why);
	snap->status = "error";
}

static void failed(struct snapshot *snap, const char *what, const char *why)
{
	failed_with(snap, SF_EXIT_FAILURE, what, why);
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

/*
 * SIGINT, SIGTERM and SIGHUP wait in a signalfd: they end the snapshot at
 * the next step, never between a freeze and its thaw.
 */
static int watch_signals(struct snapshot *snap, struct sf_error *err)
{
	sigset_t signals;

	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	snap->signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
	snap->abort_fd = epoll_create1(EPOLL_CLOEXEC);
	if (snap->signal_fd < 0 || snap->abort_fd < 0 ||
	    epoll_ctl(snap->abort_fd, EPOLL_CTL_ADD, snap->signal_fd,
		      &(struct epoll_event){ .events = EPOLLIN }))
		return sf_fail(err, SF_EXIT_FAILURE, "signalfd: %s", strerror(errno));
	return 0;
}

/* The signal that came, if one did (it stays pending in signal_fd). */
static const char *signal_received(const struct snapshot *snap)
{
	static const int watched[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t pending;
	unsigned int i;

	if (snap->signal_fd < 0)
		return NULL;
	sigpending(&pending);
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		if (sigismember(&pending, watched[i]))
			return sigabbrev_np(watched[i]);
	return NULL;
}

static bool interrupted(struct snapshot *snap, const char *what)
{
	const char *signal = snap->interrupted ? NULL : signal_received(snap);
	char why[64];

	if (!signal)
		return snap->interrupted;
	snprintf(why, sizeof(why), "interrupted by SIG%s", signal);
	failed(snap, what, why);
	snap->interrupted = true;
	return true;
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

/*
 * true: the script succeeded. Its output goes to the log. abort_fd -1:
 * it runs to its end or its timeout whatever comes (the post-script, which
 * resumes the application).
 */
static bool run_script(struct snapshot *snap, const char *which, const char *path,
		       char **params, size_t n_params, unsigned int retries,
		       int abort_fd)
{
	struct sf_script script = {
		.path = path,
		.args = (const char *const *)params,
		.n_args = n_params,
		.timeout_ms = snap->config.app.timeout_s * 1000,
		.term_grace_ms = 5000,
		.retries = retries,
		.output_limit = 16384,
		.abort_fd = abort_fd,
	};
	struct sf_script_result result;
	struct sf_error err;
	char why[600];
	int ret;

	sf_log_write(snap->log, SF_LOG_INFO, "%s: running %s", which, path);
	ret = sf_script_run(&script, &result, &err);
	if (ret < 0) {
		failed(snap, which, err.msg);
		return false;
	}
	log_output(snap, which, &result);
	if (ret) {
		if (result.aborted)
			snprintf(why, sizeof(why), "stopped by a signal, %u attempt(s)",
				 result.attempts);
		else if (result.timed_out)
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
	if (!app->present || (!app->pre_script && !app->post_script))
		return true;
	if (!sf_state_take_turn(&snap->state)) {
		sf_log_write(snap->log, SF_LOG_INFO,
			     "scripts skipped: filesystem-consistent after a recent script failure (%u more)",
			     snap->state.filesystem_only_left);
		return true;
	}
	snap->scripts_ran = true;
	if (!app->pre_script) {
		snap->consistency = "application";
		return true;
	}
	ok = run_script(snap, "pre-script", app->pre_script, app->pre_params,
			app->n_pre_params, app->pre_retries, snap->abort_fd);
	snap->pre_ns = sf_now_ns() - start;
	if (ok) {
		snap->consistency = "application";
		return true;
	}
	if (interrupted(snap, "pre-script")) {
		snap->consistency = "none";
		return false;
	}
	sf_state_note_script_failure(&snap->state);
	if (app->continue_on_failure) {
		/* Only logged: the snapshot goes on, and succeeds. */
		snap->n_errors = 0;
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

	if (!snap->scripts_ran || !app->post_script)
		return;
	if (!run_script(snap, "post-script", app->post_script, app->post_params,
			app->n_post_params, app->post_retries, -1) &&
	    !strcmp(snap->status, "success"))
		failed(snap, "post-script", "failed (see the log)");
	snap->post_ns = sf_now_ns() - start;
}

/* A FIFREEZE freeze that ends by itself cuts the host's wait short. */
static int freeze_filesystems(struct snapshot *snap,
			      const struct sf_freeze_request *freeze,
			      struct sf_error *err)
{
	if (snap->nl)
		return sf_nl_freeze(snap->nl, freeze, &snap->session, err);
	snap->fifreeze = sf_fifreeze_freeze(snap->mounts.mounts, freeze->n_paths,
					    freeze->timeout_ms, &snap->session, err);
	if (!snap->fifreeze)
		return -1;
	if (!epoll_ctl(snap->abort_fd, EPOLL_CTL_ADD, sf_fifreeze_lost_fd(snap->fifreeze),
		       &(struct epoll_event){ .events = EPOLLIN }))
		return 0;
	sf_fail(err, SF_EXIT_FAILURE, "epoll: %s", strerror(errno));
	sf_fifreeze_thaw(snap->fifreeze, &snap->session, &(struct sf_error){ 0 });
	snap->fifreeze = NULL;
	return -1;
}

/* Held in memory with the rest of the log while frozen. */
static void note_progress(const char *message, void *arg)
{
	struct snapshot *snap = arg;

	sf_log_write(snap->log, SF_LOG_INFO, "host: progress%s%s",
		     message ? ": " : "", message ? message : "");
}

/*
 * A module session the module says has ended (ENOENT, ESRCH) was lost: the
 * watchdog, a missed keepalive or an unload thawed it before the snapshot
 * was done. A THAW without a valid answer is not that: the snapshot may
 * be good, and closing the socket thaws the session.
 */
static void thaw_filesystems(struct snapshot *snap)
{
	struct sf_session_info thawed = { 0 };
	struct sf_error err;
	int ret;

	if (!snap->nl) {
		ret = sf_fifreeze_thaw(snap->fifreeze, &snap->session, &err);
		snap->fifreeze = NULL;
		if (ret)
			failed_with(snap, err.exit_code, "thaw", err.msg);
		return;
	}
	ret = sf_nl_thaw(snap->nl, snap->session.id, &thawed, &err);
	if (ret == -ENOENT || ret == -ESRCH) {
		failed_with(snap, SF_EXIT_FREEZE_LOST, "thaw", err.msg);
		return;
	}
	if (ret) {
		/* No answer is no proof it ended: closing the socket ends it. */
		sf_nl_disconnect(snap->nl);
		failed(snap, "thaw", err.msg);
		return;
	}
	sf_session_info_free(&snap->session);
	snap->session = thawed;
}

/*
 * The host's wait ends before the watchdog's deadline, which counts from
 * the freeze request: a quarter of the timeout is left to spare, less what
 * the freeze itself took.
 */
static uint32_t host_wait_limit_ms(uint32_t timeout_ms, uint64_t freeze_ns)
{
	uint64_t limit = timeout_ms / 4 * 3, spent = freeze_ns / 1000000;

	return limit > spent ? (uint32_t)(limit - spent) : 0;
}

/* The keeper's session, or the FIFREEZE watchdog's, ended by itself. */
static bool freeze_lost(const struct snapshot *snap)
{
	int fd = snap->keeper ? sf_keeper_fd(snap->keeper) :
		 snap->fifreeze ? sf_fifreeze_lost_fd(snap->fifreeze) : -1;

	return fd >= 0 && poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0) > 0;
}

static void ask_host(struct snapshot *snap, uint64_t freeze_ns)
{
	struct sf_host_request request = {
		.id = snap->id,
		.consistency = snap->consistency,
		.on_progress = note_progress,
		.progress_arg = snap,
		.targets = snap->mounts.mounts,
		.n_targets = snap->session.n_targets ? snap->mounts.n_frozen : 0,
		.abort_fd = snap->abort_fd,
	};
	struct sf_error err;
	uint64_t start = sf_now_ns();
	int ret;

	request.max_deadline_ms = host_wait_limit_ms(snap->config.freeze_timeout_ms,
						     freeze_ns);
	request.deadline_ms = snap->config.host_timeout_ms;
	if (request.deadline_ms > request.max_deadline_ms)
		request.deadline_ms = request.max_deadline_ms;
	if (!request.deadline_ms) {
		failed(snap, "host", "the freeze took most of its timeout: no time left to ask the host");
		return;
	}
	/* Waiting on the host's channel touches no file: alive meanwhile. */
	sf_keeper_alive_until(snap->keeper, sf_now_ms() + request.max_deadline_ms);
	ret = sf_host_ask(snap->host, &request, &snap->answer, &err);
	sf_keeper_alive(snap->keeper);
	if (ret) {
		/* A lost freeze is reported as it is thawed. */
		if (!interrupted(snap, "host") && !freeze_lost(snap))
			failed(snap, "host", err.msg);
	} else if (!snap->answer.ok) {
		snap->answered = true;
		failed(snap, "host", snap->answer.message ? snap->answer.message :
			       snap->answer.error ? snap->answer.error : "refused");
	} else {
		snap->answered = true;
		sf_log_write(snap->log, SF_LOG_INFO, "host: snapshot %s",
			     snap->answer.snapshot ? snap->answer.snapshot : "taken");
	}
	snap->host_ns = sf_now_ns() - start;
}

static void log_frozen(struct snapshot *snap)
{
	if (snap->nl)
		sf_log_write(snap->log, SF_LOG_INFO,
			     "frozen as session %llu in %.3f ms (writes stopped within %.3f ms)",
			     (unsigned long long)snap->session.id,
			     snap->session.freeze_ns / 1e6, snap->session.spread_ns / 1e6);
	else
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "frozen with FIFREEZE in %.3f ms (writes stopped within %.3f ms)",
			     snap->session.freeze_ns / 1e6, snap->session.spread_ns / 1e6);
}

/*
 * Frozen: ask the host, then thaw. The log holds its lines meanwhile; a
 * signal cuts the host's wait short, never the thaw. The kernel thaws
 * anyway if this process dies or stalls.
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
	struct sf_error err;
	char why[600];
	uint64_t start;
	size_t i;
	int ret;

	if (!paths) {
		failed(snap, "freeze", "out of memory");
		return;
	}
	for (i = 0; i < snap->mounts.n_frozen; i++)
		paths[i] = snap->mounts.mounts[i].mount_point;
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
		snap->consistency = "none";
		failed(snap, "freeze", err.msg);
		goto out;
	}
	snap->freeze_ns = sf_now_ns() - start;
	if (freeze.keepalive_ms &&
	    (!(snap->keeper = sf_keeper_start(snap->nl, snap->session.id,
					      freeze.keepalive_ms, &err)) ||
	     epoll_ctl(snap->abort_fd, EPOLL_CTL_ADD, sf_keeper_fd(snap->keeper),
		       &(struct epoll_event){ .events = EPOLLIN }))) {
		failed(snap, "freeze", snap->keeper ? strerror(errno) : err.msg);
		goto stop;
	}
	log_frozen(snap);
	ask_host(snap, snap->freeze_ns);
stop:
	ret = sf_keeper_stop(snap->keeper, &err);
	snap->keeper = NULL;
	/* Lost: the kernel thawed already, and the snapshot is worthless. */
	if (ret) {
		snprintf(why, sizeof(why), "the session was lost while frozen: %s",
			 err.msg);
		failed_with(snap, SF_EXIT_FREEZE_LOST, "freeze", why);
		goto out;
	}
	thaw_filesystems(snap);
out:
	if (sf_log_release(snap->log, &err))
		failed(snap, "log", err.msg);
	if (freeze.keepalive_ms)
		sf_keepalive_unlock_memory();
	free(paths);
}

static cJSON *host_json(const struct snapshot *snap)
{
	const struct sf_host_answer *answer = &snap->answer;
	cJSON *json = cJSON_CreateObject();

	if (!json || (snap->answered && !cJSON_AddBoolToObject(json, "ok", answer->ok)) ||
	    (answer->snapshot && !cJSON_AddStringToObject(json, "snapshot", answer->snapshot)) ||
	    (answer->error && !cJSON_AddStringToObject(json, "error", answer->error)) ||
	    (answer->message && !cJSON_AddStringToObject(json, "message", answer->message)) ||
	    (answer->disks &&
	     !cJSON_AddItemToObject(json, "disks", cJSON_Duplicate(answer->disks, true)))) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

static cJSON *timings_json(const struct snapshot *snap)
{
	cJSON *json = cJSON_CreateObject();

	if (!json || !cJSON_AddNumberToObject(json, "pre_script", snap->pre_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "freeze", snap->freeze_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "host", snap->host_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "frozen", snap->session.frozen_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "post_script", snap->post_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "total",
				     (sf_now_ns() - snap->started_ns) / 1e6)) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

static const char *freezer_name(const struct snapshot *snap)
{
	if (!snap->config.app.fs_freeze_enabled)
		return "none";
	return snap->nl ? "module" : "fifreeze";
}

static cJSON *result_json(const struct snapshot *snap)
{
	cJSON *json = cJSON_CreateObject(), *errors = NULL;
	size_t i;

	if (!json || !cJSON_AddStringToObject(json, "id", snap->id) ||
	    !cJSON_AddStringToObject(json, "status", snap->status) ||
	    !cJSON_AddStringToObject(json, "consistency", snap->consistency) ||
	    (snap->n_errors && (!cJSON_AddStringToObject(json, "error", snap->errors[0]) ||
				!(errors = cJSON_AddArrayToObject(json, "errors")))))
		goto fail;
	for (i = 0; i < snap->n_errors; i++)
		if (!cJSON_AddItemToArray(errors, cJSON_CreateString(snap->errors[i])))
			goto fail;
	if (!cJSON_AddItemToObject(json, "timings_ms", timings_json(snap)) ||
	    (snap->session.n_targets &&
	     !cJSON_AddItemToObject(json, "session", sf_session_json(&snap->session))) ||
	    !cJSON_AddItemToObject(json, "host", host_json(snap)) ||
	    !cJSON_AddStringToObject(json, "freezer", freezer_name(snap)) ||
	    (snap->degraded[0] &&
	     !cJSON_AddStringToObject(json, "degraded", snap->degraded)))
		goto fail;
	return json;
fail:
	cJSON_Delete(json);
	return NULL;
}

static int save_result(const struct snapshot *snap, struct sf_error *err)
{
	cJSON *result = result_json(snap);
	char *text = result ? cJSON_PrintUnformatted(result) : NULL;
	int ret;

	cJSON_Delete(result);
	if (!text)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	ret = sf_state_write(snap->state_dir, SF_RESULT_NAME, text, 0644, err);
	free(text);
	return ret;
}

/* One more message after those err has: "; message". */
static void add_message(struct sf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_message(struct sf_error *err, const char *fmt, ...)
{
	size_t len = strlen(err->msg);
	va_list ap;

	snprintf(err->msg + len, sizeof(err->msg) - len, "; ");
	len = strlen(err->msg);
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof(err->msg) - len, fmt, ap);
	va_end(ap);
}

/*
 * After the thaw: the log, the state (if it was read) and the result,
 * then the output. Also when the snapshot failed before it began. A
 * failure to save is one more error, after the snapshot's own: the first
 * error stays the one reported, and err adds those of the report to it.
 */
static int report(struct snapshot *snap, bool json, struct sf_error *err)
{
	size_t reporting = snap->n_errors ? snap->n_errors : 1, i;
	const char *error = snap->n_errors ? snap->errors[0] : "";
	struct sf_error why;

	if (snap->log)
		sf_log_write(snap->log, strcmp(snap->status, "success") ? SF_LOG_ERROR :
				       SF_LOG_INFO, "snapshot %s: %s, %s-consistent%s%s",
			     snap->id, snap->status, snap->consistency,
			     error[0] ? ": " : "", error);
	if (snap->state_loaded && sf_state_save(snap->state_dir, &snap->state, &why))
		failed(snap, "state", why.msg);
	if (save_result(snap, &why))
		failed(snap, "result", why.msg);
	/* The error itself is err's, which main() prints: once. */
	if (json && sf_print_json(result_json(snap), &why))
		failed(snap, "output", why.msg);
	else if (!json)
		printf("snapshot %s: %s, %s-consistent\n", snap->id, snap->status,
		       snap->consistency);
	if (!snap->n_errors)
		return SF_EXIT_OK;
	sf_fail(err, snap->exit_code, "snapshot %s failed: %s", snap->id, snap->errors[0]);
	for (i = reporting; i < snap->n_errors; i++)
		add_message(err, "%s", snap->errors[i]);
	return -1;
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
	const char *state_dir;
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
		{ "state-dir", required_argument, NULL, 'S' },
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
	while ((opt = getopt_long(argc, argv, ":c:E:S:H:t:k:jh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			opts->config = optarg;
			break;
		case 'E':
			opts->handler_env = optarg;
			break;
		case 'S':
			opts->state_dir = optarg;
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
 * the status file until the result replaces it. First of all, so that a
 * bad configuration is reported there too.
 */
static int enter_handler_env(struct snapshot *snap, const char *path,
			     struct sf_error *err)
{
	if (sf_handler_env_load(path, &snap->handler, err))
		return -1;
	return sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				     SF_AZURE_OPERATION, SF_AZURE_TRANSITIONING, 0,
				     "snapshot starting", err);
}

static int open_log(struct snapshot *snap, struct sf_error *err)
{
	char *log_path;

	if (snap->handler.log_folder) {
		if (asprintf(&log_path, "%s/extension.log", snap->handler.log_folder) < 0)
			return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		free(snap->config.log_path);
		snap->config.log_path = log_path;
	}
	snap->log = sf_log_open(snap->config.log_path, SF_LOG_DEFAULT_LIMITS, err);
	if (!snap->log)
		return -1;
	sf_log_set_snapshot(snap->log, snap->id);
	return 0;
}

/* The command line over the configuration file. */
static int apply_options(struct snapshot *snap, const struct snapshot_options *opts,
			 struct sf_error *err)
{
	snap->host_uri = opts->host ? opts->host : snap->config.host;
	if (!snap->host_uri)
		return sf_fail(err, SF_EXIT_USAGE,
			       "snapshot: no host: set \"host\" in the configuration or pass --host");
	if (opts->timeout_ms)
		snap->config.freeze_timeout_ms = opts->timeout_ms;
	if (opts->keepalive_given)
		snap->config.keepalive_ms = opts->keepalive_ms;
	if (snap->config.keepalive_ms < snap->config.freeze_timeout_ms)
		return 0;
	if (opts->keepalive_given)
		return sf_fail(err, SF_EXIT_USAGE,
			       "snapshot: --keepalive %u ms: must be shorter than the freeze timeout (%u ms)",
			       snap->config.keepalive_ms, snap->config.freeze_timeout_ms);
	/* A timeout shorter than the interval ends the freeze first anyway. */
	snap->config.keepalive_ms = 0;
	return 0;
}

/*
 * Everything that can fail before the first script runs, the host's
 * channel included: nothing is frozen yet.
 */
static int prepare(struct snapshot *snap, const struct snapshot_options *opts,
		   struct sf_error *err)
{
	if ((opts->handler_env && enter_handler_env(snap, opts->handler_env, err)) ||
	    sf_config_load(opts->config, NULL, &snap->config, err) ||
	    apply_options(snap, opts, err) || open_log(snap, err))
		return -1;
	sf_log_write(snap->log, SF_LOG_INFO, "snapshot starting, host %s", snap->host_uri);
	switch (sf_state_load(snap->state_dir, &snap->state, err)) {
	case 0:
		break;
	case 1:
		sf_log_write(snap->log, SF_LOG_WARNING, "%s", err->msg);
		break;
	default:
		return -1;
	}
	snap->state_loaded = true;
	if (sf_mounts_read("/proc/self/mountinfo",
			   (const char *const *)snap->config.skip_mounts,
			   snap->config.n_skip_mounts, &snap->mounts, err))
		return -1;
	if (snap->config.app.fs_freeze_enabled && !snap->mounts.n_frozen)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "freeze: no filesystem to freeze (see: snapfreeze mounts)");
	snap->host = sf_host_open(snap->host_uri, snap->config.host_timeout_ms, err);
	if (!snap->host)
		return -1;
	return snap->config.app.fs_freeze_enabled ? open_freezer(snap, err) : 0;
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
		sf_log_write(snap->log, SF_LOG_ERROR, "status: %s", status_err.msg);
	if (ret)
		add_message(err, "status: %s", status_err.msg);
	else
		*err = status_err;
	return -1;
}

/*
 * The snapshot proper: scripts around the freeze, or, with Azure's
 * fsFreezeEnabled false, around the host's snapshot alone (application-
 * consistent if the pre-script ran and succeeded, else crash-consistent).
 */
static void take_snapshot(struct snapshot *snap)
{
	if (pre_script(snap) && !interrupted(snap, "snapshot")) {
		if (snap->config.app.fs_freeze_enabled) {
			freeze_and_ask(snap);
		} else {
			if (strcmp(snap->consistency, "application"))
				snap->consistency = "crash";
			sf_log_write(snap->log, SF_LOG_WARNING,
				     "fsFreezeEnabled is false: the snapshot is taken without freezing");
			ask_host(snap, 0);
		}
	}
	/* An exec: host still running is ended before the post-script. */
	sf_host_close(snap->host);
	snap->host = NULL;
	post_script(snap);
	interrupted(snap, "snapshot");
}

static void snapshot_free(struct snapshot *snap)
{
	sf_host_close(snap->host);
	sf_nl_close(snap->nl);
	sf_host_answer_free(&snap->answer);
	sf_session_info_free(&snap->session);
	sf_mounts_free(&snap->mounts);
	sf_log_close(snap->log);
	sf_config_free(&snap->config);
	sf_handler_env_free(&snap->handler);
	if (snap->abort_fd >= 0)
		close(snap->abort_fd);
	if (snap->signal_fd >= 0)
		close(snap->signal_fd);
}

int cmd_snapshot(int argc, char **argv, struct sf_error *err)
{
	struct snapshot snap = {
		.status = "success",
		.consistency = "none",
		.abort_fd = -1,
		.signal_fd = -1,
	};
	struct snapshot_options opts = { .state_dir = SF_STATE_DIR };
	int lock, ret;

	ret = parse_snapshot_options(argc, argv, &opts, err);
	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;
	snap.state_dir = opts.state_dir;
	if (watch_signals(&snap, err))
		return -1;
	lock = take_lock(err);
	if (lock < 0) {
		snapshot_free(&snap);
		return -1;
	}
	snap.started_ns = sf_now_ns();
	snprintf(snap.id, sizeof(snap.id), "%lld-%d", (long long)time(NULL),
		 (int)getpid());
	if (prepare(&snap, &opts, err))
		failed_with(&snap, err->exit_code, NULL, err->msg);
	else
		take_snapshot(&snap);
	ret = report(&snap, opts.json, err);
	if (snap.handler.status_folder)
		ret = leave_handler_env(&snap, ret, err);
	snapshot_free(&snap);
	close(lock);
	return ret;
}
