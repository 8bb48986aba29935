/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The snapfreeze authors.
 *
 * Documentation
 * =============
 *
 * The snapfreeze module is driven over generic netlink, in the family named
 * SNAPFREEZE_GENL_NAME, version SNAPFREEZE_GENL_VERSION. Every command needs
 * CAP_NET_ADMIN (checked by generic netlink) and CAP_SYS_ADMIN (checked by
 * the module, because freezing a filesystem is a CAP_SYS_ADMIN operation).
 * Refusals carry an extended ACK message; set NETLINK_EXT_ACK on the socket
 * to receive it.
 *
 * SNAPFREEZE_CMD_GET_STATUS
 * -------------------------
 *
 *   Takes no attributes. Replies with one message of the same command:
 *
 *     SNAPFREEZE_A_STATUS_VERSION: NLA_NUL_STRING, the module's version,
 *                                  e.g. "0.1.0"
 *     SNAPFREEZE_A_STATUS_FEATURES: NLA_U32, a bitmask of
 *                                   enum snapfreeze_feature describing what
 *                                   the running kernel lets the module do
 *
 * Attribute numbers and command numbers are never reused or renumbered; new
 * ones are appended before the __SNAPFREEZE_*_LAST markers.
 */

#ifndef _UAPI_LINUX_SNAPFREEZE_H
#define _UAPI_LINUX_SNAPFREEZE_H

#define SNAPFREEZE_GENL_NAME "snapfreeze"
#define SNAPFREEZE_GENL_VERSION 1

enum snapfreeze_cmd {
	SNAPFREEZE_CMD_UNSPEC,
	SNAPFREEZE_CMD_GET_STATUS,
	__SNAPFREEZE_CMD_LAST
};

#define SNAPFREEZE_CMD_MAX (__SNAPFREEZE_CMD_LAST - 1)

/**
 * enum snapfreeze_feature - what the running kernel lets the module do
 * @SNAPFREEZE_FEATURE_KERNEL_HOLDER: filesystems are frozen as a kernel
 *	holder, which a userspace FITHAW or an emergency thaw (SysRq-j) cannot
 *	release. Without it (kernels before 6.6) the freeze is shared with
 *	userspace and a FITHAW from any CAP_SYS_ADMIN process thaws it.
 */
enum snapfreeze_feature {
	SNAPFREEZE_FEATURE_KERNEL_HOLDER = 1U << 0,
	__SNAPFREEZE_FEATURE_ALL = SNAPFREEZE_FEATURE_KERNEL_HOLDER
};

enum snapfreeze_attr {
	SNAPFREEZE_A_UNSPEC,
	SNAPFREEZE_A_STATUS_VERSION,
	SNAPFREEZE_A_STATUS_FEATURES,
	__SNAPFREEZE_A_LAST
};

#define SNAPFREEZE_A_MAX (__SNAPFREEZE_A_LAST - 1)

#endif /* _UAPI_LINUX_SNAPFREEZE_H */
