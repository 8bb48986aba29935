// SPDX-License-Identifier: GPL-2.0
/* The netlink client's parsing of replies and extended ACKs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/genl.h>
#include <string.h>

#include "keepalive.h"
#include "netlink.h"
#include "nl_parse.h"

/*
 * An NLMSG_ERROR message as the kernel's netlink_ack() lays it out: the
 * error, the echoed request (its header only when capped), then the
 * extended ACK attributes.
 */
struct ack_buffer {
	union {
		struct nlmsghdr nlh;
		char bytes[512];
	};
};

static void build_ack(struct ack_buffer *buf, int error, bool capped,
		      const char *ext_ack)
{
	struct nlmsgerr *nlerr;
	size_t request_payload = 20;
	size_t offset;
	struct nlattr *attr;

	memset(buf, 0, sizeof(*buf));
	nlerr = NLMSG_DATA(&buf->nlh);
	nlerr->error = error;
	nlerr->msg.nlmsg_len = NLMSG_LENGTH(request_payload);
	nlerr->msg.nlmsg_type = 0x20;
	buf->nlh.nlmsg_type = NLMSG_ERROR;
	buf->nlh.nlmsg_flags = capped ? NLM_F_CAPPED : 0;
	offset = sizeof(*nlerr) + (capped ? 0 : request_payload);
	buf->nlh.nlmsg_len = NLMSG_LENGTH(NLMSG_ALIGN(offset));
	if (!ext_ack)
		return;

	buf->nlh.nlmsg_flags |= NLM_F_ACK_TLVS;
	attr = (struct nlattr *)(buf->bytes + buf->nlh.nlmsg_len);
	attr->nla_type = NLMSGERR_ATTR_MSG;
	attr->nla_len = NLA_HDRLEN + strlen(ext_ack) + 1;
	memcpy((char *)attr + NLA_HDRLEN, ext_ack, strlen(ext_ack) + 1);
	buf->nlh.nlmsg_len += NLA_ALIGN(attr->nla_len);
}

/* Error messages and what a buffer of the given size must receive. */
static const struct {
	bool capped;
	const char *ext_ack; /* NULL: no NLM_F_ACK_TLVS */
	size_t size;
	const char *expected; /* NULL: no message found */
} ext_acks[] = {
	{ false, "CAP_SYS_ADMIN is required", 64, "CAP_SYS_ADMIN is required" },
	{ true, "Unsupported attribute", 64, "Unsupported attribute" },
	{ true, "a rather long explanation", 8, "a rathe" },
	{ false, NULL, 64, NULL },
};

static void ext_ack_found_after_request_echo(void **state)
{
	struct ack_buffer buf;
	char msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ext_acks) / sizeof(ext_acks[0]); i++) {
		build_ack(&buf, -EPERM, ext_acks[i].capped, ext_acks[i].ext_ack);
		msg[0] = '\0';
		if (!ext_acks[i].expected) {
			assert_false(sf_nl_ext_ack_message(&buf.nlh, msg,
							   ext_acks[i].size));
			continue;
		}
		assert_true(sf_nl_ext_ack_message(&buf.nlh, msg, ext_acks[i].size));
		assert_string_equal(msg, ext_acks[i].expected);
	}
}

static void no_ext_ack_when_echo_overruns_message(void **state)
{
	struct ack_buffer buf;
	char msg[64] = "";
	struct nlmsgerr *nlerr;

	(void)state;
	build_ack(&buf, -EPERM, false, "CAP_SYS_ADMIN is required");
	nlerr = NLMSG_DATA(&buf.nlh);
	nlerr->msg.nlmsg_len = 4096;
	assert_false(sf_nl_ext_ack_message(&buf.nlh, msg, sizeof(msg)));
}

static struct nl_msg *status_reply(const char *version, bool with_features)
{
	struct nl_msg *msg = nlmsg_alloc();

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 1, 1, 0x20, 0, 0,
				    SNAPFREEZE_CMD_GET_STATUS,
				    SNAPFREEZE_GENL_VERSION));
	if (version)
		assert_int_equal(nla_put_string(msg, SNAPFREEZE_A_STATUS_VERSION,
						version), 0);
	if (with_features)
		assert_int_equal(nla_put_u32(msg, SNAPFREEZE_A_STATUS_FEATURES,
					     SNAPFREEZE_FEATURE_KERNEL_HOLDER), 0);
	return msg;
}

