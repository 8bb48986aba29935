/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_CONFIG_H
#define SNAPFREEZE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define SF_CONFIG_PATH "/etc/snapfreeze/snapfreeze.json"
#define SF_AZURE_SCRIPT_CONFIG_PATH "/etc/azure/VMSnapshotScriptPluginConfig.json"
/* Also attached freezes' (snapfreeze freeze), which read no configuration. */
#define SF_DEFAULT_KEEPALIVE_MS 5000
/*
 * A script's timeout, at most: a day. Azure's own cap, 30 minutes, is too
 * short for some applications' pre-scripts, and nothing is frozen while a
 * script runs.
 */
#define SF_MAX_SCRIPT_TIMEOUT_S 86400
#define SF_DEFAULT_LOG_PATH \
	"/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log"

/* An application's scripts, as Azure's VMSnapshotScriptPluginConfig.json says. */
struct sf_app_scripts {
	bool present;
	char *pre_script;		/* NULL: none (also given as "") */
	char *post_script;
	char **pre_params;
	size_t n_pre_params;
	char **post_params;
	size_t n_post_params;
	unsigned int pre_retries;
	unsigned int post_retries;
	unsigned int timeout_s;		/* each script, its retries included; default 10 */
	bool continue_on_failure;	/* a script failed: filesystem-consistent; default true */
	bool fs_freeze_enabled;
};

struct sf_config {
	char *host;			/* URI; NULL: none configured */
	uint32_t freeze_timeout_ms;	/* the watchdog's */
	uint32_t host_timeout_ms;	/* less than freeze_timeout_ms */
	uint32_t keepalive_ms;		/* 0: none; less than freeze_timeout_ms */
	char **skip_mounts;
	size_t n_skip_mounts;
	char *log_path;
	bool fifreeze_fallback;		/* module missing: FIFREEZE, degraded */
	struct sf_app_scripts app;
};

/*
 * Loads our configuration and Azure's script configuration; NULL paths
 * mean the default ones. Our file must exist if named, and may be missing
 * at its default place (defaults apply); Azure's may always be missing (no
 * application scripts). Both must be owned by root; ours must not be
 * writable, Azure's not accessible at all, by group or others.
 */
int sf_config_load(const char *path, const char *azure_path,
		   struct sf_config *config, struct sf_error *err);
void sf_config_free(struct sf_config *config);

/*
 * A JSON file (a cJSON *, an object or with array an array): a regular
 * file owned by root, without any of the forbidden mode bits. NULL with
 * err set, or with no error when the file is missing and not required.
 */
void *sf_read_json_file(const char *path, bool required, mode_t forbidden,
			bool array, struct sf_error *err);

#endif
