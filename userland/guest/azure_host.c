// SPDX-License-Identifier: GPL-2.0
/* Azure's host protocol: presnapshot before the freeze, dosnapshot while frozen. */
#include "azure_host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "http.h"

/* The host's answers are small: snapshotInfo per disk. */
#define MAX_ANSWER (256 * 1024)

static const char *const azure_headers[] = {
	"Backup: true", "UserAgent: VMSnapshot", NULL,
};

struct sf_azure_host {
	char *uri;
	char *base;		/* http://ADDRESS/metadata/recsvc/snapshot/ */
	struct sf_http *http;
	const struct sf_azure_snapshot *snapshot;
	int pre_status;
	int snapshot_status;
};

int sf_azure_host_status(bool answered, long http_status, const char *body)
{
	const char *text = body ? body : "";

	if (!answered)
		return SF_AZURE_HOST_NO_ANSWER;
	if ((http_status == 200 || http_status == 201) && !text[0])
		return SF_AZURE_HOST_EMPTY;
	if (http_status == 500) {
		while (isspace((unsigned char)*text))
			text++;
		if (*text++ != '{')
			return SF_AZURE_HOST_NOT_SERVICE;
		while (isspace((unsigned char)*text))
			text++;
		if (strncmp(text, "\"error\"", 7))
			return SF_AZURE_HOST_NOT_SERVICE;
	}
	return (int)http_status;
}

/* A copy of item, or an empty array when there is none. */
static cJSON *copy_or_empty(const cJSON *item)
{
	return item ? cJSON_Duplicate(item, true) : cJSON_CreateArray();
}

static cJSON *string_or_null(const char *text)
{
	return text ? cJSON_CreateString(text) : cJSON_CreateNull();
}

static char *request_body(const struct sf_azure_snapshot *snapshot, bool full)
{
	cJSON *json = cJSON_CreateObject();
	char *text = NULL;

	if (json && cJSON_AddItemToObject(json, "taskId", string_or_null(snapshot->task_id)) &&
	    (!full || (cJSON_AddItemToObject(json, "diskIds",
					     copy_or_empty(snapshot->disk_ids)) &&
		       cJSON_AddItemToObject(json, "settings",
					     copy_or_empty(snapshot->settings)))) &&
	    cJSON_AddItemToObject(json, "snapshotTaskToken", string_or_null(snapshot->token)) &&
	    (!full || cJSON_AddItemToObject(json, "snapshotMetadata",
					    copy_or_empty(snapshot->metadata))))
		text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return text;
}

/* One POST to BASE+what; the host's status (Azure's codes) and the body. */
static int exchange(struct sf_azure_host *host, const char *what, bool full, uint64_t deadline,
		    int abort_fd, int *status, char **answer, struct sf_error *err)
{
	char *body = request_body(host->snapshot, full), *url = NULL;
	long http_status = 0;
	struct sf_error why;
	int ret;

	*answer = NULL;
	if (!body || asprintf(&url, "%s%s?" SF_AZURE_API_VERSION, host->base, what) < 0) {
		free(body);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", host->uri);
	}
	ret = sf_http_exchange(host->http, url, body, deadline, abort_fd, MAX_ANSWER,
			       &http_status, answer, &why);
	*status = sf_azure_host_status(!ret, http_status, *answer);
	if (ret) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s: %s (host status %d)", host->uri, what,
			why.msg, *status);
	} else if (*status != 200 && *status != 201) {
		ret = sf_fail(err, SF_EXIT_FAILURE, "%s: %s: host status %d%s", host->uri, what,
			      *status, *status == SF_AZURE_HOST_NOT_SERVICE ?
			      " (a 500 not from the snapshot service)" :
			      *status == SF_AZURE_HOST_EMPTY ? " (an empty answer)" : "");
		free(*answer);
		*answer = NULL;
	}
	free(url);
	free(body);
	return ret;
}

