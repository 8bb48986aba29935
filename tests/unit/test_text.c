// SPDX-License-Identifier: GPL-2.0
/* Untrusted text made safe for a terminal or a log line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static const struct {
	const char *text;
	const char *flat;
} cases[] = {
	{ "plain text, UTF-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", NULL },
	{ "\x1b[31mred\x1b[0m\r\n", " [31mred [0m  " },
	{ "tab\tbell\adel\x7f", "tab bell del " },
	/* C1 controls: CSI as UTF-8 (U+009B), and as a bare byte. */
	{ "\xc2\x9b" "31m \x9b" "31m", "  31m  31m" },
	/* Not UTF-8: overlong, a surrogate, past U+10FFFF, cut short. */
	{ "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82", "  " " " "   " " " "    " " " "  " },
};

static void control_characters_and_bad_bytes_become_spaces(void **state)
{
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *flat = cases[i].flat ? cases[i].flat : cases[i].text;

		snprintf(buf, sizeof(buf), "%s", cases[i].text);
		sf_text_flatten(buf);
		if (strcmp(buf, flat))
			fail_msg("case %zu: '%s', not '%s'", i, buf, flat);
	}
}

static void printed_as_flattened(void **state)
{
	char *printed;
	size_t len, i;
	FILE *out;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *flat = cases[i].flat ? cases[i].flat : cases[i].text;

		out = open_memstream(&printed, &len);
		assert_non_null(out);
		sf_text_fputs(cases[i].text, out);
		fclose(out);
		if (strcmp(printed, flat))
			fail_msg("case %zu: '%s', not '%s'", i, printed, flat);
		free(printed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_characters_and_bad_bytes_become_spaces),
		cmocka_unit_test(printed_as_flattened),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
