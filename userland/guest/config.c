// SPDX-License-Identifier: GPL-2.0
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_CONFIG_SIZE (1 << 20)

static int check_owner_and_mode(const char *path, const struct stat *st,
				mode_t forbidden, struct sf_error *err)
{
	if (!S_ISREG(st->st_mode))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: not a regular file", path);
	if (st->st_uid != 0)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: owned by uid %u, must be owned by root", path,
			       (unsigned int)st->st_uid);
	if (st->st_mode & forbidden)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: mode %04o, must not be %s by group or others",
			       path, (unsigned int)(st->st_mode & 07777),
			       forbidden & 044 ? "readable or writable" : "writable");
	return 0;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key the object has twice, or NULL; -1: out of memory. */
static int find_duplicate(const cJSON *object, const char **duplicate)
{
	int n = cJSON_GetArraySize(object), i = 0;
	const char **keys = malloc((n + 1) * sizeof(*keys));
	const cJSON *item;

	*duplicate = NULL;
	if (!keys)
		return -1;
	cJSON_ArrayForEach(item, object)
		keys[i++] = item->string;
	qsort(keys, n, sizeof(*keys), compare_keys);
	for (i = 1; i < n && !*duplicate; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			*duplicate = keys[i];
	free(keys);
	return 0;
}

/*
 * cJSON keeps both copies of a key given twice, and which one counts
 * would be a guess: refused, wherever it is. where: the path to json so
 * far, as [0]."handlerEnvironment".
 */
static int unique_keys_in(const char *path, const cJSON *json, char *where,
			  size_t size, struct sf_error *err)
{
	size_t len = strlen(where);
	const char *duplicate;
	const cJSON *child;
	int i = 0;

	if (cJSON_IsObject(json)) {
		if (find_duplicate(json, &duplicate))
			return sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", path);
		if (duplicate)
			return sf_fail(err, SF_EXIT_FAILURE, "%s: duplicate key \"%s\"%s%s",
				       path, duplicate, len ? " in " : "", where);
	}
	for (child = json->child; child; child = child->next, i++) {
		if (!cJSON_IsObject(child) && !cJSON_IsArray(child))
			continue;
		if (cJSON_IsObject(json))
			snprintf(where + len, size - len, "%s\"%s\"", len ? "." : "",
				 child->string);
		else
			snprintf(where + len, size - len, "[%d]", i);
		if (unique_keys_in(path, child, where, size, err))
			return -1;
	}
	where[len] = '\0';
	return 0;
}

static int check_unique_keys(const char *path, const cJSON *json,
			     struct sf_error *err)
{
	char where[256] = "";

	return unique_keys_in(path, json, where, sizeof(where), err);
}

void *sf_read_json_file(const char *path, bool required, mode_t forbidden,
			bool array, struct sf_error *err)
{
	const char *expected = array ? "a JSON array" : "a JSON object";
	char *text = malloc(MAX_CONFIG_SIZE + 1);
	const char *where;
	size_t len, line = 1;
	cJSON *json = NULL;
	struct stat st;
	FILE *file;

	if (!text) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", path);
		return NULL;
	}
	file = fopen(path, "re");
	if (!file) {
		if (required || errno != ENOENT)
			sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* The file read is the file checked, whatever is renamed meanwhile. */
	if (fstat(fileno(file), &st)) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (check_owner_and_mode(path, &st, forbidden, err))
		goto out;
	len = fread(text, 1, MAX_CONFIG_SIZE + 1, file);
	if (len > MAX_CONFIG_SIZE) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: larger than %d bytes", path,
			MAX_CONFIG_SIZE);
		goto out;
	}
	text[len] = '\0';
	json = cJSON_ParseWithLengthOpts(text, len, &where, 0);
	if (!json || !(array ? cJSON_IsArray(json) : cJSON_IsObject(json))) {
		for (const char *c = text; json == NULL && where && c < where; c++)
			line += *c == '\n';
		if (json)
			sf_fail(err, SF_EXIT_FAILURE, "%s: not %s", path, expected);
		else
			sf_fail(err, SF_EXIT_FAILURE, "%s: line %zu: malformed JSON",
				path, line);
		cJSON_Delete(json);
		json = NULL;
	} else if (check_unique_keys(path, json, err)) {
		cJSON_Delete(json);
		json = NULL;
	}
out:
	if (file)
		fclose(file);
	free(text);
	return json;
}

