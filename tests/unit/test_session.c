/* test_session.c - the session state machine, black box.
 *
 * Real sessions on one event loop (sess_harness.h): a server built from a
 * config file, clients on socketpairs handed to session_new(), and a fake
 * engine on a unix socket that the test scripts byte by byte.  Every case
 * checks what the client saw, what the engine saw, and whether the session
 * ended (srv.gw.nsessions) or stayed, and the close reason in the log where
 * the daemon logs one.
 *
 * Assertions marked "Regression (was a bug)" failed on the daemon this
 * suite was first written against; the comment at each says what was wrong. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "daemon/config.h"
#include "daemon/session.h"
#include "tests/unit/sess_harness.h"

/* the default policy: built-in restricted profile for everybody */
#define POLICY_RESTRICTED "{ \"default_profile\": \"restricted\" }"
/* restricted refuses docker load (rule image.load) unless a profile allows it */
#define POLICY_LOAD_OK "{ \"default_profile\": \"p\", \"profiles\": { \"p\": " \
	"{ \"base\": \"restricted\", \"endpoints_allow\": [\"image.load\"] } } }"

/* close reasons as the daemon logs them ("closed: <reason>"); every case
 * also checks that exactly one "closed: " line was logged */
#define CLOSED_STREAM_ENDED   "closed: stream ended"
#define CLOSED_MID_RESPONSE   "closed: engine closed mid-response"
#define CLOSED_CLIENT         "closed: client closed"
#define CLOSED_REJECTED       "closed: rejected request"

static struct harness H;

static void
teardown(void)
{
	if (H.srv_up)
		h_teardown(&H);
}

/* ---- helpers --------------------------------------------------------------- */

/* The bytes after the first head equal want exactly. */
static int
after_head_is(const struct h_peer *p, const char *want)
{
	const char *at;
	size_t n = h_after_head(p, &at);
	return n == strlen(want) && memcmp(at, want, n) == 0;
}

static int
after_head_has(const struct h_peer *p, const char *want)
{
	const char *at;
	size_t n = h_after_head(p, &at);
	return memmem(at, n, want, strlen(want)) != NULL;
}

#define ATTACH_REQ "POST /containers/x/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n" \
	"Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
#define ATTACH_101 "HTTP/1.1 101 UPGRADED\r\n" \
	"Content-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"

/* Bring a client and the engine to a hijacked attach stream. */
static void
hijack(struct harness *h, struct h_peer **cp, struct h_peer **ep)
{
	struct h_peer *c = h_client(h), *e = NULL;
	h_sendf(c, "%s", ATTACH_REQ);
	H_RUN_UNTIL(h, (e = h_engine_request(h, "POST /containers/x/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n")) != NULL);
	ck_assert(h_has(e, "\r\nUpgrade: tcp\r\n"));
	ck_assert(after_head_is(e, ""));
	h_sendf(e, "%s", ATTACH_101);
	H_RUN_UNTIL(h, h_has(c, "\r\n\r\n"));
	ck_assert_str_eq(h_text(c), ATTACH_101);
	*cp = c;
	*ep = e;
}

/* ---- 1. half-close client -> engine on a hijacked stream ------------------- */

START_TEST(hijack_client_half_close)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	hijack(&H, &c, &e);

	h_sendf(c, "stdin-1");
	H_RUN_UNTIL(&H, after_head_is(e, "stdin-1"));
	h_sendf(e, "out-1");
	H_RUN_UNTIL(&H, h_has(c, "out-1"));

	/* the client is done sending: the engine gets an EOF ... */
	h_shut_wr(c);
	H_RUN_UNTIL(&H, e->eof);
	ck_assert(after_head_is(e, "stdin-1"));
	ck_assert_int_eq(e->rerr, 0);
	/* ... while its output still reaches the client */
	h_sendf(e, "out-2-after-client-eof");
	H_RUN_UNTIL(&H, h_has(c, "out-2-after-client-eof"));
	ck_assert_int_eq(c->eof, 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	h_settle(&H, 50);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	ck_assert_int_eq(c->eof, 0);

	/* the engine ends the stream: the client sees the end, the session ends */
	h_close_after(e);
	H_RUN_UNTIL(&H, c->eof && H.srv.gw.nsessions == 0);
	ck_assert_str_eq(h_text(c), ATTACH_101 "out-1out-2-after-client-eof");
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_uint_eq(H.srv.gw.nhijacked, 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	ck_assert(h_log_has(&H, CLOSED_STREAM_ENDED));
}
END_TEST

/* ---- 2. half-close engine -> client on a hijacked stream ------------------- */

START_TEST(hijack_engine_half_close)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	hijack(&H, &c, &e);

	h_sendf(c, "stdin-1");
	H_RUN_UNTIL(&H, after_head_is(e, "stdin-1"));

	/* the engine has no more output: the client sees everything, then EOF */
	h_sendf(e, "last-output");
	h_shut_wr(e);
	H_RUN_UNTIL(&H, c->eof);
	ck_assert_str_eq(h_text(c), ATTACH_101 "last-output");
	ck_assert_int_eq(c->rerr, 0);

	/* ... and can still send: the engine reads what comes after its EOF */
	h_sendf(c, "stdin-after-engine-eof");
	H_RUN_UNTIL(&H, after_head_has(e, "stdin-after-engine-eof") || H.srv.gw.nsessions == 0);
	/* Regression (was a bug): ENGINE_HALF_CLOSE_ENDS_STREAM.  The daemon treats the engine's
	 * FIN on a hijacked stream as the end of the whole stream
	 * (on_upstream_gone, U_RAW: drop the engine connection, drain, close),
	 * so it never passes the half-close on as shutdown(SHUT_WR) towards
	 * the client, and stdin sent after that is lost.
	 * Correct: the session stays and relays client -> engine until the
	 * client shuts its side too. */
	ck_assert_msg(after_head_is(e, "stdin-1stdin-after-engine-eof"),
	    "stdin sent after the engine's half-close did not reach the engine");
	ck_assert_int_eq(c->werr, 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);

	/* the client ends too: the engine sees EOF, the session ends */
	if (c->werr == 0)
		h_shut_wr(c);
	H_RUN_UNTIL(&H, e->eof || e->rerr);
	h_close(e);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(H.srv.gw.nhijacked, 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	/* Regression (was a bug): DRAIN_REASON_LOST (see upstream_gone_mid_answer) */
	ck_assert(h_log_has(&H, CLOSED_STREAM_ENDED));
}
END_TEST

/* The process behind an exec ends while its client still sends stdin and
 * has not read all of its output yet (a slow terminal, a pipe): dockerd
 * wrote the last output and closed the connection.  Writing the stdin to
 * it then fails (EPIPE), but what it wrote before closing is still in the
 * socket, and the client reads all of it, then the end, as it would from
 * dockerd directly.  Regression (was a bug): the failed write ended the
 * session at once (by splice: "engine error: Broken pipe"; buffered: the
 * stream was dropped with what the engine's socket still held), and the
 * client lost the end of the output. */
START_TEST(hijack_engine_gone_while_client_sends_keeps_its_output)
{
	struct h_peer *c, *e;
	char piece[16384];
	h_setup(&H, POLICY_RESTRICTED, "\"max_buffer_bytes\": 65536");
	hijack(&H, &c, &e);
	h_pause_read(c, 1);
	/* output until everything between the engine and the client is full:
	 * the last pieces stay in the engine's socket, unread */
	memset(piece, 'o', sizeof piece);
	for (int i = 0; i < 4096 && h_out_left(e) == 0; i++) {
		h_send(e, piece, sizeof piece);
		int64_t until = h_now_ms() + 100;
		while (h_out_left(e) > 0 && h_now_ms() < until)
			h_step(&H);
	}
	ck_assert_uint_gt(h_out_left(e), 0);
	uint64_t written = e->nwritten;   /* the 101 and the output */
	h_close(e);   /* the exec is over: what it wrote, and no more */
	/* stdin still comes: the engine's side takes it no longer */
	h_sendf(c, "more stdin");
	h_settle(&H, 100);
	h_pause_read(c, 0);
	H_RUN_UNTIL_MS(&H, 10000, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_uint_eq(c->nread, written);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(H.srv.gw.nhijacked, 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
}
END_TEST

/* A client of a hijacked stream that takes nothing more (it shut its
 * reading side: our writes fail with EPIPE) while it may still send: the
 * failed write ends the session, once, and the engine's connection with
 * it.  Regression (was a bug): the write error was taken for the end of
 * the client's input (as a reset read is): the half-close was passed to
 * the engine and the session went on with writing stopped, the engine's
 * output piling up for nobody, for as long as the container's stream
 * lasted. */
START_TEST(hijack_client_write_error_ends_the_stream)
{
	struct h_peer *c = NULL, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "%s", ATTACH_REQ);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "POST /containers/x/attach")) != NULL);
	ck_assert_int_eq(shutdown(c->fd, SHUT_RD), 0);
	/* the 101 and the first output in one piece: relayed buffered */
	h_sendf(e, "%sout-1", ATTACH_101);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0 || e->eof);
	h_sendf(e, "out-2");
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	H_RUN_UNTIL(&H, e->eof || e->rerr || e->werr);
	ck_assert_uint_eq(H.srv.gw.nhijacked, 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	ck_assert(h_log_has(&H, "closed: client error"));
}
END_TEST

