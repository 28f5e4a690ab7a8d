/* test_tls_session.c - real sessions with a mutual-TLS client.
 *
 * The harness's clients are plain sockets; here the client end of a
 * socketpair is an OpenSSL client with a certificate of a test CA, and the
 * daemon's end is handed to session_new() on the harness's listener retyped
 * as a TLS one whose context verifies that CA (as tls_server_ctx sets it
 * up).  The client is driven from the test (tp_pump: handshake, SSL_write
 * of what is queued, SSL_read unless paused, close_notify once asked and
 * everything queued is written), so what it does and when is exact: it can
 * stop reading, send its last stdin and its close_notify in one flight
 * (docker exec -i's CloseWrite), and so on. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/listener.h"
#include "daemon/session.h"
#include "tests/unit/sess_harness.h"

#define POLICY_RESTRICTED "{ \"default_profile\": \"restricted\" }"
#define ATTACH_REQ "POST /containers/x/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n" \
	"Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
#define ATTACH_101 "HTTP/1.1 101 UPGRADED\r\n" \
	"Content-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"

static struct harness H;
static struct listener tls_listener;

/* ---- a test CA, the server's context, the client's ---- */

static EVP_PKEY *
key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX c;
	X509V3_set_ctx_nodb(&c);
	X509V3_set_ctx(&c, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &c, nid, value);
	ck_assert_ptr_nonnull(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for key with common name cn, signed by issuer_key (its own
 * when issuer is NULL: the CA) */
static X509 *
cert_new(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
	}
	ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	return x;
}

static SSL_CTX *server_ctx, *client_ctx;

