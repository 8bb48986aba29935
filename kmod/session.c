// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: freezing their targets concurrently, the watchdog that thaws
 * them, and every other way a session ends (THAW, owner gone, unload).
 */

#include "session.h"

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "netlink.h"
#include "spare.h"

unsigned int sf_default_timeout_ms = 60000;
unsigned int sf_max_timeout_ms = 600000;
unsigned int sf_max_targets = 64;
unsigned int sf_min_keepalive_ms = 100;
unsigned int sf_max_keepalive_ms = 60000;
unsigned int sf_stuck_after_ms = 3000;

/*
 * Writes to one module's parameters are serialised (its param_lock, and
 * loading is single-threaded), so a check against another parameter holds
 * until the next write, which is checked in turn.
 */
static int sf_param_set_bounded(const char *val, const struct kernel_param *kp,
				unsigned int min, unsigned int max)
{
	unsigned int value;
	int ret;

	ret = kstrtouint(val, 0, &value);
	if (ret)
		return ret;
	if (value < min || value > max) {
		pr_warn("%s: %u refused: outside %u..%u\n", kp->name, value, min, max);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, value);
	return 0;
}

/*
 * 0 would refuse every session: one that asks for no timeout, or, as
 * max_targets, any session at all.
 */
static int sf_param_set_positive(const char *val, const struct kernel_param *kp)
{
	return sf_param_set_bounded(val, kp, 1, UINT_MAX);
}

/*
 * The status shows these bounds to users: a minimum of 0 would promise an
 * interval of 0, which means no keepalive and is never taken as one.
 */
static int sf_param_set_min_keepalive(const char *val,
				      const struct kernel_param *kp)
{
	return sf_param_set_bounded(val, kp, 1, sf_max_keepalive_ms);
}

static int sf_param_set_max_keepalive(const char *val,
				      const struct kernel_param *kp)
{
	return sf_param_set_bounded(val, kp, sf_min_keepalive_ms, UINT_MAX);
}

static const struct kernel_param_ops sf_positive_param_ops = {
	.set = sf_param_set_positive,
	.get = param_get_uint,
};

static const struct kernel_param_ops sf_min_keepalive_param_ops = {
	.set = sf_param_set_min_keepalive,
	.get = param_get_uint,
};

static const struct kernel_param_ops sf_max_keepalive_param_ops = {
	.set = sf_param_set_max_keepalive,
	.get = param_get_uint,
};

module_param_cb(default_timeout_ms, &sf_positive_param_ops,
		&sf_default_timeout_ms, 0644);
MODULE_PARM_DESC(default_timeout_ms,
		 "Watchdog timeout of a session that asks for none (ms, at least 1, default 60000)");

module_param_cb(max_timeout_ms, &sf_positive_param_ops, &sf_max_timeout_ms, 0644);
MODULE_PARM_DESC(max_timeout_ms,
		 "Longest watchdog timeout a session may ask for (ms, at least 1, default 600000)");

module_param_cb(max_targets, &sf_positive_param_ops, &sf_max_targets, 0644);
MODULE_PARM_DESC(max_targets, "Most filesystems in one session (at least 1, default 64)");

module_param_cb(min_keepalive_ms, &sf_min_keepalive_param_ops,
		&sf_min_keepalive_ms, 0644);
MODULE_PARM_DESC(min_keepalive_ms,
		 "Shortest keepalive interval a session may ask for (ms, 1 to max_keepalive_ms, default 100)");

module_param_cb(max_keepalive_ms, &sf_max_keepalive_param_ops,
		&sf_max_keepalive_ms, 0644);
MODULE_PARM_DESC(max_keepalive_ms,
		 "Longest keepalive interval a session may ask for (ms, at least min_keepalive_ms, default 60000)");

module_param_cb(stuck_after_ms, &sf_positive_param_ops, &sf_stuck_after_ms, 0644);
MODULE_PARM_DESC(stuck_after_ms,
		 "How long a session that ends waits for its freezes and thaws still running before it ends without them (ms, at least 1, default 3000)");

struct sf_stats sf_stats;

/*
 * For the watchdog and for freeing sessions. With a rescuer, so the watchdog
 * runs even when memory is short: a frozen filesystem can hold up
 * writeback, and with it reclaim.
 */
static struct workqueue_struct *sf_wq;

static DEFINE_MUTEX(sf_sessions_lock);
static LIST_HEAD(sf_sessions);
static u64 sf_last_id;
/*
 * Changes whenever a session joins or leaves the list, under
 * sf_sessions_lock: a dump that saw it change is marked interrupted. Never
 * 0, which netlink takes for "not checked".
 */
static unsigned int sf_generation = 1;
static bool sf_shutting_down;

static void sf_generation_bump(void)
{
	lockdep_assert_held(&sf_sessions_lock);
	WRITE_ONCE(sf_generation, sf_generation + 1 ?: 1);
}

/* Read without the lock: a dump compares two readings. */
unsigned int sf_sessions_generation(void)
{
	return READ_ONCE(sf_generation);
}

static void sf_thread_forget(struct task_struct **thread, bool stop)
{
	if (!*thread)
		return;
	if (stop)
		kthread_stop(*thread);
	put_task_struct(*thread);
	*thread = NULL;
}

static void sf_session_release_work(struct work_struct *work)
{
	struct sf_session *session =
		container_of(work, struct sf_session, release_work);
	unsigned int i;

	/*
	 * The session has ended (the list's reference is dropped only then)
	 * or never started, and the watchdog of an ended session arms
	 * nothing: once the timer is cancelled, cancel_work_sync() catches
	 * the last check it may have queued.
	 */
	hrtimer_cancel(&session->watchdog_timer);
	cancel_work_sync(&session->watchdog);
	for (i = 0; i < session->n_targets; i++) {
		sf_thread_forget(&session->targets[i].freezer, false);
		sf_target_release(&session->targets[i]);
	}
	if (session->owner_sk)
		sock_put(session->owner_sk);
	kfree(session);
}