/* ---- 3. early answer while the client still sends -------------------------- */

#define LOAD_SIZE (8u << 20)
#define EARLY_BODY "{\"message\":\"unexpected EOF in tar archive\"}\n"
#define EARLY_ANSWER "HTTP/1.1 400 Bad Request\r\nApi-Version: 1.45\r\n" \
	"Content-Type: application/json\r\nContent-Length: 44\r\n\r\n" EARLY_BODY

/* Start a multi-MB streamed upload; returns once the engine has 1 MiB of it
 * and the client still has most of it to send. */
static struct h_peer *
start_load(struct harness *h, struct h_peer **ep)
{
	struct h_peer *c = h_client(h), *e = NULL;
	ck_assert_uint_eq(strlen(EARLY_BODY), 44);
	h_sendf(c, "POST /images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/x-tar\r\nContent-Length: %u\r\n\r\n", LOAD_SIZE);
	char *chunk = malloc(65536);
	memset(chunk, 'L', 65536);
	for (unsigned i = 0; i < LOAD_SIZE / 65536; i++)
		h_send(c, chunk, 65536);
	free(chunk);
	H_RUN_UNTIL(h, (e = h_engine_request(h, "POST /images/load?quiet=1 HTTP/1.1\r\n")) != NULL &&
	    e->nread > (1u << 20));
	ck_assert(h_has(e, "\r\nContent-Length: 8388608\r\n"));
	/* the scenario: the request is far from over when the answer comes */
	ck_assert_uint_gt(h_out_left(c), LOAD_SIZE / 2);
	*ep = e;
	return c;
}

START_TEST(early_answer_while_client_sends)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_LOAD_OK, NULL);
	c = start_load(&H, &e);

	h_sendf(e, "%s", EARLY_ANSWER);   /* and keep the connection */
	/* the client sends its whole body without a reset and reads the whole answer */
	H_RUN_UNTIL(&H, h_out_left(c) == 0 || c->werr);
	ck_assert_int_eq(c->werr, 0);
	H_RUN_UNTIL(&H, strlen(h_text(c)) >= strlen(EARLY_ANSWER) || c->eof || c->rerr);
	ck_assert_str_eq(h_text(c), EARLY_ANSWER);
	ck_assert_int_eq(c->rerr, 0);
	/* nothing after the answer went to the engine, whose connection is dropped */
	H_RUN_UNTIL(&H, e->eof || e->rerr);
	ck_assert_uint_lt(e->nread, LOAD_SIZE);

	/* the exchange cannot go on: the session ends (lingering is bounded) */
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_str_eq(h_text(c), EARLY_ANSWER);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
}
END_TEST

/* Same, but the engine closes right after its answer with the rest of the
 * body unread (what Go's server does for a large unread body). */
START_TEST(early_answer_then_engine_closes)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_LOAD_OK, NULL);
	c = start_load(&H, &e);

	h_pause_read(e, 1);
	h_sendf(e, "%s", EARLY_ANSWER);
	h_close_after(e);
	H_RUN_UNTIL(&H, h_out_left(c) == 0 || c->werr);
	ck_assert_int_eq(c->werr, 0);
	/* the client ends its side: the session flushes the answer and ends */
	h_shut_wr(c);
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	const char *body;
	size_t blen;
	ck_assert_int_ne(h_answer_at(c, 0, &body, &blen), 0);   /* one whole answer */
	ck_assert_uint_eq(strlen(body), blen);
	/* Regression (was a bug): ENGINE_ANSWER_LOST.  The engine's answer is in the daemon's
	 * receive queue when the next body write fails with EPIPE (the engine
	 * closed); on_upstream_gone() only parses what was already read into
	 * the bufferevent, finds no answer and replies 502 "the Docker engine
	 * closed the connection" instead of relaying the engine's 400.
	 * Correct: read what the engine sent before giving up on it. */
	ck_assert_str_eq(h_text(c), EARLY_ANSWER);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
}
END_TEST

/* ---- 4. client gone during a lookup ---------------------------------------- */

/* compliant with restricted except for the empty User: the policy must ask
 * the engine for the image's user */
#define CREATE_BODY "{\"User\":\"\",\"Cmd\":[\"true\"],\"Image\":\"local/busybox:1.36\"," \
	"\"HostConfig\":{\"NetworkMode\":\"appnet\",\"CapDrop\":[\"ALL\"]," \
	"\"SecurityOpt\":[\"no-new-privileges\"],\"ReadonlyRootfs\":true,\"Memory\":67108864," \
	"\"NanoCpus\":500000000,\"PidsLimit\":64}," \
	"\"NetworkingConfig\":{\"EndpointsConfig\":{\"appnet\":{}}}}"
#define IMAGE_LOOKUP "GET /images/local/busybox:1.36/json HTTP/1.1\r\n"
#define IMAGE_ANSWER "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" \
	"{\"Id\":\"sha256:1\",\"Config\":{\"User\":\"1000:1000\"}}"
/* every named network is looked up too */
#define NETWORK_LOOKUP "GET /networks/appnet HTTP/1.1\r\n"
#define NETWORK_ANSWER "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" \
	"{\"Name\":\"appnet\",\"Id\":\"n1\",\"Driver\":\"bridge\",\"IPAM\":{\"Driver\":\"default\"}," \
	"\"Options\":{}}"

static void
send_create(struct h_peer *c)
{
	h_sendf(c, "POST /containers/create HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(CREATE_BODY), CREATE_BODY);
}

/* The engine answers the create's two lookups (image, network); returns
 * the engine connection the create itself is forwarded on */
static struct h_peer *
answer_create_lookups(void)
{
	struct h_peer *lk, *nl, *e = NULL;
	H_RUN_UNTIL(&H, (lk = h_engine_request(&H, IMAGE_LOOKUP)) != NULL);
	h_sendf(lk, "%s", IMAGE_ANSWER);
	h_close_after(lk);
	H_RUN_UNTIL(&H, (nl = h_engine_request(&H, NETWORK_LOOKUP)) != NULL);
	h_sendf(nl, "%s", NETWORK_ANSWER);
	h_close_after(nl);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "POST /containers/create HTTP/1.1\r\n")) != NULL);
	return e;
}

