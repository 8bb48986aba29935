// SPDX-License-Identifier: GPL-2.0
/*
 * Azure's rules for the applications' scripts, end to end through
 * `snapfreeze snapshot` as the extension handler: the code and the
 * consistency in N.status, and which scripts ran. fsFreezeEnabled is false
 * (nothing is frozen here), and the host an exec: script that says yes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "azure_codes.h"
#include "commands.h"
#include "tempdir.h"

static char trace_path[300], state_dir[300];

static int setup(void **state)
{
	char text[2048];

	if (tempdir_setup(state))
		return -1;
	snprintf(trace_path, sizeof(trace_path), "%s/trace", dir);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\necho pre >>%s\nsleep \"$(cat %s/pre-sleep 2>/dev/null || echo 0)\"\n"
		 "exit \"$(cat %s/pre-exit 2>/dev/null || echo 0)\"\n", trace_path, dir, dir);
	tempdir_write("pre.sh", text, 0700);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\necho post >>%s\nexit \"$(cat %s/post-exit 2>/dev/null || echo 0)\"\n",
		 trace_path, dir);
	tempdir_write("post.sh", text, 0700);
	tempdir_write("host.sh",
		      "#!/bin/sh\nread -r request\n"
		      "id=$(printf '%s' \"$request\" | sed -n 's/.*\"id\":\"\\([^\"]*\\)\".*/\\1/p')\n"
		      "echo \"{\\\"type\\\":\\\"result\\\",\\\"version\\\":1,\\\"id\\\":\\\"$id\\\","
		      "\\\"ok\\\":true,\\\"snapshot\\\":\\\"s-$id\\\"}\"\n", 0700);
	snprintf(text, sizeof(text), "{\"host\": \"exec:%s/host.sh\"}", dir);
	tempdir_write("own.json", text, 0644);
	snprintf(text, sizeof(text),
		 "[{\"name\": \"Microsoft.Azure.RecoveryServices.VMSnapshotLinux\", "
		 "\"version\": \"1.0.9225.0\", \"handlerEnvironment\": {\"logFolder\": \"%s/log\", "
		 "\"configFolder\": \"%s\", \"statusFolder\": \"%s/status\"}}]", dir, dir, dir);
	tempdir_write("HandlerEnvironment.json", text, 0644);
	mkdir(tempdir_path("status"), 0755);
	setenv("ConfigSequenceNumber", "4", 1);
	return 0;
}

/* Azure's script configuration: the scripts given ("" for none), then extra keys. */
static void script_config(bool pre, bool post, const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"pluginName\": \"ScriptRunner\", \"preScriptLocation\": \"%s\", "
		 "\"postScriptLocation\": \"%s\", \"preScriptParams\": [\"\", \"\"], "
		 "\"postScriptParams\": [\"\", \"\"], "
		 "\"fsFreezeEnabled\": false%s%s}",
		 pre ? tempdir_path("pre.sh") : "", post ? tempdir_path("post.sh") : "",
		 extra ? ", " : "", extra ? extra : "");
	assert_non_null(tempdir_write("azure.json", text, 0600));
}

static void set_exit(const char *which, const char *value)
{
	assert_non_null(tempdir_write(which, value, 0644));
}

struct outcome {
	int code;
	int consistency;
	char status[32];
	char trace[64];
};

/* One snapshot: N.status's code, state and snapshotConsistency, and the scripts' trace. */
static struct outcome snapshot(void)
{
	char *argv[] = { "snapfreeze", "snapshot", "--config", (char *)tempdir_path("own.json"),
			 "--script-config", (char *)tempdir_path("azure.json"),
			 "--handler-env", (char *)tempdir_path("HandlerEnvironment.json"),
			 "--state-dir", state_dir, NULL };
	struct outcome outcome = { 0 };
	cJSON *json, *status, *message;
	struct sf_error err;
	const char *trace;
	FILE *out;
	int saved;

