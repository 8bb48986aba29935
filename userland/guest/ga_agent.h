/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_GA_AGENT_H
#define SNAPFREEZE_GA_AGENT_H

#include <stdbool.h>

#include "error.h"
#include "ga_freeze.h"
#include "ga_upstream.h"

/*
 * snapfreeze agent: the QEMU guest agent's protocol on the host's channel.
 * The sync, ping, info and fsfreeze commands are answered here (the
 * freeze through the module); every other one goes to qemu-ga when one
 * runs (upstream), or is refused as qemu-ga refuses a command it does not
 * have. While frozen, only the commands qemu-ga allows while frozen run.
 */
struct ga_agent {
	struct ga_freeze *freeze;
	struct ga_upstream *upstream;	/* NULL: none */
	char *held;			/* log lines kept while frozen */
	size_t held_len;
};

/*
 * The answer to one line from the host (without its newline), or NULL
 * when none comes from here: the request went to qemu-ga, whose answer
 * follows from there. *delimited: the answer is to follow a 0xFF byte.
 */
char *ga_agent_handle(struct ga_agent *agent, const char *line, bool *delimited);
/*
 * Serves the host's channel in/out (non-blocking) until stop_fd is
 * readable or, unless serial, the host closes it. A virtio-serial port
 * (serial) reads end-of-file while no host is connected: it is waited on.
 */
int ga_agent_serve(struct ga_agent *agent, int in, int out, bool serial, int stop_fd,
		   struct sf_error *err);
/* A line for the log (standard error), kept in memory while frozen. */
void ga_agent_note(struct ga_agent *agent, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ga_agent_release_notes(struct ga_agent *agent);

#endif
