// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "output.h"

static const char watch_usage[] =
	"Usage: snapfreeze watch [--json] [--count N]\n"
	"\n"
	"Print the module's events as they come: a session frozen, a session\n"
	"thawed and why (request, watchdog, owner-gone, module-unload, error).\n"
	"Says 'watching' on standard error once listening.\n"
	"\n"
	"Options:\n"
	"  -n, --count N  exit after N events (default: never)\n"
	"  -j, --json     print JSON, one object per line\n"
	"  -h, --help     show this help\n";

struct watch {
	bool json;
	long left;		/* events to go; negative: no limit */
	struct sf_error *err;
};

static int print_event(const struct sf_session_info *event, void *arg)
{
	struct watch *watch = arg;

	if (!watch->left)
		return 0;
	if (watch->left > 0)
		watch->left--;
	return sf_session_output(event, watch->json, watch->err) ? -1 : 0;
}

int cmd_watch(int argc, char **argv, struct sf_error *err)
{
	static const struct option options[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct watch watch = { .left = -1, .err = err };
	struct sf_nl *events;
	char *end;
	int opt, ret = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:jh", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			watch.left = strtol(optarg, &end, 10);
			if (*end || end == optarg || watch.left < 1)
				return sf_fail(err, SF_EXIT_USAGE,
					       "watch: --count '%s': not a positive number",
					       optarg);
			break;
		case 'j':
			watch.json = true;
			break;
		case 'h':
			fputs(watch_usage, stdout);
			return SF_EXIT_OK;
		default:
			return sf_option_error(err, "watch", argv, opt);
		}
	}
	if (optind < argc)
		return sf_fail(err, SF_EXIT_USAGE,
			       "watch: unexpected argument '%s'", argv[optind]);

	events = sf_nl_open_events(err);
	if (!events)
		return -1;
	fputs("watching\n", stderr);
	while (watch.left && !ret)
		ret = sf_nl_read_events(events, print_event, &watch, err);
	sf_nl_close(events);
	return ret ? -1 : SF_EXIT_OK;
}
