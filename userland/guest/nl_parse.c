// SPDX-License-Identifier: GPL-2.0
/*
 * The module's replies and extended ACKs, parsed into plain structures:
 * each attribute checked against a policy, nothing trusted that the
 * policy did not check.
 */
#include "nl_parse.h"

#include <errno.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sf_nl_ext_ack_attrs(const struct nlmsghdr *nlh,
				struct nlattr **tb)
{
	const struct nlmsgerr *nlerr = NLMSG_DATA(nlh);
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
	return nla_parse(tb, NLMSGERR_ATTR_MAX,
			 (struct nlattr *)((char *)nlh + offset),
			 (int)(nlh->nlmsg_len - offset), NULL) == 0;
}

bool sf_nl_ext_ack_message(const struct nlmsghdr *nlh, char *buf, size_t size)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!sf_nl_ext_ack_attrs(nlh, tb) || !tb[NLMSGERR_ATTR_MSG])
		return false;
	snprintf(buf, size, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
		 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	/* The kernel counts the terminating NUL in the attribute. */
	return buf[0] != '\0';
}

long sf_nl_ext_ack_offset(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!sf_nl_ext_ack_attrs(nlh, tb) || !tb[NLMSGERR_ATTR_OFFS] ||
	    nla_len(tb[NLMSGERR_ATTR_OFFS]) < (int)sizeof(uint32_t))
		return -1;
	return nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

static uint32_t sf_u32(const struct nlattr *attr)
{
	return attr ? nla_get_u32((struct nlattr *)attr) : 0;
}

static uint64_t sf_u64(const struct nlattr *attr)
{
	return attr ? nla_get_u64((struct nlattr *)attr) : 0;
}

int sf_nl_parse_status(const struct nlmsghdr *nlh,
		       struct sf_module_status *status)
{
	static struct nla_policy policy[SNAPFREEZE_A_MAX + 1] = {
		[SNAPFREEZE_A_STATUS_VERSION] = { .type = NLA_STRING },
		[SNAPFREEZE_A_STATUS_FEATURES] = { .type = NLA_U32 },
		[SNAPFREEZE_A_STATUS_DEFAULT_TIMEOUT_MS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_STATUS_MAX_TIMEOUT_MS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_STATUS_MAX_TARGETS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_STATUS_SESSIONS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_STATUS_WATCHDOG_THAWS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_STATUS_OWNER_THAWS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_STATUS_LONGEST_FREEZE_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_STATUS_MIN_KEEPALIVE_MS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_STATUS_MAX_KEEPALIVE_MS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_STATUS_KEEPALIVE_THAWS] = { .type = NLA_U64 },
	};
	struct nlattr *tb[SNAPFREEZE_A_MAX + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SNAPFREEZE_A_MAX,
			  policy) < 0 ||
	    !tb[SNAPFREEZE_A_STATUS_VERSION] || !tb[SNAPFREEZE_A_STATUS_FEATURES])
		return -1;
	nla_strlcpy(status->version, tb[SNAPFREEZE_A_STATUS_VERSION],
		    sizeof(status->version));
	status->features = sf_u32(tb[SNAPFREEZE_A_STATUS_FEATURES]);
	status->default_timeout_ms = sf_u32(tb[SNAPFREEZE_A_STATUS_DEFAULT_TIMEOUT_MS]);
	status->max_timeout_ms = sf_u32(tb[SNAPFREEZE_A_STATUS_MAX_TIMEOUT_MS]);
	status->max_targets = sf_u32(tb[SNAPFREEZE_A_STATUS_MAX_TARGETS]);
	status->sessions = sf_u64(tb[SNAPFREEZE_A_STATUS_SESSIONS]);
	status->watchdog_thaws = sf_u64(tb[SNAPFREEZE_A_STATUS_WATCHDOG_THAWS]);
	status->owner_thaws = sf_u64(tb[SNAPFREEZE_A_STATUS_OWNER_THAWS]);
	status->longest_freeze_ns = sf_u64(tb[SNAPFREEZE_A_STATUS_LONGEST_FREEZE_NS]);
	status->min_keepalive_ms = sf_u32(tb[SNAPFREEZE_A_STATUS_MIN_KEEPALIVE_MS]);
	status->max_keepalive_ms = sf_u32(tb[SNAPFREEZE_A_STATUS_MAX_KEEPALIVE_MS]);
	status->keepalive_thaws = sf_u64(tb[SNAPFREEZE_A_STATUS_KEEPALIVE_THAWS]);
	return 0;
}

