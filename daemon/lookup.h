/* lookup.h - asynchronous engine lookups the policy asks for
 * (GET /images/{name}/json, GET /containers/{id}/json, GET /volumes/{name}). */
#ifndef SOCKWARD_LOOKUP_H
#define SOCKWARD_LOOKUP_H

#include "policy/policy.h"

struct engine_account;
struct event_base;
struct lookup;

typedef void (*lookup_cb)(struct pol_lookup *lk, void *arg);

/* Start fetching lk; cb runs once with lk->done = 1 (status 0 when the
 * engine could not be asked).  NULL when it could not even start.  The
 * answer's bytes are charged to acct (engine_client.h, the lookup budget, with
 * its principal's share in shares.h; NULL: not counted); a 200's stay charged while the caller holds lk->json,
 * until it calls engine_account_release.  An answer from the cache is
 * shared, not charged (the cache is bounded on its own). */
struct lookup *lookup_start(struct event_base *base, const char *sock_path,
    struct pol_lookup *lk, struct engine_account *acct, lookup_cb cb, void *arg);
/* Tests only: the deadline (10 s) of the lookups started from now on, so
 * that one test can see a lookup's wait run out while the lookups started
 * before it keep theirs; 0 restores 10 s.  The daemon never calls it. */
void lookup_set_timeout_ms(unsigned ms);
/* Abandon a lookup; its callback will not run. */
void lookup_cancel(struct lookup *l);

/* The lookup cache: answers of container, network, exec and volume lookups
 * (200 only) are kept while the engine's event stream (GET /events on a
 * connection of its own) is up; an event forgets the answers its type can
 * change (container events: containers and execs; network and volume
 * events: their kind and containers; image events: none; anything else or
 * anything unreadable: all), a lost stream or a changed upstream forgets
 * everything, and an answer that was in flight across an event is not kept.
 * What a cached answer can be older than the engine by is the time its
 * event takes to reach us: the same order as the time between an uncached
 * lookup and the request it judged (a lookup and the request that follows it
 * are never one atomic step).  Containers and networks of tenants are
 * forwarded under the full ID the answer gave and exec IDs are never
 * reused.  Negative answers and images (a tag moves without an event this
 * cache reads) are never cached.
 * lookup_cache_configure: on starts or keeps the stream to sock_path (the
 * daemon keeps it on for every policy), off stops it; lookup_cache_stop
 * before the event base goes away. */
void lookup_cache_configure(struct event_base *base, const char *sock_path, int on);
void lookup_cache_stop(void);
/* The cached 200 answer for kind/name from the engine at sock_path: a new
 * reference, or NULL when none is held (the stream is down, the kind is not
 * cached, or no answer is kept).  Counted as a hit. */
json_t *lookup_cache_answer(const char *sock_path, enum pol_lookup_kind kind, const char *name);
/* For tests and the log: answers served from the cache, entries held, and
 * whether the event stream is up. */
void lookup_cache_stats(unsigned long *hits, size_t *entries, int *valid);

/* Build the request path for lk ("/images/<escaped>/json", "/volumes/<escaped>"). */
int lookup_path(const struct pol_lookup *lk, char *out, size_t outlen);

#endif
