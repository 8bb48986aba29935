// SPDX-License-Identifier: GPL-2.0
/*
 * The steps of a snapshot: the pre-script, the freeze, the host's
 * snapshot, the thaw, the post-script. Each failure is recorded with
 * snapshot_failed() and the steps go on as far as they safely can: a
 * freeze is always followed by its thaw.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <unistd.h>

#include "azure_codes.h"
#include "azure_host.h"
#include "clock.h"
#include "scripts.h"
#include "snapshot.h"
#include "storage.h"

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

bool snapshot_interrupted(struct snapshot *snap, const char *what)
{
	const char *signal = snap->interrupted ? NULL : signal_received(snap);
	char why[64];

	if (!signal)
		return snap->interrupted;
	snprintf(why, sizeof(why), "interrupted by SIG%s", signal);
	snapshot_failed(snap, what, why);
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

enum script_outcome {
	SCRIPT_OK,
	SCRIPT_FAILED,
	SCRIPT_TIMED_OUT,
	SCRIPT_MISSING,		/* not found */
	SCRIPT_REFUSED,		/* unsafe, or could not be run */
	SCRIPT_ABORTED,		/* a signal stopped it */
};

/* Azure's code for a script that did not succeed. */
static int script_code(bool pre, enum script_outcome outcome)
{
	switch (outcome) {
	case SCRIPT_TIMED_OUT:
		return pre ? SF_AZURE_PRE_SCRIPT_TIMEOUT : SF_AZURE_POST_SCRIPT_TIMEOUT;
	case SCRIPT_MISSING:
		return pre ? SF_AZURE_PRE_SCRIPT_NOT_FOUND : SF_AZURE_POST_SCRIPT_NOT_FOUND;
	case SCRIPT_REFUSED:
		return pre ? SF_AZURE_PRE_SCRIPT_PERMISSION : SF_AZURE_POST_SCRIPT_PERMISSION;
	default:
		return pre ? SF_AZURE_PRE_SCRIPT_FAILED : SF_AZURE_POST_SCRIPT_FAILED;
	}
}

/*
 * Runs a script; its output goes to the log, and why it did not succeed
 * to why. abort_fd -1: it runs to its end or its timeout whatever comes
 * (the post-script, which resumes the application).
 */
static enum script_outcome run_script(struct snapshot *snap, const char *which,
				      const char *path, char **params, size_t n_params,
				      unsigned int retries, int abort_fd,
				      char *why, size_t size)
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
	enum script_outcome outcome;
	struct sf_error err;
	int ret;

	sf_log_write(snap->log, SF_LOG_INFO, "%s: running %s", which, path);
	ret = sf_script_run(&script, &result, &err);
	if (ret < 0) {
		snprintf(why, size, "%s", err.msg);
		sf_log_write(snap->log, SF_LOG_ERROR, "%s: %s", which, why);
		return access(path, F_OK) && errno == ENOENT ? SCRIPT_MISSING : SCRIPT_REFUSED;
	}
	log_output(snap, which, &result);
	if (!ret) {
		outcome = SCRIPT_OK;
		sf_log_write(snap->log, SF_LOG_INFO, "%s: succeeded", which);
	} else {
		if (result.aborted) {
			outcome = SCRIPT_ABORTED;
			snprintf(why, size, "stopped by a signal, %u attempt(s)",
				 result.attempts);
		} else if (result.timed_out) {
			outcome = SCRIPT_TIMED_OUT;
			snprintf(why, size, "killed after %u s, %u attempt(s)",
				 snap->config.app.timeout_s, result.attempts);
		} else {
			outcome = SCRIPT_FAILED;
			snprintf(why, size, "exit status %d, %u attempt(s)",
				 result.exit_status, result.attempts);
		}
		sf_log_write(snap->log, SF_LOG_ERROR, "%s: %s failed: %s", which,
			     path, why);
	}
	sf_script_result_free(&result);
	return outcome;
}

/*
 * Scripts run unless the fallback says this one is filesystem-only; only a
 * pre-script that succeeded makes the snapshot application-consistent (a
 * post-script alone does not). A failed pre-script makes the snapshot
 * filesystem-consistent if Azure's continueBackupOnFailure allows, or
 * stops it (false); either way the next three snapshots skip the scripts.
 */
