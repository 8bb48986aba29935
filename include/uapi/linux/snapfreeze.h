/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The snapfreeze authors.
 *
 * Documentation
 * =============
 *
 * The snapfreeze module freezes a set of filesystems as one session, over
 * generic netlink, in the family named SNAPFREEZE_GENL_NAME, version
 * SNAPFREEZE_GENL_VERSION. Every command needs CAP_NET_ADMIN (checked by
 * generic netlink) and CAP_SYS_ADMIN (checked by the module, because
 * freezing a filesystem is a CAP_SYS_ADMIN operation). Refusals carry an
 * extended ACK message naming what was wrong; set NETLINK_EXT_ACK on the
 * socket to receive it. Attributes a command does not take are refused.
 *
 * A session freezes all its targets or none. A watchdog, armed before the
 * first filesystem is frozen, thaws the session when its timeout passes,
 * or, for a session with a keepalive interval, as soon as a whole interval
 * passes without a KEEPALIVE request. Unless the session is detached, it
 * also ends as soon as the netlink socket that created it is closed (the
 * owner exited or was killed).
 *
 * SNAPFREEZE_CMD_GET_STATUS
 * -------------------------
 *
 *   Takes no attributes. Replies with:
 *
 *     SNAPFREEZE_A_STATUS_VERSION: NLA_NUL_STRING, the module's version
 *     SNAPFREEZE_A_STATUS_FEATURES: NLA_U32, enum snapfreeze_feature bits
 *     SNAPFREEZE_A_STATUS_DEFAULT_TIMEOUT_MS: NLA_U32, module parameter
 *     SNAPFREEZE_A_STATUS_MAX_TIMEOUT_MS: NLA_U32, module parameter
 *     SNAPFREEZE_A_STATUS_MAX_TARGETS: NLA_U32, module parameter
 *     SNAPFREEZE_A_STATUS_SESSIONS: NLA_U64, sessions created since load
 *     SNAPFREEZE_A_STATUS_WATCHDOG_THAWS: NLA_U64, sessions the watchdog ended
 *     SNAPFREEZE_A_STATUS_OWNER_THAWS: NLA_U64, sessions ended because
 *                                      their owner's socket closed
 *     SNAPFREEZE_A_STATUS_LONGEST_FREEZE_NS: NLA_U64, the longest time a
 *                                            filesystem stayed frozen
 *     SNAPFREEZE_A_STATUS_MIN_KEEPALIVE_MS: NLA_U32, module parameter
 *     SNAPFREEZE_A_STATUS_MAX_KEEPALIVE_MS: NLA_U32, module parameter
 *     SNAPFREEZE_A_STATUS_KEEPALIVE_THAWS: NLA_U64, sessions ended because
 *                                          no KEEPALIVE came in time
 *
 * SNAPFREEZE_CMD_FREEZE
 * ---------------------
 *
 *   SNAPFREEZE_A_TARGETS: NLA_NESTED, required, 1 to max_targets entries:
 *     0: NLA_NESTED
 *       SNAPFREEZE_TARGET_A_PATH: NLA_NUL_STRING, required, a path on a
 *                                 mounted filesystem (its mount point, or
 *                                 any file or directory in it)
 *       SNAPFREEZE_TARGET_A_STORED_ON: NLA_U32, optional, may repeat: the
 *                                 index of another target whose filesystem
 *                                 holds part of this one's storage (the
 *                                 image of a loop device under it, at any
 *                                 depth of partitions, device-mapper and
 *                                 loop devices)
 *     1: NLA_NESTED
 *       ...
 *   SNAPFREEZE_A_TIMEOUT_MS: NLA_U32, optional, at least 1 and at most
 *                            max_timeout_ms; default default_timeout_ms
 *   SNAPFREEZE_A_FLAGS: NLA_U32, optional, enum snapfreeze_freeze_flag bits
 *   SNAPFREEZE_A_KEEPALIVE_MS: NLA_U32, optional, from min_keepalive_ms to
 *                              max_keepalive_ms: the session must then be
 *                              kept alive (SNAPFREEZE_CMD_KEEPALIVE)
 *
 *   The targets are frozen concurrently, so that they all stop admitting
 *   writes at nearly the same instant, in levels: a target is frozen
 *   before every target it is stored on (its level is lower), since its
 *   freeze writes through to them. Thaws all run at once. Fails, leaving
 *   nothing frozen, if a target is not found, is a block device rather
 *   than a path on a mounted filesystem, does not support freezing or
 *   freezes itself (->freeze_super), is frozen already, is on the same
 *   filesystem as another target, or belongs to another session, and if
 *   the targets are stored on each other in a cycle.
 *   Replies with the session, as SNAPFREEZE_CMD_GET_SESSION does.
 *
 *   A freeze that does not return (its writeback waits on a target frozen
 *   already, or on I/O that never completes) does not hold the session:
 *   at its deadline, or when it is ended otherwise, what is frozen is
 *   thawed, the freezes and thaws still running get stuck_after_ms more
 *   to return, and the session ends with the others marked
 *   SNAPFREEZE_TARGET_A_STUCK: each is thawed as soon as its freeze
 *   returns. The request then fails naming the first of them.
 *
 *   With SNAPFREEZE_A_KEEPALIVE_MS, the watchdog also thaws the session
 *   (reason SNAPFREEZE_REASON_KEEPALIVE_MISSED) when that long passes
 *   without a KEEPALIVE request for it, counted from the moment every
 *   target is frozen. The timeout still ends the session whatever the
 *   keepalives say: it is the hard limit of the freeze.
 *
 * SNAPFREEZE_CMD_THAW
 * -------------------
 *
 *   SNAPFREEZE_A_SESSION_ID: NLA_U64, the session to end, or
 *   SNAPFREEZE_A_THAW_ALL: NLA_FLAG, end every session.
 *
 *   Replies once nothing of the session is frozen, or will be: a session
 *   still freezing ends when its running freezes have returned (each then
 *   thawed at once), and no further target is frozen. With a session id,
 *   replies with that session as it ended (see below), including
 *   SNAPFREEZE_A_FROZEN_NS; fails with EBUSY, naming it, if a target is
 *   stuck. With SNAPFREEZE_A_THAW_ALL, replies with
 *   SNAPFREEZE_A_SESSION_COUNT, the number of sessions ended.
 *
 * SNAPFREEZE_CMD_KEEPALIVE
 * ------------------------
 *
 *   SNAPFREEZE_A_SESSION_ID: NLA_U64, required, a frozen session.
 *
 *   Restarts the session's keepalive interval. Only the socket that created
 *   the session may keep it alive, unless it is detached: then any caller
 *   with CAP_SYS_ADMIN (and CAP_NET_ADMIN, as for every command) may, from
 *   any socket. Refused if the session does not exist or has ended
 *   (ENOENT), is still freezing (EAGAIN), or belongs to another socket
 *   (EPERM); and if its interval or its timeout has passed already
 *   (ETIMEDOUT): a late KEEPALIVE never revives a session, which the
 *   watchdog then thaws at once. A session without a keepalive interval
 *   accepts it and is unchanged. Replies with:
 *
 *     SNAPFREEZE_A_SESSION_ID: NLA_U64
 *     SNAPFREEZE_A_TIME_LEFT_MS: NLA_U64, until the timeout ends the
 *                                session, whatever the keepalives
 *     SNAPFREEZE_A_KEEPALIVE_MS: NLA_U32, the session's interval (0: none)
 *
 * SNAPFREEZE_CMD_GET_SESSION
 * --------------------------
 *
 *   SNAPFREEZE_A_SESSION_ID: NLA_U64, required for a doit; a dump lists
 *   every live session, in the order of their ids. A session too large for
 *   one dump message comes in several consecutive ones, each with all of
 *   the session's attributes and the next of its targets (the nests keep
 *   their indexes): join the targets of messages with the same session id.
 *   A dump during which sessions began or ended has NLM_F_DUMP_INTR set;
 *   ask again. Each session is described by:
 *
 *     SNAPFREEZE_A_SESSION_ID: NLA_U64
 *     SNAPFREEZE_A_STATE: NLA_U32, enum snapfreeze_state
 *     SNAPFREEZE_A_FLAGS: NLA_U32, as requested
 *     SNAPFREEZE_A_OWNER_PID: NLA_U32, the process that created it
 *     SNAPFREEZE_A_TIMEOUT_MS: NLA_U32, the watchdog's timeout
 *     SNAPFREEZE_A_TIME_LEFT_MS: NLA_U64, until the watchdog thaws it
 *     SNAPFREEZE_A_KEEPALIVE_MS: NLA_U32, the keepalive interval (if any)
 *     SNAPFREEZE_A_FREEZE_NS: NLA_U64, from the request to every target
 *                             frozen (once frozen)
 *     SNAPFREEZE_A_SPREAD_NS: NLA_U64, from the first target to the last
 *                             one starting to refuse writes (once frozen)
 *     SNAPFREEZE_A_FROZEN_NS: NLA_U64, the longest any target stayed frozen
 *                             (once ended: THAW replies and THAWED events)
 *     SNAPFREEZE_A_REASON: NLA_U32, enum snapfreeze_reason (once the
 *                          session is to end: a session still freezing
 *                          when it was told to end carries it too)
 *     SNAPFREEZE_A_DURATION_NS: NLA_U64, from the request to the last thaw
 *                               (once ended); for a session the watchdog
 *                               ended, minus the timeout, the watchdog's
 *                               lateness
 *     SNAPFREEZE_A_TARGETS: NLA_NESTED, one entry per target:
 *       0: NLA_NESTED
 *         SNAPFREEZE_TARGET_A_PATH: NLA_NUL_STRING, as requested
 *         SNAPFREEZE_TARGET_A_DEV: NLA_U32, the filesystem's device,
 *                                  encoded as by new_encode_dev()
 *         SNAPFREEZE_TARGET_A_FSTYPE: NLA_NUL_STRING, e.g. "ext4"
 *         SNAPFREEZE_TARGET_A_LEVEL: NLA_U32, freeze order: level 0 first
 *         SNAPFREEZE_TARGET_A_FREEZE_NS: NLA_U64, how long its freeze took
 *         SNAPFREEZE_TARGET_A_THAW_ERROR: NLA_S32, a negative errno if the
 *                                         kernel refused to thaw it
 *         SNAPFREEZE_TARGET_A_FROZEN_NS: NLA_U64, how long it stayed frozen
 *                                        (once thawed)
 *         SNAPFREEZE_TARGET_A_STUCK: NLA_FLAG, the session ended while its
 *                                    freeze or thaw still ran (see FREEZE)
 *       1: NLA_NESTED
 *         ...
 *
 * Events: multicast group SNAPFREEZE_MCGRP_EVENTS
 * -----------------------------------------------
 *
 *   SNAPFREEZE_CMD_EVENT messages, sent when a session becomes frozen and
 *   when it ends, describe the session as above, plus:
 *
 *     SNAPFREEZE_A_EVENT: NLA_U32, enum snapfreeze_event
 *
 *   Joining the group needs CAP_SYS_ADMIN.
 *
 * Attribute, command and value numbers are never reused or renumbered; new
 * ones are appended before the __SNAPFREEZE_*_LAST markers.
 */