void sf_session_info_free(struct sf_session_info *session)
{
	size_t i;

	for (i = 0; i < session->n_targets; i++)
		free(session->targets[i].path);
	free(session->targets);
	memset(session, 0, sizeof(*session));
}

static int sf_nl_parse_target(struct nlattr *attr, struct sf_target_info *target)
{
	static struct nla_policy policy[SNAPFREEZE_TARGET_A_MAX + 1] = {
		[SNAPFREEZE_TARGET_A_PATH] = { .type = NLA_STRING },
		[SNAPFREEZE_TARGET_A_DEV] = { .type = NLA_U32 },
		[SNAPFREEZE_TARGET_A_FSTYPE] = { .type = NLA_STRING },
		[SNAPFREEZE_TARGET_A_LEVEL] = { .type = NLA_U32 },
		[SNAPFREEZE_TARGET_A_FREEZE_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_TARGET_A_THAW_ERROR] = { .type = NLA_U32 },
		[SNAPFREEZE_TARGET_A_FROZEN_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_TARGET_A_STUCK] = { .type = NLA_FLAG },
	};
	struct nlattr *tb[SNAPFREEZE_TARGET_A_MAX + 1];

	if (nla_parse_nested(tb, SNAPFREEZE_TARGET_A_MAX, attr, policy) < 0 ||
	    !tb[SNAPFREEZE_TARGET_A_PATH])
		return -1;
	target->path = strndup(nla_data(tb[SNAPFREEZE_TARGET_A_PATH]),
			       nla_len(tb[SNAPFREEZE_TARGET_A_PATH]));
	if (!target->path)
		return -1;
	target->dev = sf_u32(tb[SNAPFREEZE_TARGET_A_DEV]);
	if (tb[SNAPFREEZE_TARGET_A_FSTYPE])
		nla_strlcpy(target->fstype, tb[SNAPFREEZE_TARGET_A_FSTYPE],
			    sizeof(target->fstype));
	target->level = sf_u32(tb[SNAPFREEZE_TARGET_A_LEVEL]);
	target->freeze_ns = sf_u64(tb[SNAPFREEZE_TARGET_A_FREEZE_NS]);
	target->frozen_ns = sf_u64(tb[SNAPFREEZE_TARGET_A_FROZEN_NS]);
	target->thaw_error = (int32_t)sf_u32(tb[SNAPFREEZE_TARGET_A_THAW_ERROR]);
	target->stuck = tb[SNAPFREEZE_TARGET_A_STUCK] != NULL;
	return 0;
}

static int sf_nl_parse_targets(struct nlattr *targets,
			       struct sf_session_info *session)
{
	struct nlattr *attr;
	size_t count = 0;
	int rem;

	nla_for_each_nested(attr, targets, rem)
		count++;
	session->targets = calloc(count ? count : 1, sizeof(*session->targets));
	if (!session->targets)
		return -1;
	nla_for_each_nested(attr, targets, rem) {
		if (sf_nl_parse_target(attr, &session->targets[session->n_targets]))
			return -1;
		session->n_targets++;
	}
	return 0;
}

int sf_nl_parse_session(const struct nlmsghdr *nlh,
			struct sf_session_info *session)
{
	static struct nla_policy policy[SNAPFREEZE_A_MAX + 1] = {
		[SNAPFREEZE_A_SESSION_ID] = { .type = NLA_U64 },
		[SNAPFREEZE_A_STATE] = { .type = NLA_U32 },
		[SNAPFREEZE_A_FLAGS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_OWNER_PID] = { .type = NLA_U32 },
		[SNAPFREEZE_A_TIMEOUT_MS] = { .type = NLA_U32 },
		[SNAPFREEZE_A_TIME_LEFT_MS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_FREEZE_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_SPREAD_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_FROZEN_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_TARGETS] = { .type = NLA_NESTED },
		[SNAPFREEZE_A_EVENT] = { .type = NLA_U32 },
		[SNAPFREEZE_A_REASON] = { .type = NLA_U32 },
		[SNAPFREEZE_A_DURATION_NS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_KEEPALIVE_MS] = { .type = NLA_U32 },
	};
	struct nlattr *tb[SNAPFREEZE_A_MAX + 1];

