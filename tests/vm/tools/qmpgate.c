// SPDX-License-Identifier: GPL-2.0
/*
 * qmpgate LISTEN TARGET: a gate on the way to QEMU's QMP socket TARGET, for
 * the host agent of the end-to-end tests (tests/vm/e2e/agent.sh). It serves
 * the clients of the unix socket LISTEN one after the other. For each, it
 * prints "connection N" and waits for a verdict line on its standard input:
 *   pass      relays the client to TARGET until either side closes
 *   delay MS  relays too, but holds the client's "transaction" command MS
 *             milliseconds before QEMU gets it: a slow snapshot
 *   drop      (or anything else) closes the client
 * then prints "closed N". It exits when its standard input closes.
 *
 * snapfreeze-hostd opens a QMP connection for each snapshot request, once
 * it has read the request: while a connection waits here, hostd is in the
 * middle of that request, and the agent can kill or stop it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int unix_address(const char *path, struct sockaddr_un *addr)
{
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr->sun_path)) {
		fprintf(stderr, "qmpgate: %s: path too long\n", path);
		return -1;
	}
	strcpy(addr->sun_path, path);
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr;
	int fd;

	if (unix_address(path, &addr))
		return -1;
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 4)) {
		fprintf(stderr, "qmpgate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr;
	int fd;

	if (unix_address(path, &addr))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "qmpgate: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * 0: copied; -1: the source closed, or either side failed. A chunk that
 * holds hold_for's command waits delay_ms first.
 */
static int copy(int from, int to, const char *hold_for, int delay_ms)
{
	char buf[65536];
	ssize_t got = read(from, buf, sizeof(buf) - 1), done = 0;

	if (got <= 0)
		return -1;
	buf[got] = '\0';
	if (hold_for && strstr(buf, hold_for)) {
		fprintf(stderr, "qmpgate: holding %s for %d ms\n", hold_for, delay_ms);
		poll(NULL, 0, delay_ms);
	}
	while (done < got) {
		ssize_t put = write(to, buf + done, got - done);

		if (put < 0 && errno != EINTR)
			return -1;
		if (put > 0)
			done += put;
	}
	return 0;
}

static void relay(int client, const char *target, int delay_ms)
{
	int qmp = connect_to(target);

	if (qmp < 0)
		return;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = client, .events = POLLIN },
			{ .fd = qmp, .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((fds[0].revents &&
		     copy(client, qmp, delay_ms ? "\"transaction\"" : NULL, delay_ms)) ||
		    (fds[1].revents && copy(qmp, client, NULL, 0)))
			break;
	}
	close(qmp);
}

int main(int argc, char **argv)
{
	char verdict[64];
	unsigned long n = 0;
	int listener, delay_ms;

	if (argc != 3) {
		fprintf(stderr, "usage: qmpgate LISTEN TARGET\n");
		return 2;
	}
	/* A side that closes ends its relay, not the gate. */
	signal(SIGPIPE, SIG_IGN);
	listener = listen_on(argv[1]);
	if (listener < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

		if (client < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "qmpgate: accept: %s\n", strerror(errno));
			return 1;
		}
		printf("connection %lu\n", ++n);
		if (!fgets(verdict, sizeof(verdict), stdin))
			return 0;
		if (!strcmp(verdict, "pass\n"))
			relay(client, argv[2], 0);
		else if (sscanf(verdict, "delay %d", &delay_ms) == 1 && delay_ms > 0)
			relay(client, argv[2], delay_ms);
		close(client);
		printf("closed %lu\n", n);
	}
}
