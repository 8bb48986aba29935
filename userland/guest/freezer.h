/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_FREEZER_H
#define SNAPFREEZE_FREEZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mounts.h"
#include "netlink.h"

/*
 * What freezes a snapshot's filesystems, behind one interface: the module
 * (one session, kept alive by a keeper thread when it has a keepalive
 * interval) or, without it, FIFREEZE held by a watchdog process. Either
 * way the filesystems are thawed on every path: by sf_freezer_thaw(), or
 * by the kernel or the watchdog if this process dies or stalls. A freeze
 * that ends by itself is lost: sf_freezer_lost_fd() becomes readable, and
 * sf_freezer_thaw() fails with SF_EXIT_FREEZE_LOST.
 */
struct sf_freezer;

/*
 * The module; without it, FIFREEZE if fifreeze_fallback allows, and
 * degraded (size bytes) then says why. Nothing is frozen yet.
 */
struct sf_freezer *sf_freezer_open(bool fifreeze_fallback, char *degraded, size_t size,
				   struct sf_error *err);
/* The module over nl, a socket already open (the unit tests' fake module). */
struct sf_freezer *sf_freezer_open_on(struct sf_nl *nl);
/* "module" or "fifreeze". */
const char *sf_freezer_name(const struct sf_freezer *freezer);
/*
 * Freezes request->paths (mounts[i] describing paths[i]) as one session,
 * described in session; request->keepalive_ms is the module's (FIFREEZE
 * has no keepalive). All or nothing: on failure nothing is frozen, or
 * what may be is being thawed (see sf_nl_freeze()).
 */
int sf_freezer_freeze(struct sf_freezer *freezer, const struct sf_freeze_request *request,
		      const struct sf_mount *mounts, struct sf_session_info *session,
		      struct sf_error *err);
/* Readable once a freeze is over by itself; -1 when not frozen. */
int sf_freezer_lost_fd(const struct sf_freezer *freezer);
bool sf_freezer_lost(const struct sf_freezer *freezer);
/* Signs of life for the module's keepalive (sf_keeper_alive(), _until()). */
void sf_freezer_alive(struct sf_freezer *freezer);
void sf_freezer_alive_until(struct sf_freezer *freezer, uint64_t until_ms);
/* The longest wait between two signs of life, as sf_keeper_poll_ms() has it. */
int sf_freezer_poll_ms(const struct sf_freezer *freezer);
/*
 * Thaws and describes the session as it ended. SF_EXIT_FREEZE_LOST: it
 * had ended by itself. Any other failure leaves nothing frozen either: a
 * thaw the module does not answer closes the socket, which thaws.
 */
int sf_freezer_thaw(struct sf_freezer *freezer, struct sf_session_info *session,
		    struct sf_error *err);
/* Thaws what is still frozen, as sf_freezer_thaw() would, and frees. */
void sf_freezer_close(struct sf_freezer *freezer);

#endif
