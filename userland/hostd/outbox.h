/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_OUTBOX_H
#define SNAPFREEZE_HOSTD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Lines to the guest wait here until its channel takes them, so that the
 * loop never blocks on a guest that does not read (QEMU reads the channel
 * only while the guest holds its port open). Only whole lines go in, and
 * the channel gets the bytes in order: a line the channel took in part is
 * finished before the next one starts, and the framing holds.
 */
struct hostd_outbox {
	int fd;			/* the guest's channel */
	char *buf;
	size_t len;		/* queued, sent included */
	size_t sent;
};

size_t hostd_outbox_waiting(const struct hostd_outbox *out);
/* Gives the channel what it takes now, without waiting. */
void hostd_outbox_flush(struct hostd_outbox *out);
/*
 * true if line (freed here) is on its way; otherwise the log says why.
 * id and what ("answer", "progress"): what the line is, for the log.
 */
bool hostd_outbox_put(struct hostd_outbox *out, const char *id, const char *what, char *line);
/* Leaving: with send_rest, what still waits gets a last, bounded chance. */
void hostd_outbox_close(struct hostd_outbox *out, bool send_rest);

#endif
