/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_GA_FREEZE_H
#define SNAPFREEZE_GA_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "freezer.h"
#include "ga_hook.h"

/*
 * The guest agent's fsfreeze state: thawed, or frozen as one session of
 * the module, held until guest-fsfreeze-thaw or the session's hard
 * deadline, kept alive meanwhile by the module's keepalive while the agent
 * shows signs of life. The hook runs "freeze" before each freeze and
 * "thaw" after each thaw, the kernel's included.
 */
struct ga_freeze_config {
	const char *mountinfo;		/* what is mounted: /proc/self/mountinfo */
	const char *const *skip;	/* mount points never frozen */
	size_t n_skip;
	uint32_t timeout_ms;		/* the session's hard deadline */
	uint32_t keepalive_ms;		/* 0: none */
	struct ga_hook hook;
	/* The module; NULL: sf_freezer_open() without FIFREEZE. */
	struct sf_freezer *(*open_freezer)(void *arg, struct sf_error *err);
	void *open_arg;
	/* Told what of the filesystems' storage cannot be ordered; NULL: no one. */
	void (*note)(void *arg, const char *message);
	void *note_arg;
};

struct ga_freeze;

struct ga_freeze *ga_freeze_new(const struct ga_freeze_config *config);
/* Thaws what is frozen (the hook's "thaw" included), and frees. */
void ga_freeze_free(struct ga_freeze *freeze);

bool ga_freeze_frozen(const struct ga_freeze *freeze);
/*
 * Freezes every filesystem `snapfreeze mounts` lists or, with mountpoints
 * (n of them; NULL: all), those of them mounted there; the others are
 * ignored, as qemu-ga ignores them. *count: how many were frozen; 0
 * leaves the state thawed. On failure nothing stays frozen and the thaw
 * hook has run.
 */
int ga_freeze_freeze(struct ga_freeze *freeze, const char *const *mountpoints, size_t n,
		     int64_t *count, struct sf_error *err);
/*
 * Thaws (*count: the filesystems the session held, 0 when none was), then
 * runs the hook's "thaw", whatever the state was. A failed hook is the
 * error, the filesystems thawed all the same.
 */
int ga_freeze_thaw(struct ga_freeze *freeze, int64_t *count, struct sf_error *err);

/* Readable once the kernel ended the session by itself; -1 when none is. */
int ga_freeze_lost_fd(const struct ga_freeze *freeze);
/*
 * The session ended by itself (its deadline, a missed keepalive): the
 * state becomes thawed and the thaw hook runs. 1 then, with why saying
 * what ended it; 0 when the session still holds.
 */
int ga_freeze_check(struct ga_freeze *freeze, struct sf_error *why);
/* A sign of life for the keepalive, and the longest wait until the next one (-1: none). */
void ga_freeze_alive(struct ga_freeze *freeze);
int ga_freeze_poll_ms(const struct ga_freeze *freeze);

#endif
