// SPDX-License-Identifier: GPL-2.0
/*
 * snapfreeze-hostd as QEMU would see it: this process is the guest's side
 * of the channel (the socket QEMU listens on), a forked child plays QMP,
 * and the agent itself runs in another child. Every wait is on an fd and
 * bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "azure_host.h"
#include "host.h"
#include "hostd.h"
#include "lineio.h"
#include "tempdir.h"
#include "fork_fake.h"

#define WAIT_MS 5000		/* the most any step may take */

/* The fake QMP server's ways. */
enum qmp_mode {
	QMP_OK,
	QMP_FAIL,		/* the transaction fails, once released */
	QMP_SILENT,		/* no greeting, nothing */
	QMP_HOLD,		/* the transaction returns when released */
	/* It greets, then never answers that command. */
	QMP_STUCK_CAPABILITIES,
	QMP_STUCK_QUERY_BLOCK,
	QMP_STUCK_TRANSACTION,
};

struct fake_qmp {
	pid_t pid;
	struct sf_line_reader reports;	/* the transactions it received */
	int release;
};

struct hostd {
	pid_t pid;
	int guest;
	struct sf_line_reader answers;
};

static char path_buf[4][256];
#define GUEST_SOCKET path_buf[0]
#define QMP_SOCKET path_buf[1]
#define LOG_FILE path_buf[2]
#define IMAGES path_buf[3]

static char query_block[4096];

static struct sf_mount root = {
	.mount_point = "/", .fstype = "ext4", .source = "/dev/vda1",
	.major = 254, .minor = 1,
};

static int listen_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int accept_within(int listener, int timeout_ms)
{
	int fd;

	assert_int_equal(poll(&(struct pollfd){ .fd = listener, .events = POLLIN }, 1,
			      timeout_ms), 1);
	fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* Creates the overlays a transaction names, as QEMU does before it completes. */
static void create_overlays(const char *transaction)
{
	cJSON *json = cJSON_Parse(transaction), *action;
	const cJSON *actions = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "arguments"),
						   "actions");

	cJSON_ArrayForEach(action, actions) {
		const char *overlay = cJSON_GetStringValue(
			cJSON_GetObjectItem(cJSON_GetObjectItem(action, "data"), "snapshot-file"));

		close(open(overlay, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	}
	cJSON_Delete(json);
}

/* A QEMU monitor, as far as hostd uses it; an event precedes every answer. */
static void qmp_session(int fd, enum qmp_mode mode, int report, int release)
{
	FILE *in = fdopen(dup(fd), "r");
	char *line = NULL, byte;
	size_t size = 0;

	if (mode != QMP_SILENT)
		dprintf(fd, "{\"QMP\":{\"version\":{\"qemu\":{\"major\":7,\"minor\":2,\"micro\":0}},"
			    "\"capabilities\":[\"oob\"]}}\n");
	while (getline(&line, &size, in) > 0) {
		if (strstr(line, "\"transaction\""))
			create_overlays(line);
		if (mode == QMP_SILENT ||
		    (mode == QMP_STUCK_CAPABILITIES && strstr(line, "\"qmp_capabilities\"")) ||
		    (mode == QMP_STUCK_QUERY_BLOCK && strstr(line, "\"query-block\"")) ||
		    (mode == QMP_STUCK_TRANSACTION && strstr(line, "\"transaction\"")))
			continue;
		dprintf(fd, "{\"event\":\"RTC_CHANGE\",\"data\":{\"offset\":1},"
			    "\"timestamp\":{\"seconds\":1,\"microseconds\":2}}\n");
		if (strstr(line, "\"qmp_capabilities\"")) {
			dprintf(fd, "{\"return\":{}}\n");
		} else if (strstr(line, "\"query-block\"")) {
			dprintf(fd, "%s\n", query_block);
		} else if (strstr(line, "\"transaction\"")) {
			if (write(report, line, strlen(line)) < 0 ||
			    ((mode == QMP_HOLD || mode == QMP_FAIL) &&
			     read(release, &byte, 1) != 1))
				_exit(1);
			if (mode == QMP_FAIL)
				dprintf(fd, "{\"error\":{\"class\":\"GenericError\","
					    "\"desc\":\"Could not create file: Permission denied\"}}\n");
			else
				dprintf(fd, "{\"return\":{}}\n");
		} else {
			dprintf(fd, "{\"error\":{\"class\":\"CommandNotFound\","
				    "\"desc\":\"unexpected\"}}\n");
		}
	}
	free(line);
	fclose(in);
}

static void start_qmp(struct fake_qmp *qmp, enum qmp_mode mode)
{
	int listener = listen_at(QMP_SOCKET), report[2], release[2];

	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	assert_int_equal(pipe2(release, O_CLOEXEC), 0);
	qmp->pid = fork_fake();
	assert_true(qmp->pid >= 0);
	if (!qmp->pid) {
		for (;;) {
			int fd = accept(listener, NULL, NULL);

			if (fd < 0)
				_exit(1);
			qmp_session(fd, mode, report[1], release[0]);
			close(fd);
		}
	}
	close(listener);
	close(report[1]);
	close(release[0]);
	fcntl(report[0], F_SETFL, O_NONBLOCK);
	sf_line_reader_init(&qmp->reports, report[0], 1 << 20);
	qmp->release = release[1];
}

static void stop_qmp(struct fake_qmp *qmp)
{
	kill(qmp->pid, SIGKILL);
	waitpid(qmp->pid, NULL, 0);
	close(qmp->reports.fd);
	sf_line_reader_free(&qmp->reports);
	close(qmp->release);
}

static cJSON *next_report(struct fake_qmp *qmp)
{
	char *line;

	assert_int_equal(sf_line_read(&qmp->reports, sf_now_ms() + WAIT_MS, &line),
			 SF_LINE_OK);
	return cJSON_Parse(line);
}

/* hostd_main() in a child with argv (argc of them, then options). */
static pid_t spawn_hostd_argv(const char **argv, int argc, int stderr_fd,
			      const char *const *options)
{
	pid_t pid;

	while (*options)
		argv[argc++] = *options++;
	pid = fork_fake();
	assert_true(pid >= 0);
	if (!pid) {
		struct sf_error err = { 0 };
		int ret;

		if (stderr_fd >= 0 && dup2(stderr_fd, STDERR_FILENO) < 0)
			_exit(99);
		ret = hostd_main(argc, (char **)argv, &err);
		_exit(ret < 0 ? (int)err.exit_code : ret);
	}
	return pid;
}

/*
 * Runs hostd_main() in a child with these options after --guest and --log
 * LOG_FILE; without --log when stderr_fd >= 0: its standard error is that.
 */
static pid_t spawn_hostd_logging(int stderr_fd, const char *const *options)
{
	const char *argv[32] = { "snapfreeze-hostd", "--guest", GUEST_SOCKET,
				 "--log", LOG_FILE };

	return spawn_hostd_argv(argv, stderr_fd >= 0 ? 3 : 5, stderr_fd, options);
}

static pid_t spawn_hostd(const char *const *options)
{
	return spawn_hostd_logging(-1, options);
}

static void start_hostd_logging(struct hostd *hostd, int stderr_fd,
				const char *const *options)
{
	int listener = listen_at(GUEST_SOCKET);

	hostd->pid = spawn_hostd_logging(stderr_fd, options);
	hostd->guest = accept_within(listener, WAIT_MS);
	close(listener);
	sf_line_reader_init(&hostd->answers, hostd->guest, SF_HOST_MAX_LINE);
}

static void start_hostd(struct hostd *hostd, const char *const *options)
{
	start_hostd_logging(hostd, -1, options);
}

/* Its exit status, within WAIT_MS. */
static int wait_exit(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;
	int ready = poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, WAIT_MS);

	close(pidfd);
	if (ready != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("snapfreeze-hostd did not exit within %d ms", WAIT_MS);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* It exits 0 by itself, the guest's side still open. */
static void assert_exits_0(struct hostd *hostd)
{
	int status = wait_exit(hostd->pid);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(hostd->guest);
	sf_line_reader_free(&hostd->answers);
}

static void stop_hostd(struct hostd *hostd)
{
	int status;

	close(hostd->guest);
	sf_line_reader_free(&hostd->answers);
	status = wait_exit(hostd->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static const char *const qmp_options[] = { "--qmp", QMP_SOCKET, NULL };

/* The fake QMP server in that mode, and hostd using it. */
static void start_with_qmp(struct hostd *hostd, struct fake_qmp *qmp, enum qmp_mode mode)
{
	start_qmp(qmp, mode);
	start_hostd(hostd, qmp_options);
}

static void stop_with_qmp(struct hostd *hostd, struct fake_qmp *qmp)
{
	stop_hostd(hostd);
	stop_qmp(qmp);
}

static void send_text(struct hostd *hostd, const char *text)
{
	assert_int_equal(sf_line_write(hostd->guest, text, strlen(text),
				       sf_now_ms() + WAIT_MS), SF_LINE_OK);
}

/* The controller's own request line. */
static void send_request(struct hostd *hostd, const char *id, uint32_t deadline_ms)
{
	struct sf_host_request request = {
		.id = id, .consistency = "application", .deadline_ms = deadline_ms,
		.targets = &root, .n_targets = 1,
	};
	char *line = sf_host_request_line(&request);

	send_text(hostd, line);
	free(line);
}

static cJSON *next_answer_within(struct hostd *hostd, int timeout_ms)
{
	char *line;
	cJSON *json;

	assert_int_equal(sf_line_read(&hostd->answers, sf_now_ms() + timeout_ms, &line),
			 SF_LINE_OK);
	json = cJSON_Parse(line);
	assert_non_null(json);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(json, "type")), "result");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(json, "version")), 1);
	return json;
}

