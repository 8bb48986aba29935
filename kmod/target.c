// SPDX-License-Identifier: GPL-2.0
/*
 * Resolving what userspace asked to freeze into superblocks, and freezing
 * and thawing one of them.
 */

#include "target.h"

#include <linux/namei.h>
#include <linux/percpu-rwsem.h>
#include <linux/slab.h>

/*
 * Refusals mark the path attribute: userspace names the target from it,
 * on every kernel, formatted extended ACK messages or not.
 */
int sf_target_resolve(struct sf_target *target, const struct nlattr *attr,
		      struct netlink_ext_ack *extack)
{
	const char *path = nla_data(attr);
	struct super_block *sb;
	struct path resolved;
	int ret;

	ret = kern_path(path, LOOKUP_FOLLOW, &resolved);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "cannot resolve the path");
		return ret;
	}
	/*
	 * A device node resolves to the filesystem holding /dev, not to the
	 * filesystem on that device, which would then be frozen instead.
	 */
	if (S_ISBLK(d_inode(resolved.dentry)->i_mode)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a block device: give the mount point of its filesystem");
		ret = -EINVAL;
		goto out;
	}
	sb = resolved.mnt->mnt_sb;
	/*
	 * A filesystem with its own ->freeze_super (gfs2: a freeze of the
	 * whole cluster) must not be frozen by the generic freeze_super(),
	 * which would bypass its protocol; it is refused by name rather than
	 * frozen wrongly.
	 */
	if (sb->s_op->freeze_super) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the filesystem freezes itself (its own freeze_super): not supported");
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (!sb->s_op->freeze_fs) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the filesystem does not support freezing");
		ret = -EOPNOTSUPP;
		goto out;
	}

	target->path = kstrdup(path, GFP_KERNEL);
	if (!target->path) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * The mount we hold keeps the superblock active, so the count cannot
	 * be zero here. Our own active reference keeps the filesystem alive
	 * if it is unmounted while frozen, until the session ends.
	 */
	atomic_inc(&sb->s_active);
	target->sb = sb;
	target->dev = sb->s_dev;
out:
	path_put(&resolved);
	return ret;
}

void sf_target_release(struct sf_target *target)
{
	if (target->sb)
		deactivate_super(target->sb);
	kfree(target->stored_on);
	kfree(target->path);
}

const char *sf_target_fstype(const struct sf_target *target)
{
	return target->sb->s_type->name;
}

/*
 * Taken by the freezer thread before the barrier of its level, and given
 * back just before freeze_super() takes it again. Writeback holds s_umount
 * shared while it writes a filesystem's inodes (up to 100 ms at a time),
 * and freeze_super() starts by taking it exclusively: a thread let go
 * while writeback ran entered its RCU grace period that much later, and
 * needed a later one than the others (traced with 16 busy writers: 25 to
 * 45 ms after the barrier, a grace period or two after the rest). Held
 * across the barrier, it keeps writeback off the filesystem (writeback
 * skips a filesystem whose s_umount it cannot try-lock) until the freeze.
 */
void sf_target_lock_for_freeze(struct sf_target *target)
{
	down_write(&target->sb->s_umount);
}

void sf_target_unlock_unfrozen(struct sf_target *target)
{
	up_write(&target->sb->s_umount);
}

/* Called with s_umount held by sf_target_lock_for_freeze(); gives it back. */
int sf_target_freeze(struct sf_target *target)
{
	sf_target_unlock_unfrozen(target);
	return freeze_super(target->sb, FREEZE_HOLDER_KERNEL, NULL);
}

/*
 * The writeback gate: a read hold of the target's page-fault level of
 * freeze protection. freeze_super() blocks new writes, waits for those in
 * flight, takes s_umount, and then waits for that level's holders before
 * it writes the filesystem back: the gate holds it there, s_umount held
 * (background writeback, which try-locks s_umount, skips the filesystem
 * too), until the gate opens. Page faults are not held: they are blocked
 * only once the freeze waits for the gate. False if the level could not be
 * taken at once (another freeze holds it: this freeze then fails).
 *
 * The hold belongs to the session, not to the task that took it, which
 * holds a whole level of targets (more than lockdep lets one task hold:
 * 48) across a wait: lockdep is told of it only while it is taken and
 * given back, as freeze_super() and thaw_super() do with theirs.
 */
static struct percpu_rw_semaphore *sf_target_gate(struct sf_target *target)
{
	return target->sb->s_writers.rw_sem + SB_FREEZE_PAGEFAULT - 1;
}

bool sf_target_close_writeback_gate(struct sf_target *target)
{
	struct percpu_rw_semaphore *gate = sf_target_gate(target);

	if (!percpu_down_read_trylock(gate))
		return false;
	percpu_rwsem_release(gate, _THIS_IP_);
	return true;
}

void sf_target_open_writeback_gate(struct sf_target *target)
{
	struct percpu_rw_semaphore *gate = sf_target_gate(target);

	percpu_rwsem_acquire(gate, true, _THIS_IP_);
	percpu_up_read(gate);
}

int sf_target_thaw(struct sf_target *target)
{
	return thaw_super(target->sb, FREEZE_HOLDER_KERNEL, NULL);
}
