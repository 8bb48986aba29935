// SPDX-License-Identifier: GPL-2.0
/* Atomic status files and Azure's handler status format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "status.h"
#include "tempdir.h"


static int files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	int n = 0;

	assert_non_null(d);
	while ((entry = readdir(d)))
		n += entry->d_name[0] != '.';
	closedir(d);
	return n;
}

static void replaced_whole_no_temporary_left(void **state)
{
	struct sf_error err;
	char path[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/result.json", dir);
	assert_int_equal(sf_write_file_atomic(path, "first, longer text\n", 0600, &err), 0);
	assert_int_equal(sf_write_file_atomic(path, "second\n", 0644, &err), 0);
	assert_string_equal(tempdir_read(path), "second\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(files_in_dir(), 1);
}

static void missing_folder_named(void **state)
{
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_write_file_atomic("/nonexistent/dir/x.status", "x", 0644,
					      &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/x.status: cannot create a temporary file"));
}

static void azure_status_format(void **state)
{
	struct sf_error err;
	cJSON *json, *status, *message;
	char path[256];

	(void)state;
	assert_int_equal(sf_azure_status_write(dir, 7, "Enable", SF_AZURE_ERROR, 5,
					       "pre-script failed", &err), 0);
	snprintf(path, sizeof(path), "%s/7.status", dir);
	json = cJSON_Parse(tempdir_read(path));
	assert_non_null(json);
	assert_true(cJSON_IsArray(json));
	assert_int_equal(cJSON_GetArraySize(json), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetArrayItem(json, 0), "version")), "1.0");
	status = cJSON_GetObjectItem(cJSON_GetArrayItem(json, 0), "status");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(status, "name")),
			    "Microsoft.Azure.RecoveryServices.VMSnapshotLinux");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(status, "operation")),
			    "Enable");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(status, "status")),
			    "error");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(status, "code")), 5);
	message = cJSON_GetObjectItem(status, "formattedMessage");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(message, "lang")), "en-US");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(message, "message")),
			    "pre-script failed");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(status, "substatus")));
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(
					cJSON_GetArrayItem(json, 0), "timestampUTC")), "Z"));
	cJSON_Delete(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replaced_whole_no_temporary_left),
		cmocka_unit_test(missing_folder_named),
		cmocka_unit_test(azure_status_format),
	};

	return cmocka_run_group_tests_name("status", tests, tempdir_setup, tempdir_teardown);
}
