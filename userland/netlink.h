/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_NETLINK_H
#define SNAPFREEZE_NETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The one place that speaks generic netlink to the snapfreeze module: it owns
 * the socket, resolves the family, builds requests and turns replies and
 * extended ACKs into plain structures and sf_error messages.
 */
struct sf_nl;

struct sf_module_status {
	char version[64];
	uint32_t features; /* enum snapfreeze_feature */
};

struct sf_nl *sf_nl_open(struct sf_error *err);
void sf_nl_close(struct sf_nl *nl);
int sf_nl_get_status(struct sf_nl *nl, struct sf_module_status *status,
		     struct sf_error *err);

/* Exposed for the unit tests. */
int sf_nl_parse_status(const struct nlmsghdr *nlh,
		       struct sf_module_status *status);
bool sf_nl_ext_ack_message(const struct nlmsghdr *nlh, char *buf,
			   size_t size);

#endif
