/* tenant_lists.h - what an identity with a tenant sees of the engine's
 * lists, events and prunes.
 *
 * Lists, prunes and the events stream that dockerd can filter by label get
 * the tenant's term label=io.sockward.tenant=<tenant> merged into the
 * client's `filters` (policy/filters.h): the request is forwarded with that
 * request-target, every other parameter as sent.  Lists a label filter
 * cannot express (images: own and untenanted; networks: own and the
 * built-in ones; system df) are forwarded as sent and their answer is
 * rewritten (policy/tenant_answer.h).  Operations on what no tenant owns
 * (the build cache) are refused. */
#ifndef SOCKWARD_TENANT_LISTS_H
#define SOCKWARD_TENANT_LISTS_H

#include <stddef.h>

#include "policy/policy.h"
#include "policy/prepared.h"

enum tenant_lists_result {
	TL_PASS,        /* nothing to narrow, or dec->target/answer_filter set */
	TL_BAD_FILTERS, /* why: the client's filters cannot be read (400) */
	TL_REFUSED,     /* why: not attributable to a tenant (403, tenant.isolation) */
	TL_NOMEM,
};

enum tenant_lists_result tenant_lists(const struct pol_prepared *pp, const char *tenant,
    struct pol_decision *dec, char *why, size_t whylen);

/* Build target with its query parameter `filters` (every occurrence,
 * however its key is escaped) replaced by one carrying value; every other
 * byte as in target.  NULL when out of memory. */
char *tenant_target_with_filters(const char *target, const char *value);

#endif