static void sf_session_release(struct kref *ref)
{
	struct sf_session *session = container_of(ref, struct sf_session, ref);

	/* The watchdog itself may drop the last reference. */
	queue_work(sf_wq, &session->release_work);
}

void sf_session_put(struct sf_session *session)
{
	kref_put(&session->ref, sf_session_release);
}

static void sf_note_frozen_ns(u64 ns)
{
	s64 longest = atomic64_read(&sf_stats.longest_freeze_ns);

	while (ns > longest) {
		s64 seen = atomic64_cmpxchg(&sf_stats.longest_freeze_ns,
					    longest, ns);
		if (seen == longest)
			break;
		longest = seen;
	}
}

/*
 * A spare thread (spare.c) to run fn(data), not yet woken, with a task
 * reference. Real-time, at the lowest priority: let go at the barrier,
 * every thread runs at once instead of queueing behind the writers it is
 * about to stop, which can hold every CPU (traced with 16 busy writers on
 * 2 CPUs: up to 23 ms from the barrier to running, 0.5 ms real-time). The
 * threads mostly sleep (grace periods, the writes in flight, the
 * writeback), and so do the thaws.
 */
static struct task_struct *sf_thread_get_rt(int (*fn)(void *), void *data)
{
	struct task_struct *thread = sf_spare_thread_get(fn, data);

	if (!IS_ERR(thread))
		sched_set_fifo_low(thread);
	return thread;
}

/*
 * A target's thread holds a reference to its session until it exits, and
 * one to the module while it freezes or thaws: a freeze or a thaw that
 * never returns keeps the module loaded (rmmod fails with EBUSY) instead
 * of making anything wait for it. The last module reference is dropped by
 * the kernel, once our code has run.
 */
static struct task_struct *sf_thread_create(int (*fn)(void *),
					    struct sf_target *target)
{
	struct sf_session *session = target->session;
	struct task_struct *thread;

	__module_get(THIS_MODULE);
	kref_get(&session->ref);
	thread = sf_thread_get_rt(fn, target);
	if (IS_ERR(thread)) {
		sf_session_put(session);
		module_put(THIS_MODULE);
	}
	return thread;
}

static void __noreturn sf_thread_exit(struct sf_session *session)
{
	sf_session_put(session);
	module_put_and_kthread_exit(0);
}

/* Without session->lock, once target->thawing is set. */
static void sf_target_thaw_now(struct sf_target *target)
{
	struct sf_session *session = target->session;
	int ret = sf_target_thaw(target);

	mutex_lock(&session->lock);
	target->thaw_error = ret;
	target->thawed_at = ktime_get();
	target->thawing = false;
	sf_note_frozen_ns(sf_target_frozen_ns(target));
	mutex_unlock(&session->lock);
	if (ret)
		pr_warn("session %llu: %s: thaw failed: %d\n", session->id,
			target->path, ret);
}

/*
 * Thaws every frozen target at once, the targets others are stored on
 * first: a thaw may wait on another (a loop-backed filesystem writes
 * through to its image on a target still frozen), so none may wait behind
 * another. Each is thawed by its freezer thread, parked since its freeze
 * without a module reference: creating a thread per thaw would wait on
 * kthreadd once per target, and the last target would thaw that much
 * later. The reference the thaw holds is taken here, on the thread's
 * behalf, by code the module cannot leave yet (a request, the watchdog,
 * or the unload itself, which then waits for the thread to exit).
 */
static void sf_session_thaw_frozen(struct sf_session *session)
{
	struct sf_target *target;
	unsigned int level, i;
	bool thaw;

	for (level = session->max_level + 1; level-- > 0;) {
		for (i = 0; i < session->n_targets; i++) {
			target = &session->targets[i];
			if (target->level != level)
				continue;
			mutex_lock(&session->lock);
			thaw = target->frozen;
			if (thaw) {
				target->frozen = false;
				target->thawing = true;
			}
			mutex_unlock(&session->lock);
			if (!thaw)
				continue;
			atomic_inc(&session->thaws_running);
			__module_get(THIS_MODULE);
			WRITE_ONCE(target->thaw_ordered, true);
			wake_up_process(target->freezer);
		}
	}
}

/* Under session->lock: a freeze or thaw of target still runs. */
static bool sf_target_running(const struct sf_target *target)
{
	return target->thawing ||
	       (target->freezer_started && !target->freeze_returned);
}

/*
 * Unloading waits for every thread of the session to be out of our code:
 * the module's text goes once it returns. A thread that holds the module
 * would have refused the unload, so the threads left are the frozen
 * targets', parked without a reference and woken just before to thaw, and
 * freezers started while it unloads, which find the session ending and
 * skip their freeze.
 */
static void sf_session_wait_threads(struct sf_session *session)
{
	unsigned int i;

	wait_event(session->changed,
		   !atomic_read(&session->freezes_running) &&
		   !atomic_read(&session->thaws_running));
	for (i = 0; i < session->n_targets; i++)
		sf_thread_forget(&session->targets[i].freezer, true);
}

/*
 * Ends the session, once: called by whoever moved it to THAWING, or for a
 * session still freezing by its FREEZE request, with end_reason set, so a
 * freeze that returns from now on thaws at once. Freezes and thaws still
 * running after stuck_after_ms are marked stuck, and the session ends
 * without them: each is thawed when it returns. Outside session->lock,
 * as is every allocation (the THAWED event).
 */