static void status_reply_parsed(void **state)
{
	struct nl_msg *msg = status_reply("1.2.3", true);
	struct sf_module_status status;

	(void)state;
	assert_int_equal(sf_nl_parse_status(nlmsg_hdr(msg), &status), 0);
	assert_string_equal(status.version, "1.2.3");
	assert_int_equal(status.features, SNAPFREEZE_FEATURE_KERNEL_HOLDER);
	nlmsg_free(msg);
}

static void status_reply_without_features_refused(void **state)
{
	struct nl_msg *msg = status_reply("1.2.3", false);
	struct sf_module_status status;

	(void)state;
	assert_int_equal(sf_nl_parse_status(nlmsg_hdr(msg), &status), -1);
	nlmsg_free(msg);
}

static void status_reply_long_version_truncated(void **state)
{
	char version[200];
	struct nl_msg *msg;
	struct sf_module_status status;

	(void)state;
	memset(version, 'v', sizeof(version) - 1);
	version[sizeof(version) - 1] = '\0';
	msg = status_reply(version, true);
	assert_int_equal(sf_nl_parse_status(nlmsg_hdr(msg), &status), 0);
	assert_int_equal(strlen(status.version), sizeof(status.version) - 1);
	nlmsg_free(msg);
}

static struct nl_msg *session_reply(bool with_targets)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *targets, *target;

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 1, 1, 0x20, 0, 0, SNAPFREEZE_CMD_THAW,
				    SNAPFREEZE_GENL_VERSION));
	assert_int_equal(nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, 42), 0);
	assert_int_equal(nla_put_u32(msg, SNAPFREEZE_A_STATE,
				     SNAPFREEZE_STATE_THAWED), 0);
	assert_int_equal(nla_put_u32(msg, SNAPFREEZE_A_REASON,
				     SNAPFREEZE_REASON_WATCHDOG), 0);
	assert_int_equal(nla_put_u64(msg, SNAPFREEZE_A_FROZEN_NS, 2000000000ULL), 0);
	if (!with_targets)
		return msg;
	targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);
	assert_non_null(targets);
	target = nla_nest_start(msg, 0);
	assert_non_null(target);
	assert_int_equal(nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, "/srv/data"), 0);
	assert_int_equal(nla_put_string(msg, SNAPFREEZE_TARGET_A_FSTYPE, "xfs"), 0);
	assert_int_equal(nla_put_u32(msg, SNAPFREEZE_TARGET_A_DEV, 0xfe10), 0);
	assert_int_equal(nla_put_u32(msg, SNAPFREEZE_TARGET_A_THAW_ERROR,
				     (uint32_t)-EINVAL), 0);
	assert_int_equal(nla_put_u64(msg, SNAPFREEZE_TARGET_A_FROZEN_NS, 1500), 0);
	nla_nest_end(msg, target);
	target = nla_nest_start(msg, 1);
	assert_non_null(target);
	assert_int_equal(nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, "/srv/img"), 0);
	assert_int_equal(nla_put_flag(msg, SNAPFREEZE_TARGET_A_STUCK), 0);
	nla_nest_end(msg, target);
	nla_nest_end(msg, targets);
	return msg;
}

static void session_reply_parsed(void **state)
{
	struct nl_msg *msg = session_reply(true);
	struct sf_session_info session = { 0 };

	(void)state;
	assert_int_equal(sf_nl_parse_session(nlmsg_hdr(msg), &session), 0);
	assert_int_equal(session.id, 42);
	assert_int_equal(session.state, SNAPFREEZE_STATE_THAWED);
	assert_int_equal(session.reason, SNAPFREEZE_REASON_WATCHDOG);
	assert_int_equal(session.frozen_ns, 2000000000ULL);
	assert_int_equal(session.n_targets, 2);
	assert_string_equal(session.targets[0].path, "/srv/data");
	assert_false(session.targets[0].stuck);
	assert_string_equal(session.targets[1].path, "/srv/img");
	assert_true(session.targets[1].stuck);
	assert_string_equal(session.targets[0].fstype, "xfs");
	assert_int_equal(session.targets[0].dev, 0xfe10);
	assert_int_equal(session.targets[0].thaw_error, -EINVAL);
	assert_int_equal(session.targets[0].frozen_ns, 1500);
	sf_session_info_free(&session);
	nlmsg_free(msg);
}

