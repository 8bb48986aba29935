/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_GA_HOOK_H
#define SNAPFREEZE_GA_HOOK_H

#include "error.h"

/*
 * The fsfreeze hook, as qemu-ga runs it: PATH freeze before the freeze,
 * PATH thaw after the thaw, its output discarded. When PATH is missing, the
 * scripts of PATH.d run instead, as QEMU's sample fsfreeze-hook runs them
 * (which a present PATH, such as that sample, runs itself): every
 * executable regular file, in name order, backups and package leftovers
 * skipped, each with the same argument, all of them whatever one returns.
 * Each is checked as sf_open_safe_executable() checks, and stopped at a
 * timeout, which qemu-ga does not have.
 */
#define GA_HOOK_PATH "/etc/qemu/fsfreeze-hook"
#define GA_HOOK_TIMEOUT_MS 60000

struct ga_hook {
	const char *path;		/* NULL: no hook */
	unsigned int timeout_ms;	/* each script's */
};

/*
 * 0; -1 with err in qemu-ga's words ("fsfreeze hook has failed with
 * status N", the last script that failed).
 */
int ga_hook_run(const struct ga_hook *hook, const char *action, struct sf_error *err);

#endif
