// SPDX-License-Identifier: GPL-2.0
#include "overlays.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most of a request id that goes into a file name. */
#define TAG_MAX 100

static const cJSON *field(const cJSON *json, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(json, key);
}

/* Letters, digits, '.', '_' and '-' stay; anything else becomes '_'. */
char *hostd_file_tag(const char *text)
{
	size_t len = strnlen(text, TAG_MAX), i;
	char *tag = malloc(len + 1);

	if (!tag)
		return NULL;
	for (i = 0; i < len; i++)
		tag[i] = isalnum((unsigned char)text[i]) || strchr("._-", text[i]) ?
			 text[i] : '_';
	tag[len] = '\0';
	return tag;
}

/* Where a disk's overlay goes: --snapshot-dir, or next to its image. */
static char *overlay_path(const struct hostd_options *options, const char *tag,
			  const char *name, const char *image, struct hostd_result *result)
{
	const char *dir = options->snapshot_dir;
	int dir_len = dir ? (int)strlen(dir) : 0;
	char *safe_name, *path = NULL;

	if (!dir) {
		if (image[0] != '/') {
			hostd_fail(result, "qmp",
				   "the image of %s, '%s', is not an absolute path, so its folder is unknown here: give --snapshot-dir",
				   name, image);
			return NULL;
		}
		dir = image;
		dir_len = strrchr(image, '/') - image;
	}
	safe_name = hostd_file_tag(name);
	if (!safe_name ||
	    asprintf(&path, "%.*s/%s-%s.qcow2", dir_len, dir, safe_name, tag) < 0) {
		path = NULL;
		hostd_fail(result, "qmp", "out of memory");
	}
	free(safe_name);
	return path;
}

static cJSON *snapshot_action(const char *key, const char *name, const char *overlay)
{
	cJSON *action = cJSON_CreateObject(), *data;

	if (!action || !cJSON_AddStringToObject(action, "type", "blockdev-snapshot-sync") ||
	    !(data = cJSON_AddObjectToObject(action, "data")) ||
	    !cJSON_AddStringToObject(data, key, name) ||
	    !cJSON_AddStringToObject(data, "snapshot-file", overlay) ||
	    !cJSON_AddStringToObject(data, "format", "qcow2")) {
		cJSON_Delete(action);
		return NULL;
	}
	return action;
}

static int keep_disk(struct hostd_result *planned, const char *name, const char *image,
		     char *overlay, struct hostd_result *result)
{
	struct hostd_disk *disks = realloc(planned->disks,
					   (planned->n_disks + 1) * sizeof(*disks));

	if (!disks) {
		free(overlay);
		return hostd_fail(result, "qmp", "out of memory");
	}
	planned->disks = disks;
	disks[planned->n_disks++] = (struct hostd_disk){
		.device = strdup(name), .image = strdup(image), .overlay = overlay,
	};
	if (!disks[planned->n_disks - 1].device || !disks[planned->n_disks - 1].image)
		return hostd_fail(result, "qmp", "out of memory");
	return 0;
}

/*
 * A drive without a medium, or read-only (a CD-ROM), is left out. A drive
 * made with -blockdev has no device name: its node name stands in.
 */
static int plan_disk(const struct hostd_options *options, const char *tag,
		     const cJSON *block, cJSON *actions, struct hostd_result *planned,
		     struct hostd_result *result)
{
	const cJSON *inserted = field(block, "inserted");
	const char *device = cJSON_GetStringValue(field(block, "device"));
	const char *image = cJSON_GetStringValue(field(inserted, "file"));
	const char *key = device && device[0] ? "device" : "node-name";
	const char *name = device && device[0] ? device :
			   cJSON_GetStringValue(field(inserted, "node-name"));
	struct stat st;
	char *overlay;

	if (!cJSON_IsObject(inserted) || cJSON_IsTrue(field(inserted, "ro")))
		return 0;
	if (!name || !name[0] || !image)
		return hostd_fail(result, "qmp",
				  "query-block: a disk without a name or an image file");
	overlay = overlay_path(options, tag, name, image, result);
	if (!overlay)
		return -1;
	if (!lstat(overlay, &st)) {
		hostd_fail(result, "qmp", "%s: the overlay of %s exists already: not overwriting it",
			   overlay, name);
		free(overlay);
		return -1;
	}
	if (!cJSON_AddItemToArray(actions, snapshot_action(key, name, overlay))) {
		free(overlay);
		return hostd_fail(result, "qmp", "out of memory");
	}
	return keep_disk(planned, name, image, overlay, result);
}

int hostd_plan_overlays(const struct hostd_options *options, const char *tag,
			const cJSON *blocks, cJSON *actions, struct hostd_result *planned,
			struct hostd_result *result)
{
	const cJSON *block;

	cJSON_ArrayForEach(block, blocks) {
		if (plan_disk(options, tag, block, actions, planned, result))
			return -1;
	}
	return 0;
}