static void session_reply_without_targets(void **state)
{
	struct nl_msg *msg = session_reply(false);
	struct sf_session_info session = { 0 };

	(void)state;
	assert_int_equal(sf_nl_parse_session(nlmsg_hdr(msg), &session), 0);
	assert_int_equal(session.n_targets, 0);
	sf_session_info_free(&session);
	nlmsg_free(msg);
}

/* A dump message: session id with targets first..first+count-1. */
static struct nl_msg *dump_part(uint64_t id, int first, int count)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *targets, *target;
	char path[32];
	int i;

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 1, 1, 0x20, 0, NLM_F_MULTI,
				    SNAPFREEZE_CMD_GET_SESSION,
				    SNAPFREEZE_GENL_VERSION));
	assert_int_equal(nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, id), 0);
	assert_int_equal(nla_put_u32(msg, SNAPFREEZE_A_STATE,
				     SNAPFREEZE_STATE_FROZEN), 0);
	targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);
	assert_non_null(targets);
	for (i = first; i < first + count; i++) {
		target = nla_nest_start(msg, i);
		assert_non_null(target);
		snprintf(path, sizeof(path), "/t/%d", i);
		assert_int_equal(nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, path), 0);
		nla_nest_end(msg, target);
	}
	nla_nest_end(msg, targets);
	return msg;
}

/* A session split across dump messages is one session again, in order. */
static void dump_joins_a_split_session(void **state)
{
	static const struct { uint64_t id; int first, count; } parts[] = {
		{ 5, 0, 2 }, { 5, 2, 1 }, { 5, 3, 2 }, { 6, 0, 1 },
	};
	struct sf_nl_dump dump = { 0 };
	struct nl_msg *msg;
	char path[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		msg = dump_part(parts[i].id, parts[i].first, parts[i].count);
		assert_int_equal(sf_nl_dump_add(&dump, nlmsg_hdr(msg)), 0);
		nlmsg_free(msg);
	}
	assert_int_equal(dump.n_sessions, 2);
	assert_int_equal(dump.sessions[0].id, 5);
	assert_int_equal(dump.sessions[0].n_targets, 5);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/t/%zu", i);
		assert_string_equal(dump.sessions[0].targets[i].path, path);
	}
	assert_int_equal(dump.sessions[1].id, 6);
	assert_int_equal(dump.sessions[1].n_targets, 1);
	assert_string_equal(dump.sessions[1].targets[0].path, "/t/0");
	sf_nl_dump_free(&dump);
	assert_int_equal(dump.n_sessions, 0);
}

static void keepalive_reply_parsed(void **state)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct sf_keepalive_reply reply;

	(void)state;
	assert_non_null(genlmsg_put(msg, 1, 1, 0x20, 0, 0, SNAPFREEZE_CMD_KEEPALIVE,
				    SNAPFREEZE_GENL_VERSION));
	assert_int_equal(nla_put_u64(msg, SNAPFREEZE_A_SESSION_ID, 7), 0);
	assert_int_equal(nla_put_u64(msg, SNAPFREEZE_A_TIME_LEFT_MS, 29500), 0);
	assert_int_equal(nla_put_u32(msg, SNAPFREEZE_A_KEEPALIVE_MS, 1000), 0);
	assert_int_equal(sf_nl_parse_keepalive(nlmsg_hdr(msg), &reply), 0);
	assert_int_equal(reply.time_left_ms, 29500);
	assert_int_equal(reply.keepalive_ms, 1000);
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ext_ack_found_after_request_echo),
		cmocka_unit_test(no_ext_ack_when_echo_overruns_message),
		cmocka_unit_test(status_reply_parsed),
		cmocka_unit_test(status_reply_without_features_refused),
		cmocka_unit_test(status_reply_long_version_truncated),
		cmocka_unit_test(session_reply_parsed),
		cmocka_unit_test(session_reply_without_targets),
		cmocka_unit_test(dump_joins_a_split_session),
		cmocka_unit_test(keepalive_reply_parsed),
	};

	return cmocka_run_group_tests_name("netlink", tests, NULL, NULL);
}
