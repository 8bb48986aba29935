/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_CHILD_H
#define SNAPFREEZE_CHILD_H

/*
 * In a forked child, before exec: the signals the command blocks (SIGINT,
 * SIGTERM and SIGHUP while it works) and ignores (SIGPIPE) are not the
 * child's, or a script could never be asked to stop with SIGTERM.
 */
void sf_child_reset_signals(void);

#endif
