/* tenant_answer.h - the answers a label filter cannot narrow to a tenant,
 * rewritten (pure: parsed answer in, filtered answer out).
 *
 *   images (GET /images/json): the tenant's images and the untenanted ones
 *     (shared for use); images of other tenants are dropped.
 *   networks (GET /networks): the tenant's networks and the built-in
 *     bridge, host and none; every other network is dropped.
 *   system df (GET /system/df): Images as above, Containers and Volumes the
 *     tenant's only, BuildCache empty (it belongs to no tenant), LayersSize
 *     the sum of the Size of the images kept.
 *   network (GET /networks/{id}): the tenant's own as it is; a built-in
 *     one with an empty Containers (whose they are is not in the answer).
 *
 * An answer that is not the shape dockerd 20.10 gives (an element that is
 * not an object, Labels that are not an object of strings) is refused:
 * NULL, and the daemon answers 502 rather than relay it unfiltered. */
#ifndef SOCKWARD_TENANT_ANSWER_H
#define SOCKWARD_TENANT_ANSWER_H

#include <stddef.h>

#include <jansson.h>

#include "policy/policy.h"

/* A new reference to the filtered answer, or NULL (err says why). */
json_t *tenant_answer_filter(enum pol_answer_filter kind, const char *tenant,
    const json_t *answer, char *err, size_t errlen);

/* "images", "networks", "system df": for messages */
const char *tenant_answer_name(enum pol_answer_filter kind);

#endif
