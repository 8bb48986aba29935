/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_SAFE_PATH_H
#define SNAPFREEZE_SAFE_PATH_H

#include "error.h"

/*
 * A program we run as root, opened once: the path resolved, and every
 * folder on the resolved path owned by root and not writable by group or
 * others (a sticky folder, as /tmp, excepted: no one else can rename what
 * root owns in it); the file a regular, executable file owned by root and
 * not writable by group or others. What runs is the descriptor returned
 * (O_CLOEXEC), checked with fstat(): renaming another file onto the path
 * afterwards changes nothing. -1: refused, err naming the path, or the
 * folder, and why.
 */
int sf_open_safe_executable(const char *path, struct sf_error *err);

#endif
