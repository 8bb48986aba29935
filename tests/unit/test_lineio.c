// SPDX-License-Identifier: GPL-2.0
/* Bounded lines over a socket pair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lineio.h"

static int pair[2];

static int setup(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair);
}

static int teardown(void **state)
{
	(void)state;
	close(pair[0]);
	close(pair[1]);
	return 0;
}

static void put(const char *text)
{
	assert_int_equal(sf_line_write(pair[1], text, strlen(text), sf_now_ms() + 1000),
			 SF_LINE_OK);
}

static void lines_cut_at_newlines(void **state)
{
	struct sf_line_reader reader;
	char *line;

	(void)state;
	sf_line_reader_init(&reader, pair[0], 64);
	put("one\ntw");
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_OK);
	assert_string_equal(line, "one");
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_AGAIN);
	put("o\n\nthree\n");
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_OK);
	assert_string_equal(line, "two");
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_OK);
	assert_string_equal(line, "");
	assert_int_equal(sf_line_read(&reader, sf_now_ms() + 1000, &line), SF_LINE_OK);
	assert_string_equal(line, "three");
	sf_line_reader_free(&reader);
}

/* The limit counts the newline; the rest of a longer line is skipped. */
static void too_long_skipped_to_its_end(void **state)
{
	struct sf_line_reader reader;
	char text[200], *line;

	(void)state;
	sf_line_reader_init(&reader, pair[0], 64);
	memset(text, 'a', 63);
	strcpy(text + 63, "\n");
	put(text);
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_OK);
	assert_int_equal(strlen(line), 63);

	memset(text, 'b', 150);
	strcpy(text + 150, "\nnext\n");
	put(text);
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_TOO_LONG);
	assert_int_equal(sf_line_get(&reader, &line), SF_LINE_OK);
	assert_string_equal(line, "next");
	sf_line_reader_free(&reader);
}

static void timeout_then_eof(void **state)
{
	struct sf_line_reader reader;
	uint64_t start = sf_now_ms();
	char *line;

	(void)state;
	sf_line_reader_init(&reader, pair[0], 64);
	put("partial");
	assert_int_equal(sf_line_read(&reader, start + 100, &line), SF_LINE_TIMEOUT);
	assert_true(sf_now_ms() - start >= 100);
	assert_true(sf_now_ms() - start < 1000);
	shutdown(pair[1], SHUT_WR);
	assert_int_equal(sf_line_read(&reader, sf_now_ms() + 1000, &line), SF_LINE_EOF);
	sf_line_reader_free(&reader);
}

/* A writer that nobody reads gives up at its deadline. */
static void write_bounded(void **state)
{
	static char chunk[1 << 16];
	uint64_t start = sf_now_ms();
	enum sf_line status;

	(void)state;
	do
		status = sf_line_write(pair[1], chunk, sizeof(chunk), start + 200);
	while (status == SF_LINE_OK);
	assert_int_equal(status, SF_LINE_TIMEOUT);
	assert_true(sf_now_ms() - start < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lines_cut_at_newlines, setup, teardown),
		cmocka_unit_test_setup_teardown(too_long_skipped_to_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_then_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(write_bounded, setup, teardown),
	};

	return cmocka_run_group_tests_name("lineio", tests, NULL, NULL);
}
