/* tls.c - OpenSSL server contexts and certificate identities. */
#include "daemon/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static void
ssl_err(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	snprintf(err, errlen, "%s %s: %s", what, file, buf[0] ? buf : "failed");
	ERR_clear_error();
}

SSL_CTX *
tls_server_ctx(const char *cert_file, const char *key_file, const char *ca_file,
    char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		ssl_err(err, errlen, "SSL_CTX_new", "");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* no renegotiation, no compression, server picks the cipher */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!RC4");
	/* RELEASE_BUFFERS: an idle connection gives its 34 KB of record
	 * buffers back; thousands of idle `docker events` streams are the
	 * normal load of a team gateway */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/* Not SSL_MODE_ENABLE_PARTIAL_WRITE: libevent 2.1's TLS bufferevent
	 * hands SSL_write one iovec after another and counts what each wrote,
	 * so a partial write (one 16 KB record of a longer chain) would skip the
	 * rest of that chain.  Whole writes, or WANT_WRITE and a retry of the
	 * same bytes, are what it expects. */
	/* no session resumption: every connection presents and verifies its
	 * client certificate, and nothing about it outlives it (no cached
	 * session, no ticket).  NO_TICKET is the TLS 1.2 side: without it a
	 * 1.2 client got a ticket it could not use (resuming one with a
	 * required client certificate and no session id context is an
	 * internal error alert); num_tickets 0 is TLS 1.3's. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* kernel TLS where the kernel offers it (the tls module): records are
	 * then encrypted in the kernel, no copy through user space.  Where it
	 * does not, OpenSSL's setsockopt(TCP_ULP) fails and it carries on in
	 * user space, so this costs one refused syscall per key change. */
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		ssl_err(err, errlen, "cannot load certificate", cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, "cannot load private key", key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, errlen, "private key does not match certificate", key_file);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		ssl_err(err, errlen, "cannot load CA", ca_file);
		goto fail;
	}
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 8);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_identity_from_cert(X509 *cert, struct sw_identity *id)
{
	int whole = 1;   /* every name a binding could match is held as it is */

	id->kind = SW_ID_CERT;
	id->cn[0] = 0;
	id->nsans = 0;
	id->uid = id->gid = id->pid = -1;
	X509_NAME *subj = X509_get_subject_name(cert);
	int idx = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
	/* A subject with two CNs (two RDNs, or one multi-valued "CN=a+CN=b")
	 * has no one CN: OpenSSL's lookup finds the first, Go's pkix (docker's
	 * own TLS, its authz plugins) keeps the last.  Matched as no CN, the
	 * cn globs cannot take the other's. */
	if (idx >= 0 && X509_NAME_get_index_by_NID(subj, NID_commonName, idx) >= 0)
		idx = -1;
	if (idx >= 0) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, d);
		/* a CN with an embedded NUL is not an identity we can match safely */
		if (n > 0 && (size_t)n < sizeof id->cn && memchr(utf8, 0, (size_t)n) == NULL) {
			memcpy(id->cn, utf8, (size_t)n);
			id->cn[n] = 0;
		} else
			whole = 0;
		OPENSSL_free(utf8);
	}
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && whole; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (id->nsans == SW_ID_MAX_SANS) {
			whole = 0;   /* more names than are held: one could be a binding's */
			break;
		}
		char *out = id->sans[id->nsans];
		size_t outlen = sizeof id->sans[0];
		const ASN1_STRING *s = NULL;
		const char *prefix = NULL;
		switch (g->type) {
		case GEN_DNS: s = g->d.dNSName; prefix = "DNS:"; break;
		case GEN_EMAIL: s = g->d.rfc822Name; prefix = "email:"; break;
		case GEN_URI: s = g->d.uniformResourceIdentifier; prefix = "URI:"; break;
		case GEN_IPADD: {
			char ip[INET6_ADDRSTRLEN] = "";
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);
			if (len == 4)
				inet_ntop(AF_INET, p, ip, sizeof ip);
			else if (len == 16)
				inet_ntop(AF_INET6, p, ip, sizeof ip);
			if (ip[0]) {
				snprintf(out, outlen, "IP:%s", ip);
				id->nsans++;
			} else
				whole = 0;   /* Go's x509 refuses such a certificate */
			continue;
		}
		default:
			continue;
		}
		int len = ASN1_STRING_length(s);
		const unsigned char *p = ASN1_STRING_get0_data(s);
		if (len <= 0 || (size_t)len + strlen(prefix) >= outlen || memchr(p, 0, (size_t)len)) {
			whole = 0;
			continue;
		}
		snprintf(out, outlen, "%s%.*s", prefix, len, (const char *)p);
		id->nsans++;
	}
	GENERAL_NAMES_free(sans);
	sw_identity_format(id);
	return whole ? 0 : -1;
}

int
tls_identity(SSL *ssl, struct sw_identity *id)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(cert);
		return -1;
	}
	int r = tls_identity_from_cert(cert, id) == 0 ? 0 : -2;
	X509_free(cert);
	return r;
}