static void
contexts_up(void)
{
	EVP_PKEY *cak = key_new(), *sk = key_new(), *ck = key_new();
	X509 *ca = cert_new("sockward-test-ca", cak, NULL, cak, 1);
	X509 *sc = cert_new("sockward", sk, ca, cak, 2);
	X509 *cc = cert_new("tls-client", ck, ca, cak, 3);
	/* as daemon/tls.c (tls_server_ctx) */
	server_ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(server_ctx);
	SSL_CTX_set_min_proto_version(server_ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(server_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(server_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_num_tickets(server_ctx, 0);
	ck_assert_int_eq(SSL_CTX_use_certificate(server_ctx, sc), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(server_ctx, sk), 1);
	ck_assert_int_eq(X509_STORE_add_cert(SSL_CTX_get_cert_store(server_ctx), ca), 1);
	SSL_CTX_set_verify(server_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	client_ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(client_ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate(client_ctx, cc), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(client_ctx, ck), 1);
	SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
	/* tp_pump retries a blocked write from a buffer that may have moved */
	SSL_CTX_set_mode(client_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* an end without close_notify is an end (Go, the docker CLI, reads it so) */
	SSL_CTX_set_options(client_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	X509_free(ca);
	X509_free(sc);
	X509_free(cc);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ck);
}

static void
contexts_down(void)
{
	SSL_CTX_free(server_ctx);
	SSL_CTX_free(client_ctx);
	server_ctx = client_ctx = NULL;
}

/* ---- the TLS client ---- */

struct tls_peer {
	int fd;
	SSL *ssl;
	struct event *ev;          /* wakes the loop when the socket is readable */
	struct evbuffer *in, *out;
	int handshaken;
	int read_paused;
	int close_asked;           /* close_notify once out is written */
	int closed_notify;         /* close_notify sent */
	int eof;                   /* the server's close_notify or the socket's end */
	int err;                   /* a TLS or socket error */
	unsigned long ssl_err;
};

static void tp_pump(struct tls_peer *t);

static void
tp_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tp_pump(arg);
}

static struct tls_peer *
tp_new(int sockbuf)
{
	int sv[2];
	struct tls_peer *t = calloc(1, sizeof *t);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	if (sockbuf > 0) {
		/* small socket buffers: what one side does not read stops the
		 * other side's writes soon */
		for (int i = 0; i < 2; i++) {
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof sockbuf);
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof sockbuf);
		}
	}
	t->fd = sv[1];
	t->ssl = SSL_new(client_ctx);
	ck_assert_ptr_nonnull(t->ssl);
	SSL_set_fd(t->ssl, t->fd);
	SSL_set_connect_state(t->ssl);
	t->in = evbuffer_new();
	t->out = evbuffer_new();
	t->ev = event_new(H.srv.gw.base, t->fd, EV_READ | EV_PERSIST, tp_event, t);
	ck_assert_ptr_nonnull(t->ev);
	event_add(t->ev, NULL);
	tls_listener = H.srv.listeners[0];   /* the unix one, retyped */
	tls_listener.type = LISTEN_TLS;
	tls_listener.ssl_ctx = server_ctx;
	snprintf(tls_listener.name, sizeof tls_listener.name, "tls");
	session_new(&H.srv.gw, &tls_listener, sv[0], NULL, 0);
	return t;
}

static void
tp_free(struct tls_peer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	SSL_free(t->ssl);
	if (t->fd >= 0)
		close(t->fd);
	evbuffer_free(t->in);
	evbuffer_free(t->out);
	free(t);
}

static void
tp_failed(struct tls_peer *t)
{
	t->err = 1;
	t->ssl_err = ERR_peek_error();
	ERR_clear_error();
}

/* What the client does whenever it is its turn. */
static void
tp_pump(struct tls_peer *t)
{
	if (t->err)
		return;
	if (!t->handshaken) {
		int r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			int e = SSL_get_error(t->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				tp_failed(t);
			return;
		}
		t->handshaken = 1;
	}
	while (evbuffer_get_length(t->out) > 0) {
		size_t n = evbuffer_get_length(t->out);
		if (n > 16384)
			n = 16384;
		/* SSL_write is retried with the same bytes: they stay at the front */
		int w = SSL_write(t->ssl, evbuffer_pullup(t->out, (ev_ssize_t)n), (int)n);
		if (w <= 0) {
			int e = SSL_get_error(t->ssl, w);
			if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ)
				tp_failed(t);
			break;
		}
		evbuffer_drain(t->out, (size_t)w);
	}
	if (t->close_asked && !t->closed_notify && evbuffer_get_length(t->out) == 0) {
		if (SSL_shutdown(t->ssl) >= 0)
			t->closed_notify = 1;
	}
	while (!t->read_paused && !t->eof) {
		char buf[16384];
		int r = SSL_read(t->ssl, buf, sizeof buf);
		if (r > 0) {
			evbuffer_add(t->in, buf, (size_t)r);
			continue;
		}
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			t->eof = 1;
		else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && r == 0)
			t->eof = 1;   /* the socket's end without close_notify */
		else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			tp_failed(t);
		break;
	}
}

static void
tp_send(struct tls_peer *t, const void *data, size_t n)
{
	ck_assert(!t->close_asked);
	evbuffer_add(t->out, data, n);
	tp_pump(t);
}

/* The client's CloseWrite: close_notify after what is queued (the socket
 * stays open both ways) */
static void
tp_close_write(struct tls_peer *t)
{
	t->close_asked = 1;
	tp_pump(t);
}

static void
tp_pause_read(struct tls_peer *t, int pause)
{
	t->read_paused = pause;
	tp_pump(t);
}

static size_t
tp_nread(const struct tls_peer *t)
{
	return evbuffer_get_length(t->in);
}

static int
tp_starts_with(struct tls_peer *t, const char *s, size_t n)
{
	return tp_nread(t) >= n && memcmp(evbuffer_pullup(t->in, (ev_ssize_t)n), s, n) == 0;
}

#define TP_RUN_UNTIL(t, cond) H_RUN_UNTIL(&H, (tp_pump(t), (cond)))

static struct tls_peer *T;

static void
setup(void)
{
	contexts_up();
}

static void
teardown(void)
{
	tp_free(T);
	T = NULL;
	if (H.srv_up)
		h_teardown(&H);
	contexts_down();
}

/* A hijacked attach stream with a TLS client; returns the engine's side
 * and sets *eh to the length of its request. */