static const char *text(const cJSON *json, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, key));
}

/* A refusal: its id (NULL: none), cause, and a word of its message. */
static void assert_refused(cJSON *answer, const char *id, const char *error,
			   const char *message_part)
{
	if (id)
		assert_string_equal(text(answer, "id"), id);
	else
		assert_null(cJSON_GetObjectItem(answer, "id"));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(answer, "ok")));
	assert_string_equal(text(answer, "error"), error);
	assert_non_null(text(answer, "message"));
	if (!strstr(text(answer, "message"), message_part))
		fail_msg("message '%s' lacks '%s'", text(answer, "message"), message_part);
	cJSON_Delete(answer);
}

static cJSON *expected_transaction(const char *folder, const char *tag)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "{\"execute\":\"transaction\",\"arguments\":{\"actions\":["
		 "{\"type\":\"blockdev-snapshot-sync\",\"data\":{\"device\":\"virtio0\","
		 "\"snapshot-file\":\"%1$s/virtio0-%2$s.qcow2\",\"format\":\"qcow2\"}},"
		 "{\"type\":\"blockdev-snapshot-sync\",\"data\":{\"device\":\"virtio1\","
		 "\"snapshot-file\":\"%1$s/virtio1-%2$s.qcow2\",\"format\":\"qcow2\"}},"
		 "{\"type\":\"blockdev-snapshot-sync\",\"data\":{\"node-name\":\"logs\","
		 "\"snapshot-file\":\"%1$s/logs-%2$s.qcow2\",\"format\":\"qcow2\"}}]}}",
		 folder, tag);
	return cJSON_Parse(buf);
}

static void assert_disk(const cJSON *disks, int i, const char *device, const char *image,
			const char *overlay)
{
	const cJSON *disk = cJSON_GetArrayItem(disks, i);
	char path[512];

	assert_string_equal(text(disk, "device"), device);
	snprintf(path, sizeof(path), "%s/%s", IMAGES, image);
	assert_string_equal(text(disk, "image"), path);
	assert_string_equal(text(disk, "overlay"), overlay);
}

static bool log_has(const char *pattern)
{
	FILE *log = fopen(LOG_FILE, "re");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	bool found = false;
	regex_t re;

	assert_non_null(log);
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	while (!found && (len = getline(&line, &size, log)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		found = !regexec(&re, line, 0, NULL, 0);
	}
	free(line);
	regfree(&re);
	fclose(log);
	return found;
}

/* Polls the log for pattern for at most timeout_ms. */
static bool log_has_within(const char *pattern, int timeout_ms)
{
	uint64_t deadline = sf_now_ms() + timeout_ms;

	while (!log_has(pattern)) {
		if (!sf_remaining_ms(deadline))
			return false;
		poll(NULL, 0, 10);
	}
	return true;
}

/*
 * Three writable disks (one made with -blockdev, named by its node), an
 * empty drive and a CD-ROM: one transaction for the three, overlays next
 * to their images, named after the request.
 */
static void qmp_three_disks_one_transaction(void **state)
{
	cJSON *answer, *sent, *expected = expected_transaction(IMAGES, "req_1_x");
	struct fake_qmp qmp;
	struct hostd hostd;
	char overlay[512];

	(void)state;
	start_with_qmp(&hostd, &qmp, QMP_OK);
	send_request(&hostd, "req/1 x", 10000);
	sent = next_report(&qmp);
	assert_true(cJSON_Compare(sent, expected, true));
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "id"), "req/1 x");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
	assert_string_equal(text(answer, "snapshot"), "req_1_x");
	assert_string_equal(text(answer, "message"), "3 disks");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(answer, "disks")), 3);
	snprintf(overlay, sizeof(overlay), "%s/virtio0-req_1_x.qcow2", IMAGES);
	assert_disk(cJSON_GetObjectItem(answer, "disks"), 0, "virtio0", "root.img", overlay);
	snprintf(overlay, sizeof(overlay), "%s/virtio1-req_1_x.qcow2", IMAGES);
	assert_disk(cJSON_GetObjectItem(answer, "disks"), 1, "virtio1", "data.qcow2", overlay);
	snprintf(overlay, sizeof(overlay), "%s/logs-req_1_x.qcow2", IMAGES);
	assert_disk(cJSON_GetObjectItem(answer, "disks"), 2, "logs", "logs.qcow2", overlay);
	stop_with_qmp(&hostd, &qmp);
	assert_true(log_has("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
			    "INFO \\[req/1 x\\] answered ok: snapshot req_1_x, 3 disks$"));
	cJSON_Delete(answer);
	cJSON_Delete(sent);
	cJSON_Delete(expected);
}

