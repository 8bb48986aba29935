// SPDX-License-Identifier: GPL-2.0
/* The module's requests: status, freeze, thaw, keepalive, sessions, events. */
#include "netlink.h"

#include <errno.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/ctrl.h>
#include <stdlib.h>
#include <string.h>

#include "nl_exchange.h"
#include "nl_parse.h"

static int sf_nl_parse_status_cb(const struct nlmsghdr *nlh, void *arg)
{
	return sf_nl_parse_status(nlh, arg);
}

int sf_nl_get_status(struct sf_nl *nl, struct sf_module_status *status,
		     struct sf_error *err)
{
	struct sf_nl_exchange ex = {
		.parse = sf_nl_parse_status_cb,
		.arg = status,
	};

	memset(status, 0, sizeof(*status));
	if (sf_nl_transact(nl, sf_nl_msg_new(nl, SNAPFREEZE_CMD_GET_STATUS, 0, 0),
			   &ex, "status", err))
		return -1;
	if (!status->version[0])
		return sf_fail(err, SF_EXIT_FAILURE,
			       "status: the snapfreeze module sent no status");
	return 0;
}

static int sf_nl_parse_session_cb(const struct nlmsghdr *nlh, void *arg)
{
	return sf_nl_parse_session(nlh, arg);
}

/*
 * Builds FREEZE, noting where each target's nest begins (and, after the
 * last, where it ends) to name the target of an attribute in errors.
 */
static struct nl_msg *sf_nl_freeze_msg(const struct sf_nl *nl,
				       const struct sf_freeze_request *request,
				       long *target_offsets)
{
	const struct sf_stored_on *stored_on = request->stored_on;
	struct nlattr *targets, *target;
	size_t payload = 64, i, j;
	struct nl_msg *msg;

	for (i = 0; i < request->n_paths; i++)
		payload += 16 + NLA_ALIGN(strlen(request->paths[i]) + 1) +
			   (stored_on ? stored_on[i].n * (NLA_HDRLEN + 4) : 0);
	msg = sf_nl_msg_new(nl, SNAPFREEZE_CMD_FREEZE, 0, payload);
	if (!msg)
		return NULL;
	if ((request->timeout_ms &&
	     nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, request->timeout_ms)) ||
	    (request->flags && nla_put_u32(msg, SNAPFREEZE_A_FLAGS, request->flags)) ||
	    (request->keepalive_ms &&
	     nla_put_u32(msg, SNAPFREEZE_A_KEEPALIVE_MS, request->keepalive_ms)) ||
	    !(targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS)))
		goto fail;
	for (i = 0; i < request->n_paths; i++) {
		target_offsets[i] = nlmsg_hdr(msg)->nlmsg_len;
		if (!(target = nla_nest_start(msg, (int)i)))
			goto fail;
		if (nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, request->paths[i]))
			goto fail;
		for (j = 0; stored_on && j < stored_on[i].n; j++)
			if (nla_put_u32(msg, SNAPFREEZE_TARGET_A_STORED_ON, stored_on[i].targets[j]))
				goto fail;
		nla_nest_end(msg, target);
	}
	target_offsets[i] = nlmsg_hdr(msg)->nlmsg_len;
	nla_nest_end(msg, targets);
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

/*
 * A FREEZE without a valid reply may have frozen all the same: the socket
 * is closed before anything else happens, and the module thaws every
 * session it owns (attached ones; a detached session outlives it).
 */
static void disconnect_after(struct sf_nl *nl, struct sf_error *err)
{
	size_t len = strlen(err->msg);

	sf_nl_disconnect(nl);
	snprintf(err->msg + len, sizeof(err->msg) - len,
		 "; its socket closed, the module thaws what it froze");
}