static struct h_peer *
tls_hijack(const char *limits, int sockbuf, size_t *eh)
{
	struct h_peer *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, limits);
	T = tp_new(sockbuf);
	TP_RUN_UNTIL(T, T->handshaken || T->err);
	ck_assert_msg(!T->err, "TLS handshake failed: %s", ERR_error_string(T->ssl_err, NULL));
	tp_send(T, ATTACH_REQ, strlen(ATTACH_REQ));
	TP_RUN_UNTIL(T, (e = h_engine_request(&H, "POST /containers/x/attach")) != NULL || T->eof);
	ck_assert_msg(e != NULL, "no request reached the engine");
	*eh = e->nread;
	h_sendf(e, "%s", ATTACH_101);
	TP_RUN_UNTIL(T, tp_nread(T) >= strlen(ATTACH_101));
	ck_assert(tp_starts_with(T, ATTACH_101, strlen(ATTACH_101)));
	return e;
}

static char *
pattern(size_t n, int k)
{
	char *b = malloc(n + 1);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + (i * (size_t)k + i / 97) % 26);
	return b;
}

/* docker exec -i over mTLS: stdin and then the client's close_notify; the
 * engine gets all of it and its EOF, the client still reads the output,
 * and the end of the engine's output ends the session. */
START_TEST(tls_exec_stdin_then_close_notify)
{
	size_t eh;
	struct h_peer *e = tls_hijack(NULL, 0, &eh);
	enum { N = 300000 };
	char *in = pattern(N, 7);
	tp_send(T, in, N);
	tp_close_write(T);
	TP_RUN_UNTIL(T, e->eof);
	ck_assert_uint_eq(e->nread, eh + N);
	ck_assert(memcmp(h_text(e) + eh, in, N) == 0);
	h_sendf(e, "output");
	h_close_after(e);
	TP_RUN_UNTIL(T, T->eof && H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(tp_nread(T), strlen(ATTACH_101) + 6);
	free(in);
}
END_TEST

/* docker exec -i over mTLS: stdin is done (close_notify), the output still
 * flows, and then the client goes away (killed: its socket is closed).  Our
 * next writes fail (EPIPE), which libevent's TLS bufferevent reports as an
 * EOF while writing (a "dirty shutdown", allowed).  That is not the end of
 * the client's input to pass on: the session ends, once, and the engine's
 * connection with it.  Regression (was a bug): it was taken for the
 * client's EOF, which restarts writing (for a client that only shut its
 * side), the write failed again at once, and so on: the loop spun at full
 * CPU and the session never ended while the engine had output. */
START_TEST(tls_client_gone_after_close_notify_ends_the_stream)
{
	size_t eh;
	struct h_peer *e = tls_hijack("\"max_buffer_bytes\": 16384", 8192, &eh);
	tp_send(T, "stdin", 5);
	tp_close_write(T);
	TP_RUN_UNTIL(T, e->eof);
	ck_assert_uint_eq(e->nread, eh + 5);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);   /* the output still goes to the client */
	/* more output than the sockets hold (the client reads no more), then
	 * the client is gone */
	tp_pause_read(T, 1);
	char *out = pattern(2 << 20, 5);
	h_send(e, out, 2 << 20);
	h_settle(&H, 50);
	ck_assert_uint_gt(h_out_left(e), 0);
	event_del(T->ev);
	close(T->fd);
	T->fd = -1;
	H_RUN_UNTIL_MS(&H, 2000, H.srv.gw.nsessions == 0);
	H_RUN_UNTIL(&H, e->eof || e->rerr);   /* the engine's connection is let go */
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	free(out);
}
END_TEST

/* The exec's process ends while the TLS client still sends stdin and has
 * not read all of its output: dockerd wrote the last output and closed the
 * connection, so our write of the stdin fails (EPIPE), while what dockerd
 * wrote is still in the engine's socket.  The client reads all of it, then
 * the end.  Regression (was a bug): libevent's failed write was taken for
 * the end of the stream, the engine's connection was dropped with the
 * output it still held, and the client got part of it. */
