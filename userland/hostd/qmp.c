// SPDX-License-Identifier: GPL-2.0
/*
 * The QMP backend. QEMU's QMP socket takes one client at a time, so each
 * request has a connection of its own: the greeting, qmp_capabilities,
 * query-block for the disks, then one transaction with a
 * blockdev-snapshot-sync for every writable disk, so that all of them are
 * cut at the same instant. Each disk's image then holds the point-in-time
 * copy, and a new qcow2 overlay takes the VM's writes.
 */
#include "backend.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "deadline.h"
#include "lineio.h"
#include "overlays.h"

/* query-block grows with each disk's backing chain, a link per snapshot. */
#define QMP_MAX_LINE (64 << 20)
/* How soon to connect again when QEMU's backlog is full. */
#define CONNECT_RETRY_MS 20

enum stage { CONNECT, GREETING, CAPABILITIES, QUERY_BLOCK, TRANSACTION };

/* Named after what each stage waits for: the commands, by their QMP names. */
static const char *const stage_names[] = {
	[CONNECT] = "connect",
	[GREETING] = "greeting",
	[CAPABILITIES] = "qmp_capabilities",
	[QUERY_BLOCK] = "query-block",
	[TRANSACTION] = "transaction",
};

struct qmp_job {
	const struct hostd_options *options;
	char *id;
	char *tag;		/* the id as it stands in file names */
	struct hostd_deadline deadline;
	uint64_t retry_at;	/* CONNECT */
	enum stage stage;
	int fd;
	struct sf_line_reader lines;
	char *out;		/* a command not yet sent whole */
	size_t out_len;
	size_t out_sent;
	struct hostd_result planned;	/* the disks, until the transaction returns */
};

static const cJSON *field(const cJSON *json, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(json, key);
}

static int try_connect(struct qmp_job *job, struct hostd_result *result)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int error;

	if (fd < 0)
		return hostd_fail(result, "qmp", "socket: %s", strerror(errno));
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", job->options->qmp);
	if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		job->fd = fd;
		sf_line_reader_init(&job->lines, fd, QMP_MAX_LINE);
		job->stage = GREETING;
		return 0;
	}
	error = errno;
	close(fd);
	if (error == EAGAIN) {
		/* The backlog is full: QEMU is busy with another client. */
		job->retry_at = sf_now_ms() + CONNECT_RETRY_MS;
		return 0;
	}
	return hostd_fail(result, "qmp", "QMP %s: connect: %s", job->options->qmp,
			  strerror(error));
}

static int flush(struct qmp_job *job, struct hostd_result *result)
{
	ssize_t sent = send(job->fd, job->out + job->out_sent,
			    job->out_len - job->out_sent, MSG_NOSIGNAL);

	if (sent < 0 && errno != EAGAIN && errno != EINTR)
		return hostd_fail(result, "qmp", "QMP %s: %s", stage_names[job->stage],
				  strerror(errno));
	if (sent > 0)
		job->out_sent += sent;
	if (job->out_sent == job->out_len) {
		free(job->out);
		job->out = NULL;
	}
	return 0;
}

/* Sends {"execute": command, "arguments": arguments}; takes arguments. */
static int execute(struct qmp_job *job, enum stage stage, cJSON *arguments,
		   struct hostd_result *result)
{
	cJSON *json = cJSON_CreateObject();

	if (!json || !cJSON_AddStringToObject(json, "execute", stage_names[stage]) ||
	    (arguments && !cJSON_AddItemToObject(json, "arguments", arguments))) {
		cJSON_Delete(arguments);
		cJSON_Delete(json);
		return hostd_fail(result, "qmp", "out of memory");
	}
	free(job->out);
	job->out = hostd_json_line(json);
	cJSON_Delete(json);
	if (!job->out)
		return hostd_fail(result, "qmp", "out of memory");
	job->out_len = strlen(job->out);
	job->out_sent = 0;
	job->stage = stage;
	return flush(job, result);
}

static int on_greeting(struct qmp_job *job, const cJSON *json, struct hostd_result *result)
{
	if (!cJSON_IsObject(field(json, "QMP")))
		return hostd_fail(result, "qmp", "the socket's first line is not a QMP greeting");
	return execute(job, CAPABILITIES, NULL, result);
}

static int on_capabilities(struct qmp_job *job, const cJSON *value,
			   struct hostd_result *result)
{
	(void)value;
	return execute(job, QUERY_BLOCK, NULL, result);
}

