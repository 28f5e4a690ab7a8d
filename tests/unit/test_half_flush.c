/* test_half_flush.c - sends put off to the end of the loop's turn
 * (struct half_flusher in daemon/half.h): what half_send parks on a plain
 * socket leaves in one send once the turn's callbacks have run, never after
 * anything written to the output later, and never left behind by a shut
 * write side, a dropped connection or a full output. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon/half.h"

struct rig {
	struct event_base *base;
	struct half_flusher f;
	struct half h;
	int peer;
};

/* A half on one end of a socketpair of the given type, its sends put off
 * to the end of the turn; the test reads the other end. */
static void
rig_up(struct rig *r, int type)
{
	int sv[2];
	memset(r, 0, sizeof *r);
	ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv), 0);
	r->base = event_base_new();
	ck_assert_ptr_nonnull(r->base);
	ck_assert_int_eq(half_flusher_init(&r->f, r->base), 0);
	r->h.bev = bufferevent_socket_new(r->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(r->h.bev);
	bufferevent_enable(r->h.bev, EV_READ | EV_WRITE);
	half_go_direct(&r->h, &r->f);
	r->peer = sv[1];
}

static void
rig_down(struct rig *r)
{
	half_free(&r->h);
	half_flusher_free(&r->f);
	event_base_free(r->base);
	close(r->peer);
}

static void
send_text(struct half *h, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, strlen(text));
	half_send(h, b, strlen(text));
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

/* One recv on the peer, NUL-terminated; -1 with EAGAIN when nothing came. */
static ssize_t
peer_recv(struct rig *r, char *buf, size_t len)
{
	ssize_t n = recv(r->peer, buf, len - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Two sends in one turn (a head, then a body) reach the peer together at
 * the end of the turn: a SEQPACKET socket keeps each send a record of its
 * own, so one record holding both is one send. */
START_TEST(sends_of_a_turn_leave_together_at_its_end)
{
	struct rig r;
	char buf[256];
	rig_up(&r, SOCK_SEQPACKET);

	send_text(&r.h, "HTTP/1.1 200 OK\r\n\r\n");
	send_text(&r.h, "OK");
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), -1);   /* parked, not sent */
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(half_out_len(&r.h), 0);   /* looking sends them now */
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 21);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\n\r\nOK");

	/* and without anyone looking, the turn's end sends them */
	send_text(&r.h, "one ");
	send_text(&r.h, "two");
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), -1);
	event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 7);
	ck_assert_str_eq(buf, "one two");
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), -1);   /* nothing else */
	/* the idle half holds no buffer: it went back to the flusher */
	ck_assert_ptr_null(r.h.parked);
	ck_assert_uint_eq(r.f.nspare, 1);
	rig_down(&r);
}
END_TEST

/* Bytes written to the output after parked ones (an error answer, a
 * splice pump's output) come after them. */
START_TEST(parked_bytes_go_before_what_is_written_to_the_output)
{
	struct rig r;
	char buf[256];
	rig_up(&r, SOCK_SEQPACKET);

	send_text(&r.h, "first");
	evbuffer_add(half_out(&r.h), "second", 6);
	/* taking the output sent the parked bytes: they cannot fall behind */
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "first");
	for (int i = 0; i < 10; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 6);
	ck_assert_str_eq(buf, "second");
	rig_down(&r);
}
END_TEST

/* A connection dropped in the turn its last answer was sent still sends
 * it (the one try a direct send gave it before), and leaves the queue. */
START_TEST(dropping_a_half_sends_what_it_parked)
{
	struct rig r;
	char buf[256];
	rig_up(&r, SOCK_STREAM);

	send_text(&r.h, "bye");
	half_drop_connection(&r.h);
	ck_assert_ptr_null(TAILQ_FIRST(&r.f.queue));
	event_base_loop(r.base, EVLOOP_NONBLOCK);   /* the flusher finds nothing freed */
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 3);
	ck_assert_str_eq(buf, "bye");
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 0);   /* then EOF */
	rig_down(&r);
}
END_TEST

/* Shutting the write side sends what is parked first: the peer reads it,
 * then EOF. */
START_TEST(shut_write_sends_parked_bytes_first)
{
	struct rig r;
	char buf[256];
	rig_up(&r, SOCK_STREAM);

	send_text(&r.h, "last words");
	ck_assert_int_eq(half_shut_write(&r.h), 1);
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 10);
	ck_assert_str_eq(buf, "last words");
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 0);
	rig_down(&r);
}
END_TEST

static int write_cb_calls;
static void
count_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
	write_cb_calls++;
}

/* When what is parked fills the output (max), it is handed to the
 * bufferevent at once: the caller pauses its reader and waits for the
 * write callback, which only the bufferevent's own writing calls.  Every
 * byte arrives, in order. */
