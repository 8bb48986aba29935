// SPDX-License-Identifier: GPL-2.0
#include "outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hostd.h"
#include "hostproto.h"
#include "lineio.h"

/* Lines waiting for a guest that does not read; more are dropped whole. */
#define OUTBOX_MAX (4 * SF_HOST_MAX_LINE)
/* On the way out, the last lines get this long to leave. */
#define EXIT_FLUSH_MS 1000

size_t hostd_outbox_waiting(const struct hostd_outbox *out)
{
	return out->len - out->sent;
}

void hostd_outbox_flush(struct hostd_outbox *out)
{
	while (hostd_outbox_waiting(out)) {
		ssize_t sent = send(out->fd, out->buf + out->sent, hostd_outbox_waiting(out),
				    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (sent > 0) {
			out->sent += sent;
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* Reading the channel tells the end of the guest. */
			hostd_log(SF_LOG_WARNING, NULL, "%zu bytes for the guest lost: %s",
				  hostd_outbox_waiting(out), strerror(errno));
			out->sent = out->len;
		}
		break;
	}
	if (!hostd_outbox_waiting(out))
		out->len = out->sent = 0;
}

bool hostd_outbox_put(struct hostd_outbox *out, const char *id, const char *what, char *line)
{
	size_t len = line ? strlen(line) : 0;
	char *buf;

	if (!line) {
		hostd_log(SF_LOG_ERROR, id, "no %s: out of memory", what);
		return false;
	}
	if (hostd_outbox_waiting(out) + len > OUTBOX_MAX) {
		hostd_log(SF_LOG_WARNING, id,
			  "the %s is dropped: the guest does not read its channel (%zu bytes wait)",
			  what, hostd_outbox_waiting(out));
		free(line);
		return false;
	}
	if (out->sent) {
		memmove(out->buf, out->buf + out->sent, hostd_outbox_waiting(out));
		out->len -= out->sent;
		out->sent = 0;
	}
	buf = realloc(out->buf, out->len + len);
	if (!buf) {
		hostd_log(SF_LOG_ERROR, id, "no %s: out of memory", what);
		free(line);
		return false;
	}
	memcpy(buf + out->len, line, len);
	out->buf = buf;
	out->len += len;
	free(line);
	hostd_outbox_flush(out);
	return true;
}

void hostd_outbox_close(struct hostd_outbox *out, bool send_rest)
{
	if (send_rest && out->fd >= 0 && hostd_outbox_waiting(out) &&
	    sf_line_write(out->fd, out->buf + out->sent, hostd_outbox_waiting(out),
			  sf_now_ms() + EXIT_FLUSH_MS) != SF_LINE_OK)
		hostd_log(SF_LOG_WARNING, NULL, "%zu bytes for the guest not sent on the way out",
			  hostd_outbox_waiting(out));
	free(out->buf);
	*out = (struct hostd_outbox){ .fd = -1 };
}
