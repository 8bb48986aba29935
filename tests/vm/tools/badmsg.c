// SPDX-License-Identifier: GPL-2.0
/*
 * badmsg: sends the snapfreeze module requests that no well-behaved client
 * builds, one per scenario, and prints how the module answered, one line
 * each: "SCENARIO ERRNO MESSAGE" (ERRNO 0 if it accepted the request).
 *
 * With "keepalive ID", sends one KEEPALIVE for session ID instead, from its
 * own socket, and prints "keepalive ERRNO MESSAGE" ("keepalive 0
 * time_left_ms=N" when accepted).
 *
 * With "order A B", sends FREEZE requests for the filesystems at A and B
 * whose SNAPFREEZE_TARGET_A_STORED_ON no client would send (a target
 * stored on itself, on a target not in the request, a cycle), printing
 * one line each as above.
 *
 * With "stored-on TIMEOUT_MS A B", freezes A and B as one detached
 * session, A declared stored on B whatever their storage, and prints
 * "stored-on ERRNO MESSAGE".
 *
 * Usage: badmsg [keepalive ID | order A B | stored-on TIMEOUT_MS A B]
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "netlink.h"
#include "nl_parse.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int put_targets(struct nl_msg *msg, int count, const char *path)
{
	struct nlattr *targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);
	int i;

	for (i = 0; targets && i < count; i++) {
		struct nlattr *target = nla_nest_start(msg, i);

		if (!target || nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, path))
			return -1;
		nla_nest_end(msg, target);
	}
	return targets ? nla_nest_end(msg, targets) : -1;
}

static int missing_targets(struct nl_msg *msg)
{
	return nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, 1000);
}

static int timeout_wrong_type(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u8(msg, SNAPFREEZE_A_TIMEOUT_MS, 5);
}

static int zero_timeout(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, 0);
}

static int unknown_flags(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u32(msg, SNAPFREEZE_A_FLAGS, 0x80);
}

static int unknown_attribute(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u32(msg, SNAPFREEZE_A_MAX + 10, 1);
}

static int reply_only_attribute(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u32(msg, SNAPFREEZE_A_STATE, SNAPFREEZE_STATE_FROZEN);
}

static int path_unterminated(struct nl_msg *msg)
{
	struct nlattr *targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);
	struct nlattr *target = nla_nest_start(msg, 0);

	if (!targets || !target ||
	    nla_put(msg, SNAPFREEZE_TARGET_A_PATH, 4, "/mnt"))
		return -1;
	nla_nest_end(msg, target);
	return nla_nest_end(msg, targets);
}

static int path_too_long(struct nl_msg *msg)
{
	static char path[5000];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	return put_targets(msg, 1, path);
}

/* By hand: libnl's nla_nest_end() drops an empty nest. */
static int no_targets(struct nl_msg *msg)
{
	return nla_put(msg, SNAPFREEZE_A_TARGETS | NLA_F_NESTED, 0, NULL);
}

static int too_many_targets(struct nl_msg *msg)
{
	return put_targets(msg, 1000, "/");
}

static int target_without_path(struct nl_msg *msg)
{
	struct nlattr *targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);

	if (!targets || nla_put(msg, NLA_F_NESTED, 0, NULL))
		return -1;
	return nla_nest_end(msg, targets);
}

static int no_attributes(struct nl_msg *msg)
{
	(void)msg;
	return 0;
}

static int unknown_session(struct nl_msg *msg)
{
	return nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, 987654321);
}

static int session_and_all(struct nl_msg *msg)
{
	return nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, 1) ||
	       nla_put_flag(msg, SNAPFREEZE_A_THAW_ALL);
}

static int status_with_attribute(struct nl_msg *msg)
{
	return nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, 1000);
}

static int keepalive_too_short(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u32(msg, SNAPFREEZE_A_KEEPALIVE_MS, 1);
}

static int keepalive_zero(struct nl_msg *msg)
{
	return put_targets(msg, 1, "/") ||
	       nla_put_u32(msg, SNAPFREEZE_A_KEEPALIVE_MS, 0);
}

