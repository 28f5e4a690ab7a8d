/* policy.h - the one hand-off point between the daemon and the policy engine.
 *
 * policy/ is pure: a decoded request and an identity go in, a decision comes
 * out.  It never does I/O.  When a rule needs facts only the engine knows
 * (an image's configured user, another container's settings) the decision is
 * POL_NEED_LOOKUP: the policy records what it needs in the request's
 * pol_prepared, the daemon fetches those from the engine and judges again
 * with the answers filled in.  Judging is deterministic, so the next round
 * reaches the same point and goes further.
 *
 * Flow in the daemon, per request:
 *   1. headers complete -> policy_prepare() parses the target and matches
 *      the route, once; policy_prepared_wants_body() says whether the
 *      de-chunked body is buffered (up to limits.max_body_bytes, 413 above,
 *      never forwarded).
 *   2. policy_judge() -> the first call decodes the body and keeps the
 *      canonical document; need lookup: fetch policy_lookups(), judge again
 *      (only the checks run again); allow: forward (dec->body replaces the
 *      body when set, sent with Content-Length); deny/bad request: answer
 *      dec->status with {"message": dec->message} and forward nothing.
 *   3. policy_prepared_settle() once the verdict is allow or deny (the
 *      lookups' answers and the decoded document go; the forwarded body
 *      stays), policy_prepared_free() when the request is done.
 */
#ifndef SOCKWARD_POLICY_H
#define SOCKWARD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "policy/identity.h"

struct policy;   /* immutable once loaded; shared by all requests */

struct pol_header {
	const char *name;  size_t name_len;
	const char *value; size_t value_len;
};

enum pol_lookup_kind {
	POL_LOOKUP_IMAGE,      /* GET /images/{name}/json */
	POL_LOOKUP_CONTAINER,  /* GET /containers/{name}/json */
	POL_LOOKUP_VOLUME,     /* GET /volumes/{name} */
	POL_LOOKUP_NETWORK,    /* GET /networks/{id} (full ID, name or ID prefix) */
	POL_LOOKUP_EXEC,       /* GET /exec/{id}/json */
	POL_LOOKUP_TENANT_CONTAINERS,   /* GET /containers/json?all=1 with the label
	                                   filter io.sockward.tenant=<name> (name: a tenant) */
	POL_LOOKUP_TENANT_VOLUMES,      /* GET /volumes with that label filter */
	POL_LOOKUP_SERVICE,    /* GET /services/{id} (full ID, name or ID prefix) */
	POL_LOOKUP_SECRET,     /* GET /secrets/{id} */
	POL_LOOKUP_CONFIG,     /* GET /configs/{id} */
	POL_LOOKUP_TASK,       /* GET /tasks/{id} */
	POL_LOOKUP_IMAGE_USERS,   /* an image's /etc/passwd and /etc/group (name: the
	                             image ID): read through a transient never-started
	                             container (daemon/image_users.c), cached per ID;
	                             200 with {"passwd": text|null, "group": text|null}
	                             (null: no such file), else a failure status and
	                             {"message": why} */
	POL_LOOKUP_CONTAINER_USERS,   /* the same files of a container as they are now
	                                 (name: its ID), never cached */
};

/* "image", "container", "volume": for logs, eval and the table tests */
const char *pol_lookup_kind_name(enum pol_lookup_kind kind);

#define POL_MAX_LOOKUPS 16

struct pol_lookup {
	enum pol_lookup_kind kind;
	char name[512];   /* image reference, container id/name or volume name,
	                     unescaped */
	int done;         /* daemon sets 1 once status/json are filled in */
	int status;       /* engine's HTTP status; 0 = engine unreachable */
	json_t *json;     /* parsed body when status == 200; owned by the
	                     pol_prepared it lives in (freed with it, or by
	                     policy_prepared_settle once the decision is final) */
};

/* What the daemon knows of a request besides its method and target (those
 * went to policy_prepare).  The same for every round of one request. */
struct pol_request {
	const struct pol_header *headers;
	size_t nheaders;
	int has_body;                       /* Content-Length > 0 or chunked */
	const char *body;                   /* complete de-chunked body, or NULL; read by
	                                       the first policy_judge() only */
	size_t body_len;
	const struct sw_identity *identity;
	/* Optional (may be NULL): resolve symlinks of a host path the way the
	 * engine's host sees them (realpath on the engine host).  Returns 0 and
	 * the resolved path in out, -1 when it cannot.  Bind sources are judged
	 * both as written and as resolved. */
	int (*resolve_path)(void *ctx, const char *path, char *out, size_t outlen);
	void *resolve_ctx;
	/* Optional: sockets on the engine's host that give control of it besides
	 * the profile's socket_paths: the engine socket this daemon talks to and
	 * its own unix listeners.  Mounting one (or a parent directory) is
	 * judged like mounting the docker socket. */
	const char *const *host_sockets;
	size_t nhost_sockets;
	/* Optional: an engine answer the daemon already holds (its lookup cache,
	 * kept fresh by the engine's events).  Returns a new reference to the
	 * engine's 200 answer for kind/name, or NULL when it holds none; the
	 * policy asks it before it asks for a lookup, so a request whose lookups
	 * are all held is judged in one round.  No I/O: it only reads memory. */
	json_t *(*held_answer)(void *ctx, enum pol_lookup_kind kind, const char *name);
	void *held_ctx;
};

