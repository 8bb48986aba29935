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

#define ARGV(...) ((char *[]){ "snapfreeze", __VA_ARGS__, NULL })

static int run(char **argv, int argc, struct sf_error *err)
{
	memset(err, 0, sizeof(*err));
	return sf_main(argc, argv, err);
}

static void unknown_command_is_a_usage_error(void **state)
{
	char **argv = ARGV("frobnicate");
	struct sf_error err;

	(void)state;
	assert_int_equal(run(argv, 2, &err), -1);
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "unknown command 'frobnicate'"));
}

static void no_command_is_a_usage_error(void **state)
{
	char *argv[] = { "snapfreeze", NULL };
	struct sf_error err;

	(void)state;
	assert_int_equal(run(argv, 1, &err), SF_EXIT_USAGE);
}

static void status_unknown_option_named(void **state)
{
	char **argv = ARGV("status", "--jsn");
	struct sf_error err;

	(void)state;
	assert_int_equal(run(argv, 3, &err), -1);
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "status: unknown option '--jsn'"));
}

static void status_extra_argument_named(void **state)
{
	char **argv = ARGV("status", "now");
	struct sf_error err;

	(void)state;
	assert_int_equal(run(argv, 3, &err), -1);
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "status: unexpected argument 'now'"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_command_is_a_usage_error),
		cmocka_unit_test(no_command_is_a_usage_error),
		cmocka_unit_test(status_unknown_option_named),
		cmocka_unit_test(status_extra_argument_named),
		cmocka_unit_test(status_json_lists_features_by_name),
		cmocka_unit_test(status_json_without_features),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
