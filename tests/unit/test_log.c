// SPDX-License-Identifier: GPL-2.0
/* extension.log: line format, holding while frozen, rotation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "tempdir.h"

static char path[256];

static struct sf_log *open_log(struct sf_log_limits limits)
{
	struct sf_error err;
	struct sf_log *log;

	snprintf(path, sizeof(path), "%s/a/b/extension.log", dir);
	remove(path);
	log = sf_log_open(path, limits, &err);
	assert_non_null(log);
	return log;
}

static void line_format(void **state)
{
	struct sf_log *log = open_log(SF_LOG_DEFAULT_LIMITS);
	regex_t re;

	(void)state;
	sf_log_write(log, SF_LOG_INFO, "before any snapshot");
	sf_log_set_snapshot(log, "snap-42");
	sf_log_write(log, SF_LOG_ERROR, "pre-script failed: exit %d", 3);
	sf_log_close(log);
	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
				 "INFO \\[-\\] before any snapshot\n"
				 "[0-9-]{10}T[0-9:.]{12}Z ERROR \\[snap-42\\] pre-script failed: exit 3\n$",
				 REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, tempdir_read(path), 0, NULL, 0), 0);
	regfree(&re);
}

/* A message never makes more than one line, nor one past the limit. */
static void one_line_per_message(void **state)
{
	struct sf_log *log = open_log(SF_LOG_DEFAULT_LIMITS);
	char *long_text = malloc(2 * SF_LOG_MAX_LINE), *text, *newline;

	(void)state;
	assert_non_null(long_text);
	memset(long_text, 'x', 2 * SF_LOG_MAX_LINE - 1);
	long_text[2 * SF_LOG_MAX_LINE - 1] = '\0';
	sf_log_write(log, SF_LOG_INFO, "host: %s", "ok\n2026-01-01T00:00:00.000Z INFO forged\r\t");
	sf_log_write(log, SF_LOG_INFO, "%s", long_text);
	sf_log_close(log);
	free(long_text);
	text = tempdir_read(path);
	assert_non_null(strstr(text, "] host: ok 2026-01-01T00:00:00.000Z INFO forged  \n"));
	newline = strchr(text, '\n');
	assert_non_null(newline);
	assert_int_equal(strlen(newline + 1), SF_LOG_MAX_LINE - 1);
	assert_non_null(strstr(newline + 1, "xxx [truncated]\n"));
}

static void directories_and_file_modes(void **state)
{
	char parent[256];
	struct stat st;

	(void)state;
	sf_log_close(open_log(SF_LOG_DEFAULT_LIMITS));
	snprintf(parent, sizeof(parent), "%s/a/b", dir);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750 & ~umask(022));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~umask(022));
}

/* Nothing reaches the file between hold and release. */
static void held_while_frozen(void **state)
{
	struct sf_log *log = open_log(SF_LOG_DEFAULT_LIMITS);
	struct sf_error err;

	(void)state;
	sf_log_write(log, SF_LOG_INFO, "freezing");
	sf_log_hold(log);
	sf_log_write(log, SF_LOG_INFO, "frozen");
	sf_log_write(log, SF_LOG_INFO, "host answered");
	assert_null(strstr(tempdir_read(path), "frozen"));
	assert_int_equal(sf_log_release(log, &err), 0);
	sf_log_write(log, SF_LOG_INFO, "thawed");
	sf_log_close(log);
	assert_non_null(strstr(tempdir_read(path), "freezing\n"));
	assert_non_null(strstr(strstr(tempdir_read(path), "freezing\n"), "frozen\n"));
	assert_non_null(strstr(strstr(tempdir_read(path), "host answered\n"), "thawed\n"));
}

static void held_lines_bounded(void **state)
{
	struct sf_log_limits limits = SF_LOG_DEFAULT_LIMITS;
	struct sf_log *log;
	struct sf_error err;
	int i;

	(void)state;
	limits.hold_limit = 200;
	log = open_log(limits);
	sf_log_hold(log);
	for (i = 0; i < 10; i++)
		sf_log_write(log, SF_LOG_INFO, "line %d", i);
	assert_int_equal(sf_log_release(log, &err), 0);
	sf_log_close(log);
	/* Lines are 41 bytes: 4 fit in 200, 6 are dropped and counted. */
	assert_non_null(strstr(tempdir_read(path), "line 3\n"));
	assert_null(strstr(tempdir_read(path), "line 4\n"));
	assert_non_null(strstr(tempdir_read(path),
			       "WARNING [-] 6 lines written while frozen were dropped (more than 200 bytes)"));
}

static void rotated_by_size(void **state)
{
	struct sf_log_limits limits = SF_LOG_DEFAULT_LIMITS;
	char rotated[300];
	struct sf_log *log;
	struct stat st;
	int i;

	(void)state;
	limits.max_bytes = 1000;
	limits.keep = 2;
	log = open_log(limits);
	for (i = 0; i < 100; i++)
		sf_log_write(log, SF_LOG_INFO, "entry %03d", i);
	sf_log_close(log);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 1000);
	assert_non_null(strstr(tempdir_read(path), "entry 099"));
	snprintf(rotated, sizeof(rotated), "%s.2", path);
	assert_non_null(tempdir_read(rotated));
	snprintf(rotated, sizeof(rotated), "%s.3", path);
	assert_null(tempdir_read(rotated));
}

static void unwritable_place_named(void **state)
{
	struct sf_error err;

	(void)state;
	assert_null(sf_log_open("/proc/snapfreeze/extension.log",
				SF_LOG_DEFAULT_LIMITS, &err));
	assert_non_null(strstr(err.msg, "/proc/snapfreeze"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_format),
		cmocka_unit_test(one_line_per_message),
		cmocka_unit_test(directories_and_file_modes),
		cmocka_unit_test(held_while_frozen),
		cmocka_unit_test(held_lines_bounded),
		cmocka_unit_test(rotated_by_size),
		cmocka_unit_test(unwritable_place_named),
	};

	return cmocka_run_group_tests_name("log", tests, tempdir_setup, tempdir_teardown);
}
