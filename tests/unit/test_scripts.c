// SPDX-License-Identifier: GPL-2.0
/* The pre/post-script runner, on real scripts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scripts.h"
#include "spawn.h"
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

/*
 * The timeout bounds every run together, as Azure's timeoutInSeconds
 * bounds a script: failing runs of 150 ms each with retries to spare are
 * stopped at 400 ms, the third killed, no fourth started.
 */
static void timeout_bounds_all_attempts(void **state)
{
	struct sf_script s = make(script("slowfail.sh", "echo run; sleep 0.15; exit 1"));
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	s.retries = 10;
	s.timeout_ms = 400;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_int_equal(result.attempts, 3);
	assert_true(result.timed_out);
	assert_true(result.duration_ns < 2000000000ULL);
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

static void missing_script_refused(void **state)
{
	struct sf_script s = make("/nonexistent/pre.sh");
	struct sf_script_result result;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_script_run(&s, &result, &err), -1);
	assert_string_equal(err.msg, "/nonexistent/pre.sh: No such file or directory");
}

/* A folder on the path that group or others can write: refused, the folder named. */
static void script_in_a_writable_folder_refused(void **state)
{
	char folder[256], path[300], expected[1200];
	struct sf_script_result result;
	struct sf_script s;
	struct sf_error err;

	(void)state;
	snprintf(folder, sizeof(folder), "%s/shared", dir);
	assert_int_equal(mkdir(folder, 0775), 0);
	assert_int_equal(chmod(folder, 0775), 0);
	snprintf(path, sizeof(path), "%s/shared/pre.sh", dir);
	assert_int_equal(rename(script("shared-pre.sh", "echo ran"), path), 0);
	s = make(path);
	assert_int_equal(sf_script_run(&s, &result, &err), -1);
	snprintf(expected, sizeof(expected),
		 "%s: folder %s has mode 0775, must not be writable by group or others", path,
		 folder);
	assert_string_equal(err.msg, expected);
}

/* A symlink is followed, and the folders of its target are what is checked. */
static void symlink_into_a_folder_of_another_owner_refused(void **state)
{
	char folder[256], target[300], link[300];
	struct sf_script_result result;
	struct sf_script s;
	struct sf_error err;

	(void)state;
	snprintf(folder, sizeof(folder), "%s/users", dir);
	assert_int_equal(mkdir(folder, 0755), 0);
	snprintf(target, sizeof(target), "%s/pre.sh", folder);
	assert_int_equal(rename(script("users-pre.sh", "echo ran"), target), 0);
	assert_int_equal(chown(folder, 1000, 1000), 0);
	snprintf(link, sizeof(link), "%s/link.sh", dir);
	assert_int_equal(symlink(target, link), 0);
	s = make(link);
	assert_int_equal(sf_script_run(&s, &result, &err), -1);
	assert_non_null(strstr(err.msg, "is owned by uid 1000, must be owned by root"));
	assert_non_null(strstr(err.msg, folder));
	/* Its folder owned by root again: the same link runs. */
	assert_int_equal(chown(folder, 0, 0), 0);
	assert_int_equal(sf_script_run(&s, &result, &err), 0);
	assert_string_equal(result.output, "ran\n");
	sf_script_result_free(&result);
}

/*
 * The first attempt renames another script onto its own path, then fails:
 * the retry runs the file that was checked, not the one now at the path.
 */
static void a_rename_after_the_check_runs_nothing_else(void **state)
{
	char body[600], evil[300];
	struct sf_script_result result;
	struct sf_script s;
	struct sf_error err;
	const char *path;

	(void)state;
	snprintf(evil, sizeof(evil), "%s", script("evil.sh", "echo evil"));
	snprintf(body, sizeof(body), "echo checked; mv %s %s/swapped.sh 2>/dev/null; exit 1",
		 evil, dir);
	path = script("swapped.sh", body);
	s = make(path);
	s.retries = 1;
	assert_int_equal(sf_script_run(&s, &result, &err), 1);
	assert_int_equal(result.attempts, 2);
	assert_string_equal(result.output, "checked\n");
	sf_script_result_free(&result);
}

/*
 * Nothing of ours reaches a script: no descriptor but 0-2 (and its own,
 * which its interpreter reads), no variable but the fixed environment,
 * umask 022, working folder /.
 */
static void a_script_gets_nothing_of_ours(void **state)
{
	char marker[300], self[300];
	struct sf_script_result result;
	struct sf_script s;
	struct sf_error err;
	int leaked, seen = 0;
	mode_t mask;
	char *line;

	(void)state;
	snprintf(marker, sizeof(marker), "%s/leaked-descriptor", dir);
	leaked = open(marker, O_CREAT | O_WRONLY, 0600);	/* no O_CLOEXEC */
	assert_true(leaked > 2);
	setenv("LD_PRELOAD", "/nonexistent/preload.so", 1);
	setenv("SNAPFREEZE_SECRET", "ours", 1);
	mask = umask(077);
	s = make(script("probe.sh",
			"echo \"umask $(umask) cwd $(pwd)\"; env | grep -v '^PWD=' | sort; "
			"find /proc/$$/fd -mindepth 1 -printf 'fd %f %l\\n'"));
	snprintf(self, sizeof(self), "%s/probe.sh", dir);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(sf_script_run(&s, &result, &err), 0);
	umask(mask);
	unsetenv("LD_PRELOAD");
	unsetenv("SNAPFREEZE_SECRET");
	close(leaked);
	assert_int_equal(chdir("/"), 0);
	line = strtok(result.output, "\n");
	assert_string_equal(line, "umask 0022 cwd /");
	assert_string_equal(strtok(NULL, "\n"), "HOME=/");
	assert_string_equal(strtok(NULL, "\n"), "PATH=" SF_SPAWN_PATH);
	while ((line = strtok(NULL, "\n"))) {
		char target[300];
		int fd;

		seen++;

		/* The shell's: its script, read by its interpreter. */
		assert_int_equal(sscanf(line, "fd %d %299s", &fd, target), 2);
		if (fd > 2 && strcmp(target, self))
			fail_msg("descriptor %d (%s) reached the script", fd, target);
	}
	assert_true(seen >= 3);
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
		cmocka_unit_test(timeout_bounds_all_attempts),
		cmocka_unit_test(output_bounded),
		cmocka_unit_test(script_gets_default_signals_despite_the_commands_mask),
		cmocka_unit_test(abort_fd_stops_the_script_without_retry),
		cmocka_unit_test(missing_script_refused),
		cmocka_unit_test(script_in_a_writable_folder_refused),
		cmocka_unit_test(symlink_into_a_folder_of_another_owner_refused),
		cmocka_unit_test(a_rename_after_the_check_runs_nothing_else),
		cmocka_unit_test(a_script_gets_nothing_of_ours),
	};

	return cmocka_run_group_tests_name("scripts", tests, setup, tempdir_teardown);
}
