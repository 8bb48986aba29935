// SPDX-License-Identifier: GPL-2.0
/* The guest's end of docs/protocol.md: its request line, the host's answers. */
#include "host.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *target_json(const struct sf_mount *mount)
{
	cJSON *json = cJSON_CreateObject();
	char dev[24];

	snprintf(dev, sizeof(dev), "%u:%u", mount->major, mount->minor);
	if (!json || !cJSON_AddStringToObject(json, "mount_point", mount->mount_point) ||
	    !cJSON_AddStringToObject(json, "fstype", mount->fstype) ||
	    !cJSON_AddStringToObject(json, "dev", dev) ||
	    !cJSON_AddStringToObject(json, "source", mount->source)) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

char *sf_host_request_line(const struct sf_host_request *request)
{
	cJSON *json = cJSON_CreateObject(), *targets;
	char *text = NULL, *line = NULL;
	size_t i;

	if (!json || !cJSON_AddStringToObject(json, "type", "snapshot") ||
	    !cJSON_AddNumberToObject(json, "version", SF_HOST_PROTOCOL_VERSION) ||
	    !cJSON_AddStringToObject(json, "id", request->id) ||
	    !cJSON_AddStringToObject(json, "consistency", request->consistency) ||
	    !cJSON_AddNumberToObject(json, "deadline_ms", request->deadline_ms) ||
	    (request->max_deadline_ms > request->deadline_ms &&
	     !cJSON_AddNumberToObject(json, "max_deadline_ms", request->max_deadline_ms)) ||
	    !(targets = cJSON_AddArrayToObject(json, "targets")))
		goto out;
	for (i = 0; i < request->n_targets; i++) {
		cJSON *target = target_json(&request->targets[i]);

		if (!target || !cJSON_AddItemToArray(targets, target)) {
			cJSON_Delete(target);
			goto out;
		}
	}
	text = cJSON_PrintUnformatted(json);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
out:
	free(text);
	cJSON_Delete(json);
	return line;
}

static char *optional_string(const cJSON *json, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);

	return cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
}

int sf_host_parse_answer(const char *line, const char *id,
			 struct sf_host_answer *answer, struct sf_error *err)
{
	cJSON *json = cJSON_Parse(line);
	const cJSON *type, *version, *answer_id, *ok, *disks;
	bool progress;
	int ret = -1;

	memset(answer, 0, sizeof(*answer));
	if (!cJSON_IsObject(json)) {
		sf_fail(err, SF_EXIT_FAILURE, "the host sent a line that is not a JSON object");
		goto out;
	}
	answer_id = cJSON_GetObjectItemCaseSensitive(json, "id");
	if (cJSON_IsString(answer_id) && strcmp(answer_id->valuestring, id)) {
		ret = 1;
		goto out;
	}
	type = cJSON_GetObjectItemCaseSensitive(json, "type");
	version = cJSON_GetObjectItemCaseSensitive(json, "version");
	ok = cJSON_GetObjectItemCaseSensitive(json, "ok");
	progress = cJSON_IsString(type) && !strcmp(type->valuestring, "progress");
	if (!cJSON_IsString(answer_id) || !cJSON_IsString(type) ||
	    (!progress && (strcmp(type->valuestring, "result") || !cJSON_IsBool(ok)))) {
		sf_fail(err, SF_EXIT_FAILURE,
			"the host's answer lacks \"type\": \"result\", \"id\" or \"ok\"");
		goto out;
	}
	if (cJSON_GetNumberValue(version) != SF_HOST_PROTOCOL_VERSION) {
		sf_fail(err, SF_EXIT_FAILURE, "the host answered in protocol version %g, not %d",
			cJSON_GetNumberValue(version), SF_HOST_PROTOCOL_VERSION);
		goto out;
	}
	if (progress) {
		answer->message = optional_string(json, "message");
		ret = SF_HOST_PROGRESS;
		goto out;
	}
	answer->ok = cJSON_IsTrue(ok);
	answer->snapshot = optional_string(json, "snapshot");
	answer->error = optional_string(json, "error");
	answer->message = optional_string(json, "message");
	disks = cJSON_GetObjectItemCaseSensitive(json, "disks");
	if (cJSON_IsArray(disks))
		answer->disks = cJSON_Duplicate(disks, true);
	ret = 0;
out:
	cJSON_Delete(json);
	return ret;
}

void sf_host_answer_free(struct sf_host_answer *answer)
{
	free(answer->snapshot);
	free(answer->error);
	free(answer->message);
	cJSON_Delete(answer->disks);
	memset(answer, 0, sizeof(*answer));
}

uint64_t sf_host_extend_deadline(const struct sf_host_request *request,
				 uint64_t started_ms, uint64_t now_ms,
				 uint64_t deadline)
{
	uint64_t limit = started_ms + request->max_deadline_ms;
	uint64_t extended = now_ms + request->deadline_ms;

	if (extended > limit)
		extended = limit;
	return extended > deadline ? extended : deadline;
}

/* Tells the caller, and forgets the message: the answer has not come yet. */
