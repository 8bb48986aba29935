// SPDX-License-Identifier: GPL-2.0
/*
 * The FIFREEZE watchdog process: what it does between fork() and _exit(),
 * touching no file while it holds filesystems frozen.
 */
#include "fifreeze_watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/snapfreeze.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"

/* The first n of order, last first. */
static void thaw_in_reverse(const int *fds, const size_t *order, size_t n,
			    const uint64_t *frozen_at, struct report_target *targets)
{
	while (n--) {
		size_t i = order[n];

		targets[i].thaw_error = ioctl(fds[i], FITHAW, 0) ? -errno : 0;
		targets[i].frozen_ns = sf_now_ns() - frozen_at[i];
	}
}

/* A request (a byte), the owner gone (end of file), or the deadline. */
static uint32_t wait_for_thaw(int command, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = sf_now_ns();
		char byte;
		int ready;

		if (now >= deadline_ns)
			return SNAPFREEZE_REASON_WATCHDOG;
		ready = poll(&(struct pollfd){ .fd = command, .events = POLLIN }, 1,
			     (int)((deadline_ns - now + 999999) / 1000000));
		if (ready < 0 && errno != EINTR)
			return SNAPFREEZE_REASON_ERROR;
		if (ready > 0)
			return read(command, &byte, 1) == 1 ? SNAPFREEZE_REASON_REQUEST :
							      SNAPFREEZE_REASON_OWNER_GONE;
	}
}

/*
 * Nothing but SIGKILL and SIGSTOP can stop the watchdog early: every other
 * signal blocked (a SIGQUIT or SIGUSR1 sent to the group would otherwise
 * end it), no core dump (which could be written onto a frozen
 * filesystem, and hang), and the OOM killer's last choice. Each step is
 * best effort: what cannot be done leaves the command's own fallback,
 * which thaws if the watchdog dies or stops answering.
 */
static void harden_watchdog(void)
{
	static const char never[] = "-1000";
	sigset_t all;
	int fd;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_DUMPABLE, 0);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, never, sizeof(never) - 1) < 0) {
			/* best effort, as the rest: see above */
		}
		close(fd);
	}
}

/*
 * The watchdog process. Everything it needs is allocated and locked in
 * memory before the first freeze: a page fault or a write to a frozen
 * filesystem would stall the one process that can thaw it.
 */
void sf_fifreeze_watchdog(const struct sf_mount *mounts, const size_t *order, size_t n,
			  uint32_t timeout_ms, int command, int reports, size_t size)
{
	uint64_t started = sf_now_ns(), deadline = started + (uint64_t)timeout_ms * 1000000;
	struct report_head *head = calloc(1, size);
	struct report_target *targets = (struct report_target *)(head + 1);
	uint64_t *frozen_at = calloc(n, sizeof(*frozen_at));
	int *fds = calloc(n, sizeof(*fds));
	size_t frozen = 0, i;

	harden_watchdog();
	setsid();
	if (!head || !frozen_at || !fds)
		_exit(1);
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		head->error = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		fds[i] = open(mounts[i].mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0) {
			head->error = -errno;
			head->failed = i;
			goto out;
		}
	}
	for (; frozen < n; frozen++) {
		uint64_t start = sf_now_ns();

		i = order[frozen];
		if (ioctl(fds[i], FIFREEZE, 0)) {
			head->error = -errno;
			head->failed = i;
			goto out;
		}
		frozen_at[i] = sf_now_ns();
		targets[i].freeze_ns = frozen_at[i] - start;
	}
	head->freeze_ns = frozen_at[order[n - 1]] - started;
	head->spread_ns = frozen_at[order[n - 1]] - frozen_at[order[0]];
	if (write(reports, head, size) != (ssize_t)size)
		head->reason = SNAPFREEZE_REASON_OWNER_GONE;
	else
		head->reason = wait_for_thaw(command, deadline);
out:
	thaw_in_reverse(fds, order, frozen, frozen_at, targets);
	_exit(write(reports, head, size) == (ssize_t)size ? 0 : 1);
}
