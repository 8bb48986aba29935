/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_NL_EXCHANGE_H
#define SNAPFREEZE_NL_EXCHANGE_H

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

/*
 * The socket to the module and one exchange on it (a request, its replies
 * until the ACK, the end of a dump or an error), for netlink.c's requests.
 */
struct sf_nl {
	struct nl_sock *sock;
	int family;
	pthread_mutex_t lock;	/* one exchange at a time */
	bool closed;		/* by sf_nl_disconnect(): no more exchanges */
};

/*
 * Every wait for a reply is bounded (SO_RCVTIMEO): by this, and a FREEZE
 * by its timeout (or SF_NL_FREEZE_DEFAULT_MS, the module's default being
 * unknown here) and a margin: the module replies to a FREEZE by its
 * deadline, plus the stuck_after_ms (default 3 s) it then gives freezes
 * still running; a THAW within that.
 */
#define SF_NL_REPLY_MS 10000
#define SF_NL_FREEZE_DEFAULT_MS 600000
#define SF_NL_FREEZE_MARGIN_MS 5000

/* What the kernel answered to one request, filled in by the callbacks. */
struct sf_nl_exchange {
	int (*parse)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	bool done;
	bool malformed;
	bool interrupted;	/* a dump the kernel marked inconsistent */
	uint32_t reply_ms;	/* the bound on each reply; 0: SF_NL_REPLY_MS */
	int kernel_error;	/* negative errno, 0 for success */
	long bad_offset;	/* of the attribute the kernel refused, or -1 */
	char ext_ack[256];
};

/* A request of the family's; NULL when out of memory. */
struct nl_msg *sf_nl_msg_new(const struct sf_nl *nl, uint8_t cmd, int flags, size_t payload);
/*
 * Sends msg (and frees it), then collects replies, each within
 * ex->reply_ms: 0, or -1 with err (ex->kernel_error: the module refused).
 */
int sf_nl_transact(struct sf_nl *nl, struct nl_msg *msg, struct sf_nl_exchange *ex,
		   const char *what, struct sf_error *err);
/* "WHAT: [SUBJECT: ]why (errno text)", the exit code from the module's errno. */
int sf_nl_kernel_error(const struct sf_nl_exchange *ex, const char *what,
		       const char *subject, struct sf_error *err);
/* NL_CB_VALID: each message to ex->parse; one it refuses marks ex malformed. */
int sf_nl_on_valid(struct nl_msg *msg, void *arg);

#endif
