// SPDX-License-Identifier: GPL-2.0
#include "hostd.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "text.h"

/* One log for the process: the agent serves one VM. */
static struct sf_log *log_file;

int hostd_log_open(const char *path, struct sf_error *err)
{
	struct sf_log_limits limits = SF_LOG_DEFAULT_LIMITS;

	limits.hold_limit = 0;	/* nothing is frozen on the host */
	if (path) {
		log_file = sf_log_open(path, limits, err);
		return log_file ? 0 : -1;
	}
	/*
	 * Standard error is never rotated: it is not ours to rename. It
	 * cannot be opened again when it is a socket (the journal): then the
	 * lines go out without a time stamp, which the journal adds. Our own
	 * messages on standard error append too, not to write over the log's.
	 */
	limits.max_bytes = SIZE_MAX;
	fcntl(STDERR_FILENO, F_SETFL, fcntl(STDERR_FILENO, F_GETFL) | O_APPEND);
	log_file = sf_log_open("/dev/stderr", limits, &(struct sf_error){ 0 });
	return 0;
}

static bool shown_as_is(unsigned char c)
{
	return c >= ' ' && c < 0x7f && c != '[' && c != ']';
}

const char *hostd_log_id(const char *id, char shown[HOSTD_LOG_ID_SIZE])
{
	size_t i;

	if (!id)
		id = "-";
	for (i = 0; id[i] && i < HOSTD_LOG_ID_SIZE - 1; i++)
		shown[i] = shown_as_is(id[i]) ? id[i] : '?';
	shown[i] = '\0';
	return shown;
}

void hostd_log(enum sf_log_level level, const char *id, const char *fmt, ...)
{
	static const char *const prefixes[] = {
		[SF_LOG_INFO] = "",
		[SF_LOG_WARNING] = "warning: ",
		[SF_LOG_ERROR] = "error: ",
	};
	char message[1536], shown[HOSTD_LOG_ID_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	hostd_log_id(id, shown);
	if (!log_file) {
		sf_text_flatten(message);
		fprintf(stderr, "snapfreeze-hostd: [%s] %s%s\n", shown, prefixes[level], message);
		return;
	}
	sf_log_set_snapshot(log_file, shown);
	sf_log_write(log_file, level, "%s", message);
}

void hostd_log_close(void)
{
	sf_log_close(log_file);
	log_file = NULL;
}
