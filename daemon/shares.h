/* shares.h - what one principal holds of the process-wide memory budgets.
 *
 * A principal is a certificate's CN (its SANs when it has none), a unix uid or an insecure peer's
 * address: not the connection, nor the process (the identity's display
 * form names the pid of a unix client), so that opening more connections
 * or processes does not buy a bigger share.  Each budget bounds a
 * principal to half of the whole, so one client cannot take what the
 * others need: the lookup budget (engine_client.h) and the answers held to
 * filter or rewrite (response_stage.h, limits.max_held_answer_bytes). */
#ifndef SOCKWARD_SHARES_H
#define SOCKWARD_SHARES_H

#include <stddef.h>

#include "daemon/engine_client.h"

struct sw_identity;

struct share {
	struct engine_account lookup;  /* its part of the lookup budget */
	size_t held;                   /* bytes of answers held for it (response_stage.c) */
	/* the registry's */
	char key[300];
	size_t refs;
	struct share *next;
};

/* The share of the principal behind id, counted: share_put when done.
 * NULL (no identity, or out of memory) means no share of its own: the
 * process-wide budgets still bound it. */
struct share *share_get(const struct sw_identity *id);
/* One more reference to s (NULL: nothing). */
struct share *share_ref(struct share *s);
/* Drop a reference; the last one frees the share (it holds nothing then). */
void share_put(struct share *s);
/* Principals with a share now (tests). */
size_t share_count(void);

#endif
