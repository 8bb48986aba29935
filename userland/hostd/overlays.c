// SPDX-License-Identifier: GPL-2.0
#include "overlays.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The most of a request id that goes into a file name. */
#define TAG_MAX 100
#define SUFFIX ".qcow2"

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

/* Where a disk's overlays go: --snapshot-dir, or the folder of its image. */
static char *overlay_folder(const struct hostd_options *options, const char *cause,
			    const char *name, const char *image, struct hostd_result *result)
{
	char *folder;

	if (!options->snapshot_dir && image[0] != '/') {
		hostd_fail(result, cause,
			   "the image of %s, '%s', is not an absolute path, so its folder is unknown here: give --snapshot-dir",
			   name, image);
		return NULL;
	}
	folder = options->snapshot_dir ? strdup(options->snapshot_dir) :
		 strndup(image, strrchr(image, '/') - image);
	if (!folder)
		hostd_fail(result, cause, "out of memory");
	return folder;
}

/* Whether file is one of the overlays of the disk safe_name stands for. */
static bool is_overlay(const char *file, const char *safe_name)
{
	size_t len = strlen(safe_name), file_len = strlen(file);

	return !strncmp(file, safe_name, len) && file[len] == '-' &&
	       file_len > len + 1 + strlen(SUFFIX) &&
	       !strcmp(file + file_len - strlen(SUFFIX), SUFFIX);
}

/* The bound of --max-overlays: the disk's overlays there already, and one more. */
static int count_overlays(uint32_t max, const char *folder, const char *name,
			  const char *safe_name, struct hostd_result *result)
{
	const struct dirent *entry;
	uint32_t count = 0;
	DIR *dir;

	if (!max)
		return 0;
	dir = opendir(folder[0] ? folder : "/");
	if (!dir) {
		/* A folder that is not there has none; QEMU will say it is not there. */
		if (errno == ENOENT)
			return 0;
		return hostd_fail(result, "overlays",
				  "%s: the overlays of %s cannot be counted: %s (--max-overlays 0 does not count them)",
				  folder, name, strerror(errno));
	}
	while ((entry = readdir(dir)))
		count += is_overlay(entry->d_name, safe_name);
	closedir(dir);
	if (count < max)
		return 0;
	return hostd_fail(result, "overlays",
			  "%s has %u overlays in %s already (%s-*%s), the most --max-overlays allows (%u): the host may merge and remove old ones, or raise --max-overlays",
			  name, count, folder, safe_name, SUFFIX, max);
}

/* The path of the disk's new overlay; NULL (result) when there is none to make. */
static char *new_overlay(const struct hostd_options *options, const char *cause,
			 const char *tag, const char *name, const char *image,
			 struct hostd_result *result)
{
	char *folder = overlay_folder(options, cause, name, image, result);
	char *safe_name = folder ? hostd_file_tag(name) : NULL, *path = NULL;
	struct stat st;
	int ret;

	if (!folder)
		return NULL;
	if (!safe_name || asprintf(&path, "%s/%s-%s%s", folder, safe_name, tag, SUFFIX) < 0) {
		path = NULL;
		ret = hostd_fail(result, cause, "out of memory");
	} else if (!lstat(path, &st)) {
		ret = hostd_fail(result, cause,
				 "%s: the overlay of %s exists already: not overwriting it",
				 path, name);
	} else {
		ret = count_overlays(options->max_overlays, folder, name, safe_name, result);
	}
	if (ret) {
		free(path);
		path = NULL;
	}
	free(safe_name);
	free(folder);
	return path;
}

int hostd_plan_overlay(const struct hostd_options *options, const char *cause,
		       const char *tag, const char *name, const char *image,
		       struct hostd_result *planned, struct hostd_result *result)
{
	char *overlay = new_overlay(options, cause, tag, name, image, result);
	struct hostd_disk *disks;

	if (!overlay)
		return -1;
	disks = realloc(planned->disks, (planned->n_disks + 1) * sizeof(*disks));
	if (!disks) {
		free(overlay);
		return hostd_fail(result, cause, "out of memory");
	}
	planned->disks = disks;
	disks[planned->n_disks++] = (struct hostd_disk){
		.device = strdup(name), .image = strdup(image), .overlay = overlay,
	};
	if (!disks[planned->n_disks - 1].device || !disks[planned->n_disks - 1].image)
		return hostd_fail(result, cause, "out of memory");
	return 0;
}

void hostd_snapshot_taken(const char *id, const char *tag, bool late,
			  struct hostd_result *planned, struct hostd_result *result)
{
	size_t i;

	for (i = 0; i < planned->n_disks; i++)
		hostd_log(late ? SF_LOG_WARNING : SF_LOG_INFO, id,
			  late ?
			  "%s: the transaction completed after the guest was answered \"timeout\": %s holds a snapshot the guest did not see frozen; both it and %s, which QEMU writes to now, are kept" :
			  "%s: %s holds the snapshot, writes go to %s",
			  planned->disks[i].device, planned->disks[i].image,
			  planned->disks[i].overlay);
	*result = *planned;
	memset(planned, 0, sizeof(*planned));
	result->ok = true;
	result->snapshot = strdup(tag);
	snprintf(result->message, sizeof(result->message), "%zu disk%s", result->n_disks,
		 result->n_disks == 1 ? "" : "s");
}

void hostd_remove_overlays(const char *id, const struct hostd_result *planned)
{
	size_t i;

	for (i = 0; i < planned->n_disks; i++) {
		const char *overlay = planned->disks[i].overlay;

		if (!unlink(overlay))
			hostd_log(SF_LOG_INFO, id, "%s: removed %s, made for the failed transaction",
				  planned->disks[i].device, overlay);
		else if (errno != ENOENT)
			hostd_log(SF_LOG_WARNING, id,
				  "%s: %s, made for the failed transaction, is kept: it cannot be removed: %s (QEMU does not use it)",
				  planned->disks[i].device, overlay, strerror(errno));
	}
}

void hostd_keep_overlays(const char *id, const char *who, const struct hostd_result *planned)
{
	struct stat st;
	size_t i;

	for (i = 0; i < planned->n_disks; i++)
		if (!lstat(planned->disks[i].overlay, &st))
			hostd_log(SF_LOG_WARNING, id,
				  "%s: %s is kept: %s did not say whether the transaction completed, and QEMU may write to it (then %s holds a snapshot the guest did not see frozen)",
				  planned->disks[i].device, planned->disks[i].overlay, who,
				  planned->disks[i].image);
}
