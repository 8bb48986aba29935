// SPDX-License-Identifier: GPL-2.0
/* A snapshot as Azure's extension handler: its settings, its status file, first and last. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "azure_codes.h"
#include "snapshot.h"
#include "status.h"

void snapshot_azure_code(struct snapshot *snap, int code)
{
	if (!snap->azure_code)
		snap->azure_code = code;
}

int snapshot_config_code(const char *message, const char *script_config)
{
	size_t len = strlen(script_config);

	if (strncmp(message, script_config, len) || strncmp(message + len, ": ", 2))
		return SF_AZURE_FAILED;
	if (!strncmp(message + len + 2, "mode ", 5))
		return SF_AZURE_SCRIPT_CONFIG_PERMISSION;
	if (!strncmp(message + len + 2, "owned by", 8))
		return SF_AZURE_SCRIPT_CONFIG_OWNERSHIP;
	return SF_AZURE_SCRIPT_CONFIG_PARSING;
}

static struct sf_azure_status status_of(const struct snapshot *snap)
{
	return (struct sf_azure_status){
		.name = snap->handler.name,
		.version = snap->handler.version,
		.operation = SF_AZURE_OPERATION,
		.task_id = snap->settings.task_id,
		.start_ticks = snap->settings.start_ticks,
	};
}

/* The settings, when the agent wrote some for this sequence number. */
static int read_settings(struct snapshot *snap, struct sf_error *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%u.settings", snap->handler.config_folder,
		 snap->handler.seq);
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	if (sf_azure_settings_load(snap->handler.config_folder, snap->handler.seq, NULL,
				   &snap->settings, err)) {
		snapshot_azure_code(snap, snap->settings.fault == SF_AZURE_SETTINGS_NO_CERT ?
				    SF_AZURE_NO_CERTIFICATE : SF_AZURE_BAD_PARAMETER);
		return -1;
	}
	if (!sf_azure_settings_too_late(&snap->settings, time(NULL)))
		return 0;
	snapshot_azure_code(snap, SF_AZURE_TOO_LATE);
	return sf_fail(err, SF_EXIT_FAILURE,
		       "the command started more than %d minutes ago (commandStartTimeUTCTicks %s): no snapshot",
		       SF_AZURE_MAX_COMMAND_AGE_S / 60, snap->settings.start_ticks);
}

/*
 * As Azure's handler: the log in its log folder, and "transitioning" in
 * the status file until the result replaces it. First of all, so that a
 * bad configuration is reported there too.
 */
int snapshot_enter_handler_env(struct snapshot *snap, const char *path,
			       struct sf_error *err)
{
	struct sf_azure_status status;
	int ret;

	if (sf_handler_env_load(path, &snap->handler, err))
		return -1;
	ret = read_settings(snap, err);
	if (ret)
		return ret;
	status = status_of(snap);
	status.state = SF_AZURE_TRANSITIONING;
	status.code = SF_AZURE_TRANSITIONING_CODE;
	status.message = "snapshot starting";
	return sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				     &status, err);
}

static int consistency_of(const char *consistency)
{
	if (!strcmp(consistency, "application"))
		return SF_AZURE_CONSISTENCY_APPLICATION;
	if (!strcmp(consistency, "filesystem"))
		return SF_AZURE_CONSISTENCY_FILESYSTEM;
	if (!strcmp(consistency, "crash"))
		return SF_AZURE_CONSISTENCY_CRASH;
	return SF_AZURE_CONSISTENCY_NONE;
}

/* The handler's final status: success, or the error that ended the command. */
int snapshot_leave_handler_env(struct snapshot *snap, int ret, struct sf_error *err)
{
	struct sf_azure_status status = status_of(snap);
	char *report = snapshot_result_text(snap);
	struct sf_error status_err;
	char message[700];
	int failed;

	if (!ret)
		snprintf(message, sizeof(message), "snapshot %s: success, %s-consistent%s%s",
			 snap->id, snap->consistency, snap->degraded[0] ? ", degraded: " : "",
			 snap->degraded);
	status.state = ret ? SF_AZURE_STATE_ERROR : SF_AZURE_STATE_SUCCESS;
	status.code = ret ? (snap->azure_code ? snap->azure_code : SF_AZURE_FAILED) :
		      !strcmp(snap->consistency, "application") ? SF_AZURE_APP_CONSISTENT :
		      SF_AZURE_SUCCESS;
	status.message = ret ? err->msg : message;
	status.consistency = ret ? SF_AZURE_CONSISTENCY_NONE : consistency_of(snap->consistency);
	status.report = report;
	failed = sf_azure_status_write(snap->handler.status_folder, snap->handler.seq,
				       &status, &status_err);
	free(report);
	if (!failed)
		return ret;
	if (snap->log)
		sf_log_write(snap->log, SF_LOG_ERROR, "status: %s", status_err.msg);
	if (ret)
		snapshot_add_message(err, "status: %s", status_err.msg);
	else
		*err = status_err;
	return -1;
}
