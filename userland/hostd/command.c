// SPDX-License-Identifier: GPL-2.0
/*
 * The command backend, for hypervisors other than QEMU: /bin/sh -c CMD with
 * the request line on its standard input. Exit status 0 means the snapshot
 * was taken, and the first line of its output names it; otherwise its
 * standard error says why. At the deadline its process group gets SIGTERM,
 * and the guest its "timeout" answer at once; SIGKILL follows a grace
 * period later.
 */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lineio.h"
#include "spawn.h"

#define OUTPUT_LIMIT 1024	/* bytes kept of each of its stdout and stderr */
#define KILL_GRACE_MS 1000	/* from SIGTERM to SIGKILL */
#define KILLED UINT64_MAX	/* kill_at once SIGKILL is sent */

struct output {
	int fd;
	size_t len;
	char text[OUTPUT_LIMIT + 1];
};

struct command_job {
	char *id;
	struct sf_child child;	/* pid -1 once reaped */
	int input;		/* its standard input, until the request is sent */
	char *request;
	size_t request_len;
	size_t request_sent;
	struct output out;
	struct output err;
	uint64_t started;
	uint64_t deadline;	/* SIGTERM then */
	uint64_t kill_at;	/* SIGKILL then; 0 before SIGTERM */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int spawn(struct command_job *job, const char *command, struct hostd_result *result)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct sf_error spawn_err;
	int ret = -1;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		hostd_fail(result, "command", "pipe: %s", strerror(errno));
		goto out;
	}
	if (sf_spawn_shell(command, (const int[]){ in[0], out[1], err[1] }, &job->child,
			   &spawn_err)) {
		hostd_fail(result, "command", "%s", spawn_err.msg);
		goto out;
	}
	job->input = in[1];
	job->out.fd = out[0];
	job->err.fd = err[0];
	in[1] = out[0] = err[0] = -1;
	fcntl(job->input, F_SETFL, O_NONBLOCK);
	fcntl(job->out.fd, F_SETFL, O_NONBLOCK);
	fcntl(job->err.fd, F_SETFL, O_NONBLOCK);
	ret = 0;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	return ret;
}

/* A command that does not read its input is not wrong: it may not need it. */
static void feed(struct command_job *job)
{
	ssize_t sent = write(job->input, job->request + job->request_sent,
			     job->request_len - job->request_sent);

	if (sent > 0)
		job->request_sent += sent;
	if (job->request_sent == job->request_len ||
	    (sent < 0 && errno != EAGAIN && errno != EINTR))
		close_fd(&job->input);
}

/* Keeps the first OUTPUT_LIMIT bytes, reads and drops the rest; true if it read. */
static bool collect(struct output *output)
{
	char buf[4096];
	ssize_t got = read(output->fd, buf, sizeof(buf));
	size_t keep = OUTPUT_LIMIT - output->len;

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (got <= 0) {
		close_fd(&output->fd);
		return false;
	}
	if ((size_t)got < keep)
		keep = got;
	memcpy(output->text + output->len, buf, keep);
	output->len += keep;
	output->text[output->len] = '\0';
	return true;
}

/* What is in the pipe already; not what something left behind goes on writing. */
static void drain(struct output *output)
{
	int reads = 64;

	while (output->fd >= 0 && reads-- && collect(output))
		;
}

static void trim(struct output *output)
{
	while (output->len && strchr(" \t\r\n", output->text[output->len - 1]))
		output->text[--output->len] = '\0';
}

static void succeed(struct command_job *job, struct hostd_result *result)
{
	size_t len = strcspn(job->out.text, "\r\n");

	result->ok = true;
	if (len)
		result->snapshot = strndup(job->out.text, len);
	else
		hostd_log(SF_LOG_WARNING, job->id,
			  "the command succeeded but printed no snapshot identifier");
}

static void fail(struct command_job *job, int status, struct hostd_result *result)
{
	char what[64];

	if (WIFEXITED(status))
		snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(what, sizeof(what), "was killed by signal %d", WTERMSIG(status));
	trim(&job->err);
	hostd_log(SF_LOG_WARNING, job->id, "the command %s%s%s", what,
		  job->err.len ? ": " : "", job->err.text);
	if (job->err.len)
		hostd_fail(result, "command", "%s", job->err.text);
	else
		hostd_fail(result, "command", "the command %s", what);
}

