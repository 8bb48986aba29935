// SPDX-License-Identifier: GPL-2.0
/* Azure's HandlerEnvironment.json and the settings' sequence number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler_env.h"
#include "tempdir.h"

static const char *write_env(const char *text)
{
	const char *path = tempdir_write("HandlerEnvironment.json", text, 0644);

	assert_non_null(path);
	return path;
}

/* The environment env_with_settings() wrote, as it is. */
static const char *write_env_again(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/HandlerEnvironment.json", dir);
	return path;
}

/* An environment whose config folder is DIR/config, holding N.settings. */
static const char *env_with_settings(const char *const *settings, size_t n)
{
	char text[1024], path[512];
	size_t i;

	snprintf(path, sizeof(path), "rm -rf %s/config && mkdir %s/config", dir, dir);
	assert_int_equal(system(path), 0);
	for (i = 0; i < n; i++) {
		FILE *file;

		snprintf(path, sizeof(path), "%s/config/%s", dir, settings[i]);
		file = fopen(path, "w");
		assert_non_null(file);
		fclose(file);
	}
	snprintf(text, sizeof(text),
		 "[{\"handlerEnvironment\": {\"logFolder\": \"%s/log\", "
		 "\"configFolder\": \"%s/config\", \"statusFolder\": \"%s/status\"}}]",
		 dir, dir, dir);
	return write_env(text);
}

static void azure_file_with_the_sequence_from_the_environment(void **state)
{
	struct sf_handler_env env;
	struct sf_error err;

	(void)state;
	setenv("ConfigSequenceNumber", "7", 1);
	assert_int_equal(sf_handler_env_load(SF_FIXTURES "/HandlerEnvironment.json",
					     &env, &err), 0);
	assert_string_equal(env.log_folder,
			    "/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux");
	assert_string_equal(env.status_folder,
			    "/var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0/status");
	assert_int_equal(env.seq, 7);
	sf_handler_env_free(&env);
}

static void newest_settings_without_the_variable(void **state)
{
	static const char *const settings[] = {
		"0.settings", "2.settings", "10.settings", "x.settings", "11.status",
	};
	struct sf_handler_env env;
	struct sf_error err;

	(void)state;
	unsetenv("ConfigSequenceNumber");
	assert_int_equal(sf_handler_env_load(env_with_settings(settings, 5), &env, &err), 0);
	assert_int_equal(env.seq, 10);
	sf_handler_env_free(&env);
}

/* Modified last wins, as Azure picks it, whatever the numbers. */
static void newest_by_modification_time(void **state)
{
	static const char *const settings[] = { "3.settings", "9.settings" };
	struct timespec times[2] = { { .tv_sec = 2000000000 }, { .tv_sec = 2000000000 } };
	struct sf_handler_env env;
	struct sf_error err;
	char path[512];

	(void)state;
	unsetenv("ConfigSequenceNumber");
	env_with_settings(settings, 2);
	snprintf(path, sizeof(path), "%s/config/3.settings", dir);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(sf_handler_env_load(write_env_again(), &env, &err), 0);
	assert_int_equal(env.seq, 3);
	sf_handler_env_free(&env);
}

/* mrseq in the extension's folder: a sequence number processed is known again. */
static void processed_sequence_kept_in_mrseq(void **state)
{
	struct sf_handler_env env;
	struct sf_error err;
	char path[512];

	(void)state;
	setenv("ConfigSequenceNumber", "5", 1);
	assert_int_equal(sf_handler_env_load(env_with_settings(NULL, 0), &env, &err), 0);
	assert_string_equal(env.extension_folder, dir);
	snprintf(path, sizeof(path), "%s/mrseq", dir);
	unlink(path);
	assert_false(sf_handler_env_processed(&env));
	assert_int_equal(sf_handler_env_mark_processed(&env, &err), 0);
	assert_string_equal(tempdir_read(path), "5");
	assert_true(sf_handler_env_processed(&env));
	env.seq = 6;
	assert_false(sf_handler_env_processed(&env));
	sf_handler_env_free(&env);
}

/* The handler's name, version and heartbeat file, as the agent lays them. */
static void name_version_and_heartbeat(void **state)
{
	struct sf_handler_env env;
	struct sf_error err;

	(void)state;
	setenv("ConfigSequenceNumber", "1", 1);
	assert_int_equal(sf_handler_env_load(SF_FIXTURES "/HandlerEnvironment.json",
					     &env, &err), 0);
	assert_string_equal(env.name, "Microsoft.Azure.RecoveryServices.VMSnapshotLinux");
	assert_string_equal(env.version, "1.0");
	assert_string_equal(env.heartbeat_file,
			    "/var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0/heartbeat.log");
	assert_string_equal(env.extension_folder, SF_FIXTURES);
	sf_handler_env_free(&env);
}

static void no_sequence_at_all(void **state)
{
	struct sf_handler_env env;
	struct sf_error err;

	(void)state;
	unsetenv("ConfigSequenceNumber");
	assert_int_equal(sf_handler_env_load(env_with_settings(NULL, 0), &env, &err), -1);
	assert_non_null(strstr(err.msg, "config: no N.settings file, and ConfigSequenceNumber is not set"));
}

static void a_bad_sequence_is_named(void **state)
{
	struct sf_handler_env env;
	struct sf_error err;

	(void)state;
	setenv("ConfigSequenceNumber", "3x", 1);
	assert_int_equal(sf_handler_env_load(env_with_settings(NULL, 0), &env, &err), -1);
	assert_string_equal(err.msg, "ConfigSequenceNumber '3x': not a sequence number");
}

static void wrong_shapes_are_refused(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "{\"handlerEnvironment\": {}}", "not a JSON array" },
		{ "[{\"handlerEnvironment\": 1}]", "an array of one object with \"handlerEnvironment\"" },
		{ "[{\"handlerEnvironment\": {\"logFolder\": \"/l\", \"configFolder\": \"/c\"}}]",
		  "\"handlerEnvironment\".\"statusFolder\" must be an absolute path" },
		{ "[{\"handlerEnvironment\": {\"logFolder\": \"l\"}}]",
		  "\"logFolder\" must be an absolute path" },
		{ "[{", "line 1: malformed JSON" },
	};
	struct sf_handler_env env;
	struct sf_error err;
	size_t i;

	(void)state;
	setenv("ConfigSequenceNumber", "1", 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sf_handler_env_load(write_env(cases[i].text), &env, &err), -1);
		if (!strstr(err.msg, cases[i].message))
			fail_msg("'%s': '%s', expected '%s'", cases[i].text, err.msg,
				 cases[i].message);
	}
}

static void a_writable_file_is_refused(void **state)
{
	struct sf_handler_env env;
	struct sf_error err;
	const char *path = env_with_settings(NULL, 0);

	(void)state;
	setenv("ConfigSequenceNumber", "1", 1);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(sf_handler_env_load(path, &env, &err), -1);
	assert_non_null(strstr(err.msg, "HandlerEnvironment.json: mode 0666"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(azure_file_with_the_sequence_from_the_environment),
		cmocka_unit_test(newest_settings_without_the_variable),
		cmocka_unit_test(newest_by_modification_time),
		cmocka_unit_test(processed_sequence_kept_in_mrseq),
		cmocka_unit_test(name_version_and_heartbeat),
		cmocka_unit_test(no_sequence_at_all),
		cmocka_unit_test(a_bad_sequence_is_named),
		cmocka_unit_test(wrong_shapes_are_refused),
		cmocka_unit_test(a_writable_file_is_refused),
	};

	return cmocka_run_group_tests_name("handler environment", tests, tempdir_setup,
					   tempdir_teardown);
}
