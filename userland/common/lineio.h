/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_LINEIO_H
#define SNAPFREEZE_LINEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

/*
 * Lines over non-blocking fds, as the guest-to-host protocol and QMP frame
 * them: each line bounded, every wait bounded by a deadline on the
 * monotonic clock (sf_now_ms()). Shared by the controller and the host
 * agent so that both sides cut lines the same way.
 */
enum sf_line {
	SF_LINE_OK,		/* a whole line */
	SF_LINE_AGAIN,		/* no whole line yet: poll the fd */
	SF_LINE_TOO_LONG,	/* longer than the limit; the rest of it is skipped */
	SF_LINE_EOF,
	SF_LINE_TIMEOUT,
	SF_LINE_ERROR,		/* errno says why */
	SF_LINE_ABORTED,	/* abort_fd became readable */
};

struct sf_line_reader {
	int fd;
	size_t max;		/* the longest line, its newline included */
	char *buf;
	size_t size;		/* allocated */
	size_t len;		/* buffered */
	size_t used;		/* the line handed out last, dropped on the next call */
	bool skipping;		/* inside a line that was too long */
	int abort_fd;		/* readable: sf_line_read() gives up; -1: none */
};

/* Milliseconds to the deadline, 0 when it passed: a poll() timeout. */
int sf_remaining_ms(uint64_t deadline);

void sf_line_reader_init(struct sf_line_reader *reader, int fd, size_t max);
void sf_line_reader_free(struct sf_line_reader *reader);
/*
 * Without waiting: a buffered line, else what one read() brings. The line
 * is NUL-terminated without its newline, and lasts until the next call.
 */
enum sf_line sf_line_get(struct sf_line_reader *reader, char **line);
/* Waits for a line until the deadline, or until abort_fd is readable. */
enum sf_line sf_line_read(struct sf_line_reader *reader, uint64_t deadline,
			  char **line);
/* Writes all len bytes before the deadline: SF_LINE_OK, _TIMEOUT or _ERROR. */
enum sf_line sf_line_write(int fd, const char *text, size_t len, uint64_t deadline);

#endif
