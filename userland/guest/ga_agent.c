// SPDX-License-Identifier: GPL-2.0
#include "ga_agent.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ga_protocol.h"
#include "text.h"

/* Every answer is written within this, or the host is not reading. */
#define WRITE_MS 10000
/* How soon to look at a virtio-serial port again that no host holds. */
#define NO_HOST_MS 100
/* What the log keeps while frozen. */
#define HELD_MAX (64 << 10)

struct command {
	const char *name;
	char *(*run)(struct ga_agent *agent, const struct ga_request *request);
	bool while_frozen;		/* qemu-ga's list of what runs while frozen */
};

static const char *const no_arguments[] = { NULL };

static char *sync_answer(const struct ga_request *request)
{
	static const char *const names[] = { "id", NULL };
	char *answer = NULL;
	int64_t id;

	if (ga_arguments_only(request, names, &answer) ||
	    ga_argument_int(request, "id", &id, &answer))
		return answer;
	return ga_answer_return(request, cJSON_CreateNumber((double)id));
}

static char *run_sync(struct ga_agent *agent, const struct ga_request *request)
{
	(void)agent;
	return sync_answer(request);
}

static char *run_ping(struct ga_agent *agent, const struct ga_request *request)
{
	char *answer = NULL;

	(void)agent;
	if (ga_arguments_only(request, no_arguments, &answer))
		return answer;
	return ga_answer_return(request, cJSON_CreateObject());
}

static char *run_status(struct ga_agent *agent, const struct ga_request *request)
{
	char *answer = NULL;

	if (ga_arguments_only(request, no_arguments, &answer))
		return answer;
	return ga_answer_return(request, cJSON_CreateString(ga_freeze_frozen(agent->freeze) ?
							    "frozen" : "thawed"));
}

static char *freeze_answer(struct ga_agent *agent, const struct ga_request *request,
			   const cJSON *mountpoints)
{
	const char **paths = NULL;
	struct sf_error err;
	const cJSON *item;
	size_t n = 0;
	int64_t count;
	int ret;

	if (mountpoints) {
		paths = calloc(cJSON_GetArraySize(mountpoints) + 1, sizeof(*paths));
		if (!paths)
			return ga_answer_error(request->id, GA_GENERIC_ERROR, "out of memory");
		cJSON_ArrayForEach(item, mountpoints)
			paths[n++] = item->valuestring;
	}
	ga_agent_note(agent, "%s", request->execute);
	ret = ga_freeze_freeze(agent->freeze, paths, n, &count, &err);
	free(paths);
	if (ret) {
		ga_agent_note(agent, "%s failed: %s", request->execute, err.msg);
		return ga_answer_error(request->id, GA_GENERIC_ERROR, "%s", err.msg);
	}
	if (!count)
		ga_agent_note(agent, "%s: nothing to freeze", request->execute);
	return ga_answer_return(request, cJSON_CreateNumber((double)count));
}

static char *run_freeze(struct ga_agent *agent, const struct ga_request *request)
{
	char *answer = NULL;

	if (ga_arguments_only(request, no_arguments, &answer))
		return answer;
	return freeze_answer(agent, request, NULL);
}

static char *run_freeze_list(struct ga_agent *agent, const struct ga_request *request)
{
	static const char *const names[] = { "mountpoints", NULL };
	const cJSON *mountpoints;
	char *answer = NULL;

	if (ga_arguments_only(request, names, &answer) ||
	    ga_argument_strings(request, "mountpoints", &mountpoints, &answer))
		return answer;
	return freeze_answer(agent, request, mountpoints);
}

static char *run_thaw(struct ga_agent *agent, const struct ga_request *request)
{
	struct sf_error err;
	char *answer = NULL;
	int64_t count;

	if (ga_arguments_only(request, no_arguments, &answer))
		return answer;
	if (ga_freeze_thaw(agent->freeze, &count, &err)) {
		ga_agent_release_notes(agent);
		ga_agent_note(agent, "guest-fsfreeze-thaw: %s", err.msg);
		return ga_answer_error(request->id, GA_GENERIC_ERROR, "%s", err.msg);
	}
	ga_agent_release_notes(agent);
	ga_agent_note(agent, "guest-fsfreeze-thaw: %lld thawed", (long long)count);
	return ga_answer_return(request, cJSON_CreateNumber((double)count));
}

static char *run_info(struct ga_agent *agent, const struct ga_request *request);

static const struct command commands[] = {
	{ "guest-sync", run_sync, true },
	{ "guest-sync-delimited", run_sync, true },
	{ "guest-ping", run_ping, true },
	{ "guest-info", run_info, true },
	{ "guest-fsfreeze-status", run_status, true },
	{ "guest-fsfreeze-freeze", run_freeze, false },
	{ "guest-fsfreeze-freeze-list", run_freeze_list, false },
	{ "guest-fsfreeze-thaw", run_thaw, true },
	{ NULL, NULL, false },
};