static bool pre_script(struct snapshot *snap)
{
	const struct sf_app_scripts *app = &snap->config.app;
	uint64_t start = sf_now_ns();
	enum script_outcome outcome;
	char why[SF_ERROR_MSG_SIZE];

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
	if (!app->pre_script)
		return true;
	outcome = run_script(snap, "pre-script", app->pre_script, app->pre_params,
			     app->n_pre_params, app->pre_retries, snap->abort_fd,
			     why, sizeof(why));
	snap->pre_ns = sf_now_ns() - start;
	if (outcome == SCRIPT_OK) {
		snap->consistency = "application";
		return true;
	}
	if (snapshot_interrupted(snap, "pre-script")) {
		snap->consistency = "none";
		return false;
	}
	sf_state_note_script_failure(&snap->state);
	if (app->continue_on_failure) {
		/* Only logged: the snapshot goes on, and succeeds. */
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "continuing filesystem-consistent (continueBackupOnFailure)");
		return true;
	}
	snap->consistency = "none";
	snapshot_azure_code(snap, script_code(true, outcome));
	snapshot_failed(snap, "pre-script",
			outcome == SCRIPT_FAILED ?
			"failed, and continueBackupOnFailure is false: no snapshot" : why);
	return false;
}

/*
 * A failed post-script, as Azure's extension takes it: with
 * continueBackupOnFailure the snapshot stands, filesystem-consistent;
 * without, the snapshot fails.
 */
static void post_script(struct snapshot *snap)
{
	const struct sf_app_scripts *app = &snap->config.app;
	uint64_t start = sf_now_ns();
	enum script_outcome outcome;
	char why[SF_ERROR_MSG_SIZE];

	if (!snap->scripts_ran || !app->post_script)
		return;
	outcome = run_script(snap, "post-script", app->post_script, app->post_params,
			     app->n_post_params, app->post_retries, -1, why, sizeof(why));
	snap->post_ns = sf_now_ns() - start;
	if (outcome == SCRIPT_OK || strcmp(snap->status, "success"))
		return;
	if (app->continue_on_failure) {
		snap->consistency = "filesystem";
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "post-script failed: the snapshot stands, filesystem-consistent (continueBackupOnFailure)");
		return;
	}
	snapshot_azure_code(snap, script_code(false, outcome));
	snapshot_failed(snap, "post-script", outcome == SCRIPT_FAILED ? "failed (see the log)" : why);
}

/* A freeze that ends by itself cuts the host's wait short. */
static int freeze_filesystems(struct snapshot *snap, const struct sf_freeze_request *freeze,
			      struct sf_error *err)
{
	struct sf_error ignored;

	if (sf_freezer_freeze(snap->freezer, freeze, snap->mounts.mounts, &snap->session, err))
		return -1;
	if (sf_freezer_lost_fd(snap->freezer) < 0 ||
	    !epoll_ctl(snap->abort_fd, EPOLL_CTL_ADD, sf_freezer_lost_fd(snap->freezer),
		       &(struct epoll_event){ .events = EPOLLIN }))
		return 0;
	sf_fail(err, SF_EXIT_FAILURE, "epoll: %s", strerror(errno));
	sf_freezer_thaw(snap->freezer, &snap->session, &ignored);
	return -1;
}

/* Held in memory with the rest of the log while frozen. */
static void note_progress(const char *message, void *arg)
{
	struct snapshot *snap = arg;

	sf_log_write(snap->log, SF_LOG_INFO, "host: progress%s%s",
		     message ? ": " : "", message ? message : "");
}

