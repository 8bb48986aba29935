// SPDX-License-Identifier: GPL-2.0
/*
 * Which targets a target is stored on, walked through sysfs trees shaped
 * as the kernel's (fixtures/sysfs-*: links where sysfs has links), with
 * the filesystems of paths given by a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "storage.h"
#include "tempdir.h"

/* glibc's makedev(), as a constant (checked by fs_id_of_a_file_is_its_st_dev). */
#define DEV(maj, min) ((dev_t)((maj) << 8 | ((min) & 0xff) | ((min) & ~0xffu) << 12))

#define POOL_FSID { 0x0f, 0x3e, 0x0a, 0x6c, 0x5b, 0x1e, 0x4b, 0x6f, \
		    0x9a, 0x57, 0x0c, 0x9b, 0x2e, 0x4d, 0x1a, 0x77 }

/* The filesystem of each path the fixtures name; any other is not found. */
static const struct {
	const char *path;
	struct sf_fs_id id;
} filesystems[] = {
	{ "/", { .dev = DEV(254, 0) } },
	{ "/srv/images/disk.img", { .dev = DEV(254, 0) } },
	{ "/srv/images/dm.img", { .dev = DEV(254, 0) } },
	{ "/srv/images/striped.img", { .dev = DEV(254, 0) } },
	{ "/srv/images/left.img", { .dev = DEV(254, 0) } },
	{ "/srv/images/right.img", { .dev = DEV(254, 0) } },
	{ "/srv/images/deep.img", { .dev = DEV(254, 0) } },
	{ "/srv/images/btrfs.img", { .dev = DEV(254, 0) } },
	{ "/mnt/disk", { .dev = DEV(259, 0) } },
	{ "/mnt/disk/inner.img", { .dev = DEV(259, 0) } },
	{ "/mnt/inner", { .dev = DEV(7, 1) } },
	{ "/mnt/gone", { .dev = DEV(7, 2) } },
	{ "/mnt/raw", { .dev = DEV(7, 3) } },
	{ "/dev/loop0p1", { .dev = DEV(0, 5), .block = DEV(259, 0) } },
	{ "/data1", { .dev = DEV(254, 17) } },
	{ "/data2", { .dev = DEV(254, 18) } },
	{ "/mnt/linear", { .dev = DEV(253, 0) } },
	{ "/mnt/striped", { .dev = DEV(253, 1) } },
	{ "/mnt/top", { .dev = DEV(253, 2) } },
	{ "/mnt/left", { .dev = DEV(7, 4) } },
	{ "/mnt/left/l.img", { .dev = DEV(7, 4) } },
	{ "/mnt/right", { .dev = DEV(7, 5) } },
	{ "/mnt/right/r.img", { .dev = DEV(7, 5) } },
	{ "/mnt/cycle", { .dev = DEV(253, 3) } },
	{ "/mnt/deep", { .dev = DEV(253, 10) } },
	/* Two subvolumes of one btrfs: two anonymous devices, one fsid. */
	{ "/pool", { .dev = DEV(0, 50), .btrfs = true, .fsid = POOL_FSID } },
	{ "/pool/images/vm.img", { .dev = DEV(0, 51), .btrfs = true, .fsid = POOL_FSID } },
	{ "/mnt/vm", { .dev = DEV(7, 1) } },
	{ "/run", { .dev = DEV(0, 25) } },
};

static int table_fs_id(const char *path, struct sf_fs_id *id)
{
	size_t i;

	for (i = 0; i < sizeof(filesystems) / sizeof(filesystems[0]); i++)
		if (!strcmp(filesystems[i].path, path)) {
			*id = filesystems[i].id;
			return 0;
		}
	errno = ENOENT;
	return -1;
}

/* What the targets are stored on, in a sysfs fixture. */
static void discover(const char *tree, const char *const *paths, size_t n,
		     struct sf_storage *storage)
{
	char sysfs[256];
	struct sf_storage_probe probe = { .sysfs = sysfs, .fs_id = table_fs_id };
	struct sf_error err;

	snprintf(sysfs, sizeof(sysfs), "%s/%s", SF_FIXTURES, tree);
	assert_int_equal(sf_storage_discover(&probe, paths, n, storage, &err), 0);
	assert_int_equal(storage->n_targets, n);
}

#define MAX_TARGETS 4

