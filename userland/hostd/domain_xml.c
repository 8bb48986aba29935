// SPDX-License-Identifier: GPL-2.0
#include "domain_xml.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* libvirt's answer, trusted no further than any: no network, no entities. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static bool named(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && !strcmp((const char *)node->name, name);
}

static const xmlNode *child(const xmlNode *node, const char *name)
{
	for (node = node ? node->children : NULL; node; node = node->next)
		if (named(node, name))
			return node;
	return NULL;
}

/* The attribute's value, to free with xmlFree(); NULL if it has none. */
static char *attribute(const xmlNode *node, const char *name)
{
	return node ? (char *)xmlGetNoNsProp(node, (const xmlChar *)name) : NULL;
}

static bool attribute_is(const xmlNode *node, const char *name, const char *value)
{
	char *text = attribute(node, name);
	bool is = text && !strcmp(text, value);

	xmlFree(text);
	return is;
}

/*
 * What a disk's <source> names, in *image: a file, a device, a network
 * disk's PROTOCOL:NAME, a pool's POOL/VOLUME; NULL when it names none (no
 * medium). -1 if out of memory.
 */
static int source_image(const xmlNode *source, char **image)
{
	static const char *const ways[][3] = {
		{ "file", "", NULL },
		{ "dev", "", NULL },
		{ "protocol", ":", "name" },
		{ "pool", "/", "volume" },
	};
	size_t i;
	int ret = 0;

	*image = NULL;
	for (i = 0; i < sizeof(ways) / sizeof(ways[0]) && !*image && !ret; i++) {
		char *first = attribute(source, ways[i][0]);
		char *second = ways[i][2] ? attribute(source, ways[i][2]) : NULL;

		if (first && (!ways[i][2] || second) &&
		    asprintf(image, "%s%s%s", first, ways[i][1], second ?: "") < 0) {
			*image = NULL;
			ret = -1;
		}
		xmlFree(first);
		xmlFree(second);
	}
	return ret;
}

/* A source element that names nothing is no medium, as an empty CD-ROM's. */
static int add_disk(const xmlNode *disk, struct hostd_domain_disks *disks,
		    struct hostd_result *result)
{
	char *target = attribute(child(disk, "target"), "dev");
	struct hostd_domain_disk *grown, *added;

	if (!target || !target[0]) {
		xmlFree(target);
		return hostd_fail(result, "libvirt",
				  "the domain's XML has a disk without a target device");
	}
	grown = realloc(disks->disks, (disks->n + 1) * sizeof(*grown));
	if (!grown) {
		xmlFree(target);
		return hostd_fail(result, "libvirt", "out of memory");
	}
	disks->disks = grown;
	added = &grown[disks->n++];
	*added = (struct hostd_domain_disk){ .target = strdup(target) };
	xmlFree(target);
	if (!added->target)
		return hostd_fail(result, "libvirt", "out of memory");
	if (child(disk, "readonly") || attribute_is(disk, "snapshot", "no"))
		return 0;
	if (source_image(child(disk, "source"), &added->image))
		return hostd_fail(result, "libvirt", "out of memory");
	return 0;
}

int hostd_domain_disks(const char *xml, struct hostd_domain_disks *disks,
		       struct hostd_result *result)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, PARSE_OPTIONS);
	const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL, *devices, *node;
	int ret = 0;

	*disks = (struct hostd_domain_disks){ 0 };
	if (!root || !named(root, "domain")) {
		xmlFreeDoc(doc);
		return hostd_fail(result, "libvirt", "the domain's XML is not a <domain>");
	}
	devices = child(root, "devices");
	for (node = devices ? devices->children : NULL; node && !ret; node = node->next)
		if (named(node, "disk"))
			ret = add_disk(node, disks, result);
	xmlFreeDoc(doc);
	if (ret)
		hostd_domain_disks_free(disks);
	return ret;
}

void hostd_domain_disks_free(struct hostd_domain_disks *disks)
{
	size_t i;

	for (i = 0; i < disks->n; i++) {
		free(disks->disks[i].target);
		free(disks->disks[i].image);
	}
	free(disks->disks);
	*disks = (struct hostd_domain_disks){ 0 };
}

static const char *overlay_of(const struct hostd_result *planned, const char *target)
{
	size_t i;

	for (i = 0; i < planned->n_disks; i++)
		if (!strcmp(planned->disks[i].device, target))
			return planned->disks[i].overlay;
	return NULL;
}

/* <disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file=.../> */
static bool add_snapshot_disk(xmlNode *list, const char *target, const char *overlay)
{
	xmlNode *disk = xmlNewChild(list, NULL, (const xmlChar *)"disk", NULL);

	if (!disk || !xmlNewProp(disk, (const xmlChar *)"name", (const xmlChar *)target))
		return false;
	if (!overlay)
		return xmlNewProp(disk, (const xmlChar *)"snapshot", (const xmlChar *)"no");
	return xmlNewProp(disk, (const xmlChar *)"snapshot", (const xmlChar *)"external") &&
	       xmlNewProp(disk, (const xmlChar *)"type", (const xmlChar *)"file") &&
	       xmlNewProp(xmlNewChild(disk, NULL, (const xmlChar *)"driver", NULL),
			  (const xmlChar *)"type", (const xmlChar *)"qcow2") &&
	       xmlNewProp(xmlNewChild(disk, NULL, (const xmlChar *)"source", NULL),
			  (const xmlChar *)"file", (const xmlChar *)overlay);
}

char *hostd_snapshot_xml(const char *name, const struct hostd_domain_disks *disks,
			 const struct hostd_result *planned)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = doc ? xmlNewNode(NULL, (const xmlChar *)"domainsnapshot") : NULL;
	xmlNode *list = NULL;
	xmlChar *text = NULL;
	char *xml = NULL;
	bool ok = root;
	size_t i;
	int len;

	if (ok) {
		xmlDocSetRootElement(doc, root);
		ok = xmlNewTextChild(root, NULL, (const xmlChar *)"name", (const xmlChar *)name) &&
		     (list = xmlNewChild(root, NULL, (const xmlChar *)"disks", NULL));
	}
	for (i = 0; ok && i < disks->n; i++)
		ok = add_snapshot_disk(list, disks->disks[i].target,
				       overlay_of(planned, disks->disks[i].target));
	if (ok)
		xmlDocDumpFormatMemory(doc, &text, &len, 1);
	if (text)
		xml = strdup((const char *)text);
	xmlFree(text);
	xmlFreeDoc(doc);
	return xml;
}
