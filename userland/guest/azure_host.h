/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_AZURE_HOST_H
#define SNAPFREEZE_AZURE_HOST_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "host.h"

/*
 * Azure's host protocol, the host transport azure:[ADDRESS[:PORT]] (default
 * Azure's wire server, 168.63.129.16): before anything is frozen, POST
 * /metadata/recsvc/snapshot/presnapshot?api-version=2017-12-01 with
 * {taskId, snapshotTaskToken}, which the host must answer (200 or 201, a
 * body), or nothing is frozen; while frozen, POST .../dosnapshot with
 * {taskId, diskIds, settings, snapshotTaskToken, snapshotMetadata}, whose
 * answer's snapshotInfo[] decides. Headers Backup: true, Content-type:
 * application/json, UserAgent: VMSnapshot, as Azure's extension sends them.
 */
#define SF_AZURE_HOST_ADDRESS "168.63.129.16"
#define SF_AZURE_SNAPSHOT_PATH "/metadata/recsvc/snapshot/"
#define SF_AZURE_API_VERSION "api-version=2017-12-01"

/* Azure's own status codes for what is not an HTTP answer. */
enum {
	SF_AZURE_HOST_NO_ANSWER = 555,		/* no reply at all */
	SF_AZURE_HOST_NOT_SERVICE = 556,	/* a 500 not from the snapshot service */
	SF_AZURE_HOST_EMPTY = 557,		/* 200 or 201 with an empty body */
};

/* The snapshot's parameters, from the handler's settings; may all be NULL. */
struct sf_azure_snapshot {
	const char *task_id;
	const char *token;
	const cJSON *disk_ids;
	const cJSON *settings;		/* [{"Key", "Value"}] */
	const cJSON *metadata;
};

struct sf_azure_host;

/*
 * The host's status code as Azure's extension records it: the HTTP status,
 * or 555, 556, 557. answered: an HTTP answer came.
 */
int sf_azure_host_status(bool answered, long http_status, const char *body);

/* uri: "azure:" or "azure:ADDRESS[:PORT]". presnapshot, within timeout_ms. */
struct sf_azure_host *sf_azure_host_open(const char *uri,
					 const struct sf_azure_snapshot *snapshot,
					 uint32_t timeout_ms, struct sf_error *err);
/* dosnapshot, by deadline (sf_now_ms() time): 0 with answer filled, ok or not; -1 (err). */
int sf_azure_host_ask(struct sf_azure_host *host, uint64_t deadline, int abort_fd,
		      struct sf_host_answer *answer, struct sf_error *err);
/* The host's status codes of presnapshot and dosnapshot (0: not asked). */
void sf_azure_host_statuses(const struct sf_azure_host *host, int *pre, int *snapshot);
void sf_azure_host_close(struct sf_azure_host *host);

#endif
