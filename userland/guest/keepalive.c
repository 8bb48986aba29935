// SPDX-License-Identifier: GPL-2.0
#include "keepalive.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* Enough for libnl's exchange; locked like the rest of the process. */
#define SF_KEEPER_STACK (256 * 1024)

struct sf_keeper {
	struct sf_nl *nl;
	uint64_t id;
	uint32_t period_ms;
	uint32_t grace_ms;
	uint32_t poll_ms;
	/* Written by the command, read by the keeper: no lock to wait on. */
	_Atomic uint64_t last_alive_ms;
	_Atomic uint64_t alive_until_ms;
	pthread_t thread;
	int lost_fd;			/* an eventfd, written once lost */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;			/* under lock */
	bool lost;			/* under lock */
	struct sf_error why;		/* under lock, once lost */
};

uint32_t sf_keepalive_period_ms(uint32_t keepalive_ms)
{
	return keepalive_ms >= 3 ? keepalive_ms / 3 : 1;
}

uint32_t sf_keepalive_grace_ms(uint32_t keepalive_ms)
{
	return keepalive_ms >= 2 ? keepalive_ms / 2 : 1;
}

/*
 * Petting at the end of the grace at the latest, the kernel thaws by the
 * last sign of life + grace + interval: one and a half intervals.
 */
bool sf_keepalive_should_pet(uint64_t now_ms, uint64_t last_alive_ms,
			     uint32_t grace_ms, uint64_t alive_until_ms)
{
	return now_ms < last_alive_ms + grace_ms || now_ms < alive_until_ms;
}

int sf_keepalive_lock_memory(struct sf_error *err)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "cannot lock the process's memory for the keepalive: mlockall: %s",
			       strerror(errno));
	return 0;
}

void sf_keepalive_unlock_memory(void)
{
	munlockall();
}

static void timespec_at_ms(struct timespec *ts, uint64_t ms)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000;
}

/* False once a keepalive found the session gone, which never comes back. */
static bool keeper_pet(struct sf_keeper *keeper)
{
	struct sf_keepalive_reply reply;
	struct sf_error err;
	uint64_t one = 1;
	ssize_t written;

	/* Other failures may pass: the next pet tries again. */
	if (!sf_nl_keepalive(keeper->nl, keeper->id, &reply, &err) || !reply.gone)
		return true;
	pthread_mutex_lock(&keeper->lock);
	keeper->lost = true;
	keeper->why = err;
	pthread_mutex_unlock(&keeper->lock);
	/* Wakes the command; sf_keeper_stop() reports it anyway. */
	written = write(keeper->lost_fd, &one, sizeof(one));
	(void)written;
	return false;
}

/*
 * Each look is scheduled from the end of the last one, not from the plan:
 * after a stall (the process was stopped) a burst of pets would revive a
 * session whose command had given no sign of life for all that time. The
 * first pet after a stall only learns whether the session outlived it.
 */
static void *keeper_main(void *arg)
{
	struct sf_keeper *keeper = arg;
	struct timespec next;
	bool alive = true;

	pthread_mutex_lock(&keeper->lock);
	while (alive && !keeper->stopping) {
		timespec_at_ms(&next, sf_now_ms() + keeper->period_ms);
		while (!keeper->stopping &&
		       pthread_cond_timedwait(&keeper->wake, &keeper->lock, &next) != ETIMEDOUT)
			;
		if (keeper->stopping ||
		    !sf_keepalive_should_pet(sf_now_ms(),
					     atomic_load(&keeper->last_alive_ms),
					     keeper->grace_ms,
					     atomic_load(&keeper->alive_until_ms)))
			continue;
		pthread_mutex_unlock(&keeper->lock);
		alive = keeper_pet(keeper);
		pthread_mutex_lock(&keeper->lock);
	}
	pthread_mutex_unlock(&keeper->lock);
	return NULL;
}

static void keeper_free(struct sf_keeper *keeper)
{
	close(keeper->lost_fd);
	pthread_cond_destroy(&keeper->wake);
	pthread_mutex_destroy(&keeper->lock);
	free(keeper);
}

struct sf_keeper *sf_keeper_start(struct sf_nl *nl, uint64_t id,
				  uint32_t keepalive_ms, struct sf_error *err)
{
	struct sf_keeper *keeper = calloc(1, sizeof(*keeper));
	pthread_condattr_t cond_attr;
	pthread_attr_t attr;
	int ret;

	if (!keeper) {
		sf_fail(err, SF_EXIT_FAILURE, "keepalive: out of memory");
		return NULL;
	}
	keeper->nl = nl;
	keeper->id = id;
	keeper->period_ms = sf_keepalive_period_ms(keepalive_ms);
	keeper->grace_ms = sf_keepalive_grace_ms(keepalive_ms);
	/* Well within the grace, so that a command at rest never misses one. */
	keeper->poll_ms = keepalive_ms >= 4 ? keepalive_ms / 4 : 1;
	atomic_init(&keeper->last_alive_ms, sf_now_ms());
	atomic_init(&keeper->alive_until_ms, 0);
	keeper->lost_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&keeper->lock, NULL);
	pthread_condattr_init(&cond_attr);
	pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
	pthread_cond_init(&keeper->wake, &cond_attr);
	pthread_condattr_destroy(&cond_attr);
	if (keeper->lost_fd < 0) {
		sf_fail(err, SF_EXIT_FAILURE, "keepalive: eventfd: %s", strerror(errno));
		keeper_free(keeper);
		return NULL;
	}

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SF_KEEPER_STACK);
	ret = pthread_create(&keeper->thread, &attr, keeper_main, keeper);
	pthread_attr_destroy(&attr);
	if (ret) {
		sf_fail(err, SF_EXIT_FAILURE, "keepalive: cannot start its thread: %s",
			strerror(ret));
		keeper_free(keeper);
		return NULL;
	}
	return keeper;
}

void sf_keeper_alive(struct sf_keeper *keeper)
{
	if (keeper)
		atomic_store(&keeper->last_alive_ms, sf_now_ms());
}

void sf_keeper_alive_until(struct sf_keeper *keeper, uint64_t until_ms)
{
	if (keeper)
		atomic_store(&keeper->alive_until_ms, until_ms);
}

int sf_keeper_poll_ms(const struct sf_keeper *keeper)
{
	return keeper ? (int)keeper->poll_ms : -1;
}

int sf_keeper_fd(const struct sf_keeper *keeper)
{
	return keeper ? keeper->lost_fd : -1;
}

int sf_keeper_stop(struct sf_keeper *keeper, struct sf_error *err)
{
	int ret = 0;

	if (!keeper)
		return 0;
	pthread_mutex_lock(&keeper->lock);
	keeper->stopping = true;
	pthread_cond_signal(&keeper->wake);
	pthread_mutex_unlock(&keeper->lock);
	pthread_join(keeper->thread, NULL);
	/*
	 * A keeper that stopped petting while the command gave no sign of life
	 * never learnt whether the kernel thawed meanwhile: ask once more, so
	 * that the command does not carry on as if still frozen.
	 */
	if (!keeper->lost)
		keeper_pet(keeper);
	if (keeper->lost)
		ret = sf_fail(err, SF_EXIT_FREEZE_LOST, "%s", keeper->why.msg);
	keeper_free(keeper);
	return ret;
}
