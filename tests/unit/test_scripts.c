// SPDX-License-Identifier: GPL-2.0
/* The pre/post-script runner, on real scripts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scripts.h"
#include "tempdir.h"


/* Writes an executable shell script; returns its path (static buffer). */
static const char *script(const char *name, const char *body)
{
	static char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	file = fopen(path, "w");
	assert_non_null(file);
	fprintf(file, "#!/bin/sh\n%s\n", body);
	fclose(file);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static struct sf_script make(const char *path)
{
	return (struct sf_script){
		.path = path,
		.timeout_ms = 5000,
		.term_grace_ms = 300,
		.output_limit = 4096,
		.abort_fd = -1,
	};
}

static void success_with_output_and_args(void **state)
{
	static const char *const args[] = { "freeze", "two words" };
	struct sf_script s = make(script("ok.sh", "echo \"out $1 [$2]\"; echo err >&2"));
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	s.args = args;
	s.n_args = 2;
	assert_int_equal(sf_script_run(&s, &result, &err), 0);
	assert_int_equal(result.attempts, 1);
	assert_int_equal(result.exit_status, 0);
	assert_string_equal(result.output, "out freeze [two words]\nerr\n");
	sf_script_result_free(&result);
}

static void failure_reported(void **state)
{
	struct sf_script s = make(script("fail.sh", "echo broken; exit 3"));
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_int_equal(result.exit_status, 3);
	assert_false(result.timed_out);
	assert_string_equal(result.output, "broken\n");
	sf_script_result_free(&result);
}

static bool dead(pid_t pid)
{
	char path[64], state = 0;
	FILE *file;

	/* As a subreaper we inherit the orphans: reap what died. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	file = fopen(path, "r");
	if (!file)
		return true;
	if (fscanf(file, "%*d %*s %c", &state) != 1)
		state = 'Z';
	fclose(file);
	return state == 'Z';
}

/* SIGKILL is sent; the death of a process not ours comes a little later. */
static bool dies_within_5s(pid_t pid)
{
	int tries;

	for (tries = 0; tries < 500 && !dead(pid); tries++)
		usleep(10000);
	return dead(pid);
}

/* The script and everything it started is killed at the deadline. */
static void timeout_kills_the_process_tree(void **state)
{
	char body[512], pidfile[256];
	struct sf_script_result result;
	struct sf_script s;
	struct sf_error err;
	FILE *file;
	pid_t grandchild = 0;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid", dir);
	snprintf(body, sizeof(body),
		 "sleep 100 & echo $! > %s; echo started; sleep 100", pidfile);
	s = make(script("hang.sh", body));
	s.timeout_ms = 300;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_true(result.timed_out);
	assert_int_equal(result.exit_status, -SIGTERM);
	assert_string_equal(result.output, "started\n");
	file = fopen(pidfile, "r");
	assert_non_null(file);
	assert_int_equal(fscanf(file, "%d", &grandchild), 1);
	fclose(file);
	assert_true(dies_within_5s(grandchild));
	sf_script_result_free(&result);
}

static void sigterm_ignored_then_killed(void **state)
{
	struct sf_script s = make(script("stubborn.sh",
					 "trap '' TERM; while :; do sleep 0.05; done"));
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	s.timeout_ms = 200;
	s.term_grace_ms = 200;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_true(result.timed_out);
	assert_int_equal(result.exit_status, -SIGKILL);
	sf_script_result_free(&result);
}

/* Fails twice, then succeeds: a counter file proves it really re-ran. */
static void retries_really_rerun(void **state)
{
	char body[512];
	struct sf_script_result result;
	struct sf_script s;
	struct sf_error err;

	(void)state;
	snprintf(body, sizeof(body),
		 "n=$(cat %s/count 2>/dev/null || echo 0); n=$((n + 1));"
		 " echo $n > %s/count; echo attempt $n; [ $n -ge 3 ]", dir, dir);
	s = make(script("flaky.sh", body));
	s.retries = 1;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_int_equal(result.attempts, 2);
	assert_string_equal(result.output, "attempt 2\n");
	sf_script_result_free(&result);

	s.retries = 5;
	assert_int_equal(sf_script_run(&s, &result, &err), 0);
	assert_int_equal(result.attempts, 1);
	assert_string_equal(result.output, "attempt 3\n");
	sf_script_result_free(&result);
}

static void output_bounded(void **state)
{
	struct sf_script s = make(script("chatty.sh", "yes x | head -c 100000"));
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	s.output_limit = 1000;
	assert_int_equal(sf_script_run(&s, &result, &err), 0);
	assert_int_equal(result.output_len, 1000);
	assert_true(result.output_truncated);
	assert_int_equal(strlen(result.output), 1000);
	sf_script_result_free(&result);
}

/*
 * The command blocks SIGTERM while it works and ignores SIGPIPE: neither
 * may reach the script, or its timeout's SIGTERM would never land.
 */
static void script_gets_default_signals_despite_the_commands_mask(void **state)
{
	struct sf_script s = make(script("mask.sh", "grep -E '^Sig(Blk|Ign)' /proc/self/status"));
	struct sf_script_result result;
	unsigned long long blocked, ignored;
	struct sf_error err;
	sigset_t term, old;

	(void)state;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(sf_script_run(&s, &result, &err), 0);
	/* Nothing blocked; SIGPIPE (bit 12) not ignored, whatever else we inherited. */
	assert_int_equal(sscanf(result.output, "SigBlk: %llx SigIgn: %llx", &blocked, &ignored), 2);
	assert_int_equal(blocked, 0);
	assert_int_equal(ignored & (1ULL << (SIGPIPE - 1)), 0);
	sf_script_result_free(&result);

	s = make(script("sleeper.sh", "exec sleep 100"));
	s.timeout_ms = 300;
	s.term_grace_ms = 3000;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
	assert_true(result.timed_out);
	assert_int_equal(result.exit_status, -SIGTERM);
	assert_true(result.duration_ns < 3000000000ULL);
	sf_script_result_free(&result);
}

/* A readable abort_fd stops the script as its timeout would, without retries. */
static void abort_fd_stops_the_script_without_retry(void **state)
{
	struct sf_script s = make(script("long.sh", "echo attempt; sleep 100"));
	struct sf_script_result result;
	struct sf_error err;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	s.abort_fd = fds[0];
	s.retries = 3;
	s.timeout_ms = 60000;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_true(result.aborted);
	assert_true(result.timed_out);
	assert_int_equal(result.attempts, 1);
	assert_int_equal(result.exit_status, -SIGTERM);
	assert_true(result.duration_ns < 5000000000ULL);
	close(fds[0]);
	close(fds[1]);
	sf_script_result_free(&result);
}

static void missing_script_fails_with_a_message(void **state)
{
	struct sf_script s = make("/nonexistent/pre.sh");
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_int_equal(result.exit_status, 127);
	assert_non_null(strstr(result.output,
			       "cannot run /nonexistent/pre.sh: No such file or directory"));
	sf_script_result_free(&result);
}

static int setup(void **state)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return tempdir_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(success_with_output_and_args),
		cmocka_unit_test(failure_reported),
		cmocka_unit_test(timeout_kills_the_process_tree),
		cmocka_unit_test(sigterm_ignored_then_killed),
		cmocka_unit_test(retries_really_rerun),
		cmocka_unit_test(output_bounded),
		cmocka_unit_test(script_gets_default_signals_despite_the_commands_mask),
		cmocka_unit_test(abort_fd_stops_the_script_without_retry),
		cmocka_unit_test(missing_script_fails_with_a_message),
	};

	return cmocka_run_group_tests_name("scripts", tests, setup, tempdir_teardown);
}
