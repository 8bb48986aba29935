// SPDX-License-Identifier: GPL-2.0
/*
 * Azure's N.settings: the public settings, the snapshot's parameters, and
 * the protected settings, encrypted here to a throwaway certificate as the
 * platform encrypts them to the agent's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "azure_settings.h"
#include "tempdir.h"

#define THUMBPRINT "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
#define SECRET "never-in-clear-0123456789"

static X509 *cert;

/* A self-signed certificate and its key, as the agent's THUMBPRINT.crt and .prv. */
static void make_certificate(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	char path[512];
	FILE *file;

	assert_non_null(key);
	cert = X509_new();
	assert_non_null(cert);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"snapfreeze test", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	snprintf(path, sizeof(path), "%s/" THUMBPRINT ".crt", dir);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_true(PEM_write_X509(file, cert));
	fclose(file);
	snprintf(path, sizeof(path), "%s/" THUMBPRINT ".prv", dir);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_true(PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL));
	fclose(file);
	EVP_PKEY_free(key);
}

/* text encrypted to the certificate: CMS, DER, base64, as the platform sends it. */
static char *encrypt(const char *text)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *in = BIO_new_mem_buf(text, -1), *der = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	unsigned char *data;
	char *base64;
	long len;

	sk_X509_push(certs, cert);
	cms = CMS_encrypt(certs, in, EVP_aes_256_cbc(), CMS_BINARY);
	assert_non_null(cms);
	assert_true(i2d_CMS_bio(der, cms));
	len = BIO_get_mem_data(der, &data);
	base64 = malloc(len / 3 * 4 + 8);
	assert_non_null(base64);
	EVP_EncodeBlock((unsigned char *)base64, data, (int)len);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(der);
	sk_X509_free(certs);
	return base64;
}

static int setup(void **state)
{
	if (tempdir_setup(state))
		return -1;
	make_certificate();
	return 0;
}

static int teardown(void **state)
{
	X509_free(cert);
	return tempdir_teardown(state);
}

static const char *write_settings(unsigned int seq, const char *text)
{
	char name[32];

	snprintf(name, sizeof(name), "%u.settings", seq);
	assert_non_null(tempdir_write(name, text, 0644));
	return dir;
}

/* The handler settings around the public ones, and protected ones if given. */
static void write_handler_settings(unsigned int seq, const char *public,
				   const char *protected_json)
{
	char *encrypted = protected_json ? encrypt(protected_json) : NULL;
	char *text;

	assert_true(asprintf(&text,
			     "{\"runtimeSettings\": [{\"handlerSettings\": {"
			     "\"protectedSettingsCertThumbprint\": %s%s%s, "
			     "\"protectedSettings\": %s%s%s, \"publicSettings\": %s}}]}",
			     encrypted ? "\"" : "", encrypted ? THUMBPRINT : "null",
			     encrypted ? "\"" : "", encrypted ? "\"" : "",
			     encrypted ? encrypted : "null", encrypted ? "\"" : "", public) > 0);
	write_settings(seq, text);
	free(text);
	free(encrypted);
}

