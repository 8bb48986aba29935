// SPDX-License-Identifier: GPL-2.0
#include "lineio.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sf_remaining_ms(uint64_t deadline)
{
	uint64_t now = sf_now_ms();

	if (now >= deadline)
		return 0;
	return deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
}

void sf_line_reader_init(struct sf_line_reader *reader, int fd, size_t max)
{
	*reader = (struct sf_line_reader){ .fd = fd, .max = max, .abort_fd = -1 };
}

void sf_line_reader_free(struct sf_line_reader *reader)
{
	free(reader->buf);
	reader->buf = NULL;
	reader->size = reader->len = reader->used = 0;
}

/* The buffer grows with the lines, up to the limit, not to it at once. */
static int grow(struct sf_line_reader *reader)
{
	size_t size = reader->size ? reader->size * 2 : 4096;
	char *buf;

	if (size > reader->max)
		size = reader->max;
	buf = realloc(reader->buf, size);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	reader->buf = buf;
	reader->size = size;
	return 0;
}

static void drop(struct sf_line_reader *reader, size_t len)
{
	if (!len)
		return;
	reader->len -= len;
	memmove(reader->buf, reader->buf + len, reader->len);
}

/* A whole line from the buffer, skipping what is left of a line too long. */
static enum sf_line buffered_line(struct sf_line_reader *reader, char **line)
{
	char *newline;

	drop(reader, reader->used);
	reader->used = 0;
	newline = reader->len ? memchr(reader->buf, '\n', reader->len) : NULL;
	if (reader->skipping) {
		if (!newline) {
			reader->len = 0;
			return SF_LINE_AGAIN;
		}
		reader->skipping = false;
		reader->used = newline + 1 - reader->buf;
		return buffered_line(reader, line);
	}
	if (newline) {
		*newline = '\0';
		reader->used = newline + 1 - reader->buf;
		*line = reader->buf;
		return SF_LINE_OK;
	}
	if (reader->len >= reader->max) {
		reader->skipping = true;
		reader->len = 0;
		return SF_LINE_TOO_LONG;
	}
	return SF_LINE_AGAIN;
}

enum sf_line sf_line_get(struct sf_line_reader *reader, char **line)
{
	for (;;) {
		enum sf_line status = buffered_line(reader, line);
		ssize_t got;

		if (status != SF_LINE_AGAIN)
			return status;
		if (reader->len == reader->size && grow(reader))
			return SF_LINE_ERROR;
		got = read(reader->fd, reader->buf + reader->len, reader->size - reader->len);
		if (got > 0)
			reader->len += got;
		else if (!got)
			return SF_LINE_EOF;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			return SF_LINE_AGAIN;
		else if (errno != EINTR)
			return SF_LINE_ERROR;
	}
}

enum sf_line sf_line_read(struct sf_line_reader *reader, uint64_t deadline,
			  char **line)
{
	for (;;) {
		enum sf_line status = sf_line_get(reader, line);
		struct pollfd fds[2];
		int ready;

		if (status != SF_LINE_AGAIN)
			return status;
		fds[0] = (struct pollfd){ .fd = reader->fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = reader->abort_fd, .events = POLLIN };
		ready = poll(fds, 2, sf_remaining_ms(deadline));
		if (!ready)
			return SF_LINE_TIMEOUT;
		if (ready < 0 && errno != EINTR)
			return SF_LINE_ERROR;
		if (ready > 0 && fds[1].revents)
			return SF_LINE_ABORTED;
	}
}

enum sf_line sf_line_write(int fd, const char *text, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t written = write(fd, text, len);
		int ready;

		if (written > 0) {
			text += written;
			len -= written;
			continue;
		}
		if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return SF_LINE_ERROR;
		ready = poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1,
			     sf_remaining_ms(deadline));
		if (!ready)
			return SF_LINE_TIMEOUT;
		if (ready < 0 && errno != EINTR)
			return SF_LINE_ERROR;
	}
	return SF_LINE_OK;
}
