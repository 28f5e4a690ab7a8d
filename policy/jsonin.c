/* jsonin.c - strict one-pass JSON parser building jansson values (see
 * jsonin.h). */
#include "policy/jsonin.h"
#include "policy/gotypes.h"
#include "policy/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_DEPTH 2048   /* jansson's JSON_PARSER_MAX_DEPTH */
/* the decoder's bound (gotypes.c MAX_DEPTH, its levels counted from 0) with
 * a level to spare: a deeper value is left to the decoder */
#define TYPED_MAX_DEPTH 32

/* Reading a body as its Go type (jsonin_parse_typed): ok while the
 * document is what the decoder would give back unchanged (gotypes.h) */
struct typing {
	int ok;
	struct godec_index *ix;
	int ix_taken;          /* the first ix->st object was met */
	unsigned top_tables;   /* the top-level struct's (gomatch) */
};

struct in {
	const unsigned char *s, *end, *p;
	char *scratch;          /* decoded strings with escapes */
	size_t scratch_cap;
	char *err;
	size_t errlen;
	int failed;
	const unsigned char *errat;
	size_t flags;           /* JSON_REJECT_DUPLICATES, JSON_ALLOW_NUL, JSON_DECODE_ANY */
	/* set when the value's bytes may not be what jsonout_compact writes for
	 * the document: white space between tokens, an escape in a string, a
	 * real, -0, a repeated key (see jsonin_parse_canonical) */
	int noncanon;
	/* "" and 0, made once per document and shared by every place that holds
	 * one (a docker CLI create body has ~20 of each; jansson never changes a
	 * string or an integer in place, and nothing here does) */
	json_t *empty, *zero;
	struct typing *ty;      /* NULL: not reading as a type */
};

static json_t *
bad(struct in *in, const unsigned char *at, const char *what)
{
	if (!in->failed) {
		in->failed = 1;
		in->errat = at;
		snprintf(in->err, in->errlen, "%s", what);
	}
	return NULL;
}

static void
skip_ws_run(struct in *in)
{
	const unsigned char *p = in->p;

	while (p < in->end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	if (p != in->p) {
		in->noncanon = 1;
		in->p = p;
	}
}

/* JSON's whitespace is all <= ' ': one compare, inline, for a compact body */
static inline void
skip_ws(struct in *in)
{
	if (in->p < in->end && *in->p <= ' ')
		skip_ws_run(in);
}

static int
hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xc0 | cp >> 6);
		w[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xe0 | cp >> 12);
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		w[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | cp >> 18);
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	w[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* printable ASCII but '"' and '\\': nothing to check or decode */
static const unsigned char plain[256] = {
	[' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1,
};

/* A string at in->p (on the opening quote): its bytes in *out (pointing
 * into the input when it has no escape, else into the scratch buffer). */
static int
scan_string(struct in *in, const char **out, size_t *outlen)
{
	const unsigned char *start = ++in->p, *p = start, *end = in->end;

	/* fast path: no escape */
	for (;;) {
#ifdef __SSE2__
		/* sixteen bytes a step while they are all printable ASCII other
		 * than '"' and '\\' (or DEL): the first that is not ends it, on it
		 * (most strings: one step to the closing quote); the last bytes
		 * four at a time */
		for (;;) {
			if (end - p < 16) {
				while (end - p >= 4 && plain[p[0]] & plain[p[1]] & plain[p[2]] & plain[p[3]])
					p += 4;
				break;
			}
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* signed: control bytes and every byte >= 0x80 are < 0x20 */
			__m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
			unsigned m = (unsigned)_mm_movemask_epi8(stop);
			if (m != 0) {
				p += __builtin_ctz(m);
				break;
			}
			p += 16;
		}
#else
		/* ASCII runs: four bytes a step */
		while (end - p >= 4 && plain[p[0]] & plain[p[1]] & plain[p[2]] & plain[p[3]])
			p += 4;
#endif
		if (p >= end) {
			bad(in, p, "premature end of input in a string");
			return -1;
		}
		unsigned c = *p;
		if (c == '"') {
			*out = (const char *)start;
			*outlen = (size_t)(p - start);
			in->p = p + 1;
			return 0;
		}
		if (c == '\\')
			break;
		if (c < 0x20) {
			bad(in, p, "control character in a string");
			return -1;
		}
		if (c < 0x80)
			p++;
		else {
			size_t k = utf8_seq_len(p, (size_t)(end - p));
			if (k == 0) {
				bad(in, p, "invalid UTF-8");
				return -1;
			}
			p += k;
		}
	}
	/* escapes: decoded into scratch (never longer than the raw text); the
	 * serialiser may escape otherwise ("\/", "\u00e9", "\u003c") */
	in->noncanon = 1;
	size_t need = (size_t)(end - start) + 1;
	if (need > in->scratch_cap) {
		char *s = realloc(in->scratch, need);
		if (s == NULL) {
			bad(in, p, "out of memory");
			return -1;
		}
		in->scratch = s;
		in->scratch_cap = need;
	}
	char *w = in->scratch;
	memcpy(w, start, (size_t)(p - start));
	w += p - start;
	for (;;) {
		if (p >= end) {
			bad(in, p, "premature end of input in a string");
			return -1;
		}
		unsigned c = *p;
		if (c == '"')
			break;
		if (c < 0x20) {
			bad(in, p, "control character in a string");
			return -1;
		}
		if (c >= 0x80) {
			size_t k = utf8_seq_len(p, (size_t)(end - p));
			if (k == 0) {
				bad(in, p, "invalid UTF-8");
				return -1;
			}
			memcpy(w, p, k);
			w += k;
			p += k;
			continue;
		}
		if (c != '\\') {
			*w++ = (char)c;
			p++;
			continue;
		}
		if (p + 1 >= end) {
			bad(in, p, "premature end of input in a string");
			return -1;
		}
		const unsigned char *esc = p;
		p += 2;
		switch (esc[1]) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(p, end, &cp) < 0) {
				bad(in, esc, "invalid \\u escape");
				return -1;
			}
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					bad(in, esc, "invalid Unicode (a lone surrogate)");
					return -1;
				}
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				bad(in, esc, "invalid Unicode (a lone surrogate)");
				return -1;
			}
			w += put_utf8(w, cp);
			break;
		}
		default:
			bad(in, esc, "invalid escape");
			return -1;
		}
	}
	*out = in->scratch;
	*outlen = (size_t)(w - in->scratch);
	in->p = p + 1;
	return 0;
}

