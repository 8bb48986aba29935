// SPDX-License-Identifier: GPL-2.0
/*
 * docs/protocol.md from both ends at once: what the guest's encoder writes,
 * the host's decoder reads back the same, and the other way round.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "protocol.h"

/* The line without its newline, as a line reader hands it out. */
static char *chomp(char *line)
{
	size_t len;

	assert_non_null(line);
	len = strlen(line);
	assert_true(len > 0 && line[len - 1] == '\n');
	line[len - 1] = '\0';
	return line;
}

/* An id a guest may send: quotes, backslashes, control characters, UTF-8. */
static const char hostile_id[] = "id \"quoted\" \\ \n\r\x1b[31m \xc3\xa9";

static void request_read_as_written(void **state)
{
	static struct sf_mount targets[] = {
		{ .mount_point = "/", .fstype = "ext4", .source = "/dev/vda1", .major = 254,
		  .minor = 1 },
		{ .mount_point = "/srv/data", .fstype = "xfs", .source = "/dev/vdb", .major = 254,
		  .minor = 16 },
	};
	struct sf_host_request written = {
		.id = hostile_id,
		.consistency = "application",
		.deadline_ms = 3000,
		.max_deadline_ms = 9000,
		.targets = targets,
		.n_targets = 2,
		.abort_fd = -1,
	};
	struct hostd_result result = { 0 };
	struct hostd_request read = { 0 };
	char *line = chomp(sf_host_request_line(&written));

	(void)state;
	assert_int_equal(hostd_parse_request(line, &read, &result), 0);
	assert_string_equal(read.id, hostile_id);
	assert_string_equal(read.consistency, "application");
	assert_int_equal(read.deadline_ms, 3000);
	assert_int_equal(read.max_deadline_ms, 9000);
	assert_int_equal(read.n_targets, 2);
	hostd_request_free(&read);
	hostd_result_free(&result);
	free(line);
}

static void answer_read_as_written(void **state)
{
	struct hostd_disk disk = {
		.device = "virtio0",
		.image = "/vm/a.img",
		.overlay = "/vm/snapshots/virtio0-1.qcow2",
	};
	struct hostd_result written = {
		.ok = true,
		.snapshot = "snap-7",
		.disks = &disk,
		.n_disks = 1,
	};
	struct sf_host_answer read;
	struct sf_error err;
	const cJSON *first;
	char *line;

	(void)state;
	strcpy(written.message, "3 disks");
	line = chomp(hostd_answer_line(hostile_id, &written));
	assert_int_equal(sf_host_parse_answer(line, hostile_id, &read, &err), 0);
	assert_true(read.ok);
	assert_string_equal(read.snapshot, "snap-7");
	assert_string_equal(read.message, "3 disks");
	assert_null(read.error);
	first = cJSON_GetArrayItem(read.disks, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(first, "device")), "virtio0");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(first, "image")), "/vm/a.img");
	sf_host_answer_free(&read);
	free(line);
}

/* Every refusal the host makes is an answer the guest reads as one. */
static void refusal_read_as_written(void **state)
{
	struct hostd_result written = { 0 };
	struct sf_host_answer read;
	struct sf_error err;
	char *line;

	(void)state;
	hostd_fail(&written, "rate", "at most %d requests a minute", 10);
	line = chomp(hostd_answer_line("req-1", &written));
	assert_int_equal(sf_host_parse_answer(line, "req-1", &read, &err), 0);
	assert_false(read.ok);
	assert_string_equal(read.error, "rate");
	assert_string_equal(read.message, "at most 10 requests a minute");
	/* An answer to another request is told apart, not taken. */
	assert_int_equal(sf_host_parse_answer(line, "req-2", &read, &err), 1);
	sf_host_answer_free(&read);
	hostd_result_free(&written);
	free(line);
}

static void progress_read_as_written(void **state)
{
	char *line = chomp(hostd_progress_line("req-1", "2 of 3 disks"));
	struct sf_host_answer read;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_host_parse_answer(line, "req-1", &read, &err), SF_HOST_PROGRESS);
	assert_string_equal(read.message, "2 of 3 disks");
	sf_host_answer_free(&read);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_read_as_written),
		cmocka_unit_test(answer_read_as_written),
		cmocka_unit_test(refusal_read_as_written),
		cmocka_unit_test(progress_read_as_written),
	};

	return cmocka_run_group_tests_name("protocol, both ends", tests, NULL, NULL);
}