static void qmp_snapshot_dir(void **state)
{
	char snapshots[300];
	const char *const options[] = { "--qmp", QMP_SOCKET, "--snapshot-dir", snapshots, NULL };
	cJSON *answer, *sent, *expected;
	struct fake_qmp qmp;
	struct hostd hostd;

	(void)state;
	snprintf(snapshots, sizeof(snapshots), "%s/snapshots", dir);
	expected = expected_transaction(snapshots, "r2");
	strcat(snapshots, "/");	/* the trailing slash is not kept */
	start_qmp(&qmp, QMP_OK);
	start_hostd(&hostd, options);
	send_request(&hostd, "r2", 10000);
	sent = next_report(&qmp);
	assert_true(cJSON_Compare(sent, expected, true));
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
	stop_with_qmp(&hostd, &qmp);
	cJSON_Delete(answer);
	cJSON_Delete(sent);
	cJSON_Delete(expected);
}

/* An overlay left from an earlier request of the same id is never overwritten. */
static void qmp_existing_overlay_refused(void **state)
{
	struct fake_qmp qmp;
	struct hostd hostd;
	char overlay[512];
	int fd;

	(void)state;
	snprintf(overlay, sizeof(overlay), "%s/virtio1-again.qcow2", IMAGES);
	fd = open(overlay, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	start_with_qmp(&hostd, &qmp, QMP_OK);
	send_request(&hostd, "again", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "again", "qmp", overlay);
	stop_with_qmp(&hostd, &qmp);
	unlink(overlay);
}

static bool exists_in(const char *folder, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", folder, name);
	return !lstat(path, &st);
}

/* The overlays QEMU made for the transaction it refused are removed. */
static void qmp_error_answered_with_its_desc(void **state)
{
	struct fake_qmp qmp;
	struct hostd hostd;
	char pattern[512];
	cJSON *answer;

	(void)state;
	start_with_qmp(&hostd, &qmp, QMP_FAIL);
	send_request(&hostd, "denied-1", 10000);
	cJSON_Delete(next_report(&qmp));
	/* Made before the answer, which waits for the release. */
	assert_true(exists_in(IMAGES, "virtio0-denied-1.qcow2"));
	assert_int_equal(write(qmp.release, "", 1), 1);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "message"),
			    "transaction: GenericError: Could not create file: Permission denied");
	assert_refused(answer, "denied-1", "qmp", "GenericError");
	stop_with_qmp(&hostd, &qmp);
	assert_false(exists_in(IMAGES, "virtio0-denied-1.qcow2"));
	assert_false(exists_in(IMAGES, "virtio1-denied-1.qcow2"));
	assert_false(exists_in(IMAGES, "logs-denied-1.qcow2"));
	snprintf(pattern, sizeof(pattern), "INFO \\[denied-1\\] logs: removed %s/logs-denied-1.qcow2, "
		 "made for the failed transaction$", IMAGES);
	assert_true(log_has(pattern));
}

/*
 * A transaction that completes after the guest was answered "timeout": the
 * guest has thawed, and the log warns that the images hold a snapshot it
 * did not see frozen. No other snapshot starts meanwhile.
 */
static void qmp_late_transaction_logged(void **state)
{
	struct fake_qmp qmp;
	struct hostd hostd;
	char pattern[1024];

	(void)state;
	start_with_qmp(&hostd, &qmp, QMP_HOLD);
	send_request(&hostd, "late-1", 1000);
	cJSON_Delete(next_report(&qmp));
	assert_refused(next_answer_within(&hostd, 1000), "late-1", "timeout", "transaction");
	send_request(&hostd, "late-2", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "late-2", "busy", "late-1");
	assert_int_equal(write(qmp.release, "", 1), 1);
	snprintf(pattern, sizeof(pattern), "WARNING \\[late-1\\] virtio1: the transaction completed "
		 "after the guest was answered \"timeout\": %1$s/data.qcow2 holds a snapshot the "
		 "guest did not see frozen; both it and %1$s/virtio1-late-1.qcow2, which QEMU "
		 "writes to now, are kept$", IMAGES);
	assert_true(log_has_within(pattern, WAIT_MS));
	assert_true(exists_in(IMAGES, "virtio1-late-1.qcow2"));
	stop_with_qmp(&hostd, &qmp);
	assert_false(log_has("\\[late-1\\] .*is kept: QEMU did not say"));
}

/*
 * QMP stuck at any stage, from a socket that never speaks on: "timeout",
 * naming the stage, before the guest gives up.
 */
static void qmp_stuck_times_out_before_the_guest(void **state)
{
	static const struct {
		enum qmp_mode mode;
		const char *stage;
	} cases[] = {
		{ QMP_SILENT, "greeting" },
		{ QMP_STUCK_CAPABILITIES, "qmp_capabilities" },
		{ QMP_STUCK_QUERY_BLOCK, "query-block" },
		{ QMP_STUCK_TRANSACTION, "transaction" },
	};
	char id[32], pattern[512];
	struct fake_qmp qmp;
	struct hostd hostd;
	uint64_t sent;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(id, sizeof(id), "slow-%zu", i);
		start_with_qmp(&hostd, &qmp, cases[i].mode);
		sent = sf_now_ms();
		send_request(&hostd, id, 1000);
		assert_refused(next_answer_within(&hostd, 1000), id, "timeout", cases[i].stage);
		assert_true(sf_now_ms() - sent >= 800);
		stop_with_qmp(&hostd, &qmp);
		snprintf(pattern, sizeof(pattern), "WARNING \\[%s\\] QMP stuck at %s: ", id,
			 cases[i].stage);
		assert_true(log_has(pattern));
	}
	assert_true(log_has("WARNING \\[slow-3\\] QMP stuck at transaction: .*"
			    "QEMU may still take the snapshot: its answer is awaited a minute more$"));
	/* QEMU made the overlays, and never said what became of the transaction. */
	snprintf(pattern, sizeof(pattern), "WARNING \\[slow-3\\] virtio0: %s/virtio0-slow-3.qcow2 "
		 "is kept: QEMU did not say whether the transaction completed", IMAGES);
	assert_true(log_has(pattern));
	assert_true(exists_in(IMAGES, "virtio0-slow-3.qcow2"));
}

static void qmp_socket_missing_answered(void **state)
{
	char missing[300];
	const char *const options[] = { "--qmp", missing, NULL };
	struct hostd hostd;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-qmp.sock", dir);
	start_hostd(&hostd, options);
	send_request(&hostd, "q-1", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "q-1", "qmp",
		       "No such file or directory");
	stop_hostd(&hostd);
}

static const char *const echo_command[] = { "--command", "echo snap-1", NULL };

/* Beyond --max-requests-per-minute, a request is refused "rate", naming the bound. */
static void requests_beyond_the_rate_refused(void **state)
{
	static const char *const options[] = {
		"--command", "echo snap-r", "--max-requests-per-minute", "2", NULL };
	struct hostd hostd;
	cJSON *answer;
	int i;

	(void)state;
	start_hostd(&hostd, options);
	for (i = 0; i < 2; i++) {
		send_request(&hostd, i ? "r-2" : "r-1", 10000);
		answer = next_answer_within(&hostd, WAIT_MS);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
		cJSON_Delete(answer);
	}
	send_request(&hostd, "r-3", 10000);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_refused(answer, "r-3", "rate", "the most --max-requests-per-minute allows (2)");
	stop_hostd(&hostd);
	assert_true(log_has("WARNING \\[r-3\\] answered rate: 2 snapshots were requested "
			    "within the last minute"));
}

/*
 * Beyond --max-overlays of a disk in its folder, a request is refused
 * "overlays", naming the disk, the folder and the bound, before QEMU hears
 * of it.
 */