static cJSON *snapshot_action(const char *key, const char *name, const char *overlay)
{
	cJSON *action = cJSON_CreateObject(), *data;

	if (!action || !cJSON_AddStringToObject(action, "type", "blockdev-snapshot-sync") ||
	    !(data = cJSON_AddObjectToObject(action, "data")) ||
	    !cJSON_AddStringToObject(data, key, name) ||
	    !cJSON_AddStringToObject(data, "snapshot-file", overlay) ||
	    !cJSON_AddStringToObject(data, "format", "qcow2")) {
		cJSON_Delete(action);
		return NULL;
	}
	return action;
}

/*
 * A blockdev-snapshot-sync in actions for a disk of query-block's list. A
 * drive without a medium, or read-only (a CD-ROM), is left out. A drive
 * made with -blockdev has no device name: its node name stands in.
 */
static int plan_disk(struct qmp_job *job, const cJSON *block, cJSON *actions,
		     struct hostd_result *result)
{
	const cJSON *inserted = field(block, "inserted");
	const char *device = cJSON_GetStringValue(field(block, "device"));
	const char *image = cJSON_GetStringValue(field(inserted, "file"));
	const char *key = device && device[0] ? "device" : "node-name";
	const char *name = device && device[0] ? device :
			   cJSON_GetStringValue(field(inserted, "node-name"));

	if (!cJSON_IsObject(inserted) || cJSON_IsTrue(field(inserted, "ro")))
		return 0;
	if (!name || !name[0] || !image)
		return hostd_fail(result, "qmp",
				  "query-block: a disk without a name or an image file");
	if (hostd_plan_overlay(job->options, "qmp", job->tag, name, image, &job->planned,
			       result))
		return -1;
	if (!cJSON_AddItemToArray(actions, snapshot_action(
			key, name, job->planned.disks[job->planned.n_disks - 1].overlay)))
		return hostd_fail(result, "qmp", "out of memory");
	return 0;
}

static int on_query_block(struct qmp_job *job, const cJSON *value,
			  struct hostd_result *result)
{
	cJSON *arguments = cJSON_CreateObject();
	cJSON *actions = cJSON_AddArrayToObject(arguments, "actions");
	const cJSON *block;

	if (!cJSON_IsArray(value) || !actions) {
		cJSON_Delete(arguments);
		return cJSON_IsArray(value) ? hostd_fail(result, "qmp", "out of memory") :
		       hostd_fail(result, "qmp", "query-block returned no list");
	}
	cJSON_ArrayForEach(block, value) {
		if (plan_disk(job, block, actions, result)) {
			cJSON_Delete(arguments);
			return -1;
		}
	}
	if (!job->planned.n_disks) {
		cJSON_Delete(arguments);
		return hostd_fail(result, "qmp", "query-block lists no writable disk");
	}
	return execute(job, TRANSACTION, arguments, result);
}

static int on_transaction(struct qmp_job *job, const cJSON *value,
			  struct hostd_result *result)
{
	(void)value;
	hostd_snapshot_taken(job->id, job->tag, job->deadline.answered, &job->planned,
			     result);
	return 1;
}

/* What to do with the return of each stage's command. */
static int (*const on_return[])(struct qmp_job *job, const cJSON *value,
				struct hostd_result *result) = {
	[CAPABILITIES] = on_capabilities,
	[QUERY_BLOCK] = on_query_block,
	[TRANSACTION] = on_transaction,
};

/*
 * QEMU refused the command. A transaction is all or nothing: QEMU writes to
 * none of the overlays it made for one that failed, and they go.
 */
static int refused(struct qmp_job *job, const cJSON *error, struct hostd_result *result)
{
	hostd_fail(result, "qmp", "%s: %s: %s", stage_names[job->stage],
		   cJSON_GetStringValue(field(error, "class")) ?: "?",
		   cJSON_GetStringValue(field(error, "desc")) ?: "?");
	if (job->stage == TRANSACTION) {
		hostd_remove_overlays(job->id, &job->planned);
		hostd_result_free(&job->planned);
	}
	return -1;
}

