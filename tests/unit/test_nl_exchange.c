// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink client's exchanges, against a fake module: a NETLINK_USERSOCK
 * socket in a child process that answers each request as a case says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_module.h"
#include "fork_fake.h"
#include "netlink.h"

#define FAMILY 0x20

enum answer {
	ANSWER_NOTHING,		/* read the request, never reply */
	ANSWER_NO_SESSION,	/* a reply without a session id, then the ACK */
	ANSWER_GARBAGE,		/* a reply too short for its genetlink header */
	ANSWER_ESRCH,		/* the module's "the session has ended already" */
	ANSWER_CYCLE,		/* EINVAL, its extended ACK at target 1's STORED_ON */
};

struct fake {
	int fd;
	uint32_t port;
	pid_t child;
	int requests;		/* each request the fake took, whole */
};

static void put(struct nlmsghdr *reply, const struct nlmsghdr *request, uint16_t type,
		size_t payload)
{
	*reply = (struct nlmsghdr){
		.nlmsg_len = NLMSG_LENGTH(payload),
		.nlmsg_type = type,
		.nlmsg_seq = request->nlmsg_seq,
		.nlmsg_pid = request->nlmsg_pid,
	};
}

#define CYCLE_MESSAGE "the targets are stored on each other in a cycle"

/* Where target 1's first STORED_ON is in a FREEZE, from its start. */
static uint32_t stored_on_offset(const struct nlmsghdr *request)
{
	struct nlattr *targets = nlmsg_find_attr((struct nlmsghdr *)request, GENL_HDRLEN,
						 SNAPFREEZE_A_TARGETS);
	struct nlattr *target = targets ? nla_find(nla_data(targets), nla_len(targets), 1) :
					  NULL;
	struct nlattr *on = target ? nla_find(nla_data(target), nla_len(target),
					      SNAPFREEZE_TARGET_A_STORED_ON) : NULL;

	if (!on)
		_exit(4);
	return (uint32_t)((const char *)on - (const char *)request);
}

/* An error with extended ACK, the request capped, as netlink_ack() sends it. */
static void refuse_at(int fd, const struct nlmsghdr *request, int error, const char *message,
		      uint32_t offset)
{
	union {
		struct nlmsghdr nlh;
		char bytes[256];
	} reply = { 0 };
	struct nlmsgerr *ack = NLMSG_DATA(&reply.nlh);
	struct nlattr *attr = (struct nlattr *)(ack + 1);

	put(&reply.nlh, request, NLMSG_ERROR, sizeof(*ack));
	reply.nlh.nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	ack->error = error;
	ack->msg = *request;
	attr->nla_type = NLMSGERR_ATTR_MSG;
	attr->nla_len = NLA_HDRLEN + strlen(message) + 1;
	memcpy(attr + 1, message, strlen(message) + 1);
	reply.nlh.nlmsg_len += NLA_ALIGN(attr->nla_len);
	attr = (struct nlattr *)(reply.bytes + reply.nlh.nlmsg_len);
	attr->nla_type = NLMSGERR_ATTR_OFFS;
	attr->nla_len = NLA_HDRLEN + 4;
	memcpy(attr + 1, &offset, 4);
	reply.nlh.nlmsg_len += NLA_ALIGN(attr->nla_len);
	fake_module_send(fd, &reply.nlh, request->nlmsg_pid);
}

/* The reply, then the ACK that NLM_F_ACK asks for (or the error instead). */
static void answer(int fd, enum answer how, const struct nlmsghdr *request)
{
	union {
		struct nlmsghdr nlh;
		char bytes[256];
	} reply = { 0 };
	struct nlmsgerr *ack = NLMSG_DATA(&reply.nlh);
	struct genlmsghdr *genl = NLMSG_DATA(&reply.nlh);
	struct nlattr *state = (struct nlattr *)(genl + 1);

	if (how == ANSWER_CYCLE) {
		refuse_at(fd, request, -EINVAL, CYCLE_MESSAGE, stored_on_offset(request));
		return;
	}
	if (how == ANSWER_NO_SESSION) {
		put(&reply.nlh, request, FAMILY, GENL_HDRLEN + NLA_HDRLEN + 4);
		genl->cmd = SNAPFREEZE_CMD_FREEZE;
		genl->version = SNAPFREEZE_GENL_VERSION;
		state->nla_type = SNAPFREEZE_A_STATE;
		state->nla_len = NLA_HDRLEN + 4;
		*(uint32_t *)(state + 1) = SNAPFREEZE_STATE_FROZEN;
		fake_module_send(fd, &reply.nlh, request->nlmsg_pid);
	} else if (how == ANSWER_GARBAGE) {
		put(&reply.nlh, request, FAMILY, 1);
		fake_module_send(fd, &reply.nlh, request->nlmsg_pid);
	}
	memset(&reply, 0, sizeof(reply));
	put(&reply.nlh, request, NLMSG_ERROR, sizeof(*ack));
	ack->error = how == ANSWER_ESRCH ? -ESRCH : 0;
	ack->msg = *request;
	fake_module_send(fd, &reply.nlh, request->nlmsg_pid);
}

