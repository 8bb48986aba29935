// SPDX-License-Identifier: GPL-2.0
#include "hostd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "parse.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 30000
#define DEFAULT_MAX_REQUESTS_PER_MINUTE 10
#define DEFAULT_MAX_OVERLAYS 64
/* The largest values the bounds take. */
#define MAX_REQUESTS_PER_MINUTE 10000
#define MAX_OVERLAYS 100000

static const char usage[] =
	"Usage: snapfreeze-hostd (--guest SOCKET | --azure-listen ADDRESS:PORT)\n"
	"                        (--qmp SOCKET | --libvirt URI --domain NAME | --command CMD)\n"
	"                        [--snapshot-dir DIR]\n"
	"                        [--log FILE] [--once] [--connect-timeout SEC]\n"
	"                        [--max-requests-per-minute N] [--max-overlays N]\n"
	"       snapfreeze-hostd --help | --version\n"
	"\n"
	"Answers the snapshot requests of the snapfreeze controller in a VM: takes\n"
	"the snapshot of the VM's disks while the guest holds its filesystems frozen.\n"
	"\n"
	"Options:\n"
	"  --guest SOCKET         the unix socket behind the VM's virtio-serial port\n"
	"                         org.snapfreeze.host (QEMU listens, hostd connects)\n"
	"  --azure-listen ADDRESS:PORT\n"
	"                         instead, serve Azure's host protocol over HTTP there\n"
	"                         (presnapshot, dosnapshot), as Azure's wire server\n"
	"                         answers its VMSnapshot extension\n"
	"  --qmp SOCKET           QEMU's QMP socket: every writable disk is snapshotted\n"
	"                         by one transaction of blockdev-snapshot-sync\n"
	"  --libvirt URI          libvirt's connection (qemu:///system): every writable\n"
	"                         disk of --domain is snapshotted by one atomic disk-only\n"
	"                         external snapshot without metadata\n"
	"  --domain NAME          the libvirt domain's name\n"
	"  --command CMD          instead, run /bin/sh -c CMD with the request on its\n"
	"                         standard input; exit 0 and the first line of output\n"
	"                         name the snapshot, otherwise standard error says why\n"
	"  --snapshot-dir DIR     where the new qcow2 overlays go (default: next to each\n"
	"                         disk's current image)\n"
	"  --log FILE             log there (default: standard error)\n"
	"  --once                 exit after answering the first request\n"
	"  --connect-timeout SEC  how long to wait for the guest's socket (default 30;\n"
	"                         0: one attempt)\n"
	"  --max-requests-per-minute N\n"
	"                         snapshots the guest may request within a minute;\n"
	"                         more are refused (default 10; 0: no bound)\n"
	"  --max-overlays N       overlays a disk may have in its overlays' folder\n"
	"                         (DEVICE-*.qcow2); a request for one more is refused\n"
	"                         (default 64; 0: no bound)\n"
	"  -h, --help             show this help\n"
	"  --version              show the version\n"
	"\n"
	"Exit codes: 0 success: the VM closed the channel, SIGINT or SIGTERM came, or\n"
	"--once answered; 1 failure (the guest's socket did not appear in time);\n"
	"2 usage error.\n";

