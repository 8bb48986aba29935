// SPDX-License-Identifier: GPL-2.0
/*
 * snapfreeze handler install|enable|disable|uninstall|update: the commands
 * Azure's guest agent runs, from the extension's folder, with
 * HandlerEnvironment.json there.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "azure_codes.h"
#include "azure_settings.h"
#include "commands.h"
#include "handler.h"
#include "handler_env.h"
#include "snapshot.h"
#include "status.h"

/* The agent gives disable and uninstall little time; the snapshot's own post-script is bounded. */
#define STOP_TIMEOUT_MS 60000

static const char handler_usage[] =
	"Usage: snapfreeze handler install|enable|disable|uninstall|update\n"
	"\n"
	"Azure's extension handler commands, as the guest agent runs them from\n"
	"the extension's folder: HandlerEnvironment.json is read there (or from\n"
	"$" SF_HANDLER_ENV_VARIABLE "), the settings from configFolder/N.settings,\n"
	"and the status goes to statusFolder/N.status.\n"
	"\n"
	"  install    make the state folder (" SF_STATE_DIR ")\n"
	"  enable     unless N was processed already (mrseq), write \"transitioning\"\n"
	"             and start the snapshot detached; return at once\n"
	"  disable    stop a running snapshot (it thaws first), then report\n"
	"  update     likewise\n"
	"  uninstall  likewise, and remove what install and enable left\n";

int sf_handler_stop_snapshot(const char *lock_path, unsigned int timeout_ms,
			     struct sf_error *err)
{
	int fd = open(lock_path, O_RDONLY | O_CLOEXEC), pidfd, ready;
	char text[32] = "";
	ssize_t len;
	pid_t pid;

	if (fd < 0)
		return errno == ENOENT ? 0 :
		       sf_fail(err, SF_EXIT_FAILURE, "%s: %s", lock_path, strerror(errno));
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		return 0;
	}
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	pid = len > 0 ? (pid_t)atoi(text) : 0;
	if (pid <= 1)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: locked, but names no process", lock_path);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? 0 :
		       sf_fail(err, SF_EXIT_FAILURE, "pidfd_open %d: %s", (int)pid, strerror(errno));
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) && errno != ESRCH) {
		close(pidfd);
		return sf_fail(err, SF_EXIT_FAILURE, "SIGTERM to snapshot %d: %s", (int)pid,
			       strerror(errno));
	}
	do
		ready = poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, (int)timeout_ms);
	while (ready < 0 && errno == EINTR);
	close(pidfd);
	return ready > 0 ? 0 :
	       sf_fail(err, SF_EXIT_FAILURE, "the snapshot (pid %d) did not end within %u ms",
		       (int)pid, timeout_ms);
}

static const char *env_path(void)
{
	const char *path = getenv(SF_HANDLER_ENV_VARIABLE);

	return path ? path : "./" SF_HANDLER_ENV_NAME;
}

static int report(const struct sf_handler_env *env, const struct sf_azure_settings *settings,
		  const char *operation, enum sf_azure_state state, int code,
		  const char *message, struct sf_error *err)
{
	const struct sf_azure_status status = {
		.name = env->name,
		.version = env->version,
		.operation = operation,
		.state = state,
		.code = code,
		.message = message,
		.task_id = settings ? settings->task_id : NULL,
		.start_ticks = settings ? settings->start_ticks : NULL,
	};

	return sf_azure_status_write(env->status_folder, env->seq, &status, err);
}

/* The snapshot, detached: its own session, nothing of the agent's held open. */
static int start_snapshot(const char *path, unsigned int seq, struct sf_error *err)
{
	char seq_text[16];
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "fork: %s", strerror(errno));
	if (pid)
		return 0;
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	snprintf(seq_text, sizeof(seq_text), "%u", seq);
	setenv("ConfigSequenceNumber", seq_text, 1);
	execl("/proc/self/exe", "snapfreeze", "snapshot", "--handler-env", path, (char *)NULL);
	_exit(127);
}

