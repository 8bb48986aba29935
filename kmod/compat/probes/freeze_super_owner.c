// SPDX-License-Identifier: GPL-2.0
/* freeze_super(sb, who, owner): 6.16 and later. */
#include <linux/fs.h>

int probe(struct super_block *sb);
int probe(struct super_block *sb)
{
	return freeze_super(sb, FREEZE_HOLDER_KERNEL, NULL) ?:
	       thaw_super(sb, FREEZE_HOLDER_KERNEL, NULL);
}
