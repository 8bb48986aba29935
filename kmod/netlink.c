// SPDX-License-Identifier: GPL-2.0
/*
 * The "snapfreeze" generic netlink family: the only way userspace talks to
 * the module.
 */

#include "netlink.h"

#include <linux/capability.h>
#include <net/genetlink.h>
#include <uapi/linux/snapfreeze.h>

static struct genl_family snapfreeze_genl_family;

/*
 * Commands that take no attributes still get a policy: with strict
 * validation an all-NLA_UNSPEC table refuses any attribute, with an extended
 * ACK message, instead of silently ignoring it.
 */
static const struct nla_policy snapfreeze_no_attrs_policy[SNAPFREEZE_A_MAX + 1] = { };

/*
 * GENL_ADMIN_PERM checks CAP_NET_ADMIN, but what this family controls is
 * filesystem freezing, a CAP_SYS_ADMIN operation (as FIFREEZE is). Both are
 * checked against the initial user namespace: the family is not visible in
 * other network namespaces, and a container's root must not freeze the
 * host's filesystems.
 */
static int snapfreeze_require_sys_admin(struct sk_buff *skb,
					struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	GENL_SET_ERR_MSG(info, "CAP_SYS_ADMIN is required");
	return -EPERM;
}

static u32 snapfreeze_features(void)
{
	return COMPAT_FREEZE_KERNEL_HOLDER ? SNAPFREEZE_FEATURE_KERNEL_HOLDER : 0;
}

static int snapfreeze_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = snapfreeze_require_sys_admin(skb, info);
	if (ret)
		return ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &snapfreeze_genl_family, 0,
				SNAPFREEZE_CMD_GET_STATUS);
	if (!hdr ||
	    nla_put_string(msg, SNAPFREEZE_A_STATUS_VERSION, SNAPFREEZE_VERSION) ||
	    nla_put_u32(msg, SNAPFREEZE_A_STATUS_FEATURES, snapfreeze_features())) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_ops snapfreeze_genl_ops[] = {
	{
		.cmd = SNAPFREEZE_CMD_GET_STATUS,
		.doit = snapfreeze_get_status,
		.policy = snapfreeze_no_attrs_policy,
		.maxattr = SNAPFREEZE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family snapfreeze_genl_family = {
	.name = SNAPFREEZE_GENL_NAME,
	.version = SNAPFREEZE_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = snapfreeze_genl_ops,
	.n_ops = ARRAY_SIZE(snapfreeze_genl_ops),
};

int __init snapfreeze_genl_init(void)
{
	return genl_register_family(&snapfreeze_genl_family);
}

void snapfreeze_genl_exit(void)
{
	genl_unregister_family(&snapfreeze_genl_family);
}
