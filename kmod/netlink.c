// SPDX-License-Identifier: GPL-2.0
/*
 * The "snapfreeze" generic netlink family: the only way userspace talks to
 * the module, and how it learns that a session's owner went away.
 */

#include "netlink.h"

#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <uapi/linux/snapfreeze.h>

#include "order.h"
#include "session.h"

static struct genl_family snapfreeze_genl_family;

/* Longer than any filesystem type's name. */
#define SF_FSTYPE_MAX 64

/*
 * With strict validation, an attribute a command does not list in its
 * policy (NLA_UNSPEC) is refused with an extended ACK message.
 */
static const struct nla_policy snapfreeze_no_attrs_policy[SNAPFREEZE_A_MAX + 1] = { };

static const struct nla_policy snapfreeze_target_policy[SNAPFREEZE_TARGET_A_MAX + 1] = {
	[SNAPFREEZE_TARGET_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[SNAPFREEZE_TARGET_A_STORED_ON] = { .type = NLA_U32 },
};

static const struct nla_policy snapfreeze_freeze_policy[SNAPFREEZE_A_MAX + 1] = {
	[SNAPFREEZE_A_TARGETS] = NLA_POLICY_NESTED_ARRAY(snapfreeze_target_policy),
	[SNAPFREEZE_A_TIMEOUT_MS] = NLA_POLICY_MIN(NLA_U32, 1),
	[SNAPFREEZE_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __SNAPFREEZE_F_ALL),
	[SNAPFREEZE_A_KEEPALIVE_MS] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy snapfreeze_thaw_policy[SNAPFREEZE_A_MAX + 1] = {
	[SNAPFREEZE_A_SESSION_ID] = { .type = NLA_U64 },
	[SNAPFREEZE_A_THAW_ALL] = { .type = NLA_FLAG },
};

static const struct nla_policy snapfreeze_get_session_policy[SNAPFREEZE_A_MAX + 1] = {
	[SNAPFREEZE_A_SESSION_ID] = { .type = NLA_U64 },
};

static const struct nla_policy snapfreeze_keepalive_policy[SNAPFREEZE_A_MAX + 1] = {
	[SNAPFREEZE_A_SESSION_ID] = { .type = NLA_U64 },
};

/*
 * GENL_ADMIN_PERM checks CAP_NET_ADMIN, but what this family controls is
 * filesystem freezing, a CAP_SYS_ADMIN operation (as FIFREEZE is). Both are
 * checked against the initial user namespace: the family is not visible in
 * other network namespaces, and a container's root must not freeze the
 * host's filesystems.
 */
static int snapfreeze_require_sys_admin(struct sk_buff *skb,
					struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack, "CAP_SYS_ADMIN is required");
	return -EPERM;
}

/* Every request checks it here: doits before they run, dumps as they start. */
static int snapfreeze_pre_doit(const struct compat_genl_doit_ops *ops,
			       struct sk_buff *skb, struct genl_info *info)
{
	return snapfreeze_require_sys_admin(skb, info->extack);
}

/*
 * GENL_REQ_ATTR_CHECK() marks the missing attribute; this also says which,
 * in words. A macro: NL_SET_ERR_MSG() takes a string literal.
 */
#define SF_REQUIRE_ATTR(info, type, msg) ({			\
	struct genl_info *__sf_info = (info);			\
	bool __missing = GENL_REQ_ATTR_CHECK(__sf_info, type);	\
	if (__missing)						\
		NL_SET_ERR_MSG(__sf_info->extack, msg);		\
	!__missing;						\
})

static u32 snapfreeze_features(void)
{
	return COMPAT_FREEZE_KERNEL_HOLDER ? SNAPFREEZE_FEATURE_KERNEL_HOLDER : 0;
}