static void overlays_beyond_the_bound_refused(void **state)
{
	char snapshots[300], message[512];
	const char *const options[] = { "--qmp", QMP_SOCKET, "--snapshot-dir", snapshots,
					"--max-overlays", "2", NULL };
	struct fake_qmp qmp;
	struct hostd hostd;
	cJSON *answer;
	char *line;
	int i;

	(void)state;
	snprintf(snapshots, sizeof(snapshots), "%s/bounded", dir);
	assert_int_equal(mkdir(snapshots, 0700), 0);
	start_qmp(&qmp, QMP_OK);
	start_hostd(&hostd, options);
	for (i = 0; i < 2; i++) {
		send_request(&hostd, i ? "b-2" : "b-1", 10000);
		cJSON_Delete(next_report(&qmp));
		answer = next_answer_within(&hostd, WAIT_MS);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
		cJSON_Delete(answer);
	}
	send_request(&hostd, "b-3", 10000);
	snprintf(message, sizeof(message),
		 "virtio0 has 2 overlays in %s already (virtio0-*.qcow2), "
		 "the most --max-overlays allows (2)", snapshots);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "b-3", "overlays", message);
	assert_int_equal(sf_line_read(&qmp.reports, sf_now_ms() + 100, &line), SF_LINE_TIMEOUT);
	stop_with_qmp(&hostd, &qmp);
}

/*
 * libvirt's test driver (test:///PATH: domains defined in a file, no
 * daemon) holds vm1, a running domain as libvirt describes one, and a
 * domain with a CD-ROM only. It reads and describes them as libvirt does,
 * and refuses a disk-only snapshot: the backend goes as far as the
 * snapshot's call, which a real libvirt makes in the VM tests.
 */
static char libvirt_uri[320];
static char libvirt_snapshots[300];

static void write_libvirt_node(void)
{
	FILE *in = fopen(SF_FIXTURES "/libvirt-domain-vm1.xml", "re"), *out;
	char path[300], buf[4096];
	size_t got;

	snprintf(path, sizeof(path), "%s/libvirt-node.xml", dir);
	out = fopen(path, "we");
	assert_non_null(in);
	assert_non_null(out);
	fputs("<node>\n", out);
	while ((got = fread(buf, 1, sizeof(buf), in)))
		assert_int_equal(fwrite(buf, 1, got, out), got);
	fputs("<domain type='kvm'><name>cdrom-only</name><memory>524288</memory>"
	      "<os><type>hvm</type></os><devices><disk type='file' device='cdrom'>"
	      "<source file='/srv/install.iso'/><target dev='sda' bus='sata'/><readonly/>"
	      "</disk></devices></domain>\n</node>\n", out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	snprintf(libvirt_uri, sizeof(libvirt_uri), "test://%s", path);
	snprintf(libvirt_snapshots, sizeof(libvirt_snapshots), "%s/libvirt-snapshots", dir);
	assert_int_equal(mkdir(libvirt_snapshots, 0700), 0);
}

/* hostd on libvirt at uri, for domain, with the options after. */
static void start_with_libvirt(struct hostd *hostd, const char *uri, const char *domain,
			       const char *const *more)
{
	const char *options[16] = { "--libvirt", uri, "--domain", domain,
				    "--snapshot-dir", libvirt_snapshots };
	int n = 6;

	while (*more)
		options[n++] = *more++;
	options[n] = NULL;
	start_hostd(hostd, options);
}

static const char *const no_more[] = { NULL };

/* libvirt refuses the snapshot: "libvirt", with the call and libvirt's message. */
static void libvirt_refusal_answered_with_its_message(void **state)
{
	struct hostd hostd;
	cJSON *answer;

	(void)state;
	start_with_libvirt(&hostd, libvirt_uri, "vm1", no_more);
	send_request(&hostd, "lv-1", 10000);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_refused(answer, "lv-1", "libvirt",
		       "virDomainSnapshotCreateXML: unsupported flags (0x14)");
	stop_hostd(&hostd);
	assert_false(exists_in(libvirt_snapshots, "vda-lv-1.qcow2"));
	assert_true(log_has("WARNING \\[lv-1\\] answered libvirt: virDomainSnapshotCreateXML: "));
}

/*
 * The overlays are planned from the domain's XML as for QMP, each disk
 * named by its target: an overlay that exists already is refused (the
 * network disk vde's, planned last), and so is one beyond --max-overlays.
 */
static void libvirt_overlays_planned_from_the_domain(void **state)
{
	static const char *const bounded[] = { "--max-overlays", "2", NULL };
	char path[512], message[512];
	struct hostd hostd;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/vde-again.qcow2", libvirt_snapshots);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	start_with_libvirt(&hostd, libvirt_uri, "vm1", no_more);
	send_request(&hostd, "again", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "again", "libvirt",
		       "vde-again.qcow2: the overlay of vde exists already");
	stop_hostd(&hostd);
	unlink(path);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/vda-old-%d.qcow2", libvirt_snapshots, i);
		close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	}
	start_with_libvirt(&hostd, libvirt_uri, "vm1", bounded);
	send_request(&hostd, "b-lv", 10000);
	snprintf(message, sizeof(message), "vda has 2 overlays in %s already (vda-*.qcow2), "
		 "the most --max-overlays allows (2)", libvirt_snapshots);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "b-lv", "overlays", message);
	stop_hostd(&hostd);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/vda-old-%d.qcow2", libvirt_snapshots, i);
		unlink(path);
	}
}

/* What libvirt cannot do is answered "libvirt", naming the call and its argument. */
static void libvirt_refusals_name_the_call(void **state)
{
	char unreachable[400], expected[512];
	struct hostd hostd;

	(void)state;
	start_with_libvirt(&hostd, libvirt_uri, "nosuch", no_more);
	send_request(&hostd, "lv-d", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "lv-d", "libvirt",
		       "virDomainLookupByName nosuch: Domain not found");
	stop_hostd(&hostd);
	start_with_libvirt(&hostd, libvirt_uri, "cdrom-only", no_more);
	send_request(&hostd, "lv-c", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "lv-c", "libvirt",
		       "the domain cdrom-only has no writable disk");
	stop_hostd(&hostd);
	snprintf(unreachable, sizeof(unreachable), "qemu+unix:///system?socket=%s/none.sock", dir);
	start_with_libvirt(&hostd, unreachable, "vm1", no_more);
	send_request(&hostd, "lv-u", 10000);
	snprintf(expected, sizeof(expected), "virConnectOpen %s: ", unreachable);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "lv-u", "libvirt", expected);
	stop_hostd(&hostd);
}

/*
 * A libvirtd that takes the connection and never answers: "timeout" at
 * virConnectOpen before the guest gives up, the next request served (not
 * "busy"), and the calls' process killed when the agent stops: libvirtd
 * sees its connection close.
 */
