// SPDX-License-Identifier: GPL-2.0
/* Starting children: what they get of ours, how they are stopped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* Runs /bin/sh -c command; its standard output, NUL-terminated (static). */
static const char *output_of(const char *command)
{
	static char text[4096];
	struct sf_child child;
	struct sf_error err;
	size_t len = 0;
	ssize_t got;
	int out[2];

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(sf_spawn_shell(command, (const int[]){ -1, out[1], -1 }, &child, &err),
			 0);
	close(out[1]);
	while ((got = read(out[0], text + len, sizeof(text) - 1 - len)) > 0)
		len += got;
	close(out[0]);
	text[len] = '\0';
	assert_int_equal(sf_child_reap(&child), 0);
	return text;
}

static void exec_failure_reported(void **state)
{
	const char *const argv[] = { "prog", NULL };
	struct sf_spawn spawn = {
		.path = "/nonexistent/prog",
		.exec_fd = -1,
		.argv = argv,
		.stdio = { -1, -1, -1 },
	};
	struct sf_child child;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_spawn(&spawn, &child, &err), -1);
	assert_string_equal(err.msg, "cannot run /nonexistent/prog: No such file or directory");
	assert_int_equal(child.pid, -1);
}

/* A descriptor we left open, our variables, umask and folder: none reaches it. */
static void the_child_gets_nothing_of_ours(void **state)
{
	/* 42, clear of 3, the descriptor ls lists its folder with; no O_CLOEXEC */
	int leaked = dup2(open("/dev/zero", O_RDONLY), 42);
	mode_t mask = umask(077);

	(void)state;
	assert_int_equal(leaked, 42);
	setenv("LD_PRELOAD", "/nonexistent/preload.so", 1);
	assert_int_equal(chdir("/tmp"), 0);
	assert_string_equal(output_of("ls /proc/self/fd | grep -v '^[0-3]$'; umask; pwd; "
				      "env | grep -v '^PWD=' | sort"),
			    "0022\n/\nHOME=/\nPATH=" SF_SPAWN_PATH "\n");
	unsetenv("LD_PRELOAD");
	umask(mask);
	close(leaked);
}

/* In a forked child: the fds it has, its group, signals, umask and folder, to 3. */
static _Noreturn void describe_self(void)
{
	DIR *fds = opendir("/proc/self/fd");
	FILE *report = fdopen(3, "w");
	const struct dirent *entry;
	struct sigaction action;
	mode_t mask_bits = umask(0);
	char cwd[64];
	sigset_t mask;

	while ((entry = readdir(fds)))
		if (entry->d_name[0] != '.' && atoi(entry->d_name) != dirfd(fds))
			fprintf(report, "%s ", entry->d_name);
	closedir(fds);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigaction(SIGUSR1, NULL, &action);
	fprintf(report, "group %d, TERM %s, USR1 %s, umask %04o, in %s",
		getpgid(0) == getpid(), sigismember(&mask, SIGTERM) ? "blocked" : "open",
		action.sa_handler == SIG_DFL ? "default" : "ours", mask_bits,
		getcwd(cwd, sizeof(cwd)));
	_exit(fclose(report) ? 1 : 0);
}

/*
 * A forked child keeps the descriptor it is given, as 3, /dev/null as 0 to
 * 2, and nothing else of ours: no other fd, blocked signal or handler,
 * umask or folder.
 */
static void fork_keeps_only_what_it_is_given(void **state)
{
	int leaked = dup2(open("/dev/zero", O_RDONLY), 42), report[2], status;
	mode_t mask = umask(077);
	struct sf_child child;
	struct sf_error err;
	char text[256] = "";
	sigset_t term, old;

	(void)state;
	assert_int_equal(leaked, 42);
	assert_int_equal(chdir("/tmp"), 0);
	signal(SIGUSR1, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	status = sf_fork("a child", report[1], &child, &err);
	if (!status)
		describe_self();
	assert_int_equal(status, 1);
	close(report[1]);
	assert_true(read(report[0], text, sizeof(text) - 1) > 0);
	assert_string_equal(text, "0 1 2 3 group 1, TERM open, USR1 default, umask 0022, in /");
	assert_int_equal(sf_child_reap(&child), 0);
	close(report[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	umask(mask);
	close(leaked);
}

/* SIGTERM ignored: SIGKILL after the grace, and to what it started. */
static void stop_kills_the_group(void **state)
{
	struct sf_child child;
	struct sf_error err;
	char ready[6];
	int status, out[2];

	(void)state;
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(sf_spawn_shell("trap '' TERM; sleep 100 & echo ready; "
					"while :; do sleep 1; done",
					(const int[]){ -1, out[1], -1 }, &child, &err), 0);
	close(out[1]);
	/* Its trap is set once it says so. */
	assert_int_equal(read(out[0], ready, sizeof(ready)), 6);
	status = sf_child_stop(&child, 100);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(child.pid, -1);
	/* The background sleep held the pipe: it is closed once that died too. */
	assert_int_equal(read(out[0], ready, sizeof(ready)), 0);
	close(out[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_failure_reported),
		cmocka_unit_test(the_child_gets_nothing_of_ours),
		cmocka_unit_test(stop_kills_the_group),
		cmocka_unit_test(fork_keeps_only_what_it_is_given),
	};

	return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
