/* identity_pool.h - identities shared by the connections that have them.
 *
 * A struct sw_identity is about 5 KB (sixteen SAN slots of 256 bytes), and
 * a team gateway holds thousands of connections of a handful of identities:
 * one client certificate behind every compose service, one uid behind every
 * `docker events`.  Connections hold a counted reference to one interned
 * copy instead of a copy each. */
#ifndef SOCKWARD_IDENTITY_POOL_H
#define SOCKWARD_IDENTITY_POOL_H

#include "policy/identity.h"

/* A shared copy equal to *id (byte for byte), or NULL when out of memory.
 * The caller's *id must be zero-initialised before it was filled in, so
 * that equal identities compare equal. */
const struct sw_identity *identity_intern(const struct sw_identity *id);
void identity_release(const struct sw_identity *id);
/* Distinct identities held (for tests). */
size_t identity_pool_size(void);

#endif
