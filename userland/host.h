/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOST_H
#define SNAPFREEZE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mounts.h"

/*
 * Asking the host for the snapshot, as docs/protocol.md specifies: one JSON
 * request line, then lines until the answer with the request's id, all
 * within the request's deadline, over serial:, unix:, vsock: or exec:.
 */
#define SF_HOST_PROTOCOL_VERSION 1
#define SF_HOST_MAX_LINE 65536

struct sf_host_request {
	const char *id;
	const char *consistency;	/* application, filesystem or crash */
	uint32_t deadline_ms;		/* without progress */
	/*
	 * The longest wait, from the request on, that progress messages can
	 * extend it to (each gives the host deadline_ms more); 0: progress
	 * does not extend the wait.
	 */
	uint32_t max_deadline_ms;
	/* Told each progress message (NULL if it had none); optional. */
	void (*on_progress)(const char *message, void *arg);
	void *progress_arg;
	const struct sf_mount *targets;
	size_t n_targets;
};

struct sf_host_answer {
	bool ok;
	char *snapshot;
	char *error;
	char *message;
};

char *sf_host_request_line(const struct sf_host_request *request);
/*
 * 0: the answer to id; 1: a line about another id; SF_HOST_PROGRESS: a
 * progress message about id (its message, or NULL, in answer->message);
 * -1: invalid (err).
 */
#define SF_HOST_PROGRESS 2
int sf_host_parse_answer(const char *line, const char *id,
			 struct sf_host_answer *answer, struct sf_error *err);
/* When the wait ends after a progress message at now_ms (milliseconds). */
uint64_t sf_host_extend_deadline(const struct sf_host_request *request,
				 uint64_t started_ms, uint64_t now_ms,
				 uint64_t deadline);
/* 0: an answer came (ok or not); -1: no valid answer (err says why). */
int sf_host_ask(const char *uri, const struct sf_host_request *request,
		struct sf_host_answer *answer, struct sf_error *err);
void sf_host_answer_free(struct sf_host_answer *answer);

#endif