static enum hostd_step finish(struct command_job *job, struct hostd_result *result)
{
	int status;

	if (job->kill_at)
		sf_child_signal(&job->child, SIGKILL);	/* what it left behind */
	status = sf_child_reap(&job->child);
	drain(&job->out);
	drain(&job->err);
	if (job->kill_at)
		return HOSTD_DONE;	/* answered at SIGTERM */
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		succeed(job, result);
	else
		fail(job, status, result);
	return HOSTD_DONE;
}

static enum hostd_step check_time(struct command_job *job, struct hostd_result *result)
{
	uint64_t now = sf_now_ms();

	if (!job->kill_at && now >= job->deadline) {
		unsigned long long allowed = job->deadline - job->started;

		sf_child_signal(&job->child, SIGTERM);
		job->kill_at = now + KILL_GRACE_MS;
		hostd_log(SF_LOG_WARNING, job->id,
			  "the command did not finish within %llu ms: SIGTERM, SIGKILL %d ms later",
			  allowed, KILL_GRACE_MS);
		hostd_fail(result, "timeout", "the command did not finish within %llu ms",
			   allowed);
		return HOSTD_ANSWER;
	}
	if (job->kill_at && job->kill_at != KILLED && now >= job->kill_at) {
		sf_child_signal(&job->child, SIGKILL);
		job->kill_at = KILLED;
	}
	return HOSTD_RUNNING;
}

static void command_stop(void *p)
{
	struct command_job *job = p;

	if (!job)
		return;
	sf_child_stop(&job->child, 0);
	close_fd(&job->input);
	close_fd(&job->out.fd);
	close_fd(&job->err.fd);
	free(job->request);
	free(job->id);
	free(job);
}

static void *command_start(const struct hostd_options *options,
			   const struct hostd_request *request, const char *line,
			   uint64_t deadline, struct hostd_result *result)
{
	struct command_job *job = calloc(1, sizeof(*job));

	if (!job) {
		hostd_fail(result, "command", "out of memory");
		return NULL;
	}
	job->child = (struct sf_child){ .pid = -1, .pidfd = -1 };
	job->input = job->out.fd = job->err.fd = -1;
	job->started = sf_now_ms();
	job->deadline = deadline;
	if (!(job->id = strdup(request->id)) || asprintf(&job->request, "%s\n", line) < 0) {
		job->request = NULL;
		hostd_fail(result, "command", "out of memory");
		command_stop(job);
		return NULL;
	}
	job->request_len = strlen(job->request);
	if (spawn(job, options->command, result)) {
		command_stop(job);
		return NULL;
	}
	feed(job);
	return job;
}

static int command_fds(void *p, struct pollfd *fds, uint64_t *wake)
{
	struct command_job *job = p;
	int n = 0;

	fds[n++] = (struct pollfd){ .fd = job->child.pidfd, .events = POLLIN };
	if (job->input >= 0)
		fds[n++] = (struct pollfd){ .fd = job->input, .events = POLLOUT };
	if (job->out.fd >= 0)
		fds[n++] = (struct pollfd){ .fd = job->out.fd, .events = POLLIN };
	if (job->err.fd >= 0)
		fds[n++] = (struct pollfd){ .fd = job->err.fd, .events = POLLIN };
	*wake = job->kill_at ? job->kill_at : job->deadline;
	return n;
}

static enum hostd_step command_step(void *p, const struct pollfd *fds, int n,
				    struct hostd_result *result)
{
	struct command_job *job = p;
	bool exited = false;
	int i;

	for (i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == job->child.pidfd)
			exited = true;
		else if (fds[i].fd == job->input)
			feed(job);
		else if (fds[i].fd == job->out.fd)
			collect(&job->out);
		else if (fds[i].fd == job->err.fd)
			collect(&job->err);
	}
	return exited ? finish(job, result) : check_time(job, result);
}

const struct hostd_backend hostd_command_backend = {
	.name = "command",
	.start = command_start,
	.fds = command_fds,
	.step = command_step,
	.stop = command_stop,
};
