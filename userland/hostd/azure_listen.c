// SPDX-License-Identifier: GPL-2.0
/*
 * Azure's host protocol, served over HTTP (--azure-listen): what Azure's
 * wire server answers a VMSnapshot extension. presnapshot is answered at
 * once with the time; dosnapshot takes the snapshot with the backend (QMP,
 * libvirt or the command) and answers snapshotInfo, one entry per disk. One
 * connection at a time, each request read within a bound.
 */
#include "backend.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "lineio.h"

#define SNAPSHOT_PATH "/metadata/recsvc/snapshot/"
/* A request's headers and body, at most; read whole within REQUEST_MS. */
#define MAX_REQUEST (64 * 1024)
#define REQUEST_MS 10000
/*
 * The protocol carries no deadline: the snapshot is answered "timeout"
 * before the guest's default host_timeout (40 s) passes.
 */
#define SNAPSHOT_DEADLINE_MS 36000

struct http_request {
	char method[8];
	char path[256];
	char *body;		/* in buf */
	char buf[MAX_REQUEST + 1];
};

struct listener {
	const struct hostd_options *options;
	const struct hostd_backend *backend;
	int fd;
	int signals;
	bool done;
};

static int listen_on(const char *address, struct sf_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *info;
	char host[256], *port;
	int fd, one = 1, ret;

	snprintf(host, sizeof(host), "%s", address);
	port = strrchr(host, ':');
	if (!port || port == host)
		return sf_fail(err, SF_EXIT_USAGE, "--azure-listen %s: not ADDRESS:PORT", address);
	*port++ = '\0';
	ret = getaddrinfo(host, port, &hints, &info);
	if (ret)
		return sf_fail(err, SF_EXIT_USAGE, "--azure-listen %s: %s", address,
			       gai_strerror(ret));
	fd = socket(info->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, info->ai_addr, info->ai_addrlen) || listen(fd, 4)) {
		ret = errno;
		freeaddrinfo(info);
		if (fd >= 0)
			close(fd);
		return sf_fail(err, SF_EXIT_FAILURE, "--azure-listen %s: %s", address,
			       strerror(ret));
	}
	freeaddrinfo(info);
	return fd;
}

/* A signal ends the service; true if one came. */
static bool signalled(struct listener *listener)
{
	struct signalfd_siginfo info;

	if (read(listener->signals, &info, sizeof(info)) != sizeof(info))
		return false;
	hostd_log(SF_LOG_INFO, NULL, "%s: exiting", strsignal(info.ssi_signo));
	listener->done = true;
	return true;
}

