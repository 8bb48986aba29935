// SPDX-License-Identifier: GPL-2.0
#include "netlink.h"

#include <errno.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nl_parse.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct sf_nl {
	struct nl_sock *sock;
	int family;
	pthread_mutex_t lock;	/* one exchange at a time */
	bool closed;		/* by sf_nl_disconnect(): no more exchanges */
};

/*
 * Every wait for a reply is bounded (SO_RCVTIMEO): by this, and a FREEZE
 * by its timeout (or SF_NL_FREEZE_DEFAULT_MS, the module's default being
 * unknown here) and a margin: the module replies to a FREEZE by its deadline.
 */
#define SF_NL_REPLY_MS 10000
#define SF_NL_FREEZE_DEFAULT_MS 600000
#define SF_NL_FREEZE_MARGIN_MS 5000

/* What the kernel answered to one request, filled in by the callbacks. */
struct sf_nl_exchange {
	int (*parse)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	bool done;
	bool malformed;
	bool interrupted;	/* a dump the kernel marked inconsistent */
	uint32_t reply_ms;	/* the bound on each reply; 0: SF_NL_REPLY_MS */
	int kernel_error;	/* negative errno, 0 for success */
	long bad_offset;	/* of the attribute the kernel refused, or -1 */
	char ext_ack[256];
};

/* Room for max_targets (64) paths of PATH_MAX bytes, and more. */
#define SF_NL_BUFFER_SIZE (1024 * 1024)

struct sf_nl *sf_nl_open_on(struct nl_sock *sock, int family)
{
	struct sf_nl *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	nl->sock = sock;
	nl->family = family;
	pthread_mutex_init(&nl->lock, NULL);
	return nl;
}

struct sf_nl *sf_nl_open(struct sf_error *err)
{
	struct nl_sock *sock = nl_socket_alloc();
	struct sf_nl *nl = sock ? sf_nl_open_on(sock, 0) : NULL;
	int one = 1;
	int ret;

	if (!nl) {
		nl_socket_free(sock);
		sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		return NULL;
	}

	ret = genl_connect(nl->sock);
	if (ret < 0) {
		sf_fail(err, SF_EXIT_FAILURE,
			"cannot open a generic netlink socket: %s",
			nl_geterror(ret));
		goto fail;
	}
	/*
	 * libnl has no extended ACK API: without this the kernel's reason
	 * for refusing a request never reaches the user.
	 */
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	/*
	 * A FREEZE of max_targets paths, and the session it returns, are
	 * larger than libnl's 32 KiB socket buffers: the kernel would refuse
	 * to take the request at all. It caps this at wmem_max/rmem_max.
	 */
	ret = nl_socket_set_buffer_size(nl->sock, SF_NL_BUFFER_SIZE,
					SF_NL_BUFFER_SIZE);
	if (ret < 0) {
		sf_fail(err, SF_EXIT_FAILURE,
			"cannot size the generic netlink socket's buffers: %s",
			nl_geterror(ret));
		goto fail;
	}

	nl->family = genl_ctrl_resolve(nl->sock, SNAPFREEZE_GENL_NAME);
	if (nl->family == -NLE_OBJ_NOTFOUND) {
		sf_fail(err, SF_EXIT_NO_MODULE,
			"the snapfreeze kernel module is not loaded (try: modprobe snapfreeze)");
		goto fail;
	}
	if (nl->family < 0) {
		sf_fail(err, SF_EXIT_FAILURE,
			"cannot resolve the generic netlink family \"%s\": %s",
			SNAPFREEZE_GENL_NAME, nl_geterror(nl->family));
		goto fail;
	}
	return nl;

fail:
	sf_nl_close(nl);
	return NULL;
}

void sf_nl_disconnect(struct sf_nl *nl)
{
	pthread_mutex_lock(&nl->lock);
	nl_close(nl->sock);
	nl->closed = true;
	pthread_mutex_unlock(&nl->lock);
}

void sf_nl_close(struct sf_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sock);
	pthread_mutex_destroy(&nl->lock);
	free(nl);
}

int sf_nl_fd(const struct sf_nl *nl)
{
	return nl_socket_get_fd(nl->sock);
}

static int sf_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct sf_nl_exchange *ex = arg;

	if (ex->parse && ex->parse(nlmsg_hdr(msg), ex->arg) < 0)
		ex->malformed = true;
	return NL_OK;
}

/* Read on to the end of the dump, which the caller may then ask again. */
static int sf_nl_on_dump_interrupted(struct nl_msg *msg, void *arg)
{
	struct sf_nl_exchange *ex = arg;

	(void)msg;
	ex->interrupted = true;
	return NL_OK;
}

static int sf_nl_on_done(struct nl_msg *msg, void *arg)
{
	struct sf_nl_exchange *ex = arg;

	(void)msg;
	ex->done = true;
	return NL_STOP;
}