/* The fake module, answering one request as told, in a child process. */
static struct fake fake_start(enum answer how)
{
	struct fake fake;
	int requests[2];

	fake.fd = fake_module_socket(&fake.port);
	assert_int_equal(pipe2(requests, O_CLOEXEC), 0);
	fake.requests = requests[0];
	fake.child = fork_fake();
	assert_true(fake.child >= 0);
	if (!fake.child) {
		union {
			struct nlmsghdr nlh;
			char bytes[65536];
		} request;
		ssize_t got = recv(fake.fd, &request, sizeof(request), 0);

		if (got < (ssize_t)NLMSG_HDRLEN || write(requests[1], &request, got) != got)
			_exit(2);
		if (how != ANSWER_NOTHING)
			answer(fake.fd, how, &request.nlh);
		_exit(0);
	}
	close(requests[1]);
	return fake;
}

static void fake_stop(struct fake *fake)
{
	int status;

	assert_int_equal(waitpid(fake->child, &status, 0), fake->child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fake->fd);
	close(fake->requests);
}

/* A client of the fake: a connected socket whose requests go to its port. */
static struct sf_nl *client_of(const struct fake *fake, uint32_t *port)
{
	struct nl_sock *sock = nl_socket_alloc();
	struct sf_nl *nl;

	assert_non_null(sock);
	assert_int_equal(nl_connect(sock, NETLINK_USERSOCK), 0);
	nl_socket_set_peer_port(sock, fake->port);
	*port = nl_socket_get_local_port(sock);
	nl = sf_nl_open_on(sock, FAMILY);
	assert_non_null(nl);
	return nl;
}

/* Whether a socket still has the port: a message to it is taken. */
static bool port_open(const struct fake *fake, uint32_t port)
{
	struct nlmsghdr probe = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP };
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = port };

	return sendto(fake->fd, &probe, probe.nlmsg_len, 0, (struct sockaddr *)&to,
		      sizeof(to)) == (ssize_t)probe.nlmsg_len;
}

static int freeze(struct sf_nl *nl, uint32_t timeout_ms, struct sf_error *err)
{
	static const char *const paths[] = { "/srv/data" };
	struct sf_freeze_request request = {
		.paths = paths,
		.n_paths = 1,
		.timeout_ms = timeout_ms,
	};
	struct sf_session_info session;
	int ret = sf_nl_freeze(nl, &request, &session, err);

	sf_session_info_free(&session);
	return ret;
}

/*
 * A FREEZE answered without a session may have frozen: the socket is
 * closed (so the module thaws) before the error comes back.
 */
static void freeze_without_a_session_closes_the_socket(void **state)
{
	struct fake fake = fake_start(ANSWER_NO_SESSION);
	struct sf_error err;
	uint32_t port;
	struct sf_nl *nl = client_of(&fake, &port);

	(void)state;
	assert_int_equal(freeze(nl, 1000, &err), -1);
	assert_string_equal(err.msg, "freeze: malformed reply from the snapfreeze module; "
				     "its socket closed, the module thaws what it froze");
	assert_false(port_open(&fake, port));
	/* Nothing more goes through it. */
	assert_int_equal(freeze(nl, 1000, &err), -1);
	assert_non_null(strstr(err.msg, "the socket to the snapfreeze module was closed"));
	sf_nl_close(nl);
	fake_stop(&fake);
}

