/* lookup.h - asynchronous engine lookups the policy asks for
 * (GET /images/{name}/json, GET /containers/{id}/json, GET /volumes/{name}). */
#ifndef SOCKWARD_LOOKUP_H
#define SOCKWARD_LOOKUP_H

#include "policy/policy.h"

struct event_base;
struct lookup;

typedef void (*lookup_cb)(struct pol_lookup *lk, void *arg);

/* Start fetching lk; cb runs once with lk->done = 1 (status 0 when the
 * engine could not be asked).  NULL when it could not even start. */
struct lookup *lookup_start(struct event_base *base, const char *sock_path,
    struct pol_lookup *lk, lookup_cb cb, void *arg);
/* Abandon a lookup; its callback will not run. */
void lookup_cancel(struct lookup *l);

/* Build the request path for lk ("/images/<escaped>/json", "/volumes/<escaped>"). */
int lookup_path(const struct pol_lookup *lk, char *out, size_t outlen);

#endif
