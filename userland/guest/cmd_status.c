// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <linux/snapfreeze.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "output.h"

static const char status_usage[] =
	"Usage: snapfreeze status [--json]\n"
	"\n"
	"Show the loaded snapfreeze kernel module (its version, what the\n"
	"running kernel lets it do, its limits and counters) and its live\n"
	"sessions.\n"
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
	    !(features = cJSON_AddArrayToObject(root, "features")) ||
	    !cJSON_AddNumberToObject(root, "default_timeout_ms", status->default_timeout_ms) ||
	    !cJSON_AddNumberToObject(root, "max_timeout_ms", status->max_timeout_ms) ||
	    !cJSON_AddNumberToObject(root, "max_targets", status->max_targets) ||
	    !cJSON_AddNumberToObject(root, "sessions_since_load", (double)status->sessions) ||
	    !cJSON_AddNumberToObject(root, "watchdog_thaws", (double)status->watchdog_thaws) ||
	    !cJSON_AddNumberToObject(root, "owner_thaws", (double)status->owner_thaws) ||
	    !cJSON_AddNumberToObject(root, "longest_freeze_ns",
				     (double)status->longest_freeze_ns) ||
	    !cJSON_AddNumberToObject(root, "min_keepalive_ms", status->min_keepalive_ms) ||
	    !cJSON_AddNumberToObject(root, "max_keepalive_ms", status->max_keepalive_ms) ||
	    !cJSON_AddNumberToObject(root, "keepalive_thaws",
				     (double)status->keepalive_thaws))
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

static int add_session_json(const struct sf_session_info *session, void *arg)
{
	cJSON *json = sf_session_json(session);

	if (!json || !cJSON_AddItemToArray(arg, json)) {
		cJSON_Delete(json);
		return -1;
	}
	return 0;
}

static int print_session_text(const struct sf_session_info *session, void *arg)
{
	(void)arg;
	sf_session_print(stdout, session);
	return 0;
}

static int print_status_json(struct sf_nl *nl,
			     const struct sf_module_status *status,
			     struct sf_error *err)
{
	cJSON *json = sf_module_status_json(status);
	cJSON *sessions = json ? cJSON_AddArrayToObject(json, "sessions") : NULL;
	int ret;

	if (!sessions) {
		cJSON_Delete(json);
		return sf_fail(err, SF_EXIT_FAILURE, "status: out of memory");
	}
	ret = sf_nl_list_sessions(nl, add_session_json, sessions, err);
	if (ret > 0)
		ret = sf_fail(err, SF_EXIT_FAILURE, "status: out of memory");
	if (ret) {
		cJSON_Delete(json);
		return -1;
	}
	return sf_print_json(json, err);
}

static int print_status_text(struct sf_nl *nl,
			     const struct sf_module_status *status,
			     struct sf_error *err)
{
	size_t i;

	printf("module version: %s\n", status->version);
	for (i = 0; i < N_MODULE_FEATURES; i++)
		printf("%s: %s%s\n", module_features[i].name,
		       status->features & module_features[i].bit ? "yes, " : "no",
		       status->features & module_features[i].bit ?
			       module_features[i].meaning : "");
	printf("timeouts: default %u ms, maximum %u ms; at most %u targets a session\n",
	       status->default_timeout_ms, status->max_timeout_ms,
	       status->max_targets);
	printf("keepalive intervals: %u ms to %u ms\n", status->min_keepalive_ms,
	       status->max_keepalive_ms);
	printf("sessions: %llu since load, %llu ended by the watchdog, %llu by their owner's exit, %llu by a missed keepalive; longest freeze %.3f ms\n",
	       (unsigned long long)status->sessions,
	       (unsigned long long)status->watchdog_thaws,
	       (unsigned long long)status->owner_thaws,
	       (unsigned long long)status->keepalive_thaws,
	       status->longest_freeze_ns / 1e6);
	return sf_nl_list_sessions(nl, print_session_text, NULL, err) ? -1 :
									 SF_EXIT_OK;
}

int cmd_status(int argc, char **argv, struct sf_error *err)
{
	struct sf_module_status status;
	struct sf_nl *nl;
	bool json;
	int ret;

	ret = sf_parse_json_option(argc, argv, "status", status_usage, &json, err);
	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;
	if (optind < argc)
		return sf_fail(err, SF_EXIT_USAGE,
			       "status: unexpected argument '%s'", argv[optind]);

	nl = sf_nl_open(err);
	if (!nl)
		return -1;
	ret = sf_nl_get_status(nl, &status, err);
	if (!ret)
		ret = json ? print_status_json(nl, &status, err) :
			     print_status_text(nl, &status, err);
	sf_nl_close(nl);
	return ret;
}
