/* prepared.h - struct pol_prepared: what policy_prepare() works out once per
 * request and every round of policy_judge() reuses.  Private to policy/. */
#ifndef SOCKWARD_PREPARED_H
#define SOCKWARD_PREPARED_H

#include <jansson.h>

#include "policy/arena.h"
#include "policy/gotypes.h"
#include "policy/policy.h"
#include "policy/reqtarget.h"
#include "policy/routes.h"

enum body_state {
	BODY_PENDING,    /* not decoded yet: the first judgement does it */
	BODY_READY,      /* doc/body hold the canonical document (NULL: no body) */
	BODY_REFUSED,    /* cannot be judged: every round repeats the denial */
};

struct pol_prepared {
	char *method;
	int target_ok;                      /* 0: target_err says why */
	char target_err[160];
	const struct route *route;          /* NULL: unknown endpoint */
	char name[ROUTE_MAX_NAME];          /* the route's wildcard: container id, image;
	                                       whole, never cut (routes.h) */

	/* Decoded once, by the first judgement that gets that far.  The checks
	 * only read doc (const in struct check_ctx), so every round judges the
	 * very document that is forwarded. */
	enum body_state body_state;
	json_t *doc;                        /* canonical document */
	struct arena arena;                 /* where doc was built (policy/arena.h);
	                                       released after doc */
	char *body;                         /* its serialisation: what is forwarded */
	size_t body_len;
	int refused_status;
	char refused_message[1024];
	unsigned decodes;

	/* PUT /containers/{id}/archive: whether and how the upload's tar
	 * stream is judged (check_archive; policy_archive_begin reads it) */
	int archive_judge;
	enum pol_mode archive_mode;
	char archive_prefix[400];           /* "sockward: denied by policy 'x' for y: " */
	char *raw_target;                   /* the client's request-target, as sent */
	char *fwd_body;                     /* a tenant's request: the judged document
	                                       with its labels stamped; forwarded */
	size_t fwd_body_len;
	int settled;                        /* policy_prepared_settle: the answers and
	                                       the document are gone, no more judging */

	struct pol_lookup lookups[POL_MAX_LOOKUPS];
	/* the document's HostConfig indexed by the decoder for the checks
	 * (gotypes.h); not zeroed per request: hcix.obj is reset */
	struct godec_index hcix;
	size_t nlookups;

	struct reqtarget rt;                /* parsed target; last, it is the big one */
};

/* A name is part of the decoded path: it always fits whole. */
_Static_assert(ROUTE_MAX_NAME >= RT_MAX_PATH, "pol_prepared.name must hold any path's name whole");

#endif
