/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_DEADLINE_H
#define SNAPFREEZE_HOSTD_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/*
 * The deadline of a snapshot that may outlive its "timeout" answer, as the
 * QMP and libvirt backends keep it: at the deadline the guest is answered
 * "timeout", and a snapshot whose call was made, which may still complete,
 * is waited for HOSTD_LATE_RETURN_MS more, to tell what became of it.
 */
struct hostd_deadline {
	uint64_t started;
	uint64_t at;		/* after the answer, the end of the wait for the late one */
	bool answered;		/* the guest has its answer: "timeout" */
};

/* Where a job is stuck, should the deadline pass now. */
struct hostd_stuck {
	const char *who;	/* QMP, libvirt */
	const char *stage;
	/* The snapshot's call was made: who may still take it (QEMU, libvirt); else NULL. */
	const char *taker;
	const char *silence;	/* in the answer, instead of "no answer" (NULL) */
};

/*
 * A step's end: ret is what the step found (0: nothing final; 1: done,
 * result filled; -1: failed, result filled). Past the deadline, a job
 * that found nothing is answered "timeout" and waits on, if it may still
 * complete, or ends; one that fails after that answer is logged.
 */
enum hostd_step hostd_deadline_step(struct hostd_deadline *deadline, const char *id, int ret,
				    const struct hostd_stuck *stuck,
				    struct hostd_result *result);

#endif
