// SPDX-License-Identifier: GPL-2.0
#include "ga_freeze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mounts.h"
#include "storage.h"

struct ga_freeze {
	struct ga_freeze_config config;
	struct sf_freezer *freezer;	/* while frozen */
	struct sf_session_info session;
	int64_t frozen;			/* filesystems the session holds */
};

struct ga_freeze *ga_freeze_new(const struct ga_freeze_config *config)
{
	struct ga_freeze *freeze = calloc(1, sizeof(*freeze));

	if (freeze)
		freeze->config = *config;
	return freeze;
}

bool ga_freeze_frozen(const struct ga_freeze *freeze)
{
	return freeze->freezer != NULL;
}

static struct sf_freezer *open_freezer(const struct ga_freeze_config *config,
				       struct sf_error *err)
{
	char degraded[8];

	if (config->open_freezer)
		return config->open_freezer(config->open_arg, err);
	return sf_freezer_open(false, degraded, sizeof(degraded), err);
}

/* The mounts to freeze, in freeze order: all, or those at mountpoints. */
static size_t select_paths(const struct sf_mounts *mounts, const char *const *mountpoints,
			   size_t n, const char **paths)
{
	size_t i, j, count = 0;

	for (i = 0; i < mounts->n_frozen; i++) {
		for (j = 0; mountpoints && j < n; j++)
			if (!strcmp(mountpoints[j], mounts->mounts[i].mount_point))
				break;
		if (!mountpoints || j < n)
			paths[count++] = mounts->mounts[i].mount_point;
	}
	return count;
}

/* Ends a session that is over: the freezer closed (which thaws), the hook's "thaw". */
static void end_session(struct ga_freeze *freeze)
{
	sf_freezer_close(freeze->freezer);
	freeze->freezer = NULL;
	sf_session_info_free(&freeze->session);
	freeze->frozen = 0;
}

static int freeze_paths(struct ga_freeze *freeze, const char **paths, size_t n,
			struct sf_error *err)
{
	const struct ga_freeze_config *config = &freeze->config;
	struct sf_freeze_request request = {
		.paths = paths,
		.n_paths = n,
		.timeout_ms = config->timeout_ms,
		.keepalive_ms = config->keepalive_ms,
	};
	struct sf_storage storage;
	int ret = -1;
	size_t i;

	if (sf_storage_discover(&sf_storage_system, paths, n, &storage, err))
		return -1;
	for (i = 0; config->note && i < storage.n_notes; i++)
		config->note(config->note_arg, storage.notes[i]);
	request.stored_on = storage.stored_on;
	freeze->freezer = open_freezer(config, err);
	if (freeze->freezer &&
	    !sf_freezer_freeze(freeze->freezer, &request, NULL, &freeze->session, err)) {
		freeze->frozen = (int64_t)n;
		ret = 0;
	} else if (freeze->freezer) {
		end_session(freeze);
	}
	sf_storage_free(&storage);
	return ret;
}

int ga_freeze_freeze(struct ga_freeze *freeze, const char *const *mountpoints, size_t n,
		     int64_t *count, struct sf_error *err)
{
	const struct ga_freeze_config *config = &freeze->config;
	struct sf_error ignored;
	struct sf_mounts mounts;
	const char **paths;
	size_t n_paths;
	int ret;

	*count = 0;
	if (ga_hook_run(&config->hook, "freeze", err))
		return -1;
	if (sf_mounts_read(config->mountinfo, (const char **)config->skip, config->n_skip,
			   &mounts, err))
		return -1;
	paths = calloc(mounts.n_frozen + 1, sizeof(*paths));
	if (!paths) {
		sf_mounts_free(&mounts);
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	}
	n_paths = select_paths(&mounts, mountpoints, n, paths);
	ret = n_paths ? freeze_paths(freeze, paths, n_paths, err) : 0;
	free(paths);
	sf_mounts_free(&mounts);
	if (ret) {
		/* As qemu-ga: a freeze that failed is thawed, and the hook told so. */
		ga_hook_run(&config->hook, "thaw", &ignored);
		return -1;
	}
	*count = freeze->frozen;
	return 0;
}

int ga_freeze_thaw(struct ga_freeze *freeze, int64_t *count, struct sf_error *err)
{
	struct sf_error why;
	int ret = 0;

	*count = 0;
	if (freeze->freezer) {
		/* A session the kernel ended first thawed nothing here. */
		if (!sf_freezer_thaw(freeze->freezer, &freeze->session, &why))
			*count = freeze->frozen;
		end_session(freeze);
	}
	ret = ga_hook_run(&freeze->config.hook, "thaw", err);
	return ret;
}

int ga_freeze_lost_fd(const struct ga_freeze *freeze)
{
	return freeze->freezer ? sf_freezer_lost_fd(freeze->freezer) : -1;
}

int ga_freeze_check(struct ga_freeze *freeze, struct sf_error *why)
{
	struct sf_error hook;

	if (!freeze->freezer || !sf_freezer_lost(freeze->freezer))
		return 0;
	if (!sf_freezer_thaw(freeze->freezer, &freeze->session, why))
		sf_fail(why, SF_EXIT_FREEZE_LOST, "the session ended");
	end_session(freeze);
	if (ga_hook_run(&freeze->config.hook, "thaw", &hook)) {
		size_t len = strlen(why->msg);

		snprintf(why->msg + len, sizeof(why->msg) - len, "; thaw hook: %s", hook.msg);
	}
	return 1;
}

void ga_freeze_alive(struct ga_freeze *freeze)
{
	if (freeze->freezer)
		sf_freezer_alive(freeze->freezer);
}

int ga_freeze_poll_ms(const struct ga_freeze *freeze)
{
	return freeze->freezer ? sf_freezer_poll_ms(freeze->freezer) : -1;
}

void ga_freeze_free(struct ga_freeze *freeze)
{
	int64_t count;
	struct sf_error ignored;

	if (!freeze)
		return;
	if (freeze->freezer)
		ga_freeze_thaw(freeze, &count, &ignored);
	free(freeze);
}
