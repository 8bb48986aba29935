// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <linux/snapfreeze.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"

static const char freeze_usage[] =
	"Usage: snapfreeze freeze [--timeout SEC] [--detach] [--json] TARGET...\n"
	"\n"
	"Freeze the filesystems holding each TARGET (a mount point, or any path\n"
	"on the filesystem) as one session: all of them, or none. They are\n"
	"frozen concurrently, so that all stop taking writes at nearly the same\n"
	"instant; the kernel's watchdog thaws them when the timeout passes.\n"
	"\n"
	"Without --detach the session belongs to this command: it holds the\n"
	"freeze until SIGINT, SIGTERM or the end of its standard input, then\n"
	"thaws and exits 0. If the command dies, the kernel thaws at once. If\n"
	"the watchdog thaws first, it exits 5.\n"
	"\n"
	"Options:\n"
	"  -t, --timeout SEC  watchdog timeout in seconds, decimals allowed\n"
	"                     (default: the module's default_timeout_ms, 60 s)\n"
	"  -d, --detach       return at once; the session outlives this command\n"
	"                     and ends by 'snapfreeze thaw' or the watchdog\n"
	"  -j, --json         print JSON, one object per line\n"
	"  -h, --help         show this help\n";

struct hold {
	uint64_t id;
	bool ended;
	struct sf_session_info end;
};

static int note_session_end(const struct sf_session_info *event, void *arg)
{
	struct hold *hold = arg;

	if (event->id != hold->id || event->event != SNAPFREEZE_EVENT_THAWED)
		return 0;
	hold->ended = true;
	hold->end = *event;
	hold->end.n_targets = 0;	/* the event's targets are not kept */
	hold->end.targets = NULL;
	return 0;
}

/* Until a signal or EOF (0), or until the session ends by itself (1). */
static int hold_session(struct sf_nl *events, struct hold *hold,
			struct sf_error *err)
{
	struct pollfd fds[3];
	sigset_t signals;
	int nfds = 3, ret = 0;
	char buf[256];
	ssize_t len;

	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	fds[0] = (struct pollfd){ .fd = signalfd(-1, &signals, SFD_CLOEXEC),
				  .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = sf_nl_fd(events), .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (fds[0].fd < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "freeze: signalfd: %s",
			       strerror(errno));

	for (;;) {
		if (poll(fds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = sf_fail(err, SF_EXIT_FAILURE, "freeze: poll: %s",
				      strerror(errno));
			break;
		}
		if (fds[0].revents)
			break;
		if (fds[1].revents) {
			if (sf_nl_read_events(events, note_session_end, hold, err)) {
				ret = -1;
				break;
			}
			if (hold->ended) {
				ret = 1;
				break;
			}
		}
		if (nfds == 3 && (fds[2].revents & POLLNVAL)) {
			nfds = 2;	/* no standard input: signals only */
		} else if (nfds == 3 && fds[2].revents) {
			len = read(STDIN_FILENO, buf, sizeof(buf));
			if (len == 0 || (len < 0 && errno != EINTR && errno != EAGAIN))
				break;
		}
	}
	close(fds[0].fd);
	return ret;
}

static int freeze_attached(struct sf_nl *nl, struct sf_nl *events,
			   const struct sf_session_info *frozen, bool json,
			   struct sf_error *err)
{
	struct hold hold = { .id = frozen->id };
	struct sf_session_info thawed = { 0 };
	int ret;

	ret = hold_session(events, &hold, err);
	if (ret < 0)
		return -1;
	if (ret > 0) {
		sf_session_output(&hold.end, json, err);
		return sf_fail(err, SF_EXIT_FREEZE_LOST,
			       "freeze: session %llu ended before it was released: %s",
			       (unsigned long long)hold.id,
			       sf_reason_name(hold.end.reason));
	}
	if (sf_nl_thaw(nl, frozen->id, &thawed, err))
		return -1;
	ret = sf_session_output(&thawed, json, err);
	sf_session_info_free(&thawed);
	return ret;
}

static int parse_freeze_options(int argc, char **argv,
				struct sf_freeze_request *request, bool *json,
				struct sf_error *err)
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:djh", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (sf_parse_seconds(optarg, &request->timeout_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "freeze: --timeout '%s': not a number of seconds of at least 0.001",
					       optarg);
			break;
		case 'd':
			request->flags |= SNAPFREEZE_F_DETACHED;
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			fputs(freeze_usage, stdout);
			return 1;
		default:
			return sf_option_error(err, "freeze", argv, opt);
		}
	}
	if (optind == argc)
		return sf_fail(err, SF_EXIT_USAGE,
			       "freeze: no TARGET given (see: snapfreeze freeze --help)");
	request->paths = (const char *const *)argv + optind;
	request->n_paths = argc - optind;
	return 0;
}

int cmd_freeze(int argc, char **argv, struct sf_error *err)
{
	struct sf_freeze_request request = { 0 };
	struct sf_session_info session = { 0 };
	struct sf_nl *nl = NULL, *events = NULL;
	bool json = false;
	int ret;

	ret = parse_freeze_options(argc, argv, &request, &json, err);
	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;

	/* Listening before freezing: the watchdog may be quick. */
	if (!(request.flags & SNAPFREEZE_F_DETACHED) &&
	    !(events = sf_nl_open_events(err)))
		return -1;
	nl = sf_nl_open(err);
	ret = nl ? sf_nl_freeze(nl, &request, &session, err) : -1;
	if (!ret)
		ret = sf_session_output(&session, json, err);
	if (!ret && events)
		ret = freeze_attached(nl, events, &session, json, err);
	sf_session_info_free(&session);
	sf_nl_close(events);
	sf_nl_close(nl);
	return ret;
}
