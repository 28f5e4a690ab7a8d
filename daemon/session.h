/* session.h - one proxied client connection: a client half and an upstream
 * half, each with its own explicit state, changed only through
 * set_client_state()/set_upstream_state() in session.c.
 *
 * Lifecycle: session_new() at accept; exactly one teardown path,
 * session_close(), which logs the reason once and defers the free to the
 * event loop so no object is freed under its own callback. */
#ifndef SOCKWARD_SESSION_H
#define SOCKWARD_SESSION_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <event2/util.h>

#include "daemon/http_parse.h"
#include "policy/policy.h"

struct server;
struct listener;
struct bufferevent;
struct event;
struct sw_config;
struct lookup;

enum client_state {
	C_HANDSHAKE,     /* TLS handshake running */
	C_IDLE,          /* waiting for the first byte of a request */
	C_HEAD,          /* reading a request head */
	C_BODY_BUFFER,   /* collecting an inspected body for the policy */
	C_LOOKUP,        /* policy waits on engine lookups */
	C_WAIT_UPSTREAM, /* allowed; waiting for the engine connection */
	C_BODY_STREAM,   /* relaying the request body as it arrives */
	C_REQ_SENT,      /* request forwarded; waiting for the response to end */
	C_RAW,           /* hijacked: raw bytes to the engine */
	C_RAW_SHUT,      /* hijacked, client shut its write side */
	C_LINGER,        /* answered early; discarding the rest of the request */
	C_DRAIN,         /* flushing a final answer, then close */
	C_CLOSED,
};

enum upstream_state {
	U_NONE,          /* no connection */
	U_CONNECTING,
	U_IDLE,          /* connected, no request outstanding */
	U_RESP_HEAD,     /* request on its way; waiting for the response head */
	U_RESP_BODY,     /* relaying the response body */
	U_RAW,           /* hijacked: raw bytes to the client */
	U_RAW_SHUT,      /* hijacked, our write side to the engine is shut */
	U_CLOSED,
};

struct session {
	uint64_t id;
	struct server *srv;
	struct sw_config *cfg;
	struct listener *lst;
	struct sw_identity ident;
	char peer[64];

	enum client_state cstate;
	enum upstream_state ustate;
	struct bufferevent *cbev;
	struct bufferevent *ubev;
	struct event *timer;          /* head timeout */
	struct event *reaper;         /* deferred free */
	int tls;
	int closing;
	int client_eof;
	int client_paused;            /* reading stopped for backpressure */
	int upstream_paused;
	int shut_upstream_pending;    /* half-close once the engine output drains */
	int hijacked;
	size_t drain_left;            /* output left when the drain timer was armed */
	uint64_t linger_bytes;        /* request bytes discarded after an early answer */
	struct timeval linger_until;

	struct http_req req;
	struct http_resp resp;
	struct evbuffer *body;        /* inspected body */
	struct evbuffer *hold;        /* warn mode: the response, held for rewriting */
	struct evbuffer *hold_body;   /* ... and its de-chunked body */
	int holding;

	/* the current request */
	uint64_t req_id;
	struct timeval req_start;
	int in_request;
	int req_inspect;
	int req_complete;             /* parser reached the end of the request */
	int req_keepalive;
	int resp_started;
	uint64_t bytes_in, bytes_out;
	char method[16];
	char target[256];             /* for logs, truncated */
	struct pol_header pol_hdrs[REQ_MAX_HEADERS];
	struct pol_prepared *pp;      /* policy scratch: target, route, body, lookups */
	struct lookup *pending[POL_MAX_LOOKUPS];   /* in flight, by policy_lookups() index */
	struct pol_decision dec;
	int have_dec;
	char reply_msg[512];          /* what sockward answered itself, for the audit line */

	TAILQ_ENTRY(session) link;
};

void session_new(struct server *srv, struct listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, int salen);
void session_close(struct session *s, const char *reason);
/* SIGTERM: close if idle, else finish the current exchange and close. */
void session_drain(struct session *s);

const char *client_state_name(enum client_state st);
const char *upstream_state_name(enum upstream_state st);

#endif
