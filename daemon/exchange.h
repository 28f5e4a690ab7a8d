/* exchange.h - one request and its answer.
 *
 * An exchange is allocated when the first byte of a request arrives and
 * freed as soon as it is recorded (one log line, one audit line, metrics):
 * an idle keep-alive connection, and a hijacked stream once its upgrade was
 * answered, carry no per-request memory.  It holds everything that belongs
 * to the request and nothing that belongs to the connection: the parsers,
 * the inspected body, the policy's scratch and decision, pending engine
 * lookups, the answer's stage, counters and timings. */
#ifndef SOCKWARD_EXCHANGE_H
#define SOCKWARD_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "daemon/conn_log.h"
#include "daemon/engine_client.h"
#include "daemon/shares.h"
#include "daemon/http_parse.h"
#include "policy/policy.h"

struct audit_log;
struct event_base;
struct evbuffer;
struct lookup;
struct response_stage;

/* warn mode holds the create answer to add warnings; bigger ones pass as is */
#define HOLD_MAX (1u << 20)
/* a tenant's list answer (images, networks, system df) is held whole to be
 * filtered; a bigger one is answered 502, never relayed unfiltered */
#define ANSWER_FILTER_MAX (8u << 20)

struct exchange {
	uint64_t id;
	struct timeval start;
	char method[16];
	char target[256];              /* for logs, truncated */
	char *long_target;             /* the whole target when that one is cut: the
	                                * audit line records it as received */
	uint64_t bytes_in, bytes_out;  /* client -> engine, engine -> client */
	unsigned head_seen : 1;        /* the request head is complete */
	unsigned inspect : 1;          /* the body is read whole and judged */
	unsigned complete : 1;         /* the parser reached the end of the request */
	unsigned keepalive : 1;        /* the client wants the connection kept */
	unsigned answer_started : 1;   /* the engine's answer began to reach the client */
	unsigned judged : 1;           /* a decision exists (dec) */
	unsigned expect_continue : 1;  /* a 100 Continue is owed before the body is read */
	unsigned audit_admitted : 1;   /* audit_ready() let it through (audit_record.admitted) */

	struct http_req req;
	struct http_resp resp;
	struct evbuffer *body;         /* inspected body, de-chunked */

	/* the policy's scratch for this request: parsed target, route, the
	 * canonical body (decoded once) and the lookups' answers (those and
	 * the decoded document only until the decision is final) */
	struct pol_prepared *pp;
	struct lookup *pending[POL_MAX_LOOKUPS];   /* indexed like policy_lookups() */
	/* the lookup budget (engine_client.h): this request's answers, charged
	 * to its principal's share too, held until the decision is final */
	struct engine_account lookup_acct;
	/* its principal's share of the budgets (shares.h; a counted reference,
	 * NULL until lookups or a stage need it) */
	struct share *share;
	void (*lookups_done)(void *arg);
	void *lookups_arg;
	struct pol_decision dec;

	/* an archive upload judged as it streams (policy_archive_*): the
	 * de-chunked body not forwarded yet (the headers of an entry not judged
	 * yet, bounded), how much of it the judge has seen, how much went on */
	struct pol_archive *archive;
	struct evbuffer *arch_hold;
	uint64_t arch_fed, arch_released;

	struct evbuffer *head_hold;    /* the answer head, until it is complete */
	struct response_stage *stage;  /* NULL: the answer is relayed as it comes */
	char reply[512];               /* what sockward answered itself, for the audit line */

	/* the quota gate (exchange_start_lookups): a request that counts a
	 * tenant's objects waits here until the one before it is over */
	struct exchange *gate_next;
	struct event_base *gate_base;
	const char *gate_upstream;
	struct event *gate_timer;      /* the wait's deadline (limits.quota_wait_ms) */
	unsigned gate_waiting : 1;
	unsigned gate_expired : 1;     /* gave up waiting: answered 503, never counted */
};

