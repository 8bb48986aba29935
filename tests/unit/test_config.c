// SPDX-License-Identifier: GPL-2.0
/* Loading snapfreeze's configuration and Azure's script configuration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tempdir.h"


/* A copy of a fixture with the given mode (files the loader trusts). */
static const char *install(const char *fixture, const char *name, mode_t mode)
{
	static char paths[2][256];
	static int which;
	char command[512];
	char *path = paths[which++ % 2];

	snprintf(path, 256, "%s/%s", dir, name);
	snprintf(command, sizeof(command), "cp %s/%s %s", SF_FIXTURES, fixture, path);
	assert_int_equal(system(command), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char *absent(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/absent.json", dir);
	return path;
}

static void defaults_from_an_empty_config(void **state)
{
	const char *own = install("snapfreeze-empty.json", "own.json", 0644);
	struct sf_config config;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_config_load(own, absent(), &config, &err), 0);
	assert_null(config.host);
	assert_int_equal(config.freeze_timeout_ms, 60000);
	assert_int_equal(config.host_timeout_ms, 40000);
	assert_int_equal(config.keepalive_ms, 5000);
	assert_string_equal(config.log_path, SF_DEFAULT_LOG_PATH);
	assert_true(config.fifreeze_fallback);
	assert_false(config.app.present);
	sf_config_free(&config);
}

static void own_and_azure_valid(void **state)
{
	struct sf_config config;
	struct sf_error err;
	const char *own = install("snapfreeze-valid.json", "own.json", 0644);
	const char *azure = install("azure-valid.json", "azure.json", 0600);

	(void)state;
	assert_int_equal(sf_config_load(own, azure, &config, &err), 0);
	assert_string_equal(config.host, "serial:org.snapfreeze.host");
	assert_int_equal(config.freeze_timeout_ms, 30000);
	assert_int_equal(config.host_timeout_ms, 20000);
	assert_int_equal(config.n_skip_mounts, 2);
	assert_string_equal(config.skip_mounts[1], "/scratch");
	assert_string_equal(config.log_path, "/var/log/snapfreeze/extension.log");
	assert_false(config.fifreeze_fallback);
	assert_true(config.app.present);
	assert_string_equal(config.app.pre_script, "/opt/app/pre-snapshot.sh");
	assert_int_equal(config.app.n_pre_params, 2);
	assert_string_equal(config.app.pre_params[1], "all tables");
	assert_int_equal(config.app.n_post_params, 0);
	assert_int_equal(config.app.pre_retries, 2);
	assert_int_equal(config.app.timeout_s, 3600);	/* past Azure's 30 minutes */
	assert_true(config.app.continue_on_failure);
	sf_config_free(&config);
}

/*
 * Azure's stock file: "" locations mean no script, and without the key
 * continueBackupOnFailure is true, as in Azure's code.
 */
static void azure_stock_file_means_no_scripts(void **state)
{
	struct sf_config config;
	struct sf_error err;
	const char *azure = install("azure-stock.json", "azure.json", 0600);

	(void)state;
	assert_int_equal(sf_config_load(install("snapfreeze-empty.json", "own.json", 0644),
					azure, &config, &err), 0);
	assert_true(config.app.present);
	assert_null(config.app.pre_script);
	assert_null(config.app.post_script);
	assert_true(config.app.continue_on_failure);
	assert_int_equal(config.app.timeout_s, 30);
	sf_config_free(&config);
}

static void named_config_must_exist(void **state)
{
	struct sf_config config;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_config_load(absent(), absent(), &config, &err), -1);
	assert_non_null(strstr(err.msg, "absent.json: No such file or directory"));
}

struct refusal {
	const char *fixture;
	bool azure;
	mode_t mode;
	const char *message;
};

