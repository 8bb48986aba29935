// SPDX-License-Identifier: GPL-2.0
#include "fifreeze.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/snapfreeze.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fifreeze_watchdog.h"
#include "storage.h"

/* How long the watchdog may take to answer a thaw request. */
#define THAW_REPORT_MS 10000

struct sf_fifreeze {
	pid_t watchdog;
	int pidfd;		/* the watchdog's: readable once it exited */
	int command;		/* closing it, or this process dying, thaws */
	int reports;		/* readable: frozen, then thawed (or the watchdog died) */
	int *fds;		/* each target, ours: to thaw them if the watchdog cannot */
	char **paths;		/* each target's mount point, for messages */
	size_t *order;		/* the freeze order: indexes of targets */
	uint32_t *levels;	/* each target's, as the module's levels */
	size_t n;
	size_t size;		/* of a report */
	struct report_head *report;
};

/*
 * One report, whole, before timeout_ms. Else why not, as the watchdog's
 * failure: its end of the pipe closed (it died), or the time ran out (it
 * does not answer: stopped, or stuck).
 */
#define WATCHDOG_DIED "died"
#define WATCHDOG_SILENT "did not answer"

static const char *read_report(struct sf_fifreeze *fz, uint64_t timeout_ms)
{
	uint64_t deadline = sf_now_ns() + timeout_ms * 1000000;
	size_t got = 0;

	while (got < fz->size) {
		uint64_t now = sf_now_ns();
		ssize_t ret;

		if (now >= deadline ||
		    poll(&(struct pollfd){ .fd = fz->reports, .events = POLLIN }, 1,
			 (int)((deadline - now) / 1000000) + 1) == 0)
			return WATCHDOG_SILENT;
		ret = read(fz->reports, (char *)fz->report + got, fz->size - got);
		if (ret == 0 || (ret < 0 && errno != EINTR && errno != EAGAIN))
			return WATCHDOG_DIED;
		if (ret > 0)
			got += ret;
	}
	return NULL;
}

static int describe(const struct sf_fifreeze *fz, const struct sf_mount *mounts,
		    uint32_t timeout_ms, struct sf_session_info *session)
{
	const struct report_target *targets = (const struct report_target *)(fz->report + 1);
	const struct report_head *head = fz->report;
	size_t i, n = fz->n;

	*session = (struct sf_session_info){
		.state = SNAPFREEZE_STATE_FROZEN,
		.owner_pid = getpid(),
		.timeout_ms = timeout_ms,
		.freeze_ns = head->freeze_ns,
		.spread_ns = head->spread_ns,
		.targets = calloc(n, sizeof(*session->targets)),
	};
	if (!session->targets)
		return -1;
	session->n_targets = n;
	for (i = 0; i < n; i++) {
		struct sf_target_info *target = &session->targets[i];
		unsigned int major = mounts[i].major, minor = mounts[i].minor;

		target->path = strdup(mounts[i].mount_point);
		if (!target->path)
			return -1;
		/* As the module reports it: new_encode_dev(). */
		target->dev = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
		strncpy(target->fstype, mounts[i].fstype, sizeof(target->fstype) - 1);
		target->freeze_ns = targets[i].freeze_ns;
		target->level = fz->levels[i];
	}
	return 0;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * Closes what fz holds and reaps the watchdog, bounded: one stuck in the
 * kernel (in FIFREEZE) is left to init.
 */
static void release(struct sf_fifreeze *fz)
{
	size_t i;

	close_fd(fz->command);
	close_fd(fz->reports);
	if (fz->pidfd >= 0 &&
	    poll(&(struct pollfd){ .fd = fz->pidfd, .events = POLLIN }, 1, THAW_REPORT_MS) > 0)
		waitpid(fz->watchdog, NULL, 0);
	close_fd(fz->pidfd);
	for (i = 0; fz->fds && i < fz->n; i++) {
		close_fd(fz->fds[i]);
		free(fz->paths[i]);
	}
	free(fz->fds);
	free(fz->paths);
	free(fz->order);
	free(fz->levels);
	free(fz->report);
	free(fz);
}

/*
 * The watchdog died, or stopped answering (SIGSTOP), while it may hold
 * filesystems frozen: it is killed, and the command thaws every target
 * itself, last frozen first (EINVAL: that one was not frozen). 0, or the
 * errno of the first frozen target that failed to thaw, its index in *failed.
 */
static int thaw_without_watchdog(struct sf_fifreeze *fz, size_t *failed)
{
	int thaw_errno = 0;
	size_t k, i;

	kill(fz->watchdog, SIGKILL);
	for (k = fz->n; k--;) {
		i = fz->order[k];
		if (!ioctl(fz->fds[i], FITHAW, 0) || errno == EINVAL)
			continue;
		thaw_errno = errno;
		*failed = i;
	}
	return thaw_errno;
}

/* The report that did not come, told once the command thawed what it could. */
static int watchdog_lost(struct sf_fifreeze *fz, const char *why, enum sf_exit exit_code,
			 const char *when, struct sf_error *err)
{
	size_t failed = 0;
	int thaw_errno = thaw_without_watchdog(fz, &failed);

	if (thaw_errno)
		return sf_fail(err, exit_code,
			       "fifreeze: the watchdog process %s %s; thawing %s failed: %s "
			       "(check with fsfreeze --unfreeze)", why, when, fz->paths[failed],
			       strerror(thaw_errno));
	return sf_fail(err, exit_code,
		       "fifreeze: the watchdog process %s %s; the command thawed the filesystems",
		       why, when);
}

/* Our own descriptor of each target, opened before anything is frozen. */
static int open_targets(struct sf_fifreeze *fz, const struct sf_mount *mounts,
			struct sf_error *err)
{
	size_t i;

	fz->fds = malloc(fz->n * sizeof(*fz->fds));
	fz->paths = calloc(fz->n, sizeof(*fz->paths));
	if (!fz->fds || !fz->paths) {
		free(fz->fds);
		fz->fds = NULL;
		return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: out of memory");
	}
	for (i = 0; i < fz->n; i++)
		fz->fds[i] = -1;
	for (i = 0; i < fz->n; i++) {
		fz->paths[i] = strdup(mounts[i].mount_point);
		if (!fz->paths[i])
			return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: out of memory");
		fz->fds[i] = open(mounts[i].mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fz->fds[i] < 0)
			return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: %s: %s",
				       mounts[i].mount_point, strerror(errno));
	}
	return 0;
}

