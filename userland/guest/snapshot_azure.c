// SPDX-License-Identifier: GPL-2.0
/* A snapshot as Azure's extension handler: its status file, first and last. */
#include <stdio.h>

#include "snapshot.h"
#include "status.h"

/*
 * As Azure's handler: the log in its log folder, and "transitioning" in
 * the status file until the result replaces it. First of all, so that a
 * bad configuration is reported there too.
 */
int snapshot_enter_handler_env(struct snapshot *snap, const char *path,
			       struct sf_error *err)
{
	if (sf_handler_env_load(path, &snap->handler, err))
		return -1;
	return sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				     SF_AZURE_OPERATION, SF_AZURE_TRANSITIONING, 0,
				     "snapshot starting", err);
}

/* The handler's final status: success, or the error that ended the command. */
int snapshot_leave_handler_env(struct snapshot *snap, int ret, struct sf_error *err)
{
	char message[700];
	struct sf_error status_err;

	if (!ret)
		snprintf(message, sizeof(message), "snapshot %s: success, %s-consistent%s%s",
			 snap->id, snap->consistency, snap->degraded[0] ? ", degraded: " : "",
			 snap->degraded);
	if (!sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				   SF_AZURE_OPERATION,
				   ret ? SF_AZURE_ERROR : SF_AZURE_SUCCESS,
				   ret ? (int)err->exit_code : 0, ret ? err->msg : message,
				   &status_err))
		return ret;
	if (snap->log)
		sf_log_write(snap->log, SF_LOG_ERROR, "status: %s", status_err.msg);
	if (ret)
		snapshot_add_message(err, "status: %s", status_err.msg);
	else
		*err = status_err;
	return -1;
}

