/* fuzz_jsonin.c - the body parser and serialiser (policy/jsonin.c,
 * policy/jsonout.c) against jansson, differentially.
 *
 * Input: a request body.  Invariants: jsonin_parse accepts exactly what
 * json_loadb(REJECT_DUPLICATES | ALLOW_NUL | DECODE_ANY) accepts, except
 * that it may refuse an input holding a NUL byte (jansson drops one after
 * a number; see jsonin.h); an accepted input gives the same document
 * (json_equal) with keys in the same order, and jsonout_compact gives
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY)'s bytes.  The same for
 * jsonin_parse_flags(0) against json_loadb(0) (the engine's answers). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/jsonin.h"
#include "policy/jsonout.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char err[160];
	size_t pos, len;
	json_t *want = json_loadb(in, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, NULL);
	json_t *got = jsonin_parse(in, size, &pos, err, sizeof err);

	assert(want != NULL || got == NULL);
	assert(got != NULL || want == NULL || memchr(data, 0, size) != NULL);
	assert(got != NULL || pos <= size);
	if (want != NULL && got != NULL) {
		char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
		char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		char *c = jsonout_compact(got, size, &len);
		assert(json_equal(want, got));
		assert((a == NULL) == (c == NULL));
		assert(a == NULL || (strcmp(a, b) == 0 && strcmp(a, c) == 0 && len == strlen(a)));
		free(a);
		free(b);
		free(c);
	}
	json_decref(want);
	json_decref(got);

	/* the engine's answers (daemon/engine_client.c): json_loadb flags 0,
	 * a repeated key's last value wins, U+0000 refused, object or array */
	want = json_loadb(in, size, 0, NULL);
	got = jsonin_parse_flags(in, size, 0, &pos, err, sizeof err);
	assert(want != NULL || got == NULL);
	assert(got != NULL || want == NULL || memchr(data, 0, size) != NULL);
	assert(got != NULL || pos <= size);
	if (want != NULL && got != NULL) {
		char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
		char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		assert(json_equal(want, got));
		assert((a == NULL) == (b == NULL));
		assert(a == NULL || strcmp(a, b) == 0);
		free(a);
		free(b);
	}
	json_decref(want);
	json_decref(got);
	return 0;
}
