/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_GA_UPSTREAM_H
#define SNAPFREEZE_GA_UPSTREAM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "lineio.h"

/*
 * The real qemu-ga, to which the agent passes every command it does not
 * answer itself: started by us as `qemu-ga -m unix-listen -p SOCKET` on a
 * socket in a private folder (its own freeze commands blocked, so that
 * nothing freezes behind the module's back), or one already listening on a
 * socket. Its answers come back as they come, each relayed whole.
 */
#define GA_UPSTREAM_CONNECT_MS 10000

struct ga_upstream;

/*
 * qemu-ga at path, its socket, state and pid file in folder (made 0700);
 * connected, and its commands learnt (guest-info), within
 * GA_UPSTREAM_CONNECT_MS.
 */
struct ga_upstream *ga_upstream_start(const char *path, const char *folder,
				      struct sf_error *err);
/* One already listening at socket_path. */
struct ga_upstream *ga_upstream_connect(const char *socket_path, struct sf_error *err);
/* Stops the qemu-ga we started; closes the connection. NULL: nothing. */
void ga_upstream_stop(struct ga_upstream *upstream);

/* Its guest-info's supported_commands; NULL if it gave none. */
const cJSON *ga_upstream_commands(const struct ga_upstream *upstream);
bool ga_upstream_knows(const struct ga_upstream *upstream, const char *command);
/* Where its answers arrive. */
int ga_upstream_fd(const struct ga_upstream *upstream);
/* Sends one request line (without its newline), within deadline. */
int ga_upstream_send(struct ga_upstream *upstream, const char *line, uint64_t deadline,
		     struct sf_error *err);
/* An answer, without waiting: SF_LINE_OK (line), _AGAIN, or the end (_EOF, _ERROR). */
enum sf_line ga_upstream_answer(struct ga_upstream *upstream, char **line);

#endif