static void libvirt_stuck_times_out_before_the_guest(void **state)
{
	char socket_path[300], uri[400];
	struct hostd hostd;
	uint64_t sent;
	int listener, peer;
	char byte;

	(void)state;
	snprintf(socket_path, sizeof(socket_path), "%s/silent-libvirt.sock", dir);
	snprintf(uri, sizeof(uri), "qemu+unix:///system?socket=%s", socket_path);
	listener = listen_at(socket_path);
	start_with_libvirt(&hostd, uri, "vm1", no_more);
	sent = sf_now_ms();
	send_request(&hostd, "lv-slow", 1000);
	assert_refused(next_answer_within(&hostd, 1000), "lv-slow", "timeout",
		       "libvirt virConnectOpen: no answer within");
	assert_true(sf_now_ms() - sent >= 800);
	assert_true(log_has("WARNING \\[lv-slow\\] libvirt stuck at virConnectOpen: no answer "
			    "within [0-9]+ ms$"));
	peer = accept_within(listener, WAIT_MS);
	assert_int_equal(poll(&(struct pollfd){ .fd = peer, .events = POLLIN }, 1, WAIT_MS), 1);
	while (read(peer, &byte, 1) > 0)
		;
	close(peer);
	send_request(&hostd, "lv-slow-2", 1000);
	assert_refused(next_answer_within(&hostd, 1000), "lv-slow-2", "timeout", "virConnectOpen");
	peer = accept_within(listener, WAIT_MS);
	stop_hostd(&hostd);
	fcntl(peer, F_SETFL, 0);
	assert_int_equal(poll(&(struct pollfd){ .fd = peer, .events = POLLIN }, 1, WAIT_MS), 1);
	while (read(peer, &byte, 1) > 0)
		;
	close(peer);
	close(listener);
}

static void malformed_lines_answered(void **state)
{
	struct hostd hostd;

	(void)state;
	start_hostd(&hostd, echo_command);
	send_text(&hostd, "this is not json\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), NULL, "malformed", "JSON");
	send_text(&hostd, "[1, 2]\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), NULL, "malformed", "JSON");
	send_text(&hostd, "{\"type\":\"snapshot\",\"version\":1,\"id\":\"m-1\"}\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), "m-1", "malformed", "consistency");
	send_text(&hostd, "{\"type\":\"snapshot\",\"version\":1,\"id\":\"m-2\","
			  "\"consistency\":\"crash\",\"deadline_ms\":-5,\"targets\":[]}\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), "m-2", "malformed", "deadline_ms");
	send_text(&hostd, "{\"type\":\"hello\",\"version\":1,\"id\":\"m-3\"}\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), "m-3", "malformed", "hello");
	send_text(&hostd, "{\"type\":\"snapshot\",\"id\":\"m-4\"}\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), "m-4", "malformed", "version");
	stop_hostd(&hostd);
}

static void too_long_line_then_request_served(void **state)
{
	size_t len = SF_HOST_MAX_LINE + 5000;
	char *line = malloc(len + 2);
	struct hostd hostd;
	cJSON *answer;

	(void)state;
	memset(line, 'x', len);
	strcpy(line + len, "\n");
	start_hostd(&hostd, echo_command);
	send_text(&hostd, line);
	send_request(&hostd, "after-1", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), NULL, "too-long", "65536");
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "id"), "after-1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
	cJSON_Delete(answer);
	stop_hostd(&hostd);
	free(line);
}

/*
 * A guest that does not read its channel: hostd goes on serving without
 * waiting for it, drops the answers it has no room for whole, and the
 * guest, once it reads, gets whole lines, then the answer to a new request.
 */
static void guest_not_reading_never_stalls_nor_garbles(void **state)
{
	enum { BIG = 12, ID_LEN = 60000 };
	char *line = malloc(ID_LEN + 100), *id = malloc(ID_LEN + 1), *got;
	enum sf_line status;
	int answers = 0;
	struct hostd hostd;
	cJSON *answer;
	uint64_t sent;
	int i;

	(void)state;
	memset(id, 'i', ID_LEN);
	id[ID_LEN] = '\0';
	/* Refused "malformed", each answer repeats its ~60 KB id. */
	snprintf(line, ID_LEN + 100, "{\"type\":\"snapshot\",\"version\":1,\"id\":\"%s\"}\n", id);
	start_hostd(&hostd, echo_command);
	sent = sf_now_ms();
	for (i = 0; i < BIG; i++)
		send_text(&hostd, line);
	assert_true(log_has_within("\\] the answer is dropped: the guest does not read its channel",
				   1000));
	assert_true(sf_now_ms() - sent < 1000);
	while ((status = sf_line_read(&hostd.answers, sf_now_ms() + 500, &got)) == SF_LINE_OK) {
		answer = cJSON_Parse(got);
		assert_non_null(answer);
		assert_refused(answer, id, "malformed", "consistency");
		answers++;
	}
	assert_int_equal(status, SF_LINE_TIMEOUT);
	assert_true(answers > 0 && answers < BIG);
	send_request(&hostd, "heard", 10000);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "id"), "heard");
	cJSON_Delete(answer);
	free(line);
	free(id);
	stop_hostd(&hostd);
}

static void unknown_version_answered(void **state)
{
	struct hostd hostd;

	(void)state;
	start_hostd(&hostd, echo_command);
	send_text(&hostd, "{\"type\":\"snapshot\",\"version\":2,\"id\":\"v-2\",\"whatever\":1}\n");
	assert_refused(next_answer_within(&hostd, WAIT_MS), "v-2", "version", "version 2");
	stop_hostd(&hostd);
}

/* The first request's transaction waits; the second is "busy" meanwhile. */
static void second_request_busy_first_answered(void **state)
{
	struct fake_qmp qmp;
	struct hostd hostd;
	cJSON *answer;

	(void)state;
	start_with_qmp(&hostd, &qmp, QMP_HOLD);
	send_request(&hostd, "first", 10000);
	cJSON_Delete(next_report(&qmp));
	send_request(&hostd, "second", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "second", "busy", "first");
	assert_int_equal(write(qmp.release, "", 1), 1);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "id"), "first");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
	cJSON_Delete(answer);
	stop_with_qmp(&hostd, &qmp);
}

static void command_ok_names_the_snapshot(void **state)
{
	char command[512], input[300], line[4096] = "";
	const char *const options[] = { "--command", command, NULL };
	struct hostd hostd;
	cJSON *answer;
	FILE *file;

	(void)state;
	snprintf(input, sizeof(input), "%s/command-input", dir);
	snprintf(command, sizeof(command), "cat > %s; echo 'vm-7@snap 1'; echo more", input);
	start_hostd(&hostd, options);
	send_request(&hostd, "c-1", 10000);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "id"), "c-1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(answer, "ok")));
	assert_string_equal(text(answer, "snapshot"), "vm-7@snap 1");
	assert_null(cJSON_GetObjectItem(answer, "disks"));
	cJSON_Delete(answer);
	stop_hostd(&hostd);
	file = fopen(input, "re");
	assert_non_null(file);
	assert_non_null(fgets(line, sizeof(line), file));
	fclose(file);
	answer = cJSON_Parse(line);
	assert_string_equal(text(answer, "type"), "snapshot");
	assert_string_equal(text(answer, "id"), "c-1");
	assert_int_equal(line[strlen(line) - 1], '\n');
	cJSON_Delete(answer);
}

/*
 * A guest that takes progress (max_deadline_ms) hears from a slow snapshot
 * while it runs, then gets the answer, past deadline_ms. However short a
 * deadline_ms it asks (1 ms), progress comes a second apart at most often:
 * over the wait, no more lines than whole seconds passed. The log counts
 * them at the end rather than showing each.
 */
