/* fuzz_tarscan.c - the streaming tar header reader (policy/tarscan.c).
 *
 * Input: the first byte picks a read size (1..256), the rest is the stream.
 * Invariants: fed whole and fed in reads of that size, the stream gives the
 * same entries (type, mode, size), the same end and the same safe offset;
 * the safe offset never passes what was fed and never goes back. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/tarscan.h"

struct outcome {
	unsigned entries;
	uint64_t sig;        /* a digest of the entries seen */
	enum tar_event last;
	uint64_t safe;
};

static void
run(const uint8_t *p, size_t n, size_t step, struct outcome *o)
{
	struct tarscan t;
	uint64_t fed = 0, safe = 0;

	memset(o, 0, sizeof *o);
	tarscan_init(&t);
	o->last = TAR_MORE;
	for (size_t off = 0; off < n && o->last != TAR_ERROR;) {
		size_t used, k = n - off < step ? n - off : step;
		enum tar_event ev = tarscan_feed(&t, p + off, k, &used);
		assert(used <= k);
		off += used;
		fed += used;
		uint64_t s = tarscan_safe(&t);
		assert(s <= fed && s >= safe);
		safe = s;
		if (ev == TAR_ENTRY) {
			o->entries++;
			o->sig = o->sig * 31 + (uint64_t)t.entry.type * 7 + (uint64_t)t.entry.mode * 13 +
			    (uint64_t)t.entry.size;
			assert(t.entry.size >= 0);
			tarscan_accept(&t);
			o->last = TAR_MORE;
		} else if (ev != TAR_MORE) {
			o->last = ev;
		} else {
			assert(used == k);
		}
	}
	o->safe = tarscan_safe(&t);
	tarscan_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a, b;

	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] + 1;
	run(data + 1, size - 1, size, &a);
	run(data + 1, size - 1, step, &b);
	assert(a.entries == b.entries && a.sig == b.sig && a.last == b.last && a.safe == b.safe);
	return 0;
}