static int fork_watchdog(struct sf_fifreeze *fz, const struct sf_mount *mounts,
			 uint32_t timeout_ms, struct sf_error *err)
{
	int command[2], reports[2];

	if (pipe2(command, O_CLOEXEC))
		return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: %s", strerror(errno));
	fz->command = command[1];
	if (pipe2(reports, O_CLOEXEC)) {
		close(command[0]);
		return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: %s", strerror(errno));
	}
	fz->reports = reports[0];
	fz->watchdog = fork();
	if (fz->watchdog == 0) {
		close(command[1]);
		close(reports[0]);
		sf_fifreeze_watchdog(mounts, fz->order, fz->n, timeout_ms, command[0], reports[1],
				     fz->size);
	}
	close(command[0]);
	close(reports[1]);
	if (fz->watchdog < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: the watchdog process: %s",
			       strerror(errno));
	fz->pidfd = (int)syscall(SYS_pidfd_open, fz->watchdog, 0);
	if (fz->pidfd >= 0)
		return 0;
	sf_fail(err, SF_EXIT_FAILURE, "fifreeze: the watchdog process: pidfd_open: %s",
		strerror(errno));
	/* Nothing is frozen before its first report, which it cannot send now. */
	kill(fz->watchdog, SIGKILL);
	waitpid(fz->watchdog, NULL, 0);
	return -1;
}

/* The module's order: a filesystem before those it is stored on. */
static int order_targets(struct sf_fifreeze *fz, const struct sf_mount *mounts,
			 const struct sf_stored_on *stored_on, struct sf_error *err)
{
	size_t cyclic;

	fz->order = calloc(fz->n, sizeof(*fz->order));
	fz->levels = calloc(fz->n, sizeof(*fz->levels));
	if (!fz->order || !fz->levels)
		return sf_fail(err, SF_EXIT_FAILURE, "fifreeze: out of memory");
	if (sf_storage_levels(stored_on, fz->n, fz->levels, fz->order, &cyclic))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "fifreeze: %s: the filesystems are stored on each other in a cycle: "
			       "no order freezes them", mounts[cyclic].mount_point);
	return 0;
}

