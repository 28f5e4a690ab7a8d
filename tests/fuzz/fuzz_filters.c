/* fuzz_filters.c - filters_merge (policy/filters.c): the client's `filters`
 * value merged with the tenant's label term.
 *
 * Input: the URL-decoded value.  Invariants: refused iff no output, with a
 * message; the output is at most FILTERS_MAX bytes of JSON in dockerd's new
 * form (object of objects of booleans) whose "label" set holds the tenant's
 * term as true; every key and term of the input is kept (the merge only
 * narrows); merging the output again gives it back unchanged. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/filters.h"

#define TERM "io.sockward.tenant=fuzz"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "", *out = NULL, *again = NULL;
	int rc = filters_merge((const char *)data, size, "label", TERM, &out, err, sizeof err);

	if (rc != 0) {
		assert(rc == -1 && out == NULL && err[0] != '\0');
		return 0;
	}
	assert(out != NULL && strlen(out) <= FILTERS_MAX);
	json_t *doc = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
	assert(json_is_object(doc));
	const char *k, *t;
	json_t *set, *b;
	json_object_foreach(doc, k, set) {
		assert(json_is_object(set));
		json_object_foreach(set, t, b)
			assert(json_is_boolean(b));
	}
	assert(json_is_true(json_object_get(json_object_get(doc, "label"), TERM)));
	/* the input's keys and terms (when it is an object of objects) survive */
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(in)) {
		json_object_foreach(in, k, set) {
			assert(json_object_get(doc, k) != NULL);
			if (json_is_object(set))
				json_object_foreach(set, t, b)
					assert(json_object_get(json_object_get(doc, k), t) != NULL);
		}
	}
	json_decref(in);
	assert(filters_merge(out, strlen(out), "label", TERM, &again, err, sizeof err) == 0);
	assert(strcmp(out, again) == 0);
	json_decref(doc);
	free(out);
	free(again);
	return 0;
}
