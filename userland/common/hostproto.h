/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTPROTO_H
#define SNAPFREEZE_HOSTPROTO_H

/*
 * What both ends of docs/protocol.md must agree on: its version, and the
 * longest line either end reads (its newline included).
 */
#define SF_HOST_PROTOCOL_VERSION 1
#define SF_HOST_MAX_LINE 65536

#endif
