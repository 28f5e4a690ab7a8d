/* test_tls_identity.c - identity from client certificates, and the error
 * responses the docker CLI must be able to print. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <unistd.h>

#include "daemon/http_error.h"
#include "daemon/tls.h"
#include "daemon/warnings.h"
#include "policy/profile.h"

static X509 *
make_cert(const char *cn, const char *san)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	if (cn)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (san) {
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		ck_assert_ptr_nonnull(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, key, EVP_sha256());
	EVP_PKEY_free(key);
	return x;
}

START_TEST(cn_and_sans_are_extracted)
{
	X509 *x = make_cert("ci-runner-7", "DNS:runner7.build.example,IP:10.1.2.3,email:ci@example.org,URI:spiffe://example/ci");
	struct sw_identity id;
	memset(&id, 0, sizeof id);
	tls_identity_from_cert(x, &id);
	ck_assert_int_eq(id.kind, SW_ID_CERT);
	ck_assert_str_eq(id.cn, "ci-runner-7");
	ck_assert_uint_eq(id.nsans, 4);
	ck_assert_str_eq(id.sans[0], "DNS:runner7.build.example");
	ck_assert_str_eq(id.sans[1], "IP:10.1.2.3");
	ck_assert_str_eq(id.sans[2], "email:ci@example.org");
	ck_assert_str_eq(id.sans[3], "URI:spiffe://example/ci");
	ck_assert_str_eq(id.display, "cn=ci-runner-7");
	X509_free(x);
}
END_TEST

START_TEST(certificate_without_cn)
{
	X509 *x = make_cert(NULL, "DNS:only-san.example");
	struct sw_identity id;
	memset(&id, 0, sizeof id);
	tls_identity_from_cert(x, &id);
	ck_assert_str_eq(id.cn, "");
	ck_assert_uint_eq(id.nsans, 1);
	ck_assert_str_eq(id.display, "cn=(none)");
	X509_free(x);
}
END_TEST

/* Two CNs, as two RDNs or as one multi-valued RDN: which is "the" CN
 * depends on the reader (OpenSSL finds the first, Go the last), so the
 * identity has none and no cn glob but "*" takes it. */
/* A certificate whose names cannot all be held whole is no identity
 * (bindings are first-match: the names that fit could skip the binding
 * meant for it): more SANs than are held, a SAN or CN over 255 bytes */
START_TEST(names_not_held_whole_are_no_identity)
{
	struct sw_identity id;
	char san[2048], longname[300];
	size_t n = 0;

	for (int i = 0; i < SW_ID_MAX_SANS; i++)
		n += (size_t)snprintf(san + n, sizeof san - n, "%sDNS:h%d.example", i ? "," : "", i);
	X509 *x = make_cert("ci", san);
	ck_assert_int_eq(tls_identity_from_cert(x, &id), 0);   /* 16: all held */
	ck_assert_uint_eq(id.nsans, SW_ID_MAX_SANS);
	X509_free(x);
	snprintf(san + n, sizeof san - n, ",DNS:restricted.example");
	x = make_cert("ci", san);
	ck_assert_int_eq(tls_identity_from_cert(x, &id), -1);   /* the 17th */
	X509_free(x);

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	snprintf(san, sizeof san, "DNS:%s.example", longname);
	x = make_cert("ci", san);
	ck_assert_int_eq(tls_identity_from_cert(x, &id), -1);
	X509_free(x);
	/* a CN holding a NUL ("ci\0-admin"): matched as "ci" it would be
	 * another certificate's name */
	x = make_cert(NULL, "DNS:ok.example");
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)"ci\0-admin", 9, -1, 0);
	ck_assert_int_eq(tls_identity_from_cert(x, &id), -1);
	X509_free(x);
}
END_TEST

START_TEST(two_cns_are_no_cn)
{
	for (int multi = 0; multi <= 1; multi++) {
		X509 *x = make_cert("ci-runner", "DNS:two.example");
		X509_NAME *name = X509_get_subject_name(x);
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		    (const unsigned char *)"admin", -1, -1, multi), 1);
		ck_assert_int_eq(X509_NAME_entry_count(name), 2);
		struct sw_identity id;
		memset(&id, 0, sizeof id);
		tls_identity_from_cert(x, &id);
		ck_assert_str_eq(id.cn, "");
		ck_assert_uint_eq(id.nsans, 1);   /* the SANs still count */
		ck_assert_str_eq(id.display, "cn=(none)");
		X509_free(x);
	}
}
END_TEST

