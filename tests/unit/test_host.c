// SPDX-License-Identifier: GPL-2.0
/* The guest-to-host exchange, against a fake host on a unix socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "host.h"
#include "tempdir.h"
#include "fork_fake.h"

static char uri[256];

static struct sf_mount root = {
	.mount_point = "/", .fstype = "ext4", .source = "/dev/sda1",
	.major = 8, .minor = 1,
};

static struct sf_host_request request = {
	.id = "req-1", .consistency = "application", .deadline_ms = 2000,
	.targets = &root, .n_targets = 1, .abort_fd = -1,
};

/* As the controller does: opened before the freeze, then asked. */
static int ask(const char *host_uri, const struct sf_host_request *req,
	       struct sf_host_answer *answer, struct sf_error *err)
{
	struct sf_host *host = sf_host_open(host_uri, req->deadline_ms, NULL, err);
	int ret;

	memset(answer, 0, sizeof(*answer));
	if (!host)
		return -1;
	ret = sf_host_ask(host, req, answer, err);
	sf_host_close(host);
	return ret;
}

static void answer_ok(int fd)
{
	dprintf(fd, "{\"type\":\"result\",\"version\":1,\"id\":\"req-1\",\"ok\":true,"
		    "\"snapshot\":\"snap-9\",\"message\":\"1 disk\"}\n");
}

static void answer_stale_then_ok(int fd)
{
	dprintf(fd, "{\"type\":\"result\",\"version\":1,\"id\":\"req-0\",\"ok\":false}\n");
	answer_ok(fd);
}

static void answer_error(int fd)
{
	dprintf(fd, "{\"type\":\"result\",\"version\":1,\"id\":\"req-1\",\"ok\":false,"
		    "\"error\":\"qmp\",\"message\":\"denied\"}\n");
}

static void answer_nothing(int fd)
{
	(void)fd;
	pause();
}

static void answer_garbage(int fd)
{
	dprintf(fd, "this is not json\n");
}

static void hang_up(int fd)
{
	(void)fd;
}

static void answer_endless_line(int fd)
{
	static char chunk[8192];

	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 10; i++)
		if (write(fd, chunk, sizeof(chunk)) < 0)
			break;
	pause();
}

static void answer_wrong_version(int fd)
{
	dprintf(fd, "{\"type\":\"result\",\"version\":2,\"id\":\"req-1\",\"ok\":true}\n");
}

/* A host that reads the request, checks it, and behaves as told. */
static pid_t serve(void (*behave)(int fd))
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int listener = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/host.sock", dir);
	unlink(addr.sun_path);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 1), 0);
	snprintf(uri, sizeof(uri), "unix:%s", addr.sun_path);
	pid = fork_fake();
	assert_true(pid >= 0);
	if (!pid) {
		char line[4096] = "";
		int fd = accept(listener, NULL, NULL);
		ssize_t len = read(fd, line, sizeof(line) - 1);
		cJSON *json = cJSON_Parse(line);

		if (len <= 0 || !json || line[len - 1] != '\n' ||
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(json, "type")), "snapshot"))
			_exit(1);
		behave(fd);
		_exit(0);
	}
	close(listener);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void request_line_fields(void **state)
{
	char *line = sf_host_request_line(&request);
	cJSON *json, *target;

	(void)state;
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	json = cJSON_Parse(line);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "type")), "snapshot");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(json, "version")), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "id")), "req-1");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "consistency")),
			    "application");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(json, "deadline_ms")), 2000);
	target = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "targets"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(target, "dev")), "8:1");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(target, "mount_point")), "/");
	cJSON_Delete(json);
	free(line);
}

static void answers_over_unix(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;
	pid_t host;

	(void)state;
	host = serve(answer_ok);
	assert_int_equal(ask(uri, &request, &answer, &err), 0);
	assert_true(answer.ok);
	assert_string_equal(answer.snapshot, "snap-9");
	assert_string_equal(answer.message, "1 disk");
	sf_host_answer_free(&answer);
	stop(host);

	host = serve(answer_stale_then_ok);
	assert_int_equal(ask(uri, &request, &answer, &err), 0);
	assert_true(answer.ok);
	sf_host_answer_free(&answer);
	stop(host);

	host = serve(answer_error);
	assert_int_equal(ask(uri, &request, &answer, &err), 0);
	assert_false(answer.ok);
	assert_string_equal(answer.error, "qmp");
	assert_string_equal(answer.message, "denied");
	sf_host_answer_free(&answer);
	stop(host);
}

