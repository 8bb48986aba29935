/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HANDLER_ENV_H
#define SNAPFREEZE_HANDLER_ENV_H

#include "error.h"

/*
 * Run as Azure's extension handler: HandlerEnvironment.json, a JSON array
 * of one object whose "handlerEnvironment" names the logFolder,
 * configFolder and statusFolder, and the sequence number of the settings in
 * force: ConfigSequenceNumber from the environment, or else the highest N
 * of configFolder/N.settings.
 */
#define SF_HANDLER_ENV_VARIABLE "SNAPFREEZE_HANDLER_ENVIRONMENT"

struct sf_handler_env {
	char *log_folder;
	char *config_folder;
	char *status_folder;
	unsigned int seq;
};

int sf_handler_env_load(const char *path, struct sf_handler_env *env,
			struct sf_error *err);
void sf_handler_env_free(struct sf_handler_env *env);

#endif