/* A binding's san glob takes a DNS name in any case (a DNS name is the
 * same name so): a certificate for BUILD.CI.EXAMPLE is not passed over for
 * a later, wider binding.  Other kinds stay as written. */
START_TEST(dns_sans_match_in_any_case)
{
	X509 *x = make_cert("Runner", "DNS:Build7.CI.Example,email:Ops@ci.example,URI:spiffe://CI/x");
	struct sw_identity id;
	memset(&id, 0, sizeof id);
	ck_assert_int_eq(tls_identity_from_cert(x, &id), 0);
	struct id_match m = { .san = "DNS:*.ci.example" };
	ck_assert_int_eq(id_match(&m, &id), 1);
	m.san = "dns:build7.ci.EXAMPLE";
	ck_assert_int_eq(id_match(&m, &id), 1);
	m.san = "DNS:*.other.example";
	ck_assert_int_eq(id_match(&m, &id), 0);
	m.san = "email:ops@*";   /* an email's local part is the owner's */
	ck_assert_int_eq(id_match(&m, &id), 0);
	m.san = "URI:spiffe://ci/*";
	ck_assert_int_eq(id_match(&m, &id), 0);
	m.san = NULL;
	m.cn = "runner";   /* a CN is a name as issued */
	ck_assert_int_eq(id_match(&m, &id), 0);
	m.cn = "Runner";
	ck_assert_int_eq(id_match(&m, &id), 1);
	X509_free(x);
}
END_TEST

/* A server context as a TLS listener makes it, from a self-signed
 * certificate that is also its CA (so the same pair serves the client). */
struct tls_pair {
	char dir[64], cert[96], key[96];
	SSL_CTX *srv, *cli;
};

