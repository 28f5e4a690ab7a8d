/* test_reload.c - what a SIGHUP reload does to the listeners' TLS files,
 * on a server built the way the daemon builds it (config_load on a file,
 * server_init, the reload through SIGHUP in its event loop). */
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon/config.h"
#include "daemon/server.h"

static char dir[64], cert_path[96], key_path[96], conf_path[96];

/* A self-signed certificate (its own CA) with common name cn, written to
 * cert_path and key_path. */
static void
write_cert(const char *cn)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	FILE *f = fopen(cert_path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	ck_assert_int_eq(fclose(f), 0);
	f = fopen(key_path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(fclose(f), 0);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* The common name of the certificate a listener's context serves. */
static const char *
served_cn(SSL_CTX *ctx)
{
	static char cn[64];
	X509 *x = SSL_CTX_get0_certificate(ctx);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof cn), 0);
	return cn;
}

/* n loopback ports free right now (bound to port 0 together, then closed). */
static void
free_ports(int *ports, size_t n)
{
	int fds[128];
	ck_assert_uint_le(n, 128);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof sin;
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(bind(fds[i], (struct sockaddr *)&sin, sizeof sin), 0);
		ck_assert_int_eq(getsockname(fds[i], (struct sockaddr *)&sin, &len), 0);
		ports[i] = ntohs(sin.sin_port);
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* A server from conf_path, built the way the daemon builds it, with the
 * daemon's log (a line per listener) kept out of the test's. */
static struct sw_config *
start_server(struct server *srv, int *saved_stderr)
{
	struct config_errors errs = { 0 };
	fflush(stderr);
	int devnull = open("/dev/null", O_WRONLY);
	*saved_stderr = dup(STDERR_FILENO);
	dup2(devnull, STDERR_FILENO);
	close(devnull);
	unsetenv("NOTIFY_SOCKET");
	struct sw_config *cfg = config_load(conf_path, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(server_init(srv, cfg, NULL), 0);
	return cfg;
}

static void
stop_server(struct server *srv, int saved_stderr)
{
	char cmd[128];
	server_free(srv);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Every TLS listener gets its files read again on a reload, however many
 * there are: the contexts were built in a fixed array of 64, and the
 * listeners past it silently kept their old certificate and CA (a revoked
 * client CA stayed trusted on them) while the log said the reload was
 * done. */
#define NTLS 66

START_TEST(reload_reads_every_tls_listeners_files)
{
	int ports[NTLS];
	struct server srv;

	snprintf(dir, sizeof dir, "/tmp/sw-reload-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	snprintf(conf_path, sizeof conf_path, "%s/sockward.json", dir);
	write_cert("first");
	free_ports(ports, NTLS);
	FILE *f = fopen(conf_path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{ \"listeners\": [\n");
	for (size_t i = 0; i < NTLS; i++)
		fprintf(f, "  { \"name\": \"tls%zu\", \"type\": \"tls\", \"address\": \"127.0.0.1:%d\", "
		    "\"cert\": \"%s\", \"key\": \"%s\", \"ca\": \"%s\" },\n", i, ports[i], cert_path,
		    key_path, cert_path);
	fprintf(f, "  { \"name\": \"local\", \"type\": \"unix\", \"path\": \"%s/sockward.sock\" } ],\n"
	    "  \"upstream\": { \"socket\": \"%s/engine.sock\" },\n"
	    "  \"audit\": { \"file\": \"%s/audit.log\" } }\n", dir, dir, dir);
	ck_assert_int_eq(fclose(f), 0);

	int saved_stderr;
	struct sw_config *cfg = start_server(&srv, &saved_stderr);
	ck_assert_uint_eq(srv.nlisteners, NTLS + 1);
	ck_assert_str_eq(served_cn(srv.listeners[NTLS - 1].ssl_ctx), "first");

	write_cert("renewed");
	ck_assert_int_eq(raise(SIGHUP), 0);
	for (int turns = 0; srv.gw.cfg == cfg && turns < 1000; turns++)
		event_base_loop(srv.gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_ptr_ne(srv.gw.cfg, cfg);   /* the reload was applied */
	for (size_t i = 0; i < NTLS; i++)
		ck_assert_msg(strcmp(served_cn(srv.listeners[i].ssl_ctx), "renewed") == 0,
		    "listener %zu still serves the certificate from before the reload", i);
	stop_server(&srv, saved_stderr);
}
END_TEST

/* A SIGHUP while the daemon stops is not a reload: its requests finish
 * under the configuration they began with (it was applied, changing the
 * grace period and the audit file under them). */
START_TEST(no_reload_while_stopping)
{
	struct server srv;

	snprintf(dir, sizeof dir, "/tmp/sw-reload-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf_path, sizeof conf_path, "%s/sockward.json", dir);
	FILE *f = fopen(conf_path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{ \"listeners\": [ { \"name\": \"local\", \"type\": \"unix\", "
	    "\"path\": \"%s/sockward.sock\" } ],\n"
	    "  \"upstream\": { \"socket\": \"%s/engine.sock\" },\n"
	    "  \"audit\": { \"file\": \"%s/audit.log\" } }\n", dir, dir, dir);
	ck_assert_int_eq(fclose(f), 0);

	int saved_stderr;
	struct sw_config *cfg = start_server(&srv, &saved_stderr);

	/* a reload before the stop is applied (what makes the test able to fail) */
	ck_assert_int_eq(raise(SIGHUP), 0);
	for (int turns = 0; srv.gw.cfg == cfg && turns < 1000; turns++)
		event_base_loop(srv.gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_ptr_ne(srv.gw.cfg, cfg);
	cfg = srv.gw.cfg;

	ck_assert_int_eq(raise(SIGTERM), 0);
	for (int turns = 0; !srv.gw.draining && turns < 1000; turns++)
		event_base_loop(srv.gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_int_eq(srv.gw.draining, 1);
	ck_assert_int_eq(raise(SIGHUP), 0);
	for (int turns = 0; turns < 200; turns++)
		event_base_loop(srv.gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_ptr_eq(srv.gw.cfg, cfg);
	stop_server(&srv, saved_stderr);
}
END_TEST

Suite *
reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("tls");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, reload_reads_every_tls_listeners_files);
	tcase_add_test(tc, no_reload_while_stopping);
	suite_add_tcase(s, tc);
	return s;
}