START_TEST(tls_engine_gone_while_client_sends_keeps_its_output)
{
	size_t eh;
	struct h_peer *e = tls_hijack("\"max_buffer_bytes\": 65536", 0, &eh);
	char piece[16384];
	tp_pause_read(T, 1);
	/* output until everything between the engine and the client is full */
	memset(piece, 'o', sizeof piece);
	for (int i = 0; i < 4096 && h_out_left(e) == 0; i++) {
		h_send(e, piece, sizeof piece);
		int64_t until = h_now_ms() + 100;
		while (h_out_left(e) > 0 && h_now_ms() < until)
			h_step(&H);
	}
	ck_assert_uint_gt(h_out_left(e), 0);
	uint64_t written = e->nwritten;   /* the 101 and the output */
	h_close(e);   /* the exec is over */
	tp_send(T, "more stdin", 10);
	h_settle(&H, 100);   /* the stdin meets the engine's end */
	tp_pause_read(T, 0);
	TP_RUN_UNTIL(T, T->eof || T->err);
	ck_assert_int_eq(T->err, 0);
	ck_assert_uint_eq(tp_nread(T), written);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	ck_assert(h_log_has(&H, "closed: stream ended"));
}
END_TEST

/* A TLS client's stream that fails on the read side (a record that does
 * not decrypt: OpenSSL answers with a fatal alert) while output for it is
 * still queued: libevent stops both of its events (conn_closed) and reports
 * an error; a hijacked stream takes that as the end of the client's input
 * and goes on relaying the engine's output.  Nothing may be left waiting on
 * a write that libevent no longer tries: the session ends, and the engine's
 * connection with it, though the engine's side never ends (attach to a
 * container that keeps writing).  Regression (was a bug): writing stayed
 * stopped, the engine's side paused behind the full output, and the
 * session waited for good. */
START_TEST(tls_stream_read_error_with_output_queued_ends_the_session)
{
	size_t eh;
	struct h_peer *e = tls_hijack("\"max_buffer_bytes\": 16384", 8192, &eh);
	tp_pause_read(T, 1);
	/* more output than the socket and the client's output buffer hold: the
	 * engine's side pauses, the client's output is not empty */
	char *out = pattern(256 << 10, 5);
	h_send(e, out, 256 << 10);
	TP_RUN_UNTIL(T, h_out_left(e) > 0);
	h_settle(&H, 50);
	ck_assert_uint_gt(h_out_left(e), 0);
	/* a record that does not decrypt, on the client's socket */
	static const unsigned char bad[] = { 0x17, 0x03, 0x03, 0x00, 0x20,
	    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
	ck_assert_int_eq(write(T->fd, bad, sizeof bad), (int)sizeof bad);
	event_del(T->ev);
	/* the end of the client's input is passed on to the engine, while the
	 * client's output is still queued */
	H_RUN_UNTIL(&H, e->eof || e->rerr || H.srv.gw.nsessions == 0);
	/* the client's socket is still read (whatever comes is of no use to a
	 * client whose TLS stream failed): sockward's writes are not held back */
	int64_t until = h_now_ms() + 2000;
	while (H.srv.gw.nsessions > 0 && h_now_ms() < until) {
		char sink[65536];
		while (read(T->fd, sink, sizeof sink) > 0)
			;
		h_step(&H);
	}
	ck_assert_msg(H.srv.gw.nsessions == 0, "the session waits for a write libevent stopped");
	H_RUN_UNTIL(&H, e->eof || e->rerr);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	free(out);
}
END_TEST

Suite *
tls_session_suite(void)
{
	Suite *s = suite_create("tls_session");
	TCase *tc = tcase_create("mtls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tls_exec_stdin_then_close_notify);
	tcase_add_test(tc, tls_client_gone_after_close_notify_ends_the_stream);
	tcase_add_test(tc, tls_stream_read_error_with_output_queued_ends_the_session);
	tcase_add_test(tc, tls_engine_gone_while_client_sends_keeps_its_output);
	suite_add_tcase(s, tc);
	return s;
}
