/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_TEXT_H
#define SNAPFREEZE_TEXT_H

#include <stdio.h>

/*
 * Untrusted text (a host's answer, a script's output, a value from a
 * configuration file) made safe for a terminal or a log line: control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 become spaces, so
 * that no escape sequence passes and a line stays one line. In place.
 */
void sf_text_flatten(char *text);

/* fputs() of the text as sf_text_flatten() makes it, the text untouched. */
void sf_text_fputs(const char *text, FILE *out);

#endif
