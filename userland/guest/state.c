// SPDX-License-Identifier: GPL-2.0
#include "state.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "status.h"

#define STATE_NAME "state.json"

static void state_path(const char *dir, char *path, size_t size)
{
	snprintf(path, size, "%s/" STATE_NAME, dir);
}

int sf_state_load(const char *dir, struct sf_state *state, struct sf_error *err)
{
	char path[4096], text[4096];
	const cJSON *left;
	cJSON *json;
	size_t len;
	FILE *file;

	memset(state, 0, sizeof(*state));
	state_path(dir, path, sizeof(path));
	file = fopen(path, "re");
	if (!file)
		return errno == ENOENT ? 0 :
		       sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	len = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[len] = '\0';
	json = cJSON_Parse(text);
	left = cJSON_GetObjectItemCaseSensitive(json, "filesystem_only_left");
	if (!cJSON_IsNumber(left) ||
	    !(left->valuedouble >= 0 && left->valuedouble <= SF_FILESYSTEM_ONLY_AFTER_FAILURE)) {
		cJSON_Delete(json);
		sf_fail(err, SF_EXIT_FAILURE,
			"%s: not a snapfreeze state: starting afresh", path);
		return 1;
	}
	state->filesystem_only_left = (unsigned int)left->valuedouble;
	cJSON_Delete(json);
	return 0;
}

int sf_state_write(const char *dir, const char *name, const char *text,
		   mode_t mode, struct sf_error *err)
{
	char path[4096];

	if (mkdir(dir, 0700) && errno != EEXIST)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return sf_write_file_atomic(path, text, mode, err);
}

int sf_state_save(const char *dir, const struct sf_state *state,
		  struct sf_error *err)
{
	char text[128];

	snprintf(text, sizeof(text), "{\"filesystem_only_left\": %u}\n",
		 state->filesystem_only_left);
	return sf_state_write(dir, STATE_NAME, text, 0600, err);
}

bool sf_state_take_turn(struct sf_state *state)
{
	if (!state->filesystem_only_left)
		return true;
	state->filesystem_only_left--;
	return false;
}

void sf_state_note_script_failure(struct sf_state *state)
{
	state->filesystem_only_left = SF_FILESYSTEM_ONLY_AFTER_FAILURE;
}
