// SPDX-License-Identifier: GPL-2.0
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int sf_fail(struct sf_error *err, enum sf_exit exit_code, const char *fmt, ...)
{
	va_list ap;

	err->exit_code = exit_code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
