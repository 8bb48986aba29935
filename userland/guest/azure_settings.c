// SPDX-License-Identifier: GPL-2.0
/* Azure's N.settings: what the platform asks of this run of the handler. */
#include "azure_settings.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

static int bad(struct sf_azure_settings *settings, enum sf_azure_settings_fault fault,
	       struct sf_error *err, const char *path, const char *why)
{
	settings->fault = fault;
	return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, why);
}

/* An optional string of the public settings; a wrong type is refused. */
static int optional_string(const char *path, const cJSON *object, const char *key,
			   char **out, struct sf_azure_settings *settings,
			   struct sf_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
	char why[128];

	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsString(item)) {
		snprintf(why, sizeof(why), "\"%s\" must be a string", key);
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path, why);
	}
	*out = strdup(item->valuestring);
	return *out ? 0 : sf_fail(err, SF_EXIT_FAILURE, "out of memory");
}

/* commandStartTimeUTCTicks: digits in a string, as the platform sends them, or a number. */
static int start_ticks(const char *path, const cJSON *public, struct sf_azure_settings *settings,
		       struct sf_error *err)
{
	static const char why[] =
		"\"commandStartTimeUTCTicks\" must be a whole number of 100 ns ticks";
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(public, "commandStartTimeUTCTicks");
	char digits[32];

	if (!item || cJSON_IsNull(item) || (cJSON_IsString(item) && !item->valuestring[0]))
		return 0;
	if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble < 1e19)
		snprintf(digits, sizeof(digits), "%.0f", item->valuedouble);
	else if (cJSON_IsString(item) && strlen(item->valuestring) < 20 &&
		 !item->valuestring[strspn(item->valuestring, "0123456789")])
		snprintf(digits, sizeof(digits), "%s", item->valuestring);
	else
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path, why);
	settings->start_ticks = strdup(digits);
	return settings->start_ticks ? 0 : sf_fail(err, SF_EXIT_FAILURE, "out of memory");
}

static int take(cJSON *object, const char *key, cJSON **out, struct sf_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);

	if (!item)
		return 0;
	*out = cJSON_Duplicate(item, true);
	return *out ? 0 : sf_fail(err, SF_EXIT_FAILURE, "out of memory");
}

/* includedDisks: the data disks' LUNs, and -1 for the OS disk, as the host wants them. */
static int disk_ids(const char *path, const cJSON *disks, struct sf_azure_settings *settings,
		    struct sf_error *err)
{
	const cJSON *luns = cJSON_GetObjectItemCaseSensitive(disks, "dataDiskLunList");
	const cJSON *os = cJSON_GetObjectItemCaseSensitive(disks, "isOSDiskIncluded");
	const cJSON *lun;

	settings->disk_ids = cJSON_CreateArray();
	if (!settings->disk_ids)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	if (luns && !cJSON_IsNull(luns) && !cJSON_IsArray(luns))
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
			   "objectStr: \"includedDisks\".\"dataDiskLunList\" must be an array");
	cJSON_ArrayForEach(lun, luns) {
		if (!cJSON_IsNumber(lun))
			return bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
				   "objectStr: \"dataDiskLunList\" must hold numbers");
		if (!cJSON_AddItemToArray(settings->disk_ids, cJSON_CreateNumber(lun->valuedouble)))
			return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	}
	if (cJSON_IsTrue(os) &&
	    !cJSON_AddItemToArray(settings->disk_ids, cJSON_CreateNumber(-1)))
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	return 0;
}

/*
 * objectStr: base64 of a JSON object (Azure's extension strips blanks and
 * quotes around it): the snapshot's parameters for the host.
 */
static int snapshot_parameters(const char *path, const char *object_str,
			       struct sf_azure_settings *settings, struct sf_error *err)
{
	const char *why = "objectStr: not base64 of a JSON object";
	unsigned char *decoded;
	cJSON *object = NULL;
	size_t len;
	int ret;

	decoded = sf_base64_decode(object_str, &len);
	if (decoded) {
		char *text = (char *)decoded, *end = text + len;

		while (text < end && strchr(" \t\r\n'", *text))
			text++;
		while (end > text && strchr(" \t\r\n'", end[-1]))
			end--;
		object = cJSON_ParseWithLength(text, end - text);
		free(decoded);
	}
	if (!cJSON_IsObject(object)) {
		cJSON_Delete(object);
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path, why);
	}
	ret = optional_string(path, object, "snapshotTaskToken",
			      &settings->snapshot_task_token, settings, err) ||
	      take(object, "backupMetadata", &settings->metadata, err) ||
	      take(object, "dynamicConfigsFromCRP", &settings->host_settings, err) ||
	      disk_ids(path, cJSON_GetObjectItemCaseSensitive(object, "includedDisks"),
		       settings, err);
	cJSON_Delete(object);
	return ret ? -1 : 0;
}

/* Every string of the clear text overwritten before it is freed. */
static void wipe_json(cJSON *json)
{
	cJSON *child;

	if (!json)
		return;
	if (json->valuestring)
		OPENSSL_cleanse(json->valuestring, strlen(json->valuestring));
	for (child = json->child; child; child = child->next)
		wipe_json(child);
}

static int protected_settings(const char *path, const cJSON *handler, const char *cert_dir,
			      struct sf_azure_settings *settings, struct sf_error *err)
{
	const cJSON *encrypted = cJSON_GetObjectItemCaseSensitive(handler, "protectedSettings");
	const cJSON *thumbprint =
		cJSON_GetObjectItemCaseSensitive(handler, "protectedSettingsCertThumbprint");
	struct sf_error why;
	bool no_cert;
	char *clear;