static void sf_session_end(struct sf_session *session)
{
	long grace = msecs_to_jiffies(READ_ONCE(sf_stuck_after_ms));
	enum snapfreeze_reason reason;
	unsigned int i;

	sf_session_thaw_frozen(session);
	if (READ_ONCE(sf_shutting_down))
		sf_session_wait_threads(session);
	wait_event_timeout(session->changed,
			   !atomic_read(&session->freezes_running) &&
			   !atomic_read(&session->thaws_running), grace);

	mutex_lock(&session->lock);
	for (i = 0; i < session->n_targets; i++) {
		struct sf_target *target = &session->targets[i];

		target->stuck = sf_target_running(target);
		if (target->stuck)
			pr_warn("session %llu: %s: still %s when the session ended; thawed once that returns\n",
				session->id, target->path,
				target->thawing ? "thawing" : "freezing");
	}
	reason = session->end_reason;
	session->thawed_at = ktime_get();
	WRITE_ONCE(session->state, SNAPFREEZE_STATE_THAWED);
	mutex_unlock(&session->lock);

	mutex_lock(&sf_sessions_lock);
	list_del_init(&session->node);
	sf_generation_bump();
	mutex_unlock(&sf_sessions_lock);

	if (reason == SNAPFREEZE_REASON_WATCHDOG)
		atomic64_inc(&sf_stats.watchdog_thaws);
	else if (reason == SNAPFREEZE_REASON_OWNER_GONE)
		atomic64_inc(&sf_stats.owner_thaws);
	else if (reason == SNAPFREEZE_REASON_KEEPALIVE_MISSED)
		atomic64_inc(&sf_stats.keepalive_thaws);

	/* The FROZEN event goes out from the FREEZE request: never after this. */
	if (session->frozen_at)
		wait_for_completion(&session->frozen_announced);
	snapfreeze_genl_notify(session, SNAPFREEZE_EVENT_THAWED);
	hrtimer_try_to_cancel(&session->watchdog_timer);
	wake_up_all(&session->changed);
	sf_spares_refill();
	sf_session_put(session);	/* the list's reference */
}

/*
 * Ends the session whatever its state, releasing session->lock, and
 * returns once it has ended; false if something else ended it. A session
 * still freezing is ended by its FREEZE request as soon as its running
 * freezes return (or are stuck), so nothing of it is, or will be, frozen
 * when this returns.
 */
static bool sf_session_teardown_unlock(struct sf_session *session,
				       enum snapfreeze_reason reason)
	__releases(&session->lock)
{
	bool ours = false, end_here = false;

	lockdep_assert_held(&session->lock);
	switch (session->state) {
	case SNAPFREEZE_STATE_FREEZING:
		ours = !session->end_reason;
		if (ours)
			WRITE_ONCE(session->end_reason, reason);
		break;
	case SNAPFREEZE_STATE_FROZEN:
		WRITE_ONCE(session->state, SNAPFREEZE_STATE_THAWING);
		WRITE_ONCE(session->end_reason, reason);
		ours = true;
		end_here = true;
		break;
	default:
		break;
	}
	mutex_unlock(&session->lock);

	if (end_here) {
		sf_session_end(session);
		return true;
	}
	wake_up_all(&session->changed);
	wait_event(session->changed,
		   READ_ONCE(session->state) == SNAPFREEZE_STATE_THAWED);
	return ours;
}

static bool sf_session_teardown(struct sf_session *session,
				enum snapfreeze_reason reason)
{
	mutex_lock(&session->lock);
	return sf_session_teardown_unlock(session, reason);
}

/* The watchdog's check, as soon as the workqueue runs it. */
static void sf_session_check_now(struct sf_session *session)
{
	queue_work(sf_wq, &session->watchdog);
}

/* Hard interrupt context: the check itself takes session->lock. */
static enum hrtimer_restart sf_session_watchdog_fire(struct hrtimer *timer)
{
	sf_session_check_now(container_of(timer, struct sf_session,
					  watchdog_timer));
	return HRTIMER_NORESTART;
}

/*
 * The next check, at AT: replaces the one armed before. A check asked for
 * at once (an owner-gone teardown, an expired pet) is queued directly, so
 * arming the timer never postpones it.
 */
static void sf_session_arm_watchdog(struct sf_session *session, ktime_t at)
{
	hrtimer_start(&session->watchdog_timer, at, HRTIMER_MODE_ABS);
}

/*
 * Under session->lock: why the watchdog ends the session now, or 0 after
 * arming it for the next check. The keepalive interval counts from the
 * moment every target is frozen: no KEEPALIVE can come before the FREEZE
 * reply, so while freezing the watchdog only looks again an interval later.
 */
static enum snapfreeze_reason sf_session_expired(struct sf_session *session)
{
	ktime_t now = ktime_get();
	ktime_t next;

	lockdep_assert_held(&session->lock);
	if (session->state == SNAPFREEZE_STATE_THAWED ||
	    session->state == SNAPFREEZE_STATE_THAWING)
		return 0;
	if (ktime_compare(now, session->deadline) >= 0)
		return SNAPFREEZE_REASON_WATCHDOG;
	if (session->state == SNAPFREEZE_STATE_FROZEN) {
		next = ktime_add_ms(session->last_pet, session->keepalive_ms);
		if (ktime_compare(now, next) >= 0)
			return SNAPFREEZE_REASON_KEEPALIVE_MISSED;
	} else {
		next = ktime_add_ms(now, session->keepalive_ms);
	}
	sf_session_arm_watchdog(session, min(next, session->deadline));
	return 0;
}

