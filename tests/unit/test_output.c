// SPDX-License-Identifier: GPL-2.0
/* What the commands print: safe for a terminal, JSON still JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/snapfreeze.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

/* A path a user may mount FUSE at: an OSC sequence that sets the title. */
#define HOSTILE_PATH "/home/u/\x1b]0;owned\x07\r\xc2\x9b" "2J"

/* What sf_session_print() prints for SESSION: free it. */
static char *printed(const struct sf_session_info *session)
{
	char *text;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	sf_session_print(out, session);
	fclose(out);
	return text;
}

static void session_text_flattened(void **state)
{
	struct sf_target_info target = {
		.path = (char *)HOSTILE_PATH,
		.fstype = "fuse\x1b[8m",
	};
	struct sf_session_info session = {
		.id = 3,
		.state = SNAPFREEZE_STATE_FROZEN,
		.targets = &target,
		.n_targets = 1,
	};
	char *text = printed(&session);

	(void)state;
	if (strpbrk(text, "\x1b\x07\r\x9b"))
		fail_msg("raw control characters: '%s'", text);
	assert_non_null(strstr(text, "  /home/u/ ]0;owned    2J  fuse [8m  dev "));
	free(text);
}

/* DEL and C1 are left raw by cJSON: printed as spaces, in valid JSON. */
static void json_flattened_and_valid(void **state)
{
	cJSON *json = cJSON_CreateObject();
	char out[1024];
	struct sf_error err;
	FILE *capture = tmpfile();
	int saved;
	size_t len;

	(void)state;
	assert_non_null(cJSON_AddStringToObject(json, "path", HOSTILE_PATH "\x7f"));
	assert_non_null(capture);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(capture), STDOUT_FILENO);
	assert_int_equal(sf_print_json(json, &err), SF_EXIT_OK);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(capture);
	len = fread(out, 1, sizeof(out) - 1, capture);
	out[len] = '\0';
	fclose(capture);
	if (strpbrk(out, "\x1b\x07\r\x7f\x9b"))
		fail_msg("raw control characters: '%s'", out);
	json = cJSON_Parse(out);
	assert_non_null(json);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "path")),
			    "/home/u/\x1b]0;owned\x07\r  2J ");
	cJSON_Delete(json);
}

static void error_printed_flattened(void **state)
{
	struct sf_error err = { .exit_code = SF_EXIT_FAILURE };
	char *text;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	snprintf(err.msg, sizeof(err.msg), "host: %s", "\x1b[31mrefused\r\n");
	assert_non_null(out);
	sf_error_print(out, &err);
	fclose(out);
	assert_string_equal(text, "snapfreeze: host:  [31mrefused  \n");
	free(text);
}

/* A session ending: one target still freezing, one still thawing, one thawed. */
static struct sf_target_info ending_targets[] = {
	{ .path = "/mnt/img", .fstype = "ext4", .stuck = true },
	{ .path = "/srv", .fstype = "xfs", .freeze_ns = 2000000, .stuck = true },
	{ .path = "/", .fstype = "ext4", .freeze_ns = 1000000, .frozen_ns = 5000000 },
};

static const struct sf_session_info ending = {
	.id = 9,
	.state = SNAPFREEZE_STATE_THAWING,
	.targets = ending_targets,
	.n_targets = 3,
};

static void stuck_targets_and_thawing_printed(void **state)
{
	char *text = printed(&ending);

	(void)state;
	assert_non_null(strstr(text, "session 9: thawing ("));
	assert_non_null(strstr(text, "  /mnt/img  ext4  dev 0:0  frozen in 0.000 ms  stuck: "
				     "still freezing when the session ended; "
				     "thawed as soon as its freeze returns\n"));
	assert_non_null(strstr(text, "  /srv  xfs  dev 0:0  frozen in 2.000 ms  stuck: "
				     "still thawing when the session ended\n"));
	assert_non_null(strstr(text, "  /  ext4  dev 0:0  frozen in 1.000 ms, "
				     "stayed frozen 5.000 ms\n"));
	free(text);
}

/* A session told to end while it still freezes says why; one ended says by what. */
static void ending_reason_printed(void **state)
{
	struct sf_session_info session = { .id = 4, .state = SNAPFREEZE_STATE_FREEZING,
					   .reason = SNAPFREEZE_REASON_REQUEST };
	char *text = printed(&session);

	(void)state;
	assert_non_null(strstr(text, "session 4: freezing, ending by request ("));
	free(text);
	session.state = SNAPFREEZE_STATE_THAWED;
	text = printed(&session);
	assert_non_null(strstr(text, "session 4: thawed by request ("));
	free(text);
}

static void stuck_targets_in_json(void **state)
{
	cJSON *json = sf_session_json(&ending);
	cJSON *targets = cJSON_GetObjectItem(json, "targets");

	(void)state;
	assert_non_null(json);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "state")), "thawing");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(targets, 0), "stuck")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(targets, 1), "stuck")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(targets, 2), "stuck")));
	cJSON_Delete(json);
}

static void stuck_targets_named(void **state)
{
	char buf[256], small[24];

	(void)state;
	assert_int_equal(sf_session_stuck_text(&ending, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "/mnt/img: still freezing when the session ended; "
				 "thawed as soon as its freeze returns; "
				 "/srv: still thawing when the session ended");
	assert_int_equal(sf_session_stuck_text(&ending, small, sizeof(small)), 2);
	assert_string_equal(small, "/mnt/img: still freezin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(session_text_flattened),
		cmocka_unit_test(json_flattened_and_valid),
		cmocka_unit_test(error_printed_flattened),
		cmocka_unit_test(stuck_targets_and_thawing_printed),
		cmocka_unit_test(ending_reason_printed),
		cmocka_unit_test(stuck_targets_in_json),
		cmocka_unit_test(stuck_targets_named),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
