// SPDX-License-Identifier: GPL-2.0
/* Asking the host: one request, the lines until its answer, all bounded. */
#include "host.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure_host.h"
#include "channel.h"
#include "http.h"
#include "lineio.h"

static int send_line(const char *uri, struct sf_channel *channel, const char *line,
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

static void note_progress(const struct sf_host_request *request,
			  struct sf_host_answer *answer)
{
	if (request->on_progress)
		request->on_progress(answer->message, request->progress_arg);
	sf_host_answer_free(answer);
}

static int closed_without_answer(const char *uri, const struct sf_channel *channel,
				 struct sf_error *err)
{
	char text[SF_EXEC_STDERR_LIMIT + 1];

	sf_channel_exec_stderr(channel, text, sizeof(text));
	return sf_fail(err, SF_EXIT_FAILURE, "%s: the connection closed without an answer%s%s%s",
		       uri, *text ? " (its standard error: " : "", text, *text ? ")" : "");
}

/*
 * Lines until the answer to the request; each line bounded, all within the
 * deadline, which each progress message pushes back.
 */
static int receive_answer(const char *uri, struct sf_channel *channel,
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

static bool is_azure(const char *uri)
{
	return !strncmp(uri, "azure:", 6);
}

struct sf_host {
	char *uri;
	struct sf_channel channel;	/* not for http://, https:// and azure: */
	struct sf_http *http;	/* http:// and https:// */
	struct sf_azure_host *azure;	/* azure: */
};

struct sf_host *sf_host_open(const char *uri, uint32_t timeout_ms,
			     const struct sf_azure_snapshot *azure, struct sf_error *err)
{
	struct sf_host *host = calloc(1, sizeof(*host));

	if (!host || !(host->uri = strdup(uri))) {
		free(host);
		sf_fail(err, SF_EXIT_FAILURE, "host: out of memory");
		return NULL;
	}
	host->channel = SF_NO_CHANNEL;
	if (is_azure(uri) ? !(host->azure = sf_azure_host_open(uri, azure, timeout_ms, err)) :
	    is_http(uri) ? !(host->http = sf_http_open(uri, timeout_ms, err)) :
	    sf_channel_open(uri, sf_now_ms() + timeout_ms, &host->channel, err)) {
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
	char *line;
	int ret;

	if (host->azure)
		return sf_azure_host_ask(host->azure, deadline, request->abort_fd, answer, err);
	line = sf_host_request_line(request);
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
	sf_channel_close(&host->channel);
	sf_http_close(host->http);
	sf_azure_host_close(host->azure);
	free(host->uri);
	free(host);
}

void sf_host_azure_statuses(const struct sf_host *host, int *pre, int *snapshot)
{
	sf_azure_host_statuses(host ? host->azure : NULL, pre, snapshot);
}
