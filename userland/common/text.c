// SPDX-License-Identifier: GPL-2.0
#include "text.h"

#include <stdbool.h>
#include <stdint.h>

/* The length of a UTF-8 sequence from its first byte; 0: not a first byte. */
static size_t sequence_length(unsigned char first)
{
	if (first < 0x80)
		return 1;
	if (first >= 0xc2 && first <= 0xdf)
		return 2;
	if (first >= 0xe0 && first <= 0xef)
		return 3;
	if (first >= 0xf0 && first <= 0xf4)
		return 4;
	return 0;
}

/*
 * The character that text starts with: its length in bytes, and whether it
 * is unsafe (a control character, or a byte that starts no valid UTF-8
 * sequence: overlong, a surrogate, past U+10FFFF or cut short).
 */
static size_t next_char(const unsigned char *text, bool *unsafe)
{
	static const uint32_t smallest[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = sequence_length(text[0]), i;
	uint32_t c;

	if (len == 1) {
		*unsafe = text[0] < ' ' || text[0] == 0x7f;
		return 1;
	}
	*unsafe = true;
	if (!len)
		return 1;
	c = text[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((text[i] & 0xc0) != 0x80)
			return 1;
		c = c << 6 | (text[i] & 0x3f);
	}
	if (c < smallest[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 1;
	*unsafe = c <= 0x9f;
	return len;
}

void sf_text_flatten(char *text)
{
	bool unsafe;
	size_t len, i;

	while (*text) {
		len = next_char((const unsigned char *)text, &unsafe);
		for (i = 0; unsafe && i < len; i++)
			text[i] = ' ';
		text += len;
	}
}

void sf_text_fputs(const char *text, FILE *out)
{
	bool unsafe;
	size_t len, i;

	while (*text) {
		len = next_char((const unsigned char *)text, &unsafe);
		for (i = 0; i < len; i++)
			fputc(unsafe ? ' ' : text[i], out);
		text += len;
	}
}
