// SPDX-License-Identifier: GPL-2.0
/*
 * The degraded freeze's refusals and order. Freezing itself needs a
 * filesystem this machine can spare: the VM tests do that. /proc and /sys
 * refuse FIFREEZE: the first one tried names itself.
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
#include "storage.h"
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

	assert_null(sf_fifreeze_freeze(&mount, NULL, 1, 1000, &session, &err));
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
	assert_null(sf_fifreeze_freeze(NULL, NULL, 0, 1000, &session, &err));
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "0 filesystems"));
}

static void expect_first_tried(const struct sf_stored_on *stored_on, const char *message)
{
	static const struct sf_mount mounts[] = {
		{ .mount_point = "/proc", .fstype = "proc", .source = "proc" },
		{ .mount_point = "/sys", .fstype = "sysfs", .source = "sysfs" },
	};
	struct sf_session_info session;
	struct sf_error err = { 0 };

	assert_null(sf_fifreeze_freeze(mounts, stored_on, 2, 1000, &session, &err));
	/* Not supported; or, without CAP_SYS_ADMIN, not permitted. */
	if (strncmp(err.msg, message, strlen(message)))
		fail_msg("'%s' does not begin with '%s'", err.msg, message);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

/* Without an order, the mounts' own; /sys stored on /proc goes first. */
static void a_filesystem_is_frozen_before_those_it_is_stored_on(void **state)
{
	static uint32_t on_proc[] = { 0 };
	static const struct sf_stored_on sys_on_proc[] = { { NULL, 0 }, { on_proc, 1 } };

	(void)state;
	expect_first_tried(NULL, "fifreeze: /proc: Operation not ");
	expect_first_tried(sys_on_proc, "fifreeze: /sys: Operation not ");
}

static void a_cycle_is_refused_before_anything_is_frozen(void **state)
{
	static uint32_t on_proc[] = { 0 }, on_sys[] = { 1 };
	static const struct sf_stored_on cycle[] = { { on_sys, 1 }, { on_proc, 1 } };

	(void)state;
	expect_first_tried(cycle, "fifreeze: /proc: the filesystems are stored on each other "
			   "in a cycle: no order freezes them");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_missing_mount_point_is_named),
		cmocka_unit_test(a_file_is_not_a_mount_point),
		cmocka_unit_test(nothing_to_freeze_is_refused),
		cmocka_unit_test(a_filesystem_is_frozen_before_those_it_is_stored_on),
		cmocka_unit_test(a_cycle_is_refused_before_anything_is_frozen),
	};

	return cmocka_run_group_tests_name("fifreeze", tests, tempdir_setup,
					   tempdir_teardown);
}
