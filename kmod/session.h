/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_SESSION_H
#define _SNAPFREEZE_SESSION_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <uapi/linux/snapfreeze.h>

#include "target.h"

extern unsigned int sf_default_timeout_ms;
extern unsigned int sf_max_timeout_ms;
extern unsigned int sf_max_targets;
extern unsigned int sf_min_keepalive_ms;
extern unsigned int sf_max_keepalive_ms;
extern unsigned int sf_stuck_after_ms;

struct sf_stats {
	atomic64_t sessions;
	atomic64_t watchdog_thaws;
	atomic64_t owner_thaws;
	atomic64_t keepalive_thaws;
	atomic64_t longest_freeze_ns;
};

extern struct sf_stats sf_stats;

/*
 * A set of targets frozen together. References: the creator's, and one
 * while it is listed (live). The last one frees it
 * from a work item, after cancelling the watchdog.
 */
struct sf_session {
	u64 id;
	struct list_head node;		/* under sf_sessions_lock */
	struct kref ref;
	u32 flags;			/* enum snapfreeze_freeze_flag */
	/*
	 * The socket that created it, held: a new socket can get the portid
	 * of one closing before that one's release is announced (URELEASE),
	 * and must not lose its sessions to it.
	 */
	struct sock *owner_sk;
	u32 owner_portid;
	pid_t owner_pid;
	u32 timeout_ms;
	u32 keepalive_ms;		/* 0: no keepalive */
	ktime_t requested_at;
	ktime_t deadline;
	/*
	 * Ends the session at its deadline, when a keepalive interval passes
	 * without a pet, or at once on teardown. The timer queues the work
	 * when a check is due: an hrtimer, since a timer-wheel timer a
	 * second or more away may fire an eighth of its delay late, and a
	 * filesystem would stay frozen that much past the deadline asked for.
	 */
	struct hrtimer watchdog_timer;
	struct work_struct watchdog;
	atomic_t teardown_reason;	/* 0: the deadline passed */
	struct work_struct release_work;
	/* Starts an expedited grace period before a level is let go. */
	struct work_struct expedited_gp;
	/* The levels frozen, by sf_session_levels_thread(), or not. */
	struct completion levels_done;
	atomic_t freezers_starting;	/* threads not yet at the barrier */
	struct completion freezers_go;	/* the barrier */
	/* Sent FROZEN: THAWED waits for it, never comes before it. */
	struct completion frozen_announced;

	/*
	 * Freezes and thaws running in threads, each holding a reference to
	 * the session and to the module: one that never returns keeps the
	 * module loaded (rmmod fails with EBUSY) rather than making anything
	 * wait for it. Every change is announced on changed.
	 */
	atomic_t freezes_running;
	atomic_t thaws_running;
	wait_queue_head_t changed;

	/*
	 * Guards the state and the targets' results. Never held across a
	 * freeze or a thaw, nor while allocating: reclaim may wait on a frozen
	 * filesystem.
	 */
	struct mutex lock;
	enum snapfreeze_state state;
	/*
	 * Set once the session is to end: a freezer that has not started
	 * does not, one that returns thaws at once, and no level follows.
	 */
	enum snapfreeze_reason end_reason;
	unsigned int max_level;
	ktime_t frozen_at;
	ktime_t last_pet;		/* the last KEEPALIVE, or frozen_at */
	ktime_t thawed_at;

	unsigned int n_targets;
	struct sf_target targets[];
};

struct sf_session *sf_session_alloc(unsigned int n_targets);
void sf_session_put(struct sf_session *session);
int sf_session_freeze(struct sf_session *session,
		      const struct nlattr **target_attrs,
		      struct netlink_ext_ack *extack);
void sf_session_frozen_announced(struct sf_session *session);
int sf_session_thaw(struct sf_session *session, enum snapfreeze_reason reason,
		    struct netlink_ext_ack *extack);
int sf_session_keepalive(struct sf_session *session, const struct sock *sk,
			 struct netlink_ext_ack *extack);
struct sf_session *sf_session_find(u64 id);
struct sf_session *sf_session_next(u64 min_id);
unsigned int sf_sessions_generation(void);
u64 sf_session_time_left_ms(const struct sf_session *session);
u64 sf_target_frozen_ns(const struct sf_target *target);
u64 sf_session_frozen_ns(const struct sf_session *session);
u64 sf_session_spread_ns(const struct sf_session *session);

unsigned int sf_sessions_thaw_all(enum snapfreeze_reason reason);
void sf_sessions_owner_gone(u32 portid);
int sf_sessions_init(void);
void sf_sessions_shutdown(void);
void sf_sessions_exit(void);

#endif /* _SNAPFREEZE_SESSION_H */