/* Each fixture installed as ours or Azure's, refused with the message. */
static void expect_refusals(const struct refusal *cases, size_t n)
{
	struct sf_config config;
	struct sf_error err;
	char empty[256];
	size_t i;

	snprintf(empty, sizeof(empty), "%s/empty.json", dir);
	for (i = 0; i < n; i++) {
		FILE *file = fopen(empty, "w");

		assert_non_null(file);
		fputs("{}\n", file);
		fclose(file);
		const char *path = install(cases[i].fixture,
					   cases[i].azure ? "azure.json" : "own.json",
					   cases[i].mode);

		err.msg[0] = '\0';
		assert_int_equal(sf_config_load(cases[i].azure ? empty : path,
						cases[i].azure ? path : absent(),
						&config, &err), -1);
		if (!strstr(err.msg, cases[i].message))
			fail_msg("%s: '%s' does not contain '%s'", cases[i].fixture,
				 err.msg, cases[i].message);
	}
}

/* Every refusal names the file and what is wrong in it. */
static void refusals_name_file_and_problem(void **state)
{
	static const struct refusal cases[] = {
		{ "azure-malformed.json", true, 0600, "azure.json: line 4: malformed JSON" },
		{ "azure-valid.json", true, 0640,
		  "azure.json: mode 0640, must not be readable or writable by group or others" },
		{ "snapfreeze-valid.json", false, 0664,
		  "own.json: mode 0664, must not be writable by group or others" },
		{ "snapfreeze-unknown-key.json", false, 0644,
		  "own.json: unknown key \"freeze_timout\"" },
		{ "snapfreeze-host-timeout-too-long.json", false, 0644,
		  "own.json: host_timeout (45 s) must be shorter than freeze_timeout (30 s)" },
		{ "snapfreeze-timeout-nan.json", false, 0644, "own.json: line 2: malformed JSON" },
	};

	(void)state;
	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * A key given twice is refused: taking the second copy of an array leaked
 * the first and kept its count, past the end of the second.
 */
static void duplicate_keys_refused(void **state)
{
	static const struct refusal cases[] = {
		{ "snapfreeze-duplicate-key.json", false, 0644,
		  "own.json: duplicate key \"freeze_timeout\"" },
		{ "snapfreeze-duplicate-skip-mounts.json", false, 0644,
		  "own.json: duplicate key \"skip_mounts\"" },
		{ "azure-duplicate-params.json", true, 0600,
		  "azure.json: duplicate key \"preScriptParams\"" },
	};

	(void)state;
	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Ranges are checked on the number as parsed, and the message names it. */
static void out_of_range_values_named(void **state)
{
	static const struct refusal cases[] = {
		{ "snapfreeze-freeze-timeout-1e30.json", false, 0644,
		  "own.json: \"freeze_timeout\" must be a whole number from 1 to 600, not 1e+30" },
		{ "snapfreeze-host-timeout-2to32.json", false, 0644,
		  "own.json: \"host_timeout\" must be a whole number from 1 to 599, not 4294967296" },
		{ "azure-retries-negative.json", true, 0600,
		  "azure.json: \"preScriptNoOfRetries\" must be a whole number from 0 to 10, not -1" },
		{ "snapfreeze-keepalive-infinite.json", false, 0644,
		  "own.json: \"keepalive_interval\" must be 0 (none) or a number of seconds "
		  "from 0.1 to 60, not inf" },
		{ "azure-timeout-too-long.json", true, 0600,
		  "azure.json: \"timeoutInSeconds\" must be a whole number from 1 to 86400, not 86401" },
		{ "azure-wrong-types.json", true, 0600,
		  "azure.json: \"timeoutInSeconds\" must be a whole number from 1 to 86400, not \"60\"" },
	};

	(void)state;
	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A key given twice deeper down is named with the path to its object. */
static void nested_duplicate_named_with_its_path(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "[{\"a\": 1}, {\"b\": {\"c\": 1, \"d\": 2, \"c\": 3}}]",
		  "nested.json: duplicate key \"c\" in [1].\"b\"" },
		{ "{\"x\": [1, \"two\", {\"k\": 1, \"k\": 1}]}",
		  "nested.json: duplicate key \"k\" in \"x\"[2]" },
	};
	const char *path = install("HandlerEnvironment-duplicate.json",
				   "HandlerEnvironment.json", 0644);
	struct sf_error err;
	size_t i;

	(void)state;
	assert_null(sf_read_json_file(path, true, 022, true, &err));
	assert_non_null(strstr(err.msg, "HandlerEnvironment.json: duplicate key \"logFolder\" "
				       "in [0].\"handlerEnvironment\""));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = tempdir_write("nested.json", cases[i].text, 0644);
		assert_non_null(path);
		err.msg[0] = '\0';
		assert_null(sf_read_json_file(path, true, 022, cases[i].text[0] == '[', &err));
		if (!strstr(err.msg, cases[i].message))
			fail_msg("%s: '%s' does not contain '%s'", cases[i].text, err.msg,
				 cases[i].message);
	}
}