static int snapfreeze_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &snapfreeze_genl_family, 0,
				SNAPFREEZE_CMD_GET_STATUS);
	if (!hdr ||
	    nla_put_string(msg, SNAPFREEZE_A_STATUS_VERSION, SNAPFREEZE_VERSION) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_FEATURES, snapfreeze_features()) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_DEFAULT_TIMEOUT_MS,
			READ_ONCE(sf_default_timeout_ms)) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_MAX_TIMEOUT_MS,
			READ_ONCE(sf_max_timeout_ms)) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_MAX_TARGETS,
			READ_ONCE(sf_max_targets)) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_STATUS_SESSIONS,
			      atomic64_read(&sf_stats.sessions), SNAPFREEZE_A_PAD) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_STATUS_WATCHDOG_THAWS,
			      atomic64_read(&sf_stats.watchdog_thaws),
			      SNAPFREEZE_A_PAD) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_STATUS_OWNER_THAWS,
			      atomic64_read(&sf_stats.owner_thaws),
			      SNAPFREEZE_A_PAD) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_STATUS_LONGEST_FREEZE_NS,
			      atomic64_read(&sf_stats.longest_freeze_ns),
			      SNAPFREEZE_A_PAD) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_MIN_KEEPALIVE_MS,
			READ_ONCE(sf_min_keepalive_ms)) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_MAX_KEEPALIVE_MS,
			READ_ONCE(sf_max_keepalive_ms)) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_STATUS_KEEPALIVE_THAWS,
			      atomic64_read(&sf_stats.keepalive_thaws),
			      SNAPFREEZE_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Room for a session's own attributes in sf_fill_session_from(). */
static size_t sf_session_attrs_size(void)
{
	return nla_total_size(4) * 8 +		/* u32 attributes */
	       nla_total_size_64bit(8) * 6 +	/* u64 attributes */
	       nla_total_size(0);		/* targets */
}

static size_t sf_target_size(size_t path_len, size_t fstype_len)
{
	return nla_total_size(0) + nla_total_size(path_len + 1) +
	       nla_total_size(fstype_len + 1) +
	       nla_total_size(4) * 3 + nla_total_size_64bit(8) * 2 +
	       nla_total_size(0);	/* stuck */
}

/* Room for sf_fill_session() and the event attributes. */
static size_t sf_session_msg_size(const struct sf_session *session)
{
	size_t size = sf_session_attrs_size();
	unsigned int i;

	for (i = 0; i < session->n_targets; i++) {
		const struct sf_target *target = &session->targets[i];

		size += sf_target_size(strlen(target->path),
				       strlen(sf_target_fstype(target)));
	}
	return size;
}

