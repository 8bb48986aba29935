// SPDX-License-Identifier: GPL-2.0
#include "output.h"

#include <linux/snapfreeze.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static const char *const state_names[] = {
	[SNAPFREEZE_STATE_FREEZING] = "freezing",
	[SNAPFREEZE_STATE_FROZEN] = "frozen",
	[SNAPFREEZE_STATE_THAWED] = "thawed",
	[SNAPFREEZE_STATE_THAWING] = "thawing",
};

static const char *const reason_names[] = {
	[SNAPFREEZE_REASON_REQUEST] = "request",
	[SNAPFREEZE_REASON_WATCHDOG] = "watchdog",
	[SNAPFREEZE_REASON_OWNER_GONE] = "owner-gone",
	[SNAPFREEZE_REASON_MODULE_UNLOAD] = "module-unload",
	[SNAPFREEZE_REASON_ERROR] = "error",
	[SNAPFREEZE_REASON_KEEPALIVE_MISSED] = "keepalive-missed",
};

static const char *const event_names[] = {
	[SNAPFREEZE_EVENT_FROZEN] = "frozen",
	[SNAPFREEZE_EVENT_THAWED] = "thawed",
};

#define NAME(table, value) \
	((value) < sizeof(table) / sizeof(table[0]) && table[value] ? \
	 table[value] : "unknown")

const char *sf_state_name(uint32_t state)
{
	return NAME(state_names, state);
}

const char *sf_reason_name(uint32_t reason)
{
	return NAME(reason_names, reason);
}

const char *sf_target_stuck_text(const struct sf_target_info *target)
{
	/* Its freeze_ns comes once its freeze returned. */
	return target->freeze_ns ? "still thawing when the session ended" :
	       "still freezing when the session ended; thawed as soon as its freeze returns";
}

size_t sf_session_stuck_text(const struct sf_session_info *session, char *buf, size_t size)
{
	size_t i, n = 0, len = 0;

	buf[0] = '\0';
	for (i = 0; i < session->n_targets; i++) {
		const struct sf_target_info *target = &session->targets[i];

		if (!target->stuck)
			continue;
		if (len < size)
			len += snprintf(buf + len, size - len, "%s%s: %s", n ? "; " : "",
					target->path, sf_target_stuck_text(target));
		n++;
	}
	return n;
}

/* new_encode_dev() undone: "major:minor". */
static void format_dev(uint32_t dev, char *buf, size_t size)
{
	snprintf(buf, size, "%u:%u", (dev & 0xfff00) >> 8,
		 (dev & 0xff) | ((dev >> 12) & 0xfff00));
}

