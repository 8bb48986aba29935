// SPDX-License-Identifier: GPL-2.0
/*
 * freezebench: the measuring side of "make bench", run inside the VM.
 *
 *   freezebench now
 *	prints CLOCK_MONOTONIC in ns
 *   freezebench write FILE
 *	appends CLOCK_MONOTONIC (8 bytes) to FILE every 200 us, until killed:
 *	the last stamp before a pause is when FILE's filesystem stopped
 *	taking writes, the first after it when it took them again. Sleeping
 *	between writes keeps many writers from crowding the CPUs, which would
 *	blur those instants by whole scheduler time slices.
 *   freezebench write-heavy FILE LOG [MAX_MIB]
 *	a busy database's writer: 64 KiB buffered writes to FILE back to
 *	back, appended until FILE holds MAX_MIB MiB (default 32), then over
 *	it again from its start, round and round, as a database recycles its
 *	log; keeps in memory the instant each write returned (the last 4 Mi
 *	of them). No truncation: freeing 32 MiB of page cache takes a
 *	truncation hundreds of milliseconds under TCG, and a freeze waits for
 *	one in flight, so the writers would see it rather than the freeze.
 *	On SIGTERM, writes those instants to LOG,
 *	oldest first, in the format of "write" (analyze reads either), and
 *	exits 0.
 *   freezebench fifreeze HOLD_MS MOUNT...
 *	the baseline: FIFREEZE each MOUNT in turn (what freeze helpers do
 *	today), hold HOLD_MS, FITHAW in reverse; prints the time from the
 *	first request to the last filesystem frozen, and the longest single
 *	FIFREEZE (the slowest filesystem, frozen alone)
 *   freezebench analyze SINCE_NS FILE...
 *	finds in each FILE the longest pause after SINCE_NS and prints the
 *	spread of the instants the writers stopped, and the longest of their
 *	last writes before it (how precisely the writers see the cut)
 *   freezebench resumed SINCE_NS PAUSE_MS FILE...
 *	exits 0 once each FILE's writer took writes again after a pause of
 *	at least PAUSE_MS begun after SINCE_NS (its filesystem was frozen
 *	and thawed), 1 before: what the agents' bench waits for
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "freezebench: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_stamps(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);

	if (fd < 0)
		return fail(path);
	for (;;) {
		int64_t stamp = now_ns();

		if (write(fd, &stamp, sizeof(stamp)) != sizeof(stamp))
			return fail(path);
		usleep(200);
	}
}

/*
 * write-heavy's ring of completion instants: 32 MiB of address space,
 * faulted in as it fills (a page per 512 writes), never touched ahead: 64
 * writers' rings would not fit in the VM's memory.
 */
#define HEAVY_RING (4u << 20)
#define HEAVY_CHUNK (64 * 1024)

static volatile sig_atomic_t stopping;

static void stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Without SA_RESTART: a write SIGTERM interrupts returns EINTR. */
static int stop_on_sigterm(void)
{
	struct sigaction action = { .sa_handler = stop };

	sigemptyset(&action.sa_mask);
	return sigaction(SIGTERM, &action, NULL);
}

/*
 * One write to fd at *offset, which wraps to 0 once it reaches max: 1 once
 * done, 0 if a signal interrupted it, -1 on an error.
 */
static int heavy_step(int fd, off_t *offset, off_t max)
{
	static char chunk[HEAVY_CHUNK];
	ssize_t done;

	if (*offset >= max)
		*offset = 0;
	done = pwrite(fd, chunk, sizeof(chunk), *offset);
	if (done < 0)
		return errno == EINTR ? 0 : -1;
	*offset += done;
	return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t done = write(fd, p, len);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -1;
		p += done;
		len -= done;
	}
	return 0;
}

/* The ring to fd, oldest first: count instants, or the last HEAVY_RING. */
static int save_ring(int fd, const int64_t *ring, uint64_t count)
{
	size_t start = count > HEAVY_RING ? count % HEAVY_RING : 0;
	size_t n = count > HEAVY_RING ? HEAVY_RING : count;
	size_t first = n < HEAVY_RING - start ? n : HEAVY_RING - start;

	if (write_all(fd, ring + start, first * sizeof(*ring)) ||
	    write_all(fd, ring, (n - first) * sizeof(*ring)))
		return -1;
	return close(fd);
}

