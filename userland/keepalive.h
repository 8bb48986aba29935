/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_KEEPALIVE_H
#define SNAPFREEZE_KEEPALIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "netlink.h"

/*
 * Keeps a session with a keepalive interval alive while the command works:
 * a thread of its own sends KEEPALIVE every third of the interval, so that
 * a command that hangs (stopped, or blocked on a filesystem it froze) is
 * thawed by the kernel within one interval. The thread touches no file, and
 * sf_keepalive_lock_memory(), called before freezing, keeps every page of
 * the process resident. It shares the socket that owns the session (the
 * module accepts no other for an attached session): sf_nl serialises the
 * exchanges on it.
 */
struct sf_keeper;

/* How often to pet for an interval: a third of it, at least 1 ms. */
uint32_t sf_keepalive_period_ms(uint32_t keepalive_ms);

int sf_keepalive_lock_memory(struct sf_error *err);
void sf_keepalive_unlock_memory(void);

struct sf_keeper *sf_keeper_start(struct sf_nl *nl, uint64_t id,
				  uint32_t keepalive_ms, struct sf_error *err);
/* Readable once the session is known to be lost; -1 without a keeper. */
int sf_keeper_fd(const struct sf_keeper *keeper);
/*
 * Stops and frees the keeper (NULL: nothing). -1 if a keepalive found the
 * session gone: err then says why, and the freeze was lost.
 */
int sf_keeper_stop(struct sf_keeper *keeper, struct sf_error *err);

#endif
