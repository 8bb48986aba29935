// SPDX-License-Identifier: GPL-2.0
/*
 * Azure's host protocol against a fake host in the test: presnapshot,
 * dosnapshot, their headers and bodies, snapshotInfo, and Azure's status
 * codes for no reply (555), a 500 not from the service (556), an empty
 * body (557).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "azure_host.h"
#include "clock.h"
#include "fork_fake.h"
#include "host.h"
#include "tempdir.h"

static char uri[64];

static int listen_loopback(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(listen(fd, 4), 0);
	snprintf(uri, sizeof(uri), "azure:127.0.0.1:%u", ntohs(addr.sin_port));
	return fd;
}

/* One HTTP request from fd, headers and body (by its Content-Length), in buf. */
static bool read_request(int fd, char *buf, size_t size)
{
	size_t got = 0, want = 0;
	char *end = NULL, *length;
	ssize_t n;

	memset(buf, 0, size);
	while (!end || got < want) {
		n = read(fd, buf + got, size - 1 - got);
		if (n <= 0)
			return false;
		got += n;
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			length = strcasestr(buf, "Content-Length: ");
			want = (size_t)(end + 4 - buf) + (length ? strtoul(length + 16, NULL, 10) : 0);
		}
	}
	return true;
}

/*
 * A fake host answering two requests in turn with pre and snapshot (NULL:
 * no answer at all), each request saved to DIR/request-N.
 */
static pid_t serve(const char *pre, const char *snapshot)
{
	int listener = listen_loopback();
	pid_t pid = fork_fake();

	assert_true(pid >= 0);
	if (!pid) {
		const char *responses[] = { pre, snapshot };
		char buf[16384], name[32];
		int fd = -1, i;

		for (i = 0; i < 2; i++) {
			if (fd < 0)
				fd = accept(listener, NULL, NULL);
			if (!read_request(fd, buf, sizeof(buf))) {
				close(fd);
				fd = -1;
				i--;
				continue;
			}
			snprintf(name, sizeof(name), "request-%d", i);
			tempdir_write(name, buf, 0644);
			if (!responses[i])
				pause();
			if (write(fd, responses[i], strlen(responses[i])) < 0)
				_exit(1);
		}
		pause();
		_exit(0);
	}
	close(listener);
	return pid;
}

