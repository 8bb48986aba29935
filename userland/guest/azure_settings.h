/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_AZURE_SETTINGS_H
#define SNAPFREEZE_AZURE_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"

/*
 * CONFIG_FOLDER/N.settings, as Azure's agent writes it for the extension:
 * {"runtimeSettings": [{"handlerSettings": {"publicSettings": {...},
 * "protectedSettings": "BASE64 CMS", "protectedSettingsCertThumbprint":
 * "HEX"}}]}. The public settings give taskId, commandToExecute,
 * commandStartTimeUTCTicks, locale and objectStr (base64 of a JSON object:
 * backupMetadata, snapshotTaskToken, includedDisks, dynamicConfigsFromCRP);
 * the protected settings are decrypted with the agent's certificate and
 * key, CERT_DIR/THUMBPRINT.crt and .prv.
 */
#define SF_AZURE_CERT_DIR "/var/lib/waagent"
/* Another folder for the certificates than the agent's (tests). */
#define SF_AZURE_CERT_DIR_VARIABLE "SNAPFREEZE_WAAGENT_DIR"
/* Azure's extension refuses a command started longer ago than this. */
#define SF_AZURE_MAX_COMMAND_AGE_S (140 * 60)
/* .NET ticks (100 ns) from 0001-01-01 to 1970-01-01. */
#define SF_TICKS_AT_UNIX_EPOCH 621355968000000000ULL

/* Why the settings were refused: Azure's code for it. */
enum sf_azure_settings_fault {
	SF_AZURE_SETTINGS_OK,
	SF_AZURE_SETTINGS_BAD,		/* error_parameter */
	SF_AZURE_SETTINGS_NO_CERT,	/* FailedHandlerGuestAgentCertificateNotFound */
};

struct sf_azure_settings {
	char *task_id;			/* NULL when not given */
	char *command;			/* commandToExecute: "snapshot" or "install" */
	char *locale;
	char *start_ticks;		/* commandStartTimeUTCTicks, digits; NULL: none */
	char *snapshot_task_token;
	cJSON *disk_ids;		/* LUNs; -1 the OS disk */
	cJSON *host_settings;		/* [{"Key", "Value"}] */
	cJSON *metadata;		/* backupMetadata */
	/* Decrypted, kept in memory only, wiped when freed; NULL: none. */
	cJSON *protected_settings;
	enum sf_azure_settings_fault fault;
};

/*
 * Reads CONFIG_FOLDER/SEQ.settings; cert_dir NULL means
 * $SNAPFREEZE_WAAGENT_DIR, or else SF_AZURE_CERT_DIR.
 * -1 with err and settings->fault set.
 */
int sf_azure_settings_load(const char *config_folder, unsigned int seq,
			   const char *cert_dir, struct sf_azure_settings *settings,
			   struct sf_error *err);
void sf_azure_settings_free(struct sf_azure_settings *settings);

/* The command is a snapshot (Azure's match: "snapshot" in it, any case). */
bool sf_azure_settings_is_snapshot(const struct sf_azure_settings *settings);

/*
 * Whether the command started more than SF_AZURE_MAX_COMMAND_AGE_S before
 * now_unix_s (Azure's own refusal, code 402). No start time: never.
 */
bool sf_azure_settings_too_late(const struct sf_azure_settings *settings,
				int64_t now_unix_s);

/*
 * CMS (PKCS#7 enveloped data, DER, base64) decrypted with
 * CERT_DIR/THUMBPRINT.crt and .prv: the clear text, to be wiped and freed
 * with sf_azure_wipe(). NULL with err set; no_cert: the certificate or the
 * key is missing.
 */
char *sf_azure_decrypt(const char *base64, const char *cert_dir, const char *thumbprint,
		       bool *no_cert, struct sf_error *err);
void sf_azure_wipe(char *text);

/* Base64 (the standard alphabet, padded) decoded: malloc'd, NULL if malformed. */
unsigned char *sf_base64_decode(const char *text, size_t *len);

#endif
