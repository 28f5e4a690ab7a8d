/* wrk_mtls.c - LD_PRELOAD shim that gives wrk a TLS client certificate.
 *
 * wrk has no option for a client certificate, so it cannot talk to a
 * mutual-TLS listener.  This shim wraps SSL_CTX_new (wrk calls it once, in
 * ssl_init) and loads the certificate and key named by MTLS_CERT / MTLS_KEY
 * into the context; MTLS_SUITES (TLS 1.3 ciphersuites), MTLS_CIPHERS (TLS 1.2
 * cipher list) and MTLS_MAX ("1.2" or "1.3") pin what the client offers, so
 * every server in the bench negotiates the same cipher.  The same settings
 * go to curl on its command line for the stream rows.
 *
 *   cc -shared -fPIC -O2 wrk_mtls.c -o wrk_mtls.so -ldl -lssl
 *   LD_PRELOAD=./wrk_mtls.so MTLS_CERT=cert.pem MTLS_KEY=key.pem wrk https://...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

SSL_CTX *
SSL_CTX_new(const SSL_METHOD *method)
{
	static SSL_CTX *(*real)(const SSL_METHOD *);
	if (real == NULL)
		real = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
	SSL_CTX *ctx = real(method);
	if (ctx == NULL)
		return NULL;
	const char *cert = getenv("MTLS_CERT"), *key = getenv("MTLS_KEY");
	const char *suites = getenv("MTLS_SUITES"), *ciphers = getenv("MTLS_CIPHERS");
	const char *max = getenv("MTLS_MAX");
	if (cert && key &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
		fprintf(stderr, "wrk_mtls: cannot load %s / %s\n", cert, key);
		exit(1);
	}
	if (suites && SSL_CTX_set_ciphersuites(ctx, suites) != 1) {
		fprintf(stderr, "wrk_mtls: bad MTLS_SUITES %s\n", suites);
		exit(1);
	}
	if (ciphers && SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		fprintf(stderr, "wrk_mtls: bad MTLS_CIPHERS %s\n", ciphers);
		exit(1);
	}
	if (max && strcmp(max, "1.2") == 0)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	return ctx;
}
