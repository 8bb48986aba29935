/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HANDLER_ENV_H
#define SNAPFREEZE_HANDLER_ENV_H

#include <stdbool.h>

#include "error.h"

/*
 * Run as Azure's extension handler: HandlerEnvironment.json, a JSON array
 * of one object whose "handlerEnvironment" names the logFolder,
 * configFolder and statusFolder (and heartbeatFile, optional), and the
 * sequence number of the settings in force: ConfigSequenceNumber from the
 * environment, or else that of the configFolder/N.settings modified last,
 * as Azure's agent and extension choose it.
 */
#define SF_HANDLER_ENV_VARIABLE "SNAPFREEZE_HANDLER_ENVIRONMENT"
#define SF_HANDLER_ENV_NAME "HandlerEnvironment.json"

struct sf_handler_env {
	char *extension_folder;		/* the folder HandlerEnvironment.json is in */
	char *name;			/* the handler's, NULL when not given */
	char *version;
	char *log_folder;
	char *config_folder;
	char *status_folder;
	char *heartbeat_file;		/* NULL when not given */
	unsigned int seq;
};

int sf_handler_env_load(const char *path, struct sf_handler_env *env,
			struct sf_error *err);
void sf_handler_env_free(struct sf_handler_env *env);

/*
 * The most recent sequence number processed, kept as Azure's extension
 * keeps it: its decimal digits in EXTENSION_FOLDER/mrseq. A sequence
 * number already processed is not run again.
 */
bool sf_handler_env_processed(const struct sf_handler_env *env);
int sf_handler_env_mark_processed(const struct sf_handler_env *env,
				  struct sf_error *err);

#endif
