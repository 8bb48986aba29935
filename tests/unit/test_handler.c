// SPDX-License-Identifier: GPL-2.0
/* snapfreeze handler: a sequence number processed once, and a running snapshot stopped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "handler.h"
#include "tempdir.h"

static int setup(void **state)
{
	char text[1024];

	if (tempdir_setup(state))
		return -1;
	snprintf(text, sizeof(text),
		 "[{\"name\": \"Microsoft.Azure.RecoveryServices.VMSnapshotLinux\", \"version\": 1.0, "
		 "\"handlerEnvironment\": {\"logFolder\": \"%s/log\", \"configFolder\": \"%s\", "
		 "\"statusFolder\": \"%s/status\", \"heartbeatFile\": \"%s/heartbeat.log\"}}]",
		 dir, dir, dir, dir);
	tempdir_write("HandlerEnvironment.json", text, 0644);
	mkdir(tempdir_path("status"), 0755);
	setenv("SNAPFREEZE_HANDLER_ENVIRONMENT", tempdir_path("HandlerEnvironment.json"), 1);
	setenv("ConfigSequenceNumber", "6", 1);
	return 0;
}

static int handler(const char *what, struct sf_error *err)
{
	char *argv[] = { "snapfreeze", "handler", (char *)what, NULL };

	return sf_main(3, argv, err);
}

/* The platform's "install" command: done at once, reported, and N marked processed. */
static void enable_of_an_install_command(void **state)
{
	struct sf_error err;

	(void)state;
	unlink(tempdir_path("mrseq"));
	tempdir_write("6.settings",
		      "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": "
		      "{\"commandToExecute\": \"install\", \"taskId\": \"t-6\"}}}]}", 0644);
	assert_int_equal(handler("enable", &err), SF_EXIT_OK);
	assert_string_equal(tempdir_read(tempdir_path("mrseq")), "6");
	assert_non_null(strstr(tempdir_read(tempdir_path("status/6.status")),
			       "\"status\":\"success\",\"code\":1,\"taskId\":\"t-6\""));
}

/* A sequence number processed already: nothing run, nothing written. */
static void processed_sequence_not_run_again(void **state)
{
	struct sf_error err;

	(void)state;
	tempdir_write("mrseq", "6", 0644);
	unlink(tempdir_path("status/6.status"));
	tempdir_write("6.settings", "not even JSON", 0644);
	assert_int_equal(handler("enable", &err), SF_EXIT_OK);
	assert_null(tempdir_read(tempdir_path("status/6.status")));
}

/* Refused settings: Azure's error_parameter in the status, N not marked. */
static void enable_with_bad_settings(void **state)
{
	struct sf_error err;

	(void)state;
	unlink(tempdir_path("mrseq"));
	tempdir_write("6.settings", "{\"runtimeSettings\": []}", 0644);
	assert_int_equal(handler("enable", &err), -1);
	assert_non_null(strstr(err.msg, "6.settings: must be"));
	assert_non_null(strstr(tempdir_read(tempdir_path("status/6.status")),
			       "\"status\":\"error\",\"code\":11"));
	assert_null(tempdir_read(tempdir_path("mrseq")));
}

/* A lock held by a "snapshot": SIGTERM, and waited for until it is gone. */
static void running_snapshot_stopped(void **state)
{
	const char *lock = tempdir_path("snapfreeze.lock");
	struct sf_error err;
	int ready[2], status;
	pid_t child;

	(void)state;
	assert_int_equal(sf_handler_stop_snapshot(lock, 1000, &err), 0);	/* none */
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		int fd = open(lock, O_RDWR | O_CREAT, 0600);

		if (fd < 0 || flock(fd, LOCK_EX))
			_exit(1);
		dprintf(fd, "%d\n", (int)getpid());
		close(ready[0]);
		close(ready[1]);	/* locked */
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &status, 1), 0);
	close(ready[0]);
	assert_int_equal(sf_handler_stop_snapshot(lock, 5000, &err), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	/* The lock is free again, the file still there: none runs. */
	assert_int_equal(sf_handler_stop_snapshot(lock, 1000, &err), 0);
}

static void disable_reports(void **state)
{
	struct sf_error err;

	(void)state;
	assert_int_equal(handler("disable", &err), SF_EXIT_OK);
	assert_non_null(strstr(tempdir_read(tempdir_path("status/6.status")),
			       "\"operation\":\"Disable\",\"status\":\"success\",\"code\":0"));
	assert_int_equal(handler("bogus", &err), -1);
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enable_of_an_install_command),
		cmocka_unit_test(processed_sequence_not_run_again),
		cmocka_unit_test(enable_with_bad_settings),
		cmocka_unit_test(running_snapshot_stopped),
		cmocka_unit_test(disable_reports),
	};

	return cmocka_run_group_tests_name("handler", tests, setup, tempdir_teardown);
}
