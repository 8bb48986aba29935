// SPDX-License-Identifier: GPL-2.0
/*
 * The keeper: it pets only while the command shows signs of life, and
 * after a stall it does not catch up. Its KEEPALIVE requests go to the fake
 * sf_nl_keepalive() below, which records when each came.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "clock.h"
#include "keepalive.h"

#define MAX_PETS 256

static struct {
	pthread_mutex_t lock;
	unsigned int n;
	uint64_t at_ms[MAX_PETS];
	uint64_t stall_first_ms;	/* the first pet takes that long */
	bool gone;			/* every pet finds the session gone */
} pets = { .lock = PTHREAD_MUTEX_INITIALIZER };

int sf_nl_keepalive(struct sf_nl *nl, uint64_t id, struct sf_keepalive_reply *reply,
		    struct sf_error *err)
{
	uint64_t stall = 0;

	(void)nl;
	pthread_mutex_lock(&pets.lock);
	if (pets.n < MAX_PETS)
		pets.at_ms[pets.n] = sf_now_ms();
	if (!pets.n++)
		stall = pets.stall_first_ms;
	*reply = (struct sf_keepalive_reply){ .gone = pets.gone };
	pthread_mutex_unlock(&pets.lock);
	if (stall)
		usleep(stall * 1000);
	if (reply->gone)
		return sf_fail(err, SF_EXIT_FAILURE, "keepalive: session %llu: no such session",
			       (unsigned long long)id);
	return 0;
}

static unsigned int pet_count(void)
{
	unsigned int n;

	pthread_mutex_lock(&pets.lock);
	n = pets.n;
	pthread_mutex_unlock(&pets.lock);
	return n;
}

static int reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&pets.lock);
	pets.n = 0;
	pets.stall_first_ms = 0;
	pets.gone = false;
	pthread_mutex_unlock(&pets.lock);
	return 0;
}

static void sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* 300 ms: a pet every 100 ms, for 150 ms after each sign of life. */
static struct sf_keeper *start(void)
{
	struct sf_error err;
	struct sf_keeper *keeper = sf_keeper_start(NULL, 7, 300, &err);

	assert_non_null(keeper);
	return keeper;
}

static void stop(struct sf_keeper *keeper)
{
	struct sf_error err;

	assert_int_equal(sf_keeper_stop(keeper, &err), 0);
}

static void periods(void **state)
{
	(void)state;
	assert_int_equal(sf_keepalive_grace_ms(5000), 2500);
	assert_int_equal(sf_keepalive_grace_ms(1), 1);
	/* Petting for half an interval, a third apart: at least one pet. */
	assert_true(sf_keepalive_grace_ms(100) > sf_keepalive_period_ms(100));
}

static void pets_within_grace_or_until(void **state)
{
	(void)state;
	assert_true(sf_keepalive_should_pet(1000, 900, 500, 0));
	assert_false(sf_keepalive_should_pet(1400, 900, 500, 0));
	assert_true(sf_keepalive_should_pet(1400, 900, 500, 2000));
	assert_false(sf_keepalive_should_pet(2000, 900, 500, 2000));
	/* A later until replaces an earlier one; the grace still counts. */
	assert_true(sf_keepalive_should_pet(1000, 900, 500, 100));
}

/* Started and never heard from again: it stops petting within the grace. */
static void silent_command_not_petted(void **state)
{
	struct sf_keeper *keeper = start();
	unsigned int after_grace;

	(void)state;
	sleep_ms(600);
	after_grace = pet_count();
	sleep_ms(400);
	assert_true(after_grace <= 1);
	assert_int_equal(pet_count(), after_grace);
	stop(keeper);
}

static void alive_command_petted(void **state)
{
	struct sf_keeper *keeper = start();
	uint64_t end = sf_now_ms() + 1000;

	(void)state;
	while (sf_now_ms() < end) {
		sf_keeper_alive(keeper);
		sleep_ms(sf_keeper_poll_ms(keeper));
	}
	assert_true(pet_count() >= 5);
	stop(keeper);
}