static int sf_nl_on_error(struct sockaddr_nl *nla, struct nlmsgerr *nlerr,
			  void *arg)
{
	const struct nlmsghdr *nlh =
		(const struct nlmsghdr *)((const char *)nlerr - NLMSG_HDRLEN);
	struct sf_nl_exchange *ex = arg;

	(void)nla;
	ex->done = true;
	ex->kernel_error = nlerr->error;
	ex->bad_offset = sf_nl_ext_ack_offset(nlh);
	sf_nl_ext_ack_message(nlh, ex->ext_ack, sizeof(ex->ext_ack));
	return NL_STOP;
}

/* "WHAT: [SUBJECT: ]why (errno text)", exit code from the errno. */
static int sf_nl_kernel_error(const struct sf_nl_exchange *ex, const char *what,
			      const char *subject, struct sf_error *err)
{
	enum sf_exit code = ex->kernel_error == -EPERM ? SF_EXIT_PERMISSION :
							 SF_EXIT_FAILURE;
	const char *reason = strerror(-ex->kernel_error);
	const char *sep = subject ? ": " : "";

	if (!subject)
		subject = "";
	if (ex->ext_ack[0])
		return sf_fail(err, code, "%s: %s%s%s (%s)", what, subject, sep,
			       ex->ext_ack, reason);
	if (code == SF_EXIT_PERMISSION)
		return sf_fail(err, code,
			       "%s: %s (CAP_NET_ADMIN and CAP_SYS_ADMIN are required)",
			       what, reason);
	return sf_fail(err, code, "%s: %s%s%s", what, subject, sep, reason);
}

static struct nl_msg *sf_nl_msg_new(const struct sf_nl *nl, uint8_t cmd,
				    int flags, size_t payload)
{
	struct nl_msg *msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN +
					      payload + 256);

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, SNAPFREEZE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int set_reply_bound(const struct sf_nl *nl, uint32_t reply_ms)
{
	struct timeval bound = { .tv_sec = reply_ms / 1000,
				 .tv_usec = (reply_ms % 1000) * 1000 };

	return setsockopt(nl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &bound,
			  sizeof(bound)) ? -nl_syserr2nlerr(errno) : 0;
}

/*
 * Sends msg (and frees it), then collects replies until the ACK, the end
 * of a dump or an error, each within ex->reply_ms.
 */
static int sf_nl_transact(struct sf_nl *nl, struct nl_msg *msg,
			  struct sf_nl_exchange *ex, const char *what,
			  struct sf_error *err)
{
	uint32_t reply_ms = ex->reply_ms ? ex->reply_ms : SF_NL_REPLY_MS;
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret = -NLE_NOMEM;

	ex->bad_offset = -1;
	if (!msg || !cb)
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, sf_nl_on_valid, ex);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, sf_nl_on_done, ex);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, sf_nl_on_done, ex);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, sf_nl_on_dump_interrupted, ex);
	nl_cb_err(cb, NL_CB_CUSTOM, sf_nl_on_error, ex);

	pthread_mutex_lock(&nl->lock);
	ret = nl->closed ? -NLE_BAD_SOCK : set_reply_bound(nl, reply_ms);
	if (!ret)
		ret = nl_send_auto(nl->sock, msg);
	while (ret >= 0 && !ex->done)
		ret = nl_recvmsgs(nl->sock, cb);
	pthread_mutex_unlock(&nl->lock);
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	if (ex->kernel_error)
		return sf_nl_kernel_error(ex, what, NULL, err);
	if (ret == -NLE_AGAIN)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: no reply from the snapfreeze module within %u ms", what,
			       reply_ms);
	if (ret == -NLE_BAD_SOCK)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: the socket to the snapfreeze module was closed after a failure",
			       what);
	if (ret < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: netlink: %s", what,
			       nl_geterror(ret));
	if (ex->malformed)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: malformed reply from the snapfreeze module",
			       what);
	return 0;
}

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

/* Builds FREEZE, noting where each path lands to name it in errors. */
static struct nl_msg *sf_nl_freeze_msg(const struct sf_nl *nl,
				       const struct sf_freeze_request *request,
				       long *path_offsets)
{
	size_t payload = 64, i;
	struct nlattr *targets, *target;
	struct nl_msg *msg;

	for (i = 0; i < request->n_paths; i++)
		payload += 16 + NLA_ALIGN(strlen(request->paths[i]) + 1);
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
		if (!(target = nla_nest_start(msg, (int)i)))
			goto fail;
		path_offsets[i] = nlmsg_hdr(msg)->nlmsg_len;
		if (nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, request->paths[i]))
			goto fail;
		nla_nest_end(msg, target);
	}
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
	long *path_offsets = calloc(request->n_paths + 1, sizeof(long));
	int ret;
	size_t i;

	memset(session, 0, sizeof(*session));
	if (!path_offsets)
		return sf_fail(err, SF_EXIT_FAILURE, "freeze: out of memory");
	ret = sf_nl_transact(nl, sf_nl_freeze_msg(nl, request, path_offsets),
			     &ex, "freeze", err);
	for (i = 0; ret && ex.kernel_error && i < request->n_paths; i++)
		if (path_offsets[i] == ex.bad_offset)
			sf_nl_kernel_error(&ex, "freeze", request->paths[i], err);
	free(path_offsets);
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
