// SPDX-License-Identifier: GPL-2.0
/* Command-line dispatch and the status command's output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/snapfreeze.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/*
 * Command lines that must be refused as usage errors, naming the culprit.
 * Not const: getopt may permute argv.
 */
static struct {
	char *argv[6];
	const char *message;
} usage_errors[] = {
	{ { "snapfreeze", "frobnicate" }, "unknown command 'frobnicate'" },
	{ { "snapfreeze", "status", "--jsn" }, "status: unknown option '--jsn'" },
	{ { "snapfreeze", "status", "now" }, "status: unexpected argument 'now'" },
	{ { "snapfreeze", "freeze" }, "freeze: no TARGET given" },
	{ { "snapfreeze", "freeze", "--timeout", "soon", "/" },
	  "freeze: --timeout 'soon': not a number of seconds" },
	{ { "snapfreeze", "freeze", "--timeout" }, "freeze: option '--timeout' needs a value" },
	{ { "snapfreeze", "thaw" }, "thaw: give one SESSION or --all" },
	{ { "snapfreeze", "thaw", "--all", "3" }, "thaw: give one SESSION or --all" },
	{ { "snapfreeze", "watch", "--count", "0" }, "watch: --count '0': not a positive number" },
	{ { "snapfreeze", "keepalive" }, "keepalive: give one SESSION" },
	{ { "snapfreeze", "keepalive", "3", "4" }, "keepalive: give one SESSION" },
	{ { "snapfreeze", "keepalive", "x3" }, "keepalive: 'x3': not a session number" },
};

static void usage_errors_name_the_argument(void **state)
{
	struct sf_error err;
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		char **argv = usage_errors[i].argv;

		for (argc = 0; argv[argc]; argc++)
			;
		memset(&err, 0, sizeof(err));
		assert_int_equal(sf_main(argc, argv, &err), -1);
		assert_int_equal(err.exit_code, SF_EXIT_USAGE);
		if (!strstr(err.msg, usage_errors[i].message))
			fail_msg("'%s' does not contain '%s'", err.msg,
				 usage_errors[i].message);
	}
}

static void no_command_is_a_usage_error(void **state)
{
	char *argv[] = { "snapfreeze", NULL };
	struct sf_error err = { 0 };

	(void)state;
	assert_int_equal(sf_main(1, argv, &err), SF_EXIT_USAGE);
}

static void status_json_lists_features_by_name(void **state)
{
	struct sf_module_status status = {
		.version = "0.1.0",
		.features = SNAPFREEZE_FEATURE_KERNEL_HOLDER,
	};
	cJSON *json = sf_module_status_json(&status);
	cJSON *features;

	(void)state;
	assert_non_null(json);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "version")),
			    "0.1.0");
	features = cJSON_GetObjectItem(json, "features");
	assert_int_equal(cJSON_GetArraySize(features), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(features, 0)),
			    "kernel-holder");
	cJSON_Delete(json);
}

static void status_json_without_features(void **state)
{
	struct sf_module_status status = { .version = "0.1.0" };
	cJSON *json = sf_module_status_json(&status);

	(void)state;
	assert_non_null(json);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "features")), 0);
	cJSON_Delete(json);
}

static void seconds_parsed_to_milliseconds(void **state)
{
	static const struct {
		const char *text;
		int ret;
		uint32_t ms;
	} cases[] = {
		{ "2", 0, 2000 }, { "0.5", 0, 500 }, { "0.001", 0, 1 },
		{ "60", 0, 60000 }, { "0", -1, 0 }, { "0.0001", -1, 0 },
		{ "-1", -1, 0 }, { "1s", -1, 0 }, { "", -1, 0 },
		{ "nan", -1, 0 }, { "5000000", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ms = 0;

		assert_int_equal(sf_parse_seconds(cases[i].text, &ms), cases[i].ret);
		if (!cases[i].ret)
			assert_int_equal(ms, cases[i].ms);
	}
}

static void intervals_allow_zero(void **state)
{
	static const struct {
		const char *text;
		int ret;
		uint32_t ms;
	} cases[] = {
		{ "0", 0, 0 }, { "0.0", 0, 0 }, { "1", 0, 1000 }, { "0.5", 0, 500 },
		{ "-1", -1, 0 }, { "x", -1, 0 }, { "", -1, 0 }, { "0x", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ms = 12345;

		assert_int_equal(sf_parse_interval(cases[i].text, &ms), cases[i].ret);
		if (!cases[i].ret)
			assert_int_equal(ms, cases[i].ms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usage_errors_name_the_argument),
		cmocka_unit_test(no_command_is_a_usage_error),
		cmocka_unit_test(seconds_parsed_to_milliseconds),
		cmocka_unit_test(intervals_allow_zero),
		cmocka_unit_test(status_json_lists_features_by_name),
		cmocka_unit_test(status_json_without_features),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