/* The harness works: with the lookup answered, the create is forwarded. */
START_TEST(lookup_answered_create_forwarded)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	send_create(c);
	e = answer_create_lookups();
	H_RUN_UNTIL(&H, after_head_has(e, "\"Image\":\"local/busybox:1.36\""));
	h_sendf(e, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
	    "Content-Length: 27\r\n\r\n{\"Id\":\"abc\",\"Warnings\":[]}\n");
	H_RUN_UNTIL(&H, h_has(c, "{\"Id\":\"abc\",\"Warnings\":[]}\n"));
	ck_assert(strncmp(h_text(c), "HTTP/1.1 201 Created\r\n", 22) == 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* A '"' in the request-target does not end the log line's quoted request
 * (the rest of the target read as the line's own fields). */
START_TEST(a_quote_in_the_target_stays_in_the_log_field)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/_ping?x=\"%%20status=200%%20y=\" HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/_ping?x=")) != NULL);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
	H_RUN_UNTIL(&H, h_has(c, "\r\n\r\nOK"));
	H_RUN_UNTIL(&H, h_log_has(&H, " status=200 "));
	ck_assert(h_log_has(&H, "\"GET /v1.41/_ping?x=\\\"%20status=200%20y=\\\"\" status=200 "));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

START_TEST(client_gone_during_lookup)
{
	struct h_peer *c, *lk;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	send_create(c);
	H_RUN_UNTIL(&H, (lk = h_engine_request(&H, IMAGE_LOOKUP)) != NULL);
	/* the engine stalls the lookup; the client gives up and goes away */
	h_settle(&H, 20);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	h_close(c);
	int64_t until = h_now_ms() + 500;
	while (H.srv.gw.nsessions != 0 && h_now_ms() < until)
		h_step(&H);
	/* Regression (was a bug): CLIENT_GONE_IN_LOOKUP.  A client that goes away while the policy waits on a lookup
	 * leaves its session in C_LOOKUP: on_client_eof's default branch
	 * only half-closes the (absent) engine connection, and nothing ends
	 * the session until the lookup answers or times out (10 s).  Then
	 * the decision is taken for a client that is gone and an allowed
	 * request is forwarded to the engine (below). */
	ck_assert_uint_eq(H.srv.gw.nsessions, 0);
	H_RUN_UNTIL(&H, lk->eof || lk->rerr);   // the lookup is abandoned too

	/* the engine answers the lookup late: the request must not go on */
	h_sendf(lk, "%s", IMAGE_ANSWER);
	h_close_after(lk);
	h_settle(&H, 200);
	struct h_peer *fwd = h_engine_request(&H, "POST /containers/create");
	/* Regression (was a bug): CLIENT_GONE_IN_LOOKUP (above): the create of a client that is gone reaches the
	 * engine. */
	ck_assert_msg(fwd == NULL, "create forwarded after the client left");
	if (fwd != NULL)   /* let the session end the way it does today */
		h_sendf(fwd, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
		    "Content-Length: 27\r\n\r\n{\"Id\":\"abc\",\"Warnings\":[]}\n");
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
}
END_TEST

/* ---- 5. upstream gone mid-answer ------------------------------------------- */

#define TRUNC_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" \
	"Content-Length: 1000\r\n\r\n"

START_TEST(upstream_gone_mid_answer)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/x/export HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/x/export HTTP/1.1\r\n")) != NULL);
	h_sendf(e, TRUNC_HEAD "0123456789");
	h_close_after(e);
	/* the client gets what the engine sent, then EOF: not a hang */
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_str_eq(h_text(c), TRUNC_HEAD "0123456789");
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	/* Regression (was a bug): DRAIN_REASON_LOST.  When the answer to flush is not yet written
	 * (the usual case), "drain, then close" forgets the reason it was
	 * given: client_write_cb closes with "done", so the log says
	 * "closed: done" for a truncated answer, a 502, or an engine that
	 * ended a hijacked stream. */
	ck_assert(h_log_has(&H, CLOSED_MID_RESPONSE));
}
END_TEST

START_TEST(upstream_gone_before_answer)
{
	struct h_peer *c, *e = NULL;
	const char *body;
	size_t blen;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_close(e);
	H_RUN_UNTIL(&H, h_answer_at(c, 0, &body, &blen) != 0 || c->eof || c->rerr);
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 502);
	const char *t = h_text(c);
	ck_assert(strncmp(t, "HTTP/1.1 502 Bad Gateway\r\n", 26) == 0);
	ck_assert_ptr_nonnull(strstr(t, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "\r\nConnection: close\r\n"));
	h_assert_docker_error(body, blen, "engine");
	ck_assert_uint_eq(strlen(body), blen);   /* nothing after the answer */
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	/* Regression (was a bug): DRAIN_REASON_LOST (see upstream_gone_mid_answer) */
	ck_assert(h_log_has(&H, CLOSED_REJECTED));
}
END_TEST

/* ---- 6. reload in the middle of an exchange -------------------------------- */

#define POLICY_EVENTS_OK "{ \"default_profile\": \"p\", \"profiles\": { \"p\": " \
	"{ \"base\": \"restricted\" } } }"
#define POLICY_EVENTS_DENIED "{ \"default_profile\": \"p\", \"profiles\": { \"p\": " \
	"{ \"base\": \"restricted\", \"endpoints_deny\": [\"system.events\"] } } }"
#define EVENTS_HEAD "HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Type: application/json\r\n" \
	"Transfer-Encoding: chunked\r\n\r\n"
#define EV1 "{\"Type\":\"container\",\"Action\":\"start\"}\n"
#define EV2 "{\"Type\":\"container\",\"Action\":\"die\"}\n"

START_TEST(reload_mid_exchange)
{
	struct h_peer *c, *e = NULL;
	char chunk[256];
	h_setup(&H, POLICY_EVENTS_OK, NULL);
	struct sw_config *old = config_ref(H.srv.gw.cfg);
	ck_assert_int_eq(old->refcnt, 2);   /* the server's and ours */

	c = h_client(&H);
	h_sendf(c, "GET /events HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /events HTTP/1.1\r\n")) != NULL);
	snprintf(chunk, sizeof chunk, "%zx\r\n%s\r\n", strlen(EV1), EV1);
	h_sendf(e, EVENTS_HEAD "%s", chunk);
	H_RUN_UNTIL(&H, h_has(c, EV1));
	ck_assert_int_eq(old->refcnt, 3);   /* ... and the session's */

	/* reload: the new configuration denies GET /events */
	h_reload(&H, POLICY_EVENTS_DENIED, NULL);
	ck_assert_ptr_ne(H.srv.gw.cfg, old);
	ck_assert_int_eq(old->refcnt, 2);   /* the running exchange keeps it */

	/* the stream goes on under the configuration it started with */
	snprintf(chunk, sizeof chunk, "%zx\r\n%s\r\n", strlen(EV2), EV2);
	h_sendf(e, "%s", chunk);
	H_RUN_UNTIL(&H, h_has(c, EV2));
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	ck_assert_int_eq(old->refcnt, 2);
	h_sendf(e, "0\r\n\r\n");
	H_RUN_UNTIL(&H, h_has(c, EV2 "\r\n0\r\n\r\n"));
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);   /* keep-alive */
	ck_assert_int_eq(c->eof, 0);

	/* the next request on the same connection is judged by the new one */
	size_t before = strlen(h_text(c));
	h_sendf(c, "GET /events HTTP/1.1\r\nHost: docker\r\n\r\n");
	const char *body;
	size_t blen;
	H_RUN_UNTIL(&H, h_answer_at(c, before, &body, &blen) != 0 || c->eof || c->rerr);
	ck_assert_int_eq(h_answer_at(c, before, &body, &blen), 403);
	h_assert_docker_error(body, blen, "system.events");
	const char *second = h_text(c) + before;
	ck_assert_msg(strncmp(second, "HTTP/1.1 403 Forbidden\r\n", 24) == 0, "got %s", second);
	ck_assert_ptr_nonnull(strstr(second, "system.events"));
	ck_assert_ptr_null(strstr(second, "Connection: close"));
	/* never reached the engine; the old configuration is released */
	ck_assert_uint_eq(h_count(e, "GET /events"), 1);
	ck_assert_uint_eq(H.nengine, 1);
	ck_assert_int_eq(old->refcnt, 1);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);

	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_int_eq(H.srv.gw.cfg->refcnt, 1);
	ck_assert(h_log_has(&H, "reload: done"));
	config_unref(old);
}
END_TEST

