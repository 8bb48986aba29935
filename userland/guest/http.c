// SPDX-License-Identifier: GPL-2.0
#include "http.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lineio.h"

struct sf_http {
	char *url;
	CURL *curl;		/* its connection cache keeps the connection */
	struct curl_slist *headers;
	bool tls;		/* https:// */
	bool new_connection;	/* the transfer opened a socket */
	char message[CURL_ERROR_SIZE];
};

struct answer {
	char *buf;
	size_t len;
	size_t max;
	bool too_long;
	int abort_fd;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct answer *answer = arg;
	size_t bytes = size * n;
	char *buf;

	if (bytes > answer->max - answer->len) {
		answer->too_long = true;
		return 0;	/* aborts the transfer */
	}
	buf = realloc(answer->buf, answer->len + bytes + 1);
	if (!buf)
		return 0;
	memcpy(buf + answer->len, data, bytes);
	answer->buf = buf;
	answer->len += bytes;
	buf[answer->len] = '\0';
	return bytes;
}

/* Non-zero aborts the transfer: curl calls it often, also when idle. */
static int check_abort(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	const struct answer *answer = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return poll(&(struct pollfd){ .fd = answer->abort_fd, .events = POLLIN }, 1, 0) > 0;
}

/* The answer to OPTIONS, whatever it is, is not needed. */
static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* Not inherited by the scripts that run while the connection waits. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct sf_http *http = arg;

	(void)purpose;
	http->new_connection = true;
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/*
 * What every request on the handle shares: no proxy (whatever the
 * environment says), no signal, connects bounded by timeout_ms, and the
 * host's addresses, once resolved, kept for good.
 */
static CURLcode configure(struct sf_http *http, uint32_t timeout_ms)
{
	CURL *curl = http->curl;
	CURLcode res;

	if ((res = curl_easy_setopt(curl, CURLOPT_URL, http->url)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_PROXY, "")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_NOPROXY, "*")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_DNS_CACHE_TIMEOUT, -1L)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, http)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_USERAGENT, "snapfreeze/" SNAPFREEZE_VERSION)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, http->message)))
		return res;
	return CURLE_OK;
}

/*
 * An OPTIONS request, answered however the server likes: it resolves the
 * host's name and connects (TLS included), all within timeout_ms, and
 * leaves the connection for the POST to reuse.
 */
static CURLcode connect_early(CURL *curl, uint32_t timeout_ms)
{
	CURLcode res;

	if ((res = curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "OPTIONS")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard)) ||
	    (res = curl_easy_perform(curl)))
		return res;
	return curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL);
}

/*
 * The step a failed transfer was at, for its message: resolve, connect or
 * TLS; NULL: later (the request).
 */
static const char *failed_step(const struct sf_http *http, CURLcode res)
{
	curl_off_t resolved = 0, connected = 0, secured = 0;

	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "resolve";
	case CURLE_COULDNT_CONNECT:
		return "connect";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return "TLS";
	case CURLE_OPERATION_TIMEDOUT:
		break;
	default:
		return NULL;
	}
	/* Timed out: at the first step without a time (a reused connection has none). */
	curl_easy_getinfo(http->curl, CURLINFO_NAMELOOKUP_TIME_T, &resolved);
	curl_easy_getinfo(http->curl, CURLINFO_CONNECT_TIME_T, &connected);
	curl_easy_getinfo(http->curl, CURLINFO_APPCONNECT_TIME_T, &secured);
	if (!resolved)
		return "resolve";
	if (!http->new_connection)
		return NULL;
	if (!connected)
		return "connect";
	return http->tls && !secured ? "TLS" : NULL;
}

static const char *describe(const struct sf_http *http, CURLcode res)
{
	return http->message[0] ? http->message : curl_easy_strerror(res);
}

static struct curl_slist *header_list(const char *const *headers)
{
	struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json"), *more;

	for (; list && headers && *headers; headers++) {
		more = curl_slist_append(list, *headers);
		if (!more) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = more;
	}
	return list;
}