/* How a profile acts on the rules that fire. */
enum pol_mode {
	POL_MODE_ENFORCE,   /* deny */
	POL_MODE_WARN,      /* forward; the client is told (Warnings) */
	POL_MODE_AUDIT,     /* forward; only the audit trail knows */
};

/* "enforce", "warn", "audit": the spelling of the configuration, the audit
 * trail and the metrics. */
const char *pol_mode_name(enum pol_mode m);

/* A decision names at most this many rules (one per violation recorded). */
#define POL_MAX_RULES 48

/* The stable id of a rule ("privileged", "mounts.sensitive"), as in
 * denials, audit lines, metrics labels and the configuration. */
const char *pol_rule_name(unsigned rule);

/* An answer the engine's filters cannot narrow to a tenant's objects: the
 * daemon holds it (bounded) and rewrites it with tenant_answer_filter()
 * (policy/tenant_answer.h) before the client sees a byte. */
enum pol_answer_filter {
	POL_ANSWER_NONE,
	POL_ANSWER_IMAGES,      /* GET /images/json: own and untenanted images */
	POL_ANSWER_NETWORKS,    /* GET /networks: own and the built-in bridge/host/none */
	POL_ANSWER_SYSTEM_DF,   /* GET /system/df: as above, own containers and volumes */
	POL_ANSWER_NETWORK,     /* GET /networks/{id}: a built-in network without the
	                           Containers of others (all of them: their owners are
	                           not in the answer) */
};

enum pol_verdict {
	POL_ALLOW,          /* forward (enforce mode with no violation, warn, audit) */
	POL_DENY,           /* answer status/message, forward nothing */
	POL_NEED_LOOKUP,    /* fetch policy_lookups() with done == 0, then judge again */
};

struct pol_decision {
	enum pol_verdict verdict;
	int status;          /* for POL_DENY: 400, 403, 404, 413, ... */
	char *message;       /* for POL_DENY: text of {"message": ...} */
	const char *body;    /* allow, inspected body: forward this (the canonical
	                        document that was judged) instead; points into the
	                        pol_prepared, valid until policy_prepared_free() */
	size_t body_len;
	const char *endpoint;   /* stable endpoint id, e.g. "container.create" */
	const char *profile;    /* profile that decided */
	enum pol_mode mode;     /* the deciding profile's mode */
	uint16_t rules[POL_MAX_RULES];   /* rules that fired and were not excepted, in
	                                    order, repeats kept; see pol_rule_name() */
	size_t nrules;
	char *image;            /* image the request names, or NULL */
	char *exception;        /* exception used, or NULL */
	char *exception_reason;
	char **warnings;        /* warn mode: lines to append to the response's Warnings */
	size_t nwarnings;
	const char *tenant;     /* tenant of the identity (its binding's), or NULL for
	                           an operator; points into the policy */
	char *target;           /* allow: forward this request-target instead of the
	                           client's (names resolved to full IDs, filters
	                           narrowed to the tenant), or NULL */
	enum pol_answer_filter answer_filter;   /* allow: rewrite the answer */
};

/* One configuration error: the key path it is about and what is wrong. */
struct pol_load_error {
	char path[400];      /* "policy.profiles.ci.memory_max", "policy.bindings[0].match" */
	char message[400];   /* "want a positive size like \"4g\" or a number of bytes" */
};

struct pol_load_errors {
	struct pol_load_error *v;   /* in the order found; free with pol_load_errors_free */
	size_t n;
};

/* Build a policy from the "policy" object of the configuration (NULL means
 * built-in defaults).  On error returns NULL and appends every error found
 * to *errs (which may be NULL; start it zeroed). */
struct policy *policy_load(const json_t *section, struct pol_load_errors *errs);
void pol_load_errors_free(struct pol_load_errors *errs);
void policy_free(struct policy *p);
/* 1 when a binding names a tenant (the daemon then follows the engine's
 * events to cache ownership lookups). */
int policy_has_tenants(const struct policy *p);

/* One request as the policy sees it across its rounds: the parsed target,
 * the matched route, the decoded canonical body, the lookups and their
 * answers.  Owned by the daemon's per-request state. */
struct pol_prepared;

/* At the request head: parse the target and match the route, once.  NULL
 * only when out of memory.  p may be NULL (routes do not depend on it). */
struct pol_prepared *policy_prepare(const struct policy *p, const char *method,
    const char *target);

/* Must the body be read whole and judged?  (1 for a NULL pp: read it, the
 * judgement will tell.) */
int policy_prepared_wants_body(const struct pol_prepared *pp);

