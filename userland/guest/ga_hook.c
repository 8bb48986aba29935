// SPDX-License-Identifier: GPL-2.0
#include "ga_hook.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scripts.h"

/* What QEMU's sample hook leaves alone in its folder. */
static bool ignored(const char *name)
{
	static const char *const patterns[] = {
		"*~", "*.bak", "*.orig", "*.rpmnew", "*.rpmorig", "*.rpmsave", "*.sample",
		"*.dpkg-*", ".*", NULL,
	};
	size_t i;

	for (i = 0; patterns[i]; i++)
		if (!fnmatch(patterns[i], name, 0))
			return true;
	return false;
}

/* 0: it succeeded; its exit status (or 128 + a signal) when it failed; -1: err. */
static int run_one(const struct ga_hook *hook, const char *path, const char *action,
		   struct sf_error *err)
{
	const char *args[] = { action };
	struct sf_script script = {
		.path = path,
		.args = args,
		.n_args = 1,
		.timeout_ms = hook->timeout_ms,
		.term_grace_ms = 5000,
		.output_limit = 0,
		.abort_fd = -1,
	};
	struct sf_script_result result;
	struct sf_error why;
	int ret = sf_script_run(&script, &result, &why);

	if (ret < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "can't access fsfreeze hook '%.200s': %.250s",
			       path, why.msg);
	if (ret && (result.timed_out || result.exit_status < 0))
		ret = 256;	/* terminated abnormally */
	else if (ret)
		ret = result.exit_status;
	sf_script_result_free(&result);
	return ret;
}

static int scandir_filter(const struct dirent *entry)
{
	return !ignored(entry->d_name);
}

/* The folder's scripts: the last failure's status, as the sample hook's exit status. */
static int run_folder(const struct ga_hook *hook, const char *action, struct sf_error *err)
{
	struct dirent **entries;
	char folder[4096], path[8192];
	int n, i, status = 0, ret;
	struct stat st;

	snprintf(folder, sizeof(folder), "%s.d", hook->path);
	n = scandir(folder, &entries, scandir_filter, alphasort);
	if (n < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		       sf_fail(err, SF_EXIT_FAILURE, "can't access fsfreeze hook '%s': %s",
			       folder, strerror(errno));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", folder, entries[i]->d_name);
		if (status >= 0 && !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK)) {
			ret = run_one(hook, path, action, err);
			if (ret)
				status = ret;
		}
		free(entries[i]);
	}
	free(entries);
	return status;
}

int ga_hook_run(const struct ga_hook *hook, const char *action, struct sf_error *err)
{
	int status;

	if (!hook->path)
		return 0;
	if (access(hook->path, F_OK) && errno == ENOENT)
		status = run_folder(hook, action, err);
	else
		status = run_one(hook, hook->path, action, err);
	if (status < 0)
		return -1;
	if (status == 256)
		return sf_fail(err, SF_EXIT_FAILURE, "fsfreeze hook has terminated abnormally");
	if (status)
		return sf_fail(err, SF_EXIT_FAILURE, "fsfreeze hook has failed with status %d",
			       status);
	return 0;
}
