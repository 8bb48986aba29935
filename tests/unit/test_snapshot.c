// SPDX-License-Identifier: GPL-2.0
/*
 * How a snapshot that fails reports: its result, its handler status and
 * its error, with the first error kept whatever fails while reporting,
 * printed once, and safe for a terminal.
 * Each snapshot here fails before anything is frozen (no host).
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
#include "output.h"
#include "tempdir.h"

#define NO_HOST "snapshot: no host: set \"host\" in the configuration or pass --host"

/*
 * Azure's handler environment in the test folder: status in DIR/status,
 * as 4.status.
 */
static const char *handler_env(void)
{
	char text[1024];

	mkdir(tempdir_path("status"), 0755);
	snprintf(text, sizeof(text),
		 "[{\"handlerEnvironment\": {\"logFolder\": \"%s/log\", "
		 "\"configFolder\": \"%s\", \"statusFolder\": \"%s/status\"}}]",
		 dir, dir, dir);
	setenv("ConfigSequenceNumber", "4", 1);
	return tempdir_write("HandlerEnvironment.json", text, 0644);
}

/*
 * snapfreeze snapshot --config FILE --handler-env FILE --state-dir
 * STATE_DIR [--json], with config's text: its return, and its standard
 * output in out.
 */
static int snapshot(const char *config, const char *state_dir, bool json,
		    struct sf_error *err, char *out, size_t size)
{
	char config_path[256], env_path[256];
	char *argv[] = { "snapfreeze", "snapshot", "--config", config_path,
			 "--handler-env", env_path, "--state-dir", (char *)state_dir,
			 json ? "--json" : NULL, NULL };
	int argc = json ? 9 : 8, saved, ret;
	FILE *capture = tmpfile();
	size_t len;

	snprintf(config_path, sizeof(config_path), "%s", tempdir_write("own.json", config, 0644));
	snprintf(env_path, sizeof(env_path), "%s", handler_env());
	assert_non_null(capture);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(dup2(fileno(capture), STDOUT_FILENO) >= 0);
	memset(err, 0, sizeof(*err));
	ret = sf_main(argc, argv, err);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(capture);
	len = fread(out, 1, size - 1, capture);
	out[len] = '\0';
	fclose(capture);
	return ret;
}

/*
 * The handler's status: its code (Azure's: 2, a failure), and its message
 * (the messageStr of Azure's JSON message) in message.
 */
static int handler_status(char *message, size_t size)
{
	cJSON *json = cJSON_Parse(tempdir_read(tempdir_path("status/4.status")));
	cJSON *status = cJSON_GetObjectItem(cJSON_GetArrayItem(json, 0), "status");
	cJSON *inner;
	int code;

	assert_non_null(status);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(status, "status")),
			    "error");
	code = cJSON_GetNumberValue(cJSON_GetObjectItem(status, "code"));
	inner = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetObjectItem(status, "formattedMessage"), "message")));
	snprintf(message, size, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(inner,
									      "messageStr")));
	cJSON_Delete(inner);
	cJSON_Delete(json);
	return code;
}

/* A fresh install: the state folder is made, and the real error reported. */
static void missing_state_dir_made(void **state)
{
	const char *state_dir = tempdir_path("fresh");
	char out[8192], message[1024];
	struct sf_error err;
	struct stat st;
	cJSON *result;

	(void)state;
	assert_int_equal(snapshot("{}", state_dir, false, &err, out, sizeof(out)), -1);
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	if (!strstr(err.msg, NO_HOST) || strstr(err.msg, "temporary"))
		fail_msg("'%s'", err.msg);
	assert_int_equal(stat(state_dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	result = cJSON_Parse(tempdir_read(tempdir_path("fresh/last-snapshot.json")));
	assert_non_null(result);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(result, "error")), NO_HOST);
	cJSON_Delete(result);
	assert_int_equal(handler_status(message, sizeof(message)), SF_AZURE_FAILED);
	if (!strstr(message, NO_HOST))
		fail_msg("status: '%s'", message);
}