/* No reply at all: the wait ends (the FREEZE's timeout and a margin), the socket closed. */
static void freeze_without_a_reply_is_bounded(void **state)
{
	struct fake fake = fake_start(ANSWER_NOTHING);
	struct sf_error err;
	uint32_t port;
	struct sf_nl *nl = client_of(&fake, &port);

	(void)state;
	assert_int_equal(freeze(nl, 1, &err), -1);
	assert_string_equal(err.msg, "freeze: no reply from the snapfreeze module within 5001 ms; "
				     "its socket closed, the module thaws what it froze");
	assert_false(port_open(&fake, port));
	sf_nl_close(nl);
	fake_stop(&fake);
}

/*
 * THAW: the module's "ended already" is its errno (the freeze was lost);
 * a reply that cannot be read is -EIO (it says nothing of the session).
 */
static void thaw_failures_told_apart(void **state)
{
	static const struct {
		enum answer how;
		int ret;
	} cases[] = {
		{ ANSWER_ESRCH, -ESRCH },
		{ ANSWER_GARBAGE, -EIO },
	};
	struct sf_session_info session;
	struct sf_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake fake = fake_start(cases[i].how);
		uint32_t port;
		struct sf_nl *nl = client_of(&fake, &port);

		assert_int_equal(sf_nl_thaw(nl, 7, &session, &err), cases[i].ret);
		sf_session_info_free(&session);
		sf_nl_close(nl);
		fake_stop(&fake);
	}
}

/*
 * Each target's nest has one STORED_ON an index it is stored on; an
 * extended ACK at one of them names that target.
 */
static void freeze_sends_what_each_target_is_stored_on(void **state)
{
	static const char *const paths[] = { "/", "/srv/disk", "/srv/inner" };
	static uint32_t disk_on[] = { 0 }, inner_on[] = { 1, 0 };
	static const struct sf_stored_on stored_on[] = {
		{ NULL, 0 }, { disk_on, 1 }, { inner_on, 2 },
	};
	const struct sf_freeze_request request = {
		.paths = paths,
		.stored_on = stored_on,
		.n_paths = 3,
		.timeout_ms = 1000,
	};
	union {
		struct nlmsghdr nlh;
		char bytes[4096];
	} sent;
	struct fake fake = fake_start(ANSWER_CYCLE);
	struct nlattr *targets, *target, *attr;
	struct sf_session_info session;
	struct sf_error err;
	size_t index = 0, n;
	uint32_t port, got[2];
	struct sf_nl *nl = client_of(&fake, &port);
	int rem, trem;

	(void)state;
	assert_int_equal(sf_nl_freeze(nl, &request, &session, &err), -1);
	assert_string_equal(err.msg, "freeze: /srv/disk: " CYCLE_MESSAGE " (Invalid argument)");
	/* Written before the fake answered. */
	assert_true(read(fake.requests, &sent, sizeof(sent)) >= (ssize_t)NLMSG_HDRLEN);
	sf_nl_close(nl);
	fake_stop(&fake);

	targets = nlmsg_find_attr(&sent.nlh, GENL_HDRLEN, SNAPFREEZE_A_TARGETS);
	assert_non_null(targets);
	nla_for_each_nested(target, targets, rem) {
		assert_int_equal(nla_type(target), index);
		n = 0;
		nla_for_each_nested(attr, target, trem) {
			if (nla_type(attr) == SNAPFREEZE_TARGET_A_PATH)
				assert_string_equal(nla_data(attr), paths[index]);
			else if (nla_type(attr) == SNAPFREEZE_TARGET_A_STORED_ON && n < 2)
				got[n++] = nla_get_u32(attr);
			else
				fail_msg("target %zu: attribute %d", index, nla_type(attr));
		}
		assert_int_equal(n, stored_on[index].n);
		assert_memory_equal(got, stored_on[index].targets, n * sizeof(*got));
		index++;
	}
	assert_int_equal(index, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(freeze_without_a_session_closes_the_socket),
		cmocka_unit_test(freeze_without_a_reply_is_bounded),
		cmocka_unit_test(thaw_failures_told_apart),
		cmocka_unit_test(freeze_sends_what_each_target_is_stored_on),
	};

	return cmocka_run_group_tests_name("netlink exchanges", tests, NULL, NULL);
}
