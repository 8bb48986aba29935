// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "commands.h"
#include "config.h"
#include "ga_agent.h"

#define AGENT_CHANNEL "serial:org.qemu.guest_agent.0"
#define AGENT_TIMEOUT_MS 60000
#define QEMU_GA_PATH "/usr/sbin/qemu-ga"
#define QEMU_GA_FOLDER "/run/snapfreeze/qemu-ga"

static const char agent_usage[] =
	"Usage: snapfreeze agent [--channel URI] [--timeout SEC] [--keepalive SEC]\n"
	"                        [--fsfreeze-hook PATH | --no-fsfreeze-hook] [--hook-timeout SEC]\n"
	"                        [--qemu-ga PATH | --qemu-ga-socket PATH | --no-qemu-ga]\n"
	"                        [--config FILE]\n"
	"\n"
	"Speak the QEMU guest agent's protocol on the host's channel, in place of\n"
	"qemu-ga: guest-fsfreeze-freeze (and -freeze-list) freeze every filesystem\n"
	"'snapfreeze mounts' lists (or those of the list) as one session of the\n"
	"module, held until guest-fsfreeze-thaw or the timeout, whichever comes\n"
	"first; the kernel thaws by itself at the timeout, or if this command dies\n"
	"or hangs. The fsfreeze hook runs \"freeze\" before, \"thaw\" after, as\n"
	"qemu-ga runs it. Other commands go to a qemu-ga started on a private\n"
	"socket, or are refused as qemu-ga refuses a command it does not have.\n"
	"\n"
	"Options:\n"
	"  -c, --channel URI     the host's channel: serial:NAME (a virtio-serial port\n"
	"                        by name), serial:/dev/PATH or unix:PATH\n"
	"                        (default " AGENT_CHANNEL ")\n"
	"  -t, --timeout SEC     the hard limit of a freeze (default 60)\n"
	"  -k, --keepalive SEC   keepalive interval while frozen; 0 for none (default 5)\n"
	"  --fsfreeze-hook PATH  the hook (default " GA_HOOK_PATH "; when it is\n"
	"                        missing, the scripts of PATH.d run instead)\n"
	"  --no-fsfreeze-hook    run no hook\n"
	"  --hook-timeout SEC    how long each hook script may run (default 60)\n"
	"  --qemu-ga PATH        the qemu-ga to start for the other commands (default\n"
	"                        " QEMU_GA_PATH ", when installed)\n"
	"  --qemu-ga-socket PATH pass them to a qemu-ga listening there instead\n"
	"  --no-qemu-ga          refuse them\n"
	"  --config FILE         configuration, for skip_mounts (default\n"
	"                        " SF_CONFIG_PATH ")\n"
	"  -h, --help            show this help\n";

enum {
	OPT_HOOK = 256,
	OPT_NO_HOOK,
	OPT_HOOK_TIMEOUT,
	OPT_QEMU_GA,
	OPT_QEMU_GA_SOCKET,
	OPT_NO_QEMU_GA,
	OPT_CONFIG,
};

struct agent_options {
	const char *channel;
	const char *config;
	const char *qemu_ga;		/* NULL: none to start */
	const char *qemu_ga_socket;	/* NULL: start one */
	struct ga_freeze_config freeze;
};