/* Judge the request.  Always fills *dec; release it with
 * policy_decision_free.  The first call decodes and canonicalises the body
 * (req->body); later rounds, after lookups, reuse that document and only run
 * the checks again, so the caller may discard its raw body after the first
 * call. */
void policy_judge(const struct policy *p, struct pol_prepared *pp,
    const struct pol_request *req, struct pol_decision *dec);

/* The lookups the judgements asked for (verdict POL_NEED_LOOKUP): fetch each
 * with done == 0, fill in done/status/json, judge again.  The array stays
 * where it is until policy_prepared_free (lookups in flight may point at it). */
size_t policy_lookups(struct pol_prepared *pp, struct pol_lookup **out);

/* Frees the canonical body (dec->body points into it) and the lookups' json. */
void policy_prepared_free(struct pol_prepared *pp);

/* The decision is final (POL_ALLOW or POL_DENY) and no lookup is on its
 * way: drop what only the judgement reads, the lookups' answers and the
 * decoded document with its arena.  An allowed request lives as long as its
 * answer (docker logs -f, events, a long pull) and an engine answer may be
 * 4 MiB of JSON, 16 lookups a request, each ~10 times that once parsed:
 * held to the end, they were the largest memory of a stream, unbounded by
 * limits.max_buffer_bytes.  What follows the decision keeps working:
 * dec->body (the serialised document, a copy of its own), dec's own
 * strings, policy_archive_wanted/begin, the lookups' kinds, names and
 * statuses (their json becomes NULL).  A policy_judge() of pp afterwards
 * denies (500): it never judges without the answers it asked for.  pp
 * still goes to policy_prepared_free().  NULL is ignored. */
void policy_prepared_settle(struct pol_prepared *pp);

/* For tests: the parsed JSON trees pp holds (lookup answers and the decoded
 * document). */
size_t policy_prepared_trees(const struct pol_prepared *pp);

/* For tests: how many times the body was decoded (at most 1 per request). */
unsigned policy_prepared_decodes(const struct pol_prepared *pp);

void policy_decision_free(struct pol_decision *dec);

/* ---- archive uploads (PUT /containers/{id}/archive, docker cp into a container) ----
 *
 * The body is a tar stream of any length, judged entry by entry as it
 * streams (rule archive.special_files) instead of being read whole.  After
 * an allowing policy_judge(), policy_archive_begin() says whether the body
 * is judged; the daemon then feeds the de-chunked body through
 * policy_archive_feed() and forwards only the first policy_archive_safe()
 * bytes: the headers of an entry are held until that entry is judged (at
 * most a header block, 64 KiB of PAX records and 64 KiB of GNU long names),
 * data is not held.  On POL_ARCHIVE_DENY dec has become the denial (403,
 * message, rule): nothing from policy_archive_safe() on may reach the
 * engine, whose connection must be aborted so that it sees an incomplete
 * archive.  In warn and audit mode a bad entry passes and dec records the
 * rule. */
struct pol_archive;
enum pol_archive_verdict { POL_ARCHIVE_OK, POL_ARCHIVE_DENY };

/* NULL when the request's body is not judged as an archive (another
 * endpoint, the rule off or excepted for the identity, or no memory: check
 * policy_archive_wanted()). */
struct pol_archive *policy_archive_begin(const struct pol_prepared *pp);
int policy_archive_wanted(const struct pol_prepared *pp);
enum pol_archive_verdict policy_archive_feed(struct pol_archive *a, const void *buf, size_t len,
    struct pol_decision *dec);
/* Bytes from the start of the body that may be forwarded now. */
uint64_t policy_archive_safe(const struct pol_archive *a);
/* Bytes that may come next and go on unseen (the data of an accepted
 * entry, what follows the end of the archive; UINT64_MAX when the rest of
 * the body goes unjudged), for the daemon to move without copying them;
 * then policy_archive_skip() with what went (at most this), as if it had
 * been fed.  0 while a header is being read or after a denial. */
uint64_t policy_archive_skippable(const struct pol_archive *a);
void policy_archive_skip(struct pol_archive *a, uint64_t n);
/* The body is complete: everything fed may go (unless this denies). */
enum pol_archive_verdict policy_archive_end(struct pol_archive *a, struct pol_decision *dec);
void policy_archive_free(struct pol_archive *a);
/* A tenant's container create or rename answered 409 by the engine: the
 * message names the container that has the name by its ID, which may be
 * another tenant's (the name was taken after sockward looked).  Returns the
 * body to send instead (malloc'd JSON, the ID left out), or NULL to relay
 * the answer as it is. */
char *policy_tenant_conflict_body(const char *body, size_t len);

/* dec's rules as one "id,id" text for a log line (never parsed back); "" when
 * none fired.  Returns the length written (what fits of it). */
#define POL_RULES_TEXT_MAX (POL_MAX_RULES * 32)
size_t pol_rules_join(const struct pol_decision *dec, char *out, size_t outlen);

#endif
