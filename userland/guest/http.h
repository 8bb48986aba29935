/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HTTP_H
#define SNAPFREEZE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * An http:// or https:// host, reached without any proxy (the environment's
 * are ignored). No redirects are followed, and no other protocol is spoken.
 */
struct sf_http;

/*
 * The URL checked, its host name resolved and a connection made to it (TLS
 * included), all within timeout_ms, by an OPTIONS request whatever its
 * answer. The connection is kept for the POSTs, and the host's addresses
 * for good: no name is resolved after this.
 */
struct sf_http *sf_http_open(const char *url, uint32_t timeout_ms, struct sf_error *err);

/*
 * One POST of a JSON body over the connection made at open (a new one to
 * the same address if the server closed it meanwhile), finished by the
 * deadline (sf_now_ms() time): the 2xx answer's body, at most max bytes,
 * NUL-terminated, for the caller to free; given up when abort_fd (-1: none)
 * is readable.
 */
char *sf_http_post(struct sf_http *http, const char *body, uint64_t deadline,
		   int abort_fd, size_t max, struct sf_error *err);

/*
 * A handle for url's host without connecting yet, its requests carrying
 * headers ("Name: value", NULL-terminated; NULL: none) besides the JSON
 * content type: for a first request that is itself made before the freeze.
 */
struct sf_http *sf_http_new(const char *url, uint32_t timeout_ms, const char *const *headers,
			    struct sf_error *err);

/*
 * One POST of body to url (on the handle's host, its connection reused):
 * 0 with the HTTP status and the body (NULL when empty, to free), whatever
 * the status; -1: no HTTP answer by the deadline (err).
 */
int sf_http_exchange(struct sf_http *http, const char *url, const char *body,
		     uint64_t deadline, int abort_fd, size_t max, long *status,
		     char **answer_body, struct sf_error *err);

/* NULL: nothing. */
void sf_http_close(struct sf_http *http);

#endif
