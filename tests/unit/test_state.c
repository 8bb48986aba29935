// SPDX-License-Identifier: GPL-2.0
/* The consistency fallback across snapshots, kept in a state file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state.h"
#include "tempdir.h"


/* One snapshot as the workflow runs it: load, decide, maybe fail, save. */
static bool snapshot(bool scripts_fail)
{
	struct sf_state state;
	struct sf_error err;
	bool run_scripts;

	assert_int_equal(sf_state_load(dir, &state, &err), 0);
	run_scripts = sf_state_take_turn(&state);
	if (run_scripts && scripts_fail)
		sf_state_note_script_failure(&state);
	assert_int_equal(sf_state_save(dir, &state, &err), 0);
	return run_scripts;
}

static void three_filesystem_snapshots_after_a_failure(void **state)
{
	(void)state;
	assert_true(snapshot(false));
	assert_true(snapshot(true));	/* fails: application */
	assert_false(snapshot(false));	/* 1st: filesystem only */
	assert_false(snapshot(false));	/* 2nd */
	assert_false(snapshot(false));	/* 3rd */
	assert_true(snapshot(false));	/* 4th: application again */
	assert_true(snapshot(false));
}

static void corrupt_state_named(void **state)
{
	struct sf_state loaded;
	struct sf_error err;
	char path[256];
	FILE *file;

	(void)state;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	file = fopen(path, "w");
	assert_non_null(file);
	fputs("{\"filesystem_only_left\": \"many\"}", file);
	fclose(file);
	assert_int_equal(sf_state_load(dir, &loaded, &err), 1);
	assert_non_null(strstr(err.msg, "state.json: not a snapfreeze state: starting afresh"));
	assert_int_equal(loaded.filesystem_only_left, 0);
	remove(path);
	assert_int_equal(sf_state_load(dir, &loaded, &err), 0);
	assert_int_equal(loaded.filesystem_only_left, 0);
}

/* A fresh install has no state folder: it is made, for the owner alone. */
static void state_folder_made_when_missing(void **state)
{
	struct sf_error err;
	char folder[256], path[300];
	struct stat st;

	(void)state;
	snprintf(folder, sizeof(folder), "%s/fresh", dir);
	snprintf(path, sizeof(path), "%s/last-snapshot.json", folder);
	assert_int_equal(sf_state_write(folder, "last-snapshot.json", "{}\n", 0644, &err), 0);
	assert_int_equal(stat(folder, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Not over a file: named. */
	assert_int_equal(sf_state_write(path, "x", "{}\n", 0644, &err), -1);
	assert_non_null(strstr(err.msg, "last-snapshot.json/x: cannot create a temporary file: "
				       "Not a directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(three_filesystem_snapshots_after_a_failure),
		cmocka_unit_test(corrupt_state_named),
		cmocka_unit_test(state_folder_made_when_missing),
	};

	return cmocka_run_group_tests_name("state", tests, tempdir_setup, tempdir_teardown);
}
