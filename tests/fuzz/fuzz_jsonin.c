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

/* jansson's verdict (want) against jsonin's (got) for one input: the same
 * acceptance (jsonin may refuse a NUL jansson's stream drops), the same
 * document, the same compact text; with serialise, jsonout's text too.
 * Both documents are released. */
static void
same(json_t *want, json_t *got, const uint8_t *data, size_t size, size_t pos, int serialise)
{
	size_t len;

	assert(want != NULL || got == NULL);
	assert(got != NULL || want == NULL || memchr(data, 0, size) != NULL);
	assert(got != NULL || pos <= size);
	if (want != NULL && got != NULL) {
		char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
		char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		char *c = serialise ? jsonout_compact(got, size, &len) : NULL;
		assert(json_equal(want, got));
		assert((a == NULL) == (b == NULL));
		assert(a == NULL || strcmp(a, b) == 0);
		if (serialise) {
			assert((a == NULL) == (c == NULL));
			assert(a == NULL || (strcmp(a, c) == 0 && len == strlen(a)));
		}
		free(a);
		free(b);
		free(c);
	}
	json_decref(want);
	json_decref(got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char err[160];
	size_t pos;

	/* request bodies: REJECT_DUPLICATES | ALLOW_NUL | DECODE_ANY */
	json_t *want = json_loadb(in, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, NULL);
	json_t *got = jsonin_parse(in, size, &pos, err, sizeof err);
	same(want, got, data, size, pos, 1);

	/* the engine's answers (daemon/engine_client.c): json_loadb flags 0,
	 * a repeated key's last value wins, U+0000 refused, object or array */
	want = json_loadb(in, size, 0, NULL);
	got = jsonin_parse_flags(in, size, 0, &pos, err, sizeof err);
	same(want, got, data, size, pos, 0);
	return 0;
}
