// SPDX-License-Identifier: GPL-2.0
#include "host.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "lineio.h"
#include "spawn.h"
#include "text.h"

/* An open channel to the host: one fd each way (the same for sockets). */
struct channel {
	int in;
	int out;
	struct sf_child child;	/* exec: */
	int stderr_fd;		/* exec: its standard error */
};

#define NO_CHANNEL \
	((struct channel){ .in = -1, .out = -1, .child = { .pid = -1, .pidfd = -1 }, \
			   .stderr_fd = -1 })
/* Bytes kept of an exec: command's standard error. */
#define EXEC_STDERR_LIMIT 4096

static cJSON *target_json(const struct sf_mount *mount)
{
	cJSON *json = cJSON_CreateObject();
	char dev[24];

	snprintf(dev, sizeof(dev), "%u:%u", mount->major, mount->minor);
	if (!json || !cJSON_AddStringToObject(json, "mount_point", mount->mount_point) ||
	    !cJSON_AddStringToObject(json, "fstype", mount->fstype) ||
	    !cJSON_AddStringToObject(json, "dev", dev) ||
	    !cJSON_AddStringToObject(json, "source", mount->source)) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

char *sf_host_request_line(const struct sf_host_request *request)
{
	cJSON *json = cJSON_CreateObject(), *targets;
	char *text = NULL, *line = NULL;
	size_t i;

	if (!json || !cJSON_AddStringToObject(json, "type", "snapshot") ||
	    !cJSON_AddNumberToObject(json, "version", SF_HOST_PROTOCOL_VERSION) ||
	    !cJSON_AddStringToObject(json, "id", request->id) ||
	    !cJSON_AddStringToObject(json, "consistency", request->consistency) ||
	    !cJSON_AddNumberToObject(json, "deadline_ms", request->deadline_ms) ||
	    (request->max_deadline_ms > request->deadline_ms &&
	     !cJSON_AddNumberToObject(json, "max_deadline_ms", request->max_deadline_ms)) ||
	    !(targets = cJSON_AddArrayToObject(json, "targets")))
		goto out;
	for (i = 0; i < request->n_targets; i++) {
		cJSON *target = target_json(&request->targets[i]);

		if (!target || !cJSON_AddItemToArray(targets, target)) {
			cJSON_Delete(target);
			goto out;
		}
	}
	text = cJSON_PrintUnformatted(json);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
out:
	free(text);
	cJSON_Delete(json);
	return line;
}

static char *optional_string(const cJSON *json, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);

	return cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
}

int sf_host_parse_answer(const char *line, const char *id,
			 struct sf_host_answer *answer, struct sf_error *err)
{
	cJSON *json = cJSON_Parse(line);
	const cJSON *type, *version, *answer_id, *ok, *disks;
	bool progress;
	int ret = -1;

	memset(answer, 0, sizeof(*answer));
	if (!cJSON_IsObject(json)) {
		sf_fail(err, SF_EXIT_FAILURE, "the host sent a line that is not a JSON object");
		goto out;
	}
	answer_id = cJSON_GetObjectItemCaseSensitive(json, "id");
	if (cJSON_IsString(answer_id) && strcmp(answer_id->valuestring, id)) {
		ret = 1;
		goto out;
	}
	type = cJSON_GetObjectItemCaseSensitive(json, "type");
	version = cJSON_GetObjectItemCaseSensitive(json, "version");
	ok = cJSON_GetObjectItemCaseSensitive(json, "ok");
	progress = cJSON_IsString(type) && !strcmp(type->valuestring, "progress");
	if (!cJSON_IsString(answer_id) || !cJSON_IsString(type) ||
	    (!progress && (strcmp(type->valuestring, "result") || !cJSON_IsBool(ok)))) {
		sf_fail(err, SF_EXIT_FAILURE,
			"the host's answer lacks \"type\": \"result\", \"id\" or \"ok\"");
		goto out;
	}
	if (cJSON_GetNumberValue(version) != SF_HOST_PROTOCOL_VERSION) {
		sf_fail(err, SF_EXIT_FAILURE, "the host answered in protocol version %g, not %d",
			cJSON_GetNumberValue(version), SF_HOST_PROTOCOL_VERSION);
		goto out;
	}
	if (progress) {
		answer->message = optional_string(json, "message");
		ret = SF_HOST_PROGRESS;
		goto out;
	}
	answer->ok = cJSON_IsTrue(ok);
	answer->snapshot = optional_string(json, "snapshot");
	answer->error = optional_string(json, "error");
	answer->message = optional_string(json, "message");
	disks = cJSON_GetObjectItemCaseSensitive(json, "disks");
	if (cJSON_IsArray(disks))
		answer->disks = cJSON_Duplicate(disks, true);
	ret = 0;
out:
	cJSON_Delete(json);
	return ret;
}

