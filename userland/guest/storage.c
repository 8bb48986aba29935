// SPDX-License-Identifier: GPL-2.0
/*
 * The block devices under each target, walked through sysfs:
 *
 *   SYSFS/dev/block/MAJ:MIN            a block device
 *     partition                        a partition: its disk is ../
 *     loop/backing_file                a loop device: its image's filesystem
 *     slaves/NAME/dev                  device-mapper, md: what they map
 *   SYSFS/fs/btrfs/FSID/devices/NAME/dev  a btrfs filesystem's devices
 */
#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const struct sf_storage_probe sf_storage_system = {
	.sysfs = "/sys",
	.fs_id = sf_fs_id_of,
};

static int btrfs_fsid(const char *path, uint8_t *fsid)
{
	struct btrfs_ioctl_fs_info_args info;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	ret = ioctl(fd, BTRFS_IOC_FS_INFO, &info);
	close(fd);
	if (ret)
		return -1;
	memcpy(fsid, info.fsid, sizeof(info.fsid));
	return 0;
}

int sf_fs_id_of(const char *path, struct sf_fs_id *id)
{
	struct statfs fs;
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st))
		return -1;
	id->dev = st.st_dev;
	if (S_ISBLK(st.st_mode))
		id->block = st.st_rdev;
	/* btrfs gives each subvolume an anonymous device of its own. */
	if (major(st.st_dev) || statfs(path, &fs) || fs.f_type != BTRFS_SUPER_MAGIC)
		return 0;
	id->btrfs = btrfs_fsid(path, id->fsid) == 0;
	return 0;
}

static bool same_fs(const struct sf_fs_id *a, const struct sf_fs_id *b)
{
	if (a->btrfs || b->btrfs)
		return a->btrfs && b->btrfs && !memcmp(a->fsid, b->fsid, sizeof(a->fsid));
	return a->dev && a->dev == b->dev;
}

/* One target's walk: the devices seen, the edges found. */
struct walk {
	const struct sf_storage_probe *probe;
	const struct sf_fs_id *targets;
	size_t n_targets;
	size_t self;
	const char *path;		/* the target's, for notes */
	dev_t *seen;
	size_t n_seen;
	struct sf_storage *storage;
};

#define NOMEM (-1)

