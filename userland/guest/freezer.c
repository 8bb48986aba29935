// SPDX-License-Identifier: GPL-2.0
#include "freezer.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fifreeze.h"
#include "keepalive.h"

struct sf_freezer {
	struct sf_nl *nl;		/* NULL: FIFREEZE */
	uint64_t session_id;		/* the module's, while frozen */
	struct sf_keeper *keeper;	/* while frozen with a keepalive interval */
	bool memory_locked;		/* for the keeper, while frozen */
	struct sf_fifreeze *fifreeze;	/* while frozen with FIFREEZE */
	bool frozen;
};

struct sf_freezer *sf_freezer_open(bool fifreeze_fallback, char *degraded, size_t size,
				   struct sf_error *err)
{
	struct sf_freezer *freezer = calloc(1, sizeof(*freezer));
	struct sf_error why;

	if (!freezer) {
		sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		return NULL;
	}
	degraded[0] = '\0';
	freezer->nl = sf_nl_open(&why);
	if (freezer->nl)
		return freezer;
	if (why.exit_code != SF_EXIT_NO_MODULE)
		sf_fail(err, why.exit_code, "%s", why.msg);
	else if (!fifreeze_fallback)
		sf_fail(err, why.exit_code, "%s; \"fifreeze_fallback\" is false", why.msg);
	else {
		snprintf(degraded, size, "%s: frozen with FIFREEZE, one filesystem after another",
			 why.msg);
		return freezer;
	}
	free(freezer);
	return NULL;
}

struct sf_freezer *sf_freezer_open_on(struct sf_nl *nl)
{
	struct sf_freezer *freezer = calloc(1, sizeof(*freezer));

	if (freezer)
		freezer->nl = nl;
	return freezer;
}

const char *sf_freezer_name(const struct sf_freezer *freezer)
{
	return freezer->nl ? "module" : "fifreeze";
}

static int freeze_module(struct sf_freezer *freezer, const struct sf_freeze_request *request,
			 struct sf_session_info *session, struct sf_error *err)
{
	struct sf_error ignored;

	if (request->keepalive_ms) {
		if (sf_keepalive_lock_memory(err))
			return -1;
		freezer->memory_locked = true;
	}
	if (sf_nl_freeze(freezer->nl, request, session, err))
		goto unlock;
	freezer->session_id = session->id;
	freezer->frozen = true;
	if (!request->keepalive_ms)
		return 0;
	freezer->keeper = sf_keeper_start(freezer->nl, session->id, request->keepalive_ms, err);
	if (freezer->keeper)
		return 0;
	sf_freezer_thaw(freezer, session, &ignored);
	return -1;
unlock:
	if (freezer->memory_locked)
		sf_keepalive_unlock_memory();
	freezer->memory_locked = false;
	return -1;
}

int sf_freezer_freeze(struct sf_freezer *freezer, const struct sf_freeze_request *request,
		      const struct sf_mount *mounts, struct sf_session_info *session,
		      struct sf_error *err)
{
	if (freezer->nl)
		return freeze_module(freezer, request, session, err);
	freezer->fifreeze = sf_fifreeze_freeze(mounts, request->stored_on, request->n_paths,
					       request->timeout_ms, session, err);
	freezer->frozen = freezer->fifreeze != NULL;
	return freezer->fifreeze ? 0 : -1;
}

int sf_freezer_lost_fd(const struct sf_freezer *freezer)
{
	if (freezer->fifreeze)
		return sf_fifreeze_lost_fd(freezer->fifreeze);
	return freezer->keeper ? sf_keeper_fd(freezer->keeper) : -1;
}

bool sf_freezer_lost(const struct sf_freezer *freezer)
{
	int fd = sf_freezer_lost_fd(freezer);

	return fd >= 0 && poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0) > 0;
}

void sf_freezer_alive(struct sf_freezer *freezer)
{
	sf_keeper_alive(freezer->keeper);
}

void sf_freezer_alive_until(struct sf_freezer *freezer, uint64_t until_ms)
{
	sf_keeper_alive_until(freezer->keeper, until_ms);
}

int sf_freezer_poll_ms(const struct sf_freezer *freezer)
{
	return sf_keeper_poll_ms(freezer->keeper);
}

/*
 * A session the module says has ended (ENOENT, ESRCH) was lost: its
 * watchdog, a missed keepalive or an unload thawed it first. A THAW
 * without a valid answer says nothing of the session: closing the socket
 * ends it.
 */
static int thaw_module(struct sf_freezer *freezer, struct sf_session_info *session,
		       struct sf_error *err)
{
	struct sf_session_info thawed = { 0 };
	struct sf_error why;
	int ret;

	ret = sf_keeper_stop(freezer->keeper, &why);
	freezer->keeper = NULL;
	if (ret)
		return sf_fail(err, SF_EXIT_FREEZE_LOST, "the session was lost while frozen: %.400s",
			       why.msg);
	ret = sf_nl_thaw(freezer->nl, freezer->session_id, &thawed, err);
	if (ret == -ENOENT || ret == -ESRCH) {
		err->exit_code = SF_EXIT_FREEZE_LOST;
		return -1;
	}
	if (ret) {
		sf_nl_disconnect(freezer->nl);
		return -1;
	}
	sf_session_info_free(session);
	*session = thawed;
	return 0;
}

int sf_freezer_thaw(struct sf_freezer *freezer, struct sf_session_info *session,
		    struct sf_error *err)
{
	int ret;

	if (!freezer->frozen)
		return 0;
	freezer->frozen = false;
	if (freezer->fifreeze) {
		ret = sf_fifreeze_thaw(freezer->fifreeze, session, err);
		freezer->fifreeze = NULL;
		return ret;
	}
	ret = thaw_module(freezer, session, err);
	if (freezer->memory_locked)
		sf_keepalive_unlock_memory();
	freezer->memory_locked = false;
	return ret;
}

void sf_freezer_close(struct sf_freezer *freezer)
{
	struct sf_session_info session = { 0 };
	struct sf_error ignored;

	if (!freezer)
		return;
	sf_freezer_thaw(freezer, &session, &ignored);
	sf_session_info_free(&session);
	sf_nl_close(freezer->nl);
	free(freezer);
}
