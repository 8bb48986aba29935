// SPDX-License-Identifier: GPL-2.0
/*
 * The degraded freeze's refusals. Freezing itself needs a filesystem this
 * machine can spare: the VM tests do that.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "fifreeze.h"
#include "tempdir.h"

static void expect_refused(const char *mount_point, const char *message)
{
	struct sf_mount mount = {
		.mount_point = (char *)mount_point,
		.fstype = "ext4",
		.source = "/dev/null",
	};
	struct sf_session_info session;
	struct sf_error err = { 0 };

	assert_null(sf_fifreeze_freeze(&mount, 1, 1000, &session, &err));
	assert_non_null(strstr(err.msg, message));
	assert_int_equal(session.n_targets, 0);
	/* The watchdog process is reaped: no child is left. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void a_missing_mount_point_is_named(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	expect_refused(path, "missing: No such file or directory");
}

static void a_file_is_not_a_mount_point(void **state)
{
	char path[64];
	FILE *file;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", dir);
	file = fopen(path, "w");
	assert_non_null(file);
	fclose(file);
	expect_refused(path, "file: Not a directory");
}

static void nothing_to_freeze_is_refused(void **state)
{
	struct sf_session_info session;
	struct sf_error err = { 0 };

	(void)state;
	assert_null(sf_fifreeze_freeze(NULL, 0, 1000, &session, &err));
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "0 filesystems"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_missing_mount_point_is_named),
		cmocka_unit_test(a_file_is_not_a_mount_point),
		cmocka_unit_test(nothing_to_freeze_is_refused),
	};

	return cmocka_run_group_tests_name("fifreeze", tests, tempdir_setup,
					   tempdir_teardown);
}
