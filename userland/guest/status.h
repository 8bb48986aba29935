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

/* The operations of Azure's handler status file, as its extension names them. */
#define SF_AZURE_OPERATION "Enable"

/* The states of Azure's handler status file. */
enum sf_azure_state {
	SF_AZURE_TRANSITIONING,
	SF_AZURE_STATE_SUCCESS,
	SF_AZURE_STATE_ERROR,
};

/* One status, as Azure's VMSnapshot extension writes it. */
struct sf_azure_status {
	const char *name;		/* NULL: Azure's VMSnapshotLinux */
	const char *version;		/* NULL: "1.0" */
	const char *operation;
	enum sf_azure_state state;
	int code;			/* enum sf_azure_code */
	const char *message;
	int consistency;		/* enum sf_azure_consistency */
	const char *task_id;		/* NULL: null */
	const char *start_ticks;	/* commandStartTimeUTCTicks, NULL: null */
	const char *report;		/* the full report, JSON text; NULL: none */
};

/*
 * Writes STATUS_DIR/SEQ.status: a JSON array of one object {version,
 * timestampUTC, status: {name, operation, status, code, taskId,
 * commandStartTimeUTCTicks, formattedMessage: {lang, message}, substatus}},
 * the message a JSON text {messageStr, snapshotConsistency, jobMessage,
 * isSizeComputationFailed}, and substatus the report in its one entry's
 * name (empty without a report), as Azure's extension lays them out.
 */
int sf_azure_status_write(const char *status_dir, unsigned int seq,
			  const struct sf_azure_status *status, struct sf_error *err);

#endif
