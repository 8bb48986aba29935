/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_CHANNEL_H
#define SNAPFREEZE_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "spawn.h"

/*
 * The channel to a host that speaks docs/protocol.md line by line:
 * serial:NAME or serial:/dev/PATH, unix:PATH, vsock:CID:PORT, or
 * exec:COMMAND (/bin/sh -c COMMAND, started as sf_spawn() starts every
 * child, the channel its standard input and output). Non-blocking fds.
 */
struct sf_channel {
	int in;
	int out;		/* the same fd as in for sockets */
	struct sf_child child;	/* exec: */
	int stderr_fd;		/* exec: its standard error */
};

#define SF_NO_CHANNEL \
	((struct sf_channel){ .in = -1, .out = -1, .child = { .pid = -1, .pidfd = -1 }, \
			      .stderr_fd = -1 })
/*
 * Bytes kept of an exec: command's standard error: a sealed memory file,
 * never a file on a filesystem the snapshot freezes, where its writes
 * would hang; past the limit its writes fail.
 */
#define SF_EXEC_STDERR_LIMIT 4096

/* Connected before the deadline (sf_now_ms()), or the command started. */
int sf_channel_open(const char *uri, uint64_t deadline, struct sf_channel *channel,
		    struct sf_error *err);
/* Closes it; an exec: command still running is stopped. */
void sf_channel_close(struct sf_channel *channel);
/* What an exec: command wrote to its standard error, on one line; "" if nothing. */
void sf_channel_exec_stderr(const struct sf_channel *channel, char *text, size_t size);

#endif
