/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_TEST_FORK_FAKE_H
#define SNAPFREEZE_TEST_FORK_FAKE_H

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

/*
 * fork() for a fake peer (a host, QMP, the module): the child dies with
 * the test process, so that a test an assertion ends early leaves no
 * process holding its sockets or its output pipe.
 */
static inline pid_t fork_fake(void)
{
	pid_t pid = fork();

	if (!pid)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

#endif
