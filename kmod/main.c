// SPDX-License-Identifier: GPL-2.0
/*
 * snapfreeze: freezes a set of filesystems as one operation, for
 * application-consistent snapshots of virtual machines.
 */

#include <linux/module.h>

#include "netlink.h"
#include "session.h"
#include "spare.h"

static int __init snapfreeze_init(void)
{
	int ret;

	ret = sf_sessions_init();
	if (ret)
		return ret;
	sf_spares_init();
	ret = snapfreeze_genl_init();
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		goto err_sessions;
	}

	pr_info("version %s loaded\n", SNAPFREEZE_VERSION);
	return 0;

err_sessions:
	sf_sessions_exit();
	sf_spares_exit();
	return ret;
}

/* Nothing stays frozen: every session ends before the family goes away. */
static void __exit snapfreeze_exit(void)
{
	sf_sessions_shutdown();
	snapfreeze_genl_exit();
	sf_sessions_exit();
	sf_spares_exit();
	pr_info("unloaded\n");
}

module_init(snapfreeze_init);
module_exit(snapfreeze_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Atomic multi-filesystem freeze for consistent VM snapshots");
MODULE_AUTHOR("The snapfreeze authors");
MODULE_VERSION(SNAPFREEZE_VERSION);
MODULE_ALIAS_GENL_FAMILY(SNAPFREEZE_GENL_NAME);