/* A value as a message shows it: 1e+30, "60", true, an array. */
static void describe(const cJSON *item, char *buf, size_t size)
{
	if (cJSON_IsNumber(item))
		snprintf(buf, size, "%.15g", item->valuedouble);
	else if (cJSON_IsString(item))
		snprintf(buf, size, "\"%.40s\"%s", item->valuestring,
			 strlen(item->valuestring) > 40 ? "..." : "");
	else
		snprintf(buf, size, "%s", cJSON_IsTrue(item) ? "true" :
			 cJSON_IsFalse(item) ? "false" : cJSON_IsNull(item) ? "null" :
			 cJSON_IsArray(item) ? "an array" : "an object");
}

static int refuse(const char *path, const cJSON *item, const char *expected,
		  struct sf_error *err)
{
	char given[64];

	describe(item, given, sizeof(given));
	return sf_fail(err, SF_EXIT_FAILURE, "%s: \"%s\" must be %s, not %s", path,
		       item->string, expected, given);
}

static int get_string(const char *path, const cJSON *item, char **out,
		      struct sf_error *err)
{
	if (!cJSON_IsString(item))
		return refuse(path, item, "a string", err);
	free(*out);
	*out = strdup(item->valuestring);
	return *out ? 0 : sf_fail(err, SF_EXIT_FAILURE, "out of memory");
}

static int get_bool(const char *path, const cJSON *item, bool *out,
		    struct sf_error *err)
{
	if (!cJSON_IsBool(item))
		return refuse(path, item, "true or false", err);
	*out = cJSON_IsTrue(item);
	return 0;
}

/*
 * Ranges are checked on the number as parsed, a double: converting one
 * out of range (1e30, -1, NaN) to unsigned int is undefined.
 */
static int get_uint(const char *path, const cJSON *item, unsigned int min,
		    unsigned int max, unsigned int *out, struct sf_error *err)
{
	double value = cJSON_GetNumberValue(item);
	char expected[64];

	if (cJSON_IsNumber(item) && value >= min && value <= max &&
	    value == (unsigned int)value) {
		*out = (unsigned int)value;
		return 0;
	}
	snprintf(expected, sizeof(expected), "a whole number from %u to %u", min, max);
	return refuse(path, item, expected, err);
}

/* Seconds, to milliseconds: 0 (none), or from 0.1 up to max_s. */
static int get_interval(const char *path, const cJSON *item, unsigned int max_s,
			uint32_t *out_ms, struct sf_error *err)
{
	double value = cJSON_GetNumberValue(item);
	char expected[80];

	if (cJSON_IsNumber(item) && (value == 0 || (value >= 0.1 && value <= max_s))) {
		*out_ms = (uint32_t)(value * 1000 + 0.5);
		return 0;
	}
	snprintf(expected, sizeof(expected),
		 "0 (none) or a number of seconds from 0.1 to %u", max_s);
	return refuse(path, item, expected, err);
}

static int get_strings(const char *path, const cJSON *item, char ***out,
		       size_t *n, struct sf_error *err)
{
	const cJSON *element;
	size_t i = 0;

	if (!cJSON_IsArray(item))
		return refuse(path, item, "an array of strings", err);
	*out = calloc(cJSON_GetArraySize(item) + 1, sizeof(**out));
	if (!*out)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	cJSON_ArrayForEach(element, item) {
		if (!cJSON_IsString(element))
			return sf_fail(err, SF_EXIT_FAILURE,
				       "%s: \"%s\" must be an array of strings: element %zu is not a string",
				       path, item->string, i + 1);
		(*out)[i] = strdup(element->valuestring);
		if (!(*out)[i])
			return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		*n = ++i;
	}
	return 0;
}

/* Ours is strict: a misspelt key is an error, not a silent default. */
static int parse_own(const char *path, const cJSON *json,
		     struct sf_config *config, struct sf_error *err)
{
	unsigned int freeze_s = config->freeze_timeout_ms / 1000;
	unsigned int host_s = config->host_timeout_ms / 1000;
	const cJSON *item;
	int ret = 0;

	cJSON_ArrayForEach(item, json) {
		if (!strcmp(item->string, "host"))
			ret = get_string(path, item, &config->host, err);
		else if (!strcmp(item->string, "freeze_timeout"))
			ret = get_uint(path, item, 1, 600, &freeze_s, err);
		else if (!strcmp(item->string, "host_timeout"))
			ret = get_uint(path, item, 1, 599, &host_s, err);
		else if (!strcmp(item->string, "keepalive_interval"))
			ret = get_interval(path, item, 60, &config->keepalive_ms, err);
		else if (!strcmp(item->string, "skip_mounts"))
			ret = get_strings(path, item, &config->skip_mounts,
					  &config->n_skip_mounts, err);
		else if (!strcmp(item->string, "log"))
			ret = get_string(path, item, &config->log_path, err);
		else if (!strcmp(item->string, "fifreeze_fallback"))
			ret = get_bool(path, item, &config->fifreeze_fallback, err);
		else
			ret = sf_fail(err, SF_EXIT_FAILURE, "%s: unknown key \"%s\"",
				      path, item->string);
		if (ret)
			return ret;
	}
	if (host_s >= freeze_s)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: host_timeout (%u s) must be shorter than freeze_timeout (%u s)",
			       path, host_s, freeze_s);
	if (config->keepalive_ms >= freeze_s * 1000)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: keepalive_interval (%g s) must be shorter than freeze_timeout (%u s)",
			       path, config->keepalive_ms / 1000.0, freeze_s);
	config->freeze_timeout_ms = freeze_s * 1000;
	config->host_timeout_ms = host_s * 1000;
	return 0;
}

