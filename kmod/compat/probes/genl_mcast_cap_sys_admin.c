// SPDX-License-Identifier: GPL-2.0
/* A multicast group only CAP_SYS_ADMIN may join: a flag from 6.8 (6.1.176). */
#include <net/genetlink.h>

const struct genl_multicast_group probe_group;
const struct genl_multicast_group probe_group = {
	.name = "probe", .flags = GENL_MCAST_CAP_SYS_ADMIN,
};
