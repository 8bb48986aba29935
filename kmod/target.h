/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_TARGET_H
#define _SNAPFREEZE_TARGET_H

#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/netlink.h>

struct sf_session;

/*
 * One filesystem of a session. What the request gave and the order are
 * set before freezing and never change after; the rest is under
 * session->lock.
 */
struct sf_target {
	struct sf_session *session;
	const char *path;		/* as requested */
	struct super_block *sb;		/* holds an active reference */
	dev_t dev;
	u32 *stored_on;			/* indexes of the targets holding it */
	unsigned int n_stored_on;
	unsigned int level;		/* frozen in increasing level order */
	/*
	 * Its thread, which freezes it and, once frozen, thaws it; with a
	 * task reference: unloading waits for it.
	 */
	struct task_struct *freezer;
	bool thaw_ordered;		/* set once, to wake it for its thaw */
	/* Only by its level's release, in the FREEZE request. */
	bool writeback_gated;

	/* Under session->lock. */
	bool freezer_started;		/* a freezer thread runs or ran for it */
	bool freeze_returned;		/* and is done, thawing included */
	bool frozen;
	bool thawing;			/* a thaw of it runs */
	bool stuck;			/* the session ended without it */
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
void sf_target_lock_for_freeze(struct sf_target *target);
void sf_target_unlock_unfrozen(struct sf_target *target);
int sf_target_freeze(struct sf_target *target);
bool sf_target_close_writeback_gate(struct sf_target *target);
void sf_target_open_writeback_gate(struct sf_target *target);
int sf_target_thaw(struct sf_target *target);

#endif /* _SNAPFREEZE_TARGET_H */
