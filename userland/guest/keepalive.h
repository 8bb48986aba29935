/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_KEEPALIVE_H
#define SNAPFREEZE_KEEPALIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "netlink.h"

/*
 * Keeps a session with a keepalive interval alive while the command makes
 * progress. A thread of its own sends KEEPALIVE every third of the interval,
 * but only while the command shows signs of life: sf_keeper_alive() (the
 * command is at work; it counts for half an interval), or
 * sf_keeper_alive_until() (the command waits, touching no file, until a
 * known time). A command that hangs, stopped or blocked on a filesystem it
 * froze, gives none: the thread stops petting and the kernel thaws at most
 * one and a half intervals after the last sign of life.
 *
 * The thread touches no file, and sf_keepalive_lock_memory(), called before
 * freezing, keeps every page of the process resident. It shares the socket
 * that owns the session (the module accepts no other for an attached
 * session): sf_nl serialises the exchanges on it.
 */
struct sf_keeper;

/* How often to pet for an interval: a third of it, at least 1 ms. */
uint32_t sf_keepalive_period_ms(uint32_t keepalive_ms);
/* How long one sign of life lets the keeper pet: half the interval. */
uint32_t sf_keepalive_grace_ms(uint32_t keepalive_ms);
/* Whether to pet at now_ms, given the last sign of life and the last until. */
bool sf_keepalive_should_pet(uint64_t now_ms, uint64_t last_alive_ms,
			     uint32_t grace_ms, uint64_t alive_until_ms);

int sf_keepalive_lock_memory(struct sf_error *err);
void sf_keepalive_unlock_memory(void);

/* Counts as a sign of life. */
struct sf_keeper *sf_keeper_start(struct sf_nl *nl, uint64_t id,
				  uint32_t keepalive_ms, struct sf_error *err);
/* The command is alive and at work: the keeper may pet for a while more. NULL: nothing. */
void sf_keeper_alive(struct sf_keeper *keeper);
/*
 * The command enters a wait that touches no file (poll on sockets, pipes)
 * and ends by until_ms (sf_now_ms() from clock.h): the keeper pets until
 * then. A later call replaces until_ms. NULL: nothing.
 */
void sf_keeper_alive_until(struct sf_keeper *keeper, uint64_t until_ms);
/*
 * The longest a command may go between two sf_keeper_alive() calls without
 * risking its session, in poll()'s terms: -1 (forever) without a keeper.
 */
int sf_keeper_poll_ms(const struct sf_keeper *keeper);
/* Readable once the session is known to be lost; -1 without a keeper. */
int sf_keeper_fd(const struct sf_keeper *keeper);
/*
 * Stops and frees the keeper (NULL: nothing). -1 if a keepalive found the
 * session gone: err then says why, and the freeze was lost.
 */
int sf_keeper_stop(struct sf_keeper *keeper, struct sf_error *err);

#endif