static cJSON *target_json(const struct sf_target_info *target)
{
	cJSON *json = cJSON_CreateObject();
	char dev[24];

	format_dev(target->dev, dev, sizeof(dev));
	if (!json || !cJSON_AddStringToObject(json, "path", target->path) ||
	    !cJSON_AddStringToObject(json, "dev", dev) ||
	    !cJSON_AddStringToObject(json, "fstype", target->fstype) ||
	    !cJSON_AddNumberToObject(json, "level", target->level) ||
	    !cJSON_AddNumberToObject(json, "freeze_ns", (double)target->freeze_ns) ||
	    !cJSON_AddNumberToObject(json, "frozen_ns", (double)target->frozen_ns) ||
	    !cJSON_AddBoolToObject(json, "stuck", target->stuck) ||
	    (target->thaw_error &&
	     !cJSON_AddStringToObject(json, "thaw_error",
				      strerror(-target->thaw_error)))) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

cJSON *sf_session_json(const struct sf_session_info *session)
{
	cJSON *json = cJSON_CreateObject();
	cJSON *targets;
	size_t i;

	if (!json ||
	    (session->event &&
	     !cJSON_AddStringToObject(json, "event", NAME(event_names, session->event))) ||
	    !cJSON_AddNumberToObject(json, "id", (double)session->id) ||
	    !cJSON_AddStringToObject(json, "state", sf_state_name(session->state)) ||
	    !cJSON_AddBoolToObject(json, "detached",
				   session->flags & SNAPFREEZE_F_DETACHED) ||
	    !cJSON_AddNumberToObject(json, "owner_pid", session->owner_pid) ||
	    !cJSON_AddNumberToObject(json, "timeout_ms", session->timeout_ms) ||
	    (session->keepalive_ms &&
	     !cJSON_AddNumberToObject(json, "keepalive_ms", session->keepalive_ms)) ||
	    !cJSON_AddNumberToObject(json, "time_left_ms", (double)session->time_left_ms) ||
	    !cJSON_AddNumberToObject(json, "freeze_ns", (double)session->freeze_ns) ||
	    !cJSON_AddNumberToObject(json, "spread_ns", (double)session->spread_ns) ||
	    !cJSON_AddNumberToObject(json, "frozen_ns", (double)session->frozen_ns) ||
	    !cJSON_AddNumberToObject(json, "duration_ns", (double)session->duration_ns) ||
	    (session->reason &&
	     !cJSON_AddStringToObject(json, "reason", sf_reason_name(session->reason))) ||
	    !(targets = cJSON_AddArrayToObject(json, "targets")))
		goto fail;
	for (i = 0; i < session->n_targets; i++) {
		cJSON *target = target_json(&session->targets[i]);

		if (!target || !cJSON_AddItemToArray(targets, target)) {
			cJSON_Delete(target);
			goto fail;
		}
	}
	return json;
fail:
	cJSON_Delete(json);
	return NULL;
}

void sf_session_print(FILE *out, const struct sf_session_info *session)
{
	char dev[24];
	size_t i;

	fprintf(out, "session %llu: %s", (unsigned long long)session->id,
		sf_state_name(session->state));
	/* A session still freezing or thawing that is to end says why. */
	if (session->reason)
		fprintf(out, "%s%s",
			session->state == SNAPFREEZE_STATE_THAWED ? " by " : ", ending by ",
			sf_reason_name(session->reason));
	fprintf(out, " (%s, owner pid %u, timeout %u ms",
		session->flags & SNAPFREEZE_F_DETACHED ? "detached" : "attached",
		session->owner_pid, session->timeout_ms);
	if (session->keepalive_ms)
		fprintf(out, ", keepalive %u ms", session->keepalive_ms);
	if (session->state != SNAPFREEZE_STATE_THAWED)
		fprintf(out, ", %llu ms left",
			(unsigned long long)session->time_left_ms);
	fputs(")\n", out);
	for (i = 0; i < session->n_targets; i++) {
		const struct sf_target_info *target = &session->targets[i];

		format_dev(target->dev, dev, sizeof(dev));
		fputs("  ", out);
		sf_text_fputs(target->path, out);
		fputs("  ", out);
		sf_text_fputs(target->fstype, out);
		fprintf(out, "  dev %s  frozen in %.3f ms", dev, target->freeze_ns / 1e6);
		if (target->frozen_ns)
			fprintf(out, ", stayed frozen %.3f ms",
				target->frozen_ns / 1e6);
		fprintf(out, "%s%s%s%s\n",
			target->thaw_error ? "  thaw failed: " : "",
			target->thaw_error ? strerror(-target->thaw_error) : "",
			target->stuck ? "  stuck: " : "",
			target->stuck ? sf_target_stuck_text(target) : "");
	}
	if (session->freeze_ns)
		fprintf(out, "  all frozen %.3f ms after the request, writes stopped within %.3f ms of each other\n",
			session->freeze_ns / 1e6, session->spread_ns / 1e6);
	if (session->duration_ns)
		fprintf(out, "  ended %.3f ms after the request\n",
			session->duration_ns / 1e6);
}

int sf_print_json(cJSON *json, struct sf_error *err)
{
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;

	cJSON_Delete(json);
	if (!text)
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	/*
	 * cJSON escapes C0 controls in strings; what it leaves (DEL, C1, bytes
	 * that are not UTF-8) can only be in strings, where a space keeps the
	 * JSON valid.
	 */
	sf_text_flatten(text);
	puts(text);
	fflush(stdout);
	free(text);
	return SF_EXIT_OK;
}

int sf_session_output(const struct sf_session_info *session, bool json,
		      struct sf_error *err)
{
	if (json)
		return sf_print_json(sf_session_json(session), err);
	sf_session_print(stdout, session);
	fflush(stdout);
	return SF_EXIT_OK;
}

static void print_message(FILE *out, const char *prefix, const char *msg)
{
	fputs(prefix, out);
	sf_text_fputs(msg, out);
	fputc('\n', out);
}

void sf_error_print(FILE *out, const struct sf_error *err)
{
	print_message(out, "snapfreeze: ", err->msg);
}

void sf_warning_print(FILE *out, const char *msg)
{
	print_message(out, "snapfreeze: warning: ", msg);
}
