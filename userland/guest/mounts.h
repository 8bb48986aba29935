/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_MOUNTS_H
#define SNAPFREEZE_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/*
 * The filesystems a snapshot freezes, chosen from a mountinfo file: local
 * block-device filesystems that support freezing, once each, in freeze
 * order; and every other mount with the reason it is skipped.
 */
struct sf_mount {
	char *mount_point;
	char *fstype;
	char *source;
	unsigned int major;
	unsigned int minor;
	bool read_only;
	const char *skip_reason;	/* NULL: frozen */
	const char *same_as;		/* a duplicate: the mount frozen instead,
					 * to follow skip_reason */
};

struct sf_mounts {
	struct sf_mount *mounts;	/* frozen ones first, in freeze order */
	size_t n_mounts;
	size_t n_frozen;
};

int sf_mounts_read(const char *path, const char *const *skip, size_t n_skip,
		   struct sf_mounts *mounts, struct sf_error *err);
void sf_mounts_free(struct sf_mounts *mounts);

#endif
