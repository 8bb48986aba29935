// SPDX-License-Identifier: GPL-2.0
#include "deadline.h"

#include "lineio.h"

static enum hostd_step expire(struct hostd_deadline *deadline, const char *id,
			      const struct hostd_stuck *stuck, struct hostd_result *result)
{
	unsigned long long allowed = deadline->at - deadline->started;

	if (deadline->answered)
		return HOSTD_DONE;	/* the backend's stop() says what is kept */
	hostd_log(SF_LOG_WARNING, id, "%s stuck at %s: no answer within %llu ms%s%s%s",
		  stuck->who, stuck->stage, allowed, stuck->taker ? "; " : "",
		  stuck->taker ?: "",
		  stuck->taker ? " may still take the snapshot: its answer is awaited a minute more" :
		  "");
	hostd_fail(result, "timeout", "%s %s: %s within %llu ms", stuck->who, stuck->stage,
		   stuck->silence ?: "no answer", allowed);
	if (!stuck->taker)
		return HOSTD_DONE;
	deadline->answered = true;
	deadline->at = sf_now_ms() + HOSTD_LATE_RETURN_MS;
	return HOSTD_ANSWER;
}

enum hostd_step hostd_deadline_step(struct hostd_deadline *deadline, const char *id, int ret,
				    const struct hostd_stuck *stuck,
				    struct hostd_result *result)
{
	if (ret < 0 && deadline->answered)
		hostd_log(SF_LOG_WARNING, id, "after the \"timeout\" answer: %s", result->message);
	if (!ret && !sf_remaining_ms(deadline->at))
		return expire(deadline, id, stuck, result);
	return ret ? HOSTD_DONE : HOSTD_RUNNING;
}
