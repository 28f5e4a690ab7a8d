/* identity_parse.h - parse "cn=alice" / "uid=1000,gid=1000" / ... */
#ifndef SOCKWARD_IDENTITY_PARSE_H
#define SOCKWARD_IDENTITY_PARSE_H

#include <stddef.h>

#include "policy/identity.h"

/* 0 ok; -1 with a reason.  An empty string gives SW_ID_NONE. */
int sw_identity_parse(const char *s, struct sw_identity *id, char *err, size_t errlen);

#endif