enum {
	OPT_GUEST = 256,
	OPT_AZURE_LISTEN,
	OPT_QMP,
	OPT_LIBVIRT,
	OPT_DOMAIN,
	OPT_COMMAND,
	OPT_SNAPSHOT_DIR,
	OPT_LOG,
	OPT_ONCE,
	OPT_CONNECT_TIMEOUT,
	OPT_MAX_REQUESTS_PER_MINUTE,
	OPT_MAX_OVERLAYS,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "azure-listen", required_argument, NULL, OPT_AZURE_LISTEN },
	{ "qmp", required_argument, NULL, OPT_QMP },
	{ "libvirt", required_argument, NULL, OPT_LIBVIRT },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "max-requests-per-minute", required_argument, NULL, OPT_MAX_REQUESTS_PER_MINUTE },
	{ "max-overlays", required_argument, NULL, OPT_MAX_OVERLAYS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int socket_path(const char *option, const char *path, struct sf_error *err)
{
	if (!path[0])
		return sf_fail(err, SF_EXIT_USAGE, "%s: an empty path", option);
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return sf_fail(err, SF_EXIT_USAGE, "%s %s: a socket path is at most %zu bytes",
			       option, path,
			       sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	return 0;
}

/*
 * QEMU opens the overlays from its own folder, not ours: a relative DIR is
 * made absolute here.
 */
static int absolute_dir(const char *dir, char **absolute, struct sf_error *err)
{
	char *cwd = NULL;
	size_t len = strlen(dir);
	int ret;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (!len)
		return sf_fail(err, SF_EXIT_USAGE, "--snapshot-dir: an empty path");
	if (dir[0] == '/')
		ret = asprintf(absolute, "%.*s", (int)len, dir);
	else if ((cwd = getcwd(NULL, 0)))
		ret = asprintf(absolute, "%s/%.*s", cwd, (int)len, dir);
	else
		return sf_fail(err, SF_EXIT_FAILURE, "--snapshot-dir %s: %s", dir, strerror(errno));
	free(cwd);
	if (ret < 0) {
		*absolute = NULL;
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	}
	return 0;
}

static int check_options(struct hostd_options *options, const char *snapshot_dir,
			 struct sf_error *err)
{
	int backends = !!options->qmp + !!options->libvirt + !!options->command;

	if (!options->guest == !options->azure_listen)
		return sf_fail(err, SF_EXIT_USAGE, options->guest ?
			       "--guest and --azure-listen exclude each other" :
			       "--guest SOCKET or --azure-listen ADDRESS:PORT is required");
	if (backends != 1)
		return sf_fail(err, SF_EXIT_USAGE, backends ?
			       "--qmp, --libvirt and --command exclude each other" :
			       "--qmp SOCKET, --libvirt URI or --command CMD is required");
	if ((options->guest && socket_path("--guest", options->guest, err)) ||
	    (options->qmp && socket_path("--qmp", options->qmp, err)))
		return -1;
	if (options->command && !options->command[0])
		return sf_fail(err, SF_EXIT_USAGE, "--command: an empty command");
	if (options->libvirt && !options->libvirt[0])
		return sf_fail(err, SF_EXIT_USAGE, "--libvirt: an empty URI");
	if (!options->libvirt != !options->domain)
		return sf_fail(err, SF_EXIT_USAGE, options->domain ?
			       "--domain goes with --libvirt only" :
			       "--libvirt needs --domain NAME");
	if (options->domain && !options->domain[0])
		return sf_fail(err, SF_EXIT_USAGE, "--domain: an empty name");
	if (!snapshot_dir)
		return 0;
	if (options->command)
		return sf_fail(err, SF_EXIT_USAGE, "--snapshot-dir goes with --qmp or --libvirt only");
	return absolute_dir(snapshot_dir, &options->snapshot_dir, err);
}

static int parse_seconds(const char *text, uint32_t *ms)
{
	if (!strcmp(text, "0")) {
		*ms = 0;	/* one attempt */
		return 0;
	}
	return sf_parse_seconds(text, ms);
}

/* A whole number from 0 to max, for option. */
static int parse_count(const char *option, const char *text, uint32_t max, uint32_t *count,
		       struct sf_error *err)
{
	unsigned long long value;
	char *end;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno || value > max)
		return sf_fail(err, SF_EXIT_USAGE, "%s '%s': not a whole number from 0 to %u",
			       option, text, max);
	*count = value;
	return 0;
}

/* 0: run; 1: help or version shown; -1: a usage error (err). */
static int parse_options(int argc, char **argv, struct hostd_options *options,
			 struct sf_error *err)
{
	const char *snapshot_dir = NULL;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_GUEST:
			options->guest = optarg;
			break;
		case OPT_AZURE_LISTEN:
			options->azure_listen = optarg;
			break;
		case OPT_QMP:
			options->qmp = optarg;
			break;
		case OPT_LIBVIRT:
			options->libvirt = optarg;
			break;
		case OPT_DOMAIN:
			options->domain = optarg;
			break;
		case OPT_COMMAND:
			options->command = optarg;
			break;
		case OPT_SNAPSHOT_DIR:
			snapshot_dir = optarg;
			break;
		case OPT_LOG:
			options->log = optarg;
			break;
		case OPT_ONCE:
			options->once = true;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_seconds(optarg, &options->connect_timeout_ms))
				return sf_fail(err, SF_EXIT_USAGE,
					       "--connect-timeout '%s': not a number of seconds",
					       optarg);
			break;
		case OPT_MAX_REQUESTS_PER_MINUTE:
			if (parse_count("--max-requests-per-minute", optarg,
					MAX_REQUESTS_PER_MINUTE,
					&options->max_requests_per_minute, err))
				return -1;
			break;
		case OPT_MAX_OVERLAYS:
			if (parse_count("--max-overlays", optarg, MAX_OVERLAYS,
					&options->max_overlays, err))
				return -1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case OPT_VERSION:
			printf("snapfreeze-hostd %s\n", SNAPFREEZE_VERSION);
			return 1;
		case ':':
			return sf_fail(err, SF_EXIT_USAGE, "option '%s' needs a value",
				       argv[optind - 1]);
		default:
			if (optopt)
				return sf_fail(err, SF_EXIT_USAGE,
					       "unknown option '-%c' (see: snapfreeze-hostd --help)",
					       optopt);
			return sf_fail(err, SF_EXIT_USAGE,
				       "unknown option '%s' (see: snapfreeze-hostd --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return sf_fail(err, SF_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	return check_options(options, snapshot_dir, err);
}

int hostd_main(int argc, char **argv, struct sf_error *err)
{
	struct hostd_options options = {
		.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS,
		.max_requests_per_minute = DEFAULT_MAX_REQUESTS_PER_MINUTE,
		.max_overlays = DEFAULT_MAX_OVERLAYS,
	};
	int ret = parse_options(argc, argv, &options, err);

	if (ret) {
		free(options.snapshot_dir);
		return ret < 0 ? -1 : SF_EXIT_OK;
	}
	ret = hostd_log_open(options.log, err);
	if (!ret) {
		if (options.guest) {
			hostd_log(SF_LOG_INFO, NULL,
				  "snapfreeze-hostd %s: waiting for the guest's channel %s",
				  SNAPFREEZE_VERSION, options.guest);
			ret = hostd_serve(&options, err);
		} else {
			hostd_log(SF_LOG_INFO, NULL, "snapfreeze-hostd %s", SNAPFREEZE_VERSION);
			ret = hostd_serve_azure(&options, err);
		}
		/* Standard error has it from main(); a log file needs it too. */
		if (ret < 0 && options.log)
			hostd_log(SF_LOG_ERROR, NULL, "%s", err->msg);
		hostd_log(SF_LOG_INFO, NULL, "exit status %d", ret < 0 ? (int)err->exit_code : ret);
		hostd_log_close();
	}
	free(options.snapshot_dir);
	return ret;
}