static int sf_fill_target(struct sk_buff *msg, const struct sf_target *target,
			  int index)
{
	struct nlattr *nest = nla_nest_start(msg, index);

	if (!nest ||
	    nla_put_string(msg, SNAPFREEZE_TARGET_A_PATH, target->path) ||
	    nla_put_u32(msg, SNAPFREEZE_TARGET_A_DEV, new_encode_dev(target->dev)) ||
	    nla_put_string(msg, SNAPFREEZE_TARGET_A_FSTYPE,
			   sf_target_fstype(target)) ||
	    nla_put_u32(msg, SNAPFREEZE_TARGET_A_LEVEL, target->level) ||
	    (target->freeze_end &&
	     nla_put_u64_64bit(msg, SNAPFREEZE_TARGET_A_FREEZE_NS,
			       ktime_to_ns(ktime_sub(target->freeze_end,
						     target->freeze_start)),
			       SNAPFREEZE_TARGET_A_PAD)) ||
	    (target->thaw_error &&
	     nla_put_s32(msg, SNAPFREEZE_TARGET_A_THAW_ERROR, target->thaw_error)) ||
	    (target->thawed_at &&
	     nla_put_u64_64bit(msg, SNAPFREEZE_TARGET_A_FROZEN_NS,
			       sf_target_frozen_ns(target), SNAPFREEZE_TARGET_A_PAD)) ||
	    (target->stuck && nla_put_flag(msg, SNAPFREEZE_TARGET_A_STUCK)))
		goto cancel;
	nla_nest_end(msg, nest);
	return 0;
cancel:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

/*
 * Under session->lock: the session's attributes, then its targets from
 * *next on, as many as fit; *next is left at the first that did not.
 * -EMSGSIZE when not even the attributes and one target fit.
 */
static int sf_fill_session_from(struct sk_buff *msg,
				struct sf_session *session, unsigned int *next)
{
	unsigned int first = *next;
	struct nlattr *targets;

	lockdep_assert_held(&session->lock);
	if (nla_put_u64_64bit(msg, SNAPFREEZE_A_SESSION_ID, session->id,
			      SNAPFREEZE_A_PAD) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATE, session->state) ||
	    nla_put_u32(msg, SNAPFREEZE_A_FLAGS, session->flags) ||
	    nla_put_u32(msg, SNAPFREEZE_A_OWNER_PID, session->owner_pid) ||
	    nla_put_u32(msg, SNAPFREEZE_A_TIMEOUT_MS, session->timeout_ms) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_TIME_LEFT_MS,
			      sf_session_time_left_ms(session), SNAPFREEZE_A_PAD) ||
	    (session->keepalive_ms &&
	     nla_put_u32(msg, SNAPFREEZE_A_KEEPALIVE_MS, session->keepalive_ms)) ||
	    (session->end_reason &&
	     nla_put_u32(msg, SNAPFREEZE_A_REASON, session->end_reason)))
		return -EMSGSIZE;
	if (session->frozen_at &&
	    (nla_put_u64_64bit(msg, SNAPFREEZE_A_FREEZE_NS,
			       ktime_to_ns(ktime_sub(session->frozen_at,
						     session->requested_at)),
			       SNAPFREEZE_A_PAD) ||
	     nla_put_u64_64bit(msg, SNAPFREEZE_A_SPREAD_NS,
			       sf_session_spread_ns(session), SNAPFREEZE_A_PAD)))
		return -EMSGSIZE;
	if (session->state == SNAPFREEZE_STATE_THAWED &&
	    (nla_put_u64_64bit(msg, SNAPFREEZE_A_FROZEN_NS,
			       sf_session_frozen_ns(session), SNAPFREEZE_A_PAD) ||
	     nla_put_u64_64bit(msg, SNAPFREEZE_A_DURATION_NS,
			       ktime_to_ns(ktime_sub(session->thawed_at,
						     session->requested_at)),
			       SNAPFREEZE_A_PAD)))
		return -EMSGSIZE;

	targets = nla_nest_start(msg, SNAPFREEZE_A_TARGETS);
	if (!targets)
		return -EMSGSIZE;
	for (; *next < session->n_targets; (*next)++)
		if (sf_fill_target(msg, &session->targets[*next], *next))
			break;
	if (*next == first && first < session->n_targets) {
		nla_nest_cancel(msg, targets);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, targets);
	return 0;
}

/* Under session->lock, into a message sized by sf_session_msg_size(). */
static int sf_fill_session(struct sk_buff *msg, struct sf_session *session)
{
	unsigned int next = 0;
	int ret;

	ret = sf_fill_session_from(msg, session, &next);
	return !ret && next < session->n_targets ? -EMSGSIZE : ret;
}

static int sf_reply_session(struct sk_buff *msg, struct genl_info *info,
			    struct sf_session *session, u8 cmd)
{
	void *hdr;
	int ret;

