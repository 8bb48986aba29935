/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_LOG_H
#define SNAPFREEZE_LOG_H

#include <stddef.h>

#include "error.h"

/*
 * extension.log: one line an event, "TIME LEVEL [SNAPSHOT] MESSAGE", TIME in
 * UTC to the millisecond; control characters in MESSAGE become spaces. Between sf_log_hold() and sf_log_release() lines
 * stay in memory (the file may be on a frozen filesystem, where a write
 * would hang): at most hold_limit bytes, then lines are counted and
 * dropped, and the count is logged on release. The file is rotated by size:
 * FILE.1 ... FILE.keep.
 */
/* The longest line, its newline included; longer ones end in "[truncated]". */
#define SF_LOG_MAX_LINE 4096

enum sf_log_level { SF_LOG_INFO, SF_LOG_WARNING, SF_LOG_ERROR };

struct sf_log_limits {
	size_t max_bytes;	/* rotate before the file grows past this */
	unsigned int keep;	/* rotated files kept */
	size_t hold_limit;	/* bytes held in memory while frozen */
};

#define SF_LOG_DEFAULT_LIMITS \
	((struct sf_log_limits){ .max_bytes = 5 << 20, .keep = 3, .hold_limit = 1 << 20 })

struct sf_log;

/* Creates missing directories (mode 0750) and the file (0640). */
struct sf_log *sf_log_open(const char *path, struct sf_log_limits limits,
			   struct sf_error *err);
/*
 * One event, one line: a newline or other control character in a message
 * (a script's output, a host's answer) would forge lines of its own. Each
 * becomes a space; sf_log_write() does it to every message.
 */
void sf_log_flatten(char *text);
void sf_log_set_snapshot(struct sf_log *log, const char *snapshot_id);
void sf_log_write(struct sf_log *log, enum sf_log_level level,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sf_log_hold(struct sf_log *log);
int sf_log_release(struct sf_log *log, struct sf_error *err);
void sf_log_close(struct sf_log *log);

#endif