static char *response(const char *status, const char *body)
{
	static char texts[2][4096];
	static int which;
	char *text = texts[which++ % 2];

	snprintf(text, 4096, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n%s", status, strlen(body), body);
	return text;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const char *request(int n)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/request-%d", dir, n);
	return tempdir_read(path);
}

static cJSON *request_body(int n)
{
	const char *text = request(n);

	assert_non_null(text);
	return cJSON_Parse(strstr(text, "\r\n\r\n") + 4);
}

static cJSON *disk_ids, *settings, *metadata;

static const struct sf_azure_snapshot *parameters(void)
{
	static struct sf_azure_snapshot snapshot;

	cJSON_Delete(disk_ids);
	cJSON_Delete(settings);
	cJSON_Delete(metadata);
	disk_ids = cJSON_Parse("[0,-1]");
	settings = cJSON_Parse("[{\"Key\":\"isSnapshotTtlEnabled\",\"Value\":\"true\"}]");
	metadata = cJSON_Parse("[{\"Key\":\"BackupTime\",\"Value\":\"x\"}]");
	snapshot = (struct sf_azure_snapshot){
		.task_id = "task-9", .token = "tok-9",
		.disk_ids = disk_ids, .settings = settings, .metadata = metadata,
	};
	return &snapshot;
}

static const char presnapshot_ok[] =
	"{\"responseTime\":{\"year\":2026,\"month\":12,\"day\":1,\"hour\":21,\"minute\":0,\"second\":0}}";

/* Both requests as Azure's extension makes them, and snapshotInfo read per disk. */
static void snapshot_taken(void **state)
{
	pid_t pid = serve(response("200 OK", presnapshot_ok),
			  response("200 OK", "{\"snapshotInfo\":["
				   "{\"isSuccessful\":\"true\",\"snapshotUri\":\"u0\",\"errorMessage\":null,\"statusCode\":\"200\"},"
				   "{\"isSuccessful\":true,\"snapshotUri\":\"u1\",\"errorMessage\":null,\"statusCode\":\"200\"}]}"));
	struct sf_host_answer answer;
	struct sf_error err;
	struct sf_host *host;
	cJSON *body;
	char *text;
	int pre, done;

	(void)state;
	host = sf_host_open(uri, 5000, parameters(), &err);
	if (!host)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(request(0),
			       "POST /metadata/recsvc/snapshot/presnapshot?api-version=2017-12-01 HTTP/1.1\r\n"));
	assert_non_null(strstr(request(0), "\r\nBackup: true\r\n"));
	assert_non_null(strstr(request(0), "\r\nUserAgent: VMSnapshot\r\n"));
	assert_non_null(strcasestr(request(0), "\r\nContent-type: application/json\r\n"));
	body = request_body(0);
	text = cJSON_PrintUnformatted(body);
	assert_string_equal(text, "{\"taskId\":\"task-9\",\"snapshotTaskToken\":\"tok-9\"}");
	free(text);
	cJSON_Delete(body);

	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x", .deadline_ms = 5000,
								     .abort_fd = -1 },
				     &answer, &err), 0);
	assert_true(answer.ok);
	assert_string_equal(answer.message, "2 of 2 disks");
	assert_string_equal(answer.snapshot, "task-9");
	assert_int_equal(cJSON_GetArraySize(answer.disks), 2);
	assert_non_null(strstr(request(1), "POST /metadata/recsvc/snapshot/dosnapshot?api-version=2017-12-01 "));
	body = request_body(1);
	text = cJSON_PrintUnformatted(body);
	assert_string_equal(text, "{\"taskId\":\"task-9\",\"diskIds\":[0,-1],"
			    "\"settings\":[{\"Key\":\"isSnapshotTtlEnabled\",\"Value\":\"true\"}],"
			    "\"snapshotTaskToken\":\"tok-9\","
			    "\"snapshotMetadata\":[{\"Key\":\"BackupTime\",\"Value\":\"x\"}]}");
	free(text);
	cJSON_Delete(body);
	sf_host_azure_statuses(host, &pre, &done);
	assert_int_equal(pre, 200);
	assert_int_equal(done, 200);
	sf_host_answer_free(&answer);
	sf_host_close(host);
	stop(pid);
}

/* One disk not snapshotted: the answer is a refusal with the host's message. */
static void a_disk_failed(void **state)
{
	pid_t pid = serve(response("201 Created", presnapshot_ok),
			  response("200 OK", "{\"snapshotInfo\":["
				   "{\"isSuccessful\":\"true\",\"snapshotUri\":\"u0\",\"errorMessage\":null,\"statusCode\":\"200\"},"
				   "{\"isSuccessful\":\"false\",\"snapshotUri\":null,\"errorMessage\":\"disk busy\",\"statusCode\":\"409\"}]}"));
	struct sf_host_answer answer;
	struct sf_error err;
	struct sf_host *host;

	(void)state;
	host = sf_host_open(uri, 5000, parameters(), &err);
	assert_non_null(host);
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x", .deadline_ms = 5000,
								     .abort_fd = -1 },
				     &answer, &err), 0);
	assert_false(answer.ok);
	assert_string_equal(answer.error, "disk busy");
	assert_string_equal(answer.message, "1 of 2 disks");
	sf_host_answer_free(&answer);
	sf_host_close(host);
	stop(pid);
}

