// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's channel: one poll loop over the channel, the signals and the
 * snapshot in progress, so that the guest is answered at once whatever the
 * backend is doing, including "busy" for a second request.
 */
#include "backend.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostproto.h"
#include "limits.h"
#include "lineio.h"
#include "outbox.h"

/* How often to look for the guest's socket while QEMU starts. */
#define CONNECT_RETRY_MS 100
/* Progress comes at most this often, whatever deadline_ms the guest asks. */
#define PROGRESS_MIN_MS 1000

struct server {
	const struct hostd_options *options;
	const struct hostd_backend *backend;
	int guest;
	int signals;
	sigset_t old_mask;
	struct sf_line_reader lines;
	struct hostd_outbox out;
	struct hostd_rate rate;
	void *job;		/* the snapshot in progress, or NULL */
	char *job_id;
	uint64_t job_started;
	uint64_t progress_every;	/* ms; 0: the guest takes no progress */
	uint64_t next_progress;
	unsigned int progress_sent;
	bool job_answered;
	bool done;
	bool guest_gone;
	int exit_code;
};

/*
 * The guest gives up deadline_ms after it sent the request: the answer must
 * be on its way before then, with a margin for the way.
 */
static uint64_t answer_deadline(uint32_t deadline_ms)
{
	uint32_t margin = deadline_ms / 10 < 1000 ? deadline_ms / 10 : 1000;

	return sf_now_ms() + deadline_ms - margin;
}

static void answer(struct server *server, const char *id,
		   const struct hostd_result *result)
{
	if (!hostd_outbox_put(&server->out, id, "answer", hostd_answer_line(id, result)))
		return;
	if (result->ok)
		hostd_log(SF_LOG_INFO, id, "answered ok: snapshot %s%s%s",
			  result->snapshot ?: "(unnamed)", result->message[0] ? ", " : "",
			  result->message);
	else
		hostd_log(SF_LOG_WARNING, id, "answered %s: %s", result->error,
			  result->message);
}

/*
 * A guest that takes progress waits deadline_ms from the last one, up to
 * its max_deadline_ms: a line every third of that keeps it waiting while
 * the snapshot runs, and never past what it allowed. Never more often than
 * PROGRESS_MIN_MS, though: each is a line on the channel, and the log
 * counts them instead of showing each.
 */
static uint64_t progress_interval(const struct hostd_request *request)
{
	uint64_t every = request->deadline_ms / 3 + 1;

	if (!request->max_deadline_ms)
		return 0;
	return every < PROGRESS_MIN_MS ? PROGRESS_MIN_MS : every;
}

static void send_progress(struct server *server)
{
	uint64_t now = sf_now_ms();
	char message[64];

	if (!server->job || server->job_answered || !server->progress_every ||
	    now < server->next_progress)
		return;
	snprintf(message, sizeof(message), "working for %llu ms",
		 (unsigned long long)(now - server->job_started));
	if (hostd_outbox_put(&server->out, server->job_id, "progress",
			  hostd_progress_line(server->job_id, message)))
		server->progress_sent++;
	server->next_progress = now + server->progress_every;
}

/* --once ends the service with the first answer that is not "busy". */
static void answered(struct server *server)
{
	if (server->options->once && (!server->job || server->job_answered))
		server->done = true;
}

static void end_job(struct server *server)
{
	server->backend->stop(server->job);
	server->job = NULL;
	free(server->job_id);
	server->job_id = NULL;
}

/* ", N progress messages sent" when the guest takes them. */
static const char *progress_summary(const struct server *server, char summary[64])
{
	summary[0] = '\0';
	if (server->progress_every)
		snprintf(summary, 64, ", %u progress message%s sent",
			 server->progress_sent, server->progress_sent == 1 ? "" : "s");
	return summary;
}

static void step_job(struct server *server, const struct pollfd *fds, int n)
{
	struct hostd_result result = { 0 };
	enum hostd_step step = server->backend->step(server->job, fds, n, &result);
	char summary[64];

	if (step == HOSTD_RUNNING)
		return;
	if (!server->job_answered) {
		hostd_log(SF_LOG_INFO, server->job_id, "finished after %llu ms%s",
			  (unsigned long long)(sf_now_ms() - server->job_started),
			  progress_summary(server, summary));
		answer(server, server->job_id, &result);
		server->job_answered = true;
	}
	hostd_result_free(&result);
	if (step == HOSTD_DONE)
		end_job(server);
	answered(server);
}

