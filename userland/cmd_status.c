// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <linux/snapfreeze.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

static const char status_usage[] =
	"Usage: snapfreeze status [--json]\n"
	"\n"
	"Show the loaded snapfreeze kernel module: its version and what the\n"
	"running kernel lets it do.\n"
	"\n"
	"Options:\n"
	"  -j, --json   print one JSON object instead of text\n"
	"  -h, --help   show this help\n";

static const struct {
	uint32_t bit;
	const char *name;
	const char *meaning;
} module_features[] = {
	{ SNAPFREEZE_FEATURE_KERNEL_HOLDER, "kernel-holder",
	  "freezes are held by the kernel: a userspace FITHAW cannot break them" },
};

#define N_MODULE_FEATURES (sizeof(module_features) / sizeof(module_features[0]))

cJSON *sf_module_status_json(const struct sf_module_status *status)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *features;
	size_t i;

	if (!root || !cJSON_AddStringToObject(root, "version", status->version) ||
	    !(features = cJSON_AddArrayToObject(root, "features")))
		goto fail;
	for (i = 0; i < N_MODULE_FEATURES; i++) {
		if ((status->features & module_features[i].bit) &&
		    !cJSON_AddItemToArray(features,
					  cJSON_CreateString(module_features[i].name)))
			goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

static int print_status_json(const struct sf_module_status *status,
			     struct sf_error *err)
{
	cJSON *json = sf_module_status_json(status);
	char *text = json ? cJSON_Print(json) : NULL;

	cJSON_Delete(json);
	if (!text)
		return sf_fail(err, SF_EXIT_FAILURE, "status: out of memory");
	puts(text);
	free(text);
	return SF_EXIT_OK;
}

static int print_status_text(const struct sf_module_status *status)
{
	size_t i;

	printf("module version: %s\n", status->version);
	for (i = 0; i < N_MODULE_FEATURES; i++)
		printf("%s: %s%s\n", module_features[i].name,
		       status->features & module_features[i].bit ? "yes, " : "no",
		       status->features & module_features[i].bit ?
			       module_features[i].meaning : "");
	return SF_EXIT_OK;
}

int cmd_status(int argc, char **argv, struct sf_error *err)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sf_module_status status;
	struct sf_nl *nl;
	bool json = false;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return SF_EXIT_OK;
		default:
			return sf_fail(err, SF_EXIT_USAGE,
				       "status: unknown option '%s' (see: snapfreeze status --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return sf_fail(err, SF_EXIT_USAGE,
			       "status: unexpected argument '%s'", argv[optind]);

	nl = sf_nl_open(err);
	if (!nl)
		return -1;
	if (sf_nl_get_status(nl, &status, err)) {
		sf_nl_close(nl);
		return -1;
	}
	sf_nl_close(nl);
	return json ? print_status_json(&status, err) : print_status_text(&status);
}
