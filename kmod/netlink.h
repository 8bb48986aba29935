/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_NETLINK_H
#define _SNAPFREEZE_NETLINK_H

#include <uapi/linux/snapfreeze.h>

struct sf_session;

int snapfreeze_genl_init(void);
void snapfreeze_genl_exit(void);
void snapfreeze_genl_notify(struct sf_session *session,
			    enum snapfreeze_event event);

#endif /* _SNAPFREEZE_NETLINK_H */
