/* engine_client.h - one GET to the engine on its unix socket, answered
 * through the same strict llhttp response parser the proxy uses.
 *
 * The lookups the policy asks for, the admin endpoint's /healthz probe and
 * `sockward doctor` all talk to the engine this way.  Each request has its
 * own short-lived connection (HTTP/1.1, "Connection: close"), so it never
 * disturbs a client's exchange.  The answer is complete when the parser says
 * the message ended, not when the engine closes; it is bounded in bytes and
 * in time.
 *
 * The callback runs exactly once, from the event loop (never inside
 * engine_get), unless the request is cancelled first.  After it returns the
 * request is gone: the caller must forget its handle in the callback. */
#ifndef SOCKWARD_ENGINE_CLIENT_H
#define SOCKWARD_ENGINE_CLIENT_H

#include <stddef.h>

#include <event2/buffer.h>
#include <jansson.h>

struct event_base;
struct engine_req;
struct engine_account;

struct engine_answer {
	/* the engine's status code; 0 when no complete, well-formed answer
	 * arrived in time (error says why) */
	int status;
	/* the de-chunked body; the client's, valid during the callback */
	struct evbuffer *body;
	/* with want_json: the body parsed as JSON, or NULL; borrowed (take a
	 * reference with json_incref to keep it) */
	json_t *json;
	/* why status is 0, for logs and messages; "" otherwise */
	const char *error;
	/* 1: nothing of the request reached the engine: a limited request
	 * that never had a connection (its deadline passed while it waited),
	 * or one whose connection never connected (no engine socket) */
	int unsent;
};

typedef void (*engine_cb)(const struct engine_answer *a, void *arg);

struct engine_opts {
	size_t max_bytes;      /* bytes read in all (head, framing, body); 0: 4 MiB */
	unsigned timeout_ms;   /* from start to the end of the answer; 0: 10 s */
	int want_json;         /* parse the body as JSON */
	const char *user_agent;   /* NULL: "sockward" */
	/* one of the policy's requests (lookups, image user reads): at most
	 * ENGINE_LOOKUP_CONNECTIONS of them have a connection at once, the
	 * others wait in order.  timeout_ms counts from engine_request(),
	 * the wait included; past it the request fails (status 0, error says
	 * no connection was free). */
	int limited;
	/* with limited: cleanup that must not be lost to the wait (deleting a
	 * transient container): first in line, and timeout_ms counts from its
	 * connection */
	int urgent;
	/* with limited: the account the answer's bytes are charged to as they
	 * are read (see struct engine_account); NULL: not counted */
	struct engine_account *account;
};

#define ENGINE_DEFAULT_MAX_BYTES  (4u << 20)
#define ENGINE_DEFAULT_TIMEOUT_MS 10000u
/* engine connections of limited requests at once: part of the daemon's
 * descriptor reserve (server.c, FD_RESERVE) */
#define ENGINE_LOOKUP_CONNECTIONS 32

/* The lookup budget.  One small request may name 16 objects whose inspect
 * answers are 4 MiB each (labels, Env): read, parsed (a tree about the
 * size of its text, more for many small strings) and held until the
 * request is decided, ten such requests held 650 MB and 10 s of CPU, and
 * their lookups, queued for the 32 connections, timed out for everyone.
 * So the bytes of lookup answers, from the first byte read until the
 * request they judge is decided, are charged to accounts with a cap each:
 * the request's (ENGINE_REQUEST_BUDGET: beyond it waiting cannot help, the
 * request is refused), its identity's (ENGINE_IDENTITY_BUDGET: half of the
 * process's, so one client cannot take what the others need) and the
 * process's (ENGINE_LOOKUP_BUDGET).  A charge that finds no room fails its
 * request (busy).  A lookup connects only while the process's budget has
 * room for a whole answer of its size (max_bytes); until then it waits in
 * order within its deadline, unless its account already holds answers:
 * a request that held while it waited could wait on the others forever
 * (each holding what the next needs), so it fails instead.  Image user
 * reads are not charged (at most 32 x 416 KiB, copied out at once). */
#define ENGINE_LOOKUP_BUDGET   (64u << 20)
#define ENGINE_IDENTITY_BUDGET (ENGINE_LOOKUP_BUDGET / 2)
#define ENGINE_REQUEST_BUDGET  (16u << 20)

struct engine_account {
	size_t bytes;                    /* charged now */
	size_t cap;                      /* the most it may be charged */
	struct engine_account *parent;   /* charged too; NULL: the process's budget only */
	/* why a request charged to this account was given up as busy: the
	 * account that had no room (this one, a parent or engine_budget()),
	 * and whether it was the wait that ran out; the first reason stays */
	const struct engine_account *full;
	int waited;
};

/* A 200 answer's bytes stay charged to its account when the callback
 * returns (the caller holds what was parsed); any other answer's, and a
 * cancelled request's, are given back with the request.  The caller gives
 * back what it holds with engine_account_release, once no request charged
 * to the account is on its way: then the waiting lookups may go on. */
void engine_account_release(struct engine_account *a);
/* The process's budget: for tests, metrics and telling which account had
 * no room. */
const struct engine_account *engine_budget(void);

/* GET path (already escaped; no spaces or control characters) from the
 * engine at sock_path ("/run/docker.sock" or "unix:///run/docker.sock").
 * opts may be NULL.  NULL when the request cannot even be formed (bad path,
 * out of memory): then cb never runs.  A refused or failed connection is
 * reported through cb like any other failure. */
struct engine_req *engine_get(struct event_base *base, const char *sock_path,
    const char *path, const struct engine_opts *opts, engine_cb cb, void *arg);

/* The same with another method ("GET", "POST", "DELETE") and, when body is
 * not NULL, a JSON body (Content-Length framed). */
struct engine_req *engine_request(struct event_base *base, const char *sock_path,
    const char *method, const char *path, const char *body, size_t body_len,
    const struct engine_opts *opts, engine_cb cb, void *arg);

/* Abandon a request: its callback will not run.  NULL is accepted; so is a
 * request whose callback is running (it is freed when the callback returns). */
void engine_cancel(struct engine_req *r);

/* A limited request still waiting for a connection: nothing of it has
 * reached the engine (cancelling it now undoes nothing). */
int engine_queued(const struct engine_req *r);

/* For tests and metrics: limited requests with a connection, and waiting. */
void engine_limited_stats(unsigned *active, unsigned *waiting);

#endif
