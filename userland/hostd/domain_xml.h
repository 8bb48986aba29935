/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_DOMAIN_XML_H
#define SNAPFREEZE_HOSTD_DOMAIN_XML_H

#include <stddef.h>

#include "protocol.h"

/*
 * The libvirt backend's XML: the disks of a domain's description
 * (virDomainGetXMLDesc), and the <domainsnapshot> that gives each one
 * planned its overlay and every other disk none, so that libvirt makes no
 * overlay of its own choosing.
 */
struct hostd_domain_disk {
	char *target;		/* its <target dev>: vda */
	/*
	 * What its <source> names: a file, a block device, PROTOCOL:NAME of
	 * a network disk, POOL/VOLUME; NULL for a disk left out of the
	 * snapshot: read-only, without a medium, or snapshot='no'.
	 */
	char *image;
};

struct hostd_domain_disks {
	struct hostd_domain_disk *disks;
	size_t n;
};

/* 0: disks filled; -1: refused "libvirt" in result. */
int hostd_domain_disks(const char *xml, struct hostd_domain_disks *disks,
		       struct hostd_result *result);
void hostd_domain_disks_free(struct hostd_domain_disks *disks);
/*
 * The snapshot named name: an external qcow2 overlay for each disk of
 * planned (named by its target), snapshot='no' for the other disks. NULL
 * if out of memory.
 */
char *hostd_snapshot_xml(const char *name, const struct hostd_domain_disks *disks,
			 const struct hostd_result *planned);

#endif