/* ---- 7. keep-alive ----------------------------------------------------------- */

#define IMG_ANSWER "HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Type: application/json\r\n" \
	"Content-Length: 12\r\n\r\n[{\"Id\":\"1\"}]"

START_TEST(keepalive_two_requests)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[]\n"));
	ck_assert_str_eq(h_text(c), PS_ANSWER);

	h_sendf(c, "GET /images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, h_has(e, "GET /images/json HTTP/1.1\r\n") && h_count(e, "\r\n\r\n") == 2);
	h_sendf(e, IMG_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[{\"Id\":\"1\"}]"));
	ck_assert_str_eq(h_text(c), PS_ANSWER IMG_ANSWER);
	/* one engine connection for both */
	ck_assert_uint_eq(H.nengine, 1);
	ck_assert_int_eq(e->eof, 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	ck_assert_int_eq(c->eof, 0);

	/* the client leaves: the session ends and gives the engine connection up */
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0 && (e->eof || e->rerr));
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	ck_assert(h_log_has(&H, CLOSED_CLIENT));
}
END_TEST

/* Bytes that come after a complete answer were asked for by nobody.  When
 * they came in the same read as the answer, the end of the answer let the
 * client's pipelined request go to the engine at once, and the bytes still
 * in the buffer were then parsed as ITS answer: the client got an answer to
 * a request the engine had not answered yet, and every answer after it was
 * one request late.  Regression (was a bug): the engine connection is
 * given up with what it sent extra, as when the engine does not keep it:
 * the client gets its answer, then the end of the connection. */
#define EXTRA_ANSWER "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Content-Length: 9\r\n\r\n[\"extra\"]"
START_TEST(bytes_after_an_answer_are_not_the_next_answer)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n"
	    "GET /images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, PS_ANSWER EXTRA_ANSWER);   /* one write: one read */
	H_RUN_UNTIL(&H, c->eof || c->rerr || h_has(c, "extra") || h_has(e, "/images/json"));
	ck_assert_msg(!h_has(c, "extra"), "client got: %s", h_text(c));
	ck_assert(!h_has(e, "/images/json"));
	ck_assert_str_eq(h_text(c), PS_ANSWER);
	ck_assert_int_eq(c->rerr, 0);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0 && (e->eof || e->rerr));
	ck_assert(h_log_has(&H, "engine sent bytes after its answer"));
	ck_assert_ptr_null(h_engine_find(&H, "GET /images/json"));
}
END_TEST

/* An answer the engine sends in two pieces reaches a TCP client without
 * waiting: sockward writes each piece as it comes, and with Nagle on, the
 * second write would wait for the client's ACK of the first, which a client
 * with nothing to send delays (40 ms on Linux once the connection is in
 * request/answer rhythm).  The least of several tries is compared, so a
 * loaded machine cannot fail it; with Nagle on every try waits. */
START_TEST(split_answer_not_held_back_on_tcp)
{
	struct h_peer *c, *e = NULL;
	static const char head[] = "HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\n"
	    "Content-Type: application/json\r\nContent-Length: 3\r\n\r\n";
	int64_t least = INT64_MAX;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client_tcp(&H);
	for (int i = 1; i <= 10; i++) {
		h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
		H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL &&
		    h_count(e, "GET /containers/json") == (size_t)i);
		uint64_t before = c->nread;
		h_send(e, head, sizeof head - 1);
		H_RUN_UNTIL(&H, c->nread == before + sizeof head - 1);
		h_settle(&H, 5);   /* the head is out; the body comes in a write of its own */
		int64_t t0 = h_now_ms();
		h_sendf(e, "[]\n");
		H_RUN_UNTIL(&H, c->nread == before + sizeof head - 1 + 3);
		int64_t took = h_now_ms() - t0;
		if (i > 4 && took < least)   /* the first ones are ACKed at once (quick ACK) */
			least = took;
	}
	ck_assert_msg(least < 20, "the answer's second piece waited %lld ms", (long long)least);
	ck_assert_uint_eq(h_count(c, "[]\n"), 10);
	ck_assert_uint_eq(H.nengine, 1);
}
END_TEST

/* A large answer sent at once: sockward reads past libevent's 4 KiB per read
 * (its own read event, half_go_direct) and writes as it can; every byte arrives in order, and
 * the connection carries the next request. */
START_TEST(large_answer_byte_for_byte)
{
	enum { N = 3 << 20 };
	struct h_peer *c, *e = NULL;
	char *body = malloc(N);
	const char *got;
	char head[160];
	ck_assert_ptr_nonnull(body);
	for (size_t i = 0; i < N; i++)
		body[i] = (char)((i * 7 + i / 4093) % 251);
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /images/busybox/get HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /images/busybox/get HTTP/1.1\r\n")) != NULL);
	int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
	    "Content-Length: %d\r\n\r\n", (int)N);
	h_send(e, head, (size_t)hl);
	h_send(e, body, N);
	H_RUN_UNTIL(&H, h_after_head(c, &got) == N);
	ck_assert_int_eq(memcmp(got, body, N), 0);
	h_next_request_served(&H, c, e);
	ck_assert_uint_eq(H.nengine, 1);
	free(body);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* Memory of a burst goes back to the system once the closes stop: fewer
 * closes than the burst rule needs (TRIM_MIN_GONE) are trimmed by the
 * quiet timer, which each close pushes back (server.c). */
START_TEST(closes_are_trimmed_once_quiet)
{
	struct h_peer *c[3];
	h_setup(&H, POLICY_RESTRICTED, NULL);
	for (int i = 0; i < 3; i++) {
		c[i] = h_client(&H);
		h_sendf(c[i], "GET /v1.0/_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
	}
	H_RUN_UNTIL(&H, h_has(c[0], "api.version") && h_has(c[1], "api.version") &&
	    h_has(c[2], "api.version"));
	ck_assert_uint_eq(H.srv.gone_since_trim, 0);
	ck_assert(!evtimer_pending(H.srv.trim_timer, NULL));
	h_close(c[0]);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 2);
	ck_assert_uint_eq(H.srv.gone_since_trim, 1);
	ck_assert(evtimer_pending(H.srv.trim_timer, NULL));
	/* another close within the quiet time pushes the trim back */
	h_settle(&H, 1000);
	h_close(c[1]);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 1);
	h_settle(&H, 1500);
	ck_assert_uint_eq(H.srv.gone_since_trim, 2);
	H_RUN_UNTIL_MS(&H, 2000, H.srv.gone_since_trim == 0);
	ck_assert(!evtimer_pending(H.srv.trim_timer, NULL));
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	ck_assert_int_eq(c[2]->eof, 0);
}
END_TEST

/* A reload that moves the engine reaches a kept-alive connection at its next
 * request: its idle connection to the old engine is not reused. */