/* 0: more to come; 1: the snapshot is taken; -1: failed. */
static int handle_line(struct qmp_job *job, const char *line, struct hostd_result *result)
{
	cJSON *json = cJSON_Parse(line);
	const cJSON *error = field(json, "error"), *value = field(json, "return");
	const char *stage = stage_names[job->stage];
	int ret;

	if (!cJSON_IsObject(json))
		ret = hostd_fail(result, "qmp", "QMP sent a line that is not a JSON object during %s",
				 stage);
	else if (field(json, "event"))
		ret = 0;	/* asynchronous, not an answer */
	else if (job->stage == GREETING)
		ret = on_greeting(job, json, result);
	else if (error)
		ret = refused(job, error, result);
	else if (!value)
		ret = hostd_fail(result, "qmp", "QMP answered %s with neither a return nor an error",
				 stage);
	else
		ret = on_return[job->stage](job, value, result);
	cJSON_Delete(json);
	return ret;
}

static int receive(struct qmp_job *job, struct hostd_result *result)
{
	char *line;
	int ret = 0;

	while (!ret) {
		switch (sf_line_get(&job->lines, &line)) {
		case SF_LINE_OK:
			ret = handle_line(job, line, result);
			break;
		case SF_LINE_AGAIN:
			return 0;
		case SF_LINE_TOO_LONG:
			return hostd_fail(result, "qmp", "QMP sent a line longer than %d bytes during %s",
					  QMP_MAX_LINE, stage_names[job->stage]);
		case SF_LINE_EOF:
			return hostd_fail(result, "qmp", "QMP closed the connection during %s",
					  stage_names[job->stage]);
		default:
			return hostd_fail(result, "qmp", "QMP %s: %s", stage_names[job->stage],
					  strerror(errno));
		}
	}
	return ret;
}

static void qmp_stop(void *p)
{
	struct qmp_job *job = p;

	if (!job)
		return;
	/* Sent, and neither answered nor refused: QEMU may write to them. */
	if (job->stage == TRANSACTION)
		hostd_keep_overlays(job->id, "QEMU", &job->planned);
	if (job->fd >= 0)
		close(job->fd);
	sf_line_reader_free(&job->lines);
	hostd_result_free(&job->planned);
	free(job->out);
	free(job->tag);
	free(job->id);
	free(job);
}

static void *qmp_start(const struct hostd_options *options,
		       const struct hostd_request *request, const char *line,
		       uint64_t deadline, struct hostd_result *result)
{
	struct qmp_job *job = calloc(1, sizeof(*job));

	(void)line;
	if (!job || !(job->id = strdup(request->id)) || !(job->tag = hostd_file_tag(request->id))) {
		hostd_fail(result, "qmp", "out of memory");
		qmp_stop(job);
		return NULL;
	}
	job->options = options;
	job->deadline = (struct hostd_deadline){ .started = sf_now_ms(), .at = deadline };
	job->fd = -1;
	if (try_connect(job, result)) {
		qmp_stop(job);
		return NULL;
	}
	return job;
}

static int qmp_fds(void *p, struct pollfd *fds, uint64_t *wake)
{
	struct qmp_job *job = p;

	*wake = job->deadline.at;
	if (job->stage == CONNECT) {
		if (job->retry_at < *wake)
			*wake = job->retry_at;
		return 0;
	}
	fds[0] = (struct pollfd){ .fd = job->fd, .events = POLLIN | (job->out ? POLLOUT : 0) };
	return 1;
}

static enum hostd_step qmp_step(void *p, const struct pollfd *fds, int n,
				struct hostd_result *result)
{
	struct qmp_job *job = p;
	short revents = n ? fds[0].revents : 0;
	int ret = 0;

	if (job->stage == CONNECT && sf_now_ms() >= job->retry_at)
		ret = try_connect(job, result);
	if (!ret && revents & (POLLIN | POLLHUP | POLLERR))
		ret = receive(job, result);
	if (!ret && job->out && revents & POLLOUT)
		ret = flush(job, result);
	return hostd_deadline_step(&job->deadline, job->id, ret, &(struct hostd_stuck){
		.who = "QMP", .stage = stage_names[job->stage],
		.taker = job->stage == TRANSACTION ? "QEMU" : NULL,
		.silence = job->stage == CONNECT ? "QEMU did not take the connection" : NULL,
	}, result);
}

const struct hostd_backend hostd_qmp_backend = {
	.name = "QMP",
	.start = qmp_start,
	.fds = qmp_fds,
	.step = qmp_step,
	.stop = qmp_stop,
};