/* The host at uri fails the request, within deadline_ms, saying message. */
static void expect_failure(uint32_t deadline_ms, const char *message)
{
	struct sf_host_request quick = request;
	struct sf_host_answer answer;
	struct sf_error err = { 0 };

	quick.deadline_ms = deadline_ms;
	assert_int_equal(ask(uri, &quick, &answer, &err), -1);
	if (!strstr(err.msg, message))
		fail_msg("'%s' does not contain '%s'", err.msg, message);
}

/* Every failure ends the exchange in time, with its cause. */
static void failures_named(void **state)
{
	static const struct {
		void (*behave)(int fd);
		const char *message;
	} cases[] = {
		{ answer_nothing, "no answer in time" },
		{ answer_garbage, "not a JSON object" },
		{ hang_up, "the connection closed without an answer" },
		{ answer_endless_line, "a line longer than 65536 bytes" },
		{ answer_wrong_version, "protocol version 2, not 1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t host = serve(cases[i].behave);

		expect_failure(300, cases[i].message);
		stop(host);
	}
}

static void exec_transport(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;

	(void)state;
	assert_int_equal(ask("exec:read request; echo '{\"type\":\"result\","
				     "\"version\":1,\"id\":\"req-1\",\"ok\":true,"
				     "\"snapshot\":\"from-exec\"}'",
				     &request, &answer, &err), 0);
	assert_string_equal(answer.snapshot, "from-exec");
	sf_host_answer_free(&answer);
}

/*
 * An exec: command that ends without an answer: its standard error is
 * told, on one line; and it reached a memory file, not ours.
 */
static void exec_stderr_told(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;

	(void)state;
	assert_int_equal(ask("exec:read request; echo 'see its log' >&2; "
			     "readlink /proc/self/fd/2 >&2; exit 3",
			     &request, &answer, &err), -1);
	assert_non_null(strstr(err.msg, "the connection closed without an answer "
				       "(its standard error: see its log /memfd:snapfreeze-exec-stderr"));
}

/* hostd's answer names each disk's point-in-time image: kept for the result. */
static void answer_disks_kept(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;

	(void)state;
	assert_int_equal(ask("exec:read request; echo '{\"type\":\"result\","
			     "\"version\":1,\"id\":\"req-1\",\"ok\":true,\"disks\":"
			     "[{\"device\":\"virtio0\",\"image\":\"/vm/a.img\"}]}'",
			     &request, &answer, &err), 0);
	assert_non_null(answer.disks);
	assert_int_equal(cJSON_GetArraySize(answer.disks), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetArrayItem(answer.disks, 0), "image")), "/vm/a.img");
	sf_host_answer_free(&answer);
}

static void progress_parsed(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_host_parse_answer("{\"type\":\"progress\",\"version\":1,"
					      "\"id\":\"req-1\",\"message\":\"disk 2 of 3\"}",
					      "req-1", &answer, &err), SF_HOST_PROGRESS);
	assert_false(answer.ok);
	assert_string_equal(answer.message, "disk 2 of 3");
	sf_host_answer_free(&answer);
	assert_int_equal(sf_host_parse_answer("{\"type\":\"progress\",\"version\":1,"
					      "\"id\":\"req-1\"}", "req-1", &answer, &err),
			 SF_HOST_PROGRESS);
	assert_null(answer.message);
	/* About an earlier request: skipped like its late answer. */
	assert_int_equal(sf_host_parse_answer("{\"type\":\"progress\",\"version\":1,"
					      "\"id\":\"req-0\"}", "req-1", &answer, &err), 1);
	assert_int_equal(sf_host_parse_answer("{\"type\":\"progress\",\"version\":2,"
					      "\"id\":\"req-1\"}", "req-1", &answer, &err), -1);
	assert_non_null(strstr(err.msg, "protocol version 2"));
	assert_int_equal(sf_host_parse_answer("{\"type\":\"progress\",\"version\":1}",
					      "req-1", &answer, &err), -1);
}

