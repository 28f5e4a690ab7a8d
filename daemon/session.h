/* session.h - one proxied client connection: a client half and an upstream
 * half, each with its own explicit state, changed only through
 * set_client_state()/set_upstream_state() in session.c, and at most one
 * exchange (the request in progress).
 *
 * Lifecycle: session_new() at accept; exactly one teardown path,
 * session_close(), which logs the reason once and defers the free to the
 * event loop so no object is freed under its own callback.  Closing after
 * a final answer goes through drain_then_close(), which flushes first. */
#ifndef SOCKWARD_SESSION_H
#define SOCKWARD_SESSION_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <event2/util.h>

#include "daemon/conn_log.h"
#include "daemon/half.h"

struct gateway;
struct listener;
struct sw_config;
struct exchange;
struct splice_pump;

enum client_state {
	C_NEW,           /* accepted, not yet set up */
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

struct client_half {
	struct half h;
	enum client_state state;
	/* C_LINGER: request bytes discarded after an early answer, and until when */
	uint64_t linger_bytes;
	struct timeval linger_until;
	/* C_DRAIN, C_IDLE: output left when the timer was last armed */
	size_t drain_left;
	const char *drain_reason;      /* the close reason once flushed */
};

struct upstream_half {
	struct half h;
	enum upstream_state state;
};

struct session {
	struct conn_facts facts;       /* id, listener, identity, peer: for every log line */
	struct gateway *gw;
	struct sw_config *cfg;         /* the configuration this connection runs under */
	const struct listener *lst;
	struct client_half client;
	struct upstream_half upstream;
	struct exchange *x;            /* the request in progress, or NULL */
	uint64_t stream_in, stream_out; /* bytes of a hijacked stream, after its upgrade */
	/* bytes nobody reads move by splice (session_flow.c): engine -> client
	 * (down) and client -> engine (up); made on first use */
	struct splice_pump *pump_down, *pump_up;
	unsigned splice_off : 1;       /* splice refused these fds: buffered from now on */
	unsigned splice_wait : 1;      /* a splice down waits for the client's output to flush */
	unsigned splice_up_wait : 1;   /* a splice of the request body waits for the engine's output */
	unsigned raw_down_ended : 1;   /* hijacked: a splice met the engine's end of output */
	unsigned raw_up_ended : 1;     /* hijacked: a splice met the client's end of input */
	unsigned pumping : 1;          /* pump_client is on the stack (session_flow.c) */
	unsigned pump_again : 1;       /* ... and was asked for again from inside */
	TAILQ_ENTRY(session) link;
	TAILQ_ENTRY(session) hs_link;  /* on gw->handshakes while in C_HANDSHAKE */
};

void session_new(struct gateway *gw, const struct listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, int salen);
void session_close(struct session *s, const char *reason);
/* The same, for a connection refused at a limit: logged at most once a
 * second (with a count of the others). */
void session_refuse(struct session *s, const char *reason);
/* SIGTERM: close if idle, else finish the current exchange and close. */
void session_drain(struct session *s);

const char *client_state_name(enum client_state st);
const char *upstream_state_name(enum upstream_state st);

/* ---- for the session's own files (session_flow.c, session_accept.c) ---- */

void set_client_state(struct session *s, enum client_state st);
void set_upstream_state(struct session *s, enum upstream_state st);
int session_closing(const struct session *s);
size_t session_max_buffer(const struct session *s);
const char *session_upstream(const struct session *s);
void session_arm_head_timer(struct session *s);
void session_drop_upstream(struct session *s);
/* Stop the splice pumps (the connection they use is going away); the
 * bytes they moved are counted (exchange or stream). */
void session_stop_splice(struct session *s);
/* Record the request in progress and free it. */
void session_end_exchange(struct session *s, const char *outcome);
/* Stop reading, flush what the client is owed, then session_close(reason). */
void drain_then_close(struct session *s, const char *reason);
/* The client's output is empty (its write callback). */
void session_flushed(struct session *s);
void session_enter_linger(struct session *s);
void session_linger_discard(struct session *s);
/* An answer of sockward's own ({"message": ...}) for the current request. */
void session_write_reply(struct session *s, int status, const char *msg, int last);
void session_reply_and_close(struct session *s, int status, const char *msg);

#endif