static void not_owned_by_root_refused(void **state)
{
	const char *azure = install("azure-valid.json", "azure.json", 0600);
	struct sf_config config;
	struct sf_error err;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(azure, 65534, 65534), 0);
	assert_int_equal(sf_config_load(install("snapfreeze-empty.json", "own.json", 0644),
					azure, &config, &err), -1);
	assert_non_null(strstr(err.msg, "azure.json: owned by uid 65534, must be owned by root"));
}

/* Our configuration from text: 0, or -1 with err set. */
static int load_text(const char *text, struct sf_config *config, struct sf_error *err)
{
	const char *path = tempdir_write("own.json", text, 0644);

	assert_non_null(path);
	return sf_config_load(path, absent(), config, err);
}

static void keepalive_interval_in_seconds(void **state)
{
	static const struct {
		const char *text;
		uint32_t ms;
	} valid[] = {
		{ "{\"keepalive_interval\": 2}", 2000 },
		{ "{\"keepalive_interval\": 0.5}", 500 },
		{ "{\"keepalive_interval\": 0.1}", 100 },
		{ "{\"keepalive_interval\": 0}", 0 },
		{ "{\"keepalive_interval\": 60, \"freeze_timeout\": 600}", 60000 },
	};
	struct sf_config config;
	struct sf_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		if (load_text(valid[i].text, &config, &err))
			fail_msg("%s: %s", valid[i].text, err.msg);
		assert_int_equal(config.keepalive_ms, valid[i].ms);
		sf_config_free(&config);
	}
}

static void keepalive_interval_refusals(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "{\"keepalive_interval\": 0.05}",
		  "own.json: \"keepalive_interval\" must be 0 (none) or a number of seconds from 0.1 to 60" },
		{ "{\"keepalive_interval\": 61, \"freeze_timeout\": 600}",
		  "\"keepalive_interval\" must be 0 (none) or a number of seconds from 0.1 to 60" },
		{ "{\"keepalive_interval\": -1}", "from 0.1 to 60, not -1" },
		{ "{\"keepalive_interval\": \"5\"}", "from 0.1 to 60, not \"5\"" },
		{ "{\"keepalive_interval\": 10, \"freeze_timeout\": 10, \"host_timeout\": 5}",
		  "own.json: keepalive_interval (10 s) must be shorter than freeze_timeout (10 s)" },
		{ "{\"keepalive\": 5}", "own.json: unknown key \"keepalive\"" },
	};
	struct sf_config config;
	struct sf_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(load_text(cases[i].text, &config, &err), -1);
		if (!strstr(err.msg, cases[i].message))
			fail_msg("%s: '%s' does not contain '%s'", cases[i].text,
				 err.msg, cases[i].message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_from_an_empty_config),
		cmocka_unit_test(named_config_must_exist),
		cmocka_unit_test(own_and_azure_valid),
		cmocka_unit_test(azure_stock_file_means_no_scripts),
		cmocka_unit_test(refusals_name_file_and_problem),
		cmocka_unit_test(duplicate_keys_refused),
		cmocka_unit_test(out_of_range_values_named),
		cmocka_unit_test(nested_duplicate_named_with_its_path),
		cmocka_unit_test(not_owned_by_root_refused),
		cmocka_unit_test(keepalive_interval_in_seconds),
		cmocka_unit_test(keepalive_interval_refusals),
	};

	return cmocka_run_group_tests_name("config", tests, tempdir_setup, tempdir_teardown);
}