/* presnapshot must be answered, or nothing is frozen: each refusal named, with its code. */
static void presnapshot_refusals(void **state)
{
	struct sf_error err;
	pid_t pid;

	(void)state;
	pid = serve(response("200 OK", ""), NULL);
	assert_null(sf_host_open(uri, 5000, parameters(), &err));
	assert_non_null(strstr(err.msg, ": presnapshot: host status 557 (an empty answer)"));
	stop(pid);

	pid = serve(response("500 Internal Server Error", "<html>proxy</html>"), NULL);
	assert_null(sf_host_open(uri, 5000, parameters(), &err));
	assert_non_null(strstr(err.msg, "presnapshot: host status 556"));
	stop(pid);

	pid = serve(response("500 Internal Server Error", "{ \"error\": \"busy\"}"), NULL);
	assert_null(sf_host_open(uri, 5000, parameters(), &err));
	assert_non_null(strstr(err.msg, "presnapshot: host status 500"));
	stop(pid);

	close(listen_loopback());	/* nobody listens there any more */
	assert_null(sf_host_open(uri, 5000, parameters(), &err));
	assert_non_null(strstr(err.msg, "(host status 555)"));
}

/* dosnapshot unanswered: given up at the deadline (555); a 500 not from the service: 556. */
static void dosnapshot_failures(void **state)
{
	struct sf_host_answer answer;
	struct sf_error err;
	struct sf_host *host;
	uint64_t start;
	int pre, done;
	pid_t pid;

	(void)state;
	pid = serve(response("200 OK", presnapshot_ok), NULL);
	host = sf_host_open(uri, 5000, parameters(), &err);
	assert_non_null(host);
	start = sf_now_ms();
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x", .deadline_ms = 300,
								     .abort_fd = -1 },
				     &answer, &err), -1);
	assert_true(sf_now_ms() - start < 3000);
	assert_non_null(strstr(err.msg, "dosnapshot: "));
	assert_non_null(strstr(err.msg, "(host status 555)"));
	sf_host_close(host);
	stop(pid);

	pid = serve(response("200 OK", presnapshot_ok),
		    response("500 Internal Server Error", "gateway"));
	host = sf_host_open(uri, 5000, parameters(), &err);
	assert_non_null(host);
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x", .deadline_ms = 5000,
								     .abort_fd = -1 },
				     &answer, &err), -1);
	sf_host_azure_statuses(host, &pre, &done);
	assert_int_equal(pre, 200);
	assert_int_equal(done, SF_AZURE_HOST_NOT_SERVICE);
	sf_host_close(host);
	stop(pid);

	pid = serve(response("200 OK", presnapshot_ok), response("200 OK", "{\"snapshotInfo\":[]}"));
	host = sf_host_open(uri, 5000, parameters(), &err);
	assert_non_null(host);
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x", .deadline_ms = 5000,
								     .abort_fd = -1 },
				     &answer, &err), -1);
	assert_non_null(strstr(err.msg, "no snapshotInfo"));
	sf_host_close(host);
	stop(pid);
}

static void host_status_codes(void **state)
{
	(void)state;
	assert_int_equal(sf_azure_host_status(false, 0, NULL), 555);
	assert_int_equal(sf_azure_host_status(true, 200, NULL), 557);
	assert_int_equal(sf_azure_host_status(true, 201, ""), 557);
	assert_int_equal(sf_azure_host_status(true, 200, "{}"), 200);
	assert_int_equal(sf_azure_host_status(true, 500, "oops"), 556);
	assert_int_equal(sf_azure_host_status(true, 500, "{ \"error\": 1}"), 500);
	assert_int_equal(sf_azure_host_status(true, 404, ""), 404);
}

static void bad_address_named(void **state)
{
	struct sf_error err;

	(void)state;
	assert_null(sf_host_open("azure:host/path", 1000, NULL, &err));
	assert_int_equal(err.exit_code, SF_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "azure: takes an address and a port at most"));
}

static int teardown(void **state)
{
	cJSON_Delete(disk_ids);
	cJSON_Delete(settings);
	cJSON_Delete(metadata);
	return tempdir_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_taken),
		cmocka_unit_test(a_disk_failed),
		cmocka_unit_test(presnapshot_refusals),
		cmocka_unit_test(dosnapshot_failures),
		cmocka_unit_test(host_status_codes),
		cmocka_unit_test(bad_address_named),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("azure host", tests, tempdir_setup, teardown);
}
