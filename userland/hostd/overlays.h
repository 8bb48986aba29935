/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_OVERLAYS_H
#define SNAPFREEZE_HOSTD_OVERLAYS_H

#include <stdbool.h>

#include "hostd.h"
#include "protocol.h"

/*
 * The external snapshots' overlays, whichever backend asks for them: one
 * for each writable disk, in --snapshot-dir or next to its image, named
 * DEVICE-ID.qcow2 after the request; never one that exists already, nor
 * one more than --max-overlays of a disk in the folder (those are refused
 * "overlays").
 */

/* text as it may stand in a file name; NULL if out of memory. */
char *hostd_file_tag(const char *text);
/*
 * The new overlay of the disk name, whose image is image, added to planned
 * with it. tag: the request's; cause: the refusal's when it cannot be
 * planned, but for the bound ("overlays").
 */
int hostd_plan_overlay(const struct hostd_options *options, const char *cause,
		       const char *tag, const char *name, const char *image,
		       struct hostd_result *planned, struct hostd_result *result);
/*
 * The snapshot of planned's disks was taken (late: after the guest was
 * answered "timeout"): the log says where each disk's copy and its writes
 * are, and planned becomes the answer, result.
 */
void hostd_snapshot_taken(const char *id, const char *tag, bool late,
			  struct hostd_result *planned, struct hostd_result *result);
/*
 * Those of planned's overlays that QEMU made for a transaction it refused
 * are removed; the log says which, and which could not be.
 */
void hostd_remove_overlays(const char *id, const struct hostd_result *planned);
/*
 * A transaction of unknown outcome (who, QEMU or libvirt, never said): the
 * log names those of its overlays made, kept.
 */
void hostd_keep_overlays(const char *id, const char *who, const struct hostd_result *planned);

#endif