	if (!encrypted || cJSON_IsNull(encrypted) || !thumbprint || cJSON_IsNull(thumbprint))
		return 0;
	if (!cJSON_IsString(encrypted) || !cJSON_IsString(thumbprint))
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
			   "\"protectedSettings\" and \"protectedSettingsCertThumbprint\" must be strings");
	if (!cert_dir)
		cert_dir = getenv(SF_AZURE_CERT_DIR_VARIABLE);
	clear = sf_azure_decrypt(encrypted->valuestring, cert_dir ? cert_dir : SF_AZURE_CERT_DIR,
				 thumbprint->valuestring, &no_cert, &why);
	if (!clear)
		return bad(settings, no_cert ? SF_AZURE_SETTINGS_NO_CERT : SF_AZURE_SETTINGS_BAD,
			   err, path, why.msg);
	settings->protected_settings = cJSON_Parse(clear);
	sf_azure_wipe(clear);
	if (cJSON_IsObject(settings->protected_settings))
		return 0;
	wipe_json(settings->protected_settings);
	cJSON_Delete(settings->protected_settings);
	settings->protected_settings = NULL;
	return bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
		   "\"protectedSettings\": decrypted, but not a JSON object");
}

static int public_settings(const char *path, const cJSON *public,
			   struct sf_azure_settings *settings, struct sf_error *err)
{
	char *object_str = NULL;
	int ret;

	if (!cJSON_IsObject(public))
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
			   "\"publicSettings\" must be an object");
	if (optional_string(path, public, "taskId", &settings->task_id, settings, err) ||
	    optional_string(path, public, "commandToExecute", &settings->command, settings, err) ||
	    optional_string(path, public, "locale", &settings->locale, settings, err) ||
	    optional_string(path, public, "objectStr", &object_str, settings, err) ||
	    start_ticks(path, public, settings, err))
		ret = -1;
	else if (!settings->command)
		ret = bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
			  "\"publicSettings\".\"commandToExecute\" is missing");
	else
		ret = object_str && object_str[0] ?
		      snapshot_parameters(path, object_str, settings, err) : 0;
	free(object_str);
	return ret;
}

static int parse_settings(const char *path, const cJSON *json, const char *cert_dir,
			  struct sf_azure_settings *settings, struct sf_error *err)
{
	const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(json, "runtimeSettings");
	const cJSON *handler = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(runtime, 0),
								"handlerSettings");

	if (!cJSON_IsArray(runtime) || !cJSON_IsObject(handler))
		return bad(settings, SF_AZURE_SETTINGS_BAD, err, path,
			   "must be {\"runtimeSettings\": [{\"handlerSettings\": {...}}]}");
	/* The protected settings first: objectStr's token may be there instead. */
	if (protected_settings(path, handler, cert_dir, settings, err) ||
	    public_settings(path, cJSON_GetObjectItemCaseSensitive(handler, "publicSettings"),
			    settings, err))
		return -1;
	if (!settings->snapshot_task_token && settings->protected_settings)
		return optional_string(path, settings->protected_settings, "snapshotTaskToken",
				       &settings->snapshot_task_token, settings, err);
	return 0;
}

int sf_azure_settings_load(const char *config_folder, unsigned int seq,
			   const char *cert_dir, struct sf_azure_settings *settings,
			   struct sf_error *err)
{
	char path[4096];
	cJSON *json;
	int ret;

	memset(settings, 0, sizeof(*settings));
	snprintf(path, sizeof(path), "%s/%u.settings", config_folder, seq);
	/* Written by the agent, root's, readable by others: not forbidden. */
	json = sf_read_json_file(path, true, 022, false, err);
	if (!json) {
		settings->fault = SF_AZURE_SETTINGS_BAD;
		return -1;
	}
	ret = parse_settings(path, json, cert_dir, settings, err);
	cJSON_Delete(json);
	if (ret) {
		enum sf_azure_settings_fault fault = settings->fault;

		sf_azure_settings_free(settings);
		settings->fault = fault ? fault : SF_AZURE_SETTINGS_BAD;
	}
	return ret;
}

void sf_azure_settings_free(struct sf_azure_settings *settings)
{
	free(settings->task_id);
	free(settings->command);
	free(settings->locale);
	free(settings->start_ticks);
	if (settings->snapshot_task_token)
		OPENSSL_cleanse(settings->snapshot_task_token,
				strlen(settings->snapshot_task_token));
	free(settings->snapshot_task_token);
	cJSON_Delete(settings->disk_ids);
	cJSON_Delete(settings->host_settings);
	cJSON_Delete(settings->metadata);
	wipe_json(settings->protected_settings);
	cJSON_Delete(settings->protected_settings);
	memset(settings, 0, sizeof(*settings));
}

bool sf_azure_settings_is_snapshot(const struct sf_azure_settings *settings)
{
	return settings->command && strcasestr(settings->command, "snapshot");
}

bool sf_azure_settings_too_late(const struct sf_azure_settings *settings,
				int64_t now_unix_s)
{
	unsigned long long ticks;

	if (!settings->start_ticks)
		return false;
	ticks = strtoull(settings->start_ticks, NULL, 10);
	if (ticks < SF_TICKS_AT_UNIX_EPOCH)
		return true;
	return now_unix_s - (int64_t)((ticks - SF_TICKS_AT_UNIX_EPOCH) / 10000000ULL) >
	       SF_AZURE_MAX_COMMAND_AGE_S;
}
