/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HTTP_H
#define SNAPFREEZE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * One HTTP POST of a JSON body to an http:// or https:// URL, finished by
 * the deadline (sf_now_ms() time): the 2xx answer's body, at most max
 * bytes, NUL-terminated, for the caller to free; given up when abort_fd
 * (-1: none) is readable. No redirects are followed, no proxy is used (the
 * environment's are ignored), and no other protocol is spoken.
 */
char *sf_http_post(const char *url, const char *body, uint64_t deadline,
		   int abort_fd, size_t max, struct sf_error *err);

#endif