/*
 * A case: targets in a fixture, what each is stored on ("2,3": targets 2
 * and 3, in any order), and the one note expected (NULL: none).
 */
struct storage_case {
	const char *tree;
	const char *paths[MAX_TARGETS];
	const char *stored_on[MAX_TARGETS];
	const char *note;
};

static void expect_stored_on(const struct sf_stored_on *on, const char *expected, size_t i)
{
	size_t count = 0, j;
	const char *p;

	for (p = expected; *p; p += strspn(p, ",")) {
		uint32_t target = (uint32_t)strtoul(p, (char **)&p, 10);

		for (j = 0; j < on->n && on->targets[j] != target; j++)
			;
		if (j == on->n)
			fail_msg("target %zu: not stored on %u", i, target);
		count++;
	}
	if (on->n != count)
		fail_msg("target %zu: stored on %zu targets, not %zu", i, on->n, count);
}

static void stored_on_as_expected(void **state)
{
	const struct storage_case *c = *state;
	struct sf_storage storage;
	size_t n = 0, i;

	while (n < MAX_TARGETS && c->paths[n])
		n++;
	discover(c->tree, c->paths, n, &storage);
	for (i = 0; i < n; i++)
		expect_stored_on(&storage.stored_on[i], c->stored_on[i] ? c->stored_on[i] : "", i);
	assert_int_equal(storage.n_notes, c->note ? 1 : 0);
	if (c->note)
		assert_string_equal(storage.notes[0], c->note);
	sf_storage_free(&storage);
}

static const struct storage_case loop_partition = {
	.tree = "sysfs-loop",
	.paths = { "/", "/mnt/disk" },
	.stored_on = { "", "0" },
};
/* A loop inside a loop: on the middle filesystem when it is a target... */
static const struct storage_case two_loops_middle_target = {
	.tree = "sysfs-loop",
	.paths = { "/mnt/inner", "/", "/mnt/disk" },
	.stored_on = { "2", "", "1" },
};
/* ...and through it, on what holds its image, when it is not. */
static const struct storage_case two_loops_middle_walked = {
	.tree = "sysfs-loop",
	.paths = { "/mnt/inner", "/" },
	.stored_on = { "1", "" },
};
/* A loop device over a block device: that device is walked, not its /dev. */
static const struct storage_case loop_over_block_device = {
	.tree = "sysfs-loop",
	.paths = { "/mnt/raw", "/" },
	.stored_on = { "1", "" },
};
static const struct storage_case deleted_image = {
	.tree = "sysfs-loop",
	.paths = { "/mnt/gone", "/" },
	.stored_on = { "", "" },
	.note = "/mnt/gone: the image of loop device 7:2, /srv/images/gone.img (deleted), cannot be "
	"found (No such file or directory): not frozen before the filesystem holding it",
};
/* Partitions of one disk, no loop: neither is stored on the other. */
static const struct storage_case partitions_of_one_disk = {
	.tree = "sysfs-loop",
	.paths = { "/data1", "/data2" },
	.stored_on = { "", "" },
};
/* Filesystems without a block device (tmpfs), or not found: nothing. */
static const struct storage_case no_block_device = {
	.tree = "sysfs-loop",
	.paths = { "/run", "/nowhere", "/" },
	.stored_on = { "", "", "" },
};
static const struct storage_case dm_on_a_loop = {
	.tree = "sysfs-dm",
	.paths = { "/", "/mnt/linear" },
	.stored_on = { "", "0" },
};
/* Two partitions of one loop under a dm device: one edge. */
static const struct storage_case devices_meeting_again = {
	.tree = "sysfs-dm",
	.paths = { "/mnt/striped", "/" },
	.stored_on = { "1", "" },
};
/* top on left and right, both on /. */
static const struct storage_case diamond = {
	.tree = "sysfs-dm",
	.paths = { "/", "/mnt/top", "/mnt/left", "/mnt/right" },
	.stored_on = { "", "2,3", "0", "0" },
};
/* dm-3 and dm-4 each other's slaves: the walk ends. */
static const struct storage_case devices_in_a_loop = {
	.tree = "sysfs-dm",
	.paths = { "/mnt/cycle", "/" },
	.stored_on = { "", "" },
};
/* Twenty dm devices stacked before the loop: beyond the bound, a note. */
static const struct storage_case stack_too_deep = {
	.tree = "sysfs-dm",
	.paths = { "/mnt/deep", "/" },
	.stored_on = { "", "" },
	.note = "/mnt/deep: its storage is stacked deeper than 16 devices at 253:27: "
	"not followed further",
};
/* A btrfs target: each of its devices (a loop and a disk) walked. */
static const struct storage_case btrfs_devices = {
	.tree = "sysfs-btrfs",
	.paths = { "/pool", "/" },
	.stored_on = { "1", "" },
};
/* An image on another subvolume than the target's mount: the same btrfs. */
static const struct storage_case btrfs_by_fsid = {
	.tree = "sysfs-btrfs",
	.paths = { "/mnt/vm", "/pool" },
	.stored_on = { "1", "" },
};
/* A btrfs between two loops, not a target: walked through its devices. */
static const struct storage_case btrfs_in_the_middle = {
	.tree = "sysfs-btrfs",
	.paths = { "/mnt/vm", "/" },
	.stored_on = { "1", "" },
};

