/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_OVERLAYS_H
#define SNAPFREEZE_HOSTD_OVERLAYS_H

#include <cjson/cJSON.h>

#include "hostd.h"
#include "protocol.h"

/*
 * The QMP backend's overlays: one for each writable disk, in --snapshot-dir
 * or next to its image, named DEVICE-ID.qcow2 after the request; never one
 * that exists already, nor one more than --max-overlays of a disk in the
 * folder (those are refused "overlays").
 */

/* text as it may stand in a file name; NULL if out of memory. */
char *hostd_file_tag(const char *text);
/*
 * A blockdev-snapshot-sync in actions for each writable disk of
 * query-block's list blocks, and the disk in planned; tag: the request's.
 */
int hostd_plan_overlays(const struct hostd_options *options, const char *tag,
			const cJSON *blocks, cJSON *actions, struct hostd_result *planned,
			struct hostd_result *result);
/*
 * Those of planned's overlays that QEMU made for a transaction it refused
 * are removed; the log says which, and which could not be.
 */
void hostd_remove_overlays(const char *id, const struct hostd_result *planned);
/* A transaction of unknown outcome: the log names those of its overlays made, kept. */
void hostd_keep_overlays(const char *id, const struct hostd_result *planned);

#endif