#ifndef _UAPI_LINUX_SNAPFREEZE_H
#define _UAPI_LINUX_SNAPFREEZE_H

#define SNAPFREEZE_GENL_NAME "snapfreeze"
#define SNAPFREEZE_GENL_VERSION 1
#define SNAPFREEZE_MCGRP_EVENTS "events"

enum snapfreeze_cmd {
	SNAPFREEZE_CMD_UNSPEC,
	SNAPFREEZE_CMD_GET_STATUS,
	SNAPFREEZE_CMD_FREEZE,
	SNAPFREEZE_CMD_THAW,
	SNAPFREEZE_CMD_GET_SESSION,
	SNAPFREEZE_CMD_EVENT,
	SNAPFREEZE_CMD_KEEPALIVE,
	__SNAPFREEZE_CMD_LAST
};

#define SNAPFREEZE_CMD_MAX (__SNAPFREEZE_CMD_LAST - 1)

/**
 * enum snapfreeze_feature - what the running kernel lets the module do
 * @SNAPFREEZE_FEATURE_KERNEL_HOLDER: filesystems are frozen as a kernel
 *	holder, which a userspace FITHAW or an emergency thaw (SysRq-j) cannot
 *	release. Without it (kernels before 6.6) the freeze is shared with
 *	userspace and a FITHAW from any CAP_SYS_ADMIN process thaws it; the
 *	session then reports a thaw error for that target when it ends.
 */