static void start_job(struct server *server, const struct hostd_request *request,
		      const char *line)
{
	struct hostd_result result = { 0 };
	uint64_t deadline = answer_deadline(request->max_deadline_ms ?: request->deadline_ms);
	char longest[64] = "";

	if (request->max_deadline_ms)
		snprintf(longest, sizeof(longest), " (up to %u ms with progress)",
			 request->max_deadline_ms);
	hostd_log(SF_LOG_INFO, request->id,
		  "snapshot requested: %s consistency, %zu filesystem%s, the guest waits %u ms%s",
		  request->consistency, request->n_targets, request->n_targets == 1 ? "" : "s",
		  request->deadline_ms, longest);
	server->job = server->backend->start(server->options, request, line, deadline,
					     &result);
	if (!server->job) {
		answer(server, request->id, &result);
		hostd_result_free(&result);
		answered(server);
		return;
	}
	server->job_id = strdup(request->id);
	server->job_started = sf_now_ms();
	server->job_answered = false;
	server->progress_every = progress_interval(request);
	server->progress_sent = 0;
	server->next_progress = server->job_started + server->progress_every;
}

static void handle_line(struct server *server, const char *line)
{
	struct hostd_request request;
	struct hostd_result result = { 0 };
	char shown[HOSTD_LOG_ID_SIZE];

	if (hostd_parse_request(line, &request, &result)) {
		answer(server, request.id, &result);
		answered(server);
	} else if (server->job) {
		hostd_fail(&result, "busy", "a snapshot is in progress (request %s)",
			   hostd_log_id(server->job_id, shown));
		answer(server, request.id, &result);
	} else if (hostd_rate_take(&server->rate, &result)) {
		answer(server, request.id, &result);
		answered(server);
	} else {
		start_job(server, &request, line);
	}
	hostd_result_free(&result);
	hostd_request_free(&request);
}

static void read_guest(struct server *server)
{
	char *line;

	while (!server->done) {
		switch (sf_line_get(&server->lines, &line)) {
		case SF_LINE_OK:
			handle_line(server, line);
			break;
		case SF_LINE_TOO_LONG: {
			struct hostd_result result = { 0 };

			hostd_fail(&result, "too-long", "a line longer than %d bytes",
				   SF_HOST_MAX_LINE);
			answer(server, NULL, &result);
			answered(server);
			break;
		}
		case SF_LINE_AGAIN:
			return;
		case SF_LINE_ERROR:
			/* A reset is the VM going away, as EOF is. */
			if (errno != ECONNRESET) {
				hostd_log(SF_LOG_ERROR, NULL, "reading the guest's channel: %s",
					  strerror(errno));
				server->exit_code = SF_EXIT_FAILURE;
				server->guest_gone = server->done = true;
				return;
			}
			/* fall through */
		default:
			hostd_log(SF_LOG_INFO, NULL, "the guest's channel closed%s: exiting",
				  server->job ? " during a snapshot" : "");
			server->guest_gone = server->done = true;
			return;
		}
	}
}

/* A signal ends the service; true if one came. */
static bool signalled(struct server *server)
{
	struct signalfd_siginfo info;

	if (read(server->signals, &info, sizeof(info)) != sizeof(info))
		return false;
	hostd_log(SF_LOG_INFO, server->job_id, "%s: exiting%s", strsignal(info.ssi_signo),
		  server->job ? " during a snapshot" : "");
	server->done = true;
	return true;
}