	unlink(trace_path);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	out = fopen("/dev/null", "w");
	dup2(fileno(out), STDOUT_FILENO);
	sf_main(10, argv, &err);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	fclose(out);
	json = cJSON_Parse(tempdir_read(tempdir_path("status/4.status")));
	status = cJSON_GetObjectItem(cJSON_GetArrayItem(json, 0), "status");
	assert_non_null(status);
	outcome.code = cJSON_GetNumberValue(cJSON_GetObjectItem(status, "code"));
	snprintf(outcome.status, sizeof(outcome.status), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(status, "status")));
	message = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetObjectItem(status, "formattedMessage"), "message")));
	outcome.consistency = cJSON_GetNumberValue(cJSON_GetObjectItem(message,
								       "snapshotConsistency"));
	cJSON_Delete(message);
	cJSON_Delete(json);
	trace = tempdir_read(trace_path);
	snprintf(outcome.trace, sizeof(outcome.trace), "%.63s", trace ? trace : "");
	return outcome;
}

static void fresh_state(const char *name)
{
	snprintf(state_dir, sizeof(state_dir), "%s/%s", dir, name);
	set_exit("pre-exit", "0");
	set_exit("post-exit", "0");
	set_exit("pre-sleep", "0");
}

/* Azure's stock file: no scripts, a filesystem-consistent success (code 1). */
static void stock_configuration_runs_no_script(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("stock");
	script_config(false, false, NULL);
	o = snapshot();
	assert_string_equal(o.status, "success");
	assert_int_equal(o.code, SF_AZURE_SUCCESS);
	assert_int_not_equal(o.consistency, SF_AZURE_CONSISTENCY_APPLICATION);
	assert_string_equal(o.trace, "");
}

static void both_scripts_application_consistent(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("both");
	script_config(true, true, NULL);
	o = snapshot();
	assert_string_equal(o.status, "success");
	assert_int_equal(o.code, SF_AZURE_APP_CONSISTENT);
	assert_int_equal(o.consistency, SF_AZURE_CONSISTENCY_APPLICATION);
	assert_string_equal(o.trace, "pre\npost\n");
}

/* A post-script alone runs, but never makes the snapshot application-consistent. */
static void post_script_alone_not_application(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("post-alone");
	script_config(false, true, NULL);
	o = snapshot();
	assert_string_equal(o.trace, "post\n");
	assert_int_equal(o.code, SF_AZURE_SUCCESS);
	assert_int_not_equal(o.consistency, SF_AZURE_CONSISTENCY_APPLICATION);
}

/*
 * continueBackupOnFailure is true unless the file says otherwise: a failed
 * pre-script gives a success that is not application-consistent; the next
 * three snapshots run no script; the fourth runs them again.
 */
static void failed_pre_script_then_three_skipped(void **state)
{
	struct outcome o;
	int n;

	(void)state;
	fresh_state("three");
	script_config(true, true, NULL);
	set_exit("pre-exit", "3");
	o = snapshot();
	assert_string_equal(o.status, "success");
	assert_int_equal(o.code, SF_AZURE_SUCCESS);
	assert_int_not_equal(o.consistency, SF_AZURE_CONSISTENCY_APPLICATION);
	assert_string_equal(o.trace, "pre\npost\n");
	set_exit("pre-exit", "0");
	for (n = 1; n <= 3; n++) {
		o = snapshot();
		assert_string_equal(o.trace, "");
		assert_int_equal(o.code, SF_AZURE_SUCCESS);
	}
	o = snapshot();
	assert_string_equal(o.trace, "pre\npost\n");
	assert_int_equal(o.code, SF_AZURE_APP_CONSISTENT);
}

