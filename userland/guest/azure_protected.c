// SPDX-License-Identifier: GPL-2.0
/*
 * Azure's protected settings: CMS enveloped data, encrypted by the platform
 * to the agent's certificate. The clear text stays in memory, is never
 * logged nor written, and is wiped when freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "azure_settings.h"

/* At most this much clear text: settings, not data. */
#define MAX_CLEAR_TEXT (1 << 20)

unsigned char *sf_base64_decode(const char *text, size_t *len)
{
	size_t in = strlen(text), pad = 0;
	unsigned char *out;
	int n;

	if (!in || in % 4 || in > MAX_CLEAR_TEXT * 2 ||
	    text[strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")])
		return NULL;
	while (pad < 2 && text[in - 1 - pad] == '=')
		pad++;
	if (memchr(text, '=', in - pad))
		return NULL;
	out = malloc(in / 4 * 3 + 1);
	if (!out)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)in);
	if (n < 0 || (size_t)n < pad) {
		free(out);
		return NULL;
	}
	*len = (size_t)n - pad;
	return out;
}

/* The thumbprint names files: hexadecimal digits only, so no path hides in it. */
static bool valid_thumbprint(const char *thumbprint)
{
	size_t len = strlen(thumbprint);

	return len >= 16 && len <= 128 &&
	       !thumbprint[strspn(thumbprint, "0123456789abcdefABCDEF")];
}

static void *read_pem(const char *path, bool key, bool *missing, struct sf_error *err)
{
	FILE *file = fopen(path, "re");
	void *object;

	if (!file) {
		*missing = errno == ENOENT;
		sf_fail(err, SF_EXIT_FAILURE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	object = key ? (void *)PEM_read_PrivateKey(file, NULL, NULL, NULL) :
		       (void *)PEM_read_X509(file, NULL, NULL, NULL);
	fclose(file);
	if (!object)
		sf_fail(err, SF_EXIT_FAILURE, "%s: not a PEM %s", path,
			key ? "private key" : "certificate");
	return object;
}

static char *decrypt_der(const unsigned char *der, size_t len, X509 *cert,
			 EVP_PKEY *key, struct sf_error *err)
{
	BIO *in = BIO_new_mem_buf(der, (int)len), *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = in ? d2i_CMS_bio(in, NULL) : NULL;
	char *clear = NULL, *data;
	long n;

	if (!cms) {
		sf_fail(err, SF_EXIT_FAILURE, "protectedSettings: not CMS enveloped data");
	} else if (!out || !CMS_decrypt(cms, key, cert, NULL, out, 0)) {
		sf_fail(err, SF_EXIT_FAILURE,
			"protectedSettings: cannot be decrypted with this certificate and key");
	} else if ((n = BIO_get_mem_data(out, &data)) > MAX_CLEAR_TEXT) {
		sf_fail(err, SF_EXIT_FAILURE, "protectedSettings: longer than %d bytes",
			MAX_CLEAR_TEXT);
	} else if ((clear = malloc(n + 1))) {
		memcpy(clear, data, n);
		clear[n] = '\0';
		OPENSSL_cleanse(data, n);
	} else {
		sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	}
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	ERR_clear_error();
	return clear;
}

char *sf_azure_decrypt(const char *base64, const char *cert_dir, const char *thumbprint,
		       bool *no_cert, struct sf_error *err)
{
	char cert_path[4096], key_path[4096];
	EVP_PKEY *key = NULL;
	unsigned char *der;
	char *clear = NULL;
	X509 *cert = NULL;
	size_t len;

	*no_cert = false;
	if (!valid_thumbprint(thumbprint)) {
		sf_fail(err, SF_EXIT_FAILURE,
			"\"protectedSettingsCertThumbprint\" must be hexadecimal digits");
		return NULL;
	}
	der = sf_base64_decode(base64, &len);
	if (!der) {
		sf_fail(err, SF_EXIT_FAILURE, "\"protectedSettings\": not base64");
		return NULL;
	}
	snprintf(cert_path, sizeof(cert_path), "%s/%s.crt", cert_dir, thumbprint);
	snprintf(key_path, sizeof(key_path), "%s/%s.prv", cert_dir, thumbprint);
	cert = read_pem(cert_path, false, no_cert, err);
	if (cert)
		key = read_pem(key_path, true, no_cert, err);
	if (key)
		clear = decrypt_der(der, len, cert, key, err);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(der);
	return clear;
}

void sf_azure_wipe(char *text)
{
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
}