static int serve_loop(struct server *server, struct sf_error *err)
{
	while (!server->done) {
		struct pollfd fds[2 + HOSTD_MAX_FDS] = {
			{ .fd = server->signals, .events = POLLIN },
			{ .fd = server->guest,
			  .events = POLLIN | (hostd_outbox_waiting(&server->out) ? POLLOUT : 0) },
		};
		uint64_t wake = 0;
		int n = 0;

		if (server->job)
			n = server->backend->fds(server->job, fds + 2, &wake);
		if (server->job && server->progress_every && !server->job_answered &&
		    server->next_progress < wake)
			wake = server->next_progress;
		if (poll(fds, 2 + n, server->job ? sf_remaining_ms(wake) : -1) < 0 &&
		    errno != EINTR)
			return sf_fail(err, SF_EXIT_FAILURE, "poll: %s", strerror(errno));
		if (fds[0].revents && signalled(server))
			break;
		if (fds[1].revents & POLLOUT)
			hostd_outbox_flush(&server->out);
		/* The job first: a request that comes as it ends is not "busy". */
		if (server->job)
			step_job(server, fds + 2, n);
		send_progress(server);
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_guest(server);
	}
	return server->exit_code;
}

static int guest_address(const char *path, struct sockaddr_un *addr, struct sf_error *err)
{
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr->sun_path))
		return sf_fail(err, SF_EXIT_USAGE, "--guest %s: path too long", path);
	strcpy(addr->sun_path, path);
	return 0;
}

/* 0: connected; 1: a signal came first; -1: not in time (err). */
static int connect_guest(struct server *server, struct sf_error *err)
{
	uint64_t deadline = sf_now_ms() + server->options->connect_timeout_ms;
	struct sockaddr_un addr;
	int error;

	if (guest_address(server->options->guest, &addr, err))
		return -1;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int wait_ms;

		if (fd < 0)
			return sf_fail(err, SF_EXIT_FAILURE, "socket: %s", strerror(errno));
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
			server->guest = server->out.fd = fd;
			return 0;
		}
		error = errno;
		close(fd);
		wait_ms = sf_remaining_ms(deadline);
		if (!wait_ms)
			break;
		/* QEMU makes the socket as it starts: look again soon. */
		if (poll(&(struct pollfd){ .fd = server->signals, .events = POLLIN }, 1,
			 wait_ms < CONNECT_RETRY_MS ? wait_ms : CONNECT_RETRY_MS) > 0 &&
		    signalled(server))
			return 1;
	}
	return sf_fail(err, SF_EXIT_FAILURE, "%s: could not connect within %.1f s: %s",
		       server->options->guest, server->options->connect_timeout_ms / 1000.0,
		       strerror(error));
}

int hostd_catch_signals(sigset_t *old_mask, int *signals, struct sf_error *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, old_mask);
	*signals = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (*signals < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "signalfd: %s", strerror(errno));
	return 0;
}

/*
 * Stopped during a snapshot: the guest holds its filesystems frozen until
 * it has an answer, so it gets one now.
 */
static void abandon_job(struct server *server)
{
	struct hostd_result result = { 0 };

	if (!server->job_answered && !server->guest_gone) {
		hostd_fail(&result, "stopped",
			   "the host agent stopped during the snapshot, which may still complete");
		answer(server, server->job_id, &result);
	}
	end_job(server);
}

const struct hostd_backend *hostd_backend_of(const struct hostd_options *options)
{
	return options->qmp ? &hostd_qmp_backend :
	       options->libvirt ? &hostd_libvirt_backend : &hostd_command_backend;
}

int hostd_serve(const struct hostd_options *options, struct sf_error *err)
{
	struct server server = {
		.options = options,
		.backend = hostd_backend_of(options),
		.guest = -1,
		.out = { .fd = -1 },
	};
	int ret = hostd_catch_signals(&server.old_mask, &server.signals, err);

	if (!ret)
		ret = hostd_rate_init(&server.rate, options->max_requests_per_minute, err);
	if (!ret)
		ret = connect_guest(&server, err);
	if (!ret) {
		hostd_log(SF_LOG_INFO, NULL, "connected to the guest's channel %s; snapshots by %s",
			  options->guest, server.backend->name);
		sf_line_reader_init(&server.lines, server.guest, SF_HOST_MAX_LINE);
		ret = serve_loop(&server, err);
	} else if (ret > 0) {
		ret = SF_EXIT_OK;
	}
	if (server.job)
		abandon_job(&server);
	hostd_outbox_close(&server.out, !server.guest_gone);
	sf_line_reader_free(&server.lines);
	hostd_rate_free(&server.rate);
	if (server.guest >= 0)
		close(server.guest);
	if (server.signals >= 0)
		close(server.signals);
	sigprocmask(SIG_SETMASK, &server.old_mask, NULL);
	return ret;
}
