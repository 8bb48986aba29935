/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_BACKEND_H
#define SNAPFREEZE_HOSTD_BACKEND_H

#include <poll.h>
#include <stdint.h>

#include "hostd.h"
#include "protocol.h"

/*
 * A way of taking the snapshot. It never blocks: the server polls the fds
 * it names, together with the guest's channel, and steps it after every
 * poll, so that a request arriving meanwhile is answered at once. Each
 * backend keeps the deadline it was given, and answers "timeout" there.
 * News before the end (a progress line to the guest) would be one more
 * step, which the server sends on without ending the job.
 */
enum hostd_step {
	HOSTD_RUNNING,
	HOSTD_ANSWER,		/* result filled; the job still has to end */
	HOSTD_DONE,		/* ended; result filled unless HOSTD_ANSWER came before */
};

#define HOSTD_MAX_FDS 4
/* How long a snapshot answered "timeout", which may still complete, is waited for. */
#define HOSTD_LATE_RETURN_MS 60000

struct hostd_backend {
	const char *name;	/* for the log */
	/* NULL with result filled when it cannot start. line: the request's. */
	void *(*start)(const struct hostd_options *options,
		       const struct hostd_request *request, const char *line,
		       uint64_t deadline, struct hostd_result *result);
	/* At most HOSTD_MAX_FDS; *wake: when to step without an event. */
	int (*fds)(void *job, struct pollfd *fds, uint64_t *wake);
	enum hostd_step (*step)(void *job, const struct pollfd *fds, int n,
				struct hostd_result *result);
	/* Ends the job at once, whatever its state, and frees it. */
	void (*stop)(void *job);
};

extern const struct hostd_backend hostd_qmp_backend;
extern const struct hostd_backend hostd_libvirt_backend;
extern const struct hostd_backend hostd_command_backend;

/* The backend the options chose: --qmp, --libvirt or --command. */
const struct hostd_backend *hostd_backend_of(const struct hostd_options *options);

#endif