/*
 * The decision and the start of the teardown are one step under
 * session->lock: a KEEPALIVE that succeeded was never followed by a
 * keepalive-missed thaw.
 */
static void sf_session_watchdog(struct work_struct *work)
{
	struct sf_session *session =
		container_of(work, struct sf_session, watchdog);
	enum snapfreeze_reason reason = atomic_read(&session->teardown_reason);

	mutex_lock(&session->lock);
	if (!reason)
		reason = session->keepalive_ms ? sf_session_expired(session) :
						 SNAPFREEZE_REASON_WATCHDOG;
	if (!reason) {
		mutex_unlock(&session->lock);
		return;
	}
	sf_session_teardown_unlock(session, reason);
}

/*
 * A frozen target's thread waits for its thaw without the module
 * reference it froze with, so that unloading, which thaws every session,
 * is not refused while a session is frozen. It may still run our code:
 * unloading waits for it to exit, after ordering its thaw like any other
 * end of the session (sf_session_thaw_frozen() gives it the reference its
 * exit drops). Idle, not uninterruptible: a freeze may last minutes, and
 * the hung-task detector would report the wait.
 */
static void sf_target_park_until_thaw(struct sf_target *target)
{
	for (;;) {
		set_current_state(TASK_IDLE);
		if (READ_ONCE(target->thaw_ordered))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * One thread per target, all started before any is let go: a workqueue
 * would start them one after another, each freeze that sleeps making it
 * create the next worker, and the spread would be the sum of those starts;
 * spares, so that starting them waits for no thread to be made.
 * A session ended at the barrier or between levels freezes nothing more;
 * one ended while this freeze ran has it thawed at once. A target frozen
 * is thawed by this same thread when the session ends.
 */
static int sf_target_freeze_thread(void *data)
{
	struct sf_target *target = data;
	struct sf_session *session = target->session;
	bool ended, thaw = false, frozen = false;
	ktime_t start, end;
	int ret;

	sf_target_lock_for_freeze(target);
	if (atomic_dec_and_test(&session->freezers_starting))
		wake_up_all(&session->changed);
	wait_for_completion(&session->freezers_go);

	ended = READ_ONCE(session->end_reason);
	if (!ended) {
		start = ktime_get();
		ret = sf_target_freeze(target);
		end = ktime_get();
	} else {
		sf_target_unlock_unfrozen(target);
	}

	mutex_lock(&session->lock);
	target->freeze_returned = true;
	if (!ended) {
		target->freeze_start = start;
		target->freeze_end = end;
		target->freeze_error = ret;
		/* A failed freeze fails the session: the others go no further. */
		if (ret && !session->end_reason)
			WRITE_ONCE(session->end_reason, SNAPFREEZE_REASON_ERROR);
		thaw = !ret && session->end_reason;
		frozen = !ret && !thaw;
		target->frozen = frozen;
		target->thawing = thaw;
	}
	mutex_unlock(&session->lock);
	if (thaw)
		sf_target_thaw_now(target);
	/* Before the freeze counts as returned: rmmod may follow the reply. */
	if (frozen)
		module_put(THIS_MODULE);

	atomic_dec(&session->freezes_running);
	wake_up_all(&session->changed);
	if (!frozen)
		sf_thread_exit(session);

	sf_target_park_until_thaw(target);
	sf_target_thaw_now(target);
	atomic_dec(&session->thaws_running);
	wake_up_all(&session->changed);
	sf_thread_exit(session);
}

/* Starts an expedited grace period: sf_session_wait_expedited_gp_running(). */
static void sf_session_expedited_gp(struct work_struct *work)
{
	synchronize_rcu_expedited();
}

struct sf_session *sf_session_alloc(unsigned int n_targets)
{
	struct sf_session *session;
	unsigned int i;

	session = kzalloc(struct_size(session, targets, n_targets), GFP_KERNEL);
	if (!session)
		return NULL;
	kref_init(&session->ref);
	INIT_LIST_HEAD(&session->node);
	mutex_init(&session->lock);
	INIT_WORK(&session->watchdog, sf_session_watchdog);
	hrtimer_setup(&session->watchdog_timer, sf_session_watchdog_fire,
		      CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	INIT_WORK(&session->release_work, sf_session_release_work);
	INIT_WORK(&session->expedited_gp, sf_session_expedited_gp);
	init_completion(&session->levels_done);
	init_completion(&session->freezers_go);
	init_completion(&session->frozen_announced);
	init_waitqueue_head(&session->changed);
	session->state = SNAPFREEZE_STATE_FREEZING;
	session->n_targets = n_targets;
	for (i = 0; i < n_targets; i++)
		session->targets[i].session = session;
	return session;
}

static bool sf_sb_in_a_session(struct super_block *sb)
{
	struct sf_session *other;
	unsigned int i;

	lockdep_assert_held(&sf_sessions_lock);
	list_for_each_entry(other, &sf_sessions, node)
		for (i = 0; i < other->n_targets; i++)
			if (other->targets[i].sb == sb)
				return true;
	return false;
}

static int sf_session_register(struct sf_session *session,
			       const struct nlattr **target_attrs,
			       struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&sf_sessions_lock);
	if (sf_shutting_down) {
		NL_SET_ERR_MSG(extack, "the module is being unloaded");
		ret = -ESHUTDOWN;
		goto out;
	}
	for (i = 0; i < session->n_targets; i++) {
		struct super_block *sb = session->targets[i].sb;

		if (sf_sb_in_a_session(sb)) {
			NL_SET_ERR_MSG_ATTR(extack, target_attrs[i],
					    "the filesystem is part of another session");
			ret = -EBUSY;
			goto out;
		}
		if (READ_ONCE(sb->s_writers.frozen) != SB_UNFROZEN) {
			NL_SET_ERR_MSG_ATTR(extack, target_attrs[i],
					    "the filesystem is frozen already");
			ret = -EBUSY;
			goto out;
		}
	}
	/*
	 * The times come before the session is listed: a GET or a dump may
	 * find it at once. The watchdog counts from here.
	 */
	session->requested_at = ktime_get();
	session->deadline = ktime_add_ms(session->requested_at,
					 session->timeout_ms);
	session->id = ++sf_last_id;
	kref_get(&session->ref);
	list_add_tail(&session->node, &sf_sessions);
	sf_generation_bump();
	atomic64_inc(&sf_stats.sessions);
out:
	mutex_unlock(&sf_sessions_lock);
	return ret;
}

/*
 * Each freeze blocks new writes once an RCU grace period has passed since
 * it began (percpu_down_write() of the first level). Threads let go while
 * no grace period runs start one with the first of them, and those a
 * moment later need the next: traced with 16 busy writers on 2 CPUs, the
 * filesystems then stopped taking writes a whole grace period (tens of
 * milliseconds) apart. Let go while one runs, the threads that enter
 * before it ends all need the same next one (it still ends first in some
 * runs, and the cut then straddles two). Returns once a grace period has
 * started (or ended) since the call, or the session was told to end; it
 * polls, for at most the time the grace-period kthread takes to be
 * scheduled. For a level whose grace periods stay normal: one of few
 * threads (sf_session_level_needs_expedited()).
 */
static void sf_session_wait_grace_period_running(struct sf_session *session)
{
	unsigned long cookie = start_poll_synchronize_rcu();

	while (get_state_synchronize_rcu() == cookie &&
	       !poll_state_synchronize_rcu(cookie) &&
	       !READ_ONCE(session->end_reason))
		usleep_range(20, 50);
}

/*
 * Whether every target of the level is past the first level of its freeze
 * (it stopped taking writes, and those in flight are done). Read without
 * locks: a freeze only moves forward, and one that failed or was thawed
 * since has ended the session.
 */
static bool sf_session_level_writes_blocked(struct sf_session *session,
					    unsigned int level)
{
	unsigned int i;

	for (i = 0; i < session->n_targets; i++) {
		struct sf_target *target = &session->targets[i];

		if (target->level == level &&
		    READ_ONCE(target->sb->s_writers.frozen) < SB_FREEZE_PAGEFAULT)
			return false;
	}
	return true;
}

/*
 * Each freeze blocks new writes once the RCU grace period of its first
 * level has passed, and a thread waiting for it in synchronize_rcu() is
 * woken by whoever ends that grace period. Newer kernels (rcutree's
 * rcu_normal_wake_from_gp, on by default on machines of up to 16 CPUs)
 * have the grace-period kthread wake five waiters and a kworker of
 * normal priority the others: traced on 7.3 with 16 busy writers on 2
 * CPUs, 11 threads were woken 6 to 49 ms after the first 5, and their
 * filesystems stopped taking writes that much later. An expedited grace
 * period wakes all its waiters at once (traced: within 0.4 to 2.5 ms, 13
 * once when the threads straddled two of them, which letting them go
 * while one runs now avoids: sf_session_wait_expedited_gp_running()).
 * Before that, with 4 light writers on 7.3, new writes were blocked
 * 2.13 ms apart expedited, median of 5, against 0.52 ms when all waited
 * for the same normal grace period. So a level of more threads than the
 * kthread wakes is let go with grace periods expedited, and a smaller one
 * is not.
 */
#define SF_GP_KTHREAD_WAKES 5

static unsigned int sf_session_level_threads(struct sf_session *session,
					     unsigned int level)
{
	unsigned int i, threads = 0;

	for (i = 0; i < session->n_targets; i++)
		if (session->targets[i].level == level)
			threads++;
	return threads;
}

static bool sf_session_level_needs_expedited(struct sf_session *session,
					     unsigned int level)
{
	return sf_session_level_threads(session, level) > SF_GP_KTHREAD_WAKES;
}

/*
 * Under heavy writers, a freeze that stopped taking writes early goes on to
 * write its filesystem back while the others still wait for their writes
 * in flight, and its writeback takes the CPUs those writes need: with 64
 * busy writers on 2 CPUs (make bench), the last write in flight took up
 * to 1.4 s to finish, and the writers saw the cut spread that much (0.4 s
 * with the writeback gated, the CPU time of the writes in flight). So the
 * level's writeback waits behind its gates until every target of the level
 * stopped taking writes and the writes in flight are done, its freezes
 * returned (a failure), or the session was told to end; for at most
 * SF_WRITEBACK_GATE_MS, should a write in flight wait for writeback the
 * gates hold up (dirty throttling).
 */
#define SF_WRITEBACK_GATE_MS 1000

static void sf_session_close_writeback_gates(struct sf_session *session,
					     unsigned int level)
{
	unsigned int i;

	for (i = 0; i < session->n_targets; i++) {
		struct sf_target *target = &session->targets[i];

		if (target->level == level)
			target->writeback_gated =
				sf_target_close_writeback_gate(target);
	}
}

static void sf_session_open_writeback_gates(struct sf_session *session,
					    unsigned int level)
{
	unsigned int i;

	for (i = 0; i < session->n_targets; i++) {
		struct sf_target *target = &session->targets[i];

		if (target->level == level && target->writeback_gated) {
			sf_target_open_writeback_gate(target);
			target->writeback_gated = false;
		}
	}
}

/*
 * Nothing is woken when a freeze moves past its first level: checked at
 * each event of the session and every jiffy.
 */
static void sf_session_wait_writes_blocked(struct sf_session *session,
					   unsigned int level)
{
	unsigned long until = jiffies + msecs_to_jiffies(SF_WRITEBACK_GATE_MS);

	while (!wait_event_timeout(session->changed,
				   sf_session_level_writes_blocked(session, level) ||
				   !atomic_read(&session->freezes_running) ||
				   READ_ONCE(session->end_reason), 1) &&
	       time_before(jiffies, until))
		;
}

/*
 * Expedited, the first thread to enter its grace period starts one at
 * once, in its own context, and the threads a moment later need the next,
 * which starts only once RCU's expedited worker, of normal priority, has
 * run the first: traced on 7.3 with 16 busy writers on 2 CPUs, new writes
 * were then blocked 26 to 31 ms apart, in 2 runs of 3. So the level is let
 * go once an expedited grace period runs, started if none does by a work
 * item of high priority: every thread then waits for the same next one.
 * Returns once one runs or has ended since the call (the threads then
 * start the next together, mostly), the work item has returned (a kernel
 * booted with rcupdate.rcu_normal has no expedited grace periods), or the
 * session was told to end; polls, for at most the time the work item
 * takes to be scheduled.
 * rcu_exp_batches_completed() is the expedited grace periods' sequence,
 * odd while one runs (its low bits, RCU_SEQ_STATE_MASK, are its state).
 */
#define SF_RCU_SEQ_STATE_MASK 0x3

static void sf_session_wait_expedited_gp_running(struct sf_session *session)
{
	unsigned long seq = rcu_exp_batches_completed();
	unsigned long now = seq;

	queue_work(system_highpri_wq, &session->expedited_gp);
	while (!(now & SF_RCU_SEQ_STATE_MASK) && now == seq &&
	       work_busy(&session->expedited_gp) &&
	       !READ_ONCE(session->end_reason)) {
		usleep_range(20, 50);
		now = rcu_exp_batches_completed();
	}
}

/*
 * Lets the level's threads go, with their writeback gated if the level has
 * more than one target (one has nothing to wait for). rcu_expedite_gp()
 * makes every synchronize_rcu() of the machine expedited, as suspend does,
 * so only as long as the gates stay closed (tens of milliseconds). A kernel
 * booted with rcupdate.rcu_normal keeps normal grace periods.
 */
static void sf_session_release_level(struct sf_session *session,
				     unsigned int level)
{
	bool expedite = sf_session_level_needs_expedited(session, level);
	bool gate = sf_session_level_threads(session, level) > 1;

	if (gate)
		sf_session_close_writeback_gates(session, level);
	if (expedite) {
		rcu_expedite_gp();
		sf_session_wait_expedited_gp_running(session);
	} else {
		sf_session_wait_grace_period_running(session);
	}
	complete_all(&session->freezers_go);
	if (expedite || gate)
		sf_session_wait_writes_blocked(session, level);
	if (expedite) {
		rcu_unexpedite_gp();
		flush_work(&session->expedited_gp);
	}
	if (gate)
		sf_session_open_writeback_gates(session, level);
}

static void sf_session_freeze_level(struct sf_session *session,
				    unsigned int level)
{
	struct task_struct *thread;
	struct sf_target *target;
	unsigned int i;

	reinit_completion(&session->freezers_go);
	atomic_set(&session->freezers_starting, 1);
	for (i = 0; i < session->n_targets; i++) {
		target = &session->targets[i];
		if (target->level != level)
			continue;
		atomic_inc(&session->freezers_starting);
		atomic_inc(&session->freezes_running);
		thread = sf_thread_create(sf_target_freeze_thread, target);
		mutex_lock(&session->lock);
		if (IS_ERR(thread)) {
			/* The others then freeze nothing: the freeze has failed. */
			target->freeze_error = PTR_ERR(thread);
			target->no_freezer = true;
			if (!session->end_reason)
				WRITE_ONCE(session->end_reason,
					   SNAPFREEZE_REASON_ERROR);
		} else {
			target->freezer_started = true;
		}
		mutex_unlock(&session->lock);
		if (IS_ERR(thread)) {
			atomic_dec(&session->freezers_starting);
			atomic_dec(&session->freezes_running);
		} else {
			target->freezer = thread;
			wake_up_process(thread);
		}
	}
	/*
	 * Every thread is at the barrier, its filesystem's s_umount held:
	 * let them all go at once. A thread that cannot take it (another
	 * task holds it for as long as it likes) holds the barrier until the
	 * session is ended; it then freezes nothing, and is stuck until it
	 * gets the lock.
	 */
	if (!atomic_dec_and_test(&session->freezers_starting))
		wait_event(session->changed,
			   !atomic_read(&session->freezers_starting) ||
			   READ_ONCE(session->end_reason));
	sf_session_release_level(session, level);
}

/* Under session->lock, once ended: why the freeze did not complete. */
static int sf_session_freeze_error(struct sf_session *session,
				   const struct nlattr **target_attrs,
				   struct netlink_ext_ack *extack)
{
	struct sf_target *target;
	unsigned int i;

	lockdep_assert_held(&session->lock);
	for (i = 0; i < session->n_targets; i++) {
		target = &session->targets[i];
		if (target->no_freezer) {
			NL_SET_ERR_MSG_ATTR(extack, target_attrs[i],
					    "no thread could be started to freeze the filesystem");
			return target->freeze_error;
		}
		if (target->freeze_error) {
			NL_SET_ERR_MSG_ATTR(extack, target_attrs[i],
					    "the filesystem could not be frozen");
			return target->freeze_error;
		}
	}
	for (i = 0; i < session->n_targets; i++) {
		if (session->targets[i].stuck) {
			NL_SET_ERR_MSG_ATTR(extack, target_attrs[i],
					    "stuck: still freezing when the session ended (thawed once its freeze returns)");
			break;
		}
	}
	switch (session->end_reason) {
	case SNAPFREEZE_REASON_WATCHDOG:
		if (i == session->n_targets)
			NL_SET_ERR_MSG(extack,
				       "the timeout passed before every target was frozen");
		return -ETIMEDOUT;
	case SNAPFREEZE_REASON_MODULE_UNLOAD:
		if (i == session->n_targets)
			NL_SET_ERR_MSG(extack, "the module is being unloaded");
		return -ESHUTDOWN;
	case SNAPFREEZE_REASON_REQUEST:
		if (i == session->n_targets)
			NL_SET_ERR_MSG(extack,
				       "a THAW request ended the session before every target was frozen");
		return -ECANCELED;
	case SNAPFREEZE_REASON_OWNER_GONE:
		if (i == session->n_targets)
			NL_SET_ERR_MSG(extack,
				       "the owner's socket closed before every target was frozen");
		return -ECONNRESET;
	default:
		if (i == session->n_targets)
			NL_SET_ERR_MSG(extack,
				       "the session ended before every target was frozen");
		return -ECANCELED;
	}
}

/*
 * Under session->lock, once a level's freezes returned or the session was
 * told to end: false if the session is to end. After the last level, the
 * session becomes FROZEN in the same step as that check.
 */
static bool sf_session_level_done(struct sf_session *session,
				  unsigned int level)
{
	lockdep_assert_held(&session->lock);
	if (session->end_reason)
		return false;
	if (level == session->max_level) {
		session->frozen_at = ktime_get();
		session->last_pet = session->frozen_at;
		WRITE_ONCE(session->state, SNAPFREEZE_STATE_FROZEN);
	}
	return true;
}

/*
 * A level waits for its freezes, or for the session to be ended (its
 * deadline, THAW, the owner gone, unload): a freeze that never returns
 * does not hold the request.
 */
static void sf_session_freeze_levels(struct sf_session *session)
{
	unsigned int level;
	bool going = true;

	for (level = 0; going && level <= session->max_level; level++) {
		if (READ_ONCE(session->end_reason))
			break;
		sf_session_freeze_level(session, level);
		wait_event(session->changed,
			   !atomic_read(&session->freezes_running) ||
			   READ_ONCE(session->end_reason));
		mutex_lock(&session->lock);
		going = sf_session_level_done(session, level);
		mutex_unlock(&session->lock);
	}
}

/*
 * The levels are frozen from a real-time thread, not from the request's
 * own task: of normal priority, under busy writers it waited for a CPU at
 * each step, as each thread it woke took its CPU and each wait gave it up
 * (traced with 64 writers on 2 CPUs: 0.1 to 0.6 s from waking the first
 * thread to the last, and 60 to 80 ms more before the level was let go).
 * The request holds the session and the module meanwhile: the thread
 * tells it from the kernel's code, once ours has run.
 */
static int sf_session_levels_thread(void *data)
{
	struct sf_session *session = data;

	sf_session_freeze_levels(session);
	kthread_complete_and_exit(&session->levels_done, 0);
}

int sf_session_freeze(struct sf_session *session,
		      const struct nlattr **target_attrs,
		      struct netlink_ext_ack *extack)
{
	struct task_struct *thread;
	int ret;

	ret = sf_session_register(session, target_attrs, extack);
	if (ret)
		return ret;

	/* Armed before the first freeze: even a freeze that hangs is bounded. */
	if (session->keepalive_ms && session->keepalive_ms < session->timeout_ms)
		sf_session_arm_watchdog(session,
					ktime_add_ms(session->requested_at,
						     session->keepalive_ms));
	else
		sf_session_arm_watchdog(session, session->deadline);

	/* Without a thread, from the request itself: only slower. */
	thread = sf_thread_get_rt(sf_session_levels_thread, session);
	if (IS_ERR(thread)) {
		sf_session_freeze_levels(session);
	} else {
		wake_up_process(thread);
		wait_for_completion(&session->levels_done);
		put_task_struct(thread);
	}
	if (READ_ONCE(session->state) == SNAPFREEZE_STATE_FROZEN)
		return 0;

	sf_session_end(session);
	mutex_lock(&session->lock);
	ret = sf_session_freeze_error(session, target_attrs, extack);
	mutex_unlock(&session->lock);
	return ret;
}

/* After the FROZEN event: a THAWED event may follow from now on. */
void sf_session_frozen_announced(struct sf_session *session)
{
	complete_all(&session->frozen_announced);
}

/* 0, or why the session ended without every target thawed in time. */
int sf_session_thaw(struct sf_session *session, enum snapfreeze_reason reason,
		    struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret = 0;

	if (!sf_session_teardown(session, reason)) {
		NL_SET_ERR_MSG(extack, "the session has ended already");
		return -ESRCH;
	}
	mutex_lock(&session->lock);
	for (i = 0; i < session->n_targets && !ret; i++) {
		if (!session->targets[i].stuck)
			continue;
		compat_set_err_msg_fmt(extack,
				       "a target is stuck: still freezing or thawing when the session ended (thawed once that returns)",
				       "%s: stuck freezing or thawing",
				       session->targets[i].path);
		ret = -EBUSY;
	}
	mutex_unlock(&session->lock);
	return ret;
}

/*
 * The watchdog finds the new last_pet when it next looks. A pet that comes
 * once the session has expired, but before the watchdog ran, must not
 * revive it: it is refused, and the watchdog told to look at once.
 */
int sf_session_keepalive(struct sf_session *session, const struct sock *sk,
			 struct netlink_ext_ack *extack)
{
	ktime_t now;
	int ret = 0;

	mutex_lock(&session->lock);
	now = ktime_get();
	if (!(session->flags & SNAPFREEZE_F_DETACHED) &&
	    session->owner_sk != sk) {
		NL_SET_ERR_MSG(extack,
			       "only the socket that created an attached session may keep it alive");
		ret = -EPERM;
	} else if (session->state == SNAPFREEZE_STATE_FREEZING) {
		NL_SET_ERR_MSG(extack, "the session is still freezing");
		ret = -EAGAIN;
	} else if (session->state == SNAPFREEZE_STATE_THAWED ||
		   session->state == SNAPFREEZE_STATE_THAWING) {
		NL_SET_ERR_MSG(extack, "the session has ended already");
		ret = -ENOENT;
	} else if (ktime_compare(now, session->deadline) >= 0) {
		NL_SET_ERR_MSG(extack,
			       "the session's timeout has passed: it is being thawed");
		ret = -ETIMEDOUT;
	} else if (session->keepalive_ms &&
		   ktime_compare(now, ktime_add_ms(session->last_pet,
						   session->keepalive_ms)) >= 0) {
		NL_SET_ERR_MSG(extack,
			       "the keepalive interval passed without a keepalive: the session is being thawed");
		ret = -ETIMEDOUT;
	} else {
		session->last_pet = now;
	}
	if (ret == -ETIMEDOUT)
		sf_session_check_now(session);
	mutex_unlock(&session->lock);
	return ret;
}

struct sf_session *sf_session_next(u64 min_id)
{
	struct sf_session *session, *found = NULL;

	mutex_lock(&sf_sessions_lock);
	list_for_each_entry(session, &sf_sessions, node) {
		if (session->id >= min_id) {
			kref_get(&session->ref);
			found = session;
			break;
		}
	}
	mutex_unlock(&sf_sessions_lock);
	return found;
}

struct sf_session *sf_session_find(u64 id)
{
	struct sf_session *session = sf_session_next(id);

	if (session && session->id != id) {
		sf_session_put(session);
		return NULL;
	}
	return session;
}

/* These read state without session->lock: a report, not a decision. */
u64 sf_session_time_left_ms(const struct sf_session *session)
{
	s64 left;

	if (READ_ONCE(session->state) == SNAPFREEZE_STATE_THAWED)
		return 0;
	left = ktime_ms_delta(session->deadline, ktime_get());
	return left > 0 ? left : 0;
}

/* 0 until thawed. */
u64 sf_target_frozen_ns(const struct sf_target *target)
{
	if (target->freeze_error || !target->thawed_at)
		return 0;
	return ktime_to_ns(ktime_sub(target->thawed_at, target->freeze_end));
}

u64 sf_session_frozen_ns(const struct sf_session *session)
{
	u64 longest = 0;
	unsigned int i;

	for (i = 0; i < session->n_targets; i++)
		longest = max(longest, sf_target_frozen_ns(&session->targets[i]));
	return longest;
}

u64 sf_session_spread_ns(const struct sf_session *session)
{
	ktime_t first = KTIME_MAX, last = 0;
	unsigned int i;

	for (i = 0; i < session->n_targets; i++) {
		first = min(first, session->targets[i].freeze_start);
		last = max(last, session->targets[i].freeze_start);
	}
	return session->n_targets ? ktime_to_ns(ktime_sub(last, first)) : 0;
}

unsigned int sf_sessions_thaw_all(enum snapfreeze_reason reason)
{
	struct sf_session *session;
	unsigned int count = 0;
	u64 next = 0;

	while ((session = sf_session_next(next))) {
		next = session->id + 1;
		count += sf_session_teardown(session, reason);
		sf_session_put(session);
	}
	return count;
}

/*
 * From the netlink notifier, in the context of the process closing the
 * socket, which is orphaned (SOCK_DEAD) by then: a live socket that got the
 * same portid keeps its sessions. The thaw itself runs on the workqueue,
 * right away.
 */
void sf_sessions_owner_gone(u32 portid)
{
	struct sf_session *session;

	mutex_lock(&sf_sessions_lock);
	list_for_each_entry(session, &sf_sessions, node) {
		if ((session->flags & SNAPFREEZE_F_DETACHED) ||
		    session->owner_portid != portid ||
		    !sock_flag(session->owner_sk, SOCK_DEAD))
			continue;
		atomic_set(&session->teardown_reason,
			   SNAPFREEZE_REASON_OWNER_GONE);
		sf_session_check_now(session);
	}
	mutex_unlock(&sf_sessions_lock);
}

int __init sf_sessions_init(void)
{
	sf_wq = alloc_workqueue("snapfreeze", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return sf_wq ? 0 : -ENOMEM;
}

/*
 * Before the family goes away: refuse new sessions, end the frozen ones
 * (those still freezing end when their request returns, which unregistering
 * the family waits for).
 */
void sf_sessions_shutdown(void)
{
	mutex_lock(&sf_sessions_lock);
	WRITE_ONCE(sf_shutting_down, true);
	mutex_unlock(&sf_sessions_lock);
	sf_sessions_thaw_all(SNAPFREEZE_REASON_MODULE_UNLOAD);
}

/* After the family is gone: every session has ended; free them. */
void sf_sessions_exit(void)
{
	destroy_workqueue(sf_wq);
}
