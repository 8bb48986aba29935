/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_TEST_TEMPDIR_H
#define SNAPFREEZE_TEST_TEMPDIR_H

/*
 * One temporary folder per test program, made before its tests and removed
 * after them: pass tempdir_setup and tempdir_teardown to
 * cmocka_run_group_tests_name().
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char dir[] = "/tmp/snapfreeze-test-XXXXXX";

static int tempdir_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int tempdir_teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf %s", dir);
	return system(command);
}

/* DIR/name, in one of four static buffers used in turn. */
static inline const char *tempdir_path(const char *name)
{
	static char paths[4][300];
	static int which;
	char *path = paths[which++ % 4];

	snprintf(path, 300, "%s/%s", dir, name);
	return path;
}

/* Writes text to DIR/name with the given mode; returns the path. */
static inline const char *tempdir_write(const char *name, const char *text,
					unsigned int mode)
{
	static char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	file = fopen(path, "w");
	if (!file || fputs(text, file) < 0 || fclose(file) || chmod(path, mode))
		return NULL;
	return path;
}

/* A file's text (its first 64 KiB), in a static buffer; NULL: unreadable. */
static inline char *tempdir_read(const char *path)
{
	static char text[65536];
	FILE *file = fopen(path, "r");
	size_t len;

	if (!file)
		return NULL;
	len = fread(text, 1, sizeof(text) - 1, file);
	text[len] = '\0';
	fclose(file);
	return text;
}

#endif
