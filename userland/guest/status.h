/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_STATUS_H
#define SNAPFREEZE_STATUS_H

#include <sys/types.h>

#include "error.h"

/*
 * Status files, written so that a reader sees the old one or the new one,
 * never a mix: a temporary file in the same folder, synced, renamed over
 * the old one, and the folder synced.
 */
int sf_write_file_atomic(const char *path, const char *text, mode_t mode,
			 struct sf_error *err);

/* The operation snapshots report in Azure's handler status file. */
#define SF_AZURE_OPERATION "Snapshot"

/* The states of Azure's handler status file. */
enum sf_azure_state {
	SF_AZURE_TRANSITIONING,
	SF_AZURE_SUCCESS,
	SF_AZURE_ERROR,
};

/*
 * Writes STATUS_DIR/SEQ.status in Azure's handler format: a JSON array of
 * one object {version, timestampUTC, status: {name, operation, status,
 * code, formattedMessage: {lang, message}, substatus: []}}.
 */
int sf_azure_status_write(const char *status_dir, unsigned int seq,
			  const char *operation, enum sf_azure_state state,
			  int code, const char *message, struct sf_error *err);

#endif