START_TEST(full_output_hands_parked_bytes_to_the_bufferevent)
{
	enum { TOTAL = 1 << 20, MAX = 64 << 10 };
	struct rig r;
	static char data[TOTAL], got[TOTAL];
	size_t have = 0;
	uint64_t count = 0;
	int sv[2];
	rig_up(&r, SOCK_STREAM);
	int small = 16 << 10;   /* the socket takes a little of it at a time */
	ck_assert_int_eq(setsockopt(bufferevent_getfd(r.h.bev), SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof small), 0);
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = (char)(i * 7 + i / 4096);

	/* the half the bytes are read on: its input is filled by hand */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct half from = { .bev = bufferevent_socket_new(r.base, sv[0], BEV_OPT_CLOSE_ON_FREE) };
	ck_assert_ptr_nonnull(from.bev);
	bufferevent_setcb(r.h.bev, NULL, count_write_cb, NULL, NULL);
	write_cb_calls = 0;

	/* 4 KiB reads moved on in one turn, each small enough to be parked,
	 * until the output is full */
	struct evbuffer *in = bufferevent_get_input(from.bev);
	int full = 0;
	while (count < TOTAL && !full) {
		evbuffer_unfreeze(in, 0);   /* as a read does: the bufferevent keeps its end frozen */
		ck_assert_int_eq(evbuffer_add(in, data + count, 4096), 0);
		evbuffer_freeze(in, 0);
		full = half_move_all(&from, &r.h, MAX, &count);
	}
	ck_assert(full);
	ck_assert_uint_lt(count, TOTAL);
	ck_assert(!r.h.queued);   /* nothing parked: the bufferevent has the rest */
	ck_assert_uint_ge(evbuffer_get_length(bufferevent_get_output(r.h.bev)), MAX);
	/* the reader resumes (as the session does on the write callback) */
	evbuffer_unfreeze(in, 0);
	ck_assert_int_eq(evbuffer_add(in, data + count, TOTAL - count), 0);
	evbuffer_freeze(in, 0);
	half_move_all(&from, &r.h, MAX, &count);
	ck_assert_uint_eq(count, TOTAL);

	for (int spins = 0; have < TOTAL && spins < 100000; spins++) {
		ssize_t n = recv(r.peer, got + have, TOTAL - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	}
	ck_assert_uint_eq(have, TOTAL);
	ck_assert(memcmp(got, data, TOTAL) == 0);
	ck_assert_int_gt(write_cb_calls, 0);   /* the reader would have been resumed */
	half_free(&from);
	close(sv[1]);
	rig_down(&r);
}
END_TEST

/* A stream's piece (more than a TLS record's worth) goes out at once, not
 * at the turn's end, after what was parked before it. */
START_TEST(stream_pieces_go_at_once_after_what_is_parked)
{
	enum { BIG = 64 << 10 };
	struct rig r;
	static char big[BIG], got[BIG + 16];
	size_t have = 0;
	rig_up(&r, SOCK_STREAM);
	memset(big, 'b', sizeof big);

	send_text(&r.h, "head;");
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, big, BIG);
	half_send(&r.h, b, BIG);
	evbuffer_free(b);
	ck_assert(!r.h.queued);
	/* before any turn of the loop: the head, then the piece */
	for (ssize_t n; (n = recv(r.peer, got + have, sizeof got - have, MSG_DONTWAIT)) > 0; )
		have += (size_t)n;
	ck_assert_uint_ge(have, 5);
	ck_assert(memcmp(got, "head;", 5) == 0);
	for (int spins = 0; have < BIG + 5 && spins < 10000; spins++) {
		ssize_t n = recv(r.peer, got + have, sizeof got - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	}
	ck_assert_uint_eq(have, BIG + 5);
	ck_assert(memcmp(got + 5, big, BIG) == 0);
	rig_down(&r);
}
END_TEST

static short event_what;
static void
note_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	if (!(what & BEV_EVENT_CONNECTED))
		event_what |= what;
}

/* The peer is gone when the parked answer is sent: the failed send leaves
 * the bytes to the bufferevent, whose own write meets the error and reports
 * it to the event callback (the session's teardown), so nothing waits. */
