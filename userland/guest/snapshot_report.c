// SPDX-License-Identifier: GPL-2.0
/* A snapshot's report: its errors, the log's last line, state, result, output. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "output.h"
#include "snapshot.h"
#include "status.h"

void snapshot_failed_with(struct snapshot *snap, enum sf_exit code, const char *what,
			  const char *why)
{
	if (snap->log)
		sf_log_write(snap->log, SF_LOG_ERROR, "%s%s%s", what ? what : "",
			     what ? ": " : "", why);
	if (!snap->n_errors)
		snap->exit_code = code;
	if (snap->n_errors < SF_MAX_ERRORS)
		snprintf(snap->errors[snap->n_errors++], SF_ERROR_MSG_SIZE, "%s%s%s",
			 what ? what : "", what ? ": " : "", why);
	snap->status = "error";
}

void snapshot_failed(struct snapshot *snap, const char *what, const char *why)
{
	snapshot_failed_with(snap, SF_EXIT_FAILURE, what, why);
}

static cJSON *host_json(const struct snapshot *snap)
{
	const struct sf_host_answer *answer = &snap->answer;
	cJSON *json = cJSON_CreateObject();

	if (!json || (snap->answered && !cJSON_AddBoolToObject(json, "ok", answer->ok)) ||
	    (answer->snapshot && !cJSON_AddStringToObject(json, "snapshot", answer->snapshot)) ||
	    (answer->error && !cJSON_AddStringToObject(json, "error", answer->error)) ||
	    (answer->message && !cJSON_AddStringToObject(json, "message", answer->message)) ||
	    (answer->disks &&
	     !cJSON_AddItemToObject(json, "disks", cJSON_Duplicate(answer->disks, true)))) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

static cJSON *timings_json(const struct snapshot *snap)
{
	cJSON *json = cJSON_CreateObject();

	if (!json || !cJSON_AddNumberToObject(json, "pre_script", snap->pre_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "freeze", snap->freeze_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "host", snap->host_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "frozen", snap->session.frozen_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "post_script", snap->post_ns / 1e6) ||
	    !cJSON_AddNumberToObject(json, "total",
				     (sf_now_ns() - snap->started_ns) / 1e6)) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

static const char *freezer_name(const struct snapshot *snap)
{
	return snap->freezer ? sf_freezer_name(snap->freezer) : "none";
}

static cJSON *result_json(const struct snapshot *snap)
{
	cJSON *json = cJSON_CreateObject(), *errors = NULL;
	size_t i;

	if (!json || !cJSON_AddStringToObject(json, "id", snap->id) ||
	    !cJSON_AddStringToObject(json, "status", snap->status) ||
	    !cJSON_AddStringToObject(json, "consistency", snap->consistency) ||
	    (snap->n_errors && (!cJSON_AddStringToObject(json, "error", snap->errors[0]) ||
				!(errors = cJSON_AddArrayToObject(json, "errors")))))
		goto fail;
	for (i = 0; i < snap->n_errors; i++)
		if (!cJSON_AddItemToArray(errors, cJSON_CreateString(snap->errors[i])))
			goto fail;
	if (!cJSON_AddItemToObject(json, "timings_ms", timings_json(snap)) ||
	    (snap->session.n_targets &&
	     !cJSON_AddItemToObject(json, "session", sf_session_json(&snap->session))) ||
	    !cJSON_AddItemToObject(json, "host", host_json(snap)) ||
	    !cJSON_AddStringToObject(json, "freezer", freezer_name(snap)) ||
	    (snap->degraded[0] &&
	     !cJSON_AddStringToObject(json, "degraded", snap->degraded)))
		goto fail;
	return json;
fail:
	cJSON_Delete(json);
	return NULL;
}

char *snapshot_result_text(const struct snapshot *snap)
{
	cJSON *result = result_json(snap);
	char *text = result ? cJSON_PrintUnformatted(result) : NULL;

	cJSON_Delete(result);
	return text;
}

static int save_result(const struct snapshot *snap, struct sf_error *err)
{
	char *text = snapshot_result_text(snap);
	int ret;

	if (!text)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	ret = sf_state_write(snap->state_dir, SF_RESULT_NAME, text, 0644, err);
	free(text);
	return ret;
}

void snapshot_add_message(struct sf_error *err, const char *fmt, ...)
{
	size_t len = strlen(err->msg);
	va_list ap;

	snprintf(err->msg + len, sizeof(err->msg) - len, "; ");
	len = strlen(err->msg);
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof(err->msg) - len, fmt, ap);
	va_end(ap);
}

/*
 * Also when the snapshot failed before it began. A failure to save is one
 * more error, after the snapshot's own: the first error stays the one
 * reported, and err adds those of the report to it.
 */
int snapshot_report(struct snapshot *snap, bool json, struct sf_error *err)
{
	size_t reporting = snap->n_errors ? snap->n_errors : 1, i;
	const char *error = snap->n_errors ? snap->errors[0] : "";
	struct sf_error why;

	if (snap->log)
		sf_log_write(snap->log, strcmp(snap->status, "success") ? SF_LOG_ERROR :
				       SF_LOG_INFO, "snapshot %s: %s, %s-consistent%s%s",
			     snap->id, snap->status, snap->consistency,
			     error[0] ? ": " : "", error);
	if (snap->state_loaded && sf_state_save(snap->state_dir, &snap->state, &why))
		snapshot_failed(snap, "state", why.msg);
	if (save_result(snap, &why))
		snapshot_failed(snap, "result", why.msg);
	/* The error itself is err's, which main() prints: once. */
	if (json && sf_print_json(result_json(snap), &why))
		snapshot_failed(snap, "output", why.msg);
	else if (!json)
		printf("snapshot %s: %s, %s-consistent\n", snap->id, snap->status,
		       snap->consistency);
	if (!snap->n_errors)
		return SF_EXIT_OK;
	sf_fail(err, snap->exit_code, "snapshot %s failed: %s", snap->id, snap->errors[0]);
	for (i = reporting; i < snap->n_errors; i++)
		snapshot_add_message(err, "%s", snap->errors[i]);
	return -1;
}