/* A script's location; "" (Azure's stock file) means no script. */
static int get_location(const char *path, const cJSON *item, char **out,
			struct sf_error *err)
{
	if (get_string(path, item, out, err))
		return -1;
	if (!**out) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* Azure's, read as it is: keys we do not use are left alone. */
static int parse_azure(const char *path, const cJSON *json,
		       struct sf_app_scripts *app, struct sf_error *err)
{
	const cJSON *item;
	int ret = 0;

	app->present = true;
	cJSON_ArrayForEach(item, json) {
		const char *key = item->string;

		if (!strcmp(key, "preScriptLocation"))
			ret = get_location(path, item, &app->pre_script, err);
		else if (!strcmp(key, "postScriptLocation"))
			ret = get_location(path, item, &app->post_script, err);
		else if (!strcmp(key, "preScriptParams"))
			ret = get_strings(path, item, &app->pre_params,
					  &app->n_pre_params, err);
		else if (!strcmp(key, "postScriptParams"))
			ret = get_strings(path, item, &app->post_params,
					  &app->n_post_params, err);
		else if (!strcmp(key, "preScriptNoOfRetries"))
			ret = get_uint(path, item, 0, 10, &app->pre_retries, err);
		else if (!strcmp(key, "postScriptNoOfRetries"))
			ret = get_uint(path, item, 0, 10, &app->post_retries, err);
		else if (!strcmp(key, "timeoutInSeconds"))
			ret = get_uint(path, item, 1, SF_MAX_SCRIPT_TIMEOUT_S,
				       &app->timeout_s, err);
		else if (!strcmp(key, "continueBackupOnFailure"))
			ret = get_bool(path, item, &app->continue_on_failure, err);
		else if (!strcmp(key, "fsFreezeEnabled"))
			ret = get_bool(path, item, &app->fs_freeze_enabled, err);
		if (ret)
			return ret;
	}
	return 0;
}

int sf_config_load(const char *path, const char *azure_path,
		   struct sf_config *config, struct sf_error *err)
{
	cJSON *json;
	int ret = 0;

	memset(config, 0, sizeof(*config));
	config->freeze_timeout_ms = 60000;
	config->host_timeout_ms = 40000;
	config->keepalive_ms = SF_DEFAULT_KEEPALIVE_MS;
	config->fifreeze_fallback = true;
	config->app.timeout_s = 10;
	config->app.continue_on_failure = true;	/* Azure's default */
	config->app.fs_freeze_enabled = true;
	config->log_path = strdup(SF_DEFAULT_LOG_PATH);
	azure_path = azure_path ? azure_path : SF_AZURE_SCRIPT_CONFIG_PATH;

	err->msg[0] = '\0';
	json = sf_read_json_file(path ? path : SF_CONFIG_PATH, path != NULL, 022, false, err);
	path = path ? path : SF_CONFIG_PATH;
	if (json)
		ret = parse_own(path, json, config, err);
	else if (err->msg[0])
		ret = -1;
	cJSON_Delete(json);

	json = ret ? NULL : sf_read_json_file(azure_path, false, 077, false, err);
	if (json)
		ret = parse_azure(azure_path, json, &config->app, err);
	else if (!ret && err->msg[0])
		ret = -1;
	cJSON_Delete(json);
	if (!ret && !config->log_path)
		ret = sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	if (ret)
		sf_config_free(config);
	return ret;
}

static void free_strings(char **strings, size_t n)
{
	size_t i;

	for (i = 0; strings && i < n; i++)
		free(strings[i]);
	free(strings);
}

void sf_config_free(struct sf_config *config)
{
	free(config->host);
	free(config->log_path);
	free_strings(config->skip_mounts, config->n_skip_mounts);
	free(config->app.pre_script);
	free(config->app.post_script);
	free_strings(config->app.pre_params, config->app.n_pre_params);
	free_strings(config->app.post_params, config->app.n_post_params);
	memset(config, 0, sizeof(*config));
}
