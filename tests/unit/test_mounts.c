// SPDX-License-Identifier: GPL-2.0
/* Choosing and ordering the filesystems to freeze, from real mountinfo. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mounts.h"

#define FIXTURE(name) SF_FIXTURES "/" name

static const struct sf_mount *find(const struct sf_mounts *mounts,
				   const char *mount_point)
{
	size_t i;

	for (i = 0; i < mounts->n_mounts; i++)
		if (!strcmp(mounts->mounts[i].mount_point, mount_point))
			return &mounts->mounts[i];
	fail_msg("%s not in the mounts", mount_point);
	return NULL;
}

static void read_debian_vm(struct sf_mounts *mounts, const char *const *skip,
			   size_t n_skip)
{
	struct sf_error err;

	assert_int_equal(sf_mounts_read(FIXTURE("mountinfo-debian-vm.txt"),
					skip, n_skip, mounts, &err), 0);
}

static void debian_vm_freeze_order(void **state)
{
	static const char *const expected[] = {
		"/data/images/vm one", "/boot", "/data", "/srv", "/mnt", "/",
	};
	struct sf_mounts mounts;
	size_t i;

	(void)state;
	read_debian_vm(&mounts, NULL, 0);
	assert_int_equal(mounts.n_frozen, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(mounts.mounts[i].mount_point, expected[i]);
	sf_mounts_free(&mounts);
}

static void debian_vm_skip_reasons(void **state)
{
	static const struct {
		const char *mount_point;
		const char *reason;
		const char *same_as;
	} expected[] = {
		{ "/proc", "not a local filesystem that can be frozen", NULL },
		{ "/run", "not a local filesystem that can be frozen", NULL },
		{ "/boot/efi", "not a local filesystem that can be frozen", NULL },
		{ "/home", "same filesystem as", "/srv" },
		{ "/srv/exports", "same filesystem as", "/data" },
		{ "/backup", "network filesystem", NULL },
		{ "/mnt/share", "network filesystem", NULL },
		{ "/home/alice/remote", "FUSE filesystem", NULL },
		{ "/archive", "read-only", NULL },
	};
	struct sf_mounts mounts;
	size_t i;

	(void)state;
	read_debian_vm(&mounts, NULL, 0);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct sf_mount *mount = find(&mounts, expected[i].mount_point);

		assert_non_null(mount->skip_reason);
		assert_string_equal(mount->skip_reason, expected[i].reason);
		if (expected[i].same_as)
			assert_string_equal(mount->same_as, expected[i].same_as);
	}
	assert_non_null(strstr(find(&mounts, "/var/lib/docker/overlay2/3f2c/merged")->skip_reason,
			       "upper layer"));
	sf_mounts_free(&mounts);
}

static void configured_skip(void **state)
{
	static const char *const skip[] = { "/mnt", "/data" };
	struct sf_mounts mounts;

	(void)state;
	read_debian_vm(&mounts, skip, 2);
	assert_int_equal(mounts.n_frozen, 4);
	assert_string_equal(find(&mounts, "/mnt")->skip_reason,
			    "skipped by configuration");
	/* Skipping a mount point skips its filesystem, bind mounts included. */
	assert_string_equal(find(&mounts, "/srv/exports")->skip_reason,
			    "skipped by configuration");
	sf_mounts_free(&mounts);
}

static void malformed_line_named(void **state)
{
	struct sf_mounts mounts;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_mounts_read(FIXTURE("mountinfo-truncated.txt"),
					NULL, 0, &mounts, &err), -1);
	assert_non_null(strstr(err.msg, "mountinfo-truncated.txt: line 2: not a mountinfo line"));
}

static void missing_file_named(void **state)
{
	struct sf_mounts mounts;
	struct sf_error err;

	(void)state;
	assert_int_equal(sf_mounts_read("/nonexistent/mountinfo", NULL, 0,
					&mounts, &err), -1);
	assert_string_equal(err.msg, "/nonexistent/mountinfo: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debian_vm_freeze_order),
		cmocka_unit_test(debian_vm_skip_reasons),
		cmocka_unit_test(configured_skip),
		cmocka_unit_test(malformed_line_named),
		cmocka_unit_test(missing_file_named),
	};

	return cmocka_run_group_tests_name("mounts", tests, NULL, NULL);
}
