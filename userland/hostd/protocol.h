/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_PROTOCOL_H
#define SNAPFREEZE_HOSTD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * The host's side of docs/protocol.md: a request line read, an answer line
 * made. Every refusal is an answer: the guest waits for one.
 */
struct hostd_request {
	char *id;		/* NULL when the line had none */
	char *consistency;
	uint32_t deadline_ms;
	uint32_t max_deadline_ms;	/* 0: progress extends nothing */
	size_t n_targets;
};

struct hostd_disk {
	char *device;
	char *image;		/* holds the point-in-time copy after the snapshot */
	char *overlay;		/* takes the VM's writes from then on */
};

struct hostd_result {
	bool ok;
	const char *error;	/* the protocol's short cause: "qmp", "timeout"... */
	char message[2048];
	char *snapshot;		/* with ok; may be NULL */
	struct hostd_disk *disks;
	size_t n_disks;
};

/* 0: a request to serve; -1: to refuse with result (id set if there was one). */
int hostd_parse_request(const char *line, struct hostd_request *request,
			struct hostd_result *result);
void hostd_request_free(struct hostd_request *request);

/* Fills result with a refusal; returns -1. */
int hostd_fail(struct hostd_result *result, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hostd_result_free(struct hostd_result *result);

/* The answer to id (NULL: none could be read), ended by "\n"; NULL if out of memory. */
char *hostd_answer_line(const char *id, const struct hostd_result *result);
/* A progress line for id: the guest waits deadline_ms more from now. */
char *hostd_progress_line(const char *id, const char *message);
/* result's disks, as the answer has them: a "disks" list in json. */
bool hostd_add_disks(cJSON *json, const struct hostd_result *result);
/* Any JSON value as one line, as QMP frames them too. */
char *hostd_json_line(const cJSON *json);

#endif
