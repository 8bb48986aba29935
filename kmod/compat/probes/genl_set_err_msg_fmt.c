// SPDX-License-Identifier: GPL-2.0
/* Formatted extended ACK messages: 6.3 and later. */
#include <net/genetlink.h>

void probe(struct genl_info *info);
void probe(struct genl_info *info)
{
	GENL_SET_ERR_MSG_FMT(info, "attribute %d", 1);
}