static const struct command *find_command(const char *name)
{
	const struct command *command;

	for (command = commands; command->name; command++)
		if (!strcmp(command->name, name))
			return command;
	return NULL;
}

static bool add_command(cJSON *list, const char *name, bool enabled, bool success_response)
{
	cJSON *entry = cJSON_CreateObject();

	return entry && cJSON_AddItemToArray(list, entry) &&
	       cJSON_AddBoolToObject(entry, "enabled", enabled) &&
	       cJSON_AddStringToObject(entry, "name", name) &&
	       cJSON_AddBoolToObject(entry, "success-response", success_response);
}

/* Ours, then qemu-ga's others: disabled while frozen, as qemu-ga disables them. */
static char *run_info(struct ga_agent *agent, const struct ga_request *request)
{
	bool frozen = ga_freeze_frozen(agent->freeze);
	cJSON *info = cJSON_CreateObject(), *list;
	const struct command *command;
	const cJSON *entry, *theirs = agent->upstream ? ga_upstream_commands(agent->upstream) : NULL;
	char *answer = NULL;
	bool ok;

	if (ga_arguments_only(request, no_arguments, &answer)) {
		cJSON_Delete(info);
		return answer;
	}
	list = cJSON_AddArrayToObject(info, "supported_commands");
	ok = list && cJSON_AddStringToObject(info, "version", SNAPFREEZE_VERSION);
	for (command = commands; ok && command->name; command++)
		ok = add_command(list, command->name, !frozen || command->while_frozen, true);
	cJSON_ArrayForEach(entry, theirs) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry,
											  "name"));

		if (ok && name && !find_command(name))
			ok = add_command(list, name,
					 !frozen && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
						 entry, "enabled")),
					 !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
						 entry, "success-response")));
	}
	if (!ok) {
		cJSON_Delete(info);
		return ga_answer_error(request->id, GA_GENERIC_ERROR, "out of memory");
	}
	return ga_answer_return(request, info);
}

/* A command that is not ours: to qemu-ga, or refused as qemu-ga refuses it. */
static char *pass_on(struct ga_agent *agent, const struct ga_request *request,
		     const char *line)
{
	struct sf_error err;

	if (agent->upstream && ga_freeze_frozen(agent->freeze) &&
	    ga_upstream_knows(agent->upstream, request->execute))
		return ga_answer_error(request->id, GA_GENERIC_ERROR,
				       "The command %s has been disabled for this instance",
				       request->execute);
	if (agent->upstream && !ga_freeze_frozen(agent->freeze)) {
		if (!ga_upstream_send(agent->upstream, line, sf_now_ms() + WRITE_MS, &err))
			return NULL;
		ga_agent_note(agent, "%s; passing commands on stopped", err.msg);
		ga_upstream_stop(agent->upstream);
		agent->upstream = NULL;
	}
	return ga_answer_error(request->id, GA_COMMAND_NOT_FOUND, "The command %s has not been found",
			       request->execute);
}

char *ga_agent_handle(struct ga_agent *agent, const char *line, bool *delimited)
{
	const struct command *command;
	struct ga_request request;
	char *answer = NULL;

	*delimited = false;
	line = ga_resync(line);
	if (!line[strspn(line, " \t\r")])
		return NULL;	/* nothing but a resync, or an empty line */
	if (ga_request_parse(line, &request, &answer))
		return answer;
	command = find_command(request.execute);
	if (!command)
		answer = pass_on(agent, &request, line);
	else if (ga_freeze_frozen(agent->freeze) && !command->while_frozen)
		answer = ga_answer_error(request.id, GA_GENERIC_ERROR,
					 "The command %s has been disabled for this instance",
					 request.execute);
	else
		answer = command->run(agent, &request);
	*delimited = command && command->run == run_sync &&
		     !strcmp(request.execute, "guest-sync-delimited");
	ga_request_free(&request);
	return answer;
}

void ga_agent_note(struct ga_agent *agent, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t len;
	char *held;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sf_text_flatten(line);
	if (!ga_freeze_frozen(agent->freeze)) {
		fprintf(stderr, "snapfreeze agent: %s\n", line);
		return;
	}
	/* A write to a log on a frozen filesystem would hang: held until the thaw. */
	len = strlen(line);
	if (agent->held_len + len + 1 > HELD_MAX)
		return;
	held = realloc(agent->held, agent->held_len + len + 2);
	if (!held)
		return;
	agent->held = held;
	memcpy(held + agent->held_len, line, len);
	agent->held_len += len;
	held[agent->held_len++] = '\n';
	held[agent->held_len] = '\0';
}