static json_t *
scan_number(struct in *in)
{
	const unsigned char *start = in->p, *p = in->p, *end = in->end;
	int real = 0;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return bad(in, start, "invalid token (a leading zero)");
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else
		return bad(in, start, "invalid token");
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return bad(in, start, "invalid token");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		real = 1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return bad(in, start, "invalid token");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		real = 1;
	}
	in->p = p;
	if (!real) {
		/* accumulate negatively: -9223372036854775808 fits */
		const unsigned char *d = start + (*start == '-');
		int neg = *start == '-';
		int64_t v = 0;
		for (; d < p; d++) {
			int digit = *d - '0';
			if (v < (INT64_MIN + digit) / 10)
				return bad(in, start, neg ? "too big negative integer" : "too big integer");
			v = v * 10 - digit;
		}
		if (neg && v == 0)
			in->noncanon = 1;          /* -0 is written 0 */
		if (!neg) {
			if (v == INT64_MIN)
				return bad(in, start, "too big integer");
			v = -v;
		}
		if (v == 0 && (in->zero != NULL || (in->zero = json_integer(0)) != NULL))
			return json_incref(in->zero);
		json_t *j = json_integer((json_int_t)v);
		return j != NULL ? j : bad(in, start, "out of memory");
	}
	char buf[64], *copy = buf, *e;
	size_t n = (size_t)(p - start);

	in->noncanon = 1;   /* a real is written in jansson's own form */
	if (n >= sizeof buf && (copy = malloc(n + 1)) == NULL)
		return bad(in, start, "out of memory");
	memcpy(copy, start, n);
	copy[n] = '\0';
	errno = 0;
	double v = strtod(copy, &e);
	int overflow = (v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE;
	if (copy != buf)
		free(copy);
	if (overflow)
		return bad(in, start, "real number overflow");
	json_t *j = json_real(v);
	return j != NULL ? j : bad(in, start, "out of memory");
}

static json_t *value(struct in *in, int depth, const struct gotype *t);

/* The value read is not what the decoder gives back as it is (a wrong
 * type, a key it drops or renames, a value it changes): the rest is read
 * untyped and the decoder decides (jsonin_parse_typed). */
static const struct gotype *
untyped(struct in *in)
{
	in->ty->ok = 0;
	return NULL;
}

/* t while the body is still read as its type, else NULL */
static inline const struct gotype *
typed(const struct in *in, const struct gotype *t)
{
	return t != NULL && in->ty->ok ? t : NULL;
}

/* An element of a strslice.StrSlice: a string, and not null (the decoder
 * holds every element to be a string) */
static const struct gotype strslice_elem = { GO_STRING, NULL, NULL };

/* A scalar the decoder keeps as it is in a value of type t (an integer: j,
 * in range) */
