/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_NL_PARSE_H
#define SNAPFREEZE_NL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "netlink.h"

struct nlmsghdr;

/*
 * The module's replies, parsed for netlink.c (and tested on their own):
 * 0, or -1 for a reply the policy or the protocol does not allow.
 */
int sf_nl_parse_status(const struct nlmsghdr *nlh, struct sf_module_status *status);
int sf_nl_parse_session(const struct nlmsghdr *nlh, struct sf_session_info *session);
int sf_nl_parse_keepalive(const struct nlmsghdr *nlh, struct sf_keepalive_reply *reply);

/* An NLMSG_ERROR's extended ACK: its message (false: none), its offset (-1: none). */
bool sf_nl_ext_ack_message(const struct nlmsghdr *nlh, char *buf, size_t size);
long sf_nl_ext_ack_offset(const struct nlmsghdr *nlh);

/*
 * The sessions of a dump, in the kernel's order. A session too large for
 * one message comes in several, each with the session's attributes and
 * the next of its targets: sf_nl_dump_add() joins them again.
 */
struct sf_nl_dump {
	struct sf_session_info *sessions;
	size_t n_sessions;
};

int sf_nl_dump_add(struct sf_nl_dump *dump, const struct nlmsghdr *nlh);
void sf_nl_dump_free(struct sf_nl_dump *dump);

#endif