enum snapfreeze_feature {
	SNAPFREEZE_FEATURE_KERNEL_HOLDER = 1U << 0,
	__SNAPFREEZE_FEATURE_ALL = SNAPFREEZE_FEATURE_KERNEL_HOLDER
};

/**
 * enum snapfreeze_freeze_flag - SNAPFREEZE_A_FLAGS of a FREEZE request
 * @SNAPFREEZE_F_DETACHED: the session does not end when the requesting
 *	socket closes; only THAW or the watchdog end it.
 */
enum snapfreeze_freeze_flag {
	SNAPFREEZE_F_DETACHED = 1U << 0,
	__SNAPFREEZE_F_ALL = SNAPFREEZE_F_DETACHED
};

enum snapfreeze_state {
	SNAPFREEZE_STATE_FREEZING = 1,
	SNAPFREEZE_STATE_FROZEN,
	SNAPFREEZE_STATE_THAWED,
	SNAPFREEZE_STATE_THAWING,	/* ending: its thaws are running */
};

enum snapfreeze_event {
	SNAPFREEZE_EVENT_FROZEN = 1,
	SNAPFREEZE_EVENT_THAWED,
};

/**
 * enum snapfreeze_reason - why a session ended
 * @SNAPFREEZE_REASON_REQUEST: a THAW request
 * @SNAPFREEZE_REASON_WATCHDOG: its timeout passed
 * @SNAPFREEZE_REASON_OWNER_GONE: the socket that created it closed
 * @SNAPFREEZE_REASON_MODULE_UNLOAD: the module was unloaded
 * @SNAPFREEZE_REASON_ERROR: a target could not be frozen
 * @SNAPFREEZE_REASON_KEEPALIVE_MISSED: no KEEPALIVE came within its interval
 */