static int
scalar_fits(const struct gotype *t, unsigned char first, const json_t *j)
{
	enum gokind k = t->kind;

	switch (first) {
	case '"':
		return k == GO_STRING || k == GO_STRSLICE || k == GO_OPAQUE;
	case 't':
	case 'f':
		return k == GO_BOOL || k == GO_OPAQUE;
	case 'n':
		/* null leaves any field at its zero value */
		return t != &strslice_elem;
	}
	if (!json_is_integer(j))
		return k == GO_FLOAT || k == GO_OPAQUE;
	json_int_t v = json_integer_value(j);
	switch (k) {
	case GO_INT64:
	case GO_FLOAT:
	case GO_OPAQUE:
		return 1;
	case GO_UINT16:
		return v >= 0 && v <= UINT16_MAX;
	case GO_UINT32:
		return v >= 0 && v <= (json_int_t)UINT32_MAX;
	case GO_UINT64:
		return v >= 0;
	default:
		return 0;
	}
}

/* An object read as t: the fields of a struct matched as they come, a
 * map's values read as its element type. */
struct objtype {
	const struct gotype *t;
	struct gomatch m;                /* a struct's */
	struct godec_index *rec;         /* the indexed struct's first object */
	int rec_ok;
};

static const struct gotype *
objtype_start(struct in *in, struct objtype *ot, const struct gotype *t)
{
	ot->t = t = typed(in, t);
	ot->rec = NULL;
	if (t == NULL || t->kind == GO_OPAQUE)
		return ot->t = NULL;
	if (t->kind == GO_MAP)
		return t;   /* (a struct{} is read untyped: value()) */
	if (t->kind != GO_STRUCT)
		return ot->t = untyped(in);
	gomatch_start(&ot->m, t->st);
	struct godec_index *ix = in->ty->ix;
	if (ix != NULL && ix->st == t->st && !in->ty->ix_taken) {
		in->ty->ix_taken = 1;
		ot->rec = ix;
		ot->rec_ok = 1;
	}
	return t;
}

/* The type of the value of key (NULL: untyped) */
static const struct gotype *
objtype_field(struct in *in, struct objtype *ot, const char *key, size_t keylen, size_t *tab,
    size_t *at)
{
	const struct gotype *t = typed(in, ot->t);
	const struct gofield *f;

	if (t == NULL)
		return NULL;
	if (t->kind == GO_MAP)
		return t->elem;
	if ((f = gomatch_exact(&ot->m, key, keylen, tab, at)) == NULL)
		return untyped(in);
	return f->type;
}

static void
objtype_value(struct in *in, struct objtype *ot, size_t tab, size_t at, json_t *v)
{
	if (ot->rec == NULL || !in->ty->ok)
		return;
	if (tab < 2 && at < GODEC_INDEX_FIELDS)
		ot->rec->vals[tab][at] = v;
	else
		ot->rec_ok = 0;
}

static void
objtype_end(struct in *in, struct objtype *ot, json_t *obj, int depth)
{
	const struct gotype *t = typed(in, ot->t);

	if (t == NULL || t->kind != GO_STRUCT)
		return;
	if (t->st->finish != NULL) {
		if (depth == 1)
			in->ty->top_tables = ot->m.tables;   /* godecode_typed applies it */
		else
			untyped(in);
	} else if (ot->rec != NULL && ot->rec_ok) {
		ot->rec->seen[0] = ot->m.seen[0][0];
		ot->rec->seen[1] = ot->m.seen[1][0];
		ot->rec->obj = obj;
	}
}

static json_t *
object(struct in *in, int depth, const struct gotype *t)
{
	json_t *obj = json_object();
	size_t nkeys = 0;   /* json_object_size(obj) before the next insert */
	struct objtype ot;