static int keepalive_with_timeout(struct nl_msg *msg)
{
	return nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, 1) ||
	       nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, 1000);
}

static uint64_t keepalive_id;
static const char *order_paths[2];
static uint32_t order_timeout_ms = 1000;

/*
 * The two targets of order_paths, the first stored on the targets of
 * first_on (-1: none), the second on those of second_on.
 */
static int put_ordered_targets(struct nl_msg *msg, int first_on, int second_on)
{
	struct nlattr *targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);
	int stored_on[2] = { first_on, second_on };
	int i;

	for (i = 0; targets && i < 2; i++) {
		struct nlattr *target = nla_nest_start(msg, i);

		if (!target ||
		    nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, order_paths[i]) ||
		    (stored_on[i] >= 0 &&
		     nla_put_u32(msg, SNAPFREEZE_TARGET_A_STORED_ON, stored_on[i])))
			return -1;
		nla_nest_end(msg, target);
	}
	if (!targets || nla_nest_end(msg, targets))
		return -1;
	return nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, order_timeout_ms) ||
	       nla_put_u32(msg, SNAPFREEZE_A_FLAGS, SNAPFREEZE_F_DETACHED);
}

static int stored_on_itself(struct nl_msg *msg)
{
	return put_ordered_targets(msg, 0, -1);
}

static int stored_on_a_missing_target(struct nl_msg *msg)
{
	return put_ordered_targets(msg, 2, -1);
}

static int stored_on_each_other(struct nl_msg *msg)
{
	return put_ordered_targets(msg, 1, 0);
}

static int first_stored_on_second(struct nl_msg *msg)
{
	return put_ordered_targets(msg, 1, -1);
}

static int keepalive_session(struct nl_msg *msg)
{
	return nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, keepalive_id);
}

struct scenario {
	const char *name;
	uint8_t cmd;
	int (*build)(struct nl_msg *msg);
};

static const struct scenario scenarios[] = {
	{ "freeze_missing_targets", SNAPFREEZE_CMD_FREEZE, missing_targets },
	{ "freeze_timeout_wrong_type", SNAPFREEZE_CMD_FREEZE, timeout_wrong_type },
	{ "freeze_zero_timeout", SNAPFREEZE_CMD_FREEZE, zero_timeout },
	{ "freeze_unknown_flags", SNAPFREEZE_CMD_FREEZE, unknown_flags },
	{ "freeze_unknown_attribute", SNAPFREEZE_CMD_FREEZE, unknown_attribute },
	{ "freeze_reply_only_attribute", SNAPFREEZE_CMD_FREEZE, reply_only_attribute },
	{ "freeze_path_unterminated", SNAPFREEZE_CMD_FREEZE, path_unterminated },
	{ "freeze_path_too_long", SNAPFREEZE_CMD_FREEZE, path_too_long },
	{ "freeze_no_targets", SNAPFREEZE_CMD_FREEZE, no_targets },
	{ "freeze_too_many_targets", SNAPFREEZE_CMD_FREEZE, too_many_targets },
	{ "freeze_target_without_path", SNAPFREEZE_CMD_FREEZE, target_without_path },
	{ "thaw_no_attributes", SNAPFREEZE_CMD_THAW, no_attributes },
	{ "thaw_unknown_session", SNAPFREEZE_CMD_THAW, unknown_session },
	{ "thaw_session_and_all", SNAPFREEZE_CMD_THAW, session_and_all },
	{ "get_session_no_attributes", SNAPFREEZE_CMD_GET_SESSION, no_attributes },
	{ "status_with_attribute", SNAPFREEZE_CMD_GET_STATUS, status_with_attribute },
	{ "freeze_keepalive_too_short", SNAPFREEZE_CMD_FREEZE, keepalive_too_short },
	{ "freeze_keepalive_zero", SNAPFREEZE_CMD_FREEZE, keepalive_zero },
	{ "keepalive_no_attributes", SNAPFREEZE_CMD_KEEPALIVE, no_attributes },
	{ "keepalive_unknown_session", SNAPFREEZE_CMD_KEEPALIVE, unknown_session },
	{ "keepalive_with_timeout", SNAPFREEZE_CMD_KEEPALIVE, keepalive_with_timeout },
};

