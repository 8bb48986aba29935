// SPDX-License-Identifier: GPL-2.0
/* freeze_super(sb, who): 6.6 to 6.15, kernel and userspace holds coexist. */
#include <linux/fs.h>

int probe(struct super_block *sb);
int probe(struct super_block *sb)
{
	return freeze_super(sb, FREEZE_HOLDER_KERNEL) ?:
	       thaw_super(sb, FREEZE_HOLDER_KERNEL);
}