static int enable(const char *path, struct sf_handler_env *env, struct sf_error *err)
{
	struct sf_azure_settings settings;
	int ret;

	if (sf_handler_env_processed(env))
		return 0;	/* as Azure's extension: processed once, never again */
	if (sf_azure_settings_load(env->config_folder, env->seq, NULL, &settings, err)) {
		struct sf_error why = *err;

		report(env, NULL, SF_AZURE_OPERATION, SF_AZURE_STATE_ERROR,
		       settings.fault == SF_AZURE_SETTINGS_NO_CERT ? SF_AZURE_NO_CERTIFICATE :
		       SF_AZURE_BAD_PARAMETER, why.msg, err);
		*err = why;
		return -1;
	}
	ret = sf_handler_env_mark_processed(env, err);
	if (!ret && !sf_azure_settings_is_snapshot(&settings))
		ret = report(env, &settings, SF_AZURE_OPERATION, SF_AZURE_STATE_SUCCESS,
			     SF_AZURE_SUCCESS, "nothing to do: the command is not a snapshot", err);
	else if (!ret)
		ret = report(env, &settings, SF_AZURE_OPERATION, SF_AZURE_TRANSITIONING,
			     SF_AZURE_TRANSITIONING_CODE, "snapshot starting", err) ||
		      start_snapshot(path, env->seq, err);
	sf_azure_settings_free(&settings);
	return ret;
}

/* What install and enable leave behind: the state, the result, mrseq. */
static int remove_ours(const struct sf_handler_env *env, struct sf_error *err)
{
	static const char *const names[] = { "state.json", SF_RESULT_NAME };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", SF_STATE_DIR, names[i]);
		if (unlink(path) && errno != ENOENT)
			return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	}
	if (rmdir(SF_STATE_DIR) && errno != ENOENT && errno != ENOTEMPTY)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", SF_STATE_DIR, strerror(errno));
	snprintf(path, sizeof(path), "%s/mrseq", env->extension_folder);
	if (unlink(path) && errno != ENOENT)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	return 0;
}

static int stop(const struct sf_handler_env *env, const char *operation, bool uninstall,
		struct sf_error *err)
{
	char message[64];
	int ret = sf_handler_stop_snapshot(SF_LOCK_PATH, STOP_TIMEOUT_MS, err);

	if (!ret && uninstall)
		ret = remove_ours(env, err);
	if (ret) {
		struct sf_error why = *err;

		report(env, NULL, operation, SF_AZURE_STATE_ERROR, SF_AZURE_FAILED, why.msg, err);
		*err = why;
		return -1;
	}
	snprintf(message, sizeof(message), "%s succeeded", operation);
	return report(env, NULL, operation, SF_AZURE_STATE_SUCCESS, SF_AZURE_APP_CONSISTENT,
		      message, err);
}

static int install(const struct sf_handler_env *env, struct sf_error *err)
{
	if (mkdir(SF_STATE_DIR, 0700) && errno != EEXIST)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", SF_STATE_DIR, strerror(errno));
	return report(env, NULL, "Install", SF_AZURE_STATE_SUCCESS, SF_AZURE_APP_CONSISTENT,
		      "Install succeeded", err);
}

int cmd_handler(int argc, char **argv, struct sf_error *err)
{
	const char *path = env_path(), *what = argc == 2 ? argv[1] : "";
	struct sf_handler_env env;
	int ret;

	if (argc == 2 && (!strcmp(what, "--help") || !strcmp(what, "-h"))) {
		fputs(handler_usage, stdout);
		return SF_EXIT_OK;
	}
	if (strcmp(what, "install") && strcmp(what, "enable") && strcmp(what, "disable") &&
	    strcmp(what, "uninstall") && strcmp(what, "update"))
		return sf_fail(err, SF_EXIT_USAGE,
			       "handler: expected install, enable, disable, uninstall or update");
	if (sf_handler_env_load(path, &env, err))
		return -1;
	if (!strcmp(what, "install"))
		ret = install(&env, err);
	else if (!strcmp(what, "enable"))
		ret = enable(path, &env, err);
	else
		ret = stop(&env, !strcmp(what, "disable") ? "Disable" :
			   !strcmp(what, "update") ? "Update" : "Uninstall",
			   !strcmp(what, "uninstall"), err);
	sf_handler_env_free(&env);
	return ret ? -1 : SF_EXIT_OK;
}
