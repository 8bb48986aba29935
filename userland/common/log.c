// SPDX-License-Identifier: GPL-2.0
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sf_log {
	char *path;
	int fd;
	struct sf_log_limits limits;
	char snapshot[64];
	bool held;
	char *held_lines;
	size_t held_len;
	size_t dropped;
	int write_error;	/* the first errno of a failed write */
};

static const char *const level_names[] = {
	[SF_LOG_INFO] = "INFO",
	[SF_LOG_WARNING] = "WARNING",
	[SF_LOG_ERROR] = "ERROR",
};

static int make_parents(const char *path, struct sf_error *err)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST) {
			sf_fail(err, SF_EXIT_FAILURE, "%s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		*slash = '/';
	}
	free(dir);
	return 0;
}

static int open_file(struct sf_log *log, struct sf_error *err)
{
	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log->fd < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", log->path,
			       strerror(errno));
	return 0;
}

struct sf_log *sf_log_open(const char *path, struct sf_log_limits limits,
			   struct sf_error *err)
{
	struct sf_log *log = calloc(1, sizeof(*log));

	if (!log || !(log->path = strdup(path)) ||
	    !(log->held_lines = malloc(limits.hold_limit + 1))) {
		sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		goto fail;
	}
	log->limits = limits;
	log->fd = -1;
	if (make_parents(path, err) || open_file(log, err))
		goto fail;
	return log;
fail:
	sf_log_close(log);
	return NULL;
}

void sf_log_set_snapshot(struct sf_log *log, const char *snapshot_id)
{
	snprintf(log->snapshot, sizeof(log->snapshot), "%s", snapshot_id);
}

/* FILE.keep is dropped, FILE.N becomes FILE.N+1, FILE becomes FILE.1. */
static void rotate(struct sf_log *log)
{
	size_t len = strlen(log->path) + 16;
	char *from = malloc(len), *to = malloc(len);
	unsigned int n;

	if (from && to) {
		for (n = log->limits.keep; n > 0; n--) {
			if (n > 1)
				snprintf(from, len, "%s.%u", log->path, n - 1);
			else
				snprintf(from, len, "%s", log->path);
			snprintf(to, len, "%s.%u", log->path, n);
			rename(from, to);
		}
		if (!log->limits.keep)
			unlink(log->path);
		close(log->fd);
		open_file(log, &(struct sf_error){ 0 });
	}
	free(from);
	free(to);
}

static void write_file(struct sf_log *log, const char *text, size_t len)
{
	struct stat st;

	if (log->fd >= 0 && !fstat(log->fd, &st) &&
	    (size_t)st.st_size + len > log->limits.max_bytes && st.st_size > 0)
		rotate(log);
	if (log->fd < 0 || write(log->fd, text, len) != (ssize_t)len) {
		if (!log->write_error)
			log->write_error = log->fd < 0 ? EBADF : errno ? errno : EIO;
	}
}

void sf_log_flatten(char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text < ' ' || *text == 0x7f)
			*text = ' ';
}

void sf_log_write(struct sf_log *log, enum sf_log_level level,
		  const char *fmt, ...)
{
	static const char truncated[] = " [truncated]";
	char line[SF_LOG_MAX_LINE];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int prefix, len;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	prefix = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
			  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			  tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
			  level_names[level], log->snapshot[0] ? log->snapshot : "-");
	va_start(ap, fmt);
	len = prefix + vsnprintf(line + prefix, sizeof(line) - prefix, fmt, ap);
	va_end(ap);
	sf_log_flatten(line + prefix);
	if (len > (int)sizeof(line) - 2) {
		len = sizeof(line) - sizeof(truncated) - 1;
		memcpy(line + len, truncated, sizeof(truncated));
		len += sizeof(truncated) - 1;
	}
	line[len++] = '\n';
	line[len] = '\0';

	if (!log->held) {
		write_file(log, line, len);
	} else if (log->held_len + len <= log->limits.hold_limit) {
		memcpy(log->held_lines + log->held_len, line, len);
		log->held_len += len;
	} else {
		log->dropped++;
	}
}

void sf_log_hold(struct sf_log *log)
{
	log->held = true;
}

int sf_log_release(struct sf_log *log, struct sf_error *err)
{
	log->held = false;
	write_file(log, log->held_lines, log->held_len);
	log->held_len = 0;
	if (log->dropped) {
		sf_log_write(log, SF_LOG_WARNING,
			     "%zu lines written while frozen were dropped (more than %zu bytes)",
			     log->dropped, log->limits.hold_limit);
		log->dropped = 0;
	}
	if (log->write_error)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", log->path,
			       strerror(log->write_error));
	return 0;
}

void sf_log_close(struct sf_log *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	free(log->held_lines);
	free(log->path);
	free(log);
}