static struct sf_http *http_new(const char *url, uint32_t timeout_ms, const char *const *headers,
				bool early, struct sf_error *err)
{
	struct sf_http *http = calloc(1, sizeof(*http));
	CURLcode res = CURLE_OUT_OF_MEMORY;

	if (!http || !(http->url = strdup(url))) {
		free(http);
		sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", url);
		return NULL;
	}
	http->tls = !strncmp(url, "https://", 8);
	http->curl = curl_easy_init();
	http->headers = header_list(headers);
	if (http->curl && http->headers && !(res = configure(http, timeout_ms)) &&
	    (!early || !(res = connect_early(http->curl, timeout_ms))))
		return http;
	if (res == CURLE_OUT_OF_MEMORY)
		sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", url);
	else if (res == CURLE_URL_MALFORMAT)
		sf_fail(err, SF_EXIT_USAGE, "%s: not a valid URL: %s", url, describe(http, res));
	else
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s: %s", url,
			failed_step(http, res) ?: "OPTIONS", describe(http, res));
	sf_http_close(http);
	return NULL;
}

struct sf_http *sf_http_open(const char *url, uint32_t timeout_ms, struct sf_error *err)
{
	return http_new(url, timeout_ms, NULL, true, err);
}

struct sf_http *sf_http_new(const char *url, uint32_t timeout_ms, const char *const *headers,
			    struct sf_error *err)
{
	return http_new(url, timeout_ms, headers, false, err);
}

/* A zero timeout means none to curl: always leave it at least 1 ms. */
static CURLcode perform(struct sf_http *http, const char *url, const char *body,
			uint64_t deadline, struct answer *answer)
{
	CURL *curl = http->curl;
	CURLcode res;

	if ((res = curl_easy_setopt(curl, CURLOPT_URL, url)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, http->headers)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
				    (long)sf_remaining_ms(deadline) + 1)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_abort)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, answer)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L)))
		return res;
	http->new_connection = false;
	return curl_easy_perform(curl);
}

int sf_http_exchange(struct sf_http *http, const char *url, const char *body,
		     uint64_t deadline, int abort_fd, size_t max, long *status,
		     char **answer_body, struct sf_error *err)
{
	struct answer answer = { .max = max, .abort_fd = abort_fd };
	CURLcode res;

	*status = 0;
	*answer_body = NULL;
	res = perform(http, url, body, deadline, &answer);
	if (res && failed_step(http, res))
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s: %s", url, failed_step(http, res),
			describe(http, res));
	else if (res == CURLE_OPERATION_TIMEDOUT)
		sf_fail(err, SF_EXIT_FAILURE, "%s: no answer in time", url);
	else if (res == CURLE_ABORTED_BY_CALLBACK)
		sf_fail(err, SF_EXIT_FAILURE, "%s: the wait was cut short", url);
	else if (answer.too_long)
		sf_fail(err, SF_EXIT_FAILURE, "%s: an answer longer than %zu bytes", url, max);
	else if (res)
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", url, describe(http, res));
	else if (curl_easy_getinfo(http->curl, CURLINFO_RESPONSE_CODE, status))
		sf_fail(err, SF_EXIT_FAILURE, "%s: no HTTP status", url);
	else {
		*answer_body = answer.buf;
		return 0;
	}
	free(answer.buf);
	return -1;
}

char *sf_http_post(struct sf_http *http, const char *body, uint64_t deadline,
		   int abort_fd, size_t max, struct sf_error *err)
{
	const char *url = http->url;
	char *answer;
	long status;

	if (sf_http_exchange(http, url, body, deadline, abort_fd, max, &status, &answer, err))
		return NULL;
	if (status < 200 || status > 299)
		sf_fail(err, SF_EXIT_FAILURE, "%s: HTTP status %ld", url, status);
	else if (!answer)
		sf_fail(err, SF_EXIT_FAILURE, "%s: an empty answer", url);
	else
		return answer;
	free(answer);
	return NULL;
}

void sf_http_close(struct sf_http *http)
{
	if (!http)
		return;
	curl_easy_cleanup(http->curl);
	curl_slist_free_all(http->headers);
	free(http->url);
	free(http);
}
