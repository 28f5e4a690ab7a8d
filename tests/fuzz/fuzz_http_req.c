/* fuzz_http_req.c - the request parser glue, driven as sess_parse_client does.
 *
 * Input: 4 control bytes, then the client's byte stream.
 *   ctl[0]  seed of the read splitter (which sizes the reads come in)
 *   ctl[1]  bit 0-1: head limit (256, 1024, 8192, 65536)
 *           bit 2-3: body capture: never, always, only for odd requests,
 *                    only for requests with a Content-Type
 *           bit 4-5: body capture cap (0, 16, 1024, 1 MiB)
 *   ctl[2..3] more splitter seed
 *
 * The stream is parsed twice: split at the chosen points and in the largest
 * reads the session would use.  Both must tell the same story (requests,
 * heads, captured bodies, where it ends): a parse that depends on how TCP
 * happened to cut the bytes is a smuggling hazard.  Along the way every
 * head is checked: offsets inside the buffer, the URL terminated, header
 * lookups agreeing with the header table. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/http_parse.h"

struct transcript {
	char *s;
	size_t len, cap;
};

static void
tr_add(struct transcript *t, const void *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t nc = t->cap ? t->cap : 1024;
		while (nc < t->len + n + 1)
			nc *= 2;
		t->s = realloc(t->s, nc);
		assert(t->s != NULL);
		t->cap = nc;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = 0;
}

static void
tr_str(struct transcript *t, const char *s)
{
	tr_add(t, s, strlen(s));
}

/* xorshift: the read sizes come from the control bytes, so a crash replays. */
static uint32_t
next_rand(uint32_t *st)
{
	uint32_t x = *st ? *st : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	return x;
}

static void
check_head(const struct http_req *r, struct transcript *t)
{
	char line[64];

	assert(r->len <= r->max_head);
	assert(r->buf != NULL);
	assert(r->len <= r->cap);
	const char *url = http_req_url(r);
	assert(url == r->buf + r->url_off);
	assert((size_t)r->url_off + r->url_len < r->len);   /* NUL after it */
	assert(url[r->url_len] == '\0');
	const char *m = http_req_method(r);
	assert(m != NULL);
	tr_str(t, "H ");
	tr_str(t, m);
	tr_str(t, " ");
	tr_add(t, url, r->url_len);
	snprintf(line, sizeof line, " n=%zu\n", r->nhdr);
	tr_str(t, line);
	assert(r->nhdr <= REQ_MAX_HEADERS);
	for (size_t i = 0; i < r->nhdr; i++) {
		const struct req_header *h = &r->hdr[i];
		assert((size_t)h->name_off + h->name_len <= r->len);
		assert((size_t)h->val_off + h->val_len <= r->len);
		assert(h->name_len > 0);
		tr_add(t, r->buf + h->name_off, h->name_len);
		tr_str(t, ": ");
		tr_add(t, r->buf + h->val_off, h->val_len);
		tr_str(t, "\n");
		/* the lookup by this name finds this header or an earlier one of that name */
		char name[256];
		if (h->name_len < sizeof name && memchr(r->buf + h->name_off, 0, h->name_len) == NULL) {
			memcpy(name, r->buf + h->name_off, h->name_len);
			name[h->name_len] = 0;
			size_t vl = (size_t)-1;
			const char *v = http_req_header(r, name, &vl);
			assert(v != NULL && vl != (size_t)-1);
			assert(v >= r->buf && v + vl <= r->buf + r->len);
		}
	}
	static const char *const names[] = { "Content-Type", "Content-Length", "Transfer-Encoding",
		"Host", "Connection", "Upgrade", "Expect", "" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t vl = 0;
		const char *v = http_req_header(r, names[i], &vl);
		if (v != NULL)
			assert(v >= r->buf && v + vl <= r->buf + r->len);
	}
	snprintf(line, sizeof line, "ka=%d up=%d ch=%d cl=%llu hb=%d\n", http_req_keepalive(r),
	    http_req_upgrade(r), http_req_chunked(r),
	    (unsigned long long)http_req_content_length(r), http_req_has_body(r));
	tr_str(t, line);
}

static int
wants_capture(int mode, int nreq, const struct http_req *r)
{
	switch (mode) {
	case 0: return 0;
	case 1: return 1;
	case 2: return nreq & 1;
	default: return http_req_header(r, "Content-Type", NULL) != NULL;
	}
}

