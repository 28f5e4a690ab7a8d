/* fuzz_config.c - config_load_text (and with it jsonpos and policy_load on
 * whatever "policy" section the text has), plus jsonpos directly.
 *
 * Input: the configuration text.  Invariants: a config comes back iff no
 * error was reported; every error is a NUL-terminated line naming the file;
 * jsonpos answers every lookup with either a 1-based position or 0/0. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/jsonpos.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct config_errors errs;

	memset(&errs, 0, sizeof errs);
	struct sw_config *c = config_load_text("fuzz.json", text, size, &errs);
	assert((c == NULL) == (errs.n > 0));
	for (size_t i = 0; i < errs.n; i++) {
		assert(memchr(errs.v[i].text, 0, sizeof errs.v[i].text) != NULL);
		assert(strncmp(errs.v[i].text, "fuzz.json", 9) == 0);
	}
	config_errors_free(&errs);
	if (c != NULL) {
		assert(c->policy != NULL);
		config_unref(c);
	}

	static const char *const paths[] = { "", "policy", "policy.profiles", "listeners[0]",
		"listeners[0].mode", "limits.max_body_bytes", "policy.profiles.ci.rules[0]",
		"a.b.c[3]", "[0]", "a[", "a[99999999999999999999]", "." };
	struct jsonpos *jp = jsonpos_scan(text, size);
	assert(jp != NULL);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		int line = -1, col = -1;
		int r = jsonpos_lookup(jp, paths[i], &line, &col);
		assert(r == 0 ? line >= 1 && col >= 1 : r == -1 && line == 0 && col == 0);
		line = col = -1;
		r = jsonpos_lookup_value(jp, paths[i], &line, &col);
		assert(r == 0 ? line >= 1 && col >= 1 : r == -1 && line == 0 && col == 0);
		line = col = -1;
		r = jsonpos_locate(jp, paths[i], &line, &col);
		assert(r >= 0 ? line >= 1 && col >= 1 : r == -1 && line == 0 && col == 0);
	}
	(void)jsonpos_count(jp);
	jsonpos_free(jp);
	return 0;
}
