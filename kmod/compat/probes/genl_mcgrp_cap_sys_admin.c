// SPDX-License-Identifier: GPL-2.0
/* The same as a bitfield: 6.1.68 to 6.1.175. */
#include <net/genetlink.h>

const struct genl_multicast_group probe_group;
const struct genl_multicast_group probe_group = {
	.name = "probe", .cap_sys_admin = 1,
};