#define CASE(c) { #c, stored_on_as_expected, NULL, NULL, (void *)&c }

/* The diamond's levels: top 0, left and right 1, / 2. */
static void a_diamond_has_three_levels(void **state)
{
	struct sf_storage storage;
	uint32_t levels[4];
	size_t order[4], cyclic;

	(void)state;
	discover(diamond.tree, diamond.paths, 4, &storage);
	assert_int_equal(sf_storage_levels(storage.stored_on, 4, levels, order, &cyclic), 0);
	assert_int_equal(levels[0], 2);
	assert_int_equal(levels[1], 0);
	assert_int_equal(levels[2], 1);
	assert_int_equal(levels[3], 1);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 0);
	sf_storage_free(&storage);
}

static void a_cycle_has_no_levels(void **state)
{
	uint32_t zero_on[] = { 1 }, one_on[] = { 2 }, two_on[] = { 0 };
	const struct sf_stored_on stored_on[] = {
		{ zero_on, 1 }, { one_on, 1 }, { two_on, 1 }, { NULL, 0 },
	};
	uint32_t levels[4];
	size_t order[4], cyclic = 99;

	(void)state;
	assert_int_equal(sf_storage_levels(stored_on, 4, levels, order, &cyclic), -1);
	assert_true(cyclic < 3);
}

static void nothing_stored_keeps_the_order(void **state)
{
	uint32_t levels[3];
	size_t order[3], cyclic;

	(void)state;
	assert_int_equal(sf_storage_levels(NULL, 3, levels, order, &cyclic), 0);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	assert_int_equal(levels[2], 0);
}

/* The system's own probe, on real files. */
static void fs_id_of_a_file_is_its_st_dev(void **state)
{
	const char *path = tempdir_write("image", "", 0600);
	struct sf_fs_id id;
	struct stat st;

	(void)state;
	assert_int_equal(DEV(259, 300), makedev(259, 300));
	assert_non_null(path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(sf_fs_id_of(path, &id), 0);
	assert_int_equal(id.dev, st.st_dev);
	assert_int_equal(id.block, 0);
	assert_int_equal(sf_fs_id_of("/dev/null", &id), 0);
	assert_int_equal(id.block, 0);		/* a character device */
	errno = 0;
	assert_int_equal(sf_fs_id_of(strcat(strcpy((char[256]){ 0 }, path), " (deleted)"), &id),
			 -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(loop_partition),
		CASE(two_loops_middle_target),
		CASE(two_loops_middle_walked),
		CASE(loop_over_block_device),
		CASE(deleted_image),
		CASE(partitions_of_one_disk),
		CASE(no_block_device),
		CASE(dm_on_a_loop),
		CASE(devices_meeting_again),
		CASE(diamond),
		CASE(devices_in_a_loop),
		CASE(stack_too_deep),
		CASE(btrfs_devices),
		CASE(btrfs_by_fsid),
		CASE(btrfs_in_the_middle),
		cmocka_unit_test(a_diamond_has_three_levels),
		cmocka_unit_test(a_cycle_has_no_levels),
		cmocka_unit_test(nothing_stored_keeps_the_order),
		cmocka_unit_test(fs_id_of_a_file_is_its_st_dev),
	};

	return cmocka_run_group_tests_name("storage", tests, tempdir_setup, tempdir_teardown);
}
