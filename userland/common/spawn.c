// SPDX-License-Identifier: GPL-2.0
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long an exec may take before the child counts as not started. */
#define EXEC_TIMEOUT_MS 10000
/* After SIGKILL: a child that still has not exited is in the kernel (D state). */
#define KILL_WAIT_MS 5000
/* Copies of the descriptors the child keeps start here, clear of 0-4. */
#define FD_SCRATCH 10

static const char *const environment[] = {
	"PATH=" SF_SPAWN_PATH,
	"HOME=/",
	NULL,
};

/* What the child does, all decided before fork(). */
struct plan {
	int stdio[3];
	int exec_fd;		/* -1: execve(path) */
	bool script;		/* exec_fd is a #! script: it stays open, as 3 */
	int report;		/* the pipe the child writes errno to if exec fails */
	int max_fd;		/* for the close() loop where close_range() is missing */
};

static void close_from(int first, int max_fd)
{
	int fd;

	if (!close_range(first, ~0U, 0))
		return;
	for (fd = first; fd <= max_fd; fd++)
		close(fd);
}

/* Every child's first steps: a process group of its own, no signal of ours. */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* SIGKILL, SIGSTOP: EINVAL, harmless */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * In the child, from fork() to exec: async-signal-safe calls only (the
 * parent may have held any lock, in malloc or stdio, when it forked).
 */
static _Noreturn void child_exec(const struct sf_spawn *spawn, const struct plan *plan)
{
	int copies[5], keep = 3, report = plan->report, fd, code;

	reset_signals();
	/* Out of the way first, so that no dup2() below overwrites one still needed. */
	for (fd = 0; fd < 3; fd++)
		copies[fd] = fcntl(plan->stdio[fd], F_DUPFD_CLOEXEC, FD_SCRATCH);
	copies[3] = plan->exec_fd >= 0 ? fcntl(plan->exec_fd, F_DUPFD_CLOEXEC, FD_SCRATCH) : 0;
	copies[4] = fcntl(plan->report, F_DUPFD_CLOEXEC, FD_SCRATCH);
	for (fd = 0; fd < 5; fd++)
		if (copies[fd] < 0)
			goto fail;
	for (fd = 0; fd < 3; fd++)
		if (dup2(copies[fd], fd) < 0)
			goto fail;
	if (plan->exec_fd >= 0) {
		if (dup3(copies[3], 3, plan->script ? 0 : O_CLOEXEC) < 0)
			goto fail;
		keep = 4;
	}
	/* Close-on-exec: it closes by itself when the exec succeeds. */
	if (dup3(copies[4], keep, O_CLOEXEC) < 0)
		goto fail;
	report = keep;
	close_from(keep + 1, plan->max_fd);
	umask(022);
	if (chdir("/"))
		goto fail;
	/*
	 * By its descriptor. A #! script's interpreter is given the path
	 * exec'd to open: /proc/self/fd/3 opens in any system with /proc,
	 * where the kernel's /dev/fd/3 needs a /dev/fd link (an initramfs
	 * may have none).
	 */
	if (plan->exec_fd >= 0)
		execve("/proc/self/fd/3", (char *const *)spawn->argv,
		       (char *const *)environment);
	else
		execve(spawn->path, (char *const *)spawn->argv, (char *const *)environment);
fail:
	code = errno;
	if (write(report, &code, sizeof(code)) < 0)
		_exit(126);
	_exit(127);
}

static bool is_script(int fd)
{
	char magic[2];

	return pread(fd, magic, sizeof(magic), 0) == sizeof(magic) &&
	       magic[0] == '#' && magic[1] == '!';
}

static int max_fd(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) || limit.rlim_cur == RLIM_INFINITY ||
	    limit.rlim_cur > 1 << 20)
		return 1 << 20;
	return (int)limit.rlim_cur - 1;
}

/* The exec happened (0), or the child's errno says why not (-1). */
static int exec_result(const struct sf_spawn *spawn, int report, struct sf_error *err)
{
	struct pollfd pfd = { .fd = report, .events = POLLIN };
	int code = 0;
	ssize_t got;

	if (poll(&pfd, 1, EXEC_TIMEOUT_MS) == 0)
		return sf_fail(err, SF_EXIT_FAILURE, "cannot run %s: not started within %d s",
			       spawn->path, EXEC_TIMEOUT_MS / 1000);
	do
		got = read(report, &code, sizeof(code));
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return 0;
	return sf_fail(err, SF_EXIT_FAILURE, "cannot run %s: %s", spawn->path,
		       got == sizeof(code) ? strerror(code) : "it failed before its exec");
}

/* In the parent, once forked: the child's group, and a pidfd to watch it by. */
static int watch(struct sf_child *child, const char *what, struct sf_error *err)
{
	/* Also here: a signal sent before the child's own setpgid() reaches its group. */
	setpgid(child->pid, child->pid);
	child->pidfd = (int)syscall(SYS_pidfd_open, child->pid, 0);
	if (child->pidfd >= 0)
		return 0;
	return sf_fail(err, SF_EXIT_FAILURE, "cannot watch %s: pidfd_open: %s", what,
		       strerror(errno));
}