	sf_session_info_free(session);
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SNAPFREEZE_A_MAX,
			  policy) < 0 ||
	    !tb[SNAPFREEZE_A_SESSION_ID] || !tb[SNAPFREEZE_A_STATE])
		return -1;
	session->id = sf_u64(tb[SNAPFREEZE_A_SESSION_ID]);
	session->state = sf_u32(tb[SNAPFREEZE_A_STATE]);
	session->flags = sf_u32(tb[SNAPFREEZE_A_FLAGS]);
	session->owner_pid = sf_u32(tb[SNAPFREEZE_A_OWNER_PID]);
	session->timeout_ms = sf_u32(tb[SNAPFREEZE_A_TIMEOUT_MS]);
	session->keepalive_ms = sf_u32(tb[SNAPFREEZE_A_KEEPALIVE_MS]);
	session->time_left_ms = sf_u64(tb[SNAPFREEZE_A_TIME_LEFT_MS]);
	session->freeze_ns = sf_u64(tb[SNAPFREEZE_A_FREEZE_NS]);
	session->spread_ns = sf_u64(tb[SNAPFREEZE_A_SPREAD_NS]);
	session->frozen_ns = sf_u64(tb[SNAPFREEZE_A_FROZEN_NS]);
	session->duration_ns = sf_u64(tb[SNAPFREEZE_A_DURATION_NS]);
	session->event = sf_u32(tb[SNAPFREEZE_A_EVENT]);
	session->reason = sf_u32(tb[SNAPFREEZE_A_REASON]);
	if (tb[SNAPFREEZE_A_TARGETS] &&
	    sf_nl_parse_targets(tb[SNAPFREEZE_A_TARGETS], session)) {
		sf_session_info_free(session);
		return -1;
	}
	return 0;
}

int sf_nl_parse_keepalive(const struct nlmsghdr *nlh,
			  struct sf_keepalive_reply *reply)
{
	static struct nla_policy policy[SNAPFREEZE_A_MAX + 1] = {
		[SNAPFREEZE_A_SESSION_ID] = { .type = NLA_U64 },
		[SNAPFREEZE_A_TIME_LEFT_MS] = { .type = NLA_U64 },
		[SNAPFREEZE_A_KEEPALIVE_MS] = { .type = NLA_U32 },
	};
	struct nlattr *tb[SNAPFREEZE_A_MAX + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SNAPFREEZE_A_MAX,
			  policy) < 0 || !tb[SNAPFREEZE_A_TIME_LEFT_MS])
		return -1;
	reply->time_left_ms = sf_u64(tb[SNAPFREEZE_A_TIME_LEFT_MS]);
	reply->keepalive_ms = sf_u32(tb[SNAPFREEZE_A_KEEPALIVE_MS]);
	return 0;
}

void sf_nl_dump_free(struct sf_nl_dump *dump)
{
	size_t i;

	for (i = 0; i < dump->n_sessions; i++)
		sf_session_info_free(&dump->sessions[i]);
	free(dump->sessions);
	memset(dump, 0, sizeof(*dump));
}

/* Moves part's targets to the end of into's. */
static int sf_nl_join_targets(struct sf_session_info *into,
			      struct sf_session_info *part)
{
	struct sf_target_info *targets;

	targets = realloc(into->targets, (into->n_targets + part->n_targets) *
					 sizeof(*targets));
	if (!targets)
		return -1;
	memcpy(targets + into->n_targets, part->targets,
	       part->n_targets * sizeof(*targets));
	into->targets = targets;
	into->n_targets += part->n_targets;
	part->n_targets = 0;
	return 0;
}

int sf_nl_dump_add(struct sf_nl_dump *dump, const struct nlmsghdr *nlh)
{
	struct sf_session_info part = { 0 }, *sessions, *last;
	int ret = 0;

	if (sf_nl_parse_session(nlh, &part))
		return -1;
	last = dump->n_sessions ? &dump->sessions[dump->n_sessions - 1] : NULL;
	if (last && last->id == part.id) {
		ret = sf_nl_join_targets(last, &part);
		sf_session_info_free(&part);
		return ret;
	}
	sessions = realloc(dump->sessions,
			   (dump->n_sessions + 1) * sizeof(*sessions));
	if (!sessions) {
		sf_session_info_free(&part);
		return -1;
	}
	dump->sessions = sessions;
	dump->sessions[dump->n_sessions++] = part;
	return 0;
}
