/* sess_harness.h - drive real sessions inside the test process.
 *
 * One struct server built the way the daemon builds it (config_load on a
 * file, server_init), one event loop, and on that loop:
 *   - a fake engine: a unix listening socket in a temp dir whose accepted
 *     connections are plain "peers" the test reads and writes;
 *   - clients: one end of a socketpair handed to session_new() on the
 *     server's unix listener, the other end a peer of the test.
 * Peers are raw non-blocking sockets (no bufferevent), so what a test sees
 * is exactly what crossed the socket: bytes, EOF, ECONNRESET/EPIPE.
 *
 * The loop only ever runs in small steps (H_RUN_UNTIL) with a deadline; a
 * short persistent tick keeps each step bounded.  The daemon's log goes to
 * a file in the temp dir (h_log_has) and is copied to stderr when a test
 * fails or SESS_TEST_LOG is set.
 *
 * Entry points of the daemon this relies on: config_load, config_ref,
 * config_unref, server_init, server_free, session_new, struct server's
 * base / cfg / listeners / nsessions, SIGHUP as the reload trigger. */
#ifndef SOCKWARD_TEST_SESS_HARNESS_H
#define SOCKWARD_TEST_SESS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <check.h>

#include "daemon/server.h"

struct event;
struct evbuffer;
struct evconnlistener;
struct harness;

#define H_MAX_PEERS 128
#define H_TIMEOUT_MS 5000

struct h_peer {
	struct harness *h;
	int fd;                   /* -1 once closed by the test */
	struct event *rev, *wev;
	struct evbuffer *in;      /* everything received, never drained by the harness */
	struct evbuffer *out;     /* queued, not yet written */
	uint64_t nread;           /* bytes received in total */
	uint64_t nwritten;        /* bytes written in total */
	int eof;                  /* read returned 0 */
	int rerr, werr;           /* errno of a failed read / write (ECONNRESET, EPIPE) */
	int shut_pending;         /* shutdown(SHUT_WR) once out is written */
	int close_pending;        /* close once out is written */
	int read_paused;
	int shut_wr;
	/* engine side: called after new input arrived (optional) */
	void (*on_input)(struct h_peer *p);
	int engine_side;          /* accepted by the fake engine, not yet classified */
};

struct harness {
	char dir[64];
	char conf_path[96], engine_path[96], listen_path[96], audit_path[96], log_path[96];
	struct server srv;
	int srv_up;
	struct evconnlistener *engine_l;
	struct evconnlistener *engine2_l;   /* h_engine_move() */
	struct event *tick;
	struct h_peer *engine[H_MAX_PEERS];
	size_t nengine;
	/* the daemon's lookup cache following GET /events: kept apart from the
	 * exchanges' connections above and never answered, so that cache stays
	 * off in these tests (test_lookup_cache.c tests it) */
	struct h_peer *events[H_MAX_PEERS];
	size_t nevents;
	struct h_peer *client[H_MAX_PEERS];
	size_t nclient;
	int saved_stderr;
	struct listener tcp_listener;   /* h_client_tcp()'s: an insecure "tcp" listener */
	/* installed on every engine connection at accept */
	void (*engine_on_input)(struct h_peer *p);
	void *user;
};

/* Start a server whose policy section is policy_json (a JSON object text).
 * limits_json: extra members of "limits" (may be NULL or ""). */
void h_setup(struct harness *h, const char *policy_json, const char *limits_json);
void h_teardown(struct harness *h);
/* Rewrite the config file with a new policy and reload through SIGHUP;
 * returns when srv.gw.cfg has been replaced. */
void h_reload(struct harness *h, const char *policy_json, const char *limits_json);
/* A second fake engine at another path; the next config written (h_reload)
 * names it as upstream.socket. */
void h_engine_move(struct harness *h);

/* A new client connection: session_new() on the server's unix listener. */
struct h_peer *h_client(struct harness *h);
/* A client over loopback TCP, handed to session_new() as accepted on an
 * insecure "tcp" listener: what TCP does to small writes (Nagle, delayed
 * ACKs) applies between it and sockward. */
struct h_peer *h_client_tcp(struct harness *h);
/* the same from a source address of the loopback net ("127.0.0.2"): another
 * insecure principal (daemon/shares.h) */
struct h_peer *h_client_tcp_from(struct harness *h, const char *from);

/* One bounded turn of the event loop. */
void h_step(struct harness *h);
/* Run the loop for ms milliseconds (only for "nothing more happens"). */
void h_settle(struct harness *h, int ms);
int64_t h_now_ms(void);
void h_fail_dump(struct harness *h);

#define H_RUN_UNTIL_MS(h, ms, cond) do {                                          \
	int64_t h_dl_ = h_now_ms() + (ms);                                          \
	while (!(cond)) {                                                           \
		if (h_now_ms() > h_dl_) {                                               \
			h_fail_dump(h);                                                     \
			ck_abort_msg("timed out after %d ms waiting for: %s", (int)(ms), #cond); \
		}                                                                       \
		h_step(h);                                                              \
	}                                                                           \
} while (0)
#define H_RUN_UNTIL(h, cond) H_RUN_UNTIL_MS(h, H_TIMEOUT_MS, cond)

/* Peer I/O. */
void h_send(struct h_peer *p, const void *data, size_t len);
void h_sendf(struct h_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void h_shut_wr(struct h_peer *p);      /* after what is queued */
void h_close(struct h_peer *p);        /* now, dropping what is queued */
void h_close_after(struct h_peer *p);  /* after what is queued */
void h_pause_read(struct h_peer *p, int pause);
size_t h_out_left(const struct h_peer *p);

/* What a peer received. */
int h_has(const struct h_peer *p, const char *needle);
size_t h_count(const struct h_peer *p, const char *needle);
/* The received bytes as a NUL-terminated string (valid until more arrives). */
const char *h_text(const struct h_peer *p);
/* Bytes received after the first "\r\n\r\n" (the first message head). */
size_t h_after_head(const struct h_peer *p, const char **at);
/* The first engine connection whose input starts with prefix, or NULL. */
struct h_peer *h_engine_find(struct harness *h, const char *prefix);
/* The first engine connection that received a complete request head
 * starting with prefix, or NULL. */
struct h_peer *h_engine_request(struct harness *h, const char *prefix);
/* A whole Content-Length answer starting at offset off of what p received:
 * its status, and body/blen; 0 while incomplete. */
int h_answer_at(const struct h_peer *p, size_t off, const char **body, size_t *blen);
/* Docker's JSON error form: {"message":"..."} holding contains, nothing
 * else, ending with a newline. */
void h_assert_docker_error(const char *body, size_t blen, const char *contains);
/* The daemon's log so far contains needle. */
int h_log_has(struct harness *h, const char *needle);
/* The first line of the audit trail that contains needle, or NULL (a
 * static buffer, valid until the next call). */
const char *h_audit_line_with(struct harness *h, const char *needle);

/* The engine's answer to GET /containers/json with no containers. */
#define PS_ANSWER "HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Type: application/json\r\n" \
	"Content-Length: 3\r\n\r\n[]\n"
/* The client c sends GET /containers/json on its kept connection, the
 * engine connection e gets it and answers PS_ANSWER, and c gets that
 * answer: the connections still serve a next request. */
void h_next_request_served(struct harness *h, struct h_peer *c, struct h_peer *e);
size_t h_log_count(struct harness *h, const char *needle);

#endif