START_TEST(keepalive_reload_moves_upstream)
{
	struct h_peer *c, *e = NULL, *e2 = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[]\n"));

	h_engine_move(&H);
	h_reload(&H, POLICY_RESTRICTED, NULL);
	h_sendf(c, "GET /images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	/* the old engine connection is given up, the request goes to the new engine */
	H_RUN_UNTIL(&H, e->eof || e->rerr);
	ck_assert(!h_has(e, "GET /images/json"));
	H_RUN_UNTIL(&H, H.nengine == 2 && (e2 = H.engine[1]) != NULL &&
	    h_has(e2, "GET /images/json HTTP/1.1\r\n"));
	h_sendf(e2, IMG_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[{\"Id\":\"1\"}]"));
	ck_assert_str_eq(h_text(c), PS_ANSWER IMG_ANSWER);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* upstream.socket written as DOCKER_HOST and -u write it, unix://PATH: the
 * requests go to that engine (as /healthz and the lookups already did),
 * not to a relative path "unix:" that answers every request with a 502. */
START_TEST(reload_to_upstream_written_as_unix_url)
{
	struct h_peer *c, *e = NULL;
	char plain[96];
	h_setup(&H, POLICY_RESTRICTED, NULL);
	snprintf(plain, sizeof plain, "%s", H.engine_path);
	snprintf(H.engine_path, sizeof H.engine_path, "unix://%.80s", plain);
	h_reload(&H, POLICY_RESTRICTED, NULL);
	snprintf(H.engine_path, sizeof H.engine_path, "%s", plain);   /* the socket file */
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL ||
	    h_has(c, "HTTP/1.1 502"));
	ck_assert_msg(e != NULL, "the request did not reach the engine: %s", h_text(c));
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[]\n"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* A request that ended before it was judged is recorded as exactly that,
 * never as "allow". */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[65536];
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

START_TEST(unjudged_request_is_audited_as_not_judged)
{
	struct h_peer *c;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "POST /containers/create HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Image\":");
	h_settle(&H, 20);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	const char *audit = read_file(H.audit_path);
	ck_assert_msg(strstr(audit, "\"verdict\":\"not-judged\"") != NULL, "audit: %s", audit);
	ck_assert_msg(strstr(audit, "client closed mid-request") != NULL, "audit: %s", audit);
	ck_assert_msg(strstr(audit, "\"verdict\":\"allow\"") == NULL, "audit: %s", audit);
	/* no endpoint was matched: null, as every value that does not apply
	 * (sockward.json(5)), not a placeholder string */
	ck_assert_msg(strstr(audit, "\"endpoint\":null,") != NULL, "audit: %s", audit);
	ck_assert_uint_eq(H.nengine, 0);   /* nothing reached the engine */
}
END_TEST

/* A malformed answer found after part of its head was read still gets the
 * client a 502 in Docker's form: no half head has reached it. */
START_TEST(malformed_answer_head_gets_502)
{
	struct h_peer *c, *e = NULL;
	const char *body;
	size_t blen;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
	h_settle(&H, 30);
	ck_assert_uint_eq(c->nread, 0);   /* nothing of an incomplete head */
	h_sendf(e, "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	H_RUN_UNTIL(&H, h_answer_at(c, 0, &body, &blen) != 0 || c->eof || c->rerr);
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 502);
	h_assert_docker_error(body, blen, "malformed");
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* An interim answer (103 Early Hints, an unasked 100 Continue) in front of
 * an answer sockward holds to rewrite: the interim one is relayed as it
 * is, and the final one is held and rewritten as without it: a tenant's
 * network list filtered.  Regression (was a bug): the interim answer was
 * taken for the whole held answer and the stage let go at its end: a
 * tenant's list was refused with a 502 ("status 103 is not a list"), and a
 * warnings or 409 rewrite let the final answer pass unchanged. */
START_TEST(interim_answer_before_a_held_answer)
{
	struct h_peer *c, *e = NULL;
	char policy[600];
	static const char early[] = "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n";
	static const char list[] = "[{\"Name\":\"red_net\",\"Labels\":{\"io.sockward.tenant\":\"red\"}},"
	    "{\"Name\":\"blue_net\",\"Labels\":{\"io.sockward.tenant\":\"blue\"}}]";
	snprintf(policy, sizeof policy, "{ \"default_profile\": \"p\", \"profiles\": { \"p\": "
	    "{ \"base\": \"baseline\" } }, \"bindings\": [ { \"match\": { \"uid\": %u }, "
	    "\"profile\": \"p\", \"tenant\": \"red\" } ] }", (unsigned)getuid());
	h_setup(&H, policy, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /networks HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /networks HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "%sHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "\r\n%s", early, strlen(list), list);
	const char *body;
	size_t blen;
	H_RUN_UNTIL(&H, (c->nread > sizeof early - 1 &&
	    h_answer_at(c, sizeof early - 1, &body, &blen) != 0) || c->eof);
	ck_assert_msg(strncmp(h_text(c), early, sizeof early - 1) == 0, "%s", h_text(c));
	ck_assert_int_eq(h_answer_at(c, sizeof early - 1, &body, &blen), 200);
	ck_assert_msg(memmem(body, blen, "red_net", 7) != NULL, "%.*s", (int)blen, body);
	ck_assert_msg(memmem(body, blen, "blue_net", 8) == NULL, "%.*s", (int)blen, body);
	/* and the connection goes on */
	h_sendf(c, "GET /networks HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, h_count(e, "GET /networks HTTP/1.1\r\n") == 2);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
}
END_TEST

/* The engine sends an interim answer and closes without a final one: the
 * client gets the interim answer relayed, then a 502 saying why, as when
 * the engine closes before answering.  Regression (was a bug): the interim
 * answer counted as the answer begun, and the client got it and then the
 * end of the connection: no answer to its request at all. */
START_TEST(engine_gone_after_interim_answer_gets_502)
{
	struct h_peer *c, *e = NULL;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	const char *body;
	size_t blen;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "%s", cont);
	H_RUN_UNTIL(&H, c->nread >= sizeof cont - 1);
	h_close_after(e);
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_msg(strncmp(h_text(c), cont, sizeof cont - 1) == 0, "%s", h_text(c));
	ck_assert_int_eq(h_answer_at(c, sizeof cont - 1, &body, &blen), 502);
	h_assert_docker_error(body, blen, "closed the connection");
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
}
END_TEST

/* A client that leaves after a complete request while the engine stalls
 * does not hold its session (and a connection slot) forever. */
START_TEST(abandoned_request_is_cancelled)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "POST /containers/abc/stop HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "POST /containers/abc/stop HTTP/1.1\r\n")) != NULL);
	h_settle(&H, 20);   /* the engine stalls */
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	H_RUN_UNTIL(&H, e->eof || e->rerr);   /* the engine sees the request go away */
	ck_assert(h_log_has(&H, "closed: client gone; request abandoned"));
}
END_TEST

/* The head the engine gets is the client's, rebuilt: request line with
 * the client's HTTP version, the headers in order, the framing sockward
 * chose (here the body's Content-Length, the client's chunks dropped), and
 * nothing else. */
START_TEST(forwarded_head_is_rebuilt_exactly)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json?all=1 HTTP/1.0\r\nHost: docker\r\nX-One: a b\r\n"
	    "User-Agent: Docker-Client/28.2.2\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json?all=1 HTTP/1.0\r\n")) != NULL);
	H_RUN_UNTIL(&H, h_has(e, "\r\n\r\n"));
	ck_assert_str_eq(h_text(e), "GET /containers/json?all=1 HTTP/1.0\r\nHost: docker\r\n"
	    "X-One: a b\r\nUser-Agent: Docker-Client/28.2.2\r\n\r\n");
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	h_teardown(&H);

	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "POST /containers/abc/stop?t=3 HTTP/1.1\r\nHost: docker\r\n"
	    "Transfer-Encoding: chunked\r\nX-Two: z\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "POST /containers/abc/stop?t=3 HTTP/1.1\r\n")) != NULL);
	H_RUN_UNTIL(&H, h_has(e, "0\r\n\r\n"));
	ck_assert_str_eq(h_text(e), "POST /containers/abc/stop?t=3 HTTP/1.1\r\nHost: docker\r\n"
	    "X-Two: z\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
}
END_TEST

/* Half-closed only (it may still read): the engine gets the half-close,
 * and its answer still reaches the client. */