static void public_settings_as_the_agent_writes_them(void **state)
{
	struct sf_azure_settings settings;
	struct sf_error err;
	char *text;

	(void)state;
	if (sf_azure_settings_load(SF_FIXTURES "/azure-config", 0, dir, &settings, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(settings.task_id, "0b0b5b4c-6d3e-4c39-9f4e-7f2a9a1e3c11");
	assert_string_equal(settings.command, "snapshot");
	assert_string_equal(settings.locale, "en-us");
	assert_string_equal(settings.start_ticks, "639003564000000000");
	assert_true(sf_azure_settings_is_snapshot(&settings));
	assert_string_equal(settings.snapshot_task_token, "token-123");
	text = cJSON_PrintUnformatted(settings.disk_ids);
	assert_string_equal(text, "[0,1,-1]");
	free(text);
	text = cJSON_PrintUnformatted(settings.host_settings);
	assert_string_equal(text, "[{\"Key\":\"isSnapshotTtlEnabled\",\"Value\":\"true\"}]");
	free(text);
	text = cJSON_PrintUnformatted(settings.metadata);
	assert_string_equal(text, "[{\"Key\":\"BackupTime\",\"Value\":\"2026-12-01T21:00:00Z\"}]");
	free(text);
	assert_null(settings.protected_settings);
	sf_azure_settings_free(&settings);
}

/* Decrypted with the certificate's key; the token may come from there. */
static void protected_settings_decrypted(void **state)
{
	struct sf_azure_settings settings;
	struct sf_error err;
	const cJSON *secret;
	char path[512];

	(void)state;
	write_handler_settings(1, "{\"commandToExecute\": \"snapshot\", \"taskId\": \"t1\"}",
			       "{\"snapshotTaskToken\": \"" SECRET "\", \"logsBlobUri\": \"x\"}");
	assert_int_equal(sf_azure_settings_load(dir, 1, dir, &settings, &err), 0);
	secret = cJSON_GetObjectItem(settings.protected_settings, "logsBlobUri");
	assert_string_equal(cJSON_GetStringValue(secret), "x");
	assert_string_equal(settings.snapshot_task_token, SECRET);
	sf_azure_settings_free(&settings);
	/* Nothing written back in clear: the settings file holds only the CMS. */
	snprintf(path, sizeof(path), "%s/1.settings", dir);
	assert_null(strstr(tempdir_read(path), SECRET));
}

/* Without the agent's certificate: Azure's "certificate not found", never the secret. */
static void missing_certificate_is_its_own_fault(void **state)
{
	struct sf_azure_settings settings;
	struct sf_error err;

	(void)state;
	write_handler_settings(2, "{\"commandToExecute\": \"snapshot\"}",
			       "{\"snapshotTaskToken\": \"" SECRET "\"}");
	assert_int_equal(sf_azure_settings_load(dir, 2, "/nonexistent", &settings, &err), -1);
	assert_int_equal(settings.fault, SF_AZURE_SETTINGS_NO_CERT);
	assert_non_null(strstr(err.msg, "/nonexistent/" THUMBPRINT ".crt"));
	assert_null(strstr(err.msg, SECRET));
}

/* Another certificate than the one it was encrypted to: refused, named. */
static void wrong_key_refused(void **state)
{
	struct sf_azure_settings settings;
	struct sf_error err;
	char command[1024];

	(void)state;
	write_handler_settings(3, "{\"commandToExecute\": \"snapshot\"}", "{\"a\": \"b\"}");
	snprintf(command, sizeof(command),
		 "mkdir -p %s/other && cd %s/other && openssl req -x509 -newkey rsa:2048 -nodes "
		 "-keyout " THUMBPRINT ".prv -out " THUMBPRINT ".crt -subj /CN=other -days 1 "
		 ">/dev/null 2>&1", dir, dir);
	assert_int_equal(system(command), 0);
	snprintf(command, sizeof(command), "%s/other", dir);
	assert_int_equal(sf_azure_settings_load(dir, 3, command, &settings, &err), -1);
	assert_int_equal(settings.fault, SF_AZURE_SETTINGS_BAD);
	assert_non_null(strstr(err.msg, "3.settings: protectedSettings: cannot be decrypted"));
}

static void bad_settings_named(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "{\"runtimeSettings\": []}", "must be {\"runtimeSettings\"" },
		{ "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": 1}}]}",
		  "\"publicSettings\" must be an object" },
		{ "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": {}}}]}",
		  "\"commandToExecute\" is missing" },
		{ "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": "
		  "{\"commandToExecute\": \"snapshot\", \"commandStartTimeUTCTicks\": \"12x\"}}}]}",
		  "\"commandStartTimeUTCTicks\" must be a whole number" },
		{ "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": "
		  "{\"commandToExecute\": \"snapshot\", \"objectStr\": \"bm90IGpzb24=\"}}}]}",
		  "objectStr: not base64 of a JSON object" },
		{ "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": "
		  "{\"commandToExecute\": \"snapshot\"}, \"protectedSettings\": \"AAAA\", "
		  "\"protectedSettingsCertThumbprint\": \"../../etc/x\"}}]}",
		  "must be hexadecimal digits" },
		{ "{\"runtimeSettings\": [{\"handlerSettings\": {\"publicSettings\": "
		  "{\"commandToExecute\": \"snapshot\"}, \"protectedSettings\": \"no base64!\", "
		  "\"protectedSettingsCertThumbprint\": \"" THUMBPRINT "\"}}]}",
		  "\"protectedSettings\": not base64" },
	};
	struct sf_azure_settings settings;
	struct sf_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_settings(4, cases[i].text);
		assert_int_equal(sf_azure_settings_load(dir, 4, dir, &settings, &err), -1);
		assert_int_equal(settings.fault, SF_AZURE_SETTINGS_BAD);
		if (!strstr(err.msg, "4.settings: ") || !strstr(err.msg, cases[i].message))
			fail_msg("'%s': '%s', expected '%s'", cases[i].text, err.msg,
				 cases[i].message);
	}
}

/* .NET ticks of a Unix time. */
static char *ticks_of(time_t t)
{
	static char text[32];

	snprintf(text, sizeof(text), "%llu",
		 SF_TICKS_AT_UNIX_EPOCH + (unsigned long long)t * 10000000ULL);
	return text;
}

/* Azure refuses a command started more than 140 minutes ago (code 402). */
static void command_started_too_long_ago(void **state)
{
	struct sf_azure_settings settings = { 0 };
	time_t now = 1800000000;

	(void)state;
	assert_false(sf_azure_settings_too_late(&settings, now));
	settings.start_ticks = ticks_of(now - 140 * 60);
	assert_false(sf_azure_settings_too_late(&settings, now));
	settings.start_ticks = ticks_of(now - 140 * 60 - 1);
	assert_true(sf_azure_settings_too_late(&settings, now));
	settings.start_ticks = "5";
	assert_true(sf_azure_settings_too_late(&settings, now));
}

static void base64_strict(void **state)
{
	unsigned char *out;
	size_t len;

	(void)state;
	out = sf_base64_decode("aGk=", &len);
	assert_non_null(out);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "hi", 2);
	free(out);
	assert_null(sf_base64_decode("aGk", &len));
	assert_null(sf_base64_decode("a=Gk", &len));
	assert_null(sf_base64_decode("", &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(public_settings_as_the_agent_writes_them),
		cmocka_unit_test(protected_settings_decrypted),
		cmocka_unit_test(missing_certificate_is_its_own_fault),
		cmocka_unit_test(wrong_key_refused),
		cmocka_unit_test(bad_settings_named),
		cmocka_unit_test(command_started_too_long_ago),
		cmocka_unit_test(base64_strict),
	};

	return cmocka_run_group_tests_name("azure settings", tests, setup, teardown);
}
