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
#include "config.h"
#include "keepalive.h"
#include "output.h"
#include "storage.h"

static const char freeze_usage[] =
	"Usage: snapfreeze freeze [--timeout SEC] [--keepalive SEC] [--detach] [--json]\n"
	"                         TARGET...\n"
	"\n"
	"Freeze the filesystems holding each TARGET (a mount point, or any path\n"
	"on the filesystem) as one session: all of them, or none. They are\n"
	"frozen concurrently, so that all stop taking writes at nearly the same\n"
	"instant; the kernel's watchdog thaws them when the timeout passes. A\n"
	"filesystem on a loop device whose image is on another TARGET is\n"
	"frozen before it and thawed after it.\n"
	"\n"
	"Without --detach the session belongs to this command: it holds the\n"
	"freeze until SIGINT, SIGTERM or the end of its standard input, then\n"
	"thaws and exits 0. If the command dies, the kernel thaws at once. A\n"
	"thread that no frozen filesystem can block keeps the session alive,\n"
	"but only while the command itself runs: if it hangs (stopped, or\n"
	"blocked writing its output to a filesystem it froze), the keepalives\n"
	"stop and the kernel thaws within one and a half keepalive intervals.\n"
	"If the session ends before it is released (watchdog, missed\n"
	"keepalive), it exits 5.\n"
	"\n"
	"Options:\n"
	"  -t, --timeout SEC  watchdog timeout in seconds, decimals allowed: the\n"
	"                     hard limit of the freeze, whatever the keepalives\n"
	"                     (default: the module's default_timeout_ms, 60 s)\n"
	"  -k, --keepalive SEC\n"
	"                     keepalive interval in seconds, decimals allowed;\n"
	"                     0 for none (default: 5 s when attached, none with\n"
	"                     --detach, where others must send the keepalives)\n"
	"  -d, --detach       return at once; the session outlives this command\n"
	"                     and ends by 'snapfreeze thaw' or the watchdog\n"
	"  -j, --json         print JSON, one object per line\n"
	"  -h, --help         show this help\n";

struct hold {
	uint64_t id;
	bool ended;
	struct sf_session_info end;
	char stuck[SF_ERROR_MSG_SIZE / 2];	/* the targets still freezing or thawing */
};

static int note_session_end(const struct sf_session_info *event, void *arg)
{
	struct hold *hold = arg;

	if (event->id != hold->id || event->event != SNAPFREEZE_EVENT_THAWED)
		return 0;
	hold->ended = true;
	sf_session_stuck_text(event, hold->stuck, sizeof(hold->stuck));
	hold->end = *event;
	hold->end.n_targets = 0;	/* the event's targets are not kept */
	hold->end.targets = NULL;
	return 0;
}

/*
 * Until a signal or EOF (0), or until the session ends by itself (1), or
 * the keeper finds it gone (2). Every wakeup is a sign of life: a poll()
 * that returns shows that this thread is not stuck on a frozen filesystem.
 */
static int hold_session(struct sf_nl *events, struct sf_keeper *keeper,
			struct hold *hold, struct sf_error *err)
{
	struct pollfd fds[4];
	sigset_t signals;
	int nfds = 4, ret = 0;
	char buf[256];
	ssize_t len;

	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	fds[0] = (struct pollfd){ .fd = signalfd(-1, &signals, SFD_CLOEXEC),
				  .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = sf_nl_fd(events), .events = POLLIN };
	/* Last: poll() skips a negative fd, and when stdin goes, so does it. */
	fds[2] = (struct pollfd){ .fd = sf_keeper_fd(keeper), .events = POLLIN };
	fds[3] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (fds[0].fd < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "freeze: signalfd: %s",
			       strerror(errno));

	for (;;) {
		sf_keeper_alive(keeper);
		if (poll(fds, nfds, sf_keeper_poll_ms(keeper)) < 0) {
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
		if (fds[2].revents) {
			ret = 2;
			break;
		}
		if (nfds == 4 && (fds[3].revents & POLLNVAL)) {
			nfds = 3;	/* no standard input: signals only */
		} else if (nfds == 4 && fds[3].revents) {
			len = read(STDIN_FILENO, buf, sizeof(buf));
			if (len == 0 || (len < 0 && errno != EINTR && errno != EAGAIN))
				break;
		}
	}
	close(fds[0].fd);
	return ret;
}

static int freeze_attached(struct sf_nl *nl, struct sf_nl *events,
			   struct sf_keeper *keeper,
			   const struct sf_session_info *frozen, bool json,
			   struct sf_error *err)
{
	struct hold hold = { .id = frozen->id };
	struct sf_session_info thawed = { 0 };
	struct sf_error lost;
	int ret;

