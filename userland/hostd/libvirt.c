// SPDX-License-Identifier: GPL-2.0
/*
 * The libvirt backend, for a domain that libvirt runs (libvirt owns QEMU's
 * monitor): the domain's disks from its XML, then one external disk-only
 * snapshot, atomic and without metadata, of every writable disk, which
 * libvirt takes as one QEMU transaction: each disk's image then holds the
 * point-in-time copy, and a new qcow2 overlay takes the VM's writes.
 *
 * libvirt's calls block. They run in a child of ours (sf_fork()), which
 * says on a pipe, one JSON line each, which call it makes next (the
 * snapshot's with the disks it planned) and how it ended: the job polls
 * the pipe and never waits, and stopping the job kills the child.
 */
#include "backend.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "deadline.h"
#include "domain_xml.h"
#include "lineio.h"
#include "overlays.h"
#include "spawn.h"

/* The child's lines: a stage's name, or its disks, or an error message. */
#define REPORT_MAX_LINE (16 << 20)
/* The pipe, as the child has it (sf_fork()). */
#define REPORT_FD 3
/* How long a child that closed its pipe is given to exit, for its status. */
#define EXIT_WAIT_MS 1000
#define SNAPSHOT_FLAGS (VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | \
			VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC | \
			VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA)

/* Each stage named after the call it waits for. */
enum stage { CONNECT, LOOKUP, DOMAIN_XML, SNAPSHOT, ENDED };

static const char *const stage_names[] = {
	[CONNECT] = "virConnectOpen",
	[LOOKUP] = "virDomainLookupByName",
	[DOMAIN_XML] = "virDomainGetXMLDesc",
	[SNAPSHOT] = "virDomainSnapshotCreateXML",
};

struct libvirt_job {
	char *id;
	char *tag;		/* the id as it stands in file names */
	struct hostd_deadline deadline;
	enum stage stage;
	struct sf_child child;
	struct sf_line_reader lines;	/* the child's */
	struct hostd_result planned;	/* the disks, from SNAPSHOT on */
};

static const cJSON *field(const cJSON *json, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(json, key);
}

/*
 * In the child: json as a line on the pipe (freed here). A line it cannot
 * make (NULL: out of memory) or send ends the child: the parent sees the
 * pipe close "without a word".
 */
static void report(cJSON *json)
{
	char *line = json ? hostd_json_line(json) : NULL;
	size_t len = line ? strlen(line) : 0, sent = 0;

	cJSON_Delete(json);
	if (!line)
		_exit(1);
	while (sent < len) {
		ssize_t got = write(REPORT_FD, line + sent, len - sent);

		if (got < 0 && errno != EINTR)
			_exit(1);
		if (got > 0)
			sent += got;
	}
	free(line);
}

/* In the child: stage is the call it makes next; planned, the disks, with SNAPSHOT. */
static void report_stage(enum stage stage, const struct hostd_result *planned)
{
	cJSON *json = cJSON_CreateObject();

	if (!cJSON_AddStringToObject(json, "stage", stage_names[stage]) ||
	    (planned && !hostd_add_disks(json, planned))) {
		cJSON_Delete(json);
		json = NULL;
	}
	report(json);
}

/* In the child: libvirt refused call (arg: what it was about, or NULL). */
static int refused(struct hostd_result *result, enum stage call, const char *arg)
{
	return hostd_fail(result, "libvirt", "%s%s%s: %s", stage_names[call], arg ? " " : "",
			  arg ?: "", virGetLastErrorMessage());
}

/* In the child: an overlay for each writable disk, and the snapshot's XML. */
static char *plan(const struct hostd_options *options, const char *tag, const char *xml,
		  struct hostd_result *planned, struct hostd_result *result)
{
	struct hostd_domain_disks disks;
	char *snapshot = NULL;
	size_t i;

	if (hostd_domain_disks(xml, &disks, result))
		return NULL;
	for (i = 0; i < disks.n; i++)
		if (disks.disks[i].image &&
		    hostd_plan_overlay(options, "libvirt", tag, disks.disks[i].target,
				       disks.disks[i].image, planned, result))
			goto out;
	if (!planned->n_disks)
		hostd_fail(result, "libvirt", "the domain %s has no writable disk",
			   options->domain);
	else if (!(snapshot = hostd_snapshot_xml(tag, &disks, planned)))
		hostd_fail(result, "libvirt", "out of memory");
out:
	hostd_domain_disks_free(&disks);
	return snapshot;
}

/* In the child: libvirt's calls, one after another; 0 once the snapshot is taken. */
static int take_snapshot(const struct hostd_options *options, const char *tag,
			 struct hostd_result *result)
{
	struct hostd_result planned = { 0 };
	virConnectPtr conn = virConnectOpen(options->libvirt);
	virDomainPtr domain = NULL;
	virDomainSnapshotPtr snapshot = NULL;
	char *xml = NULL, *snapshot_xml = NULL;