/* Waits for fd, or a signal; false: a signal, or the deadline. */
static bool wait_for(struct listener *listener, int fd, uint64_t deadline)
{
	struct pollfd fds[2] = {
		{ .fd = listener->signals, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};

	if (poll(fds, 2, deadline ? sf_remaining_ms(deadline) : -1) < 0 && errno != EINTR)
		return false;
	if (fds[0].revents && signalled(listener))
		return false;
	return fds[1].revents;
}

static size_t content_length(const char *headers)
{
	const char *line = strcasestr(headers, "\r\nContent-Length:");

	return line ? strtoul(line + 17, NULL, 10) : 0;
}

/* 0: a request; 1: the connection closed (or a signal); -1: refused (400). */
static int read_request(struct listener *listener, int fd, struct http_request *request)
{
	uint64_t deadline = sf_now_ms() + REQUEST_MS;
	size_t got = 0, want = 0;
	char *end = NULL;
	ssize_t n;

	while (!end || got < want) {
		if (got >= MAX_REQUEST)
			return -1;
		if (!wait_for(listener, fd, deadline))
			return listener->done || !got ? 1 : -1;
		n = read(fd, request->buf + got, MAX_REQUEST - got);
		if (n <= 0)
			return 1;
		got += n;
		request->buf[got] = '\0';
		if (!end && (end = strstr(request->buf, "\r\n\r\n"))) {
			*end = '\0';
			want = (size_t)(end + 4 - request->buf) + content_length(request->buf);
			if (want > MAX_REQUEST)
				return -1;
		}
	}
	request->buf[want] = '\0';
	request->body = end + 4;
	return sscanf(request->buf, "%7s %255s HTTP/1.", request->method, request->path) == 2 ?
	       0 : -1;
}

static void respond(int fd, int status, const char *reason, const char *body)
{
	dprintf(fd, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n%s", status, reason, strlen(body), body);
}

static void respond_json(int fd, cJSON *json)
{
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;

	if (text)
		respond(fd, 200, "OK", text);
	else
		respond(fd, 500, "Internal Server Error", "{ \"error\": \"out of memory\"}");
	free(text);
	cJSON_Delete(json);
}

/* presnapshot: the time, as Azure's host gives it, for the guest's own checks. */
static cJSON *presnapshot_answer(void)
{
	time_t now = time(NULL);
	cJSON *json = cJSON_CreateObject(), *when;
	struct tm tm;

	gmtime_r(&now, &tm);
	if (!json || !(when = cJSON_AddObjectToObject(json, "responseTime")) ||
	    !cJSON_AddNumberToObject(when, "year", tm.tm_year + 1900) ||
	    !cJSON_AddNumberToObject(when, "month", tm.tm_mon + 1) ||
	    !cJSON_AddNumberToObject(when, "day", tm.tm_mday) ||
	    !cJSON_AddNumberToObject(when, "hour", tm.tm_hour) ||
	    !cJSON_AddNumberToObject(when, "minute", tm.tm_min) ||
	    !cJSON_AddNumberToObject(when, "second", tm.tm_sec) ||
	    !cJSON_AddStringToObject(json, "result", "ok")) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

static bool add_info(cJSON *array, bool ok, const char *uri, const char *message)
{
	cJSON *info = cJSON_CreateObject();

	return info && cJSON_AddItemToArray(array, info) &&
	       cJSON_AddStringToObject(info, "isSuccessful", ok ? "true" : "false") &&
	       cJSON_AddItemToObject(info, "snapshotUri",
				     uri ? cJSON_CreateString(uri) : cJSON_CreateNull()) &&
	       cJSON_AddItemToObject(info, "errorMessage",
				     message ? cJSON_CreateString(message) : cJSON_CreateNull()) &&
	       cJSON_AddStringToObject(info, "statusCode", ok ? "200" : "500");
}

/* snapshotInfo: each disk's image, which now holds its point-in-time copy; a failure, one entry. */
static cJSON *snapshot_answer(const struct hostd_result *result)
{
	cJSON *json = cJSON_CreateObject(), *array = json ? cJSON_AddArrayToObject(json, "snapshotInfo") : NULL;
	bool ok = array != NULL;
	size_t i;

	if (ok && !result->ok)
		ok = add_info(array, false, NULL, result->message);
	for (i = 0; ok && result->ok && i < result->n_disks; i++)
		ok = add_info(array, true, result->disks[i].image, NULL);
	if (ok && result->ok && !result->n_disks)
		ok = add_info(array, true, result->snapshot, NULL);
	if (!ok) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

/* The backend's job stepped to its answer (and on to its end). */
static void run_job(struct listener *listener, void *job, struct hostd_result *result)
{
	bool answered = false;

	for (;;) {
		struct pollfd fds[1 + HOSTD_MAX_FDS] = {
			{ .fd = listener->signals, .events = POLLIN },
		};
		uint64_t wake = 0;
		int n = listener->backend->fds(job, fds + 1, &wake);
		struct hostd_result step_result = { 0 };
		enum hostd_step step;

		if (poll(fds, 1 + n, sf_remaining_ms(wake)) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && signalled(listener) && !answered) {
			hostd_fail(result, "stopped", "the host agent stopped during the snapshot");
			break;
		}
		step = listener->backend->step(job, fds + 1, n, &step_result);
		if (step != HOSTD_RUNNING && !answered) {
			*result = step_result;
			answered = true;
		} else {
			hostd_result_free(&step_result);
		}
		if (step == HOSTD_DONE || (answered && listener->done))
			break;
	}
	listener->backend->stop(job);
}

/* dosnapshot: the task's id names the snapshot (its overlays). */
static cJSON *take_snapshot(struct listener *listener, const char *body)
{
	cJSON *json = cJSON_Parse(body);
	const char *task = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "taskId"));
	struct hostd_request request = {
		.consistency = "filesystem",
		.deadline_ms = SNAPSHOT_DEADLINE_MS,
	};
	struct hostd_result result = { 0 };
	char *line = NULL;
	cJSON *answer;
	void *job;

	request.id = strdup(task && task[0] ? task : "azure");
	if (!request.id || asprintf(&line, "%s\n", body) < 0) {
		hostd_fail(&result, "memory", "out of memory");
	} else {
		hostd_log(SF_LOG_INFO, request.id, "dosnapshot: snapshot requested");
		job = listener->backend->start(listener->options, &request, line,
					       sf_now_ms() + SNAPSHOT_DEADLINE_MS, &result);
		if (job)
			run_job(listener, job, &result);
	}
	if (result.ok)
		hostd_log(SF_LOG_INFO, request.id, "answered ok: %zu disks", result.n_disks);
	else
		hostd_log(SF_LOG_WARNING, request.id, "answered %s: %s", result.error, result.message);
	answer = snapshot_answer(&result);
	hostd_result_free(&result);
	free(request.id);
	free(line);
	cJSON_Delete(json);
	return answer;
}

static void serve_request(struct listener *listener, int fd, struct http_request *request)
{
	const char *what = request->path + strlen(SNAPSHOT_PATH);
	char *query = strchr(request->path, '?');

	if (query)
		*query = '\0';
	if (strncmp(request->path, SNAPSHOT_PATH, strlen(SNAPSHOT_PATH)) ||
	    (strcmp(what, "presnapshot") && strcmp(what, "dosnapshot"))) {
		respond(fd, 404, "Not Found", "{ \"error\": \"no such path\"}");
	} else if (strcmp(request->method, "POST")) {
		respond(fd, 405, "Method Not Allowed", "{ \"error\": \"POST only\"}");
	} else if (!strcmp(what, "presnapshot")) {
		hostd_log(SF_LOG_INFO, NULL, "presnapshot answered");
		respond_json(fd, presnapshot_answer());
	} else {
		respond_json(fd, take_snapshot(listener, request->body));
		if (listener->options->once)
			listener->done = true;
	}
}

static void serve_connection(struct listener *listener, int fd)
{
	struct http_request *request = malloc(sizeof(*request));

	while (request && !listener->done) {
		int ret = read_request(listener, fd, request);

		if (ret > 0)
			break;
		if (ret < 0) {
			respond(fd, 400, "Bad Request", "{ \"error\": \"malformed request\"}");
			break;
		}
		serve_request(listener, fd, request);
	}
	free(request);
	close(fd);
}

int hostd_serve_azure(const struct hostd_options *options, struct sf_error *err)
{
	struct listener listener = {
		.options = options,
		.backend = hostd_backend_of(options),
		.signals = -1,
	};
	sigset_t old_mask;
	int ret = hostd_catch_signals(&old_mask, &listener.signals, err);

	if (!ret)
		ret = listener.fd = listen_on(options->azure_listen, err);
	if (ret >= 0) {
		hostd_log(SF_LOG_INFO, NULL, "serving Azure's host protocol on %s; snapshots by %s",
			  options->azure_listen, listener.backend->name);
		while (!listener.done) {
			int fd;

			if (!wait_for(&listener, listener.fd, 0))
				continue;
			fd = accept4(listener.fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				serve_connection(&listener, fd);
		}
		close(listener.fd);
		ret = 0;
	}
	if (listener.signals >= 0)
		close(listener.signals);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return ret;
}
