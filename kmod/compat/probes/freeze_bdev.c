// SPDX-License-Identifier: GPL-2.0
/* freeze_bdev()/thaw_bdev() returning int: 5.11 to 6.7. */
#include <linux/blkdev.h>

int probe(struct block_device *bdev);
int probe(struct block_device *bdev)
{
	return freeze_bdev(bdev) ?: thaw_bdev(bdev);
}
