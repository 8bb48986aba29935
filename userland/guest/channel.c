// SPDX-License-Identifier: GPL-2.0
#include "channel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lineio.h"
#include "text.h"

/* serial:NAME: the virtio-serial port of that name, as udev would link it. */
static int serial_path(const char *name, char *path, size_t size)
{
	DIR *ports;
	struct dirent *port;
	int found = -1;

	if (name[0] == '/')
		return snprintf(path, size, "%s", name) < (int)size ? 0 : -1;
	ports = opendir("/sys/class/virtio-ports");
	while (ports && found && (port = readdir(ports))) {
		char name_file[512], port_name[256] = "";
		FILE *file;

		if (port->d_name[0] == '.')
			continue;
		snprintf(name_file, sizeof(name_file), "/sys/class/virtio-ports/%s/name",
			 port->d_name);
		file = fopen(name_file, "re");
		if (!file)
			continue;
		if (fgets(port_name, sizeof(port_name), file))
			port_name[strcspn(port_name, "\n")] = '\0';
		fclose(file);
		if (!strcmp(port_name, name)) {
			snprintf(path, size, "/dev/%s", port->d_name);
			found = 0;
		}
	}
	if (ports)
		closedir(ports);
	return found;
}

static int open_serial(const char *uri, const char *name, struct sf_channel *channel,
		       struct sf_error *err)
{
	char path[512];

	if (serial_path(name, path, sizeof(path)))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: no virtio-serial port of that name", uri);
	channel->in = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (channel->in < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s: %s", uri, path,
			       strerror(errno));
	channel->out = channel->in;
	return 0;
}

/* A non-blocking connect, finished within the deadline. */
static int connect_socket(const char *uri, int domain, const struct sockaddr *addr,
			  socklen_t len, uint64_t deadline, struct sf_channel *channel,
			  struct sf_error *err)
{
	int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int error = 0;
	socklen_t error_len = sizeof(error);

	if (fd < 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: socket: %s", uri,
			       strerror(errno));
	if (connect(fd, addr, len) && errno != EINPROGRESS)
		error = errno;
	else if (poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1,
		      sf_remaining_ms(deadline)) != 1)
		error = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len))
		error = errno;
	if (error) {
		close(fd);
		return sf_fail(err, SF_EXIT_FAILURE, "%s: connect: %s", uri,
			       strerror(error));
	}
	channel->in = channel->out = fd;
	return 0;
}

static int open_unix(const char *uri, const char *path, uint64_t deadline,
		     struct sf_channel *channel, struct sf_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(addr.sun_path))
		return sf_fail(err, SF_EXIT_USAGE, "%s: path too long", uri);
	strcpy(addr.sun_path, path);
	return connect_socket(uri, AF_UNIX, (struct sockaddr *)&addr, sizeof(addr),
			      deadline, channel, err);
}

static int open_vsock(const char *uri, const char *where, uint64_t deadline,
		      struct sf_channel *channel, struct sf_error *err)
{
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK };
	unsigned int cid, port;
	char end;

	if (sscanf(where, "%u:%u%c", &cid, &port, &end) != 2)
		return sf_fail(err, SF_EXIT_USAGE, "%s: not vsock:CID:PORT", uri);
	addr.svm_cid = cid;
	addr.svm_port = port;
	return connect_socket(uri, AF_VSOCK, (struct sockaddr *)&addr, sizeof(addr),
			      deadline, channel, err);
}

/*
 * exec:COMMAND: /bin/sh -c COMMAND, the channel its standard input and
 * output. Its standard error is a sealed memory file of SF_EXEC_STDERR_LIMIT
 * bytes: never a file on a filesystem the snapshot freezes, where its
 * writes would hang; past the limit its writes fail. What it holds is
 * told when the command ends without an answer.
 */
static int open_exec(const char *uri, const char *command, struct sf_channel *channel,
		     struct sf_error *err)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 }, ret = -1;
	struct sf_child child;

	channel->stderr_fd = memfd_create("snapfreeze-exec-stderr",
					  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (channel->stderr_fd < 0 || ftruncate(channel->stderr_fd, SF_EXEC_STDERR_LIMIT) ||
	    fcntl(channel->stderr_fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) ||
	    pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", uri, strerror(errno));
		goto out;
	}
	if (sf_spawn_shell(command, (const int[]){ to_child[0], from_child[1],
						   channel->stderr_fd },
			   &child, err))
		goto out;
	channel->child = child;
	channel->out = to_child[1];
	channel->in = from_child[0];
	to_child[1] = from_child[0] = -1;
	fcntl(channel->in, F_SETFL, O_NONBLOCK);
	fcntl(channel->out, F_SETFL, O_NONBLOCK);
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (from_child[i] >= 0)
			close(from_child[i]);
	}
	return ret;
}

void sf_channel_exec_stderr(const struct sf_channel *channel, char *text, size_t size)
{
	off_t written = channel->stderr_fd >= 0 ? lseek(channel->stderr_fd, 0, SEEK_CUR) : 0;
	ssize_t got = 0;

	if (written > 0)
		got = pread(channel->stderr_fd, text, (size_t)written < size - 1 ?
			    (size_t)written : size - 1, 0);
	text[got > 0 ? got : 0] = '\0';
	sf_text_flatten(text);
}

int sf_channel_open(const char *uri, uint64_t deadline, struct sf_channel *channel,
		    struct sf_error *err)
{
	const char *colon = strchr(uri, ':');
	size_t scheme = colon ? (size_t)(colon - uri) : 0;

	*channel = SF_NO_CHANNEL;
	if (scheme == 6 && !strncmp(uri, "serial", 6))
		return open_serial(uri, colon + 1, channel, err);
	if (scheme == 4 && !strncmp(uri, "unix", 4))
		return open_unix(uri, colon + 1, deadline, channel, err);
	if (scheme == 5 && !strncmp(uri, "vsock", 5))
		return open_vsock(uri, colon + 1, deadline, channel, err);
	if (scheme == 4 && !strncmp(uri, "exec", 4))
		return open_exec(uri, colon + 1, channel, err);
	return sf_fail(err, SF_EXIT_USAGE,
		       "host URI '%s': not serial:, unix:, vsock:, exec:, http://, https:// or azure:",
		       uri);
}

void sf_channel_close(struct sf_channel *channel)
{
	if (channel->out >= 0 && channel->out != channel->in)
		close(channel->out);
	if (channel->in >= 0)
		close(channel->in);
	if (channel->stderr_fd >= 0)
		close(channel->stderr_fd);
	/* Its answer is in, or will not come: no grace to wait for. */
	sf_child_stop(&channel->child, 0);
}