	hdr = genlmsg_put_reply(msg, info, &snapfreeze_genl_family, 0, cmd);
	mutex_lock(&session->lock);
	ret = hdr ? sf_fill_session(msg, session) : -EMSGSIZE;
	mutex_unlock(&session->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static struct sk_buff *sf_session_msg_new(const struct sf_session *session)
{
	return genlmsg_new(sf_session_msg_size(session), GFP_KERNEL);
}

static u32 sf_freeze_timeout_ms(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[SNAPFREEZE_A_TIMEOUT_MS];

	return attr ? nla_get_u32(attr) : READ_ONCE(sf_default_timeout_ms);
}

static int sf_check_keepalive(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[SNAPFREEZE_A_KEEPALIVE_MS];
	u32 min_ms = READ_ONCE(sf_min_keepalive_ms);
	u32 max_ms = READ_ONCE(sf_max_keepalive_ms);
	u32 keepalive_ms;

	if (!attr)
		return 0;
	keepalive_ms = nla_get_u32(attr);
	if (keepalive_ms < min_ms || keepalive_ms > max_ms) {
		compat_set_err_msg_fmt(info->extack,
				       "keepalive interval outside min_keepalive_ms..max_keepalive_ms",
				       "keepalive of %u ms outside %u..%u ms (min/max_keepalive_ms)",
				       keepalive_ms, min_ms, max_ms);
		NL_SET_BAD_ATTR(info->extack, attr);
		return -ERANGE;
	}
	return 0;
}

/* The request's limits, checked before any target is looked at. */
static int sf_check_freeze_limits(struct genl_info *info,
				  unsigned int n_targets, u32 timeout_ms)
{
	unsigned int max_targets = READ_ONCE(sf_max_targets);
	u32 max_timeout_ms = READ_ONCE(sf_max_timeout_ms);

	if (!n_targets) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SNAPFREEZE_A_TARGETS],
				    "no targets");
		return -EINVAL;
	}
	if (n_targets > max_targets) {
		compat_set_err_msg_fmt(info->extack,
				       "more targets than the max_targets module parameter allows",
				       "%u targets, more than max_targets (%u)",
				       n_targets, max_targets);
		NL_SET_BAD_ATTR(info->extack, info->attrs[SNAPFREEZE_A_TARGETS]);
		return -E2BIG;
	}
	if (timeout_ms > max_timeout_ms) {
		compat_set_err_msg_fmt(info->extack,
				       "timeout above the max_timeout_ms module parameter",
				       "timeout of %u ms above max_timeout_ms (%u)",
				       timeout_ms, max_timeout_ms);
		NL_SET_BAD_ATTR(info->extack, info->attrs[SNAPFREEZE_A_TIMEOUT_MS]);
		return -ERANGE;
	}
	return sf_check_keepalive(info);
}

/* Resolves every target; fills target_attrs, for naming them in errors. */
static int sf_resolve_targets(struct sf_session *session, struct genl_info *info,
			      const struct nlattr **target_attrs)
{
	struct nlattr *tb[SNAPFREEZE_TARGET_A_MAX + 1];
	unsigned int i = 0, j;
	struct nlattr *attr;
	int rem, ret;

	nla_for_each_nested(attr, info->attrs[SNAPFREEZE_A_TARGETS], rem) {
		ret = nla_parse_nested(tb, SNAPFREEZE_TARGET_A_MAX, attr,
				       snapfreeze_target_policy, info->extack);
		if (ret)
			return ret;
		if (!tb[SNAPFREEZE_TARGET_A_PATH]) {
			NL_SET_ERR_ATTR_MISS(info->extack, attr,
					     SNAPFREEZE_TARGET_A_PATH);
			NL_SET_ERR_MSG(info->extack, "a target has no path");
			return -EINVAL;
		}
		target_attrs[i] = tb[SNAPFREEZE_TARGET_A_PATH];
		ret = sf_target_resolve(&session->targets[i], target_attrs[i],
					info->extack);
		if (!ret)
			ret = sf_order_add_stored_on(session->targets,
						     session->n_targets, i, attr,
						     info->extack);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (session->targets[j].sb == session->targets[i].sb) {
				NL_SET_ERR_MSG_ATTR(info->extack, target_attrs[i],
						    "on the same filesystem as another target");
				return -EINVAL;
			}
		}
		i++;
	}
	ret = sf_order_levels(session->targets, session->n_targets,
			      target_attrs, info->extack);
	session->max_level = sf_order_max_level(session->targets,
						session->n_targets);
	return ret;
}

