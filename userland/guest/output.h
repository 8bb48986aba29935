/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_OUTPUT_H
#define SNAPFREEZE_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "error.h"
#include "netlink.h"

/*
 * Text and JSON renderings of what the module reports, both from the same
 * structures. JSON is one object per line. Text that may come from
 * elsewhere (paths, messages) is flattened (text.h) on its way out; JSON
 * stays valid JSON.
 */
cJSON *sf_session_json(const struct sf_session_info *session);
void sf_session_print(FILE *out, const struct sf_session_info *session);
int sf_print_json(cJSON *json, struct sf_error *err);
int sf_session_output(const struct sf_session_info *session, bool json,
		      struct sf_error *err);
/* An error as main() prints it, once: "snapfreeze: MESSAGE", flattened. */
void sf_error_print(FILE *out, const struct sf_error *err);
/* "snapfreeze: warning: MESSAGE", flattened. */
void sf_warning_print(FILE *out, const char *msg);
const char *sf_state_name(uint32_t state);
/* What a stuck target was doing: "still freezing when the session ended; ...". */
const char *sf_target_stuck_text(const struct sf_target_info *target);
/*
 * "PATH: what it was doing" for each stuck target, joined by "; ", in buf
 * (truncated to size); how many there are.
 */
size_t sf_session_stuck_text(const struct sf_session_info *session, char *buf, size_t size);
const char *sf_reason_name(uint32_t reason);

#endif