int sf_nl_freeze(struct sf_nl *nl, const struct sf_freeze_request *request,
		 struct sf_session_info *session, struct sf_error *err)
{
	struct sf_nl_exchange ex = {
		.parse = sf_nl_parse_session_cb,
		.arg = session,
		.reply_ms = (request->timeout_ms ? request->timeout_ms : SF_NL_FREEZE_DEFAULT_MS) +
			    SF_NL_FREEZE_MARGIN_MS,
	};
	long *target_offsets = calloc(request->n_paths + 1, sizeof(long));
	int ret;
	size_t i;

	memset(session, 0, sizeof(*session));
	if (!target_offsets)
		return sf_fail(err, SF_EXIT_FAILURE, "freeze: out of memory");
	ret = sf_nl_transact(nl, sf_nl_freeze_msg(nl, request, target_offsets),
			     &ex, "freeze", err);
	for (i = 0; ret && ex.kernel_error && i < request->n_paths; i++)
		if (ex.bad_offset >= target_offsets[i] && ex.bad_offset < target_offsets[i + 1])
			sf_nl_kernel_error(&ex, "freeze", request->paths[i], err);
	free(target_offsets);
	if (!ret && !session->id)
		ret = sf_fail(err, SF_EXIT_FAILURE, "freeze: the snapfreeze module sent no session");
	if (ret && !ex.kernel_error)
		disconnect_after(nl, err);
	return ret;
}

/* A request naming one session; NULL when out of memory. */
static struct nl_msg *sf_nl_session_msg(const struct sf_nl *nl, uint8_t cmd,
					uint64_t id)
{
	struct nl_msg *msg = sf_nl_msg_new(nl, cmd, 0, 16);

	if (msg && nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, id)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int sf_nl_thaw(struct sf_nl *nl, uint64_t id, struct sf_session_info *session,
	       struct sf_error *err)
{
	struct sf_nl_exchange ex = {
		.parse = sf_nl_parse_session_cb,
		.arg = session,
	};

	memset(session, 0, sizeof(*session));
	if (!sf_nl_transact(nl, sf_nl_session_msg(nl, SNAPFREEZE_CMD_THAW, id), &ex, "thaw",
			    err))
		return 0;
	return ex.kernel_error ? ex.kernel_error : -EIO;
}

static int sf_nl_parse_count(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[SNAPFREEZE_A_MAX + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SNAPFREEZE_A_MAX, NULL) < 0 ||
	    !tb[SNAPFREEZE_A_SESSION_COUNT])
		return -1;
	*(uint32_t *)arg = nla_get_u32(tb[SNAPFREEZE_A_SESSION_COUNT]);
	return 0;
}

int sf_nl_thaw_all(struct sf_nl *nl, uint32_t *count, struct sf_error *err)
{
	struct sf_nl_exchange ex = {
		.parse = sf_nl_parse_count,
		.arg = count,
	};
	struct nl_msg *msg = sf_nl_msg_new(nl, SNAPFREEZE_CMD_THAW, 0, 8);

	*count = 0;
	if (msg && nla_put_flag(msg, SNAPFREEZE_A_THAW_ALL)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return sf_nl_transact(nl, msg, &ex, "thaw", err);
}

static int sf_nl_parse_keepalive_cb(const struct nlmsghdr *nlh, void *arg)
{
	return sf_nl_parse_keepalive(nlh, arg);
}

/*
 * Called from a keepalive thread while filesystems are frozen: nothing
 * here touches a file.
 */
int sf_nl_keepalive(struct sf_nl *nl, uint64_t id, struct sf_keepalive_reply *reply,
		    struct sf_error *err)
{
	struct sf_nl_exchange ex = {
		.parse = sf_nl_parse_keepalive_cb,
		.arg = reply,
	};
	int ret;

	memset(reply, 0, sizeof(*reply));
	ret = sf_nl_transact(nl, sf_nl_session_msg(nl, SNAPFREEZE_CMD_KEEPALIVE, id),
			     &ex, "keepalive", err);
	/* ETIMEDOUT: expired, and being thawed by the watchdog. */
	reply->gone = ex.kernel_error == -ENOENT || ex.kernel_error == -ETIMEDOUT;
	return ret;
}

/* Hands each session of an event batch to a caller's function. */
struct sf_nl_each_session {
	sf_session_fn fn;
	void *arg;
	int status;
};

static int sf_nl_each_session_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct sf_nl_each_session *each = arg;
	struct sf_session_info session = { 0 };

	if (sf_nl_parse_session(nlh, &session))
		return -1;
	if (!each->status)
		each->status = each->fn(&session, each->arg);
	sf_session_info_free(&session);
	return 0;
}