static int snapfreeze_freeze(struct sk_buff *skb, struct genl_info *info)
{
	u32 timeout_ms = sf_freeze_timeout_ms(info);
	const struct nlattr **target_attrs = NULL;
	struct sf_session *session = NULL;
	struct sk_buff *reply = NULL;
	unsigned int n_targets = 0;
	struct nlattr *attr;
	int rem, ret;

	if (!SF_REQUIRE_ATTR(info, SNAPFREEZE_A_TARGETS, "no targets given"))
		return -EINVAL;
	nla_for_each_nested(attr, info->attrs[SNAPFREEZE_A_TARGETS], rem)
		n_targets++;
	ret = sf_check_freeze_limits(info, n_targets, timeout_ms);
	if (ret)
		return ret;

	session = sf_session_alloc(n_targets);
	target_attrs = kcalloc(n_targets, sizeof(*target_attrs), GFP_KERNEL);
	if (!session || !target_attrs) {
		ret = -ENOMEM;
		goto out;
	}
	session->timeout_ms = timeout_ms;
	if (info->attrs[SNAPFREEZE_A_FLAGS])
		session->flags = nla_get_u32(info->attrs[SNAPFREEZE_A_FLAGS]);
	if (info->attrs[SNAPFREEZE_A_KEEPALIVE_MS])
		session->keepalive_ms =
			nla_get_u32(info->attrs[SNAPFREEZE_A_KEEPALIVE_MS]);
	session->owner_sk = NETLINK_CB(skb).sk;
	sock_hold(session->owner_sk);
	session->owner_portid = info->snd_portid;
	session->owner_pid = task_tgid_nr(current);

	ret = sf_resolve_targets(session, info, target_attrs);
	if (ret)
		goto out;
	/* Allocated before freezing: nothing may fail once frozen. */
	reply = sf_session_msg_new(session);
	if (!reply) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sf_session_freeze(session, target_attrs, info->extack);
	if (ret)
		goto out;

	snapfreeze_genl_notify(session, SNAPFREEZE_EVENT_FROZEN);
	sf_session_frozen_announced(session);
	ret = sf_reply_session(reply, info, session, SNAPFREEZE_CMD_FREEZE);
	reply = NULL;
	if (ret)
		sf_session_thaw(session, SNAPFREEZE_REASON_ERROR, NULL);
out:
	nlmsg_free(reply);
	kfree(target_attrs);
	if (session)
		sf_session_put(session);
	return ret;
}

static int snapfreeze_thaw_all(struct genl_info *info)
{
	unsigned int count = sf_sessions_thaw_all(SNAPFREEZE_REASON_REQUEST);
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(4), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &snapfreeze_genl_family, 0,
				SNAPFREEZE_CMD_THAW);
	if (!hdr || nla_put_u32(msg, SNAPFREEZE_A_SESSION_COUNT, count)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static struct sf_session *sf_find_requested(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[SNAPFREEZE_A_SESSION_ID];
	struct sf_session *session = sf_session_find(nla_get_u64(attr));

	if (!session)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no such session");
	return session;
}

static int snapfreeze_thaw(struct sk_buff *skb, struct genl_info *info)
{
	struct sf_session *session;
	struct sk_buff *reply;
	int ret;

	if (info->attrs[SNAPFREEZE_A_THAW_ALL]) {
		if (info->attrs[SNAPFREEZE_A_SESSION_ID]) {
			NL_SET_ERR_MSG(info->extack,
				       "give a session id or ask to thaw all, not both");
			return -EINVAL;
		}
		return snapfreeze_thaw_all(info);
	}
	if (!SF_REQUIRE_ATTR(info, SNAPFREEZE_A_SESSION_ID,
			     "give a session id, or ask to thaw all"))
		return -EINVAL;

	session = sf_find_requested(info);
	if (!session)
		return -ENOENT;
	/* Thaw even if there is no memory for the reply. */
	reply = sf_session_msg_new(session);
	ret = sf_session_thaw(session, SNAPFREEZE_REASON_REQUEST, info->extack);
	if (!ret && !reply)
		ret = -ENOMEM;
	if (ret)
		nlmsg_free(reply);
	else
		ret = sf_reply_session(reply, info, session, SNAPFREEZE_CMD_THAW);
	sf_session_put(session);
	return ret;
}

/* The session a request names, with a reference, or an ERR_PTR. */
static struct sf_session *sf_session_of_request(struct genl_info *info)
{
	struct sf_session *session;

	if (!SF_REQUIRE_ATTR(info, SNAPFREEZE_A_SESSION_ID, "no session id given"))
		return ERR_PTR(-EINVAL);
	session = sf_find_requested(info);
	return session ?: ERR_PTR(-ENOENT);
}

static int snapfreeze_get_session(struct sk_buff *skb, struct genl_info *info)
{
	struct sf_session *session = sf_session_of_request(info);
	struct sk_buff *reply;
	int ret;

	if (IS_ERR(session))
		return PTR_ERR(session);
	reply = sf_session_msg_new(session);
	ret = reply ? sf_reply_session(reply, info, session,
				       SNAPFREEZE_CMD_GET_SESSION) : -ENOMEM;
	sf_session_put(session);
	return ret;
}

static int snapfreeze_keepalive(struct sk_buff *skb, struct genl_info *info)
{
	struct sf_session *session = sf_session_of_request(info);
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (IS_ERR(session))
		return PTR_ERR(session);
	/* Allocated before the pet: a pet that succeeds is answered. */
	msg = genlmsg_new(nla_total_size_64bit(8) * 2 + nla_total_size(4),
			  GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sf_session_keepalive(session, NETLINK_CB(skb).sk, info->extack);
	if (ret)
		goto out;
	hdr = genlmsg_put_reply(msg, info, &snapfreeze_genl_family, 0,
				SNAPFREEZE_CMD_KEEPALIVE);
	if (!hdr ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_SESSION_ID, session->id,
			      SNAPFREEZE_A_PAD) ||
	    nla_put_u64_64bit(msg, SNAPFREEZE_A_TIME_LEFT_MS,
			      sf_session_time_left_ms(session), SNAPFREEZE_A_PAD) ||
	    nla_put_u32(msg, SNAPFREEZE_A_KEEPALIVE_MS, session->keepalive_ms)) {
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
	msg = NULL;
out:
	nlmsg_free(msg);
	sf_session_put(session);
	return ret;
}

/*
 * Where a GET_SESSION dump goes on: a session larger than one message is
 * split across several, each with the session's attributes and the next
 * of its targets (their nests keep their indexes), so the cursor names a
 * target as well as a session.
 */
struct sf_dump_cursor {
	u64 session_id;		/* the next session to send, or the one split */
	unsigned int target;	/* its first target not sent yet */
};

static struct sf_dump_cursor *sf_dump_cursor(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct sf_dump_cursor) > sizeof(cb->args));
	return (struct sf_dump_cursor *)cb->args;
}

