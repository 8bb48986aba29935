/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_SPAWN_H
#define SNAPFREEZE_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/*
 * Every child both programs start (scripts, an exec: host, hostd's
 * command) starts here, and gets nothing of ours it was not given: the
 * descriptors 0, 1 and 2 only (a #! script's interpreter also the script
 * itself, which it reads), the environment SF_SPAWN_ENVIRONMENT, umask
 * 022, working folder /, default signal handling and an empty signal
 * mask, and a process group of its own, so that a stop reaches all it
 * started. Between fork and exec the child runs only async-signal-safe
 * calls; an exec that fails is reported by sf_spawn() itself.
 */
#define SF_SPAWN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct sf_spawn {
	const char *path;		/* what runs (and what messages name) */
	int exec_fd;			/* >= 0: this open file runs, not path */
	const char *const *argv;	/* NULL-terminated, argv[0] included */
	int stdio[3];			/* become 0, 1 and 2; -1: /dev/null */
};

struct sf_child {
	pid_t pid;			/* and its process group; -1: none */
	int pidfd;			/* readable once it exited */
};

/* 0: running; -1: not started (err names path and why). */
int sf_spawn(const struct sf_spawn *spawn, struct sf_child *child, struct sf_error *err);
/* /bin/sh -c command, its stdio as given. */
int sf_spawn_shell(const char *command, const int stdio[3], struct sf_child *child,
		   struct sf_error *err);
/*
 * A child that goes on in our own code, for calls that may block (a
 * library's) where the caller must not: set up as sf_spawn() sets up its
 * children, with /dev/null as 0, 1 and 2 and keep as 3, our environment,
 * and it dies with us (PR_SET_PDEATHSIG). Only for a process of one
 * thread, so that the child may call what it likes. Returns 0 in the
 * child, 1 in the parent, -1 (err: what names it) when none started.
 */
int sf_fork(const char *what, int keep, struct sf_child *child, struct sf_error *err);
/* Sends sig to the child's whole process group. */
void sf_child_signal(const struct sf_child *child, int sig);
/* Waits up to timeout_ms (-1: for ever) for the child to exit; true if it did. */
bool sf_child_wait(const struct sf_child *child, int timeout_ms);
/*
 * SIGTERM to its group, SIGKILL grace_ms later if it has not exited, then
 * SIGKILL to what it left in its group. Returns its wait status.
 */
int sf_child_stop(struct sf_child *child, int grace_ms);
/* Reaps a child that exited (or waits for it); returns its wait status. */
int sf_child_reap(struct sf_child *child);

#endif