void ga_agent_release_notes(struct ga_agent *agent)
{
	char *line, *next;

	for (line = agent->held; line && *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		fprintf(stderr, "snapfreeze agent: %s\n", line);
	}
	free(agent->held);
	agent->held = NULL;
	agent->held_len = 0;
}

static int send_answer(int out, const char *answer, bool delimited)
{
	static const char sentinel[] = { (char)GA_SENTINEL };
	uint64_t deadline = sf_now_ms() + WRITE_MS;

	if ((delimited && sf_line_write(out, sentinel, 1, deadline) != SF_LINE_OK) ||
	    sf_line_write(out, answer, strlen(answer), deadline) != SF_LINE_OK ||
	    sf_line_write(out, "\n", 1, deadline) != SF_LINE_OK)
		return -1;
	return 0;
}

/* qemu-ga's answers, each relayed whole; at its end, commands are no longer passed on. */
static int relay_upstream(struct ga_agent *agent, int out)
{
	char *line;

	for (;;) {
		switch (ga_upstream_answer(agent->upstream, &line)) {
		case SF_LINE_OK:
			if (send_answer(out, line, false))
				return -1;
			break;
		case SF_LINE_AGAIN:
			return 0;
		default:
			ga_agent_note(agent, "qemu-ga closed its socket; passing commands on stopped");
			ga_upstream_stop(agent->upstream);
			agent->upstream = NULL;
			return 0;
		}
	}
}

/* 0: more to come; 1: the host closed the channel; -1: err. */
static int serve_host(struct ga_agent *agent, struct sf_line_reader *reader, int out,
		      struct sf_error *err)
{
	bool delimited;
	char *line, *answer;

	for (;;) {
		switch (sf_line_get(reader, &line)) {
		case SF_LINE_OK:
			answer = ga_agent_handle(agent, line, &delimited);
			if (answer && send_answer(out, answer, delimited))
				ga_agent_note(agent, "the host does not take answers: %s",
					      strerror(errno));
			free(answer);
			break;
		case SF_LINE_TOO_LONG:
			answer = ga_answer_error(NULL, GA_GENERIC_ERROR,
						 "JSON parse error, a request longer than %d bytes",
						 GA_MAX_LINE);
			if (answer)
				send_answer(out, answer, false);
			free(answer);
			break;
		case SF_LINE_AGAIN:
			return 0;
		case SF_LINE_EOF:
			return 1;
		default:
			return sf_fail(err, SF_EXIT_FAILURE, "agent: reading the host's channel: %s",
				       strerror(errno));
		}
	}
}

static void check_session(struct ga_agent *agent)
{
	struct sf_error why;

	if (ga_freeze_check(agent->freeze, &why)) {
		ga_agent_release_notes(agent);
		ga_agent_note(agent, "thawed by the kernel before guest-fsfreeze-thaw: %s",
			      why.msg);
	}
}

int ga_agent_serve(struct ga_agent *agent, int in, int out, bool serial, int stop_fd,
		   struct sf_error *err)
{
	struct sf_line_reader reader;
	uint64_t host_back = 0;
	int ret = 0;

	sf_line_reader_init(&reader, in, GA_MAX_LINE);
	while (!ret) {
		struct pollfd fds[4] = {
			{ .fd = stop_fd, .events = POLLIN },
			{ .fd = sf_now_ms() >= host_back ? in : -1, .events = POLLIN },
			{ .fd = agent->upstream ? ga_upstream_fd(agent->upstream) : -1,
			  .events = POLLIN },
			{ .fd = ga_freeze_lost_fd(agent->freeze), .events = POLLIN },
		};
		int timeout = ga_freeze_poll_ms(agent->freeze);

		if (fds[1].fd < 0 && (timeout < 0 || timeout > sf_remaining_ms(host_back)))
			timeout = sf_remaining_ms(host_back);
		ga_freeze_alive(agent->freeze);
		if (poll(fds, 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			ret = sf_fail(err, SF_EXIT_FAILURE, "agent: poll: %s", strerror(errno));
			break;
		}
		ga_freeze_alive(agent->freeze);
		if (fds[0].revents)
			break;
		if (fds[3].revents)
			check_session(agent);
		if (fds[2].revents && relay_upstream(agent, out))
			ga_agent_note(agent, "the host does not take answers: %s", strerror(errno));
		if (fds[1].revents)
			ret = serve_host(agent, &reader, out, err);
		if (ret == 1 && serial) {
			/* No host holds the port: a new one starts afresh. */
			sf_line_reader_free(&reader);
			sf_line_reader_init(&reader, in, GA_MAX_LINE);
			host_back = sf_now_ms() + NO_HOST_MS;
			ret = 0;
		}
	}
	sf_line_reader_free(&reader);
	return ret < 0 ? -1 : 0;
}