START_TEST(a_failed_send_of_parked_bytes_is_reported)
{
	struct rig r;
	signal(SIGPIPE, SIG_IGN);   /* as server_init */
	rig_up(&r, SOCK_STREAM);
	bufferevent_setcb(r.h.bev, NULL, NULL, note_event, NULL);
	close(r.peer);
	r.peer = -1;
	event_what = 0;
	send_text(&r.h, "the answer");
	ck_assert(r.h.queued);
	for (int i = 0; i < 20 && event_what == 0; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_msg(event_what & BEV_EVENT_ERROR, "no error reported (what=%#x)", event_what);
	half_free(&r.h);
	half_flusher_free(&r.f);
	event_base_free(r.base);
}
END_TEST

/* Asked to call back once the output is flushed, when the parked bytes were
 * all there was and the socket takes them: the write callback still runs
 * (from the loop), or a drain waiting for it would wait forever. */
START_TEST(flush_notice_comes_when_sending_the_parked_bytes_flushed_all)
{
	struct rig r;
	rig_up(&r, SOCK_STREAM);
	bufferevent_setcb(r.h.bev, NULL, count_write_cb, NULL, NULL);
	for (int i = 0; i < 5; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);   /* the enable's first write event */
	write_cb_calls = 0;
	send_text(&r.h, "the answer");
	ck_assert(r.h.queued);
	half_notify_when_flushed(&r.h);
	ck_assert_int_eq(write_cb_calls, 0);   /* not on this stack */
	ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(r.h.bev)), 0);
	for (int i = 0; i < 20 && write_cb_calls == 0; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(write_cb_calls, 1);
	char buf[64];
	ck_assert_int_eq(peer_recv(&r, buf, sizeof buf), 10);
	ck_assert_str_eq(buf, "the answer");
	rig_down(&r);
}
END_TEST

/* ---- TLS halves ---- */

static SSL_CTX *
self_signed_server_ctx(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"sockward-test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(c);
	/* as daemon/tls.c sets its contexts up */
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	ck_assert_int_eq(SSL_CTX_use_certificate(c, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(c, k), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	return c;
}

struct tls_rig {
	struct event_base *base;
	struct half_flusher f;
	struct half h;
	SSL_CTX *sctx, *cctx;
	SSL *cssl;   /* the peer: a blocking-free client SSL on the other end */
	int peer;
};

/* A TLS half (server side, the way sockward accepts) on one end of a
 * socketpair with small socket buffers, handshake done, its sends put off
 * to the end of the turn. */
static void
tls_rig_up(struct tls_rig *r, int sockbuf)
{
	int sv[2];
	memset(r, 0, sizeof *r);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof sockbuf);
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof sockbuf);
	r->base = event_base_new();
	ck_assert_int_eq(half_flusher_init(&r->f, r->base), 0);
	r->sctx = self_signed_server_ctx();
	r->h.bev = bufferevent_openssl_socket_new(r->base, sv[0], SSL_new(r->sctx),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(r->h.bev);
	bufferevent_setcb(r->h.bev, NULL, NULL, note_event, NULL);
	bufferevent_enable(r->h.bev, EV_READ | EV_WRITE);
	r->cctx = SSL_CTX_new(TLS_client_method());
	r->cssl = SSL_new(r->cctx);
	SSL_set_fd(r->cssl, sv[1]);
	SSL_set_connect_state(r->cssl);
	r->peer = sv[1];
	event_what = 0;
	int done = 0;
	for (int i = 0; i < 10000 && !(done && SSL_is_init_finished(
	    bufferevent_openssl_get_ssl(r->h.bev))); i++) {
		if (!done && SSL_do_handshake(r->cssl) == 1)
			done = 1;
		event_base_loop(r->base, EVLOOP_NONBLOCK);
	}
	ck_assert(done);
	half_tls_established(&r->h, &r->f);
}

static void
tls_rig_down(struct tls_rig *r)
{
	half_free(&r->h);
	half_flusher_free(&r->f);
	event_base_free(r->base);
	SSL_free(r->cssl);
	SSL_CTX_free(r->cctx);
	SSL_CTX_free(r->sctx);
	close(r->peer);
}

/* Parked and big pieces of random sizes to a TLS reader slower than the
 * writer, over small socket buffers: SSL_write blocks again and again, on
 * parked bytes as on big pieces, and the bufferevent retries each blocked
 * record with the same bytes.  Every byte arrives, in order, and OpenSSL
 * reports no error (a retry with other bytes is SSL_R_BAD_WRITE_RETRY). */
START_TEST(tls_pieces_arrive_whole_through_blocked_writes)
{
	enum { TOTAL = 4 << 20 };
	struct tls_rig r;
	tls_rig_up(&r, 8192);
	half_size_buffers(&r.h, 256 << 10);
	unsigned char *data = malloc(TOTAL), *got = malloc(TOTAL);
	struct evbuffer *b = evbuffer_new();
	ck_assert(data != NULL && got != NULL && b != NULL);
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 12));
	size_t sent = 0, have = 0;
	unsigned seed = 7;
	int parked = 0;
	for (int spins = 0; have < TOTAL && spins < 2000000; spins++) {
		/* a turn: a few sends while the output is empty (as a session
		 * sends while its peer keeps up), then the loop */
		for (int k = 0; k < 4 && sent < TOTAL; k++) {
			if (evbuffer_get_length(bufferevent_get_output(r.h.bev)) > 0)
				break;
			seed = seed * 1103515245 + 12345;
			size_t n = 1 + (seed >> 8) % ((seed & 16) ? 40000 : 16384);
			if (n > TOTAL - sent)
				n = TOTAL - sent;
			evbuffer_add(b, data + sent, n);
			half_send(&r.h, b, n);
			parked += r.h.queued;
			sent += n;
		}
		event_base_loop(r.base, EVLOOP_NONBLOCK);
		int m = SSL_read(r.cssl, got + have, (int)(TOTAL - have < 3000 ? TOTAL - have : 3000));
		if (m > 0)
			have += (size_t)m;
		ck_assert_msg(event_what == 0, "TLS half error %#x: %s", event_what,
		    ERR_error_string(bufferevent_get_openssl_error(r.h.bev), NULL));
	}
	ck_assert_int_gt(parked, 100);   /* the flusher's path was taken */
	ck_assert_uint_eq(have, TOTAL);
	ck_assert(memcmp(got, data, TOTAL) == 0);
	evbuffer_free(b);
	free(data);
	free(got);
	tls_rig_down(&r);
}
END_TEST

