/* fuzz_tarscan.c - the streaming tar header reader (policy/tarscan.c).
 *
 * Input: the first byte picks a read size (1..256), the rest is the stream.
 * Invariants: fed whole, fed in reads of that size, and fed so with what
 * tarscan_skippable() allows skipped instead (up to three reads' worth at
 * once), the stream gives the same entries (type, mode, size), the same end
 * and the same safe offset; the safe offset never passes what was fed and
 * never goes back; nothing is skippable while an entry waits for its
 * judgement. */
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
run(const uint8_t *p, size_t n, size_t step, int skip, struct outcome *o)
{
	struct tarscan t;
	uint64_t fed = 0, safe = 0;

	memset(o, 0, sizeof *o);
	tarscan_init(&t);
	o->last = TAR_MORE;
	for (size_t off = 0; off < n && o->last != TAR_ERROR;) {
		uint64_t can = skip ? tarscan_skippable(&t) : 0;
		if (can > 0) {
			uint64_t k = can < 3 * (uint64_t)step ? can : 3 * (uint64_t)step;
			if (k > n - off)
				k = n - off;
			tarscan_skip(&t, k);
			off += (size_t)k;
			fed += k;
			uint64_t s = tarscan_safe(&t);
			assert(s <= fed && s >= safe);
			safe = s;
			continue;
		}
		size_t used, k = n - off < step ? n - off : step;
		enum tar_event ev = tarscan_feed(&t, p + off, k, &used);
		assert(used <= k);
		off += used;
		fed += used;
		uint64_t s = tarscan_safe(&t);
		assert(s <= fed && s >= safe);
		safe = s;
		if (ev == TAR_ENTRY) {
			assert(tarscan_skippable(&t) == 0);
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
	struct outcome a, b, c;

	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] + 1;
	run(data + 1, size - 1, size, 0, &a);
	run(data + 1, size - 1, step, 0, &b);
	run(data + 1, size - 1, step, 1, &c);
	assert(a.entries == b.entries && a.sig == b.sig && a.last == b.last && a.safe == b.safe);
	assert(a.entries == c.entries && a.sig == c.sig && a.last == c.last && a.safe == c.safe);
	return 0;
}
