/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_TARGET_H
#define _SNAPFREEZE_TARGET_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/netlink.h>

struct sf_session;

/*
 * One filesystem of a session. Everything but the freeze and thaw results
 * is set when the target is resolved and never changes after.
 */
struct sf_target {
	struct sf_session *session;
	const char *path;		/* as requested */
	struct super_block *sb;		/* holds an active reference */
	dev_t dev;
	unsigned int level;		/* frozen in increasing level order */
	struct completion freezer_exited;

	/* Under session->lock. */
	bool frozen;
	bool no_freezer;		/* its freezer thread could not start */
	int freeze_error;
	int thaw_error;
	ktime_t freeze_start;		/* the instant writes start to be refused */
	ktime_t freeze_end;
	ktime_t thawed_at;
};

int sf_target_resolve(struct sf_target *target, const struct nlattr *attr,
		      struct netlink_ext_ack *extack);
void sf_target_release(struct sf_target *target);
const char *sf_target_fstype(const struct sf_target *target);
int sf_target_freeze(struct sf_target *target);
int sf_target_thaw(struct sf_target *target);

#endif /* _SNAPFREEZE_TARGET_H */