/* A lost freeze is the freeze's failure; any other, the thaw's. */
static void thaw_filesystems(struct snapshot *snap)
{
	struct sf_error err;

	if (!sf_freezer_thaw(snap->freezer, &snap->session, &err))
		return;
	snapshot_azure_code(snap, err.exit_code == SF_EXIT_FREEZE_LOST ?
			    SF_AZURE_FREEZE_TIMEOUT : SF_AZURE_FAILED);
	snapshot_failed_with(snap, err.exit_code,
			     err.exit_code == SF_EXIT_FREEZE_LOST ? "freeze" : "thaw", err.msg);
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

/*
 * As Azure's extension tells them: a 500 not from the snapshot service
 * after a presnapshot it answered, or else the host not reached.
 */
static int host_failure_code(const struct sf_host *host)
{
	int pre, snapshot;

	sf_host_azure_statuses(host, &pre, &snapshot);
	return pre == 200 && snapshot == SF_AZURE_HOST_NOT_SERVICE ?
	       SF_AZURE_HOST_SERVER_ERROR : SF_AZURE_HOST_FAILED;
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
		snapshot_failed(snap, "host",
				"the freeze took most of its timeout: no time left to ask the host");
		return;
	}
	/* Waiting on the host's channel touches no file: alive meanwhile. */
	if (snap->freezer)
		sf_freezer_alive_until(snap->freezer, sf_now_ms() + request.max_deadline_ms);
	ret = sf_host_ask(snap->host, &request, &snap->answer, &err);
	if (snap->freezer)
		sf_freezer_alive(snap->freezer);
	if (ret) {
		/* A lost freeze is reported as it is thawed. */
		if (!snapshot_interrupted(snap, "host") &&
		    !(snap->freezer && sf_freezer_lost(snap->freezer))) {
			snapshot_azure_code(snap, host_failure_code(snap->host));
			snapshot_failed(snap, "host", err.msg);
		}
	} else if (!snap->answer.ok) {
		snap->answered = true;
		snapshot_azure_code(snap, SF_AZURE_HOST_FAILED);
		snapshot_failed(snap, "host", snap->answer.message ? snap->answer.message :
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
	if (!snap->degraded[0])
		sf_log_write(snap->log, SF_LOG_INFO,
			     "frozen as session %llu in %.3f ms (writes stopped within %.3f ms)",
			     (unsigned long long)snap->session.id,
			     snap->session.freeze_ns / 1e6, snap->session.spread_ns / 1e6);
	else
		sf_log_write(snap->log, SF_LOG_WARNING,
			     "frozen with FIFREEZE in %.3f ms (writes stopped within %.3f ms)",
			     snap->session.freeze_ns / 1e6, snap->session.spread_ns / 1e6);
}

/* What the freeze order rests on, before the log holds its lines. */
static void log_storage(struct snapshot *snap, const struct sf_storage *storage,
			const char *const *paths)
{
	char on[SF_ERROR_MSG_SIZE];
	size_t i, j, len;

	for (i = 0; i < storage->n_notes; i++)
		sf_log_write(snap->log, SF_LOG_WARNING, "%s", storage->notes[i]);
	for (i = 0; i < storage->n_targets; i++) {
		for (j = 0, len = 0; j < storage->stored_on[i].n && len < sizeof(on); j++)
			len += snprintf(on + len, sizeof(on) - len, "%s%s", j ? ", " : "",
					paths[storage->stored_on[i].targets[j]]);
		if (j)
			sf_log_write(snap->log, SF_LOG_INFO,
				     "%s is stored on %s: frozen before, thawed after", paths[i], on);
	}
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
		.keepalive_ms = snap->config.keepalive_ms,	/* the module's only */
	};
	struct sf_storage storage;
	struct sf_error err;
	uint64_t start;
	size_t i;

	if (!paths) {
		snapshot_failed(snap, "freeze", "out of memory");
		return;
	}
	for (i = 0; i < snap->mounts.n_frozen; i++)
		paths[i] = snap->mounts.mounts[i].mount_point;
	if (sf_storage_discover(&sf_storage_system, paths, freeze.n_paths, &storage, &err)) {
		snapshot_failed(snap, "freeze", err.msg);
		free(paths);
		return;
	}
	log_storage(snap, &storage, paths);
	freeze.stored_on = storage.stored_on;
	sf_log_write(snap->log, SF_LOG_INFO, "freezing %zu filesystems", freeze.n_paths);
	sf_log_hold(snap->log);
	start = sf_now_ns();
	if (freeze_filesystems(snap, &freeze, &err)) {
		snap->consistency = "none";
		snapshot_azure_code(snap, SF_AZURE_FREEZE_FAILED);
		snapshot_failed(snap, "freeze", err.msg);
	} else {
		snap->freeze_ns = sf_now_ns() - start;
		log_frozen(snap);
		ask_host(snap, snap->freeze_ns);
		thaw_filesystems(snap);
	}
	if (sf_log_release(snap->log, &err))
		snapshot_failed(snap, "log", err.msg);
	sf_storage_free(&storage);
	free(paths);
}

/*
 * The snapshot proper: scripts around the freeze, or, with Azure's
 * fsFreezeEnabled false, around the host's snapshot alone (application-
 * consistent if the pre-script ran and succeeded, else crash-consistent).
 */
void snapshot_take(struct snapshot *snap)
{
	if (pre_script(snap) && !snapshot_interrupted(snap, "snapshot")) {
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
	snapshot_interrupted(snap, "snapshot");
}

