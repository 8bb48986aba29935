/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_AZURE_CODES_H
#define SNAPFREEZE_AZURE_CODES_H

/*
 * The codes of Azure's VMSnapshot extension, as its status file carries
 * them, and the consistency its message reports. Only those snapfreeze
 * emits; docs/azure.md lists each with when it is emitted. Never renumbered:
 * they are Azure's.
 */
enum sf_azure_code {
	SF_AZURE_APP_CONSISTENT = 0,		/* success_appconsistent */
	SF_AZURE_SUCCESS = 1,			/* success: filesystem- or crash-consistent */
	SF_AZURE_FAILED = 2,			/* error */
	SF_AZURE_TRANSITIONING_CODE = 4,	/* ExtensionTempTerminalState */
	SF_AZURE_BAD_PARAMETER = 11,		/* error_parameter */
	SF_AZURE_NO_CERTIFICATE = 16,		/* FailedHandlerGuestAgentCertificateNotFound */
	SF_AZURE_HOST_FAILED = 76,		/* FailedRetryableSnapshotFailedNoNetwork */
	SF_AZURE_FREEZE_FAILED = 121,		/* FailedRetryableFsFreezeFailed */
	SF_AZURE_FREEZE_TIMEOUT = 122,		/* FailedRetryableFsFreezeTimeout */
	SF_AZURE_PRE_SCRIPT_FAILED = 300,	/* FailedPrepostPreScriptFailed */
	SF_AZURE_POST_SCRIPT_FAILED = 301,
	SF_AZURE_PRE_SCRIPT_NOT_FOUND = 302,
	SF_AZURE_POST_SCRIPT_NOT_FOUND = 303,
	SF_AZURE_SCRIPT_CONFIG_PARSING = 305,	/* FailedPrepostPluginConfigParsing */
	SF_AZURE_PRE_SCRIPT_PERMISSION = 306,
	SF_AZURE_POST_SCRIPT_PERMISSION = 307,
	SF_AZURE_PRE_SCRIPT_TIMEOUT = 308,
	SF_AZURE_POST_SCRIPT_TIMEOUT = 309,
	SF_AZURE_SCRIPT_CONFIG_PERMISSION = 317,	/* FailedPrepostPluginConfigPermissionError */
	SF_AZURE_SCRIPT_CONFIG_OWNERSHIP = 318,
	SF_AZURE_TOO_LATE = 402,		/* FailedGuestAgentInvokedCommandTooLate */
	SF_AZURE_HOST_SERVER_ERROR = 556,	/* FailedHostSnapshotRemoteServerError */
};

/* snapshotConsistency in the status's message. */
enum sf_azure_consistency {
	SF_AZURE_CONSISTENCY_NONE = 0,
	SF_AZURE_CONSISTENCY_FILESYSTEM = 1,
	SF_AZURE_CONSISTENCY_APPLICATION = 2,
	SF_AZURE_CONSISTENCY_CRASH = 3,
};

#endif