/*
 * The result cannot be written: the first error stays the exit code's,
 * the status's and the output's; the write's comes after it.
 */
static void unwritable_result_keeps_first_error(void **state)
{
	char out[8192], message[1024], state_dir[300], second[400];
	struct sf_error err;
	cJSON *result, *errors;

	(void)state;
	assert_non_null(tempdir_write("a-file", "", 0644));
	snprintf(state_dir, sizeof(state_dir), "%s/a-file/state", dir);
	snprintf(second, sizeof(second), "result: %s: Not a directory", state_dir);
	assert_int_equal(snapshot("{}", state_dir, true, &err, out, sizeof(out)), -1);
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	if (!strstr(err.msg, "failed: " NO_HOST "; ") || !strstr(err.msg, second))
		fail_msg("'%s'", err.msg);
	result = cJSON_Parse(out);
	assert_non_null(result);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(result, "error")), NO_HOST);
	errors = cJSON_GetObjectItem(result, "errors");
	assert_int_equal(cJSON_GetArraySize(errors), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(errors, 1)), second);
	cJSON_Delete(result);
	assert_int_equal(handler_status(message, sizeof(message)), SF_AZURE_FAILED);
	if (!strstr(message, NO_HOST "; ") || !strstr(message, second))
		fail_msg("status: '%s'", message);
}

/* What main() prints for err on standard error. */
static char *printed_error(const struct sf_error *err)
{
	static char *text;
	size_t len;
	FILE *out;

	free(text);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	sf_error_print(out, err);
	fclose(out);
	return text;
}

static size_t count(const char *text, const char *part)
{
	size_t n = 0;

	for (; (text = strstr(text, part)); text++)
		n++;
	return n;
}

/* The error once, on standard error; standard output says the outcome. */
static void failure_printed_once(void **state)
{
	char out[8192], printed[8192];
	struct sf_error err;

	(void)state;
	assert_int_equal(snapshot("{}", tempdir_path("state"), false, &err, out, sizeof(out)), -1);
	snprintf(printed, sizeof(printed), "%s%s", out, printed_error(&err));
	if (count(printed, "no host") != 1)
		fail_msg("not once: '%s'", printed);
	assert_non_null(strstr(out, ": error, none-consistent\n"));
	assert_non_null(strstr(printed_error(&err), "snapfreeze: snapshot "));
}

/*
 * A configuration's key, echoed in the error, with an escape sequence and
 * a carriage return: neither reaches the terminal raw, in text or JSON,
 * and the JSON keeps them, escaped.
 */
static void untrusted_text_made_safe(void **state)
{
	static const char config[] = "{\"\\u001b[31mred\\r\": 1}";
	char out[8192], *printed;
	struct sf_error err;
	cJSON *result;

	(void)state;
	assert_int_equal(snapshot(config, tempdir_path("state"), false, &err, out, sizeof(out)), -1);
	printed = printed_error(&err);
	if (strpbrk(out, "\x1b\r") || strpbrk(printed, "\x1b\r"))
		fail_msg("raw control characters: '%s' '%s'", out, printed);
	assert_non_null(strstr(printed, "unknown key \" [31mred \"\n"));

	assert_int_equal(snapshot(config, tempdir_path("state"), true, &err, out, sizeof(out)), -1);
	if (strpbrk(out, "\x1b\r"))
		fail_msg("raw control characters in JSON: '%s'", out);
	result = cJSON_Parse(out);
	assert_non_null(result);
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(result, "error")),
			       "unknown key \"\x1b[31mred\r\""));
	cJSON_Delete(result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_state_dir_made),
		cmocka_unit_test(unwritable_result_keeps_first_error),
		cmocka_unit_test(failure_printed_once),
		cmocka_unit_test(untrusted_text_made_safe),
	};

	return cmocka_run_group_tests_name("snapshot report", tests, tempdir_setup,
					   tempdir_teardown);
}