/* Petted until the wait's end, then no more. */
static void alive_until_petted_until_then(void **state)
{
	struct sf_keeper *keeper = start();
	unsigned int at_end;

	(void)state;
	sf_keeper_alive_until(keeper, sf_now_ms() + 1000);
	sleep_ms(1000);
	at_end = pet_count();
	assert_true(at_end >= 5);
	sleep_ms(600);
	assert_true(pet_count() <= at_end + 1);
	stop(keeper);
}

/* A first pet held up for six periods is not followed by a burst. */
static void no_burst_after_a_stall(void **state)
{
	struct sf_keeper *keeper;
	unsigned int i, n;

	(void)state;
	pets.stall_first_ms = 600;
	keeper = start();
	sf_keeper_alive_until(keeper, sf_now_ms() + 10000);
	sleep_ms(1200);
	n = pet_count();
	stop(keeper);
	assert_true(n >= 3);
	assert_true(pets.at_ms[1] - pets.at_ms[0] >= 600 + 90);
	for (i = 2; i < n; i++)
		assert_true(pets.at_ms[i] - pets.at_ms[i - 1] >= 90);
}

static void lost_session_reported(void **state)
{
	struct pollfd fd;
	struct sf_keeper *keeper;
	struct sf_error err;

	(void)state;
	pets.gone = true;
	keeper = start();
	fd = (struct pollfd){ .fd = sf_keeper_fd(keeper), .events = POLLIN };
	assert_int_equal(poll(&fd, 1, 2000), 1);
	assert_int_equal(sf_keeper_stop(keeper, &err), -1);
	assert_int_equal(err.exit_code, SF_EXIT_FREEZE_LOST);
	assert_string_equal(err.msg, "keepalive: session 7: no such session");
	assert_int_equal(pet_count(), 1);
}

/* It had stopped petting: stopping, it asks whether the session is there. */
static void loss_found_when_stopped(void **state)
{
	struct sf_keeper *keeper;
	struct sf_error err;

	(void)state;
	keeper = start();
	sleep_ms(400);
	pthread_mutex_lock(&pets.lock);
	pets.gone = true;
	pthread_mutex_unlock(&pets.lock);
	sleep_ms(200);
	assert_int_equal(sf_keeper_stop(keeper, &err), -1);
	assert_int_equal(err.exit_code, SF_EXIT_FREEZE_LOST);
}

static void no_keeper(void **state)
{
	(void)state;
	sf_keeper_alive(NULL);
	sf_keeper_alive_until(NULL, 1);
	assert_int_equal(sf_keeper_poll_ms(NULL), -1);
	assert_int_equal(sf_keeper_fd(NULL), -1);
	assert_int_equal(sf_keeper_stop(NULL, NULL), 0);
}

/* A third of the interval: two pets may be lost before the kernel thaws. */
static void keepalive_period_a_third(void **state)
{
	(void)state;
	assert_int_equal(sf_keepalive_period_ms(5000), 1666);
	assert_int_equal(sf_keepalive_period_ms(100), 33);
	assert_int_equal(sf_keepalive_period_ms(2), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keepalive_period_a_third),
		cmocka_unit_test(periods),
		cmocka_unit_test(pets_within_grace_or_until),
		cmocka_unit_test_setup(silent_command_not_petted, reset),
		cmocka_unit_test_setup(alive_command_petted, reset),
		cmocka_unit_test_setup(alive_until_petted_until_then, reset),
		cmocka_unit_test_setup(no_burst_after_a_stall, reset),
		cmocka_unit_test_setup(lost_session_reported, reset),
		cmocka_unit_test_setup(loss_found_when_stopped, reset),
		cmocka_unit_test(no_keeper),
	};

	return cmocka_run_group_tests_name("keepalive", tests, NULL, NULL);
}
