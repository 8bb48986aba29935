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
	[SF_AZURE_SUCCESS] = "success",
	[SF_AZURE_ERROR] = "error",
};

static cJSON *azure_status_json(const char *operation, enum sf_azure_state state,
				int code, const char *message)
{
	cJSON *array = cJSON_CreateArray(), *entry, *status, *formatted;
	char timestamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(timestamp, sizeof(timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!array || !(entry = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(array, entry) ||
	    !cJSON_AddStringToObject(entry, "version", "1.0") ||
	    !cJSON_AddStringToObject(entry, "timestampUTC", timestamp) ||
	    !(status = cJSON_AddObjectToObject(entry, "status")) ||
	    !cJSON_AddStringToObject(status, "name", AZURE_HANDLER_NAME) ||
	    !cJSON_AddStringToObject(status, "operation", operation) ||
	    !cJSON_AddStringToObject(status, "status", azure_states[state]) ||
	    !cJSON_AddNumberToObject(status, "code", code) ||
	    !(formatted = cJSON_AddObjectToObject(status, "formattedMessage")) ||
	    !cJSON_AddStringToObject(formatted, "lang", "en-US") ||
	    !cJSON_AddStringToObject(formatted, "message", message) ||
	    !cJSON_AddArrayToObject(status, "substatus")) {
		cJSON_Delete(array);
		return NULL;
	}
	return array;
}

int sf_azure_status_write(const char *status_dir, unsigned int seq,
			  const char *operation, enum sf_azure_state state,
			  int code, const char *message, struct sf_error *err)
{
	cJSON *json = azure_status_json(operation, state, code, message);
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