static int write_heavy(const char *path, const char *log, long max_mib)
{
	int64_t *ring = malloc(HEAVY_RING * sizeof(*ring));
	off_t offset = 0, max = (off_t)max_mib << 20;
	uint64_t count = 0;
	int fd, log_fd, ret;

	if (max_mib <= 0) {
		errno = EINVAL;
		return fail("MAX_MIB");
	}
	if (!ring)
		return fail("ring");
	log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (log_fd < 0)
		return fail(log);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail(path);
	if (stop_on_sigterm())
		return fail("sigaction");
	while (!stopping) {
		ret = heavy_step(fd, &offset, max);
		if (ret < 0)
			return fail(path);
		if (ret)
			ring[count++ % HEAVY_RING] = now_ns();
	}
	if (save_ring(log_fd, ring, count))
		return fail(log);
	return 0;
}

static int fifreeze(int hold_ms, int n, char **mounts)
{
	int fds[64], i;
	int64_t start, frozen, before, slowest = 0;

	if (n > 64)
		return fail("too many mounts");
	for (i = 0; i < n; i++) {
		fds[i] = open(mounts[i], O_RDONLY | O_DIRECTORY);
		if (fds[i] < 0)
			return fail(mounts[i]);
	}
	start = now_ns();
	frozen = start;
	for (i = 0; i < n; i++) {
		before = now_ns();
		if (ioctl(fds[i], FIFREEZE, 0)) {
			fail(mounts[i]);
			while (i-- > 0)
				ioctl(fds[i], FITHAW, 0);
			return 1;
		}
		frozen = now_ns();
		if (frozen - before > slowest)
			slowest = frozen - before;
	}
	usleep(hold_ms * 1000);
	for (i = n; i-- > 0;)
		ioctl(fds[i], FITHAW, 0);
	printf("start_ns %lld all_frozen_ns %lld slowest_ns %lld\n",
	       (long long)start, (long long)(frozen - start), (long long)slowest);
	return 0;
}

/*
 * The longest pause after since in one writer's stamps, and how long the
 * write before it took (from the stamp before): stopped, resumed and
 * last_write stay 0 if there is none.
 */
struct pause {
	int64_t stopped, resumed, last_write;
};

static int longest_pause(const char *path, int64_t since, struct pause *pause)
{
	FILE *file = fopen(path, "r");
	int64_t earlier = 0, previous = 0, stamp;

	if (!file)
		return fail(path);
	*pause = (struct pause){ 0 };
	while (fread(&stamp, sizeof(stamp), 1, file) == 1) {
		if (previous >= since &&
		    stamp - previous > pause->resumed - pause->stopped) {
			pause->stopped = previous;
			pause->resumed = stamp;
			pause->last_write = earlier ? previous - earlier : 0;
		}
		earlier = previous;
		previous = stamp;
	}
	fclose(file);
	return 0;
}

/*
 * The spread of the instants the writers stopped, and the longest of their
 * last writes before the pause: a filesystem stopped taking writes within
 * that write, so the spread the writers see is the filesystems' own to
 * within it.
 */
static int analyze(int64_t since, int n, char **files)
{
	int64_t first_stop = INT64_MAX, last_stop = 0, last_write = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct pause pause;

		if (longest_pause(files[i], since, &pause))
			return 1;
		if (!pause.stopped) {
			fprintf(stderr, "freezebench: %s: no pause after %lld\n",
				files[i], (long long)since);
			return 1;
		}
		if (pause.stopped < first_stop)
			first_stop = pause.stopped;
		if (pause.stopped > last_stop)
			last_stop = pause.stopped;
		if (pause.last_write > last_write)
			last_write = pause.last_write;
	}
	printf("spread_ns %lld last_write_ns %lld\n",
	       (long long)(last_stop - first_stop), (long long)last_write);
	return 0;
}

static int all_resumed(int64_t since, int64_t pause_ns, int n, char **files)
{
	int i;

	for (i = 0; i < n; i++) {
		struct pause pause;

		if (longest_pause(files[i], since, &pause))
			return 2;
		if (pause.resumed - pause.stopped < pause_ns)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "now"))
		return printf("%lld\n", (long long)now_ns()) < 0;
	if (argc == 3 && !strcmp(argv[1], "write"))
		return write_stamps(argv[2]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "write-heavy"))
		return write_heavy(argv[2], argv[3],
				   argc == 5 ? atol(argv[4]) : 32);
	if (argc >= 4 && !strcmp(argv[1], "fifreeze"))
		return fifreeze(atoi(argv[2]), argc - 3, argv + 3);
	if (argc >= 4 && !strcmp(argv[1], "analyze"))
		return analyze(atoll(argv[2]), argc - 3, argv + 3);
	if (argc >= 5 && !strcmp(argv[1], "resumed"))
		return all_resumed(atoll(argv[2]), atoll(argv[3]) * 1000000,
				   argc - 4, argv + 4);
	fprintf(stderr, "usage: see the comment at the top of freezebench.c\n");
	return 2;
}
