/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_ERROR_H
#define SNAPFREEZE_ERROR_H

/*
 * Exit codes of the snapfreeze command; documented in README.md and
 * snapfreeze(8). Never renumbered.
 */
enum sf_exit {
	SF_EXIT_OK = 0,
	SF_EXIT_FAILURE = 1,
	SF_EXIT_USAGE = 2,
	SF_EXIT_NO_MODULE = 3,
	SF_EXIT_PERMISSION = 4,
	SF_EXIT_FREEZE_LOST = 5,
};

#define SF_ERROR_MSG_SIZE 512

/*
 * Functions report failures by filling one of these and returning -1; only
 * main() prints them.
 */
struct sf_error {
	enum sf_exit exit_code;
	char msg[SF_ERROR_MSG_SIZE];
};

int sf_fail(struct sf_error *err, enum sf_exit exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
