// SPDX-License-Identifier: GPL-2.0
/* Formatted extended ACK messages: 6.2 and later. */
#include <linux/netlink.h>

void probe(struct netlink_ext_ack *extack);
void probe(struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG_FMT(extack, "attribute %d", 1);
}