static int note(struct walk *walk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int note(struct walk *walk, const char *fmt, ...)
{
	struct sf_storage *storage = walk->storage;
	char **notes = realloc(storage->notes, (storage->n_notes + 1) * sizeof(*notes));
	va_list args;
	int ret;

	if (!notes)
		return NOMEM;
	storage->notes = notes;
	va_start(args, fmt);
	ret = vasprintf(&notes[storage->n_notes], fmt, args);
	va_end(args);
	if (ret < 0)
		return NOMEM;
	storage->n_notes++;
	return 0;
}

static int add_edge(struct walk *walk, size_t target)
{
	struct sf_stored_on *on = &walk->storage->stored_on[walk->self];
	uint32_t *targets;
	size_t i;

	for (i = 0; i < on->n; i++)
		if (on->targets[i] == target)
			return 0;
	targets = realloc(on->targets, (on->n + 1) * sizeof(*targets));
	if (!targets)
		return NOMEM;
	targets[on->n++] = (uint32_t)target;
	on->targets = targets;
	return 0;
}

/* A sysfs attribute's first line, without its newline; false: none. */
static bool read_attribute(const char *path, char *buf, size_t size)
{
	FILE *file = fopen(path, "re");
	bool got;

	if (!file)
		return false;
	got = fgets(buf, (int)size, file) != NULL;
	fclose(file);
	if (got)
		buf[strcspn(buf, "\n")] = '\0';
	return got;
}

/* A `dev` attribute, "MAJ:MIN": false when missing or malformed. */
static bool read_dev(const char *path, dev_t *dev)
{
	unsigned int maj, min;
	char buf[32], end;

	if (!read_attribute(path, buf, sizeof(buf)) ||
	    sscanf(buf, "%u:%u%c", &maj, &min, &end) != 2)
		return false;
	*dev = makedev(maj, min);
	return true;
}

static int walk_fs(struct walk *walk, const struct sf_fs_id *fs, int depth);

static int walk_device(struct walk *walk, dev_t dev, int depth);

/* Each NAME/dev in a folder of sysfs links to block devices. */
static int walk_links(struct walk *walk, const char *folder, int depth)
{
	DIR *links = opendir(folder);
	struct dirent *link;
	char path[PATH_MAX];
	int ret = 0;
	dev_t dev;

	if (!links)
		return 0;
	while (!ret && (link = readdir(links))) {
		if (link->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", folder, link->d_name);
		if (read_dev(path, &dev))
			ret = walk_device(walk, dev, depth);
	}
	closedir(links);
	return ret;
}

/* A loop device's image: on a target (an edge), or on a filesystem to walk. */
static int walk_backing_file(struct walk *walk, dev_t loop, const char *backing, int depth)
{
	struct sf_fs_id holder;
	size_t i;

	if (walk->probe->fs_id(backing, &holder))
		return note(walk, "%s: the image of loop device %u:%u, %s, cannot be found (%s): "
			    "not frozen before the filesystem holding it", walk->path,
			    major(loop), minor(loop), backing, strerror(errno));
	if (holder.block)
		return walk_device(walk, holder.block, depth);
	for (i = 0; i < walk->n_targets; i++)
		if (same_fs(&holder, &walk->targets[i]))
			return i == walk->self ? 0 : add_edge(walk, i);
	return walk_fs(walk, &holder, depth);
}

static int walk_device(struct walk *walk, dev_t dev, int depth)
{
	char folder[PATH_MAX], path[PATH_MAX + 32], backing[PATH_MAX];
	dev_t *seen;
	size_t i;

	for (i = 0; i < walk->n_seen; i++)
		if (walk->seen[i] == dev)
			return 0;
	if (depth > SF_STORAGE_MAX_DEPTH)
		return note(walk, "%s: its storage is stacked deeper than %d devices at %u:%u: "
			    "not followed further", walk->path, SF_STORAGE_MAX_DEPTH,
			    major(dev), minor(dev));
	seen = realloc(walk->seen, (walk->n_seen + 1) * sizeof(*seen));
	if (!seen)
		return NOMEM;
	walk->seen = seen;
	seen[walk->n_seen++] = dev;

	snprintf(folder, sizeof(folder), "%s/dev/block/%u:%u", walk->probe->sysfs,
		 major(dev), minor(dev));
	snprintf(path, sizeof(path), "%s/partition", folder);
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/../dev", folder);
		return read_dev(path, &dev) ? walk_device(walk, dev, depth + 1) : 0;
	}
	snprintf(path, sizeof(path), "%s/loop/backing_file", folder);
	if (read_attribute(path, backing, sizeof(backing)))
		return walk_backing_file(walk, dev, backing, depth + 1);
	snprintf(path, sizeof(path), "%s/slaves", folder);
	return walk_links(walk, path, depth + 1);
}

/* A filesystem's block devices: btrfs's all, another's its st_dev. */
static int walk_fs(struct walk *walk, const struct sf_fs_id *fs, int depth)
{
	const uint8_t *u = fs->fsid;
	char folder[PATH_MAX];

	if (!fs->btrfs)
		return major(fs->dev) ? walk_device(walk, fs->dev, depth) : 0;
	snprintf(folder, sizeof(folder),
		 "%s/fs/btrfs/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x/devices", walk->probe->sysfs,
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return walk_links(walk, folder, depth);
}

int sf_storage_discover(const struct sf_storage_probe *probe, const char *const *paths,
			size_t n, struct sf_storage *storage, struct sf_error *err)
{
	struct sf_fs_id *targets = calloc(n ? n : 1, sizeof(*targets));
	struct walk walk = { .probe = probe, .targets = targets, .n_targets = n,
			     .storage = storage };
	int ret = 0;
	size_t i;

	memset(storage, 0, sizeof(*storage));
	storage->stored_on = calloc(n ? n : 1, sizeof(*storage->stored_on));
	if (!targets || !storage->stored_on)
		ret = NOMEM;
	storage->n_targets = n;
	/* Unknown (dev 0) when it cannot be found: it matches no image. */
	for (i = 0; !ret && i < n; i++)
		probe->fs_id(paths[i], &targets[i]);
	for (i = 0; !ret && i < n; i++) {
		walk.self = i;
		walk.path = paths[i];
		walk.n_seen = 0;
		ret = walk_fs(&walk, &targets[i], 0);
	}
	free(walk.seen);
	free(targets);
	if (!ret)
		return 0;
	sf_storage_free(storage);
	return sf_fail(err, SF_EXIT_FAILURE, "storage: out of memory");
}

void sf_storage_free(struct sf_storage *storage)
{
	size_t i;

	for (i = 0; storage->stored_on && i < storage->n_targets; i++)
		free(storage->stored_on[i].targets);
	for (i = 0; i < storage->n_notes; i++)
		free(storage->notes[i]);
	free(storage->stored_on);
	free(storage->notes);
	memset(storage, 0, sizeof(*storage));
}

/*
 * Longest paths, relaxed until nothing changes: in n rounds without a
 * cycle, since no chain is longer than n - 1 targets.
 */
int sf_storage_levels(const struct sf_stored_on *stored_on, size_t n, uint32_t *levels,
		      size_t *order, size_t *cyclic)
{
	bool changed = true;
	size_t round, i, j, k;

	memset(levels, 0, n * sizeof(*levels));
	for (round = 0; changed && round <= n; round++) {
		changed = false;
		for (i = 0; stored_on && i < n; i++)
			for (j = 0; j < stored_on[i].n; j++) {
				uint32_t on = stored_on[i].targets[j];

				if (on < n && levels[on] <= levels[i]) {
					levels[on] = levels[i] + 1;
					changed = true;
					*cyclic = on;
				}
			}
	}
	if (changed)
		return -1;
	/* Stable: insertion by level. */
	for (i = 0; i < n; i++) {
		for (k = i; k > 0 && levels[order[k - 1]] > levels[i]; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	return 0;
}