static void slow_snapshot_sends_progress(void **state)
{
	static const char *const options[] = { "--command", "sleep 2.5; echo snap-p", NULL };
	struct sf_host_request request = {
		.id = "p-1", .consistency = "application", .deadline_ms = 1,
		.max_deadline_ms = 5000, .targets = &root, .n_targets = 1,
	};
	char *line = sf_host_request_line(&request), pattern[128];
	struct hostd hostd;
	unsigned int progress = 0;
	uint64_t sent, waited;
	cJSON *json;

	(void)state;
	start_hostd(&hostd, options);
	sent = sf_now_ms();
	send_text(&hostd, line);
	free(line);
	for (;;) {
		assert_int_equal(sf_line_read(&hostd.answers, sf_now_ms() + WAIT_MS, &line),
				 SF_LINE_OK);
		json = cJSON_Parse(line);
		assert_string_equal(text(json, "id"), "p-1");
		if (strcmp(text(json, "type"), "progress"))
			break;
		progress++;
		cJSON_Delete(json);
	}
	waited = sf_now_ms() - sent;
	assert_string_equal(text(json, "type"), "result");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "ok")));
	assert_string_equal(text(json, "snapshot"), "snap-p");
	/* 2.5 s of work: at 1 s and 2 s, whatever the load, and never more. */
	if (progress < 2 || progress > waited / 1000)
		fail_msg("%u progress lines in %llu ms", progress, (unsigned long long)waited);
	cJSON_Delete(json);
	stop_hostd(&hostd);
	assert_true(log_has("INFO \\[p-1\\] snapshot requested: .*the guest waits 1 ms "
			    "\\(up to 5000 ms with progress\\)$"));
	snprintf(pattern, sizeof(pattern),
		 "INFO \\[p-1\\] finished after [0-9]+ ms, %u progress messages sent$", progress);
	assert_true(log_has(pattern));
	assert_false(log_has("\\[p-1\\] .*progress sent"));
}

/* Without max_deadline_ms the guest takes no progress: none is sent. */
static void no_progress_unless_the_guest_takes_it(void **state)
{
	static const char *const options[] = { "--command", "sleep 0.5; echo snap-q", NULL };
	struct hostd hostd;
	cJSON *answer;

	(void)state;
	start_hostd(&hostd, options);
	send_request(&hostd, "q-1", 3000);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "snapshot"), "snap-q");
	cJSON_Delete(answer);
	stop_hostd(&hostd);
}

static void command_failure_answered_with_stderr(void **state)
{
	const char *const options[] = { "--command",
					"echo progress; echo 'volume busy' >&2; exit 3", NULL };
	const char *const silent[] = { "--command", "exit 4", NULL };
	struct hostd hostd;
	cJSON *answer;

	(void)state;
	start_hostd(&hostd, options);
	send_request(&hostd, "f-1", 10000);
	answer = next_answer_within(&hostd, WAIT_MS);
	assert_string_equal(text(answer, "message"), "volume busy");
	assert_refused(answer, "f-1", "command", "volume busy");
	stop_hostd(&hostd);

	start_hostd(&hostd, silent);
	send_request(&hostd, "f-2", 10000);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "f-2", "command",
		       "exited with status 4");
	stop_hostd(&hostd);
}

/*
 * A command that ignores SIGTERM: "timeout" at the deadline, and its whole
 * group killed: the fifo it and its children hold open hangs up.
 */
static void command_killed_at_deadline(void **state)
{
	char fifo[300], command[512];
	const char *const options[] = { "--command", command, NULL };
	struct hostd hostd;
	struct pollfd hangup = { .events = POLLIN };

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/held", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	hangup.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(hangup.fd >= 0);
	snprintf(command, sizeof(command),
		 "trap '' TERM; exec 3>%s; while :; do sleep 1; done", fifo);
	start_hostd(&hostd, options);
	send_request(&hostd, "k-1", 1000);
	assert_refused(next_answer_within(&hostd, 1000), "k-1", "timeout", "did not finish");
	assert_int_equal(poll(&hangup, 1, WAIT_MS), 1);
	assert_true(hangup.revents & POLLHUP);
	close(hangup.fd);
	unlink(fifo);
	stop_hostd(&hostd);
}

/* The id a guest would forge log lines with, and what the log shows of it. */
static const char forging_id[] = "id\n2026-01-01T00:00:00.000Z ERROR [x] forged\r\x1b[31m\x01\x7f]end";
#define FORGING_ID_SHOWN "id\\?2026-01-01T00:00:00\\.000Z ERROR \\?x\\? forged\\?\\?\\?31m\\?\\?\\?end"

static int count_lines(const char *text, const char *pattern)
{
	char *copy = strdup(text), *line, *next;
	int count = 0;
	regex_t re;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	for (line = copy; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		count += !regexec(&re, line, 0, NULL, 0);
	}
	regfree(&re);
	free(copy);
	return count;
}

/*
 * The log of the request by forging_id, whose command failed with a two-line
 * standard error: one line an event, each with the id flattened. prefix:
 * what starts each line up to the id.
 */
static void assert_no_forged_line(const char *log, const char *prefix)
{
	char pattern[512];
	const char *c;

	for (c = log; *c; c++)
		if (*c != '\n' && ((unsigned char)*c < ' ' || *c == 0x7f))
			fail_msg("control character 0x%02x in the log: %s", *c, log);
	snprintf(pattern, sizeof(pattern), "^%s\\[" FORGING_ID_SHOWN "\\] ", prefix);
	assert_true(count_lines(log, "forged") >= 1);
	assert_int_equal(count_lines(log, "forged"), count_lines(log, pattern));
	assert_int_equal(count_lines(log, "answered command"), 1);
	snprintf(pattern, sizeof(pattern), "^%s\\[" FORGING_ID_SHOWN "\\] "
		 "(warning: )?answered command: one two$", prefix);
	assert_int_equal(count_lines(log, pattern), 1);
}

static void request_by_forging_id(struct hostd *hostd)
{
	struct sf_host_request request = {
		.id = forging_id, .consistency = "application", .deadline_ms = 10000,
		.targets = &root, .n_targets = 1,
	};
	char *line = sf_host_request_line(&request);

	send_text(hostd, line);
	free(line);
	assert_refused(next_answer_within(hostd, WAIT_MS), forging_id, "command", "one");
	stop_hostd(hostd);
}

static char *read_all(const char *path)
{
	FILE *file = fopen(path, "re");
	char *text = calloc(1, 1 << 20);

	assert_non_null(file);
	assert_non_null(text);
	if (fread(text, 1, (1 << 20) - 1, file) == 0)
		text[0] = '\0';
	fclose(file);
	return text;
}

/* An id, or a message, with newlines and other control characters forges no line. */
static void ids_flattened_in_the_log(void **state)
{
	static const char *const options[] = {
		"--command", "echo one >&2; echo two >&2; exit 3", NULL };
	struct hostd hostd;
	char *log;

	(void)state;
	unlink(LOG_FILE);
	start_hostd(&hostd, options);
	request_by_forging_id(&hostd);
	log = read_all(LOG_FILE);
	assert_no_forged_line(log, "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z [A-Z]+ ");
	free(log);
}

/* The same on standard error when it is a socket, as the journal's is. */
static void ids_flattened_on_a_journal_socket(void **state)
{
	static const char *const options[] = {
		"--command", "echo one >&2; echo two >&2; exit 3", NULL };
	char *log = calloc(1, 1 << 20);
	struct hostd hostd;
	int journal[2];
	size_t len = 0;
	ssize_t got;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, journal), 0);
	start_hostd_logging(&hostd, journal[1], options);
	close(journal[1]);
	request_by_forging_id(&hostd);
	while ((got = read(journal[0], log + len, (1 << 20) - 1 - len)) > 0)
		len += got;
	close(journal[0]);
	assert_no_forged_line(log, "snapfreeze-hostd: ");
	free(log);
}

