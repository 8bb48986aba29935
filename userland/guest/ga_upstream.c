// SPDX-License-Identifier: GPL-2.0
#include "ga_upstream.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "ga_protocol.h"
#include "spawn.h"

/* How often to try its socket while qemu-ga starts. */
#define CONNECT_RETRY_MS 20
/* Its answers may be large (guest-file-read, guest-exec-status). */
#define UPSTREAM_MAX_LINE (64 << 20)

struct ga_upstream {
	struct sf_child child;		/* the qemu-ga we started; pid -1: none */
	struct sf_channel channel;
	struct sf_line_reader answers;
	cJSON *info;			/* its guest-info's return */
};

static struct ga_upstream *upstream_new(void)
{
	struct ga_upstream *upstream = calloc(1, sizeof(*upstream));

	if (!upstream)
		return NULL;
	upstream->child = (struct sf_child){ .pid = -1, .pidfd = -1 };
	upstream->channel = SF_NO_CHANNEL;
	return upstream;
}

/* Its guest-info, asked before anything else goes through. */
static int learn_commands(struct ga_upstream *upstream, uint64_t deadline,
			  struct sf_error *err)
{
	static const char request[] = "{\"execute\": \"guest-info\"}";
	cJSON *answer;
	char *line;

	if (ga_upstream_send(upstream, request, deadline, err))
		return -1;
	switch (sf_line_read(&upstream->answers, deadline, &line)) {
	case SF_LINE_OK:
		break;
	case SF_LINE_TIMEOUT:
		return sf_fail(err, SF_EXIT_FAILURE, "qemu-ga: no answer to guest-info in time");
	default:
		return sf_fail(err, SF_EXIT_FAILURE, "qemu-ga: no answer to guest-info: %s",
			       strerror(errno ? errno : EPIPE));
	}
	answer = cJSON_Parse(ga_resync(line));
	upstream->info = cJSON_DetachItemFromObjectCaseSensitive(answer, "return");
	cJSON_Delete(answer);
	if (!cJSON_IsObject(upstream->info))
		return sf_fail(err, SF_EXIT_FAILURE, "qemu-ga: guest-info returned no object");
	return 0;
}

static int open_socket(struct ga_upstream *upstream, const char *socket_path,
		       uint64_t deadline, struct sf_error *err)
{
	char uri[256];

	snprintf(uri, sizeof(uri), "unix:%s", socket_path);
	if (sf_channel_open(uri, deadline, &upstream->channel, err))
		return -1;
	sf_line_reader_init(&upstream->answers, upstream->channel.in, UPSTREAM_MAX_LINE);
	return 0;
}

struct ga_upstream *ga_upstream_connect(const char *socket_path, struct sf_error *err)
{
	uint64_t deadline = sf_now_ms() + GA_UPSTREAM_CONNECT_MS;
	struct ga_upstream *upstream = upstream_new();

	if (!upstream) {
		sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		return NULL;
	}
	if (open_socket(upstream, socket_path, deadline, err) ||
	    learn_commands(upstream, deadline, err)) {
		ga_upstream_stop(upstream);
		return NULL;
	}
	return upstream;
}

/* Until its socket takes the connection, or it exits, or the deadline. */
static int await_socket(struct ga_upstream *upstream, const char *socket_path,
			uint64_t deadline, struct sf_error *err)
{
	for (;;) {
		if (!open_socket(upstream, socket_path, deadline, err))
			return 0;
		if (sf_child_wait(&upstream->child, CONNECT_RETRY_MS))
			return sf_fail(err, SF_EXIT_FAILURE, "qemu-ga exited before it listened on %s",
				       socket_path);
		if (!sf_remaining_ms(deadline))
			return -1;	/* err: the last attempt's */
	}
}

struct ga_upstream *ga_upstream_start(const char *path, const char *folder,
				      struct sf_error *err)
{
	uint64_t deadline = sf_now_ms() + GA_UPSTREAM_CONNECT_MS;
	struct ga_upstream *upstream = upstream_new();
	char socket_path[108], pidfile[4096];
	const char *argv[] = {
		path, "-m", "unix-listen", "-p", socket_path, "-t", folder, "-f", pidfile,
		"-b", "guest-fsfreeze-freeze,guest-fsfreeze-freeze-list,guest-fsfreeze-thaw",
		NULL,
	};
	struct sf_spawn spawn = { .path = path, .exec_fd = -1, .argv = argv,
				  .stdio = { -1, STDERR_FILENO, STDERR_FILENO } };

	if (!upstream) {
		sf_fail(err, SF_EXIT_FAILURE, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(socket_path, sizeof(socket_path), "%s/qemu-ga.sock", folder) >=
	    sizeof(socket_path)) {
		sf_fail(err, SF_EXIT_USAGE, "%s: too long a folder for a socket", folder);
		goto fail;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/qemu-ga.pid", folder);
	if (mkdir(folder, 0700) && errno != EEXIST) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", folder, strerror(errno));
		goto fail;
	}
	unlink(socket_path);
	if (sf_spawn(&spawn, &upstream->child, err) ||
	    await_socket(upstream, socket_path, deadline, err) ||
	    learn_commands(upstream, deadline, err))
		goto fail;
	return upstream;
fail:
	ga_upstream_stop(upstream);
	return NULL;
}

void ga_upstream_stop(struct ga_upstream *upstream)
{
	if (!upstream)
		return;
	sf_channel_close(&upstream->channel);
	sf_line_reader_free(&upstream->answers);
	if (upstream->child.pid > 0)
		sf_child_stop(&upstream->child, 5000);
	cJSON_Delete(upstream->info);
	free(upstream);
}

const cJSON *ga_upstream_commands(const struct ga_upstream *upstream)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(upstream->info,
							     "supported_commands");

	return cJSON_IsArray(list) ? list : NULL;
}

bool ga_upstream_knows(const struct ga_upstream *upstream, const char *command)
{
	const cJSON *entry;

	cJSON_ArrayForEach(entry, ga_upstream_commands(upstream)) {
		const char *name = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(entry, "name"));

		if (name && !strcmp(name, command))
			return true;
	}
	return false;
}

int ga_upstream_fd(const struct ga_upstream *upstream)
{
	return upstream->channel.in;
}

int ga_upstream_send(struct ga_upstream *upstream, const char *line, uint64_t deadline,
		     struct sf_error *err)
{
	if (sf_line_write(upstream->channel.out, line, strlen(line), deadline) != SF_LINE_OK ||
	    sf_line_write(upstream->channel.out, "\n", 1, deadline) != SF_LINE_OK)
		return sf_fail(err, SF_EXIT_FAILURE, "qemu-ga: %s",
			       errno ? strerror(errno) : "not taking requests");
	return 0;
}

enum sf_line ga_upstream_answer(struct ga_upstream *upstream, char **line)
{
	return sf_line_get(&upstream->answers, line);
}