static int parse_agent_options(int argc, char **argv, struct agent_options *options,
			       struct sf_error *err)
{
	static const struct option long_options[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "fsfreeze-hook", required_argument, NULL, OPT_HOOK },
		{ "no-fsfreeze-hook", no_argument, NULL, OPT_NO_HOOK },
		{ "hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT },
		{ "qemu-ga", required_argument, NULL, OPT_QEMU_GA },
		{ "qemu-ga-socket", required_argument, NULL, OPT_QEMU_GA_SOCKET },
		{ "no-qemu-ga", no_argument, NULL, OPT_NO_QEMU_GA },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:t:k:h", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			options->channel = optarg;
			break;
		case 't':
			if (sf_parse_seconds(optarg, &options->freeze.timeout_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "agent: --timeout '%s': not a number of seconds of at least 0.001",
					       optarg);
			break;
		case 'k':
			if (sf_parse_interval(optarg, &options->freeze.keepalive_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "agent: --keepalive '%s': not a number of seconds (0 for none)",
					       optarg);
			break;
		case OPT_HOOK:
			options->freeze.hook.path = optarg;
			break;
		case OPT_NO_HOOK:
			options->freeze.hook.path = NULL;
			break;
		case OPT_HOOK_TIMEOUT:
			if (sf_parse_seconds(optarg, &options->freeze.hook.timeout_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "agent: --hook-timeout '%s': not a number of seconds",
					       optarg);
			break;
		case OPT_QEMU_GA:
			options->qemu_ga = optarg;
			options->qemu_ga_socket = NULL;
			break;
		case OPT_QEMU_GA_SOCKET:
			options->qemu_ga_socket = optarg;
			break;
		case OPT_NO_QEMU_GA:
			options->qemu_ga = options->qemu_ga_socket = NULL;
			break;
		case OPT_CONFIG:
			options->config = optarg;
			break;
		case 'h':
			fputs(agent_usage, stdout);
			return 1;
		default:
			return sf_option_error(err, "agent", argv, opt);
		}
	}
	if (optind < argc)
		return sf_fail(err, SF_EXIT_USAGE, "agent: unexpected argument '%s'", argv[optind]);
	if (options->freeze.keepalive_ms && options->freeze.keepalive_ms >= options->freeze.timeout_ms)
		return sf_fail(err, SF_EXIT_USAGE, "agent: --keepalive must be shorter than --timeout");
	return 0;
}

/* The qemu-ga for the other commands; none is no error, only a note. */
static struct ga_upstream *open_upstream(const struct agent_options *options,
					 struct ga_agent *agent)
{
	struct ga_upstream *upstream = NULL;
	struct sf_error err;

	if (options->qemu_ga_socket)
		upstream = ga_upstream_connect(options->qemu_ga_socket, &err);
	else if (options->qemu_ga && !access(options->qemu_ga, X_OK))
		upstream = ga_upstream_start(options->qemu_ga, QEMU_GA_FOLDER, &err);
	else
		snprintf(err.msg, sizeof(err.msg), "no qemu-ga");
	if (!upstream)
		ga_agent_note(agent, "%s: commands other than the fsfreeze ones are refused",
			      err.msg);
	return upstream;
}

static void note_storage(void *arg, const char *message)
{
	ga_agent_note(arg, "%s", message);
}

static int serve(struct agent_options *options, struct sf_config *config, struct sf_error *err)
{
	struct sf_channel channel = SF_NO_CHANNEL;
	struct ga_agent agent = { 0 };
	sigset_t signals;
	int stop_fd, ret;

	options->freeze.skip = (const char *const *)config->skip_mounts;
	options->freeze.n_skip = config->n_skip_mounts;
	options->freeze.note = note_storage;
	options->freeze.note_arg = &agent;
	agent.freeze = ga_freeze_new(&options->freeze);
	if (!agent.freeze)
		return sf_fail(err, SF_EXIT_FAILURE, "agent: out of memory");
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	stop_fd = signalfd(-1, &signals, SFD_CLOEXEC);
	ret = stop_fd < 0 ? sf_fail(err, SF_EXIT_FAILURE, "agent: signalfd: %s", strerror(errno)) :
	      sf_channel_open(options->channel, sf_now_ms() + 10000, &channel, err);
	if (!ret) {
		agent.upstream = open_upstream(options, &agent);
		ga_agent_note(&agent, "serving %s", options->channel);
		ret = ga_agent_serve(&agent, channel.in, channel.out,
				     !strncmp(options->channel, "serial:", 7), stop_fd, err);
	}
	/* A signal while frozen: thawed (and the hook told) before leaving. */
	ga_freeze_free(agent.freeze);
	ga_agent_release_notes(&agent);
	ga_upstream_stop(agent.upstream);
	sf_channel_close(&channel);
	if (stop_fd >= 0)
		close(stop_fd);
	return ret ? -1 : SF_EXIT_OK;
}

int cmd_agent(int argc, char **argv, struct sf_error *err)
{
	struct agent_options options = {
		.channel = AGENT_CHANNEL,
		.qemu_ga = QEMU_GA_PATH,
		.freeze = {
			.mountinfo = "/proc/self/mountinfo",
			.timeout_ms = AGENT_TIMEOUT_MS,
			.keepalive_ms = SF_DEFAULT_KEEPALIVE_MS,
			.hook = { .path = GA_HOOK_PATH, .timeout_ms = GA_HOOK_TIMEOUT_MS },
		},
	};
	struct sf_config config;
	int ret = parse_agent_options(argc, argv, &options, err);

	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;
	if (sf_config_load(options.config, NULL, &config, err))
		return -1;
	ret = serve(&options, &config, err);
	sf_config_free(&config);
	return ret;
}