/*
 * Every dump message has room for a session's attributes and its largest
 * possible target, whatever netlink's default size.
 */
static int snapfreeze_dump_start(struct netlink_callback *cb)
{
	int ret = snapfreeze_require_sys_admin(cb->skb, cb->extack);

	if (ret)
		return ret;
	cb->min_dump_alloc = NLMSG_HDRLEN + GENL_HDRLEN +
			     sf_session_attrs_size() +
			     sf_target_size(PATH_MAX, SF_FSTYPE_MAX);
	return 0;
}

/*
 * One message into skb: the session, or as much of it as fits. Returns 1
 * when the whole session went, 0 when the rest waits for the next skb.
 */
static int sf_dump_session(struct sk_buff *skb, struct netlink_callback *cb,
			   struct sf_session *session)
{
	struct sf_dump_cursor *cursor = sf_dump_cursor(cb);
	bool whole;
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &snapfreeze_genl_family, NLM_F_MULTI,
			  SNAPFREEZE_CMD_GET_SESSION);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (session->id != cursor->session_id)
		cursor->target = 0;
	mutex_lock(&session->lock);
	ret = sf_fill_session_from(skb, session, &cursor->target);
	whole = cursor->target == session->n_targets;
	mutex_unlock(&session->lock);
	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	cursor->session_id = whole ? session->id + 1 : session->id;
	if (whole)
		cursor->target = 0;
	return whole;
}

static int snapfreeze_dump_sessions(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct sf_dump_cursor *cursor = sf_dump_cursor(cb);
	struct sf_session *session;
	int ret = 0;

	cb->seq = sf_sessions_generation();
	while ((session = sf_session_next(cursor->session_id))) {
		ret = sf_dump_session(skb, cb, session);
		sf_session_put(session);
		if (ret <= 0)
			break;
	}
	/*
	 * Nothing fits an empty message, which snapfreeze_dump_start() sized
	 * for any session: fail the dump rather than end it early.
	 */
	if (ret < 0 && !skb->len)
		return ret;
	return skb->len;
}

