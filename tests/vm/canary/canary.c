// SPDX-License-Identifier: GPL-2.0
/*
 * The test harness's self-check: a module that WARNs as it loads. Booted on
 * its own, it must panic the guest (panic_on_warn) and be reported by the
 * host, or a WARN from snapfreeze could go unnoticed.
 */
#include <linux/module.h>

static int __init canary_init(void)
{
	WARN(1, "snapfreeze test harness canary\n");
	return 0;
}

module_init(canary_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("snapfreeze test harness canary: WARNs when loaded");