	if (!conn)
		return refused(result, CONNECT, options->libvirt);
	report_stage(LOOKUP, NULL);
	if (!(domain = virDomainLookupByName(conn, options->domain))) {
		refused(result, LOOKUP, options->domain);
		goto out;
	}
	report_stage(DOMAIN_XML, NULL);
	if (!(xml = virDomainGetXMLDesc(domain, 0))) {
		refused(result, DOMAIN_XML, NULL);
		goto out;
	}
	if (!(snapshot_xml = plan(options, tag, xml, &planned, result)))
		goto out;
	report_stage(SNAPSHOT, &planned);
	if (!(snapshot = virDomainSnapshotCreateXML(domain, snapshot_xml, SNAPSHOT_FLAGS)))
		refused(result, SNAPSHOT, NULL);
out:
	if (snapshot)
		virDomainSnapshotFree(snapshot);
	if (domain)
		virDomainFree(domain);
	virConnectClose(conn);
	free(snapshot_xml);
	free(xml);
	hostd_result_free(&planned);
	return snapshot ? 0 : -1;
}

/* The child's life: its calls, then how they ended, on the pipe. */
static _Noreturn void run_child(const struct hostd_options *options, const char *tag)
{
	struct hostd_result result = { 0 };
	cJSON *json = cJSON_CreateObject();

	/* stderr is /dev/null: libvirt's own printing of errors goes nowhere. */
	if (!take_snapshot(options, tag, &result)) {
		cJSON_AddTrueToObject(json, "ok");
	} else if (!cJSON_AddStringToObject(json, "error", result.error) ||
		   !cJSON_AddStringToObject(json, "message", result.message)) {
		cJSON_Delete(json);
		json = NULL;
	}
	report(json);
	_exit(0);
}

static int take_disk(struct libvirt_job *job, const cJSON *disk, struct hostd_result *result)
{
	const char *device = cJSON_GetStringValue(field(disk, "device"));
	const char *image = cJSON_GetStringValue(field(disk, "image"));
	const char *overlay = cJSON_GetStringValue(field(disk, "overlay"));
	struct hostd_disk *disks, *taken;

	if (!device || !image || !overlay)
		return hostd_fail(result, "libvirt", "libvirt's calls named a disk without its files");
	disks = realloc(job->planned.disks, (job->planned.n_disks + 1) * sizeof(*disks));
	if (!disks)
		return hostd_fail(result, "libvirt", "out of memory");
	job->planned.disks = disks;
	taken = &disks[job->planned.n_disks++];
	*taken = (struct hostd_disk){
		.device = strdup(device), .image = strdup(image), .overlay = strdup(overlay),
	};
	if (!taken->device || !taken->image || !taken->overlay)
		return hostd_fail(result, "libvirt", "out of memory");
	return 0;
}

static int on_stage(struct libvirt_job *job, const char *name, const cJSON *json,
		    struct hostd_result *result)
{
	const cJSON *disk;
	enum stage stage;

	for (stage = LOOKUP; stage <= SNAPSHOT && strcmp(name, stage_names[stage]); stage++)
		;
	if (stage > SNAPSHOT)
		return hostd_fail(result, "libvirt", "libvirt's calls went to an unknown stage");
	job->stage = stage;
	cJSON_ArrayForEach(disk, field(json, "disks"))
		if (take_disk(job, disk, result))
			return -1;
	return 0;
}

/* The child's cause as the answer's, which outlives the child's line. */
static const char *child_cause(const char *cause)
{
	return cause && !strcmp(cause, "overlays") ? "overlays" : "libvirt";
}

/*
 * How the calls ended. libvirt takes the atomic snapshot as one QEMU
 * transaction: when it fails, QEMU writes to none of the overlays, and
 * those made go.
 */
static int on_end(struct libvirt_job *job, const cJSON *json, struct hostd_result *result)
{
	enum stage stage = job->stage;

	job->stage = ENDED;
	if (cJSON_IsTrue(field(json, "ok"))) {
		hostd_snapshot_taken(job->id, job->tag, job->deadline.answered, &job->planned,
			     result);
		return 1;
	}
	hostd_fail(result, child_cause(cJSON_GetStringValue(field(json, "error"))), "%s",
		   cJSON_GetStringValue(field(json, "message")) ?: "?");
	if (stage == SNAPSHOT)
		hostd_remove_overlays(job->id, &job->planned);
	return -1;
}

/* 0: more to come; 1: the snapshot is taken; -1: failed. */
static int handle_line(struct libvirt_job *job, const char *line, struct hostd_result *result)
{
	cJSON *json = cJSON_Parse(line);
	const char *stage = cJSON_GetStringValue(field(json, "stage"));
	int ret;

	if (!cJSON_IsObject(json))
		ret = hostd_fail(result, "libvirt", "libvirt's calls sent a line that is not JSON");
	else if (stage)
		ret = on_stage(job, stage, json, result);
	else
		ret = on_end(job, json, result);
	cJSON_Delete(json);
	return ret;
}