/* A child that could not be watched or did not start: killed and reaped. */
static void discard(struct sf_child *child)
{
	sf_child_signal(child, SIGKILL);
	waitpid(child->pid, NULL, 0);
	if (child->pidfd >= 0)
		close(child->pidfd);
	*child = (struct sf_child){ .pid = -1, .pidfd = -1 };
}

static int start(const struct sf_spawn *spawn, struct plan *plan, struct sf_child *child,
		 struct sf_error *err)
{
	int report[2];

	if (pipe2(report, O_CLOEXEC))
		return sf_fail(err, SF_EXIT_FAILURE, "cannot run %s: pipe: %s", spawn->path,
			       strerror(errno));
	plan->report = report[1];
	child->pid = fork();
	if (!child->pid)
		child_exec(spawn, plan);
	close(report[1]);
	if (child->pid < 0) {
		close(report[0]);
		return sf_fail(err, SF_EXIT_FAILURE, "cannot run %s: fork: %s", spawn->path,
			       strerror(errno));
	}
	if (!watch(child, spawn->path, err) && !exec_result(spawn, report[0], err)) {
		close(report[0]);
		return 0;
	}
	close(report[0]);
	discard(child);
	return -1;
}

int sf_spawn(const struct sf_spawn *spawn, struct sf_child *child, struct sf_error *err)
{
	struct plan plan = {
		.exec_fd = spawn->exec_fd,
		.script = spawn->exec_fd >= 0 && is_script(spawn->exec_fd),
		.max_fd = max_fd(),
	};
	int null = -1, fd, ret;

	*child = (struct sf_child){ .pid = -1, .pidfd = -1 };
	for (fd = 0; fd < 3; fd++) {
		plan.stdio[fd] = spawn->stdio[fd];
		if (plan.stdio[fd] >= 0)
			continue;
		if (null < 0)
			null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0)
			return sf_fail(err, SF_EXIT_FAILURE, "cannot run %s: /dev/null: %s",
				       spawn->path, strerror(errno));
		plan.stdio[fd] = null;
	}
	ret = start(spawn, &plan, child, err);
	if (null >= 0)
		close(null);
	return ret;
}

int sf_spawn_shell(const char *command, const int stdio[3], struct sf_child *child,
		   struct sf_error *err)
{
	const char *const argv[] = { "sh", "-c", command, NULL };
	struct sf_spawn spawn = {
		.path = "/bin/sh",
		.exec_fd = -1,
		.argv = argv,
		.stdio = { stdio[0], stdio[1], stdio[2] },
	};

	return sf_spawn(&spawn, child, err);
}

/* The forked child's side: what sf_spawn()'s children get, keep as 3. */
static void fork_child_setup(int keep, pid_t parent, int max)
{
	int copy = fcntl(keep, F_DUPFD_CLOEXEC, FD_SCRATCH), null, fd;

	reset_signals();
	/* Dies with us; we may have died before it asked. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (copy < 0 || null < 0)
		_exit(127);
	for (fd = 0; fd < 3; fd++)
		if (dup2(null, fd) < 0)
			_exit(127);
	if (dup3(copy, 3, O_CLOEXEC) < 0)
		_exit(127);
	close_from(4, max);
	umask(022);
	if (chdir("/"))
		_exit(127);
}

int sf_fork(const char *what, int keep, struct sf_child *child, struct sf_error *err)
{
	pid_t parent = getpid();
	int max = max_fd();

	*child = (struct sf_child){ .pid = fork(), .pidfd = -1 };
	if (child->pid < 0) {
		child->pid = -1;
		return sf_fail(err, SF_EXIT_FAILURE, "cannot start %s: fork: %s", what,
			       strerror(errno));
	}
	if (!child->pid) {
		fork_child_setup(keep, parent, max);
		return 0;
	}
	if (watch(child, what, err)) {
		discard(child);
		return -1;
	}
	return 1;
}

void sf_child_signal(const struct sf_child *child, int sig)
{
	if (child->pid > 0)
		kill(-child->pid, sig);
}

bool sf_child_wait(const struct sf_child *child, int timeout_ms)
{
	struct pollfd pfd = { .fd = child->pidfd, .events = POLLIN };
	int ready;

	do
		ready = poll(&pfd, 1, timeout_ms);
	while (ready < 0 && errno == EINTR);
	return ready > 0;
}

int sf_child_stop(struct sf_child *child, int grace_ms)
{
	if (child->pid <= 0)
		return -1;
	sf_child_signal(child, SIGTERM);
	if (!sf_child_wait(child, grace_ms))
		sf_child_signal(child, SIGKILL);
	/* What it started and left behind in its group. */
	sf_child_signal(child, SIGKILL);
	if (!sf_child_wait(child, KILL_WAIT_MS))
		return -1;	/* stuck in the kernel: left to init */
	return sf_child_reap(child);
}

int sf_child_reap(struct sf_child *child)
{
	int status = 0;

	if (child->pid <= 0)
		return -1;
	while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(child->pidfd);
	*child = (struct sf_child){ .pid = -1, .pidfd = -1 };
	return status;
}