static int sf_nl_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	return sf_nl_dump_add(arg, nlh);
}

/* A dump that sessions coming and going interrupted is asked again. */
#define SF_NL_DUMP_ATTEMPTS 3

int sf_nl_list_sessions(struct sf_nl *nl, sf_session_fn fn, void *arg,
			struct sf_error *err)
{
	struct sf_nl_dump dump = { 0 };
	struct sf_nl_exchange ex;
	int attempt, ret = 0;
	size_t i;

	for (attempt = 1; attempt <= SF_NL_DUMP_ATTEMPTS; attempt++) {
		sf_nl_dump_free(&dump);
		ex = (struct sf_nl_exchange){ .parse = sf_nl_dump_cb, .arg = &dump };
		ret = sf_nl_transact(nl, sf_nl_msg_new(nl, SNAPFREEZE_CMD_GET_SESSION,
						       NLM_F_DUMP, 0),
				     &ex, "status", err);
		if (ret || !ex.interrupted)
			break;
	}
	if (!ret && ex.interrupted)
		ret = sf_fail(err, SF_EXIT_FAILURE,
			      "status: the sessions kept changing during %d attempts to list them",
			      SF_NL_DUMP_ATTEMPTS);
	for (i = 0; !ret && i < dump.n_sessions; i++)
		ret = fn(&dump.sessions[i], arg);
	sf_nl_dump_free(&dump);
	return ret;
}

struct sf_nl *sf_nl_open_events(struct sf_error *err)
{
	struct sf_nl *nl = sf_nl_open(err);
	int group, ret;

	if (!nl)
		return NULL;
	group = genl_ctrl_resolve_grp(nl->sock, SNAPFREEZE_GENL_NAME,
				      SNAPFREEZE_MCGRP_EVENTS);
	if (group == -NLE_OBJ_NOTFOUND) {
		sf_fail(err, SF_EXIT_FAILURE,
			"the snapfreeze module sends no events on this kernel: it cannot keep them to CAP_SYS_ADMIN (Linux 6.1 before 6.1.68)");
		goto fail;
	}
	if (group < 0) {
		sf_fail(err, SF_EXIT_FAILURE,
			"cannot resolve the module's events group: %s",
			nl_geterror(group));
		goto fail;
	}
	ret = nl_socket_add_membership(nl->sock, group);
	if (ret < 0) {
		sf_fail(err, ret == -NLE_PERM ? SF_EXIT_PERMISSION : SF_EXIT_FAILURE,
			"cannot join the module's events: %s%s", nl_geterror(ret),
			ret == -NLE_PERM ? " (CAP_SYS_ADMIN is required)" : "");
		goto fail;
	}
	return nl;
fail:
	sf_nl_close(nl);
	return NULL;
}

/* Events are not replies: they carry no sequence number of ours. */
static int sf_nl_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int sf_nl_read_events(struct sf_nl *nl, sf_session_fn fn, void *arg,
		      struct sf_error *err)
{
	struct sf_nl_each_session each = { .fn = fn, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct sf_nl_exchange ex = {
		.parse = sf_nl_each_session_cb,
		.arg = &each,
	};
	int ret;

	if (!cb)
		return sf_fail(err, SF_EXIT_FAILURE, "events: out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, sf_nl_on_valid, &ex);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, sf_nl_any_seq, NULL);
	ret = nl_recvmsgs(nl->sock, cb);
	nl_cb_put(cb);
	if (ret < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "events: netlink: %s",
			       nl_geterror(ret));
	if (ex.malformed)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "events: malformed event from the snapfreeze module");
	return each.status;
}
