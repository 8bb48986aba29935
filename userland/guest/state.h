/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_STATE_H
#define SNAPFREEZE_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define SF_STATE_DIR "/var/lib/snapfreeze"

/*
 * What one snapshot leaves to the next, in STATE_DIR/state.json: after the
 * applications' scripts fail, the next three snapshots are only
 * filesystem-consistent (no scripts); the fourth tries again.
 */
#define SF_FILESYSTEM_ONLY_AFTER_FAILURE 3

struct sf_state {
	unsigned int filesystem_only_left;
};

/*
 * A missing file is a fresh state. 1: the file is not a state (edited by
 * hand, say): a fresh one is used, and err says so, for a warning; a
 * snapshot is never held up by it. -1: the file could not be read.
 */
int sf_state_load(const char *dir, struct sf_state *state, struct sf_error *err);
int sf_state_save(const char *dir, const struct sf_state *state,
		  struct sf_error *err);

/*
 * Writes DIR/name atomically (sf_write_file_atomic()), DIR made first, with
 * mode 0700, when missing (a fresh install): the state and the result.
 */
int sf_state_write(const char *dir, const char *name, const char *text,
		   mode_t mode, struct sf_error *err);

/* Whether this snapshot runs the scripts; counts it if it does not. */
bool sf_state_take_turn(struct sf_state *state);
void sf_state_note_script_failure(struct sf_state *state);

#endif