START_TEST(half_closed_client_still_gets_its_answer)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	h_shut_wr(c);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	H_RUN_UNTIL(&H, e->eof);   /* the half-close, passed on */
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_str_eq(h_text(c), PS_ANSWER);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* At max_connections a client is told why (503 in Docker's form), and a
 * retry storm does not write a log line per refusal. */
START_TEST(refusal_at_the_limit_is_explained_and_rate_limited)
{
	struct h_peer *c1, *c2;
	const char *body;
	size_t blen;
	h_setup(&H, POLICY_RESTRICTED, "\"max_connections\": 1");
	c1 = h_client(&H);
	h_settle(&H, 10);
	c2 = h_client(&H);
	H_RUN_UNTIL(&H, c2->eof || c2->rerr);
	ck_assert_int_eq(h_answer_at(c2, 0, &body, &blen), 503);
	h_assert_docker_error(body, blen, "max_connections");
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	for (int i = 0; i < 12; i++)
		h_client(&H);
	h_settle(&H, 50);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);   /* c1 only */
	ck_assert_uint_le(h_log_count(&H, "refused: "), 2);
	ck_assert_int_eq(c1->eof, 0);
	h_close(c1);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

START_TEST(keepalive_pipelined)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	/* both at once: the second waits until the first is answered */
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n"
	    "GET /images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_settle(&H, 20);
	ck_assert_uint_eq(h_count(e, "\r\n\r\n"), 1);
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_count(e, "\r\n\r\n") == 2);
	ck_assert(h_has(e, "GET /images/json HTTP/1.1\r\n"));
	h_sendf(e, IMG_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[{\"Id\":\"1\"}]"));
	ck_assert_str_eq(h_text(c), PS_ANSWER IMG_ANSWER);
	ck_assert_uint_eq(H.nengine, 1);
	h_shut_wr(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0 && c->eof);
}
END_TEST

/* Two requests for the engine pipelined, then the client shuts its write
 * side (printf ... | nc -N): its end of input comes while the first is
 * still with the engine, but the second was sent before it.  Both are
 * answered, in order, and only then the connection ends, as dockerd itself
 * answers every request read before the end.  The engine's write side is
 * shut once the last request went to it.  Regression (was a bug): the end
 * of input was passed on with the first request and the session closed
 * after its answer: the second request was never answered. */
START_TEST(pipelined_forwarded_then_half_closed_gets_every_answer)
{
	struct h_peer *c, *e = NULL;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n"
	    "GET /images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	h_shut_wr(c);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_settle(&H, 20);   /* the client's end of input is read meanwhile */
	ck_assert_uint_eq(h_count(e, "\r\n\r\n"), 1);
	ck_assert_int_eq(e->eof, 0);   /* a request is still to come on it */
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_count(e, "\r\n\r\n") == 2 || c->eof);
	ck_assert(h_has(e, "GET /images/json HTTP/1.1\r\n"));
	H_RUN_UNTIL(&H, e->eof);   /* the last request went on: the end follows it */
	h_sendf(e, IMG_ANSWER);
	H_RUN_UNTIL(&H, c->eof);
	ck_assert_str_eq(h_text(c), PS_ANSWER IMG_ANSWER);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(H.nengine, 1);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	h_teardown(&H);

	/* the second request cut short by the end: the first is answered,
	 * then the session ends at once (not at the head timeout, 10 s) */
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\nGET /images/json HTTP/1.1\r\nHo");
	h_shut_wr(c);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_settle(&H, 20);
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, c->eof && H.srv.gw.nsessions == 0);
	ck_assert_str_eq(h_text(c), PS_ANSWER);
	ck_assert(h_log_has(&H, "closed: client closed mid-request"));
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
}
END_TEST

/* The engine sends bytes on its kept connection after a complete answer
 * (a 204 or 304 with a body, a chunk after the last): nobody asked for
 * them, so that connection is dropped, as when the engine closes an idle
 * one.  The client's session is not: what it is still owed (here most of
 * a chunked answer, held for a client that reads slowly) reaches it, and
 * its next request goes on a new engine connection.  Regression (was a
 * bug): the session was closed at once ("engine sent bytes nobody asked
 * for") and the answer still owed was cut short. */
