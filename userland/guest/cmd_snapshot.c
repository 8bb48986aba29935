// SPDX-License-Identifier: GPL-2.0
/* snapfreeze snapshot: its options, and all it prepares before the first step. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "azure_host.h"
#include "clock.h"
#include "commands.h"
#include "snapshot.h"

static const char snapshot_usage[] =
	"Usage: snapfreeze snapshot [--config FILE] [--host URI] [--timeout SEC]\n"
	"                           [--keepalive SEC] [--json] [--handler-env FILE]\n"
	"                           [--state-dir DIR] [--script-config FILE]\n"
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
	"                     or the configFolder/N.settings modified last\n"
	"  -A, --script-config FILE\n"
	"                     Azure's script configuration (default\n"
	"                     " SF_AZURE_SCRIPT_CONFIG_PATH ")\n"
	"  -S, --state-dir DIR\n"
	"                     where the state and the result are kept (default\n"
	"                     " SF_STATE_DIR ")\n"
	"  -h, --help         show this help\n";

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
	/* Who holds it, for the handler's disable to stop it. */
	if (!ftruncate(fd, 0))
		dprintf(fd, "%d\n", (int)getpid());
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

/*
 * Without the module, and if the configuration allows, FIFREEZE: degraded,
 * since the filesystems then stop one after another, not at one instant.
 */
static int open_freezer(struct snapshot *snap, struct sf_error *err)
{
	snap->freezer = sf_freezer_open(snap->config.fifreeze_fallback, snap->degraded,
					sizeof(snap->degraded), err);
	if (!snap->freezer)
		return -1;
	if (snap->degraded[0])
		sf_log_write(snap->log, SF_LOG_WARNING, "degraded: %s", snap->degraded);
	return 0;
}

struct snapshot_options {
	const char *config;
	const char *script_config;
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
		{ "script-config", required_argument, NULL, 'A' },
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
	while ((opt = getopt_long(argc, argv, ":c:E:S:A:H:t:k:jh", options, NULL)) != -1) {
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
		case 'A':
			opts->script_config = optarg;
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
	if (opts->handler_env && snapshot_enter_handler_env(snap, opts->handler_env, err))
		return -1;
	if (sf_config_load(opts->config, opts->script_config, &snap->config, err)) {
		snapshot_azure_code(snap, snapshot_config_code(err->msg, opts->script_config ?
							       opts->script_config :
							       SF_AZURE_SCRIPT_CONFIG_PATH));
		return -1;
	}
	if (apply_options(snap, opts, err) || open_log(snap, err))
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
	snap->host = sf_host_open(snap->host_uri, snap->config.host_timeout_ms,
				  &(struct sf_azure_snapshot){
					  .task_id = snap->settings.task_id,
					  .token = snap->settings.snapshot_task_token,
					  .disk_ids = snap->settings.disk_ids,
					  .settings = snap->settings.host_settings,
					  .metadata = snap->settings.metadata,
				  }, err);
	if (!snap->host)
		return -1;
	return snap->config.app.fs_freeze_enabled ? open_freezer(snap, err) : 0;
}

static void snapshot_free(struct snapshot *snap)
{
	sf_host_close(snap->host);
	sf_freezer_close(snap->freezer);
	sf_host_answer_free(&snap->answer);
	sf_session_info_free(&snap->session);
	sf_mounts_free(&snap->mounts);
	sf_log_close(snap->log);
	sf_config_free(&snap->config);
	sf_handler_env_free(&snap->handler);
	sf_azure_settings_free(&snap->settings);
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
		snapshot_failed_with(&snap, err->exit_code, NULL, err->msg);
	else
		snapshot_take(&snap);
	ret = snapshot_report(&snap, opts.json, err);
	if (snap.handler.status_folder)
		ret = snapshot_leave_handler_env(&snap, ret, err);
	snapshot_free(&snap);
	close(lock);
	return ret;
}
