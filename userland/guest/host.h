/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOST_H
#define SNAPFREEZE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hostproto.h"
#include "mounts.h"

/*
 * Asking the host for the snapshot, as docs/protocol.md specifies: one JSON
 * request line, then lines until the answer with the request's id, all
 * within the request's deadline, over serial:, unix:, vsock:, exec:,
 * http:// or https://; or Azure's own protocol over azure: (azure_host.h).
 */

struct sf_host;
struct cJSON;
struct sf_azure_snapshot;

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
	int abort_fd;		/* readable: stop waiting (a signal, a lost
				 * freeze); -1: none */
};

struct sf_host_answer {
	bool ok;
	char *snapshot;
	char *error;
	char *message;
	struct cJSON *disks;	/* the host's "disks" array, if it sent one */
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
/*
 * The URI checked and its channel opened (connected within timeout_ms, an
 * exec: command started) before anything is frozen, so that a wrong host
 * costs no frozen time. http:// and https:// resolve the host's name and
 * connect (TLS included) here; the request reuses the connection. azure:
 * asks presnapshot here, with azure's parameters (NULL: none).
 */
struct sf_host *sf_host_open(const char *uri, uint32_t timeout_ms,
			     const struct sf_azure_snapshot *azure, struct sf_error *err);
/*
 * One request on an open host. 0: an answer came (ok or not); -1: no valid
 * answer (err says why).
 */
int sf_host_ask(struct sf_host *host, const struct sf_host_request *request,
		struct sf_host_answer *answer, struct sf_error *err);
/* Closes the channel; an exec: command still running is killed. NULL: nothing. */
void sf_host_close(struct sf_host *host);
void sf_host_answer_free(struct sf_host_answer *answer);
/* azure:'s host status codes of presnapshot and dosnapshot (0: not asked, or not azure:). */
void sf_host_azure_statuses(const struct sf_host *host, int *pre, int *snapshot);

#endif
