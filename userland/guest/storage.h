/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_STORAGE_H
#define SNAPFREEZE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "netlink.h"

/*
 * Which targets a target is stored on: those whose filesystems hold the
 * backing file of a loop device under it, through any stack of partitions,
 * device-mapper, md and loop devices (and of filesystems that are not
 * targets), as sysfs describes them. Such a target must be frozen before,
 * and thawed after, the targets it is stored on: its freeze writes through
 * the loop device.
 *
 * What cannot be followed (a backing file deleted, or out of this mount
 * namespace's sight; a stack deeper than SF_STORAGE_MAX_DEPTH) adds no
 * order and is told as a note, for the caller to log.
 */
#define SF_STORAGE_MAX_DEPTH 16

/* The filesystem a path is on, as compared against the targets'. */
struct sf_fs_id {
	dev_t dev;			/* st_dev; 0: unknown */
	dev_t block;			/* the path is a block device: its number */
	bool btrfs;			/* then fsid: its anonymous st_dev differs by subvolume */
	uint8_t fsid[16];
};

/* Where the walk looks: the system's in production, fixtures in tests. */
struct sf_storage_probe {
	const char *sysfs;
	/* 0, or -1 with errno */
	int (*fs_id)(const char *path, struct sf_fs_id *id);
};

/* "/sys" and sf_fs_id_of(). */
extern const struct sf_storage_probe sf_storage_system;

/* stat(), statfs() and, on btrfs, BTRFS_IOC_FS_INFO. */
int sf_fs_id_of(const char *path, struct sf_fs_id *id);

struct sf_storage {
	struct sf_stored_on *stored_on;	/* one per target */
	size_t n_targets;
	char **notes;
	size_t n_notes;
};

/*
 * What each of paths[0..n) is stored on. A path that cannot be found is
 * stored on nothing (its freeze names it). -1 with err: out of memory.
 */
int sf_storage_discover(const struct sf_storage_probe *probe, const char *const *paths,
			size_t n, struct sf_storage *storage, struct sf_error *err);
void sf_storage_free(struct sf_storage *storage);

/*
 * The freeze order of n targets stored on each other: levels[i], the
 * module's level of target i (0 first; a target's level is above every
 * level of the targets stored on it), and order[0..n), the indexes by
 * level, in their own order within one. 0, or -1 with *cyclic, a target
 * of a cycle (or one after it), when there is no such order.
 */
int sf_storage_levels(const struct sf_stored_on *stored_on, size_t n, uint32_t *levels,
		      size_t *order, size_t *cyclic);

#endif
