/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_NETLINK_H
#define _SNAPFREEZE_NETLINK_H

int snapfreeze_genl_init(void);
void snapfreeze_genl_exit(void);

#endif /* _SNAPFREEZE_NETLINK_H */
