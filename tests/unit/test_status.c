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

#include "azure_codes.h"
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

/* DIR/SEQ.status parsed, and its "status" object. */
static cJSON *read_status(unsigned int seq, cJSON **status)
{
	char path[256];
	cJSON *json;

	snprintf(path, sizeof(path), "%s/%u.status", dir, seq);
	json = cJSON_Parse(tempdir_read(path));
	assert_non_null(json);
	assert_true(cJSON_IsArray(json));
	assert_int_equal(cJSON_GetArraySize(json), 1);
	*status = cJSON_GetObjectItem(cJSON_GetArrayItem(json, 0), "status");
	assert_non_null(*status);
	return json;
}

static const char *string_of(const cJSON *object, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(object, key));
}

/* The fields and shapes of Azure's extension, a failure with its code. */
static void azure_status_format(void **state)
{
	const struct sf_azure_status failure = {
		.version = "1.0.9225.0",
		.operation = SF_AZURE_OPERATION,
		.state = SF_AZURE_STATE_ERROR,
		.code = SF_AZURE_PRE_SCRIPT_FAILED,
		.message = "pre-script failed",
		.consistency = SF_AZURE_CONSISTENCY_NONE,
		.task_id = "task-1",
		.start_ticks = "639003564000000000",
		.report = "{\"id\":\"1-2\",\"status\":\"error\"}",
	};
	cJSON *json, *status, *message, *substatus, *inner;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_azure_status_write(dir, 7, &failure, &err), 0);
	json = read_status(7, &status);
	assert_string_equal(string_of(cJSON_GetArrayItem(json, 0), "version"), "1.0.9225.0");
	assert_non_null(strstr(string_of(cJSON_GetArrayItem(json, 0), "timestampUTC"), "Z"));
	assert_string_equal(string_of(status, "name"),
			    "Microsoft.Azure.RecoveryServices.VMSnapshotLinux");
	assert_string_equal(string_of(status, "operation"), "Enable");
	assert_string_equal(string_of(status, "status"), "error");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(status, "code")), 300);
	assert_string_equal(string_of(status, "taskId"), "task-1");
	assert_string_equal(string_of(status, "commandStartTimeUTCTicks"), "639003564000000000");
	message = cJSON_GetObjectItem(status, "formattedMessage");
	assert_string_equal(string_of(message, "lang"), "en-US");
	/* The message is JSON itself: Azure's extension response. */
	inner = cJSON_Parse(string_of(message, "message"));
	assert_non_null(inner);
	assert_string_equal(string_of(inner, "messageStr"), "pre-script failed");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(inner, "snapshotConsistency")), 0);
	assert_string_equal(string_of(inner, "jobMessage"), "");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(inner, "isSizeComputationFailed")));
	cJSON_Delete(inner);
	/* The full report, in the one substatus's name. */
	substatus = cJSON_GetObjectItem(status, "substatus");
	assert_int_equal(cJSON_GetArraySize(substatus), 1);
	assert_string_equal(string_of(cJSON_GetArrayItem(substatus, 0), "name"), failure.report);
	assert_string_equal(string_of(cJSON_GetArrayItem(substatus, 0), "status"), "success");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(substatus, 0),
						     "formattedMessage")));
	cJSON_Delete(json);
}

/* Transitioning: no report yet, no task: empty substatus, nulls. */
static void azure_status_transitioning(void **state)
{
	const struct sf_azure_status transitioning = {
		.operation = SF_AZURE_OPERATION,
		.state = SF_AZURE_TRANSITIONING,
		.code = SF_AZURE_TRANSITIONING_CODE,
		.message = "snapshot starting",
		.consistency = SF_AZURE_CONSISTENCY_APPLICATION,
	};
	cJSON *json, *status, *inner;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_azure_status_write(dir, 8, &transitioning, &err), 0);
	json = read_status(8, &status);
	assert_string_equal(string_of(cJSON_GetArrayItem(json, 0), "version"), "1.0");
	assert_string_equal(string_of(status, "status"), "transitioning");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(status, "code")), 4);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(status, "taskId")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(status, "commandStartTimeUTCTicks")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(status, "substatus")), 0);
	inner = cJSON_Parse(string_of(cJSON_GetObjectItem(status, "formattedMessage"), "message"));
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(inner, "snapshotConsistency")), 2);
	cJSON_Delete(inner);
	cJSON_Delete(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replaced_whole_no_temporary_left),
		cmocka_unit_test(missing_folder_named),
		cmocka_unit_test(azure_status_format),
		cmocka_unit_test(azure_status_transitioning),
	};

	return cmocka_run_group_tests_name("status", tests, tempdir_setup, tempdir_teardown);
}