/* Each progress gives deadline_ms more, never past max_deadline_ms. */
static void progress_extends_the_deadline(void **state)
{
	struct sf_host_request extended = request;

	(void)state;
	extended.deadline_ms = 3000;
	extended.max_deadline_ms = 22500;
	assert_int_equal(sf_host_extend_deadline(&extended, 1000, 3000, 4000), 6000);
	assert_int_equal(sf_host_extend_deadline(&extended, 1000, 21000, 23000), 23500);
	assert_int_equal(sf_host_extend_deadline(&extended, 1000, 23000, 23500), 23500);
	extended.max_deadline_ms = 0;	/* progress does not extend */
	assert_int_equal(sf_host_extend_deadline(&extended, 1000, 3000, 4000), 4000);
}

static void request_line_max_deadline(void **state)
{
	struct sf_host_request extended = request;
	char *line;
	cJSON *json;

	(void)state;
	extended.max_deadline_ms = 45000;
	line = sf_host_request_line(&extended);
	json = cJSON_Parse(line);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(json, "max_deadline_ms")),
			 45000);
	cJSON_Delete(json);
	free(line);
	line = sf_host_request_line(&request);
	assert_null(strstr(line, "max_deadline_ms"));
	free(line);
}

static void note(const char *message, void *arg)
{
	(*(int *)arg)++;
	assert_string_equal(message, "working");
}

/* A host that needs 0.6 s, over a 0.25 s deadline, saying so every 0.1 s. */
static void exec_host_with_progress(void **state)
{
	struct sf_host_request slow = request;
	struct sf_host_answer answer;
	struct sf_error err;
	int notes = 0;

	(void)state;
	slow.deadline_ms = 250;
	slow.max_deadline_ms = 5000;
	slow.on_progress = note;
	slow.progress_arg = &notes;
	assert_int_equal(ask("exec:read request; for i in 1 2 3 4 5 6; do sleep 0.1; "
				     "echo '{\"type\":\"progress\",\"version\":1,"
				     "\"id\":\"req-1\",\"message\":\"working\"}'; done; "
				     "echo '{\"type\":\"result\",\"version\":1,"
				     "\"id\":\"req-1\",\"ok\":true}'",
				     &slow, &answer, &err), 0);
	assert_true(answer.ok);
	assert_int_equal(notes, 6);
	sf_host_answer_free(&answer);

	/* Progress forever: given up at max_deadline_ms. */
	slow.max_deadline_ms = 500;
	notes = 0;
	assert_int_equal(ask("exec:read request; while :; do sleep 0.1; "
				     "echo '{\"type\":\"progress\",\"version\":1,"
				     "\"id\":\"req-1\",\"message\":\"working\"}'; done",
				     &slow, &answer, &err), -1);
	assert_non_null(strstr(err.msg, "no answer in time"));
	assert_in_range(notes, 2, 5);
}

static void bad_uris_named(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;

	(void)state;
	assert_int_equal(ask("ftp://host", &request, &answer, &err), -1);
	assert_string_equal(err.msg,
			    "host URI 'ftp://host': not serial:, unix:, vsock:, exec:, http://, https:// or azure:");
	assert_int_equal(ask("unix:/nonexistent/host.sock", &request, &answer,
				     &err), -1);
	assert_string_equal(err.msg, "unix:/nonexistent/host.sock: connect: "
				     "No such file or directory");
	assert_int_equal(ask("serial:no.such.port", &request, &answer, &err), -1);
	assert_string_equal(err.msg,
			    "serial:no.such.port: no virtio-serial port of that name");
}

