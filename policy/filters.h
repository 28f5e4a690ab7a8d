/* filters.h - the `filters` query parameter of the engine's list, prune and
 * events endpoints, read as dockerd 20.10 reads it, with one term added.
 *
 * dockerd (api/types/filters FromJSON) reads the value as
 * map[string]map[string]bool ({"label":{"a=b":true}}) and, when that does
 * not decode, as the legacy map[string][]string ({"label":["a=b"]}); an
 * empty value is no filter.  Within a key, `label` terms are ANDed
 * (MatchKVList: every term must match), so adding label=<tenant term>
 * narrows whatever the client asked for to the tenant's objects.
 *
 * The merge is pure: the client's value in, the canonical new-form JSON to
 * forward out (keys sorted, as Go marshals a map).  What dockerd would
 * refuse is refused with dockerd's text; what sockward cannot be sure it
 * reads as dockerd does (duplicate keys, NUL, invalid UTF-8) is refused
 * too, and so is a value over FILTERS_MAX bytes. */
#ifndef SOCKWARD_FILTERS_H
#define SOCKWARD_FILTERS_H

#include <stddef.h>

/* bound of the client's value and of the merged JSON */
#define FILTERS_MAX 8192

/* Merge the client's filters (the URL-decoded value; NULL or "" when
 * absent) with the term key=value.  0: *out is the merged JSON (malloc'd,
 * NUL-terminated).  -1: err holds the reason for a 400. */
int filters_merge(const char *client, size_t len, const char *key, const char *value,
    char **out, char *err, size_t errlen);

#endif
