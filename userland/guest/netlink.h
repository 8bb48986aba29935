/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_NETLINK_H
#define SNAPFREEZE_NETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The one place that speaks generic netlink to the snapfreeze module: it owns
 * the sockets, resolves the family, builds requests and turns replies and
 * extended ACKs into plain structures and sf_error messages.
 *
 * Requests on one socket may come from several threads: each request and
 * its replies are one exchange under the socket's lock. That is how a
 * keepalive thread shares the socket that owns an attached session (the
 * module accepts its KEEPALIVE from that socket only).
 */
struct sf_nl;
struct nl_sock;

struct sf_module_status {
	char version[64];
	uint32_t features;		/* enum snapfreeze_feature */
	uint32_t default_timeout_ms;
	uint32_t max_timeout_ms;
	uint32_t max_targets;
	uint64_t sessions;
	uint64_t watchdog_thaws;
	uint64_t owner_thaws;
	uint64_t longest_freeze_ns;
	uint32_t min_keepalive_ms;
	uint32_t max_keepalive_ms;
	uint64_t keepalive_thaws;
};

struct sf_target_info {
	char *path;
	uint32_t dev;			/* new_encode_dev() */
	char fstype[32];
	uint32_t level;
	uint64_t freeze_ns;
	uint64_t frozen_ns;		/* once thawed */
	int32_t thaw_error;		/* negative errno */
	bool stuck;			/* its freeze or thaw outlived the session */
};

/* A session as the module describes it; zero where it said nothing. */
struct sf_session_info {
	uint64_t id;
	uint32_t state;			/* enum snapfreeze_state */
	uint32_t flags;			/* enum snapfreeze_freeze_flag */
	uint32_t owner_pid;
	uint32_t timeout_ms;
	uint32_t keepalive_ms;		/* 0: none */
	uint64_t time_left_ms;
	uint64_t freeze_ns;
	uint64_t spread_ns;
	uint64_t frozen_ns;
	uint64_t duration_ns;
	uint32_t event;			/* events only: enum snapfreeze_event */
	uint32_t reason;		/* enum snapfreeze_reason */
	size_t n_targets;
	struct sf_target_info *targets;
};

/* The targets (their indexes) whose filesystems hold part of one target's storage. */
struct sf_stored_on {
	uint32_t *targets;
	size_t n;
};

struct sf_freeze_request {
	const char *const *paths;
	const struct sf_stored_on *stored_on;	/* NULL, or one per path */
	size_t n_paths;
	uint32_t timeout_ms;		/* 0: the module's default */
	uint32_t keepalive_ms;		/* 0: no keepalive */
	uint32_t flags;
};

struct sf_keepalive_reply {
	uint64_t time_left_ms;		/* until the hard deadline */
	uint32_t keepalive_ms;
	bool gone;			/* refused: the session ended, or expired */
};

typedef int (*sf_session_fn)(const struct sf_session_info *session, void *arg);

/*
 * Every reply is awaited for a bounded time; a failure is -1 with err set
 * unless said otherwise. A FREEZE that gets no valid reply (no reply in
 * time, a malformed one, one without a session) closes the socket before
 * it returns, so that the module thaws what it may have frozen before
 * anything is reported: the socket then takes no more requests.
 */
struct sf_nl *sf_nl_open(struct sf_error *err);
void sf_nl_close(struct sf_nl *nl);
/*
 * Closes the socket, keeping nl: the module thaws every attached session
 * it owns, at once (on its workqueue). Later requests fail.
 */
void sf_nl_disconnect(struct sf_nl *nl);
int sf_nl_get_status(struct sf_nl *nl, struct sf_module_status *status,
		     struct sf_error *err);
int sf_nl_freeze(struct sf_nl *nl, const struct sf_freeze_request *request,
		 struct sf_session_info *session, struct sf_error *err);
/*
 * 0; the module's negative errno when it refused (-ENOENT, -ESRCH: the
 * session had ended already); -EIO when no valid reply came.
 */
int sf_nl_thaw(struct sf_nl *nl, uint64_t id, struct sf_session_info *session,
	       struct sf_error *err);
int sf_nl_thaw_all(struct sf_nl *nl, uint32_t *count, struct sf_error *err);
int sf_nl_keepalive(struct sf_nl *nl, uint64_t id, struct sf_keepalive_reply *reply,
		    struct sf_error *err);
int sf_nl_list_sessions(struct sf_nl *nl, sf_session_fn fn, void *arg,
			struct sf_error *err);

/* Events: a socket of its own, joined to the module's events group. */
struct sf_nl *sf_nl_open_events(struct sf_error *err);
int sf_nl_fd(const struct sf_nl *nl);
int sf_nl_read_events(struct sf_nl *nl, sf_session_fn fn, void *arg,
		      struct sf_error *err);

/* Frees what a session holds (nl_parse.c fills them in). */
void sf_session_info_free(struct sf_session_info *session);

/* Exposed for the unit tests: a connected socket, a family's id. */
struct sf_nl *sf_nl_open_on(struct nl_sock *sock, int family);

#endif
