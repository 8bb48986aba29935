// SPDX-License-Identifier: GPL-2.0
#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Local block-device filesystems whose kernel driver can freeze. */
static const char *const freezable_types[] = {
	"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "nilfs2",
	"reiserfs", "gfs2", "ocfs2",
};

static const char *const network_types[] = {
	"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p",
	"virtiofs", "afs", "lustre", "gpfs",
};

#define LOOP_MAJOR 7

static bool in_list(const char *word, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(word, list[i]))
			return true;
	return false;
}

#define IN(word, list) in_list(word, list, sizeof(list) / sizeof(list[0]))

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *field)
{
	char *out = malloc(strlen(field) + 1), *o = out;

	if (!out)
		return NULL;
	while (*field) {
		if (field[0] == '\\' && field[1] >= '0' && field[1] <= '3' &&
		    field[2] >= '0' && field[2] <= '7' &&
		    field[3] >= '0' && field[3] <= '7') {
			*o++ = (char)((field[1] - '0') << 6 | (field[2] - '0') << 3 |
				      (field[3] - '0'));
			field += 4;
		} else {
			*o++ = *field++;
		}
	}
	*o = '\0';
	return out;
}

static bool has_option(const char *options, const char *option)
{
	size_t len = strlen(option);
	const char *p = options;

	while ((p = strstr(p, option))) {
		if ((p == options || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

/*
 * "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE
 * SUPER_OPTIONS": 0 parsed, -1 malformed.
 */
static int parse_line(char *line, struct sf_mount *mount)
{
	char *fields[6], *type, *source, *save = NULL, *word;
	int i;

	for (i = 0; i < 6; i++) {
		fields[i] = strtok_r(i ? NULL : line, " \n", &save);
		if (!fields[i])
			return -1;
	}
	do
		word = strtok_r(NULL, " \n", &save);
	while (word && strcmp(word, "-"));
	type = strtok_r(NULL, " \n", &save);
	source = strtok_r(NULL, " \n", &save);
	if (!word || !type || !source ||
	    sscanf(fields[2], "%u:%u", &mount->major, &mount->minor) != 2)
		return -1;
	mount->mount_point = unescape(fields[4]);
	mount->fstype = strdup(type);
	mount->source = unescape(source);
	mount->read_only = has_option(fields[5], "ro");
	return mount->mount_point && mount->fstype && mount->source ? 0 : -1;
}

/* A skipped mount point skips its filesystem, wherever else it is mounted. */
static bool skipped_by_configuration(const struct sf_mounts *mounts,
				     const struct sf_mount *mount,
				     const char *const *skip, size_t n_skip)
{
	size_t i;

	for (i = 0; i < mounts->n_mounts; i++)
		if (mounts->mounts[i].major == mount->major &&
		    mounts->mounts[i].minor == mount->minor &&
		    in_list(mounts->mounts[i].mount_point, skip, n_skip))
			return true;
	return false;
}

static const char *skip_reason(const struct sf_mount *mount)
{
	if (IN(mount->fstype, network_types))
		return "network filesystem";
	if (!strncmp(mount->fstype, "fuse", 4))
		return "FUSE filesystem";
	if (!strcmp(mount->fstype, "overlay"))
		return "its upper layer is frozen with the filesystem holding it";
	if (!IN(mount->fstype, freezable_types))
		return "not a local filesystem that can be frozen";
	if (mount->read_only)
		return "read-only";
	return NULL;
}

static size_t depth(const char *mount_point)
{
	size_t slashes = 0;

	if (!strcmp(mount_point, "/"))
		return 0;
	for (; *mount_point; mount_point++)
		slashes += *mount_point == '/';
	return slashes;
}

/*
 * Freeze order: a filesystem on a loop device before the others (its image
 * may live on one of them), then children before their parents, / last.
 * Skipped mounts follow, in mountinfo order.
 */
static int freeze_order(const void *a, const void *b)
{
	const struct sf_mount *x = a, *y = b;

	if (!x->skip_reason != !y->skip_reason)
		return x->skip_reason ? 1 : -1;
	if (x->skip_reason)
		return 0;
	if ((x->major == LOOP_MAJOR) != (y->major == LOOP_MAJOR))
		return x->major == LOOP_MAJOR ? -1 : 1;
	return depth(x->mount_point) < depth(y->mount_point) ? 1 :
	       depth(x->mount_point) > depth(y->mount_point) ? -1 : 0;
}

static void select_mounts(struct sf_mounts *mounts, const char *const *skip,
			  size_t n_skip)
{
	size_t i, j;

	for (i = 0; i < mounts->n_mounts; i++) {
		struct sf_mount *mount = &mounts->mounts[i];

		mount->skip_reason = skipped_by_configuration(mounts, mount, skip, n_skip) ?
					     "skipped by configuration" : skip_reason(mount);
		/* Bind mounts and btrfs subvolumes share one superblock. */
		for (j = 0; !mount->skip_reason && j < i; j++) {
			const struct sf_mount *seen = &mounts->mounts[j];

			if (!seen->skip_reason && seen->major == mount->major &&
			    seen->minor == mount->minor) {
				mount->skip_reason = "same filesystem as";
				mount->same_as = seen->mount_point;
			}
		}
		mounts->n_frozen += !mount->skip_reason;
	}
}

int sf_mounts_read(const char *path, const char *const *skip, size_t n_skip,
		   struct sf_mounts *mounts, struct sf_error *err)
{
	FILE *file = fopen(path, "re");
	size_t line_number = 0, size = 0;
	char *line = NULL;
	int ret = 0;

	memset(mounts, 0, sizeof(*mounts));
	if (!file)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	while (getline(&line, &size, file) > 0) {
		struct sf_mount *grown;

		line_number++;
		grown = realloc(mounts->mounts,
				(mounts->n_mounts + 1) * sizeof(*grown));
		if (!grown) {
			ret = sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", path);
			break;
		}
		mounts->mounts = grown;
		memset(&grown[mounts->n_mounts], 0, sizeof(*grown));
		if (parse_line(line, &grown[mounts->n_mounts++])) {
			ret = sf_fail(err, SF_EXIT_FAILURE,
				      "%s: line %zu: not a mountinfo line", path,
				      line_number);
			break;
		}
	}
	free(line);
	fclose(file);
	if (ret) {
		sf_mounts_free(mounts);
		return ret;
	}
	select_mounts(mounts, skip, n_skip);
	/* Stable: equal mounts keep their mountinfo order. */
	for (size_t i = 1; i < mounts->n_mounts; i++) {
		struct sf_mount moving = mounts->mounts[i];
		size_t j = i;

		for (; j > 0 && freeze_order(&mounts->mounts[j - 1], &moving) > 0; j--)
			mounts->mounts[j] = mounts->mounts[j - 1];
		mounts->mounts[j] = moving;
	}
	return 0;
}

void sf_mounts_free(struct sf_mounts *mounts)
{
	size_t i;

	for (i = 0; i < mounts->n_mounts; i++) {
		free(mounts->mounts[i].mount_point);
		free(mounts->mounts[i].fstype);
		free(mounts->mounts[i].source);
	}
	free(mounts->mounts);
	memset(mounts, 0, sizeof(*mounts));
}