void sf_host_answer_free(struct sf_host_answer *answer)
{
	free(answer->snapshot);
	free(answer->error);
	free(answer->message);
	cJSON_Delete(answer->disks);
	memset(answer, 0, sizeof(*answer));
}

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

static int open_serial(const char *uri, const char *name, struct channel *channel,
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
			  socklen_t len, uint64_t deadline, struct channel *channel,
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
		     struct channel *channel, struct sf_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(addr.sun_path))
		return sf_fail(err, SF_EXIT_USAGE, "%s: path too long", uri);
	strcpy(addr.sun_path, path);
	return connect_socket(uri, AF_UNIX, (struct sockaddr *)&addr, sizeof(addr),
			      deadline, channel, err);
}

static int open_vsock(const char *uri, const char *where, uint64_t deadline,
		      struct channel *channel, struct sf_error *err)
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
 * output. Its standard error is a sealed memory file of EXEC_STDERR_LIMIT
 * bytes: never a file on a filesystem the snapshot freezes, where its
 * writes would hang; past the limit its writes fail. What it holds is
 * told when the command ends without an answer.
 */
static int open_exec(const char *uri, const char *command, struct channel *channel,
		     struct sf_error *err)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 }, ret = -1;
	struct sf_child child;

	channel->stderr_fd = memfd_create("snapfreeze-exec-stderr",
					  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (channel->stderr_fd < 0 || ftruncate(channel->stderr_fd, EXEC_STDERR_LIMIT) ||
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

/* What an exec: command wrote to its standard error, on one line; "" if nothing. */
static void exec_stderr(const struct channel *channel, char *text, size_t size)
{
	off_t written = channel->stderr_fd >= 0 ? lseek(channel->stderr_fd, 0, SEEK_CUR) : 0;
	ssize_t got = 0;

	if (written > 0)
		got = pread(channel->stderr_fd, text, (size_t)written < size - 1 ?
			    (size_t)written : size - 1, 0);
	text[got > 0 ? got : 0] = '\0';
	sf_text_flatten(text);
}

static int open_channel(const char *uri, uint64_t deadline, struct channel *channel,
			struct sf_error *err)
{
	const char *colon = strchr(uri, ':');
	size_t scheme = colon ? (size_t)(colon - uri) : 0;

	*channel = NO_CHANNEL;
	if (scheme == 6 && !strncmp(uri, "serial", 6))
		return open_serial(uri, colon + 1, channel, err);
	if (scheme == 4 && !strncmp(uri, "unix", 4))
		return open_unix(uri, colon + 1, deadline, channel, err);
	if (scheme == 5 && !strncmp(uri, "vsock", 5))
		return open_vsock(uri, colon + 1, deadline, channel, err);
	if (scheme == 4 && !strncmp(uri, "exec", 4))
		return open_exec(uri, colon + 1, channel, err);
	return sf_fail(err, SF_EXIT_USAGE,
		       "host URI '%s': not serial:, unix:, vsock:, exec:, http:// or https://",
		       uri);
}

static void close_channel(struct channel *channel)
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

static int send_line(const char *uri, struct channel *channel, const char *line,
		     uint64_t deadline, struct sf_error *err)
{
	switch (sf_line_write(channel->out, line, strlen(line), deadline)) {
	case SF_LINE_OK:
		return 0;
	case SF_LINE_TIMEOUT:
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: could not send the request in time", uri);
	default:
		return sf_fail(err, SF_EXIT_FAILURE, "%s: write: %s", uri,
			       strerror(errno));
	}
}

uint64_t sf_host_extend_deadline(const struct sf_host_request *request,
				 uint64_t started_ms, uint64_t now_ms,
				 uint64_t deadline)
{
	uint64_t limit = started_ms + request->max_deadline_ms;
	uint64_t extended = now_ms + request->deadline_ms;

	if (extended > limit)
		extended = limit;
	return extended > deadline ? extended : deadline;
}

/* Tells the caller, and forgets the message: the answer has not come yet. */
static void note_progress(const struct sf_host_request *request,
			  struct sf_host_answer *answer)
{
	if (request->on_progress)
		request->on_progress(answer->message, request->progress_arg);
	sf_host_answer_free(answer);
}

static int closed_without_answer(const char *uri, const struct channel *channel,
				 struct sf_error *err)
{
	char text[EXEC_STDERR_LIMIT + 1];

	exec_stderr(channel, text, sizeof(text));
	return sf_fail(err, SF_EXIT_FAILURE, "%s: the connection closed without an answer%s%s%s",
		       uri, *text ? " (its standard error: " : "", text, *text ? ")" : "");
}

/*
 * Lines until the answer to the request; each line bounded, all within the
 * deadline, which each progress message pushes back.
 */
static int receive_answer(const char *uri, struct channel *channel,
			  const struct sf_host_request *request, uint64_t started,
			  struct sf_host_answer *answer, struct sf_error *err)
{
	uint64_t deadline = started + request->deadline_ms;
	struct sf_line_reader reader;
	char *line;
	int ret = 1;

	sf_line_reader_init(&reader, channel->in, SF_HOST_MAX_LINE);
	reader.abort_fd = request->abort_fd;
	while (ret == 1) {
		switch (sf_line_read(&reader, deadline, &line)) {
		case SF_LINE_OK:
			ret = sf_host_parse_answer(line, request->id, answer, err);
			if (ret == SF_HOST_PROGRESS) {
				note_progress(request, answer);
				deadline = sf_host_extend_deadline(request, started,
								   sf_now_ms(), deadline);
				ret = 1;
			}
			break;
		case SF_LINE_TOO_LONG:
			ret = sf_fail(err, SF_EXIT_FAILURE,
				      "%s: a line longer than %d bytes", uri,
				      SF_HOST_MAX_LINE);
			break;
		case SF_LINE_TIMEOUT:
			ret = sf_fail(err, SF_EXIT_FAILURE, "%s: no answer in time",
				      uri);
			break;
		case SF_LINE_ABORTED:
			ret = sf_fail(err, SF_EXIT_FAILURE, "%s: the wait was cut short",
				      uri);
			break;
		case SF_LINE_ERROR:
			if (errno == ENOMEM) {
				ret = sf_fail(err, SF_EXIT_FAILURE, "out of memory");
				break;
			}
			/* fall through */
		default:
			ret = closed_without_answer(uri, channel, err);
			break;
		}
	}
	sf_line_reader_free(&reader);
	return ret;
}

/*
 * http:// and https://: the request POSTed, the answer lines in the body.
 * The body comes whole: its progress lines cannot extend the wait.
 */
static int ask_http(const char *uri, struct sf_http *http,
		    const struct sf_host_request *request, const char *line,
		    uint64_t deadline, struct sf_host_answer *answer,
		    struct sf_error *err)
{
	char *body = sf_http_post(http, line, deadline, request->abort_fd,
				  SF_HOST_MAX_LINE, err);
	char *next = body, *cursor;
	const char *id = request->id;
	int ret = 1;

	if (!body)
		return -1;
	while (ret == 1 && (cursor = strsep(&next, "\n"))) {
		if (cursor[0])
			ret = sf_host_parse_answer(cursor, id, answer, err);
		if (ret == SF_HOST_PROGRESS) {
			note_progress(request, answer);
			ret = 1;
		}
	}
	free(body);
	if (ret == 1)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: no answer to request %s", uri, id);
	return ret;
}

static bool is_http(const char *uri)
{
	return !strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8);
}

struct sf_host {
	char *uri;
	struct channel channel;	/* not for http:// and https:// */
	struct sf_http *http;	/* http:// and https:// */
};

struct sf_host *sf_host_open(const char *uri, uint32_t timeout_ms,
			     struct sf_error *err)
{
	struct sf_host *host = calloc(1, sizeof(*host));

	if (!host || !(host->uri = strdup(uri))) {
		free(host);
		sf_fail(err, SF_EXIT_FAILURE, "host: out of memory");
		return NULL;
	}
	host->channel = NO_CHANNEL;
	if (is_http(uri) ? !(host->http = sf_http_open(uri, timeout_ms, err)) :
	    open_channel(uri, sf_now_ms() + timeout_ms, &host->channel, err)) {
		sf_host_close(host);
		return NULL;
	}
	return host;
}

int sf_host_ask(struct sf_host *host, const struct sf_host_request *request,
		struct sf_host_answer *answer, struct sf_error *err)
{
	uint64_t started = sf_now_ms();
	uint64_t deadline = started + request->deadline_ms;
	char *line = sf_host_request_line(request);
	int ret;

	memset(answer, 0, sizeof(*answer));
	if (!line)
		return sf_fail(err, SF_EXIT_FAILURE, "host: out of memory");
	if (is_http(host->uri))
		ret = ask_http(host->uri, host->http, request, line, deadline, answer, err);
	else
		ret = send_line(host->uri, &host->channel, line, deadline, err);
	if (!ret && !is_http(host->uri))
		ret = receive_answer(host->uri, &host->channel, request, started,
				     answer, err);
	free(line);
	return ret;
}

void sf_host_close(struct sf_host *host)
{
	if (!host)
		return;
	close_channel(&host->channel);
	sf_http_close(host->http);
	free(host->uri);
	free(host);
}