/* Without continueBackupOnFailure: no snapshot, Azure's 300; the skipping rule still holds. */
static void failed_pre_script_stops_without_continue(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("stop");
	script_config(true, true, "\"continueBackupOnFailure\": false");
	set_exit("pre-exit", "3");
	o = snapshot();
	assert_string_equal(o.status, "error");
	assert_int_equal(o.code, SF_AZURE_PRE_SCRIPT_FAILED);
	assert_int_equal(o.consistency, SF_AZURE_CONSISTENCY_NONE);
	assert_string_equal(o.trace, "pre\npost\n");
	set_exit("pre-exit", "0");
	o = snapshot();
	assert_string_equal(o.trace, "");
}

/* A failed post-script: with continueBackupOnFailure a success (1), without Azure's 301. */
static void failed_post_script(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("post-fails");
	script_config(true, true, NULL);
	set_exit("post-exit", "1");
	o = snapshot();
	assert_string_equal(o.status, "success");
	assert_int_equal(o.code, SF_AZURE_SUCCESS);
	assert_int_not_equal(o.consistency, SF_AZURE_CONSISTENCY_APPLICATION);

	fresh_state("post-fails-stop");
	script_config(true, true, "\"continueBackupOnFailure\": false");
	set_exit("post-exit", "1");
	o = snapshot();
	assert_string_equal(o.status, "error");
	assert_int_equal(o.code, SF_AZURE_POST_SCRIPT_FAILED);
}

/* A pre-script past timeoutInSeconds: killed, Azure's 308. */
static void timed_out_pre_script(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("timeout");
	script_config(true, true, "\"continueBackupOnFailure\": false, \"timeoutInSeconds\": 1");
	set_exit("pre-sleep", "30");
	o = snapshot();
	assert_string_equal(o.status, "error");
	if (o.code != SF_AZURE_PRE_SCRIPT_TIMEOUT)
		fail_msg("%d: %s", o.code, tempdir_read(tempdir_path("status/4.status")));
}

/* Azure's script configuration refused: parsing (305), its mode (317). */
static void script_configuration_codes(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("config");
	script_config(true, true, "\"fsFreezeEnabled\": true");
	o = snapshot();
	assert_string_equal(o.status, "error");
	assert_int_equal(o.code, SF_AZURE_SCRIPT_CONFIG_PARSING);
	script_config(true, true, NULL);
	chmod(tempdir_path("azure.json"), 0644);
	o = snapshot();
	assert_int_equal(o.code, SF_AZURE_SCRIPT_CONFIG_PERMISSION);
	assert_string_equal(o.trace, "");
}

/* Settings that say another command than a snapshot, or started too long ago. */
static void settings_codes(void **state)
{
	struct outcome o;

	(void)state;
	fresh_state("settings");
	script_config(false, false, NULL);
	tempdir_write("4.settings",
		      "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": "
		      "{\"commandToExecute\": \"snapshot\", \"taskId\": \"t-4\", "
		      "\"commandStartTimeUTCTicks\": \"630000000000000000\"}}}]}", 0644);
	o = snapshot();
	assert_string_equal(o.status, "error");
	assert_int_equal(o.code, SF_AZURE_TOO_LATE);
	assert_non_null(strstr(tempdir_read(tempdir_path("status/4.status")), "\"taskId\":\"t-4\""));
	tempdir_write("4.settings", "{\"runtimeSettings\": 1}", 0644);
	o = snapshot();
	assert_int_equal(o.code, SF_AZURE_BAD_PARAMETER);
	unlink(tempdir_path("4.settings"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stock_configuration_runs_no_script),
		cmocka_unit_test(both_scripts_application_consistent),
		cmocka_unit_test(post_script_alone_not_application),
		cmocka_unit_test(failed_pre_script_then_three_skipped),
		cmocka_unit_test(failed_pre_script_stops_without_continue),
		cmocka_unit_test(failed_post_script),
		cmocka_unit_test(timed_out_pre_script),
		cmocka_unit_test(script_configuration_codes),
		cmocka_unit_test(settings_codes),
	};

	return cmocka_run_group_tests_name("azure script rules", tests, setup, tempdir_teardown);
}
