// SPDX-License-Identifier: GPL-2.0
#include "scripts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"

/* One attempt's child, its output pipe and what came out of it. */
struct attempt {
	pid_t pid;
	int pidfd;
	int out;		/* -1 once it closed: poll() skips it */
	int abort_fd;
	struct sf_script_result *result;
	size_t limit;
};

static void child_exec(const struct sf_script *script, int out)
{
	const char **argv = calloc(script->n_args + 2, sizeof(*argv));
	int null = open("/dev/null", O_RDONLY);

	/* A group of its own: a timeout ends the script and all it started. */
	setpgid(0, 0);
	sf_child_reset_signals();
	if (!argv || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(127);
	argv[0] = script->path;
	if (script->n_args)
		memcpy(argv + 1, script->args, script->n_args * sizeof(*argv));
	execv(script->path, (char *const *)argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", script->path,
		strerror(errno));
	_exit(127);
}

static int start(const struct sf_script *script, struct attempt *attempt,
		 struct sf_error *err)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: pipe: %s",
			       script->path, strerror(errno));
	attempt->pid = fork();
	if (attempt->pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: fork: %s",
			       script->path, strerror(errno));
	}
	if (!attempt->pid)
		child_exec(script, pipefd[1]);
	/* Also here: a signal sent before the child's own setpgid() lands. */
	setpgid(attempt->pid, attempt->pid);
	close(pipefd[1]);
	attempt->out = pipefd[0];
	attempt->pidfd = (int)syscall(SYS_pidfd_open, attempt->pid, 0);
	if (attempt->pidfd < 0) {
		kill(-attempt->pid, SIGKILL);
		waitpid(attempt->pid, NULL, 0);
		close(attempt->out);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: pidfd_open: %s",
			       script->path, strerror(errno));
	}
	return 0;
}

/* Keeps the first `limit` bytes; reads and drops the rest. */
static void collect(struct attempt *attempt)
{
	struct sf_script_result *result = attempt->result;
	char buf[4096];
	ssize_t len = read(attempt->out, buf, sizeof(buf));
	size_t keep;

	if (len <= 0) {
		close(attempt->out);
		attempt->out = -1;
		return;
	}
	keep = attempt->limit - result->output_len;
	if ((size_t)len > keep)
		result->output_truncated = true;
	else
		keep = (size_t)len;
	memcpy(result->output + result->output_len, buf, keep);
	result->output_len += keep;
	result->output[result->output_len] = '\0';
}

/*
 * Waits for the child until deadline_ns (0: none) or, unless ignore_abort,
 * until abort_fd is readable; true if it exited.
 */
static bool wait_exit(struct attempt *attempt, uint64_t deadline_ns, bool ignore_abort)
{
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = attempt->pidfd, .events = POLLIN },
			{ .fd = attempt->out, .events = POLLIN },
			{ .fd = ignore_abort ? -1 : attempt->abort_fd, .events = POLLIN },
		};
		uint64_t now = sf_now_ns();
		int timeout = -1;

		if (deadline_ns) {
			if (now >= deadline_ns)
				return false;
			timeout = (int)((deadline_ns - now + 999999) / 1000000);
		}
		if (poll(fds, 3, timeout) < 0 && errno != EINTR)
			return false;
		if (fds[1].revents)
			collect(attempt);
		if (fds[0].revents)
			return true;
		if (fds[2].revents) {
			attempt->result->aborted = true;
			return false;
		}
	}
}

static void finish(struct attempt *attempt)
{
	struct sf_script_result *result = attempt->result;
	int status = 0;

	waitpid(attempt->pid, &status, 0);
	result->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
						  -WTERMSIG(status);
	/* What is already in the pipe; not what a left-behind child writes. */
	while (attempt->out >= 0 &&
	       poll(&(struct pollfd){ .fd = attempt->out, .events = POLLIN }, 1, 0) > 0)
		collect(attempt);
	if (attempt->out >= 0)
		close(attempt->out);
	close(attempt->pidfd);
}

static int run_once(const struct sf_script *script,
		    struct sf_script_result *result, struct sf_error *err)
{
	struct attempt attempt = {
		.result = result,
		.limit = script->output_limit,
		.abort_fd = script->abort_fd,
	};

	result->output_len = 0;
	result->output[0] = '\0';
	result->output_truncated = false;
	result->timed_out = false;
	if (start(script, &attempt, err))
		return -1;
	if (!wait_exit(&attempt, sf_now_ns() + script->timeout_ms * 1000000ULL, false)) {
		result->timed_out = true;
		kill(-attempt.pid, SIGTERM);
		if (!wait_exit(&attempt, sf_now_ns() + script->term_grace_ms * 1000000ULL,
			       true))
			kill(-attempt.pid, SIGKILL);
	}
	if (result->timed_out)
		kill(-attempt.pid, SIGKILL);	/* what the script left behind */
	finish(&attempt);
	return result->exit_status == 0 && !result->timed_out ? 0 : 1;
}

int sf_script_run(const struct sf_script *script,
		  struct sf_script_result *result, struct sf_error *err)
{
	uint64_t start_ns = sf_now_ns();
	int ret;

	memset(result, 0, sizeof(*result));
	result->output = malloc(script->output_limit + 1);
	if (!result->output)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory",
			       script->path);
	do {
		result->attempts++;
		ret = run_once(script, result, err);
	} while (ret == 1 && !result->aborted && result->attempts <= script->retries);
	result->duration_ns = sf_now_ns() - start_ns;
	return ret;
}

void sf_script_result_free(struct sf_script_result *result)
{
	free(result->output);
	memset(result, 0, sizeof(*result));
}
