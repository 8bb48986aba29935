// SPDX-License-Identifier: GPL-2.0
#include "handler_env.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int folder(const char *path, const cJSON *environment, const char *key,
		  char **out, struct sf_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(environment, key);

	if (!cJSON_IsString(item) || item->valuestring[0] != '/')
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: \"handlerEnvironment\".\"%s\" must be an absolute path",
			       path, key);
	*out = strdup(item->valuestring);
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

/* The newest settings: the highest N of N.settings in the config folder. */
static int latest_settings(const char *config_folder, unsigned int *seq,
			   struct sf_error *err)
{
	DIR *dir = opendir(config_folder);
	struct dirent *entry;
	bool found = false;

	if (!dir)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", config_folder,
			       strerror(errno));
	while ((entry = readdir(dir))) {
		char *dot = strrchr(entry->d_name, '.');
		unsigned int n;

		if (!dot || strcmp(dot, ".settings"))
			continue;
		*dot = '\0';
		if (!parse_seq(entry->d_name, &n) && (!found || n > *seq)) {
			*seq = n;
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
	if (folder(path, environment, "logFolder", &env->log_folder, err) ||
	    folder(path, environment, "configFolder", &env->config_folder, err) ||
	    folder(path, environment, "statusFolder", &env->status_folder, err))
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
	free(env->log_folder);
	free(env->config_folder);
	free(env->status_folder);
	memset(env, 0, sizeof(*env));
}
