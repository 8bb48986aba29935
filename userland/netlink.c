// SPDX-License-Identifier: GPL-2.0
#include "netlink.h"

#include <errno.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct sf_nl {
	struct nl_sock *sock;
	int family;
};

/* What the kernel answered to one request, filled in by the callbacks. */
struct sf_nl_exchange {
	int (*parse)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	bool done;
	bool malformed;
	int kernel_error; /* negative errno, 0 for success */
	char ext_ack[256];
};

struct sf_nl *sf_nl_open(struct sf_error *err)
{
	struct sf_nl *nl;
	int one = 1;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl || !(nl->sock = nl_socket_alloc())) {
		free(nl);
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

void sf_nl_close(struct sf_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sock);
	free(nl);
}

bool sf_nl_ext_ack_message(const struct nlmsghdr *nlh, char *buf, size_t size)
{
	const struct nlmsgerr *nlerr = NLMSG_DATA(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t offset = sizeof(*nlerr);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nlerr)))
		return false;
	/* The request is echoed between the error and its attributes. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (nlerr->msg.nlmsg_len < NLMSG_HDRLEN)
			return false;
		offset += nlerr->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	offset = NLMSG_LENGTH(NLMSG_ALIGN(offset));
	if (offset > nlh->nlmsg_len)
		return false;

	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + offset),
		      (int)(nlh->nlmsg_len - offset), NULL) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return false;
	snprintf(buf, size, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
		 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	/* The kernel counts the terminating NUL in the attribute. */
	return buf[0] != '\0';
}

static int sf_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct sf_nl_exchange *ex = arg;

	if (ex->parse && ex->parse(nlmsg_hdr(msg), ex->arg) < 0)
		ex->malformed = true;
	return NL_OK;
}

static int sf_nl_on_ack(struct nl_msg *msg, void *arg)
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
	sf_nl_ext_ack_message(nlh, ex->ext_ack, sizeof(ex->ext_ack));
	return NL_STOP;
}

static int sf_nl_kernel_error(const struct sf_nl_exchange *ex,
			      const char *what, struct sf_error *err)
{
	enum sf_exit code = ex->kernel_error == -EPERM ? SF_EXIT_PERMISSION :
							 SF_EXIT_FAILURE;
	const char *reason = strerror(-ex->kernel_error);

	if (ex->ext_ack[0])
		return sf_fail(err, code, "%s: %s (%s)", what, ex->ext_ack,
			       reason);
	if (code == SF_EXIT_PERMISSION)
		return sf_fail(err, code,
			       "%s: %s (CAP_NET_ADMIN and CAP_SYS_ADMIN are required)",
			       what, reason);
	return sf_fail(err, code, "%s: %s", what, reason);
}

/* Sends one request without attributes and collects its reply. */
static int sf_nl_request(struct sf_nl *nl, uint8_t cmd,
			 struct sf_nl_exchange *ex, const char *what,
			 struct sf_error *err)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret = -NLE_NOMEM;

	if (!msg || !cb ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0, cmd,
			 SNAPFREEZE_GENL_VERSION))
		goto out;

	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, sf_nl_on_valid, ex);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, sf_nl_on_ack, ex);
	nl_cb_err(cb, NL_CB_CUSTOM, sf_nl_on_error, ex);

	ret = nl_send_auto(nl->sock, msg);
	while (ret >= 0 && !ex->done)
		ret = nl_recvmsgs(nl->sock, cb);

out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	if (ex->kernel_error)
		return sf_nl_kernel_error(ex, what, err);
	if (ret < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: netlink: %s", what,
			       nl_geterror(ret));
	if (ex->malformed)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: malformed reply from the snapfreeze module",
			       what);
	return 0;
}

int sf_nl_parse_status(const struct nlmsghdr *nlh,
		       struct sf_module_status *status)
{
	static struct nla_policy policy[SNAPFREEZE_A_MAX + 1] = {
		[SNAPFREEZE_A_STATUS_VERSION] = { .type = NLA_STRING },
		[SNAPFREEZE_A_STATUS_FEATURES] = { .type = NLA_U32 },
	};
	struct nlattr *tb[SNAPFREEZE_A_MAX + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SNAPFREEZE_A_MAX,
			  policy) < 0 ||
	    !tb[SNAPFREEZE_A_STATUS_VERSION] || !tb[SNAPFREEZE_A_STATUS_FEATURES])
		return -1;
	nla_strlcpy(status->version, tb[SNAPFREEZE_A_STATUS_VERSION],
		    sizeof(status->version));
	status->features = nla_get_u32(tb[SNAPFREEZE_A_STATUS_FEATURES]);
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
	if (sf_nl_request(nl, SNAPFREEZE_CMD_GET_STATUS, &ex, "status", err))
		return -1;
	if (!status->version[0])
		return sf_fail(err, SF_EXIT_FAILURE,
			       "status: the snapfreeze module sent no status");
	return 0;
}