static void once_exits_after_the_first_answer(void **state)
{
	const char *const options[] = { "--command", "echo s-1", "--once", NULL };
	struct hostd hostd;

	(void)state;
	start_hostd(&hostd, options);
	send_request(&hostd, "o-1", 10000);
	cJSON_Delete(next_answer_within(&hostd, WAIT_MS));
	assert_exits_0(&hostd);
}

static void guest_closing_exits_0(void **state)
{
	struct hostd hostd;

	(void)state;
	start_hostd(&hostd, echo_command);
	stop_hostd(&hostd);
	assert_true(log_has("INFO \\[-\\] the guest's channel closed: exiting$"));
}

static void sigterm_exits_0(void **state)
{
	struct hostd hostd;

	(void)state;
	start_hostd(&hostd, echo_command);
	kill(hostd.pid, SIGTERM);
	assert_exits_0(&hostd);
}

/* The guest, frozen meanwhile, is not left waiting for its deadline. */
static void sigterm_during_a_snapshot_answers(void **state)
{
	struct fake_qmp qmp;
	struct hostd hostd;

	(void)state;
	start_with_qmp(&hostd, &qmp, QMP_HOLD);
	send_request(&hostd, "cut-short", 10000);
	cJSON_Delete(next_report(&qmp));
	kill(hostd.pid, SIGTERM);
	assert_refused(next_answer_within(&hostd, WAIT_MS), "cut-short", "stopped",
		       "may still complete");
	assert_exits_0(&hostd);
	stop_qmp(&qmp);
}

static void no_guest_socket_exits_1(void **state)
{
	const char *const options[] = { "--command", "true", "--connect-timeout", "0.2", NULL };
	int status;

	(void)state;
	unlink(GUEST_SOCKET);
	status = wait_exit(spawn_hostd(options));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_true(log_has("ERROR \\[-\\] .*guest.sock: could not connect within 0.2 s"));
}

/* A free port on 127.0.0.1 for hostd to listen on, as "azure:127.0.0.1:PORT" in uri. */
static const char *free_port(char *address, size_t size, char *uri, size_t uri_size)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	snprintf(address, size, "127.0.0.1:%u", ntohs(addr.sin_port));
	snprintf(uri, uri_size, "azure:%s", address);
	return address;
}

/* hostd serving Azure's host protocol by the backend, ready once its log says so. */
static pid_t start_azure_hostd_with(const char *address, const char *const *backend)
{
	const char *argv[32] = { "snapfreeze-hostd", "--azure-listen", address,
				 "--log", LOG_FILE };
	const char *const none[] = { NULL };
	uint64_t deadline = sf_now_ms() + WAIT_MS;
	int argc = 5;
	pid_t pid;

	while (*backend)
		argv[argc++] = *backend++;
	unlink(LOG_FILE);
	pid = spawn_hostd_argv(argv, argc, -1, none);
	while (access(LOG_FILE, F_OK) && sf_remaining_ms(deadline))
		poll(NULL, 0, 10);
	assert_true(log_has_within("serving Azure's host protocol on ", sf_remaining_ms(deadline)));
	return pid;
}

static pid_t start_azure_hostd(const char *address)
{
	const char *const qmp[] = { "--qmp", QMP_SOCKET, NULL };

	return start_azure_hostd_with(address, qmp);
}

static void stop_azure_hostd(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	status = wait_exit(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * The guest's azure: host against hostd's listener: presnapshot answered,
 * dosnapshot taken by one QMP transaction named after the task, and
 * snapshotInfo one entry per disk, its image.
 */
static void azure_protocol_by_qmp(void **state)
{
	cJSON *sent, *expected = expected_transaction(IMAGES, "task-7");
	const struct sf_azure_snapshot task = { .task_id = "task-7", .token = "t" };
	char address[64], uri[80], image[512];
	struct sf_host_answer answer;
	struct fake_qmp qmp;
	struct sf_error err;
	struct sf_host *host;
	const cJSON *disk;
	pid_t pid;

	(void)state;
	start_qmp(&qmp, QMP_OK);
	pid = start_azure_hostd(free_port(address, sizeof(address), uri, sizeof(uri)));
	host = sf_host_open(uri, WAIT_MS, &task, &err);
	if (!host)
		fail_msg("%s", err.msg);
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x",
				     .deadline_ms = WAIT_MS, .abort_fd = -1 }, &answer, &err), 0);
	sent = next_report(&qmp);
	assert_true(cJSON_Compare(sent, expected, true));
	assert_true(answer.ok);
	assert_string_equal(answer.message, "3 of 3 disks");
	assert_int_equal(cJSON_GetArraySize(answer.disks), 3);
	disk = cJSON_GetArrayItem(answer.disks, 0);
	assert_string_equal(text(disk, "isSuccessful"), "true");
	snprintf(image, sizeof(image), "%s/root.img", IMAGES);
	assert_string_equal(text(disk, "snapshotUri"), image);
	assert_string_equal(text(disk, "statusCode"), "200");
	sf_host_answer_free(&answer);
	sf_host_close(host);
	stop_azure_hostd(pid);
	stop_qmp(&qmp);
	assert_true(log_has("INFO \\[task-7\\] answered ok: 3 disks$"));
	cJSON_Delete(sent);
	cJSON_Delete(expected);
}

/* A transaction QEMU refuses: snapshotInfo says so, with QEMU's reason. */
static void azure_protocol_refused(void **state)
{
	const struct sf_azure_snapshot task = { .task_id = "task-8" };
	char address[64], uri[80];
	struct sf_host_answer answer;
	struct fake_qmp qmp;
	struct sf_error err;
	struct sf_host *host;
	pid_t pid;

	(void)state;
	start_qmp(&qmp, QMP_FAIL);
	pid = start_azure_hostd(free_port(address, sizeof(address), uri, sizeof(uri)));
	host = sf_host_open(uri, WAIT_MS, &task, &err);
	assert_non_null(host);
	assert_int_equal(write(qmp.release, "", 1), 1);
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x",
				     .deadline_ms = WAIT_MS, .abort_fd = -1 }, &answer, &err), 0);
	assert_false(answer.ok);
	assert_non_null(strstr(answer.error, "GenericError: Could not create file"));
	sf_host_answer_free(&answer);
	sf_host_close(host);
	stop_azure_hostd(pid);
	stop_qmp(&qmp);
}

/*
 * The listener's snapshot through libvirt, as the guest's channel has it:
 * the overlays planned from vm1's XML and libvirt's refusal of the call in
 * snapshotInfo.
 */
static void azure_protocol_by_libvirt(void **state)
{
	const char *const backend[] = { "--libvirt", libvirt_uri, "--domain", "vm1",
					"--snapshot-dir", libvirt_snapshots, NULL };
	const struct sf_azure_snapshot task = { .task_id = "task-9" };
	char address[64], uri[80];
	struct sf_host_answer answer;
	struct sf_error err;
	struct sf_host *host;
	pid_t pid;

	(void)state;
	pid = start_azure_hostd_with(free_port(address, sizeof(address), uri, sizeof(uri)),
				     backend);
	assert_true(log_has("snapshots by libvirt$"));
	host = sf_host_open(uri, WAIT_MS, &task, &err);
	assert_non_null(host);
	assert_int_equal(sf_host_ask(host, &(struct sf_host_request){ .id = "x",
				     .deadline_ms = WAIT_MS, .abort_fd = -1 }, &answer, &err), 0);
	assert_false(answer.ok);
	assert_non_null(strstr(answer.error,
			       "virDomainSnapshotCreateXML: unsupported flags (0x14)"));
	sf_host_answer_free(&answer);
	sf_host_close(host);
	stop_azure_hostd(pid);
	assert_false(exists_in(libvirt_snapshots, "vda-task-9.qcow2"));
	assert_true(log_has("WARNING \\[task-9\\] answered libvirt: virDomainSnapshotCreateXML: "));
}