static struct sf_fifreeze *start_watchdog(const struct sf_mount *mounts,
					  const struct sf_stored_on *stored_on, size_t n,
					  uint32_t timeout_ms, struct sf_error *err)
{
	struct sf_fifreeze *fz = calloc(1, sizeof(*fz));

	if (!fz) {
		sf_fail(err, SF_EXIT_FAILURE, "fifreeze: out of memory");
		return NULL;
	}
	*fz = (struct sf_fifreeze){ .watchdog = -1, .pidfd = -1, .command = -1,
				    .reports = -1, .n = n };
	fz->size = sizeof(struct report_head) + n * sizeof(struct report_target);
	fz->report = calloc(1, fz->size);
	if (!fz->report) {
		sf_fail(err, SF_EXIT_FAILURE, "fifreeze: out of memory");
	} else if (!order_targets(fz, mounts, stored_on, err) &&
		   !open_targets(fz, mounts, err) &&
		   !fork_watchdog(fz, mounts, timeout_ms, err)) {
		return fz;
	}
	release(fz);
	return NULL;
}

struct sf_fifreeze *sf_fifreeze_freeze(const struct sf_mount *mounts,
				       const struct sf_stored_on *stored_on, size_t n,
				       uint32_t timeout_ms,
				       struct sf_session_info *session,
				       struct sf_error *err)
{
	const char *failure;
	struct sf_fifreeze *fz;

	memset(session, 0, sizeof(*session));
	if (!n || n > SF_FIFREEZE_MAX_TARGETS) {
		sf_fail(err, SF_EXIT_USAGE, "fifreeze: %zu filesystems: 1 to %d can be frozen",
			n, SF_FIFREEZE_MAX_TARGETS);
		return NULL;
	}
	fz = start_watchdog(mounts, stored_on, n, timeout_ms, err);
	if (!fz)
		return NULL;
	/* A freeze blocks for as long as writeback takes: the timeout bounds it. */
	failure = read_report(fz, timeout_ms + THAW_REPORT_MS);
	if (failure) {
		watchdog_lost(fz, failure, SF_EXIT_FAILURE, "while it froze", err);
	} else if (fz->report->error) {
		sf_fail(err, SF_EXIT_FAILURE, "fifreeze: %s: %s",
			mounts[fz->report->failed].mount_point,
			strerror(-fz->report->error));
	} else if (describe(fz, mounts, timeout_ms, session)) {
		sf_fail(err, SF_EXIT_FAILURE, "fifreeze: out of memory");
		sf_fifreeze_thaw(fz, session, &(struct sf_error){ 0 });
		return NULL;
	} else {
		return fz;
	}
	release(fz);
	return NULL;
}

int sf_fifreeze_thaw(struct sf_fifreeze *fz, struct sf_session_info *session,
		     struct sf_error *err)
{
	const struct report_target *targets = (const struct report_target *)(fz->report + 1);
	const char *failure;
	size_t i;
	int ret = 0;

	/* The watchdog may have thawed already and be gone: no SIGPIPE here. */
	if (write(fz->command, "T", 1) != 1 && errno != EPIPE)
		ret = sf_fail(err, SF_EXIT_FAILURE, "fifreeze: %s", strerror(errno));
	failure = read_report(fz, THAW_REPORT_MS);
	if (failure) {
		ret = watchdog_lost(fz, failure, SF_EXIT_FREEZE_LOST, "while frozen", err);
		session->state = SNAPFREEZE_STATE_THAWED;
		session->reason = SNAPFREEZE_REASON_ERROR;
		goto out;
	}
	session->state = SNAPFREEZE_STATE_THAWED;
	session->reason = fz->report->reason;
	for (i = 0; i < session->n_targets && i < fz->n; i++) {
		session->targets[i].frozen_ns = targets[i].frozen_ns;
		session->targets[i].thaw_error = targets[i].thaw_error;
		if (targets[i].frozen_ns > session->frozen_ns)
			session->frozen_ns = targets[i].frozen_ns;
		if (targets[i].thaw_error && !ret)
			ret = sf_fail(err, SF_EXIT_FAILURE, "fifreeze: thaw %s: %s",
				      session->targets[i].path,
				      strerror(-targets[i].thaw_error));
	}
	if (!ret && session->reason != SNAPFREEZE_REASON_REQUEST)
		ret = sf_fail(err, SF_EXIT_FREEZE_LOST,
			      "the watchdog thawed after %u ms, before the snapshot was done",
			      session->timeout_ms);
out:
	release(fz);
	return ret;
}

int sf_fifreeze_lost_fd(const struct sf_fifreeze *fz)
{
	return fz->reports;
}
