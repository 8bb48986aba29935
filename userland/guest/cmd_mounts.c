// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "config.h"
#include "mounts.h"
#include "output.h"

static const char mounts_usage[] =
	"Usage: snapfreeze mounts [--json] [--config FILE] [--skip MOUNT]...\n"
	"                         [--mountinfo FILE]\n"
	"\n"
	"Show the filesystems a snapshot freezes, in freeze order, and why every\n"
	"other mount is skipped. Frozen: local block-device filesystems that can\n"
	"be frozen (ext2/3/4, xfs, btrfs, f2fs, jfs, nilfs2, reiserfs, gfs2,\n"
	"ocfs2), read-write, once each (bind mounts and btrfs subvolumes share\n"
	"one); a filesystem on a loop device first, then children before\n"
	"parents, / last. Mounts in the configuration's skip_mounts are skipped.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     configuration (default " SF_CONFIG_PATH ")\n"
	"  -s, --skip MOUNT      do not freeze the filesystem mounted at MOUNT\n"
	"                        (nor its other mounts), repeatable\n"
	"  -m, --mountinfo FILE  read FILE instead of /proc/self/mountinfo\n"
	"  -j, --json            print one JSON object\n"
	"  -h, --help            show this help\n";

cJSON *sf_mounts_json(const struct sf_mounts *mounts)
{
	cJSON *json = cJSON_CreateObject();
	cJSON *frozen = json ? cJSON_AddArrayToObject(json, "freeze") : NULL;
	cJSON *skipped = json ? cJSON_AddArrayToObject(json, "skipped") : NULL;
	size_t i;

	if (!frozen || !skipped)
		goto fail;
	for (i = 0; i < mounts->n_mounts; i++) {
		const struct sf_mount *mount = &mounts->mounts[i];
		cJSON *item = cJSON_CreateObject();
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", mount->major, mount->minor);
		if (!item || !cJSON_AddItemToArray(mount->skip_reason ? skipped : frozen, item) ||
		    !cJSON_AddStringToObject(item, "mount_point", mount->mount_point) ||
		    !cJSON_AddStringToObject(item, "fstype", mount->fstype) ||
		    !cJSON_AddStringToObject(item, "dev", dev) ||
		    !cJSON_AddStringToObject(item, "source", mount->source) ||
		    (mount->skip_reason &&
		     !cJSON_AddStringToObject(item, "reason", mount->skip_reason)) ||
		    (mount->same_as &&
		     !cJSON_AddStringToObject(item, "same_as", mount->same_as)))
			goto fail;
	}
	return json;
fail:
	cJSON_Delete(json);
	return NULL;
}

static void print_mounts_text(const struct sf_mounts *mounts)
{
	size_t i;

	printf("freeze, in order:\n");
	for (i = 0; i < mounts->n_frozen; i++)
		printf("  %s  %s  %u:%u  %s\n", mounts->mounts[i].mount_point,
		       mounts->mounts[i].fstype, mounts->mounts[i].major,
		       mounts->mounts[i].minor, mounts->mounts[i].source);
	printf("skipped:\n");
	for (; i < mounts->n_mounts; i++)
		printf("  %s  %s: %s%s%s\n", mounts->mounts[i].mount_point,
		       mounts->mounts[i].fstype, mounts->mounts[i].skip_reason,
		       mounts->mounts[i].same_as ? " " : "",
		       mounts->mounts[i].same_as ? mounts->mounts[i].same_as : "");
}

static int print_mounts(const char *mountinfo, const char **skip, size_t n_skip,
			bool json, struct sf_error *err)
{
	struct sf_mounts mounts;
	int ret;

	if (sf_mounts_read(mountinfo, skip, n_skip, &mounts, err))
		return -1;
	if (json) {
		ret = sf_print_json(sf_mounts_json(&mounts), err);
	} else {
		print_mounts_text(&mounts);
		ret = SF_EXIT_OK;
	}
	sf_mounts_free(&mounts);
	return ret;
}

int cmd_mounts(int argc, char **argv, struct sf_error *err)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "skip", required_argument, NULL, 's' },
		{ "mountinfo", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *mountinfo = "/proc/self/mountinfo", *config_path = NULL;
	struct sf_config config;
	const char **skip = NULL;
	size_t n_skip = 0, i;
	bool json = false;
	int opt, ret;

	/* Room for every --skip and every configured one. */
	skip = calloc(argc, sizeof(*skip));
	if (!skip)
		return sf_fail(err, SF_EXIT_FAILURE, "mounts: out of memory");
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:s:m:jh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			skip[n_skip++] = optarg;
			break;
		case 'm':
			mountinfo = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(mounts_usage, stdout);
			free(skip);
			return SF_EXIT_OK;
		default:
			free(skip);
			return sf_option_error(err, "mounts", argv, opt);
		}
	}
	if (optind < argc) {
		free(skip);
		return sf_fail(err, SF_EXIT_USAGE,
			       "mounts: unexpected argument '%s'", argv[optind]);
	}
	if (sf_config_load(config_path, NULL, &config, err)) {
		free(skip);
		return -1;
	}
	ret = -1;
	if (!n_skip && !config.n_skip_mounts) {
		ret = print_mounts(mountinfo, NULL, 0, json, err);
	} else {
		const char **all = realloc(skip, (n_skip + config.n_skip_mounts) *
					   sizeof(*all));

		if (all) {
			skip = all;
			for (i = 0; i < config.n_skip_mounts; i++)
				skip[n_skip++] = config.skip_mounts[i];
			ret = print_mounts(mountinfo, skip, n_skip, json, err);
		} else {
			sf_fail(err, SF_EXIT_FAILURE, "mounts: out of memory");
		}
	}
	free(skip);
	sf_config_free(&config);
	return ret;
}