	if (obj == NULL)
		return bad(in, in->p, "out of memory");
	if (t != NULL)
		t = objtype_start(in, &ot, t);
	in->p++;
	skip_ws(in);
	if (in->p < in->end && *in->p == '}') {
		in->p++;
		if (t != NULL)
			objtype_end(in, &ot, obj, depth);
		return obj;
	}
	for (;;) {
		const char *key;
		size_t keylen;
		const unsigned char *at = in->p;
		if (in->p >= in->end || *in->p != '"' || scan_string(in, &key, &keylen) < 0) {
			bad(in, at, "string or '}' expected");
			break;
		}
		/* a NUL can only come from a \u0000 escape (a raw control byte is
		 * refused), so only a key decoded into scratch can hold one */
		if (key == in->scratch && memchr(key, '\0', keylen) != NULL) {
			bad(in, at, "NUL byte in object key not supported");
			break;
		}
		/* a key decoded into the scratch buffer is copied before the value
		 * may reuse it; one without escapes is read from the input */
		char kbuf[256], *k = (char *)key;
		if (key == in->scratch) {
			if (keylen >= sizeof kbuf && (k = malloc(keylen)) == NULL) {
				bad(in, at, "out of memory");
				break;
			}
			if (keylen < sizeof kbuf)
				k = kbuf;
			memcpy(k, key, keylen);
		}
		skip_ws(in);
		if (in->p >= in->end || *in->p != ':') {
			if (k != key && k != kbuf)
				free(k);
			bad(in, in->p, "':' expected");
			break;
		}
		in->p++;
		size_t tab = 0, fat = 0;   /* the key's field: its table, its place */
		const struct gotype *vt = t != NULL ? objtype_field(in, &ot, k, keylen, &tab, &fat) :
		    NULL;
		json_t *v = value(in, depth + 1, vt);
		if (t != NULL && v != NULL)
			objtype_value(in, &ot, tab, fat, v);
		int r = v == NULL ? -1 : json_object_setn_new_nocheck(obj, k, keylen, v);
		if (k != key && k != kbuf)
			free(k);
		if (r < 0) {
			bad(in, at, "out of memory");
			break;
		}
		/* without JSON_REJECT_DUPLICATES the last value won, in the first
		 * key's place, as jansson's own parser keeps it */
		if (json_object_size(obj) == nkeys) {
			if (in->flags & JSON_REJECT_DUPLICATES) {
				bad(in, at, "duplicate object key");
				break;
			}
			in->noncanon = 1;
		} else
			nkeys++;
		skip_ws(in);
		if (in->p < in->end && *in->p == ',') {
			in->p++;
			skip_ws(in);
			continue;
		}
		if (in->p < in->end && *in->p == '}') {
			in->p++;
			if (t != NULL)
				objtype_end(in, &ot, obj, depth);
			return obj;
		}
		bad(in, in->p, "'}' expected");
		break;
	}
	json_decref(obj);
	return NULL;
}

/* The elements' type of an array read as t (NULL: untyped) */
static const struct gotype *
elem_type(struct in *in, const struct gotype *t)
{
	if ((t = typed(in, t)) == NULL || t->kind == GO_OPAQUE)
		return NULL;
	if (t->kind == GO_SLICE || t->kind == GO_ARRAY2)
		return t->elem;
	if (t->kind == GO_STRSLICE)
		return &strslice_elem;
	return untyped(in);
}

static json_t *
array(struct in *in, int depth, const struct gotype *t)
{
	json_t *arr = json_array();
	const struct gotype *et = t != NULL ? elem_type(in, t) : NULL;

	if (arr == NULL)
		return bad(in, in->p, "out of memory");
	in->p++;
	skip_ws(in);
	if (in->p < in->end && *in->p == ']') {
		in->p++;
		return arr;
	}
	for (;;) {
		json_t *v = value(in, depth + 1, et);
		if (v == NULL || json_array_append_new(arr, v) < 0) {
			bad(in, in->p, "out of memory");
			break;
		}
		skip_ws(in);
		if (in->p < in->end && *in->p == ',') {
			in->p++;
			continue;
		}
		if (in->p < in->end && *in->p == ']') {
			in->p++;
			/* a [2] keeps its first two elements: the decoder drops the rest */
			if (t != NULL && typed(in, t) != NULL && t->kind == GO_ARRAY2 &&
			    json_array_size(arr) > 2)
				untyped(in);
			return arr;
		}
		bad(in, in->p, "']' expected");
		break;
	}
	json_decref(arr);
	return NULL;
}

/* word: a literal of n bytes (the compiler compares it inline) */
static inline json_t *
literal(struct in *in, const char *word, size_t n, json_t *v)
{
	if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0)
		return bad(in, in->p, "invalid token");
	in->p += n;
	return v;
}