/* One pass over the stream.  split_seed 0 means "as large as allowed". */
static void
run(const uint8_t *data, size_t size, uint8_t opts, uint32_t split_seed, struct transcript *t)
{
	static const size_t heads[] = { 256, 1024, 8192, 65536 };
	static const size_t caps[] = { 0, 16, 1024, 1u << 20 };
	size_t max_head = heads[opts & 3];
	int cap_mode = (opts >> 2) & 3;
	size_t body_cap = caps[(opts >> 4) & 3];
	enum { HEAD, BODY } st = HEAD;
	struct http_req r;
	struct evbuffer *body = evbuffer_new();
	int capturing = 0, nreq = 0;
	uint64_t head_cl = 0;   /* llhttp counts content_length down as it reads */
	size_t off = 0, iter = 0;
	char line[96];

	assert(body != NULL);
	http_req_init(&r, max_head);
	while (off < size) {
		assert(++iter < 4 * size + 16);   /* every round makes progress */
		size_t len = size - off;
		if (split_seed != 0) {
			uint32_t x = next_rand(&split_seed);
			size_t want = (x & 3) == 0 ? 1 + (x >> 8) % 4 : 1 + (x >> 8) % 97;
			if (want < len)
				len = want;
		}
		if (st == HEAD) {
			/* never let one execute run past the head limit */
			size_t room = r.max_head - r.head_bytes + 1;
			if (len > room)
				len = room;
		}
		size_t used = 0;
		const char *chunk = (const char *)data + off;
		enum parse_result res = http_req_feed(&r, chunk, len, &used);
		assert(used <= len);
		if (res == PARSE_MORE)
			assert(used == len);
		off += used;
		if (st == HEAD) {
			r.head_bytes += used;
			if (res == PARSE_MORE && r.head_bytes > r.max_head) {
				tr_str(t, "E head limit\n");
				break;
			}
		}
		if (res == PARSE_HEADERS) {
			check_head(&r, t);
			nreq++;
			head_cl = http_req_content_length(&r);
			if (http_req_has_body(&r) && wants_capture(cap_mode, nreq, &r)) {
				if (http_req_content_length(&r) > body_cap) {
					tr_str(t, "E 413\n");   /* the session answers 413 up front */
					break;
				}
				capturing = 1;
				http_req_resume(&r, body, body_cap);
				st = BODY;
				continue;
			}
			capturing = 0;
			http_req_resume(&r, NULL, 0);
			st = BODY;
			if (!http_req_has_body(&r)) {
				size_t u0 = 99;
				res = http_req_feed(&r, "", 0, &u0);
				assert(u0 == 0);
				if (res != PARSE_DONE) {
					/* the session answers 400 and closes */
					tr_str(t, "E bodyless\n");
					break;
				}
			} else {
				continue;
			}
		}
		if (res == PARSE_DONE) {
			size_t bl = evbuffer_get_length(body);
			snprintf(line, sizeof line, "D cap=%d len=%zu\n", capturing, bl);
			tr_str(t, line);
			if (capturing) {
				assert(bl <= body_cap);
				if (!http_req_chunked(&r))
					assert(bl == head_cl);
				unsigned char *b = evbuffer_pullup(body, -1);
				if (bl)
					tr_add(t, b, bl);
				tr_str(t, "\n");
			} else {
				assert(bl == 0);
			}
			evbuffer_drain(body, bl);
			if (http_req_upgrade(&r)) {
				tr_str(t, "U\n");   /* the rest is a raw stream */
				break;
			}
			http_req_next(&r);
			st = HEAD;
			capturing = 0;
			continue;
		}
		if (res == PARSE_ERROR) {
			assert(r.error[0] != 0);
			/* the reason may differ with the split (where llhttp stopped);
			 * that it is an error, and after which message, may not */
			tr_str(t, "E\n");
			break;
		}
	}
	snprintf(line, sizeof line, "END st=%d\n", (int)st);
	tr_str(t, line);
	http_req_free(&r);
	evbuffer_free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint8_t opts = data[1];
	uint32_t seed = (uint32_t)data[0] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 | 1u << 24;
	struct transcript split = { 0 }, whole = { 0 };
	run(data + 4, size - 4, opts, seed, &split);
	run(data + 4, size - 4, opts, 0, &whole);
	if (split.len != whole.len || memcmp(split.s, whole.s, split.len) != 0) {
		fprintf(stderr, "split-dependent parse\n--- split:\n%s\n--- whole:\n%s\n", split.s,
		    whole.s);
		abort();
	}
	free(split.s);
	free(whole.s);
	return 0;
}