static void usage_errors_name_the_option(void **state)
{
	static const struct {
		const char *args[6];
		const char *message;
	} cases[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "--guest" }, "option '--guest' needs a value" },
		{ { "--qmp", "q" }, "--guest SOCKET or --azure-listen ADDRESS:PORT is required" },
		{ { "--guest", "g", "--azure-listen", "127.0.0.1:1", "--qmp", "q" },
		  "--guest and --azure-listen exclude each other" },
		{ { "--guest", "g" }, "--qmp SOCKET, --libvirt URI or --command CMD is required" },
		{ { "--azure-listen", "127.0.0.1:1" },
		  "--qmp SOCKET, --libvirt URI or --command CMD is required" },
		{ { "--guest", "g", "--qmp", "q", "--command", "c" },
		  "--qmp, --libvirt and --command exclude each other" },
		{ { "--guest", "g", "--qmp", "q", "--libvirt", "qemu:///system" },
		  "--qmp, --libvirt and --command exclude each other" },
		{ { "--guest", "g", "--libvirt", "qemu:///system" }, "--libvirt needs --domain NAME" },
		{ { "--guest", "g", "--qmp", "q", "--domain", "vm1" },
		  "--domain goes with --libvirt only" },
		{ { "--guest", "g", "--libvirt", "", "--domain", "vm1" }, "--libvirt: an empty URI" },
		{ { "--guest", "g", "--libvirt", "qemu:///system", "--domain", "" },
		  "--domain: an empty name" },
		{ { "--guest", "g", "--command", "c", "--snapshot-dir", "d" },
		  "--snapshot-dir goes with --qmp or --libvirt only" },
		{ { "--guest", "g", "--command", "c", "--connect-timeout", "soon" },
		  "--connect-timeout 'soon'" },
		{ { "--guest", "g", "--command", "c", "extra" }, "unexpected argument 'extra'" },
		{ { "--guest", "g", "--command", "c", "--max-requests-per-minute", "-1" },
		  "--max-requests-per-minute '-1': not a whole number from 0 to 10000" },
		{ { "--guest", "g", "--qmp", "q", "--max-overlays", "1e3" },
		  "--max-overlays '1e3': not a whole number from 0 to 100000" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { "snapfreeze-hostd" };
		struct sf_error err = { 0 };
		int argc = 1;

		while (argc - 1 < 6 && cases[i].args[argc - 1]) {
			argv[argc] = (char *)cases[i].args[argc - 1];
			argc++;
		}
		assert_int_equal(hostd_main(argc, argv, &err), -1);
		assert_int_equal(err.exit_code, SF_EXIT_USAGE);
		if (!strstr(err.msg, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].message);
	}
}

static int setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);	/* as main() does */
	if (tempdir_setup(state))
		return -1;
	snprintf(GUEST_SOCKET, sizeof(path_buf[0]), "%s/guest.sock", dir);
	snprintf(QMP_SOCKET, sizeof(path_buf[0]), "%s/qmp.sock", dir);
	snprintf(LOG_FILE, sizeof(path_buf[0]), "%s/hostd.log", dir);
	snprintf(IMAGES, sizeof(path_buf[0]), "%s/images", dir);
	snprintf(query_block, sizeof(query_block),
		 "{\"return\":["
		 "{\"device\":\"virtio0\",\"locked\":false,\"removable\":false,\"type\":\"unknown\","
		 "\"inserted\":{\"ro\":false,\"drv\":\"raw\",\"file\":\"%1$s/root.img\","
		 "\"node-name\":\"#block113\"}},"
		 "{\"device\":\"cd0\",\"locked\":false,\"removable\":true,\"type\":\"unknown\"},"
		 "{\"device\":\"virtio1\",\"inserted\":{\"ro\":false,\"drv\":\"qcow2\","
		 "\"file\":\"%1$s/data.qcow2\",\"node-name\":\"#block301\"}},"
		 "{\"device\":\"cd1\",\"removable\":true,\"inserted\":{\"ro\":true,\"drv\":\"raw\","
		 "\"file\":\"%1$s/install.iso\"}},"
		 "{\"device\":\"\",\"qdev\":\"/machine/peripheral/disk2/virtio-backend\","
		 "\"inserted\":{\"ro\":false,\"drv\":\"qcow2\",\"file\":\"%1$s/logs.qcow2\","
		 "\"node-name\":\"logs\"}}]}",
		 IMAGES);
	write_libvirt_node();
	return mkdir(IMAGES, 0700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qmp_three_disks_one_transaction),
		cmocka_unit_test(qmp_snapshot_dir),
		cmocka_unit_test(qmp_existing_overlay_refused),
		cmocka_unit_test(qmp_error_answered_with_its_desc),
		cmocka_unit_test(qmp_stuck_times_out_before_the_guest),
		cmocka_unit_test(qmp_late_transaction_logged),
		cmocka_unit_test(qmp_socket_missing_answered),
		cmocka_unit_test(libvirt_refusal_answered_with_its_message),
		cmocka_unit_test(libvirt_overlays_planned_from_the_domain),
		cmocka_unit_test(libvirt_refusals_name_the_call),
		cmocka_unit_test(libvirt_stuck_times_out_before_the_guest),
		cmocka_unit_test(requests_beyond_the_rate_refused),
		cmocka_unit_test(overlays_beyond_the_bound_refused),
		cmocka_unit_test(malformed_lines_answered),
		cmocka_unit_test(too_long_line_then_request_served),
		cmocka_unit_test(guest_not_reading_never_stalls_nor_garbles),
		cmocka_unit_test(unknown_version_answered),
		cmocka_unit_test(second_request_busy_first_answered),
		cmocka_unit_test(command_ok_names_the_snapshot),
		cmocka_unit_test(slow_snapshot_sends_progress),
		cmocka_unit_test(no_progress_unless_the_guest_takes_it),
		cmocka_unit_test(command_failure_answered_with_stderr),
		cmocka_unit_test(command_killed_at_deadline),
		cmocka_unit_test(ids_flattened_in_the_log),
		cmocka_unit_test(ids_flattened_on_a_journal_socket),
		cmocka_unit_test(once_exits_after_the_first_answer),
		cmocka_unit_test(guest_closing_exits_0),
		cmocka_unit_test(sigterm_exits_0),
		cmocka_unit_test(sigterm_during_a_snapshot_answers),
		cmocka_unit_test(no_guest_socket_exits_1),
		cmocka_unit_test(azure_protocol_by_qmp),
		cmocka_unit_test(azure_protocol_refused),
		cmocka_unit_test(azure_protocol_by_libvirt),
		cmocka_unit_test(usage_errors_name_the_option),
	};

	return cmocka_run_group_tests_name("hostd", tests, setup, tempdir_teardown);
}