enum snapfreeze_reason {
	SNAPFREEZE_REASON_REQUEST = 1,
	SNAPFREEZE_REASON_WATCHDOG,
	SNAPFREEZE_REASON_OWNER_GONE,
	SNAPFREEZE_REASON_MODULE_UNLOAD,
	SNAPFREEZE_REASON_ERROR,
	SNAPFREEZE_REASON_KEEPALIVE_MISSED,
};

enum snapfreeze_attr {
	SNAPFREEZE_A_UNSPEC,
	SNAPFREEZE_A_STATUS_VERSION,
	SNAPFREEZE_A_STATUS_FEATURES,
	SNAPFREEZE_A_PAD,
	SNAPFREEZE_A_STATUS_DEFAULT_TIMEOUT_MS,
	SNAPFREEZE_A_STATUS_MAX_TIMEOUT_MS,
	SNAPFREEZE_A_STATUS_MAX_TARGETS,
	SNAPFREEZE_A_STATUS_SESSIONS,
	SNAPFREEZE_A_STATUS_WATCHDOG_THAWS,
	SNAPFREEZE_A_STATUS_OWNER_THAWS,
	SNAPFREEZE_A_STATUS_LONGEST_FREEZE_NS,
	SNAPFREEZE_A_SESSION_ID,
	SNAPFREEZE_A_TARGETS,
	SNAPFREEZE_A_TIMEOUT_MS,
	SNAPFREEZE_A_FLAGS,
	SNAPFREEZE_A_THAW_ALL,
	SNAPFREEZE_A_SESSION_COUNT,
	SNAPFREEZE_A_STATE,
	SNAPFREEZE_A_OWNER_PID,
	SNAPFREEZE_A_TIME_LEFT_MS,
	SNAPFREEZE_A_FREEZE_NS,
	SNAPFREEZE_A_SPREAD_NS,
	SNAPFREEZE_A_FROZEN_NS,
	SNAPFREEZE_A_EVENT,
	SNAPFREEZE_A_REASON,
	SNAPFREEZE_A_DURATION_NS,
	SNAPFREEZE_A_KEEPALIVE_MS,
	SNAPFREEZE_A_STATUS_MIN_KEEPALIVE_MS,
	SNAPFREEZE_A_STATUS_MAX_KEEPALIVE_MS,
	SNAPFREEZE_A_STATUS_KEEPALIVE_THAWS,
	__SNAPFREEZE_A_LAST
};

#define SNAPFREEZE_A_MAX (__SNAPFREEZE_A_LAST - 1)

enum snapfreeze_target_attr {
	SNAPFREEZE_TARGET_A_UNSPEC,
	SNAPFREEZE_TARGET_A_PATH,
	SNAPFREEZE_TARGET_A_DEV,
	SNAPFREEZE_TARGET_A_FSTYPE,
	SNAPFREEZE_TARGET_A_LEVEL,
	SNAPFREEZE_TARGET_A_PAD,
	SNAPFREEZE_TARGET_A_FREEZE_NS,
	SNAPFREEZE_TARGET_A_THAW_ERROR,
	SNAPFREEZE_TARGET_A_FROZEN_NS,
	SNAPFREEZE_TARGET_A_STORED_ON,
	SNAPFREEZE_TARGET_A_STUCK,
	__SNAPFREEZE_TARGET_A_LAST
};

#define SNAPFREEZE_TARGET_A_MAX (__SNAPFREEZE_TARGET_A_LAST - 1)

#endif /* _UAPI_LINUX_SNAPFREEZE_H */
