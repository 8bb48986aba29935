// SPDX-License-Identifier: GPL-2.0
/* The socket to the snapfreeze module, and every exchange on it. */
#include "nl_exchange.h"

#include <errno.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/ctrl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nl_parse.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

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

int sf_nl_on_valid(struct nl_msg *msg, void *arg)
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
int sf_nl_kernel_error(const struct sf_nl_exchange *ex, const char *what,
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

struct nl_msg *sf_nl_msg_new(const struct sf_nl *nl, uint8_t cmd, int flags, size_t payload)
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
int sf_nl_transact(struct sf_nl *nl, struct nl_msg *msg, struct sf_nl_exchange *ex,
		   const char *what, struct sf_error *err)
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