	ret = hold_session(events, keeper, &hold, err);
	if (sf_keeper_stop(keeper, &lost) && ret != 1)
		return sf_fail(err, SF_EXIT_FREEZE_LOST,
			       "freeze: session %llu was lost before it was released: %s",
			       (unsigned long long)hold.id, lost.msg);
	if (ret < 0)
		return -1;
	if (ret > 0) {
		sf_session_output(&hold.end, json, err);
		return sf_fail(err, SF_EXIT_FREEZE_LOST,
			       "freeze: session %llu ended before it was released: %s%s%s",
			       (unsigned long long)hold.id,
			       sf_reason_name(hold.end.reason), hold.stuck[0] ? "; " : "",
			       hold.stuck);
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
		{ "keepalive", required_argument, NULL, 'k' },
		{ "detach", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool keepalive_given = false;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:k:djh", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (sf_parse_seconds(optarg, &request->timeout_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "freeze: --timeout '%s': not a number of seconds of at least 0.001",
					       optarg);
			break;
		case 'k':
			if (sf_parse_interval(optarg, &request->keepalive_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "freeze: --keepalive '%s': not a number of seconds (0 for none)",
					       optarg);
			keepalive_given = true;
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
	if (!keepalive_given && !(request->flags & SNAPFREEZE_F_DETACHED))
		request->keepalive_ms = SF_DEFAULT_KEEPALIVE_MS;
	return 0;
}

/*
 * Which targets are stored on which, for the module's order; what cannot
 * be told is printed now, before anything is frozen.
 */
static int discover_storage(struct sf_freeze_request *request, struct sf_storage *storage,
			    struct sf_error *err)
{
	size_t i;

	if (sf_storage_discover(&sf_storage_system, request->paths, request->n_paths, storage,
				err))
		return -1;
	for (i = 0; i < storage->n_notes; i++)
		sf_warning_print(stderr, storage->notes[i]);
	request->stored_on = storage->stored_on;
	return 0;
}

int cmd_freeze(int argc, char **argv, struct sf_error *err)
{
	struct sf_freeze_request request = { 0 };
	struct sf_storage storage = { 0 };
	struct sf_session_info session = { 0 };
	struct sf_nl *nl = NULL, *events = NULL;
	struct sf_keeper *keeper = NULL;
	bool attached, json = false;
	int ret;

	ret = parse_freeze_options(argc, argv, &request, &json, err);
	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;
	if (discover_storage(&request, &storage, err))
		return -1;

	/* Listening before freezing: the watchdog may be quick. */
	attached = !(request.flags & SNAPFREEZE_F_DETACHED);
	if (attached && !(events = sf_nl_open_events(err))) {
		sf_storage_free(&storage);
		return -1;
	}
	nl = sf_nl_open(err);
	ret = nl ? 0 : -1;
	if (!ret && attached && request.keepalive_ms)
		ret = sf_keepalive_lock_memory(err);
	if (!ret)
		ret = sf_nl_freeze(nl, &request, &session, err);
	/*
	 * The keeper runs before printing, which may block on a frozen
	 * filesystem: then no sign of life comes, and the kernel thaws. On
	 * failure, closing the socket that owns the session thaws it.
	 */
	if (!ret && attached && request.keepalive_ms &&
	    !(keeper = sf_keeper_start(nl, session.id, request.keepalive_ms, err)))
		ret = -1;
	if (!ret)
		ret = sf_session_output(&session, json, err);
	if (!ret && attached)
		ret = freeze_attached(nl, events, keeper, &session, json, err);
	else if (keeper)
		sf_keeper_stop(keeper, &(struct sf_error){ 0 });	/* err says more */
	sf_session_info_free(&session);
	sf_storage_free(&storage);
	sf_nl_close(events);
	sf_nl_close(nl);
	return ret;
}
