// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "output.h"

static const char thaw_usage[] =
	"Usage: snapfreeze thaw [--json] SESSION\n"
	"       snapfreeze thaw [--json] --all\n"
	"\n"
	"End a session, thawing its filesystems, and show how long they stayed\n"
	"frozen; or end every session.\n"
	"\n"
	"Options:\n"
	"  -a, --all    end every session\n"
	"  -j, --json   print JSON, one object per line\n"
	"  -h, --help   show this help\n";

static int thaw_all(struct sf_nl *nl, bool json, struct sf_error *err)
{
	cJSON *result;
	uint32_t count;

	if (sf_nl_thaw_all(nl, &count, err))
		return -1;
	if (!json) {
		printf("thawed %u session%s\n", count, count == 1 ? "" : "s");
		return SF_EXIT_OK;
	}
	result = cJSON_CreateObject();
	if (result && !cJSON_AddNumberToObject(result, "thawed", count)) {
		cJSON_Delete(result);
		result = NULL;
	}
	return sf_print_json(result, err);
}

static int thaw_one(struct sf_nl *nl, uint64_t id, bool json, struct sf_error *err)
{
	struct sf_session_info session = { 0 };
	int ret;

	if (sf_nl_thaw(nl, id, &session, err))
		return -1;
	ret = sf_session_output(&session, json, err);
	sf_session_info_free(&session);
	return ret;
}

int cmd_thaw(int argc, char **argv, struct sf_error *err)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool all = false, json = false;
	struct sf_nl *nl;
	uint64_t id = 0;
	int opt, ret;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ajh", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(thaw_usage, stdout);
			return SF_EXIT_OK;
		default:
			return sf_option_error(err, "thaw", argv, opt);
		}
	}
	if (all == (optind < argc) || argc - optind > 1)
		return sf_fail(err, SF_EXIT_USAGE,
			       "thaw: give one SESSION or --all (see: snapfreeze thaw --help)");

	if (!all && sf_parse_session("thaw", argv[optind], &id, err))
		return -1;

	nl = sf_nl_open(err);
	if (!nl)
		return -1;
	ret = all ? thaw_all(nl, json, err) : thaw_one(nl, id, json, err);
	sf_nl_close(nl);
	return ret;
}