static json_t *
value(struct in *in, int depth, const struct gotype *t)
{
	skip_ws(in);
	if (in->p >= in->end)
		return bad(in, in->p, "premature end of input");
	/* like jansson: every value is a level, a scalar too */
	if (depth > MAX_DEPTH)
		return bad(in, in->p, "maximum parsing depth reached");
	if (in->ty != NULL && depth > TYPED_MAX_DEPTH && in->ty->ok)
		t = untyped(in);   /* opaque values' levels too */
	json_t *v;
	unsigned char first = *in->p;
	switch (first) {
	case '{':
		if (t != NULL && t->kind == GO_EMPTY) {
			/* struct{}: the decoder forwards {} for any object */
			if ((v = object(in, depth, NULL)) != NULL && json_object_size(v) > 0)
				untyped(in);
			return v;
		}
		return object(in, depth, t);
	case '[':
		return array(in, depth, t);
	case '"': {
		const char *s;
		size_t n;
		if (scan_string(in, &s, &n) < 0)
			return NULL;
		/* a NUL only comes from a \u0000 escape, decoded into scratch */
		if (!(in->flags & JSON_ALLOW_NUL) && s == in->scratch && memchr(s, '\0', n) != NULL)
			return bad(in, in->p, "\\u0000 is not allowed without JSON_ALLOW_NUL");
		if (n == 0 && (in->empty != NULL || (in->empty = json_stringn_nocheck("", 0)) != NULL))
			v = json_incref(in->empty);
		else if ((v = json_stringn_nocheck(s, n)) == NULL)
			return bad(in, in->p, "out of memory");
		break;
	}
	case 't':
		v = literal(in, "true", 4, json_true());
		break;
	case 'f':
		v = literal(in, "false", 5, json_false());
		break;
	case 'n':
		v = literal(in, "null", 4, json_null());
		break;
	default:
		v = scan_number(in);
		break;
	}
	if (t != NULL && v != NULL && typed(in, t) != NULL && !scalar_fits(t, first, v))
		untyped(in);
	return v;
}

static json_t *parse(const char *buf, size_t len, size_t flags, size_t *pos, char *err,
    size_t errlen, size_t *canon_off, size_t *canon_len, const struct gotype *t,
    struct typing *ty);

json_t *
jsonin_parse(const char *buf, size_t len, size_t *pos, char *err, size_t errlen)
{
	size_t off, n;

	return parse(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, pos,
	    err, errlen, &off, &n, NULL, NULL);
}

json_t *
jsonin_parse_flags(const char *buf, size_t len, size_t flags, size_t *pos, char *err,
    size_t errlen)
{
	size_t off, n;

	return parse(buf, len, flags, pos, err, errlen, &off, &n, NULL, NULL);
}

json_t *
jsonin_parse_canonical(const char *buf, size_t len, size_t *pos, char *err, size_t errlen,
    size_t *canon_off, size_t *canon_len)
{
	return parse(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, pos,
	    err, errlen, canon_off, canon_len, NULL, NULL);
}

json_t *
jsonin_parse_typed(const char *buf, size_t len, struct jsonin_typed *jt, size_t *pos,
    char *err, size_t errlen, size_t *canon_off, size_t *canon_len)
{
	struct typing ty = { .ok = 1, .ix = jt->ix };
	json_t *v;

	if (ty.ix != NULL)
		ty.ix->obj = NULL;
	v = parse(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, pos, err,
	    errlen, canon_off, canon_len, jt->type, &ty);
	/* canonical bytes have no escape, so no string holds U+0000 */
	jt->typed = v != NULL && ty.ok && *canon_len > 0;
	jt->tables = ty.top_tables;
	if (!jt->typed && ty.ix != NULL)
		ty.ix->obj = NULL;
	return v;
}

static json_t *
parse(const char *buf, size_t len, size_t flags, size_t *pos, char *err, size_t errlen,
    size_t *canon_off, size_t *canon_len, const struct gotype *t, struct typing *ty)
{
	struct in in = {
		.s = (const unsigned char *)buf, .end = (const unsigned char *)buf + len,
		.p = (const unsigned char *)buf, .err = err, .errlen = errlen, .flags = flags,
		.ty = ty,
	};
	json_t *v = NULL;

	/* white space before and after the value is no part of its bytes */
	skip_ws(&in);
	in.noncanon = 0;
	*canon_off = (size_t)(in.p - in.s);
	*canon_len = 0;
	if (!(flags & JSON_DECODE_ANY)) {
		if (in.p >= in.end || (*in.p != '{' && *in.p != '['))
			bad(&in, in.p, "'[' or '{' expected");
	}
	if (!in.failed)
		v = value(&in, 1, t);

	if (v != NULL) {
		if (!in.noncanon)
			*canon_len = (size_t)(in.p - in.s) - *canon_off;
		skip_ws(&in);
		if (in.p != in.end) {
			json_decref(v);
			v = bad(&in, in.p, "end of file expected");
		}
	}
	free(in.scratch);
	json_decref(in.empty);   /* the parser's own references */
	json_decref(in.zero);
	if (v == NULL) {
		if (!in.failed)
			bad(&in, in.p, "out of memory");
		*pos = (size_t)(in.errat - in.s);
		*canon_len = 0;
	}
	return v;
}