static void
tls_pair_make(struct tls_pair *p)
{
	snprintf(p->dir, sizeof p->dir, "/tmp/sw-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	snprintf(p->cert, sizeof p->cert, "%s/cert.pem", p->dir);
	snprintf(p->key, sizeof p->key, "%s/key.pem", p->dir);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, key, EVP_sha256());
	FILE *f = fopen(p->cert, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(p->key, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	char err[256] = "";
	p->srv = tls_server_ctx(p->cert, p->key, p->cert, err, sizeof err);
	ck_assert_msg(p->srv != NULL, "tls_server_ctx: %s", err);
	p->cli = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(SSL_CTX_use_certificate(p->cli, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(p->cli, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
tls_pair_free(struct tls_pair *p)
{
	SSL_CTX_free(p->srv);
	SSL_CTX_free(p->cli);
	unlink(p->cert);
	unlink(p->key);
	rmdir(p->dir);
}

/* One full exchange over memory BIOs: the client (offering sess when not
 * NULL, at most version max) against a server SSL from the listener's
 * context.  Returns the server's SSL_session_reused(); *out gets the
 * client's session afterwards. */
static int
handshake(struct tls_pair *p, int max, SSL_SESSION *sess, SSL_SESSION **out)
{
	SSL *c = SSL_new(p->cli), *s = SSL_new(p->srv);
	BIO *cb, *sb;
	ck_assert_int_eq(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_max_proto_version(c, max);
	if (sess)
		ck_assert_int_eq(SSL_set_session(c, sess), 1);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	int cdone = 0, sdone = 0;
	for (int i = 0; i < 50 && !(cdone && sdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(c) == 1;
		if (!sdone)
			sdone = SSL_do_handshake(s) == 1;
	}
	if (!(cdone && sdone)) ERR_print_errors_fp(stderr);
	ck_assert_msg(cdone && sdone, "handshake did not complete (max %x, offered %d: client %d server %d)", max, sess != NULL, cdone, sdone);
	ck_assert_int_eq(SSL_get_verify_result(s), X509_V_OK);
	/* the client reads what the server sent after its Finished (TLS 1.3
	 * tickets, if any were issued) */
	char b;
	SSL_read(c, &b, 1);
	int reused = SSL_session_reused(s);
	/* a clean close: a session ended without one is never resumed */
	SSL_shutdown(c);
	SSL_shutdown(s);
	SSL_shutdown(c);
	if (out)
		*out = SSL_get1_session(c);
	SSL_free(c);
	SSL_free(s);
	return reused;
}

/* Session resumption is off: no server session cache, no TLS 1.3 tickets.
 * An idle connection holds no cached session, nothing outlives its
 * connection, and every connection presents and verifies its client
 * certificate (issue 11). */
START_TEST(server_context_resumes_no_session)
{
	struct tls_pair p;
	tls_pair_make(&p);
	ck_assert_int_eq(SSL_CTX_get_session_cache_mode(p.srv), SSL_SESS_CACHE_OFF);
	ck_assert_uint_eq(SSL_CTX_get_num_tickets(p.srv), 0);
	ck_assert(SSL_CTX_get_options(p.srv) & SSL_OP_NO_TICKET);
	ck_assert(SSL_CTX_get_mode(p.srv) & SSL_MODE_RELEASE_BUFFERS);
	ck_assert_int_eq(SSL_CTX_get_verify_mode(p.srv), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);

	/* TLS 1.2: the client offers its previous session (no ticket was
	 * issued, so by id): a full handshake, not an error */
	SSL_SESSION *s1 = NULL, *s2 = NULL;
	ck_assert_int_eq(handshake(&p, TLS1_2_VERSION, NULL, &s1), 0);
	ck_assert_ptr_nonnull(s1);
	ck_assert_int_eq(handshake(&p, TLS1_2_VERSION, s1, NULL), 0);
	ck_assert_int_eq(SSL_CTX_sess_number(p.srv), 0);
	/* TLS 1.3: no ticket is issued, so there is nothing to resume */
	ck_assert_int_eq(handshake(&p, TLS1_3_VERSION, NULL, &s2), 0);
	ck_assert_ptr_nonnull(s2);
	ck_assert_int_eq(SSL_SESSION_is_resumable(s2), 0);
	ck_assert_int_eq(handshake(&p, TLS1_3_VERSION, s2, NULL), 0);
	SSL_SESSION_free(s1);
	SSL_SESSION_free(s2);
	tls_pair_free(&p);
}
END_TEST

START_TEST(error_response_is_docker_json)
{
	struct evbuffer *out = evbuffer_new();
	http_error_write(out, 403, "sockward: denied \"quoted\"\nnewline", 0);
	size_t len = evbuffer_get_length(out);
	char *text = (char *)evbuffer_pullup(out, -1);
	ck_assert(strncmp(text, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	ck_assert_ptr_nonnull(memmem(text, len, "Content-Type: application/json\r\n", 32));
	ck_assert_ptr_null(memmem(text, len, "Connection: close", 17));
	char *body = memmem(text, len, "\r\n\r\n", 4) + 4;
	size_t blen = len - (size_t)(body - text);
	char *cl = memmem(text, len, "Content-Length: ", 16);
	ck_assert_int_eq(atoi(cl + 16), (int)blen);
	json_error_t err;
	json_t *j = json_loadb(body, blen, 0, &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")),
	    "sockward: denied \"quoted\"\nnewline");
	json_decref(j);
	evbuffer_drain(out, len);
	http_error_write(out, 502, "engine down", 1);
	text = (char *)evbuffer_pullup(out, -1);
	ck_assert(strncmp(text, "HTTP/1.1 502 Bad Gateway\r\n", 26) == 0);
	ck_assert_ptr_nonnull(memmem(text, evbuffer_get_length(out), "Connection: close\r\n", 19));
	evbuffer_free(out);
}
END_TEST

START_TEST(warnings_are_appended_to_create_response)
{
	const char *body = "{\"Id\":\"abc\",\"Warnings\":[]}\n";
	char raw[512];
	snprintf(raw, sizeof raw, "HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	struct evbuffer *rb = evbuffer_new(), *bb = evbuffer_new(), *out = evbuffer_new();
	evbuffer_add(rb, raw, strlen(raw));
	evbuffer_add(bb, body, strlen(body));
	char *w[] = { "sockward: [privileged] --privileged is not allowed" };
	ck_assert_int_eq(warnings_rewrite(rb, bb, w, 1, out), 0);
	size_t len = evbuffer_get_length(out);
	char *text = (char *)evbuffer_pullup(out, -1);
	ck_assert(strncmp(text, "HTTP/1.1 201 Created\r\n", 22) == 0);
	ck_assert_ptr_nonnull(memmem(text, len, "Api-Version: 1.41\r\n", 19));
	char *b = memmem(text, len, "\r\n\r\n", 4) + 4;
	json_error_t err;
	json_t *j = json_loadb(b, len - (size_t)(b - text), 0, &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "Warnings"), 0)), w[0]);
	ck_assert_str_eq(json_string_value(json_object_get(j, "Id")), "abc");
	json_decref(j);
	/* a non-JSON answer is left alone */
	evbuffer_drain(bb, evbuffer_get_length(bb));
	evbuffer_add(bb, "oops", 4);
	ck_assert_int_eq(warnings_rewrite(rb, bb, w, 1, out), -1);
	evbuffer_free(rb);
	evbuffer_free(bb);
	evbuffer_free(out);
}
END_TEST

/* A message or warning may quote user input that is not UTF-8 (a path
 * decoded from %FF, a text cut inside a character): jansson refuses it as
 * a string, so a denial said "internal error" and a warning was dropped.
 * Each byte that does not begin a valid sequence is U+FFFD, as Go's
 * encoding/json writes it; valid characters are kept. */
START_TEST(texts_that_are_not_utf8_are_repaired)
{
	static const char bad[] = "sockward: /a\xff/b \xe2\x82 caf\xc3\xa9 \xed\xa0\x80";
	static const char want[] = "sockward: /a\xef\xbf\xbd/b \xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9 "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd";
	struct evbuffer *out = evbuffer_new();
	json_error_t err;

	http_error_write(out, 403, bad, 0);
	size_t len = evbuffer_get_length(out);
	char *text = (char *)evbuffer_pullup(out, -1);
	char *body = memmem(text, len, "\r\n\r\n", 4) + 4;
	json_t *j = json_loadb(body, len - (size_t)(body - text), 0, &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")), want);
	json_decref(j);
	evbuffer_drain(out, len);

	const char *ans = "{\"Id\":\"abc\",\"Warnings\":[]}\n";
	char raw[512];
	snprintf(raw, sizeof raw, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(ans), ans);
	struct evbuffer *rb = evbuffer_new(), *bb = evbuffer_new();
	evbuffer_add(rb, raw, strlen(raw));
	evbuffer_add(bb, ans, strlen(ans));
	char *w[] = { (char *)bad };
	ck_assert_int_eq(warnings_rewrite(rb, bb, w, 1, out), 0);
	len = evbuffer_get_length(out);
	text = (char *)evbuffer_pullup(out, -1);
	body = memmem(text, len, "\r\n\r\n", 4) + 4;
	j = json_loadb(body, len - (size_t)(body - text), 0, &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "Warnings")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "Warnings"), 0)), want);
	json_decref(j);
	evbuffer_free(rb);
	evbuffer_free(bb);
	evbuffer_free(out);
}
END_TEST

Suite *
tls_identity_suite(void)
{
	Suite *s = suite_create("tls_identity");
	TCase *tc = tcase_create("identity");
	tcase_add_test(tc, cn_and_sans_are_extracted);
	tcase_add_test(tc, certificate_without_cn);
	tcase_add_test(tc, two_cns_are_no_cn);
	tcase_add_test(tc, names_not_held_whole_are_no_identity);
	tcase_add_test(tc, dns_sans_match_in_any_case);
	tcase_add_test(tc, server_context_resumes_no_session);
	suite_add_tcase(s, tc);
	TCase *te = tcase_create("responses");
	tcase_add_test(te, error_response_is_docker_json);
	tcase_add_test(te, warnings_are_appended_to_create_response);
	tcase_add_test(te, texts_that_are_not_utf8_are_repaired);
	suite_add_tcase(s, te);
	return s;
}
