// SPDX-License-Identifier: GPL-2.0
/*
 * Spare threads: a stock of idle kernel threads, made ahead of time, that
 * the sessions' freezes run on.
 *
 * A new kernel thread is forked by kthreadd and has to run once before its
 * creator may go on: three tasks of normal priority in turn, each waiting
 * for a CPU behind whatever runs. Under busy writers that is what a freeze
 * is taken under: traced with 64 writers on 2 CPUs, making a session's 64
 * threads took 5.8 s (70 to 90 ms each, one after another) and its
 * filesystems then froze in 1.1 s. A spare is only woken: the stock holds
 * as many as a session may use (one per target, up to max_targets, and
 * one that runs its request's steps), and is filled again in the
 * background once a session has ended. A session that finds
 * it empty (another session took it, or it is not filled yet) makes the
 * threads it lacks.
 */

#include "spare.h"

#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "session.h"

struct sf_spare {
	struct list_head node;
	struct task_struct *task;	/* with a reference, while listed */
	int (*fn)(void *data);		/* set once, by sf_spare_thread_get() */
	void *data;
};

static LIST_HEAD(sf_spares);
static DEFINE_SPINLOCK(sf_spares_lock);
static unsigned int sf_spares_count;
static bool sf_spares_stopping;
static atomic_t sf_spares_made = ATOMIC_INIT(0);

/*
 * Idle until given something to run, or stopped while still in the stock.
 * Idle, not uninterruptible: a spare may wait for weeks, and must count
 * neither in the load average nor as a hung task.
 */
static int sf_spare_thread(void *arg)
{
	struct sf_spare *spare = arg;
	int (*fn)(void *data);
	void *data;

	for (;;) {
		set_current_state(TASK_IDLE);
		/* Pairs with sf_spare_thread_get()'s release. */
		fn = smp_load_acquire(&spare->fn);
		if (fn || kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	if (!fn)
		return 0;	/* its stopper frees the spare */
	data = spare->data;
	kfree(spare);
	return fn(data);
}

/* A new spare, not listed, its thread not yet woken. */
static struct sf_spare *sf_spare_new(void)
{
	struct sf_spare *spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	struct task_struct *task;

	if (!spare)
		return ERR_PTR(-ENOMEM);
	task = kthread_create(sf_spare_thread, spare, "snapfreeze/%d",
			      atomic_inc_return(&sf_spares_made));
	if (IS_ERR(task)) {
		kfree(spare);
		return ERR_CAST(task);
	}
	spare->task = get_task_struct(task);
	return spare;
}

/* A spare never woken, or idle in the stock: gone once this returns. */
static void sf_spare_stop(struct sf_spare *spare)
{
	kthread_stop(spare->task);
	put_task_struct(spare->task);
	kfree(spare);
}

static void sf_spares_fill(struct work_struct *work)
{
	struct sf_spare *spare;
	bool listed;

	for (;;) {
		spin_lock(&sf_spares_lock);
		listed = !sf_spares_stopping &&
			 sf_spares_count < READ_ONCE(sf_max_targets) + 1;
		spin_unlock(&sf_spares_lock);
		if (!listed)
			return;
		spare = sf_spare_new();
		if (IS_ERR(spare))
			return;	/* tried again once the next session ends */
		wake_up_process(spare->task);
		spin_lock(&sf_spares_lock);
		listed = !sf_spares_stopping;
		if (listed) {
			list_add(&spare->node, &sf_spares);
			sf_spares_count++;
		}
		spin_unlock(&sf_spares_lock);
		if (!listed) {
			sf_spare_stop(spare);
			return;
		}
	}
}

static DECLARE_WORK(sf_spares_fill_work, sf_spares_fill);

/*
 * A thread that runs fn(data) once woken (wake_up_process()), with a task
 * reference for the caller: a spare from the stock, or a new one if the
 * stock is empty. fn must end the thread itself.
 */
struct task_struct *sf_spare_thread_get(int (*fn)(void *), void *data)
{
	struct sf_spare *spare;
	struct task_struct *task;

	spin_lock(&sf_spares_lock);
	spare = list_first_entry_or_null(&sf_spares, struct sf_spare, node);
	if (spare) {
		list_del(&spare->node);
		sf_spares_count--;
	}
	spin_unlock(&sf_spares_lock);
	if (!spare) {
		spare = sf_spare_new();
		if (IS_ERR(spare))
			return ERR_CAST(spare);
	}
	/*
	 * The spare frees itself once it has read fn and data: the task
	 * reference it held goes to the caller.
	 */
	task = spare->task;
	spare->data = data;
	/* Pairs with sf_spare_thread()'s acquire: data is set before fn. */
	smp_store_release(&spare->fn, fn);
	return task;
}

/* Fills the stock again, in the background. */
void sf_spares_refill(void)
{
	queue_work(system_unbound_wq, &sf_spares_fill_work);
}

void sf_spares_init(void)
{
	sf_spares_refill();
}

/* Once no session is left to take a spare: stops the stock's threads. */
void sf_spares_exit(void)
{
	struct sf_spare *spare, *next;
	LIST_HEAD(stock);

	spin_lock(&sf_spares_lock);
	sf_spares_stopping = true;
	spin_unlock(&sf_spares_lock);
	cancel_work_sync(&sf_spares_fill_work);

	spin_lock(&sf_spares_lock);
	list_splice_init(&sf_spares, &stock);
	sf_spares_count = 0;
	spin_unlock(&sf_spares_lock);
	list_for_each_entry_safe(spare, next, &stock, node)
		sf_spare_stop(spare);
}