static const struct scenario keepalive_scenario[] = {
	{ "keepalive", SNAPFREEZE_CMD_KEEPALIVE, keepalive_session },
};

static const struct scenario order_scenarios[] = {
	{ "order_stored_on_itself", SNAPFREEZE_CMD_FREEZE, stored_on_itself },
	{ "order_stored_on_a_missing_target", SNAPFREEZE_CMD_FREEZE,
	  stored_on_a_missing_target },
	{ "order_stored_on_each_other", SNAPFREEZE_CMD_FREEZE, stored_on_each_other },
};

static const struct scenario stored_on_scenario[] = {
	{ "stored-on", SNAPFREEZE_CMD_FREEZE, first_stored_on_second },
};

struct answer {
	bool done;
	int error;
	char message[256];
};

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct answer *answer = arg;
	struct sf_keepalive_reply reply;

	if (!sf_nl_parse_keepalive(nlmsg_hdr(msg), &reply))
		snprintf(answer->message, sizeof(answer->message),
			 "time_left_ms=%" PRIu64, reply.time_left_ms);
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct answer *)arg)->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *nlerr, void *arg)
{
	struct answer *answer = arg;

	(void)nla;
	answer->done = true;
	answer->error = nlerr->error;
	sf_nl_ext_ack_message((struct nlmsghdr *)((char *)nlerr - NLMSG_HDRLEN),
			      answer->message, sizeof(answer->message));
	return NL_STOP;
}

int main(int argc, char **argv)
{
	struct timeval timeout = { .tv_sec = 10 };
	struct nl_sock *sock = nl_socket_alloc();
	int family, one = 1, ret = 0;
	size_t i, n = sizeof(scenarios) / sizeof(scenarios[0]);
	const struct scenario *list = scenarios;

	if (argc == 3 && !strcmp(argv[1], "keepalive")) {
		keepalive_id = strtoull(argv[2], NULL, 10);
		list = keepalive_scenario;
		n = 1;
	} else if (argc == 4 && !strcmp(argv[1], "order")) {
		order_paths[0] = argv[2];
		order_paths[1] = argv[3];
		list = order_scenarios;
		n = sizeof(order_scenarios) / sizeof(order_scenarios[0]);
	} else if (argc == 5 && !strcmp(argv[1], "stored-on")) {
		order_timeout_ms = strtoul(argv[2], NULL, 10);
		order_paths[0] = argv[3];
		order_paths[1] = argv[4];
		list = stored_on_scenario;
		n = 1;
	} else if (argc != 1) {
		fprintf(stderr, "usage: badmsg [keepalive ID | order A B | stored-on TIMEOUT_MS A B]\n");
		return 2;
	}

	if (!sock || genl_connect(sock) ||
	    (family = genl_ctrl_resolve(sock, SNAPFREEZE_GENL_NAME)) < 0) {
		fprintf(stderr, "badmsg: cannot reach the snapfreeze family\n");
		return 1;
	}
	setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &timeout,
		   sizeof(timeout));

	for (i = 0; i < n; i++) {
		struct nl_msg *msg = nlmsg_alloc_size(65536);
		struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
		struct answer answer = { 0 };

		if (!msg || !cb ||
		    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
				 list[i].cmd, SNAPFREEZE_GENL_VERSION) ||
		    list[i].build(msg)) {
			fprintf(stderr, "badmsg: %s: cannot build\n", list[i].name);
			return 1;
		}
		nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &answer);
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_reply, &answer);
		nl_cb_err(cb, NL_CB_CUSTOM, on_error, &answer);
		ret = nl_send_auto(sock, msg);
		while (ret >= 0 && !answer.done)
			ret = nl_recvmsgs(sock, cb);
		printf("%s %d %s\n", list[i].name, answer.error,
		       answer.message);
		nlmsg_free(msg);
		nl_cb_put(cb);
		if (ret < 0 && !answer.done) {
			fprintf(stderr, "badmsg: %s: %s\n", list[i].name,
				nl_geterror(ret));
			return 1;
		}
	}
	nl_socket_free(sock);
	return 0;
}
