// SPDX-License-Identifier: GPL-2.0
#include "protocol.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostproto.h"

int hostd_fail(struct hostd_result *result, const char *error, const char *fmt, ...)
{
	va_list ap;

	result->ok = false;
	result->error = error;
	va_start(ap, fmt);
	vsnprintf(result->message, sizeof(result->message), fmt, ap);
	va_end(ap);
	return -1;
}

void hostd_result_free(struct hostd_result *result)
{
	size_t i;

	for (i = 0; i < result->n_disks; i++) {
		free(result->disks[i].device);
		free(result->disks[i].image);
		free(result->disks[i].overlay);
	}
	free(result->disks);
	free(result->snapshot);
	memset(result, 0, sizeof(*result));
}

static const cJSON *field(const cJSON *json, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(json, key);
}

static bool whole_ms(const cJSON *item)
{
	double ms = cJSON_GetNumberValue(item);

	return cJSON_IsNumber(item) && ms >= 1 && ms <= UINT32_MAX &&
	       (double)(uint32_t)ms == ms;
}

/*
 * The version comes first: a request of another version may differ in
 * everything else, and deserves "version" rather than "malformed".
 */
static int check_request(const cJSON *json, struct hostd_result *result)
{
	const cJSON *version = field(json, "version"), *id = field(json, "id");
	const cJSON *type = field(json, "type");

	if (!cJSON_IsNumber(version))
		return hostd_fail(result, "malformed", "the request has no \"version\"");
	if (version->valuedouble != SF_HOST_PROTOCOL_VERSION)
		return hostd_fail(result, "version",
				  "protocol version %g is not spoken here (only %d is)",
				  version->valuedouble, SF_HOST_PROTOCOL_VERSION);
	if (!cJSON_IsString(id) || !id->valuestring[0])
		return hostd_fail(result, "malformed", "the request has no \"id\"");
	if (!cJSON_IsString(type))
		return hostd_fail(result, "malformed", "the request has no \"type\"");
	if (strcmp(type->valuestring, "snapshot"))
		return hostd_fail(result, "malformed", "unknown request type \"%.64s\"",
				  type->valuestring);
	if (!cJSON_IsString(field(json, "consistency")))
		return hostd_fail(result, "malformed", "the request has no \"consistency\"");
	if (!whole_ms(field(json, "deadline_ms")))
		return hostd_fail(result, "malformed",
				  "\"deadline_ms\" is not a whole number of milliseconds from 1 to %u",
				  UINT32_MAX);
	if (!cJSON_IsArray(field(json, "targets")))
		return hostd_fail(result, "malformed", "the request has no \"targets\" list");
	if (field(json, "max_deadline_ms") &&
	    (!whole_ms(field(json, "max_deadline_ms")) ||
	     cJSON_GetNumberValue(field(json, "max_deadline_ms")) <
	     cJSON_GetNumberValue(field(json, "deadline_ms"))))
		return hostd_fail(result, "malformed",
				  "\"max_deadline_ms\" is not a whole number of milliseconds, at least \"deadline_ms\"");
	return 0;
}

int hostd_parse_request(const char *line, struct hostd_request *request,
			struct hostd_result *result)
{
	cJSON *json = cJSON_ParseWithOpts(line, NULL, true);
	const cJSON *id = field(json, "id");
	int ret = -1;

	memset(request, 0, sizeof(*request));
	if (!cJSON_IsObject(json)) {
		hostd_fail(result, "malformed", "the request is not a JSON object");
		goto out;
	}
	if (cJSON_IsString(id) && !(request->id = strdup(id->valuestring))) {
		hostd_fail(result, "malformed", "out of memory");
		goto out;
	}
	if (check_request(json, result))
		goto out;
	request->consistency = strdup(cJSON_GetStringValue(field(json, "consistency")));
	request->deadline_ms = (uint32_t)cJSON_GetNumberValue(field(json, "deadline_ms"));
	request->max_deadline_ms = (uint32_t)cJSON_GetNumberValue(field(json, "max_deadline_ms"));
	request->n_targets = cJSON_GetArraySize(field(json, "targets"));
	ret = request->consistency ? 0 : hostd_fail(result, "malformed", "out of memory");
out:
	cJSON_Delete(json);
	return ret;
}

void hostd_request_free(struct hostd_request *request)
{
	free(request->id);
	free(request->consistency);
	memset(request, 0, sizeof(*request));
}

static cJSON *disk_json(const struct hostd_disk *disk)
{
	cJSON *json = cJSON_CreateObject();

	if (!json || !cJSON_AddStringToObject(json, "device", disk->device) ||
	    !cJSON_AddStringToObject(json, "image", disk->image) ||
	    !cJSON_AddStringToObject(json, "overlay", disk->overlay)) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

bool hostd_add_disks(cJSON *json, const struct hostd_result *result)
{
	cJSON *disks = cJSON_AddArrayToObject(json, "disks");
	size_t i;

	for (i = 0; disks && i < result->n_disks; i++) {
		cJSON *disk = disk_json(&result->disks[i]);

		if (!disk || !cJSON_AddItemToArray(disks, disk)) {
			cJSON_Delete(disk);
			return false;
		}
	}
	return disks;
}

char *hostd_json_line(const cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json), *line;

	if (!text || asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	return line;
}

char *hostd_progress_line(const char *id, const char *message)
{
	cJSON *json = cJSON_CreateObject();
	char *line = NULL;

	if (json && cJSON_AddStringToObject(json, "type", "progress") &&
	    cJSON_AddNumberToObject(json, "version", SF_HOST_PROTOCOL_VERSION) &&
	    cJSON_AddStringToObject(json, "id", id) &&
	    cJSON_AddStringToObject(json, "message", message))
		line = hostd_json_line(json);
	cJSON_Delete(json);
	return line;
}

char *hostd_answer_line(const char *id, const struct hostd_result *result)
{
	cJSON *json = cJSON_CreateObject();
	char *line = NULL;

	if (!json || !cJSON_AddStringToObject(json, "type", "result") ||
	    !cJSON_AddNumberToObject(json, "version", SF_HOST_PROTOCOL_VERSION) ||
	    (id && !cJSON_AddStringToObject(json, "id", id)) ||
	    !cJSON_AddBoolToObject(json, "ok", result->ok) ||
	    (result->ok && result->snapshot &&
	     !cJSON_AddStringToObject(json, "snapshot", result->snapshot)) ||
	    (!result->ok && !cJSON_AddStringToObject(json, "error", result->error)) ||
	    (result->message[0] &&
	     !cJSON_AddStringToObject(json, "message", result->message)) ||
	    (result->n_disks && !hostd_add_disks(json, result)))
		goto out;
	line = hostd_json_line(json);
out:
	cJSON_Delete(json);
	return line;
}
