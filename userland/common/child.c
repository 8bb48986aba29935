// SPDX-License-Identifier: GPL-2.0
#include "child.h"

#include <signal.h>

void sf_child_reset_signals(void)
{
	sigset_t none;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
