// SPDX-License-Identifier: GPL-2.0
#include "status.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AZURE_HANDLER_NAME "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t written = write(fd, text, len);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		text += written;
		len -= written;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
	}
	free(copy);
	return ret;
}

int sf_write_file_atomic(const char *path, const char *text, mode_t mode,
			 struct sf_error *err)
{
	size_t len = strlen(path) + 16;
	char *temp = malloc(len);
	int fd, saved;

	if (!temp)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", path);
	snprintf(temp, len, "%s.tmpXXXXXX", path);
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: cannot create a temporary file: %s",
			path, strerror(errno));
		free(temp);
		return -1;
	}
	if (fchmod(fd, mode) || write_all(fd, text, strlen(text)) || fsync(fd)) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) || rename(temp, path)) {
		saved = errno;
		goto fail;
	}
	free(temp);
	/* In place; only its durability across a crash is in doubt. */
	if (sync_dir(path))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: syncing its folder: %s",
			       path, strerror(errno));
	return 0;
fail:
	unlink(temp);
	free(temp);
	return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(saved));
}

static const char *const azure_states[] = {
	[SF_AZURE_TRANSITIONING] = "transitioning",
	[SF_AZURE_STATE_SUCCESS] = "success",
	[SF_AZURE_STATE_ERROR] = "error",
};

/* The message is itself JSON, as Azure's extension reports it. */
static char *message_json(const struct sf_azure_status *status)
{
	cJSON *json = cJSON_CreateObject();
	char *text = NULL;

	if (json && cJSON_AddStringToObject(json, "messageStr", status->message) &&
	    cJSON_AddNumberToObject(json, "snapshotConsistency", status->consistency) &&
	    cJSON_AddStringToObject(json, "jobMessage", "") &&
	    cJSON_AddFalseToObject(json, "isSizeComputationFailed"))
		text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return text;
}

static cJSON *string_or_null(const char *text)
{
	return text ? cJSON_CreateString(text) : cJSON_CreateNull();
}

static cJSON *substatus_json(const struct sf_azure_status *status)
{
	cJSON *array = cJSON_CreateArray(), *entry;

	if (!array || !status->report)
		return array;
	if (!(entry = cJSON_CreateObject()) || !cJSON_AddItemToArray(array, entry) ||
	    !cJSON_AddNumberToObject(entry, "code", 0) ||
	    !cJSON_AddStringToObject(entry, "name", status->report) ||
	    !cJSON_AddStringToObject(entry, "status", "success") ||
	    !cJSON_AddNullToObject(entry, "formattedMessage")) {
		cJSON_Delete(array);
		return NULL;
	}
	return array;
}

static cJSON *azure_status_json(const struct sf_azure_status *status)
{
	cJSON *array = cJSON_CreateArray(), *entry, *inner, *formatted;
	char *message = message_json(status);
	char timestamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(timestamp, sizeof(timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!array || !message || !(entry = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(array, entry) ||
	    !cJSON_AddStringToObject(entry, "version",
				     status->version ? status->version : "1.0") ||
	    !cJSON_AddStringToObject(entry, "timestampUTC", timestamp) ||
	    !(inner = cJSON_AddObjectToObject(entry, "status")) ||
	    !cJSON_AddStringToObject(inner, "name",
				     status->name ? status->name : AZURE_HANDLER_NAME) ||
	    !cJSON_AddStringToObject(inner, "operation", status->operation) ||
	    !cJSON_AddStringToObject(inner, "status", azure_states[status->state]) ||
	    !cJSON_AddNumberToObject(inner, "code", status->code) ||
	    !cJSON_AddItemToObject(inner, "taskId", string_or_null(status->task_id)) ||
	    !cJSON_AddItemToObject(inner, "commandStartTimeUTCTicks",
				   string_or_null(status->start_ticks)) ||
	    !(formatted = cJSON_AddObjectToObject(inner, "formattedMessage")) ||
	    !cJSON_AddStringToObject(formatted, "lang", "en-US") ||
	    !cJSON_AddStringToObject(formatted, "message", message) ||
	    !cJSON_AddItemToObject(inner, "substatus", substatus_json(status))) {
		cJSON_Delete(array);
		array = NULL;
	}
	free(message);
	return array;
}

int sf_azure_status_write(const char *status_dir, unsigned int seq,
			  const struct sf_azure_status *status, struct sf_error *err)
{
	cJSON *json = azure_status_json(status);
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;
	char path[4096];
	int ret;

	cJSON_Delete(json);
	if (!text)
		return sf_fail(err, SF_EXIT_FAILURE, "status: out of memory");
	snprintf(path, sizeof(path), "%s/%u.status", status_dir, seq);
	ret = sf_write_file_atomic(path, text, 0644, err);
	free(text);
	return ret;
}