static const struct genl_ops snapfreeze_genl_ops[] = {
	{
		.cmd = SNAPFREEZE_CMD_GET_STATUS,
		.doit = snapfreeze_get_status,
		.policy = snapfreeze_no_attrs_policy,
		.maxattr = SNAPFREEZE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SNAPFREEZE_CMD_FREEZE,
		.doit = snapfreeze_freeze,
		.policy = snapfreeze_freeze_policy,
		.maxattr = SNAPFREEZE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SNAPFREEZE_CMD_THAW,
		.doit = snapfreeze_thaw,
		.policy = snapfreeze_thaw_policy,
		.maxattr = SNAPFREEZE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SNAPFREEZE_CMD_GET_SESSION,
		.doit = snapfreeze_get_session,
		.start = snapfreeze_dump_start,
		.dumpit = snapfreeze_dump_sessions,
		.policy = snapfreeze_get_session_policy,
		.maxattr = SNAPFREEZE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SNAPFREEZE_CMD_KEEPALIVE,
		.doit = snapfreeze_keepalive,
		.policy = snapfreeze_keepalive_policy,
		.maxattr = SNAPFREEZE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

/* Events name paths and processes: only for those who could freeze. */
static const struct genl_multicast_group snapfreeze_mcgrps[] = {
	{ .name = SNAPFREEZE_MCGRP_EVENTS, COMPAT_MCGRP_SYS_ADMIN_ONLY },
};

/*
 * The family serialises nothing itself (parallel_ops): a freeze can take
 * seconds, and the generic netlink lock would stall every other family.
 */
static struct genl_family snapfreeze_genl_family __ro_after_init = {
	.name = SNAPFREEZE_GENL_NAME,
	.version = SNAPFREEZE_GENL_VERSION,
	.module = THIS_MODULE,
	.parallel_ops = true,
	.pre_doit = snapfreeze_pre_doit,
	.ops = snapfreeze_genl_ops,
	.n_ops = ARRAY_SIZE(snapfreeze_genl_ops),
	.mcgrps = snapfreeze_mcgrps,
	.n_mcgrps = COMPAT_RESTRICTED_MCGRPS ? ARRAY_SIZE(snapfreeze_mcgrps) : 0,
};

void snapfreeze_genl_notify(struct sf_session *session,
			    enum snapfreeze_event event)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (!COMPAT_RESTRICTED_MCGRPS ||
	    !genl_has_listeners(&snapfreeze_genl_family, &init_net, 0))
		return;
	msg = genlmsg_new(sf_session_msg_size(session) + nla_total_size(4),
			  GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &snapfreeze_genl_family, 0,
			  SNAPFREEZE_CMD_EVENT);
	mutex_lock(&session->lock);
	ret = !hdr || sf_fill_session(msg, session) ||
	      nla_put_u32(msg, SNAPFREEZE_A_EVENT, event);
	mutex_unlock(&session->lock);
	if (ret) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&snapfreeze_genl_family, msg, 0, 0, GFP_KERNEL);
}

/*
 * A session that is not detached belongs to the generic netlink socket that
 * created it: when that socket is released (its process exited, or was
 * killed), the session ends.
 */
static int snapfreeze_netlink_event(struct notifier_block *nb,
				    unsigned long event, void *ptr)
{
	struct netlink_notify *notify = ptr;

	if (event == NETLINK_URELEASE && notify->protocol == NETLINK_GENERIC &&
	    net_eq(notify->net, &init_net))
		sf_sessions_owner_gone(notify->portid);
	return NOTIFY_DONE;
}

static struct notifier_block snapfreeze_netlink_notifier = {
	.notifier_call = snapfreeze_netlink_event,
};

/*
 * The notifier comes first and goes last: a session created by a socket
 * whose release the notifier did not see would wait for its watchdog.
 */
int __init snapfreeze_genl_init(void)
{
	int ret;

	ret = netlink_register_notifier(&snapfreeze_netlink_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&snapfreeze_genl_family);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	netlink_unregister_notifier(&snapfreeze_netlink_notifier);
	return ret;
}

void snapfreeze_genl_exit(void)
{
	genl_unregister_family(&snapfreeze_genl_family);
	netlink_unregister_notifier(&snapfreeze_netlink_notifier);
}
