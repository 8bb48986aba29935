// SPDX-License-Identifier: GPL-2.0
#include "scripts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "safe_path.h"
#include "spawn.h"

/* One attempt's child, its output pipe and what came out of it. */
struct attempt {
	struct sf_child child;
	int out;		/* -1 once it closed: poll() skips it */
	int abort_fd;
	struct sf_script_result *result;
	size_t limit;
};

/* Its standard output and error both into the pipe; no input. */
static int start(const struct sf_script *script, int exec_fd, struct attempt *attempt,
		 struct sf_error *err)
{
	const char **argv = calloc(script->n_args + 2, sizeof(*argv));
	struct sf_spawn spawn = {
		.path = script->path,
		.exec_fd = exec_fd,
		.argv = argv,
	};
	int pipefd[2], ret;

	if (!argv)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", script->path);
	argv[0] = script->path;
	if (script->n_args)
		memcpy(argv + 1, script->args, script->n_args * sizeof(*argv));
	if (pipe2(pipefd, O_CLOEXEC)) {
		free(argv);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: pipe: %s", script->path,
			       strerror(errno));
	}
	spawn.stdio[0] = -1;
	spawn.stdio[1] = spawn.stdio[2] = pipefd[1];
	ret = sf_spawn(&spawn, &attempt->child, err);
	free(argv);
	close(pipefd[1]);
	attempt->out = pipefd[0];
	if (ret)
		close(attempt->out);
	return ret;
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
			{ .fd = attempt->child.pidfd, .events = POLLIN },
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
	int status = sf_child_reap(&attempt->child);

	result->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
						  -WTERMSIG(status);
	/* What is already in the pipe; not what a left-behind child writes. */
	while (attempt->out >= 0 &&
	       poll(&(struct pollfd){ .fd = attempt->out, .events = POLLIN }, 1, 0) > 0)
		collect(attempt);
	if (attempt->out >= 0)
		close(attempt->out);
}

static int run_once(const struct sf_script *script, int exec_fd, uint64_t deadline_ns,
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
	if (start(script, exec_fd, &attempt, err))
		return -1;
	if (!wait_exit(&attempt, deadline_ns, false)) {
		result->timed_out = true;
		sf_child_signal(&attempt.child, SIGTERM);
		if (!wait_exit(&attempt, sf_now_ns() + script->term_grace_ms * 1000000ULL,
			       true))
			sf_child_signal(&attempt.child, SIGKILL);
	}
	if (result->timed_out)
		sf_child_signal(&attempt.child, SIGKILL);	/* what the script left behind */
	finish(&attempt);
	return result->exit_status == 0 && !result->timed_out ? 0 : 1;
}

int sf_script_run(const struct sf_script *script,
		  struct sf_script_result *result, struct sf_error *err)
{
	uint64_t start_ns = sf_now_ns();
	uint64_t deadline_ns = start_ns + script->timeout_ms * 1000000ULL;
	int exec_fd, ret;

	memset(result, 0, sizeof(*result));
	/* Checked and opened once: every attempt runs the file checked. */
	exec_fd = sf_open_safe_executable(script->path, err);
	if (exec_fd < 0)
		return -1;
	result->output = malloc(script->output_limit + 1);
	if (!result->output) {
		close(exec_fd);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory",
			       script->path);
	}
	do {
		result->attempts++;
		ret = run_once(script, exec_fd, deadline_ns, result, err);
	} while (ret == 1 && !result->aborted && !result->timed_out &&
		 result->attempts <= script->retries);
	result->duration_ns = sf_now_ns() - start_ns;
	close(exec_fd);
	return ret;
}

void sf_script_result_free(struct sf_script_result *result)
{
	free(result->output);
	memset(result, 0, sizeof(*result));
}
