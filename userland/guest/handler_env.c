// SPDX-License-Identifier: GPL-2.0
#include "handler_env.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "status.h"

#define MRSEQ_NAME "mrseq"

static int copy(const char *text, char **out, struct sf_error *err)
{
	*out = strdup(text);
	return *out ? 0 : sf_fail(err, SF_EXIT_FAILURE, "out of memory");
}

static int folder(const char *path, const cJSON *environment, const char *key,
		  char **out, struct sf_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(environment, key);

	if (!item && !strcmp(key, "heartbeatFile"))
		return 0;
	if (!cJSON_IsString(item) || item->valuestring[0] != '/')
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: \"handlerEnvironment\".\"%s\" must be an absolute path",
			       path, key);
	return copy(item->valuestring, out, err);
}

/* The handler's name and version, as the agent wrote them (a string or a number). */
static int identity(const char *path, const cJSON *handler, struct sf_handler_env *env,
		    struct sf_error *err)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(handler, "name");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(handler, "version");
	char number[32];

	if ((name && !cJSON_IsString(name)) ||
	    (version && !cJSON_IsString(version) && !cJSON_IsNumber(version)))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: \"name\" must be a string, \"version\" a string or a number",
			       path);
	if (name && copy(name->valuestring, &env->name, err))
		return -1;
	if (!version)
		return 0;
	if (cJSON_IsNumber(version))
		snprintf(number, sizeof(number), "%.1f", version->valuedouble);
	return copy(cJSON_IsString(version) ? version->valuestring : number,
		    &env->version, err);
}

static int extension_folder(const char *path, char **out, struct sf_error *err)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return copy(".", out, err);
	*out = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	return *out ? 0 : sf_fail(err, SF_EXIT_FAILURE, "out of memory");
}

/* Digits only: "3", not "3x", "-1" or "". */
static int parse_seq(const char *text, unsigned int *seq)
{
	unsigned long value;
	char *end;

	if (!text[0] || text[strspn(text, "0123456789")])
		return -1;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || value > UINT_MAX)
		return -1;
	*seq = value;
	return 0;
}

static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/*
 * The settings in force: those of the N.settings modified last (the
 * highest N among files of the same time), as Azure's extension picks it.
 */
static int latest_settings(const char *config_folder, unsigned int *seq,
			   struct sf_error *err)
{
	DIR *dir = opendir(config_folder);
	struct timespec newest = { 0 };
	struct dirent *entry;
	bool found = false;

	if (!dir)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", config_folder,
			       strerror(errno));
	while ((entry = readdir(dir))) {
		char *dot = strrchr(entry->d_name, '.');
		struct stat st;
		unsigned int n;

		if (!dot || strcmp(dot, ".settings") ||
		    fstatat(dirfd(dir), entry->d_name, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		*dot = '\0';
		if (parse_seq(entry->d_name, &n))
			continue;
		if (!found || newer(&st.st_mtim, &newest) ||
		    (!newer(&newest, &st.st_mtim) && n > *seq)) {
			*seq = n;
			newest = st.st_mtim;
			found = true;
		}
	}
	closedir(dir);
	return found ? 0 : sf_fail(err, SF_EXIT_FAILURE,
				   "%s: no N.settings file, and ConfigSequenceNumber is not set",
				   config_folder);
}

static int parse_env(const char *path, const cJSON *json, struct sf_handler_env *env,
		     struct sf_error *err)
{
	const cJSON *environment =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(json, 0),
						 "handlerEnvironment");
	const char *seq = getenv("ConfigSequenceNumber");

	if (cJSON_GetArraySize(json) != 1 || !cJSON_IsObject(environment))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: must be an array of one object with \"handlerEnvironment\"",
			       path);
	if (extension_folder(path, &env->extension_folder, err) ||
	    identity(path, cJSON_GetArrayItem(json, 0), env, err) ||
	    folder(path, environment, "logFolder", &env->log_folder, err) ||
	    folder(path, environment, "configFolder", &env->config_folder, err) ||
	    folder(path, environment, "statusFolder", &env->status_folder, err) ||
	    folder(path, environment, "heartbeatFile", &env->heartbeat_file, err))
		return -1;
	if (!seq)
		return latest_settings(env->config_folder, &env->seq, err);
	if (parse_seq(seq, &env->seq))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "ConfigSequenceNumber '%s': not a sequence number", seq);
	return 0;
}

int sf_handler_env_load(const char *path, struct sf_handler_env *env,
			struct sf_error *err)
{
	cJSON *json = sf_read_json_file(path, true, 022, true, err);
	int ret;

	memset(env, 0, sizeof(*env));
	if (!json)
		return -1;
	ret = parse_env(path, json, env, err);
	cJSON_Delete(json);
	if (ret)
		sf_handler_env_free(env);
	return ret;
}

void sf_handler_env_free(struct sf_handler_env *env)
{
	free(env->extension_folder);
	free(env->name);
	free(env->version);
	free(env->heartbeat_file);
	free(env->log_folder);
	free(env->config_folder);
	free(env->status_folder);
	memset(env, 0, sizeof(*env));
}

bool sf_handler_env_processed(const struct sf_handler_env *env)
{
	char path[4096], text[16] = "";
	unsigned int seq;
	size_t len;
	FILE *file;

	snprintf(path, sizeof(path), "%s/" MRSEQ_NAME, env->extension_folder);
	file = fopen(path, "re");
	if (!file)
		return false;
	len = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[len] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return !parse_seq(text, &seq) && seq == env->seq;
}

int sf_handler_env_mark_processed(const struct sf_handler_env *env,
				  struct sf_error *err)
{
	char path[4096], text[16];

	snprintf(path, sizeof(path), "%s/" MRSEQ_NAME, env->extension_folder);
	snprintf(text, sizeof(text), "%u", env->seq);
	return sf_write_file_atomic(path, text, 0644, err);
}
