// SPDX-License-Identifier: GPL-2.0
/* The libvirt backend's XML: a domain's disks read, the snapshot's written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

#define FIXTURE(name) SF_FIXTURES "/" name

/* A file's text, whole; freed by the caller. */
static char *read_fixture(const char *path)
{
	FILE *file = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;

	assert_non_null(file);
	assert_true(getdelim(&text, &size, '\0', file) > 0);
	fclose(file);
	return text;
}

static void assert_domain_disk(const struct hostd_domain_disks *disks, size_t i,
			       const char *target, const char *image)
{
	assert_true(i < disks->n);
	assert_string_equal(disks->disks[i].target, target);
	if (image)
		assert_string_equal(disks->disks[i].image, image);
	else
		assert_null(disks->disks[i].image);
}

/*
 * virsh dumpxml of a running domain: the images its disks write to now
 * (not their backing files); a read-only disk, one with snapshot='no' and
 * an empty CD-ROM are left out.
 */
static void disks_of_a_running_domain(void **state)
{
	char *xml = read_fixture(FIXTURE("libvirt-domain-vm1.xml"));
	struct hostd_result result = { 0 };
	struct hostd_domain_disks disks;

	(void)state;
	assert_int_equal(hostd_domain_disks(xml, &disks, &result), 0);
	assert_int_equal(disks.n, 6);
	assert_domain_disk(&disks, 0, "vda", "/var/lib/libvirt/images/vm1-root.vda-nightly.qcow2");
	assert_domain_disk(&disks, 1, "vdb", "/dev/vg0/vm1-data");
	assert_domain_disk(&disks, 2, "vdc", NULL);
	assert_domain_disk(&disks, 3, "vdd", NULL);
	assert_domain_disk(&disks, 4, "vde", "rbd:vms/vm1-logs");
	assert_domain_disk(&disks, 5, "sda", NULL);
	hostd_domain_disks_free(&disks);
	free(xml);
}

static void assert_refused(const char *xml, const char *message)
{
	struct hostd_result result = { 0 };
	struct hostd_domain_disks disks;

	assert_int_equal(hostd_domain_disks(xml, &disks, &result), -1);
	assert_false(result.ok);
	assert_string_equal(result.error, "libvirt");
	assert_string_equal(result.message, message);
	assert_int_equal(disks.n, 0);
	assert_null(disks.disks);
}

static void what_is_not_a_domain_refused(void **state)
{
	(void)state;
	assert_refused("", "the domain's XML is not a <domain>");
	assert_refused("<domain><devices><disk>", "the domain's XML is not a <domain>");
	assert_refused("<domainsnapshot/>", "the domain's XML is not a <domain>");
	assert_refused("<domain><devices><disk type='file'><source file='/a'/></disk></devices>"
		       "</domain>", "the domain's XML has a disk without a target device");
}

/* A domain without devices, or without disks, has none: not an error here. */
static void no_disks_is_an_empty_list(void **state)
{
	struct hostd_result result = { 0 };
	struct hostd_domain_disks disks;

	(void)state;
	assert_int_equal(hostd_domain_disks("<domain type='kvm'><name>x</name></domain>", &disks,
					    &result), 0);
	assert_int_equal(disks.n, 0);
	assert_int_equal(hostd_domain_disks("<domain><devices><interface type='network'/>"
					    "</devices></domain>", &disks, &result), 0);
	assert_int_equal(disks.n, 0);
}

/*
 * Every disk of the domain is named: those planned get their overlay, the
 * others snapshot='no', so that libvirt adds none of its own. Paths are
 * escaped.
 */
static void snapshot_names_every_disk(void **state)
{
	struct hostd_disk planned_disks[] = {
		{ .device = "vda", .image = "/i/root.qcow2", .overlay = "/s/vda-r&1.qcow2" },
		{ .device = "vdb", .image = "/dev/vg0/data", .overlay = "/s/it's/vdb-r&1.qcow2" },
	};
	struct hostd_domain_disk domain_disks[] = {
		{ .target = "vda", .image = "/i/root.qcow2" },
		{ .target = "sda" },
		{ .target = "vdb", .image = "/dev/vg0/data" },
	};
	struct hostd_result planned = { .disks = planned_disks, .n_disks = 2 };
	struct hostd_domain_disks disks = { .disks = domain_disks, .n = 3 };
	char *xml = hostd_snapshot_xml("r<1>", &disks, &planned);

	(void)state;
	assert_non_null(xml);
	assert_string_equal(xml,
			    "<?xml version=\"1.0\"?>\n"
			    "<domainsnapshot>\n"
			    "  <name>r&lt;1&gt;</name>\n"
			    "  <disks>\n"
			    "    <disk name=\"vda\" snapshot=\"external\" type=\"file\">\n"
			    "      <driver type=\"qcow2\"/>\n"
			    "      <source file=\"/s/vda-r&amp;1.qcow2\"/>\n"
			    "    </disk>\n"
			    "    <disk name=\"sda\" snapshot=\"no\"/>\n"
			    "    <disk name=\"vdb\" snapshot=\"external\" type=\"file\">\n"
			    "      <driver type=\"qcow2\"/>\n"
			    "      <source file=\"/s/it's/vdb-r&amp;1.qcow2\"/>\n"
			    "    </disk>\n"
			    "  </disks>\n"
			    "</domainsnapshot>\n");
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(disks_of_a_running_domain),
		cmocka_unit_test(what_is_not_a_domain_refused),
		cmocka_unit_test(no_disks_is_an_empty_list),
		cmocka_unit_test(snapshot_names_every_disk),
	};

	return cmocka_run_group_tests_name("libvirt domain XML", tests, NULL, NULL);
}
