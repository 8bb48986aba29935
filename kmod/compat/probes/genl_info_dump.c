// SPDX-License-Identifier: GPL-2.0
/* genl_info_dump(cb) replaced genl_dumpit_info(cb) in 6.6. */
#include <net/genetlink.h>

struct nlattr **probe(struct netlink_callback *cb);
struct nlattr **probe(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
