/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_H
#define SNAPFREEZE_HOSTD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "log.h"

/*
 * snapfreeze-hostd, the host side of docs/protocol.md for QEMU/KVM: it
 * connects to the unix socket behind the VM's virtio-serial port and
 * answers each snapshot request by snapshotting the VM's disks over QMP
 * or through libvirt, or by running a command.
 */
struct hostd_options {
	const char *guest;
	const char *azure_listen;	/* ADDRESS:PORT: Azure's host protocol, instead of guest */
	const char *qmp;
	const char *libvirt;	/* its URI */
	const char *domain;	/* with libvirt */
	const char *command;
	char *snapshot_dir;	/* absolute; NULL: next to each image */
	const char *log;	/* NULL: standard error */
	bool once;
	uint32_t connect_timeout_ms;
	uint32_t max_requests_per_minute;	/* 0: no bound */
	uint32_t max_overlays;	/* of one disk in its overlays' folder; 0: no bound */
};

/* The command line to an exit code, or -1 with err filled in. */
int hostd_main(int argc, char **argv, struct sf_error *err);
/* Serves the guest until it hangs up, a signal, or --once. */
int hostd_serve(const struct hostd_options *options, struct sf_error *err);
/*
 * Serves Azure's host protocol over HTTP on options->azure_listen until a
 * signal, or --once: presnapshot answered at once, dosnapshot by the
 * backend, its answer's snapshotInfo one entry per disk.
 */
int hostd_serve_azure(const struct hostd_options *options, struct sf_error *err);
/*
 * SIGINT and SIGTERM blocked and read from *signals, so that they come
 * through the loop, never in the middle of a step.
 */
int hostd_catch_signals(sigset_t *old_mask, int *signals, struct sf_error *err);

/* The log goes to path, or to standard error when path is NULL. */
int hostd_log_open(const char *path, struct sf_error *err);
/* id: the request the line is about, or NULL; shown as hostd_log_id() has it. */
void hostd_log(enum sf_log_level level, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hostd_log_close(void);

/* The most of an id the log shows, its NUL included; the rest is cut. */
#define HOSTD_LOG_ID_SIZE 64
/*
 * id (NULL: "-") as the log shows it, in shown. The guest chose it: a byte
 * that is not printable ASCII (it could end the line, or a journal entry),
 * and the brackets the log puts around it, become '?'.
 */
const char *hostd_log_id(const char *id, char shown[HOSTD_LOG_ID_SIZE]);

#endif