/* A TCP socket bound to a free port of 127.0.0.1. */
static int bind_loopback(unsigned int *port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

/* A listener on 127.0.0.1, its URL in uri: scheme://host:port/snapshot. */
static int listen_http(const char *scheme, const char *host, int backlog)
{
	unsigned int port;
	int listener = bind_loopback(&port);

	assert_int_equal(listen(listener, backlog), 0);
	snprintf(uri, sizeof(uri), "%s://%s:%u/snapshot", scheme, host, port);
	return listener;
}

/* One request from fd: its headers, and a POST's body line. */
static bool read_request(int fd, char *buf, size_t size)
{
	char *body = NULL;
	size_t got = 0;
	ssize_t n;

	memset(buf, 0, size);
	while (!body || (!strncmp(buf, "POST ", 5) && !strchr(body, '\n'))) {
		n = read(fd, buf + got, size - 1 - got);
		if (n <= 0)
			return false;
		got += n;
		body = strstr(buf, "\r\n\r\n");
	}
	return true;
}

struct http_server {
	const char *response;	/* to the POST; NULL: none */
	bool close_idle;	/* the connection closed after OPTIONS */
	int accepted_fd;	/* told of each connection accepted; -1: none */
};

/*
 * An HTTP server on listener: it answers OPTIONS with 204, keeping the
 * connection unless close_idle, reads the POST, checks it carries a
 * snapshot request as JSON, and sends the response. Its exit status: how
 * many connections it accepted.
 */
static pid_t serve_http_on(int listener, const struct http_server *server)
{
	pid_t pid = fork_fake();

	assert_true(pid >= 0);
	if (!pid) {
		const char *response = server->response;
		int fd = -1, connections = 0;
		char buf[8192];

		for (;;) {
			if (fd < 0) {
				fd = accept(listener, NULL, NULL);
				connections++;
				if (server->accepted_fd >= 0 &&
				    write(server->accepted_fd, "", 1) < 0)
					_exit(100);
			}
			if (!read_request(fd, buf, sizeof(buf))) {
				close(fd);
				fd = -1;
			} else if (!strncmp(buf, "OPTIONS /snapshot ", 18)) {
				dprintf(fd, "HTTP/1.1 204 No Content\r\n\r\n");
				if (server->close_idle) {
					close(fd);
					fd = -1;
				}
			} else {
				break;
			}
		}
		if (strncmp(buf, "POST /snapshot ", 15) ||
		    !strstr(buf, "Content-Type: application/json") ||
		    !strstr(buf, "\"type\":\"snapshot\""))
			_exit(100);
		if (!response)
			pause();
		if (write(fd, response, strlen(response)) < 0)
			_exit(100);
		_exit(connections);
	}
	return pid;
}

static pid_t serve_http(const char *response)
{
	int listener = listen_http("http", "127.0.0.1", 1);
	pid_t pid = serve_http_on(listener, &(struct http_server){
		.response = response, .accepted_fd = -1,
	});

	close(listener);
	return pid;
}

static char *http_response(const char *status, const char *body)
{
	static char response[80000];

	snprintf(response, sizeof(response),
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 status, strlen(body), body);
	return response;
}

static void answers_over_http(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;
	pid_t host;

	(void)state;
	host = serve_http(http_response("200 OK",
		"{\"type\":\"result\",\"version\":1,\"id\":\"req-0\",\"ok\":false}\n"
		"{\"type\":\"result\",\"version\":1,\"id\":\"req-1\",\"ok\":true,"
		"\"snapshot\":\"over-http\"}\n"));
	assert_int_equal(ask(uri, &request, &answer, &err), 0);
	assert_true(answer.ok);
	assert_string_equal(answer.snapshot, "over-http");
	sf_host_answer_free(&answer);
	stop(host);
}

/* A readable abort_fd (a signal) ends the wait at once, not at the deadline. */
static void abort_fd_cuts_the_wait_short(void **state)
{
	struct sf_host_request waiting = request;
	struct sf_host_answer answer;
	struct sf_error err;
	uint64_t start;
	pid_t host;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	waiting.abort_fd = fds[0];
	waiting.deadline_ms = 10000;
	start = sf_now_ms();
	assert_int_equal(ask("exec:read request; sleep 30", &waiting, &answer, &err), -1);
	assert_true(sf_now_ms() - start < 5000);
	assert_non_null(strstr(err.msg, "the wait was cut short"));

	host = serve_http(NULL);
	start = sf_now_ms();
	assert_int_equal(ask(uri, &waiting, &answer, &err), -1);
	assert_true(sf_now_ms() - start < 5000);
	assert_non_null(strstr(err.msg, "the wait was cut short"));
	stop(host);
	close(fds[0]);
	close(fds[1]);
}

static void http_failures_named(void **state)
{
	static char long_body[70001];
	static const struct {
		const char *status, *body, *message;	/* status NULL: no answer */
	} cases[] = {
		{ NULL, NULL, "no answer in time" },
		{ "500 Internal Server Error", "{}\n", "HTTP status 500" },
		{ "200 OK", "this is not json\n", "not a JSON object" },
		{ "200 OK", "{\"type\":\"result\",\"version\":1,\"id\":\"req-0\",\"ok\":true}\n",
		  "no answer to request req-1" },
		{ "200 OK", long_body, "an answer longer than 65536 bytes" },
	};
	size_t i;

	(void)state;
	memset(long_body, 'x', sizeof(long_body) - 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t host = serve_http(cases[i].status ?
					http_response(cases[i].status, cases[i].body) : NULL);

		expect_failure(500, cases[i].message);
		stop(host);
	}
}

static const char *http_ok(void)
{
	return http_response("200 OK", "{\"type\":\"result\",\"version\":1,\"id\":\"req-1\","
				       "\"ok\":true,\"snapshot\":\"over-http\"}\n");
}

/* Whether a connection waits to be accepted on listener, within wait_ms. */
static bool connection_waiting(int listener, int wait_ms)
{
	return poll(&(struct pollfd){ .fd = listener, .events = POLLIN }, 1, wait_ms) == 1;
}

static void assert_starts_with(const char *text, const char *prefix)
{
	if (strncmp(text, prefix, strlen(prefix)))
		fail_msg("'%s' does not start with '%s'", text, prefix);
}

/* Exits with how many connections it accepted. */
static int connections_of(pid_t server)
{
	int status;

	assert_int_equal(waitpid(server, &status, 0), server);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* No TCP connection of the process outlives an exec, such as a pre-script's. */
static void assert_connections_cloexec(void)
{
	DIR *fds = opendir("/proc/self/fd");
	struct dirent *entry;

	assert_non_null(fds);
	while ((entry = readdir(fds))) {
		int fd = atoi(entry->d_name), domain = 0;
		socklen_t len = sizeof(domain);

		if (entry->d_name[0] != '.' &&
		    !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
		    (domain == AF_INET || domain == AF_INET6) &&
		    !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			fail_msg("socket fd %d is inherited by exec", fd);
	}
	closedir(fds);
}

/*
 * The host's name resolved and its connection made at open, before the
 * freeze; the request then goes over that connection, opening no other.
 */
static void http_connects_once_at_open(void **state)
{
	int listener = listen_http("http", "localhost", 4), accepted[2];
	struct sf_host_answer answer;
	struct sf_error err;
	struct sf_host *host;
	pid_t server;

	(void)state;
	assert_int_equal(pipe2(accepted, O_CLOEXEC), 0);
	server = serve_http_on(listener, &(struct http_server){
		.response = http_ok(), .accepted_fd = accepted[1],
	});
	host = sf_host_open(uri, 2000, NULL, &err);
	assert_non_null(host);
	assert_true(poll(&(struct pollfd){ .fd = accepted[0], .events = POLLIN }, 1, 0) == 1);
	assert_connections_cloexec();
	assert_int_equal(sf_host_ask(host, &request, &answer, &err), 0);
	assert_string_equal(answer.snapshot, "over-http");
	sf_host_answer_free(&answer);
	sf_host_close(host);
	assert_int_equal(connections_of(server), 1);
	close(accepted[0]);
	close(accepted[1]);
	close(listener);
}

/*
 * A server that closed the idle connection meanwhile (as its keep-alive
 * timeout would, while the pre-script runs): the request connects again,
 * to the address resolved at open.
 */
static void http_reconnects_after_an_idle_close(void **state)
{
	int listener = listen_http("http", "localhost", 4);
	struct sf_host_answer answer;
	struct sf_error err;
	struct sf_host *host;
	pid_t server;

	(void)state;
	server = serve_http_on(listener, &(struct http_server){
		.response = http_ok(), .close_idle = true, .accepted_fd = -1,
	});
	host = sf_host_open(uri, 2000, NULL, &err);
	assert_non_null(host);
	assert_int_equal(sf_host_ask(host, &request, &answer, &err), 0);
	assert_true(answer.ok);
	sf_host_answer_free(&answer);
	sf_host_close(host);
	assert_int_equal(connections_of(server), 2);
	close(listener);
}

/* The proxy variables of curl and of other tools. */
static const char *const proxy_variables[] = {
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
};

/* Proxies from the environment are not used: the request goes direct. */
static void http_ignores_proxy_variables(void **state)
{
	unsigned int port;
	int proxy = bind_loopback(&port), ret;
	struct sf_host_request quick = request;
	struct sf_host_answer answer;
	struct sf_error err;
	char proxy_url[64];
	pid_t server;
	size_t i;

	(void)state;
	assert_int_equal(listen(proxy, 4), 0);
	snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%u", port);
	for (i = 0; i < sizeof(proxy_variables) / sizeof(proxy_variables[0]); i++)
		setenv(proxy_variables[i], proxy_url, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	server = serve_http(http_ok());
	quick.deadline_ms = 500;
	ret = ask(uri, &quick, &answer, &err);
	for (i = 0; i < sizeof(proxy_variables) / sizeof(proxy_variables[0]); i++)
		unsetenv(proxy_variables[i]);
	assert_int_equal(ret, 0);
	assert_true(answer.ok);
	sf_host_answer_free(&answer);
	assert_false(connection_waiting(proxy, 0));
	stop(server);
	close(proxy);
}

/* A host that cannot be reached fails at open, in time, naming the step. */
static void http_open_failures_named(void **state)
{
	unsigned int port;
	int closed = bind_loopback(&port), listener, queued;
	struct sf_error err;
	char prefix[300];
	uint64_t start;

	(void)state;
	/* Bound but not listening: refused at once. */
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%u/snapshot", port);
	start = sf_now_ms();
	assert_null(sf_host_open(uri, 2000, NULL, &err));
	assert_true(sf_now_ms() - start < 1000);
	snprintf(prefix, sizeof(prefix), "%s: connect: ", uri);
	assert_starts_with(err.msg, prefix);
	close(closed);

	/* A full accept queue drops the connection's SYN: the open gives up in time. */
	listener = listen_http("http", "127.0.0.1", 0);
	queued = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(queued, (struct sockaddr *)&(struct sockaddr_in){
			.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
			.sin_port = htons(atoi(strrchr(uri, ':') + 1)),
		}, sizeof(struct sockaddr_in)), 0);
	start = sf_now_ms();
	assert_null(sf_host_open(uri, 300, NULL, &err));
	assert_in_range(sf_now_ms() - start, 250, 1500);
	snprintf(prefix, sizeof(prefix), "%s: connect: ", uri);
	assert_starts_with(err.msg, prefix);
	close(queued);
	close(listener);

	assert_null(sf_host_open("http://", 300, NULL, &err));
	assert_starts_with(err.msg, "http://: not a valid URL: ");
}

/* Not TLS: answers the client's hello in plain HTTP. */
static pid_t serve_plain_to_tls(int listener)
{
	pid_t pid = fork_fake();

	assert_true(pid >= 0);
	if (!pid) {
		static const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
		char hello[4096];
		int fd = accept(listener, NULL, NULL);

		if (read(fd, hello, sizeof(hello)) <= 0 || write(fd, reply, strlen(reply)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	return pid;
}

/* https://: the TLS handshake made at open too, and named if it fails. */
static void https_handshake_failure_named(void **state)
{
	int listener = listen_http("https", "127.0.0.1", 4);
	struct sf_error err;
	char prefix[300];
	pid_t server;

	(void)state;
	server = serve_plain_to_tls(listener);
	assert_null(sf_host_open(uri, 2000, NULL, &err));
	snprintf(prefix, sizeof(prefix), "%s: TLS: ", uri);
	assert_starts_with(err.msg, prefix);
	stop(server);
	close(listener);
}

static int setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);	/* as main() does */
	return tempdir_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_line_fields),
		cmocka_unit_test(answers_over_unix),
		cmocka_unit_test(failures_named),
		cmocka_unit_test(exec_transport),
		cmocka_unit_test(exec_stderr_told),
		cmocka_unit_test(answer_disks_kept),
		cmocka_unit_test(abort_fd_cuts_the_wait_short),
		cmocka_unit_test(progress_parsed),
		cmocka_unit_test(progress_extends_the_deadline),
		cmocka_unit_test(request_line_max_deadline),
		cmocka_unit_test(exec_host_with_progress),
		cmocka_unit_test(answers_over_http),
		cmocka_unit_test(http_failures_named),
		cmocka_unit_test(http_connects_once_at_open),
		cmocka_unit_test(http_reconnects_after_an_idle_close),
		cmocka_unit_test(http_ignores_proxy_variables),
		cmocka_unit_test(http_open_failures_named),
		cmocka_unit_test(https_handshake_failure_named),
		cmocka_unit_test(bad_uris_named),
	};

	return cmocka_run_group_tests_name("host", tests, setup, tempdir_teardown);
}