static int parse_address(const char *uri, char **base, struct sf_error *err)
{
	const char *address = uri + strlen("azure:");

	if (!address[0])
		address = SF_AZURE_HOST_ADDRESS;
	if (strpbrk(address, "/?#@ \t") || address[0] == ':')
		return sf_fail(err, SF_EXIT_USAGE,
			       "host URI '%s': azure: takes an address and a port at most", uri);
	if (asprintf(base, "http://%s" SF_AZURE_SNAPSHOT_PATH, address) < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	return 0;
}

struct sf_azure_host *sf_azure_host_open(const char *uri,
					 const struct sf_azure_snapshot *snapshot,
					 uint32_t timeout_ms, struct sf_error *err)
{
	static const struct sf_azure_snapshot none;
	struct sf_azure_host *host = calloc(1, sizeof(*host));
	char *answer;

	if (!host || !(host->uri = strdup(uri))) {
		free(host);
		sf_fail(err, SF_EXIT_FAILURE, "host: out of memory");
		return NULL;
	}
	host->snapshot = snapshot ? snapshot : &none;
	if (parse_address(uri, &host->base, err) ||
	    !(host->http = sf_http_new(host->base, timeout_ms, azure_headers, err)) ||
	    exchange(host, "presnapshot", false, sf_now_ms() + timeout_ms, -1,
		     &host->pre_status, &answer, err)) {
		sf_azure_host_close(host);
		return NULL;
	}
	free(answer);
	return host;
}

/* isSuccessful: true, or "true" as the host may send it. */
static bool successful(const cJSON *info)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(info, "isSuccessful");

	return cJSON_IsTrue(item) ||
	       (cJSON_IsString(item) && !strcasecmp(item->valuestring, "true"));
}

static int parse_snapshot_info(const struct sf_azure_host *host, const char *body,
			       struct sf_host_answer *answer, struct sf_error *err)
{
	cJSON *json = cJSON_Parse(body), *info;
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(json, "snapshotInfo");
	int n = cJSON_GetArraySize(array), good = 0;
	char text[64];

	if (!cJSON_IsArray(array) || !n) {
		cJSON_Delete(json);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: dosnapshot: no snapshotInfo in the answer",
			       host->uri);
	}
	cJSON_ArrayForEach(info, array) {
		const cJSON *message = cJSON_GetObjectItemCaseSensitive(info, "errorMessage");

		if (successful(info))
			good++;
		else if (!answer->error && cJSON_IsString(message) && message->valuestring[0])
			answer->error = strdup(message->valuestring);
	}
	answer->ok = good == n;
	snprintf(text, sizeof(text), "%d of %d disks", good, n);
	answer->message = strdup(text);
	answer->snapshot = strdup(host->snapshot->task_id ? host->snapshot->task_id : "azure");
	answer->disks = cJSON_DetachItemFromObjectCaseSensitive(json, "snapshotInfo");
	if (!answer->ok && !answer->error)
		answer->error = strdup("a disk was not snapshotted");
	cJSON_Delete(json);
	return 0;
}

int sf_azure_host_ask(struct sf_azure_host *host, uint64_t deadline, int abort_fd,
		      struct sf_host_answer *answer, struct sf_error *err)
{
	char *body;
	int ret;

	memset(answer, 0, sizeof(*answer));
	if (exchange(host, "dosnapshot", true, deadline, abort_fd, &host->snapshot_status,
		     &body, err))
		return -1;
	ret = parse_snapshot_info(host, body, answer, err);
	free(body);
	return ret;
}

void sf_azure_host_statuses(const struct sf_azure_host *host, int *pre, int *snapshot)
{
	*pre = host ? host->pre_status : 0;
	*snapshot = host ? host->snapshot_status : 0;
}

void sf_azure_host_close(struct sf_azure_host *host)
{
	if (!host)
		return;
	sf_http_close(host->http);
	free(host->base);
	free(host->uri);
	free(host);
}