START_TEST(bytes_on_an_idle_engine_connection_drop_only_it)
{
	enum { CHUNK = 4096, NCHUNK = 24 };
	struct h_peer *c, *e = NULL, *e2 = NULL;
	char chunk[CHUNK];
	int small = 4096;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_pause_read(c, 1);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	/* the client's socket takes little: the answer waits in sockward */
	struct session *sess = TAILQ_FIRST(&H.srv.gw.sessions);
	ck_assert_int_eq(setsockopt(bufferevent_getfd(sess->client.h.bev), SOL_SOCKET, SO_SNDBUF,
	    &small, sizeof small), 0);
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	h_send(e, head, sizeof head - 1);
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < NCHUNK; i++) {
		h_sendf(e, "%x\r\n", CHUNK);
		h_send(e, chunk, CHUNK);
		h_sendf(e, "\r\n");
	}
	h_sendf(e, "0\r\n\r\n");
	H_RUN_UNTIL(&H, h_out_left(e) == 0);
	h_settle(&H, 30);   /* the answer is complete: the engine's connection is idle */
	uint64_t answer = e->nwritten;
	h_sendf(e, "junk");
	h_settle(&H, 50);
	h_pause_read(c, 0);
	H_RUN_UNTIL(&H, c->nread >= answer || c->eof);
	ck_assert_uint_eq(c->nread, answer);
	ck_assert_int_eq(c->eof, 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	H_RUN_UNTIL(&H, e->eof || e->rerr);   /* that engine connection is let go */
	h_sendf(c, "GET /images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e2 = h_engine_request(&H, "GET /images/json HTTP/1.1\r\n")) != NULL);
	ck_assert_ptr_ne(e2, e);
	h_sendf(e2, IMG_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[{\"Id\":\"1\"}]"));
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 0);
}
END_TEST

/* Lines of the audit file holding needle. */
static size_t
audit_lines_with(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	size_t n = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		n += strstr(line, needle) != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

/* Run until c has n denials (403 answers), each answer counted once. */
static void
run_until_answered(struct h_peer *c, size_t n)
{
	int64_t deadline = h_now_ms() + 20000;
	uint64_t counted_at = UINT64_MAX;
	size_t got = 0;
	for (;;) {
		if (c->nread != counted_at) {   /* count again only when more came */
			counted_at = c->nread;
			got = h_count(c, "HTTP/1.1 403 ");
			if (got >= n)
				break;
		}
		if (h_now_ms() > deadline) {
			h_fail_dump(&H);
			ck_abort_msg("%zu of %zu answers after 20 s", got, n);
		}
		h_step(&H);
	}
	ck_assert_uint_eq(got, n);
}

/* A burst of pipelined requests in one socket write, each one sockward
 * answers itself (docker load is denied). */
static void
send_pipelined_denials(struct h_peer *c, size_t n)
{
	static const char req[] = "POST /images/load HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n";
	struct evbuffer *b = evbuffer_new();
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		evbuffer_add(b, req, sizeof req - 1);
	size_t len = evbuffer_get_length(b);
	h_send(c, evbuffer_pullup(b, -1), len);
	evbuffer_free(b);
}

/* A new client of a restricted server that reads none of the answers (yet)
 * sends n pipelined denials in one write. */
static struct h_peer *
unread_pipelined_denials(size_t n)
{
	struct h_peer *c;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_pause_read(c, 1);
	send_pipelined_denials(c, n);
	return c;
}

/* Requests that come in one read are handled one after another: a denial
 * answered while the input is parsed used to parse the rest inside itself,
 * a level of the stack per request, and 30,000 of them in one read (a
 * client with a big socket buffer and max_buffer_bytes of 1 MiB) crashed
 * the daemon.  Here the stack may grow to 1 MiB only, the client's socket
 * buffer holds all 12,000 requests, and all of them are answered. */
START_TEST(pipelined_denials_are_handled_flat)
{
	enum { N = 12000 };
	struct h_peer *c;
	int big = 4 << 20;
	h_setup(&H, POLICY_RESTRICTED, "\"max_buffer_bytes\": 4194304");
	c = h_client(&H);
	/* root (make check) may raise the buffer past wmem_max: one read */
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
		ck_assert_int_eq(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big), 0);
	struct rlimit old, stack;
	ck_assert_int_eq(getrlimit(RLIMIT_STACK, &old), 0);
	stack = old;
	stack.rlim_cur = 1 << 20;
	ck_assert_int_eq(setrlimit(RLIMIT_STACK, &stack), 0);
	send_pipelined_denials(c, N);
	ck_assert_uint_eq(h_out_left(c), 0);   /* all in the socket at once */
	run_until_answered(c, N);
	ck_assert_int_eq(setrlimit(RLIMIT_STACK, &old), 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);   /* and it goes on */
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n") != NULL);
}
END_TEST

/* A client that pipelines requests sockward answers itself and reads none
 * of the answers is not served past the buffer limit: sockward stops
 * taking requests once the answers it holds for the client reach
 * max_buffer_bytes (256 KiB here), and goes on, in order, when the client
 * reads. */
START_TEST(unread_answers_stop_pipelined_requests)
{
	enum { N = 6000 };
	struct h_peer *c = unread_pipelined_denials(N);
	h_settle(&H, 300);
	size_t judged = audit_lines_with(H.audit_path, "/images/load");
	/* 256 KiB of ~300-byte answers, what the sockets hold, and a read's
	 * worth of requests in flight: about 1,500 */
	ck_assert_msg(judged > 100 && judged < N / 2, "%zu of %d requests judged while the "
	    "client read nothing", judged, N);
	ck_assert_uint_eq(c->nread, 0);
	h_pause_read(c, 0);
	run_until_answered(c, N);
	ck_assert_uint_eq(audit_lines_with(H.audit_path, "/images/load"), N);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
}
END_TEST

/* The client pipelines, shuts its write side and only then reads: its end
 * of input comes while sockward still holds answers for it, and every one
 * of them arrives before the connection ends.  Regression (was a bug): the
 * session was closed at the EOF and the answers still held were dropped
 * (5,536 of 6,000 arrived; 544 before the pause at max_buffer_bytes). */
START_TEST(pipelined_then_half_closed_gets_every_answer)
{
	enum { N = 6000 };
	struct h_peer *c = unread_pipelined_denials(N);
	h_shut_wr(c);
	h_settle(&H, 300);
	h_pause_read(c, 0);
	H_RUN_UNTIL_MS(&H, 20000, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_uint_eq(h_count(c, "HTTP/1.1 403 "), N);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* A profile that lets endpoints it does not know through (unknown_endpoints)
 * forwards a CONNECT.  llhttp takes CONNECT for a tunnel and ends the
 * message with its head, whatever its Content-Length or chunks; Go's
 * net/http reads a CONNECT's body like any other.  The head went on with
 * its Content-Length and no body, and the body stayed with sockward as the
 * client's next request: the two no longer agreed where a request ends.
 * Regression (was a bug): such a CONNECT is refused before anything of it
 * reaches the engine. */
#define POLICY_UNKNOWN_OK "{ \"default_profile\": \"p\", \"profiles\": { \"p\": " \
	"{ \"base\": \"restricted\", \"unknown_endpoints\": true } } }"
/* Expect: 100-continue (curl sends it for bodies over 1 MiB, and waits a
 * second for it): sockward answers 100 Continue once it reads the body, the
 * inspected body of a create as the streamed one of a load, and the engine
 * is not asked (no Expect is forwarded). */
START_TEST(expect_continue_is_answered_when_the_body_is_read)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct h_peer *c, *e;
	h_setup(&H, POLICY_LOAD_OK, NULL);
	c = h_client(&H);
	h_sendf(c, "POST /containers/create HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/json\r\nExpect: 100-Continue\r\nContent-Length: %zu\r\n\r\n",
	    strlen(CREATE_BODY));
	H_RUN_UNTIL(&H, h_has(c, cont));
	ck_assert_uint_eq(strlen(h_text(c)), sizeof cont - 1);   /* interim only */
	h_sendf(c, "%s", CREATE_BODY);
	e = answer_create_lookups();
	H_RUN_UNTIL(&H, after_head_has(e, "\"Image\":\"local/busybox:1.36\""));
	ck_assert(!h_has(e, "xpect"));
	h_sendf(e, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
	    "Content-Length: 27\r\n\r\n{\"Id\":\"abc\",\"Warnings\":[]}\n");
	H_RUN_UNTIL(&H, h_has(c, "{\"Id\":\"abc\",\"Warnings\":[]}\n"));
	ck_assert(strncmp(h_text(c), "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n", 47) == 0);

	/* a streamed body: the 100 once the head is judged and forwarded */
	h_sendf(c, "POST /images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/x-tar\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
	H_RUN_UNTIL(&H, h_count(c, cont) == 2);
	/* the engine connection is kept: the load follows the create on it */
	H_RUN_UNTIL(&H, h_has(e, "POST /images/load?quiet=1 HTTP/1.1\r\n"));
	ck_assert(!h_has(e, "xpect"));
	h_sendf(c, "hello");
	H_RUN_UNTIL(&H, h_has(e, "\r\n\r\nhello"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* Another expectation gets dockerd's own answer (net/http: 417), and a
 * 100-continue on HTTP/1.0 or without a body no 100 */
START_TEST(other_expectations_get_417)
{
	const char *body;
	size_t blen;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	struct h_peer *c = h_client(&H);
	h_sendf(c, "POST /containers/create HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/json\r\nExpect: 100-continuex\r\nContent-Length: 2\r\n\r\n");
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 417);
	h_assert_docker_error(body, blen, "Expect");
	ck_assert_ptr_null(h_engine_find(&H, "POST /containers/create"));
	h_teardown(&H);

	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\nExpect: 100-continue\r\n\r\n");
	struct h_peer *e = NULL;
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[]\n"));
	ck_assert(!h_has(c, "100 Continue"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

START_TEST(connect_with_a_body_is_refused)
{
	static const char *const framings[] = {
		"Content-Length: 47\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: docker\r\nX: 12345\r\n\r\n",
		"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof framings / sizeof framings[0]; i++) {
		const char *body;
		size_t blen;
		h_setup(&H, POLICY_UNKNOWN_OK, NULL);
		struct h_peer *c = h_client(&H);
		/* a CONNECT without a body is framed alike by both: forwarded */
		h_sendf(c, "CONNECT /nothing HTTP/1.1\r\nHost: docker\r\n\r\n");
		struct h_peer *e = NULL;
		H_RUN_UNTIL(&H, (e = h_engine_request(&H, "CONNECT /nothing HTTP/1.1\r\n")) != NULL);
		h_sendf(e, PS_ANSWER);
		H_RUN_UNTIL(&H, h_has(c, "[]\n"));
		h_sendf(c, "CONNECT /something HTTP/1.1\r\nHost: docker\r\n%s", framings[i]);
		H_RUN_UNTIL(&H, c->eof || c->rerr);
		ck_assert_int_eq(h_answer_at(c, strlen(PS_ANSWER), &body, &blen), 400);
		h_assert_docker_error(body, blen, "CONNECT");
		ck_assert(!h_has(e, "/something"));
		ck_assert(!h_has(e, "smuggled"));
		ck_assert_ptr_null(h_engine_find(&H, "CONNECT /something"));
		H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
		h_teardown(&H);
	}
}
END_TEST

/* The audit line's "path" is the request target as received, however long:
 * the logs' copy of it is cut to 255 bytes, and so was the audit line's,
 * so a client could push what followed (a query parameter, the end of a
 * name) out of the audit trail with a long enough target. */
START_TEST(audit_line_has_the_whole_target)
{
	struct h_peer *c, *e = NULL;
	char pad[601];
	h_setup(&H, POLICY_RESTRICTED, NULL);
	memset(pad, 'a', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	c = h_client(&H);
	h_sendf(c, "GET /containers/json?all=1&pad=%s&tail=END-OF-TARGET HTTP/1.1\r\n"
	    "Host: docker\r\n\r\n", pad);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json?all=1")) != NULL ||
	    h_has(c, "HTTP/1.1 4"));
	ck_assert_msg(e != NULL, "not forwarded: %s", h_text(c));
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "[]\n"));
	H_RUN_UNTIL(&H, h_audit_line_with(&H, "\"request_id\":1,") != NULL);
	const char *line = h_audit_line_with(&H, "\"request_id\":1,");
	ck_assert_msg(strstr(line, "&tail=END-OF-TARGET\",") != NULL, "audit: %s", line);
	/* the diagnostic log keeps its short form */
	ck_assert(!h_log_has(&H, "END-OF-TARGET"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* ---- startup ------------------------------------------------------------------ */

/* The child's kernel wait, as /proc shows it ("wait_for_partner": blocked
 * opening a FIFO no one reads). */
static int
child_waits_in(pid_t pid, const char *wchan)
{
	char path[64], buf[64] = "";
	snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, wchan) != NULL;
}

/* HUP and USR1 belong to the running daemon (reload, audit reopen).  One
 * that comes while it starts (logrotate's postrotate during a restart, a
 * reload sent right after one) must not end the process by the signal's
 * default action before the event loop takes them.  The child starts as
 * main() does (server_hold_signals, config_load, server_init) and is held
 * in config_load by its configuration file, a FIFO no one writes yet: the
 * signals come then, and the configuration written lets it go on. */
START_TEST(signals_during_startup_are_not_fatal)
{
	char dir[] = "/tmp/sw-sig-XXXXXX", conf[96], text[512];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/sockward.json", dir);
	ck_assert_int_eq(mkfifo(conf, 0600), 0);
	int tlen = snprintf(text, sizeof text, "{ \"listeners\": [ { \"name\": \"t\", \"type\": "
	    "\"unix\", \"path\": \"%s/s.sock\" } ],\n  \"audit\": { \"file\": \"%s/audit.log\" } }\n",
	    dir, dir);
	ck_assert(tlen > 0 && (size_t)tlen < sizeof text);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct config_errors errs = { 0 };
		struct server srv;
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDERR_FILENO);   /* the daemon's log */
		unsetenv("NOTIFY_SOCKET");
		server_hold_signals();
		struct sw_config *cfg = config_load(conf, &errs);
		if (cfg == NULL || server_init(&srv, cfg, NULL) != 0)
			_exit(2);
		server_free(&srv);
		_exit(0);
	}
	int64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	while (!child_waits_in(pid, "wait_for_partner") && h_now_ms() < deadline)
		usleep(1000);
	ck_assert_msg(child_waits_in(pid, "wait_for_partner"), "the child never opened the FIFO");
	ck_assert_int_eq(kill(pid, SIGUSR1), 0);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	usleep(20 * 1000);
	/* non-blocking: a child already killed is no reader */
	int wfd = open(conf, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (wfd >= 0) {
		ck_assert_int_eq(write(wfd, text, (size_t)tlen), tlen);
		close(wfd);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!WIFSIGNALED(status), "the daemon was killed by signal %d while starting",
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* -u names the engine's socket as upstream.socket does (main strips a
 * unix:// before): one that does not fit a socket address was cut to
 * another path by every connect, the daemon running without ever reaching
 * its engine.  Refused at startup, as the configuration's own is. */
START_TEST(upstream_override_that_does_not_fit_is_refused)
{
	char dir[] = "/tmp/sw-ovr-XXXXXX", conf[96], longpath[200];
	const char *const bad[] = { longpath, "" };
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/sockward.json", dir);
	FILE *f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{ \"listeners\": [ { \"name\": \"t\", \"type\": \"unix\", \"path\": \"%s/s.sock\" } ],\n"
	    "  \"audit\": { \"file\": \"%s/audit.log\" } }\n", dir, dir);
	ck_assert_int_eq(fclose(f), 0);
	memset(longpath, 'd', sizeof longpath);
	longpath[0] = '/';
	longpath[108] = '\0';   /* one byte more than sun_path holds with its NUL */
	int devnull = open("/dev/null", O_WRONLY), saved = dup(STDERR_FILENO);
	fflush(stderr);
	dup2(devnull, STDERR_FILENO);   /* the daemon's log */
	close(devnull);
	unsetenv("NOTIFY_SOCKET");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config_errors errs = { 0 };
		struct server srv;
		struct sw_config *cfg = config_load(conf, &errs);
		ck_assert_ptr_nonnull(cfg);
		int rc = server_init(&srv, cfg, bad[i]);
		server_free(&srv);
		ck_assert_msg(rc == -1, "-u \"%s\" was taken", bad[i]);
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A denial names the decoded path, which need not be UTF-8 (%FF): jansson
 * refuses such a string, and the 403 said {"message":"internal error"}
 * instead of why.  Regression (was a bug): the reason is kept, each byte
 * that is not UTF-8 written as U+FFFD, as dockerd's encoding/json writes
 * its own messages. */
START_TEST(denial_of_a_path_that_is_not_utf8_keeps_its_reason)
{
	const char *body;
	size_t blen;
	h_setup(&H, POLICY_RESTRICTED, NULL);
	struct h_peer *c = h_client(&H);
	h_sendf(c, "GET /foo%%FFbar HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, h_has(c, "}\n"));
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 403);
	h_assert_docker_error(body, blen, "GET /foo\xef\xbf\xbd" "bar (unknown endpoint) is not allowed");
	ck_assert_ptr_null(h_engine_find(&H, "/foo"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("state_machine");
	/* each case starts its own server (the policy differs per case) */
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hijack_client_half_close);
	tcase_add_test(tc, a_quote_in_the_target_stays_in_the_log_field);
	tcase_add_test(tc, hijack_engine_half_close);
	tcase_add_test(tc, hijack_client_write_error_ends_the_stream);
	tcase_add_test(tc, hijack_engine_gone_while_client_sends_keeps_its_output);
	tcase_add_test(tc, early_answer_while_client_sends);
	tcase_add_test(tc, early_answer_then_engine_closes);
	tcase_add_test(tc, lookup_answered_create_forwarded);
	tcase_add_test(tc, client_gone_during_lookup);
	tcase_add_test(tc, upstream_gone_mid_answer);
	tcase_add_test(tc, upstream_gone_before_answer);
	tcase_add_test(tc, reload_mid_exchange);
	tcase_add_test(tc, keepalive_two_requests);
	tcase_add_test(tc, large_answer_byte_for_byte);
	tcase_add_test(tc, split_answer_not_held_back_on_tcp);
	tcase_add_test(tc, keepalive_pipelined);
	tcase_add_test(tc, pipelined_forwarded_then_half_closed_gets_every_answer);
	tcase_add_test(tc, bytes_after_an_answer_are_not_the_next_answer);
	tcase_add_test(tc, bytes_on_an_idle_engine_connection_drop_only_it);
	tcase_add_test(tc, pipelined_denials_are_handled_flat);
	tcase_add_test(tc, unread_answers_stop_pipelined_requests);
	tcase_add_test(tc, pipelined_then_half_closed_gets_every_answer);
	tcase_add_test(tc, keepalive_reload_moves_upstream);
	tcase_add_test(tc, reload_to_upstream_written_as_unix_url);
	tcase_add_test(tc, closes_are_trimmed_once_quiet);
	tcase_add_test(tc, unjudged_request_is_audited_as_not_judged);
	tcase_add_test(tc, audit_line_has_the_whole_target);
	tcase_add_test(tc, denial_of_a_path_that_is_not_utf8_keeps_its_reason);
	tcase_add_test(tc, malformed_answer_head_gets_502);
	tcase_add_test(tc, interim_answer_before_a_held_answer);
	tcase_add_test(tc, engine_gone_after_interim_answer_gets_502);
	tcase_add_test(tc, abandoned_request_is_cancelled);
	tcase_add_test(tc, half_closed_client_still_gets_its_answer);
	tcase_add_test(tc, forwarded_head_is_rebuilt_exactly);
	tcase_add_test(tc, refusal_at_the_limit_is_explained_and_rate_limited);
	tcase_add_test(tc, connect_with_a_body_is_refused);
	tcase_add_test(tc, expect_continue_is_answered_when_the_body_is_read);
	tcase_add_test(tc, other_expectations_get_417);
	suite_add_tcase(s, tc);
	tc = tcase_create("startup");
	tcase_add_test(tc, signals_during_startup_are_not_fatal);
	tcase_add_test(tc, upstream_override_that_does_not_fit_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

