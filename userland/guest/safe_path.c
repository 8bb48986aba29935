// SPDX-License-Identifier: GPL-2.0
#include "safe_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_folder(const char *path, const char *folder, int fd, struct sf_error *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: folder %s: %s", path, folder,
			       strerror(errno));
	if (st.st_uid != 0)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: folder %s is owned by uid %u, must be owned by root",
			       path, folder, (unsigned int)st.st_uid);
	if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: folder %s has mode %04o, must not be writable by group or others",
			       path, folder, (unsigned int)(st.st_mode & 07777));
	return 0;
}

static int check_file(const char *path, int fd, struct sf_error *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: not a regular file", path);
	if (st.st_uid != 0)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: owned by uid %u, must be owned by root",
			       path, (unsigned int)st.st_uid);
	if (st.st_mode & 022)
		return sf_fail(err, SF_EXIT_FAILURE,
			       "%s: mode %04o, must not be writable by group or others", path,
			       (unsigned int)(st.st_mode & 07777));
	if (!(st.st_mode & S_IXUSR))
		return sf_fail(err, SF_EXIT_FAILURE, "%s: mode %04o, not executable", path,
			       (unsigned int)(st.st_mode & 07777));
	return 0;
}

/*
 * Walks the resolved path from /, each folder opened without following a
 * symlink: one swapped in after realpath() makes the walk fail, not
 * wander. Returns the descriptor of the last folder; *name its entry.
 */
static int open_folders(const char *path, char *resolved, char **name, struct sf_error *err)
{
	char *slash, *component = resolved + 1;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), next;

	if (fd < 0 || check_folder(path, "/", fd, err)) {
		if (fd < 0)
			sf_fail(err, SF_EXIT_FAILURE, "%s: /: %s", path, strerror(errno));
		goto fail;
	}
	while ((slash = strchr(component, '/'))) {
		*slash = '\0';
		next = openat(fd, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd < 0) {
			sf_fail(err, SF_EXIT_FAILURE, "%s: folder %s: %s", path, resolved,
				strerror(errno));
			goto fail;
		}
		if (check_folder(path, resolved, fd, err))
			goto fail;
		*slash = '/';
		component = slash + 1;
	}
	*name = component;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int sf_open_safe_executable(const char *path, struct sf_error *err)
{
	char *resolved = realpath(path, NULL), *name;
	int folder, fd = -1;

	if (!resolved)
		return sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	folder = open_folders(path, resolved, &name, err);
	if (folder < 0)
		goto out;
	fd = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	close(folder);
	if (fd < 0) {
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
	} else if (check_file(path, fd, err)) {
		close(fd);
		fd = -1;
	}
out:
	free(resolved);
	return fd;
}
