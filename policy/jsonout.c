/* jsonout.c - compact JSON serialisation, identical to jansson's (see
 * jsonout.h).  tests/unit/test_policy_prepared.c compares it with
 * json_dumps on every fixture body and on strings of every kind. */
#include "policy/jsonout.h"
#include "policy/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static int
reserve(struct out *o, size_t n)
{
	if (o->failed)
		return -1;
	if (o->cap - o->len > n)
		return 0;
	size_t cap = o->cap ? o->cap : 256;
	while (cap - o->len <= n) {
		if (cap > SIZE_MAX / 2) {
			o->failed = 1;
			return -1;
		}
		cap *= 2;
	}
	char *b = realloc(o->buf, cap);
	if (b == NULL) {
		o->failed = 1;
		return -1;
	}
	o->buf = b;
	o->cap = cap;
	return 0;
}

static inline void
put(struct out *o, const char *s, size_t n)
{
	if (o->cap - o->len > n || reserve(o, n) == 0) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

static inline void
putc1(struct out *o, char c)
{
	if (o->cap - o->len > 1 || reserve(o, 1) == 0)
		o->buf[o->len++] = c;
}

/* printable ASCII but '"' and '\\': copied as is */
static const unsigned char plain[256] = {
	[' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1,
};

static void
put_string(struct out *o, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0;

	/* worst case: every byte becomes \u00XX */
	if (n > (SIZE_MAX - 2) / 6 || reserve(o, n * 6 + 2) < 0) {
		o->failed = 1;
		return;
	}
	char *w = o->buf + o->len;
	*w++ = '"';
	for (;;) {
		while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') {
			if (s[i] < 0x80) {
				i++;
				/* ASCII runs: four bytes a step */
				while (i + 4 <= n && plain[s[i]] & plain[s[i + 1]] & plain[s[i + 2]] &
				    plain[s[i + 3]])
					i += 4;
				continue;
			}
			size_t k = utf8_seq_len(s + i, n - i);
			if (k == 0) {
				o->failed = 1;
				return;
			}
			i += k;
		}
		memcpy(w, s + start, i - start);
		w += i - start;
		if (i == n)
			break;
		unsigned char c = s[i++];
		start = i;
		w = json_escape_byte(w, c, hex);
	}
	*w++ = '"';
	o->len = (size_t)(w - o->buf);
}

static void
put_int(struct out *o, json_int_t v)
{
	char tmp[24], *e = tmp + sizeof tmp, *p = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	put(o, p, (size_t)(e - p));
}

static void
put_value(struct out *o, const json_t *v, int depth)
{
	if (depth > MAX_DEPTH) {
		o->failed = 1;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		int first = 1;
		putc1(o, '{');
		for (void *it = json_object_iter((json_t *)v); it != NULL && !o->failed;
		    it = json_object_iter_next((json_t *)v, it)) {
			if (!first)
				putc1(o, ',');
			first = 0;
			put_string(o, json_object_iter_key(it), json_object_iter_key_len(it));
			putc1(o, ':');
			put_value(o, json_object_iter_value(it), depth + 1);
		}
		putc1(o, '}');
		return;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		putc1(o, '[');
		for (size_t i = 0; i < n && !o->failed; i++) {
			if (i > 0)
				putc1(o, ',');
			put_value(o, json_array_get(v, i), depth + 1);
		}
		putc1(o, ']');
		return;
	}
	case JSON_STRING:
		put_string(o, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		put_int(o, json_integer_value(v));
		return;
	case JSON_REAL: {
		/* rare (float fields): jansson's own shortest round-trip form */
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (t == NULL) {
			o->failed = 1;
			return;
		}
		put(o, t, strlen(t));
		free(t);
		return;
	}
	case JSON_TRUE:
		put(o, "true", 4);
		return;
	case JSON_FALSE:
		put(o, "false", 5);
		return;
	case JSON_NULL:
		put(o, "null", 4);
		return;
	}
	o->failed = 1;
}

char *
jsonout_compact(const json_t *v, size_t size_hint, size_t *len)
{
	struct out o = { 0 };

	if (v == NULL || reserve(&o, size_hint + 64) < 0)
		return NULL;
	put_value(&o, v, 0);
	if (reserve(&o, 1) < 0) {
		free(o.buf);
		return NULL;
	}
	o.buf[o.len] = '\0';
	*len = o.len;
	return o.buf;
}