/* What a judgement needs to know about the connection and the host. */
struct judge_env {
	const struct policy *policy;
	const struct sw_identity *identity;
	const char *const *host_sockets;
	size_t nhost_sockets;
	const char *upstream;   /* the engine socket: its lookup cache answers at once */
};

struct exchange *exchange_new(uint64_t id, size_t max_head);
/* Cancels pending lookups; never records.  The memory is kept for the
 * next exchange_new() (a few of them, with the request parser's buffer). */
void exchange_free(struct exchange *x);
/* Give back what exchange_free() kept (memory trims, shutdown). */
void exchange_pool_trim(void);

/* The request head is complete: method and target are noted (for logs). */
void exchange_note_head(struct exchange *x);
/* At the request head: parse the target and match the route, once.
 * -1 when out of memory.  Sets x->inspect. */
int exchange_prepare(struct exchange *x, const struct policy *policy);
/* Judge the request; x->dec holds the outcome.  The first judgement
 * decodes the inspected body (and the raw copy is dropped: what is
 * forwarded is the canonical document); rounds after lookups only run the
 * checks again.  Once the verdict is allow or deny, the lookups' answers and
 * the decoded document are released (policy_prepared_settle): only x->dec,
 * the forwarded body and the archive settings outlive the decision. */
void exchange_judge(struct exchange *x, const struct judge_env *env);
/* Lookups the last judgement asked for. */
size_t exchange_lookups(struct exchange *x);
/* Fetch the lookups the last judgement asked for on their own engine
 * connections; done(arg) runs once when all have answered.  Returns the
 * number started (0: judge again now).  A request that counts a tenant's
 * objects first waits for the quota gate, at most gate_wait_ms: past that
 * done(arg) runs with exchange_gate_expired(x) set, nothing counted or
 * started, and the request must be refused (not judged again). */
size_t exchange_start_lookups(struct exchange *x, struct event_base *base, const char *upstream,
    const struct sw_identity *ident, long gate_wait_ms, void (*done)(void *arg), void *arg);
int exchange_gate_expired(const struct exchange *x);
/* The lookups were given up for the lookup budget (the rest are cancelled
 * and done(arg) has run): the status and Docker-form message the request
 * must be refused with (never judged without its answers, never
 * forwarded); 0 when they were not. */
int exchange_lookups_busy(const struct exchange *x, char *msg, size_t len);
void exchange_cancel_lookups(struct exchange *x);

/* The request head for the engine, with the body framing sockward chose:
 * inspected bodies go as the judged document with a Content-Length,
 * streamed ones keep the client's (validated) framing.  The inspected body
 * follows the head. */
void exchange_write_request(struct exchange *x, struct evbuffer *out);

/* Hold the answer: warn mode adds the policy's findings to it; a tenant's
 * list answer is filtered (strictly: what cannot be filtered is not
 * relayed).  exchange_attach_stage picks the one the decision asks for; what
 * it holds counts in the share of ident's principal too (shares.h). */
int exchange_wants_stage(const struct exchange *x);
int exchange_attach_stage(struct exchange *x, const struct sw_identity *ident);
/* May the held answer reach the client as the engine sent it, when the
 * stage cannot hold it any longer (limits.max_held_answer_bytes)?  0: it
 * must not (the client gets a 503 instead). */
int exchange_answer_may_pass(const struct exchange *x);

/* What sockward answered itself (a denial, a 502...). */
void exchange_set_reply(struct exchange *x, int status, const char *msg);

/* The request-target as the audit line gives it: whole (long_target when
 * the log's copy is cut). */
static inline const char *
exchange_audit_path(const struct exchange *x)
{
	return x->long_target ? x->long_target : x->target;
}

/* One log line, one audit line (when there is a trail) and the metrics.
 * outcome: "ok", "rejected", "denied", "aborted", "truncated", ...; why:
 * what ended it, the audit line's message for a request that was never
 * judged (verdict "not-judged"). */
void exchange_record(struct exchange *x, const struct conn_facts *cf, struct audit_log *audit,
    const char *outcome, const char *why);

#endif
