// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "output.h"

static const char keepalive_usage[] =
	"Usage: snapfreeze keepalive [--json] SESSION\n"
	"\n"
	"Keep a detached session with a keepalive interval alive: its interval\n"
	"starts again now, and the kernel thaws it if another passes without a\n"
	"keepalive. Shows how long the session may still last: its timeout is\n"
	"the hard limit, whatever the keepalives. An attached session can only\n"
	"be kept alive by the command that froze it.\n"
	"\n"
	"Options:\n"
	"  -j, --json   print JSON, one object per line\n"
	"  -h, --help   show this help\n";

static int keepalive_output(uint64_t id, const struct sf_keepalive_reply *reply,
			    bool json, struct sf_error *err)
{
	cJSON *result;

	if (!json) {
		if (reply->keepalive_ms)
			printf("session %llu: kept alive for %u ms, %llu ms left before its timeout\n",
			       (unsigned long long)id, reply->keepalive_ms,
			       (unsigned long long)reply->time_left_ms);
		else
			printf("session %llu: no keepalive interval, %llu ms left before its timeout\n",
			       (unsigned long long)id,
			       (unsigned long long)reply->time_left_ms);
		return SF_EXIT_OK;
	}
	result = cJSON_CreateObject();
	if (result &&
	    (!cJSON_AddNumberToObject(result, "id", (double)id) ||
	     !cJSON_AddNumberToObject(result, "keepalive_ms", reply->keepalive_ms) ||
	     !cJSON_AddNumberToObject(result, "time_left_ms", (double)reply->time_left_ms))) {
		cJSON_Delete(result);
		result = NULL;
	}
	return sf_print_json(result, err);
}

int cmd_keepalive(int argc, char **argv, struct sf_error *err)
{
	struct sf_keepalive_reply reply;
	struct sf_nl *nl;
	uint64_t id;
	bool json;
	int ret;

	ret = sf_parse_json_option(argc, argv, "keepalive", keepalive_usage, &json, err);
	if (ret)
		return ret > 0 ? SF_EXIT_OK : -1;
	if (argc - optind != 1)
		return sf_fail(err, SF_EXIT_USAGE,
			       "keepalive: give one SESSION (see: snapfreeze keepalive --help)");
	if (sf_parse_session("keepalive", argv[optind], &id, err))
		return -1;

	nl = sf_nl_open(err);
	if (!nl)
		return -1;
	ret = sf_nl_keepalive(nl, id, &reply, err);
	if (!ret)
		ret = keepalive_output(id, &reply, json, err);
	sf_nl_close(nl);
	return ret;
}