/* The child closed its pipe before it said how its calls ended. */
static int ended_early(struct libvirt_job *job, struct hostd_result *result)
{
	char how[64] = "";
	int status;

	if (sf_child_wait(&job->child, EXIT_WAIT_MS)) {
		status = sf_child_reap(&job->child);
		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), ", killed by signal %d", WTERMSIG(status));
		else
			snprintf(how, sizeof(how), ", exit status %d", WEXITSTATUS(status));
	}
	return hostd_fail(result, "libvirt", "libvirt's calls ended during %s without a word%s",
			  stage_names[job->stage], how);
}

/* What the pipe holds now, every line of it: no wait. */
static int receive(struct libvirt_job *job, struct hostd_result *result)
{
	char *line;
	int ret = 0;

	while (!ret && job->stage != ENDED) {
		switch (sf_line_get(&job->lines, &line)) {
		case SF_LINE_OK:
			ret = handle_line(job, line, result);
			break;
		case SF_LINE_AGAIN:
			return 0;
		case SF_LINE_EOF:
			return ended_early(job, result);
		case SF_LINE_TOO_LONG:
			return hostd_fail(result, "libvirt",
					  "libvirt's calls sent a line longer than %d bytes",
					  REPORT_MAX_LINE);
		default:
			return hostd_fail(result, "libvirt", "reading libvirt's calls: %s",
					  strerror(errno));
		}
	}
	return ret;
}

static void libvirt_stop(void *p)
{
	struct libvirt_job *job = p;

	if (!job)
		return;
	/* Called, and neither taken nor refused: QEMU may write to them. */
	if (job->stage == SNAPSHOT)
		hostd_keep_overlays(job->id, "libvirt", &job->planned);
	sf_child_stop(&job->child, 0);
	if (job->lines.fd >= 0)
		close(job->lines.fd);
	sf_line_reader_free(&job->lines);
	hostd_result_free(&job->planned);
	free(job->tag);
	free(job->id);
	free(job);
}

static int start_child(struct libvirt_job *job, const struct hostd_options *options,
		       struct hostd_result *result)
{
	struct sf_error err;
	int pipe_fds[2];

	if (pipe2(pipe_fds, O_CLOEXEC))
		return hostd_fail(result, "libvirt", "pipe: %s", strerror(errno));
	switch (sf_fork("libvirt's calls", pipe_fds[1], &job->child, &err)) {
	case 0:
		run_child(options, job->tag);
	case 1:
		close(pipe_fds[1]);
		fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
		sf_line_reader_init(&job->lines, pipe_fds[0], REPORT_MAX_LINE);
		return 0;
	default:
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return hostd_fail(result, "libvirt", "%s", err.msg);
	}
}

static void *libvirt_start(const struct hostd_options *options,
			   const struct hostd_request *request, const char *line,
			   uint64_t deadline, struct hostd_result *result)
{
	struct libvirt_job *job = calloc(1, sizeof(*job));

	(void)line;
	if (!job) {
		hostd_fail(result, "libvirt", "out of memory");
		return NULL;
	}
	job->child = (struct sf_child){ .pid = -1, .pidfd = -1 };
	job->lines.fd = -1;
	job->deadline = (struct hostd_deadline){ .started = sf_now_ms(), .at = deadline };
	if (!(job->id = strdup(request->id)) || !(job->tag = hostd_file_tag(request->id))) {
		hostd_fail(result, "libvirt", "out of memory");
		libvirt_stop(job);
		return NULL;
	}
	if (start_child(job, options, result)) {
		libvirt_stop(job);
		return NULL;
	}
	return job;
}

static int libvirt_fds(void *p, struct pollfd *fds, uint64_t *wake)
{
	struct libvirt_job *job = p;

	*wake = job->deadline.at;
	fds[0] = (struct pollfd){ .fd = job->lines.fd, .events = POLLIN };
	return 1;
}

static enum hostd_step libvirt_step(void *p, const struct pollfd *fds, int n,
				    struct hostd_result *result)
{
	struct libvirt_job *job = p;
	int ret;

	(void)fds;
	(void)n;
	/* Every step: the pipe may hold the snapshot's stage, however the poll ended. */
	ret = receive(job, result);
	return hostd_deadline_step(&job->deadline, job->id, ret, &(struct hostd_stuck){
		.who = "libvirt", .stage = stage_names[job->stage],
		.taker = job->stage == SNAPSHOT ? "libvirt" : NULL,
	}, result);
}

const struct hostd_backend hostd_libvirt_backend = {
	.name = "libvirt",
	.start = libvirt_start,
	.fds = libvirt_fds,
	.step = libvirt_step,
	.stop = libvirt_stop,
};