/* The session's client read callback, cut down: what libevent read goes on
 * (drained, as relayed), the rest of what OpenSSL read ahead is taken by
 * half_tls_read_more, and then the engine's side is full, so reading
 * pauses (relay_raw).  The first call only. */
static int read_calls;
static void
relay_then_pause(struct bufferevent *bev, void *arg)
{
	struct half *h = arg;
	if (read_calls++ > 0)
		return;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
	half_tls_read_more(h);
	half_pause(h, 1);
}

/* A TLS client sends the last of its stdin and its close_notify in one
 * flight (docker exec -i).  libevent reads the first record and stops at
 * the watermark; half_tls_read_more takes the second record and meets the
 * close_notify; the stream then pauses before libevent's read, asked for
 * then, runs.  When reading resumes, the end is still reported: the socket
 * has nothing more to wake anyone (the exec hung for good, 2 times in 40). */
START_TEST(tls_end_met_by_read_ahead_is_reported_after_a_pause)
{
	struct tls_rig r;
	tls_rig_up(&r, 256 << 10);
	half_tls_read_ahead(&r.h);
	ck_assert(r.h.tls_ahead);
	bufferevent_setwatermark(r.h.bev, EV_READ, 0, 16384);
	bufferevent_setcb(r.h.bev, relay_then_pause, NULL, note_event, &r.h);
	read_calls = 0;
	event_what = 0;
	static char first[16384], last[100];
	memset(first, 'a', sizeof first);
	memset(last, 'z', sizeof last);
	ck_assert_int_eq(SSL_write(r.cssl, first, sizeof first), (int)sizeof first);
	ck_assert_int_eq(SSL_write(r.cssl, last, sizeof last), (int)sizeof last);
	ck_assert_int_ge(SSL_shutdown(r.cssl), 0);   /* close_notify sent */
	for (int i = 0; i < 50 && read_calls == 0; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(read_calls, 1);
	ck_assert(r.h.paused);
	/* what the pause left: the second record, and no report yet */
	ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(r.h.bev)), sizeof last);
	for (int i = 0; i < 20; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(event_what, 0);
	/* the engine drained: relayed on, reading resumes */
	evbuffer_drain(bufferevent_get_input(r.h.bev), sizeof last);
	half_pause(&r.h, 0);
	for (int i = 0; i < 50 && event_what == 0; i++)
		event_base_loop(r.base, EVLOOP_NONBLOCK);
	ck_assert_msg(event_what & BEV_EVENT_EOF, "the client's close_notify was never reported (what=%#x)",
	    event_what);
	tls_rig_down(&r);
}
END_TEST

Suite *
half_flush_suite(void)
{
	Suite *s = suite_create("half_flush");
	TCase *tc = tcase_create("flush");
	tcase_add_test(tc, sends_of_a_turn_leave_together_at_its_end);
	tcase_add_test(tc, parked_bytes_go_before_what_is_written_to_the_output);
	tcase_add_test(tc, dropping_a_half_sends_what_it_parked);
	tcase_add_test(tc, shut_write_sends_parked_bytes_first);
	tcase_add_test(tc, full_output_hands_parked_bytes_to_the_bufferevent);
	tcase_add_test(tc, stream_pieces_go_at_once_after_what_is_parked);
	tcase_add_test(tc, a_failed_send_of_parked_bytes_is_reported);
	tcase_add_test(tc, flush_notice_comes_when_sending_the_parked_bytes_flushed_all);
	tcase_add_test(tc, tls_pieces_arrive_whole_through_blocked_writes);
	tcase_add_test(tc, tls_end_met_by_read_ahead_is_reported_after_a_pause);
	suite_add_tcase(s, tc);
	return s;
}
