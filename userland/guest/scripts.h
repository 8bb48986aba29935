/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_SCRIPTS_H
#define SNAPFREEZE_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * Running an application's pre- or post-script: checked and opened once
 * (sf_open_safe_executable()), started by sf_spawn() (so in a process
 * group of its own, with nothing of ours but what it is given), with a
 * deadline after which the whole group gets SIGTERM and, after a grace
 * period, SIGKILL; re-run on failure as many times as asked, from the file
 * checked, while the deadline (one for all the runs) has not passed; its standard output and error captured together, up to a
 * bound; /dev/null its input.
 */
struct sf_script {
	const char *path;
	const char *const *args;	/* after the path; may be NULL */
	size_t n_args;
	unsigned int timeout_ms;	/* all attempts together, as Azure's
					 * timeoutInSeconds bounds a script */
	unsigned int term_grace_ms;	/* from SIGTERM to SIGKILL */
	unsigned int retries;		/* attempts after a failed one */
	size_t output_limit;		/* bytes kept of each attempt's output */
	int abort_fd;			/* readable: stop as at the timeout, no
					 * retry (a signal to the command); -1: none */
};

struct sf_script_result {
	unsigned int attempts;
	int exit_status;		/* of the last attempt, or -signal */
	bool timed_out;			/* the last attempt was killed */
	bool aborted;			/* ... because abort_fd became readable */
	uint64_t duration_ns;		/* all attempts */
	char *output;			/* the last attempt's, NUL-terminated */
	size_t output_len;
	bool output_truncated;
};

/* 0: succeeded; 1: failed (see result); -1: refused or could not be run (see err). */
int sf_script_run(const struct sf_script *script,
		  struct sf_script_result *result, struct sf_error *err);
void sf_script_result_free(struct sf_script_result *result);

#endif
