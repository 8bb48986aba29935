// SPDX-License-Identifier: GPL-2.0
#include "http.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lineio.h"

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

static CURLcode perform(CURL *curl, const char *url, const char *body,
			struct curl_slist *headers, uint64_t deadline,
			struct answer *answer, char *message)
{
	CURLcode res;

	/* A zero timeout means none to curl: always leave it at least 1 ms. */
	if ((res = curl_easy_setopt(curl, CURLOPT_URL, url)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_PROXY, "")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_NOPROXY, "*")) ||
	    (res = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
				    (long)sf_remaining_ms(deadline) + 1)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_USERAGENT, "snapfreeze/" SNAPFREEZE_VERSION)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_abort)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, answer)) ||
	    (res = curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L)))
		return res;
	return curl_easy_perform(curl);
}

char *sf_http_post(const char *url, const char *body, uint64_t deadline,
		   int abort_fd, size_t max, struct sf_error *err)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	char message[CURL_ERROR_SIZE] = "";
	struct answer answer = { .max = max, .abort_fd = abort_fd };
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode res;

	if (!curl || !headers) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: out of memory", url);
		goto out;
	}
	res = perform(curl, url, body, headers, deadline, &answer, message);
	if (res == CURLE_OPERATION_TIMEDOUT)
		sf_fail(err, SF_EXIT_FAILURE, "%s: no answer in time", url);
	else if (res == CURLE_ABORTED_BY_CALLBACK)
		sf_fail(err, SF_EXIT_FAILURE, "%s: the wait was cut short", url);
	else if (answer.too_long)
		sf_fail(err, SF_EXIT_FAILURE, "%s: an answer longer than %zu bytes", url, max);
	else if (res)
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", url,
			message[0] ? message : curl_easy_strerror(res));
	else if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) ||
		 status < 200 || status > 299)
		sf_fail(err, SF_EXIT_FAILURE, "%s: HTTP status %ld", url, status);
	else if (!answer.buf)
		sf_fail(err, SF_EXIT_FAILURE, "%s: an empty answer", url);
	else
		goto out;
	free(answer.buf);
	answer.buf = NULL;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return answer.buf;
}
