/* gotypes.c - schema-driven, Go-faithful JSON decoding (see gotypes.h). */
#include "policy/gotypes.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy/gofold.h"

#define MAX_DEPTH 32

struct path {
	const struct path *up;
	const char *seg;     /* field or map key; NULL for an index */
	size_t index;
};

struct dec {
	char *err;
	size_t errlen;
	int failed;
	/* set by every change made to the document (a key dropped or renamed,
	 * a value replaced, an array shortened, the struct's finish changing
	 * it): while it is 0 the document is still the parser's, value for
	 * value (godecode_inplace_same) */
	int changed;
	/* the caller vouches that no string and no key of the document holds
	 * U+0000 (godecode_inplace_flags, GODEC_NUL_FREE): the NUL checks are
	 * skipped; the decoder itself adds none (field names, {}) */
	int nul_free;
	struct godec_index *ix;   /* or NULL */
	int ix_taken;             /* the first ix->st object was met */
};

static void
path_render(const struct path *p, char *buf, size_t len)
{
	const struct path *stack[MAX_DEPTH + 2];
	size_t n = 0, off = 0;

	for (; p != NULL && n < MAX_DEPTH + 2; p = p->up)
		stack[n++] = p;
	buf[0] = '\0';
	while (n-- > 0 && off < len) {
		int w;
		if (stack[n]->seg != NULL)
			w = snprintf(buf + off, len - off, "%s%s", off ? "." : "", stack[n]->seg);
		else
			w = snprintf(buf + off, len - off, "[%zu]", stack[n]->index);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void
fail(struct dec *d, const struct path *p, const char *what)
{
	char where[160];

	if (d->failed)
		return;
	d->failed = 1;
	path_render(p, where, sizeof where);
	snprintf(d->err, d->errlen, "%s%s%s", where, where[0] ? ": " : "", what);
}

static const char *
json_kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "object";
	case JSON_ARRAY:   return "array";
	case JSON_STRING:  return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL:    return "non-integer number";
	case JSON_TRUE:
	case JSON_FALSE:   return "bool";
	case JSON_NULL:    return "null";
	}
	return "?";
}

static const char *
go_kind_name(enum gokind k)
{
	static const char *names[] = {
		[GO_BOOL] = "bool", [GO_STRING] = "string", [GO_INT64] = "integer",
		[GO_UINT16] = "uint16", [GO_UINT32] = "uint32", [GO_UINT64] = "uint64",
		[GO_FLOAT] = "number",
		[GO_STRSLICE] = "string or array of strings", [GO_SLICE] = "array",
		[GO_ARRAY2] = "array", [GO_MAP] = "object", [GO_STRUCT] = "object",
		[GO_EMPTY] = "object", [GO_OPAQUE] = "any",
	};
	return names[k];
}

static json_t *
wrong_type(struct dec *d, const struct path *p, const struct gotype *t, const json_t *in)
{
	char msg[128];
	snprintf(msg, sizeof msg, "want %s, got %s", go_kind_name(t->kind), json_kind_name(in));
	fail(d, p, msg);
	return NULL;
}

/* Decode `in` (borrowed) as t: a new reference to the canonical value,
 * which is `in` itself, canonicalised in place, unless a new value is
 * needed (a struct whose keys are renamed, {} for struct{}).  `in` must be
 * the caller's own, unshared tree (a document fresh from the parser). */
static json_t *decode(struct dec *d, const struct path *p, const struct gotype *t,
    json_t *in, int depth);

#define SEEN_WORDS GOMATCH_SEEN_WORDS   /* fields per table: at most 256 */

static const struct gofield *
find_folded(const struct gofield *f, const char *key, size_t keylen)
{
	unsigned char k0 = keylen > 0 ? (unsigned char)key[0] : 0;

	for (; f != NULL && f->name != NULL; f++) {
		unsigned char f0 = (unsigned char)f->name[0];
		/* a non-ASCII first rune may fold (U+017F, U+212A) */
		if ((k0 >= 0x80 || (k0 | 0x20) == (f0 | 0x20)) && gofold_equal(key, keylen, f->name))
			return f;
	}
	return NULL;
}

static int
same_name(const char *name, const char *key, size_t keylen)
{
	/* byte by byte, stopping at the name's end: no strlen per candidate */
	for (size_t i = 0; i < keylen; i++)
		if (name[i] == '\0' || name[i] != key[i])
			return 0;
	return name[keylen] == '\0';
}

/* The lengths of a table's names, measured once per table (the tables are
 * const and shared): a candidate of another length is passed over without
 * reading its name, one of the same length is one memcmp.  NAME_LONG: 255
 * bytes or more, compared by same_name.  Kept in a small open-addressed
 * cache keyed by the table's address, the lengths in a fixed pool; a table
 * that finds no room has no lengths (NULL) and is searched by same_name. */
#define NAME_LONG 255
#define LENS_SLOTS 256          /* tables (power of 2; ~70 exist) */
#define LENS_POOL 4096          /* names of all of them (~400 exist) */

static struct { const struct gofield *tab; const unsigned char *len; } lens_cache[LENS_SLOTS];
static unsigned char lens_pool[LENS_POOL];
static size_t lens_used;

static const unsigned char *
table_lens(const struct gofield *f)
{
	size_t h = ((uintptr_t)f >> 4) & (LENS_SLOTS - 1), n = 0;

	if (f == NULL)
		return NULL;
	for (size_t probe = 0; probe < LENS_SLOTS; probe++, h = (h + 1) & (LENS_SLOTS - 1)) {
		if (lens_cache[h].tab == f)
			return lens_cache[h].len;
		if (lens_cache[h].tab == NULL)
			break;
	}
	if (lens_cache[h].tab != NULL)
		return NULL;   /* the cache is full */
	while (f[n].name != NULL)
		n++;
	if (n > LENS_POOL - lens_used)
		return NULL;
	unsigned char *len = lens_pool + lens_used;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(f[i].name);
		len[i] = (unsigned char)(l < NAME_LONG ? l : NAME_LONG);
	}
	lens_used += n;
	lens_cache[h].len = len;
	lens_cache[h].tab = f;
	return len;
}

/* f[i] is named exactly key; lens: table_lens(f) or NULL */
static inline int
is_named(const struct gofield *f, const unsigned char *lens, size_t i, const char *key,
    size_t keylen)
{
	if (lens == NULL || lens[i] == NAME_LONG)
		return same_name(f[i].name, key, keylen);
	return lens[i] == keylen && memcmp(f[i].name, key, keylen) == 0;
}

/* The field named exactly key in the table f, searched from *hint (where
 * the last match left off: clients send fields in the order of Go's
 * structs, so the next key is usually the next field) round to it.  The
 * names of one table are distinct, so where the search starts does not
 * change what it finds. */
static const struct gofield *
find_exact(const struct gofield *f, const unsigned char *lens, size_t *hint, const char *key,
    size_t keylen)
{
	size_t i;

	if (f == NULL)
		return NULL;
	for (i = *hint; f[i].name != NULL; i++)
		if (is_named(f, lens, i, key, keylen))
			goto found;
	for (i = 0; i < *hint; i++)
		if (is_named(f, lens, i, key, keylen))
			goto found;
	return NULL;
found:
	*hint = i + 1;
	return &f[i];
}

/* Every field name of a struct (its fields and its promoted tables') in a
 * small open-addressed table, made when the struct is first decoded: an
 * exact key costs one probe and one memcmp, in whatever order the keys
 * come.  Kept in a cache keyed by the struct's address, the slots in a
 * fixed pool; a struct that finds no room (or has a table of 256 fields or
 * more) has none (NULL) and is searched table by table. */
#define XTAB_SLOTS 256          /* structs (power of 2; ~70 exist) */
#define XNAME_POOL 4096         /* slots of all of them (~2,000 used) */

static struct xtab xtabs[XTAB_SLOTS];
static struct xname xname_pool[XNAME_POOL];
static size_t xname_used;

#define st_table gostruct_table
#define xname_hash gomatch_hash

static struct xname *
xtab_build(const struct gostruct *st, size_t *mask)
{
	size_t n = 0, size = 8;

	for (size_t tab = 0; tab <= GOSTRUCT_MAX_PROMOTED; tab++)
		for (const struct gofield *f = st_table(st, tab); f != NULL && f->name != NULL; f++)
			if (f - st_table(st, tab) >= 255 || strlen(f->name) > UINT16_MAX)
				return NULL;
			else
				n++;
	while (size < 2 * n)
		size *= 2;
	if (size > XNAME_POOL - xname_used)
		return NULL;
	struct xname *slot = xname_pool + xname_used;
	for (size_t tab = 0; tab <= GOSTRUCT_MAX_PROMOTED; tab++) {
		const struct gofield *t = st_table(st, tab);
		for (size_t at = 0; t != NULL && t[at].name != NULL; at++) {
			size_t len = strlen(t[at].name), h = xname_hash(t[at].name, len) & (size - 1);
			while (slot[h].name != NULL)
				h = (h + 1) & (size - 1);
			slot[h] = (struct xname){ t[at].name, (uint16_t)len, (uint8_t)tab, (uint8_t)at };
		}
	}
	xname_used += size;
	*mask = size - 1;
	return slot;
}

static int
xtab_is(const struct xtab *x, const struct gostruct *st)
{
	for (size_t tab = 0; tab <= GOSTRUCT_MAX_PROMOTED; tab++)
		if (x->tabs[tab] != st_table(st, tab))
			return 0;
	return 1;
}

static const struct xtab *
xtab_of(const struct gostruct *st)
{
	size_t h = ((uintptr_t)st->fields >> 4) & (XTAB_SLOTS - 1);

	if (st->fields == NULL)
		return NULL;
	for (size_t probe = 0; probe < XTAB_SLOTS; probe++, h = (h + 1) & (XTAB_SLOTS - 1)) {
		struct xtab *x = &xtabs[h];
		if (x->tabs[0] == NULL) {
			for (size_t tab = 0; tab <= GOSTRUCT_MAX_PROMOTED; tab++)
				x->tabs[tab] = st_table(st, tab);
			x->slot = xtab_build(st, &x->mask);
		} else if (!xtab_is(x, st))
			continue;
		return x->slot != NULL ? x : NULL;
	}
	return NULL;   /* the cache is full */
}

/* The field of st named exactly key (*tab its table), or NULL; x: st's */
static inline const struct gofield *
xtab_find(const struct xtab *x, const struct gostruct *st, const char *key, size_t keylen,
    size_t *tab)
{
	const struct xname *s = gomatch_probe(x, key, keylen);

	if (s == NULL)
		return NULL;
	*tab = s->tab;
	return &st_table(st, s->tab)[s->at];
}

/* Go: an exact match wins, otherwise the first field equal under folding.
 * (No two names of one table fold to each other, so the order of the
 * embedded lists does not matter.)  hints: one per table (fields, then
 * the promoted ones), zeroed by the caller for each object.  *exact: 0
 * when the field was found by folding only; *tab: which table holds it
 * (0 fields, 1.. the promoted ones). */
static const struct gofield *
find_field(struct gomatch *m, const char *key, size_t keylen, size_t *tab, int *exact)
{
	const struct gostruct *st = m->st;
	const unsigned char *const *lens = m->lens;
	size_t *hints = m->hints;
	const struct gofield *f;

	*exact = 1;
	if (m->x != NULL) {
		/* the names of a struct's tables are distinct (test_policy_units.c
		 * checks it): the one exact match */
		if ((f = xtab_find(m->x, st, key, keylen, tab)) != NULL)
			return f;
		goto folded;
	}
	/* without the table: where each table's last match left off, first (a
	 * client sends the fields of Go's structs in order, embedded ones
	 * included), then each table from there round */
	for (size_t i = 0; i <= GOSTRUCT_MAX_PROMOTED; i++) {
		const struct gofield *t = i == 0 ? st->fields : st->promoted[i - 1];
		if (t != NULL && t[hints[i]].name != NULL && is_named(t, lens[i], hints[i], key, keylen)) {
			*tab = i;
			hints[i]++;
			return &t[hints[i] - 1];
		}
	}
	*tab = 0;
	if ((f = find_exact(st->fields, lens[0], &hints[0], key, keylen)) != NULL)
		return f;
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++) {
		*tab = 1 + i;
		if ((f = find_exact(st->promoted[i], lens[1 + i], &hints[1 + i], key, keylen)) != NULL)
			return f;
	}
folded:
	*exact = 0;
	*tab = 0;
	if ((f = find_folded(st->fields, key, keylen)) != NULL)
		return f;
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++) {
		*tab = 1 + i;
		if ((f = find_folded(st->promoted[i], key, keylen)) != NULL)
			return f;
	}
	return NULL;
}

void
gomatch_start(struct gomatch *m, const struct gostruct *st)
{
	memset(m->seen, 0, sizeof m->seen);
	memset(m->hints, 0, sizeof m->hints);
	m->st = st;
	m->nseen = 0;
	m->tables = 0;
	if ((m->x = xtab_of(st)) != NULL)
		return;
	m->lens[0] = table_lens(st->fields);
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++)
		m->lens[1 + i] = table_lens(st->promoted[i]);
}

static enum gomark
gomatch_mark(struct gomatch *m, const struct gofield *f, size_t tab, size_t *at)
{
	*at = (size_t)(f - st_table(m->st, tab));
	return gomatch_mark_at(m, tab, *at);
}

const struct gofield *
gomatch_exact_slow(struct gomatch *m, const char *key, size_t keylen, size_t *tab, size_t *at)
{
	int exact;
	const struct gofield *f = find_field(m, key, keylen, tab, &exact);

	if (f == NULL || !exact || gomatch_mark(m, f, *tab, at) != GOMARK_OK)
		return NULL;
	return f;
}

/* U+0000 in a string: dockerd reads the whole Go string, the checks would
 * stop at the NUL.  No field dockerd reads needs one, so it is refused
 * wherever it is (values, map keys, opaque values). */
static int
has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void
fail_nul(struct dec *d, const struct path *p)
{
	fail(d, p, "a string holds U+0000 (NUL); dockerd would read past it, so it is not "
	    "accepted");
}

/* Any NUL in a JSON value (keys and strings, recursively) */
static int
value_has_nul(struct dec *d, const struct path *p, const json_t *v, int depth)
{
	const char *key;
	size_t keylen, i;
	json_t *e;

	if (depth > MAX_DEPTH) {
		fail(d, p, "nested too deeply");
		return 1;
	}
	/* walked even when nul_free: the depth bound holds for opaque values */
	if (json_is_string(v)) {
		if (!d->nul_free && has_nul(json_string_value(v), json_string_length(v))) {
			fail_nul(d, p);
			return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			struct path sub = { .up = p, .index = i };
			if (value_has_nul(d, &sub, e, depth + 1))
				return 1;
		}
	} else if (json_is_object(v)) {
		json_object_keylen_foreach((json_t *)v, key, keylen, e) {
			struct path sub = { .up = p, .seg = key };
			if ((!d->nul_free && has_nul(key, keylen)) ||
			    value_has_nul(d, &sub, e, depth + 1)) {
				fail_nul(d, &sub);
				return 1;
			}
		}
	}
	return 0;
}

/* Whether v decodes as t to itself, unchanged, for the commonest fields (a
 * bool, a string of a NUL-free document, an int64, a number, a null): the
 * loops below then keep it where it is without calling decode, and without
 * the reference decode would hand back and they would drop again (two
 * atomic operations per value in jansson).  Anything else goes to decode,
 * which says the same for these. */
static inline int
keeps_as_is(const struct dec *d, const struct gotype *t, const json_t *v, int depth)
{
	if (depth > MAX_DEPTH)
		return 0;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return t->kind != GO_OPAQUE;   /* decode's json_null() is v itself */
	case JSON_TRUE:
	case JSON_FALSE:
		return t->kind == GO_BOOL;
	case JSON_STRING:
		return t->kind == GO_STRING && d->nul_free;
	case JSON_INTEGER:
		return t->kind == GO_INT64 || t->kind == GO_FLOAT;
	case JSON_REAL:
		return t->kind == GO_FLOAT;
	default:
		return 0;
	}
}

/* The keys of `in` up to (not including) stop, into a new object: they are
 * canonical already (decode_struct in place so far). */
static json_t *
canonical_prefix(json_t *in, void *stop)
{
	json_t *out = json_object();

	for (void *it = json_object_iter(in); out != NULL && it != NULL && it != stop;
	    it = json_object_iter_next(in, it))
		if (json_object_setn(out, json_object_iter_key(it), json_object_iter_key_len(it),
		    json_object_iter_value(it)) < 0) {
			json_decref(out);
			out = NULL;
		}
	return out;
}

/* The struct's finish (if it has one) applied to out, the object decoded
 * from in: tables, the tables its keys' fields are in (gomatch). */
static json_t *
struct_finish(struct dec *d, const struct path *p, const struct gostruct *st, json_t *in,
    json_t *out, unsigned tables)
{
	char err[GODEC_ERRLEN];
	int changed = 0;

	if (st->finish == NULL)
		return out;
	json_t *fin = st->finish(out, tables, &changed, err, sizeof err);
	if (fin == NULL) {
		fail(d, p, err);
		return NULL;
	}
	if (changed || fin != in) {
		d->changed = 1;
		if (d->ix != NULL)
			d->ix->obj = NULL;   /* it may have set keys in the indexed object */
	}
	return fin;
}

/* In place: unknown keys are deleted from `in` and values replaced by their
 * canonical form, so the document keeps the client's key order without a
 * second tree.  Only when a key is spelled otherwise than its field (Go's
 * folding) is a new object built, from that key on, to hold the field's
 * name at the same place in the order. */
static json_t *
decode_struct(struct dec *d, const struct path *p, const struct gostruct *st,
    json_t *in, int depth)
{
	const char *key;
	size_t keylen;
	json_t *v, *out = NULL;   /* NULL: canonicalising in place */
	void *it, *next;
	/* which fields were already set: a second key folding to the same
	 * field would silently win in Go, so it is ambiguous here */
	struct gomatch m;

	/* the first object of the indexed struct: its values recorded as they
	 * are decoded (rec), unless a key falls outside the index (rec_ok 0) */
	struct godec_index *rec = NULL;
	int rec_ok = 1;
	if (d->ix != NULL && d->ix->st == st && !d->ix_taken) {
		d->ix_taken = 1;
		rec = d->ix;
	}

	gomatch_start(&m, st);
	for (it = json_object_iter(in); it != NULL; it = next) {
		next = json_object_iter_next(in, it);
		key = json_object_iter_key(it);
		keylen = json_object_iter_key_len(it);
		v = json_object_iter_value(it);
		struct path sub = { .up = p, .seg = key };
		int exact;
		size_t tab, at;
		const struct gofield *f = find_field(&m, key, keylen, &tab, &exact);

		if (f == NULL) {
			/* Go ignores unknown keys; so do we, and drop them */
			d->changed = 1;
			if (out == NULL && json_object_deln(in, key, keylen) < 0) {
				fail(d, p, "out of memory");
				break;
			}
			continue;
		}
		enum gomark mark = gomatch_mark(&m, f, tab, &at);
		if (mark == GOMARK_TOO_MANY_FIELDS) {
			fail(d, p, "too many fields");
			break;
		}
		if (mark == GOMARK_AGAIN) {
			char msg[160];
			snprintf(msg, sizeof msg, "ambiguous: more than one key means %s", f->name);
			fail(d, &sub, msg);
			goto out;
		}
		if (mark == GOMARK_TOO_MANY_KEYS) {
			fail(d, p, "too many keys");
			break;
		}
		/* found only by folding: spelled otherwise than the field (an
		 * exact spelling is found by the exact search first) */
		int renamed = !exact;
		if (renamed)
			d->changed = 1;
		if (out == NULL && renamed && (out = canonical_prefix(in, it)) == NULL) {
			fail(d, p, "out of memory");
			break;
		}
		sub.seg = f->name;
		/* borrowed: v kept as it is, no reference taken */
		int borrowed = out == NULL && keeps_as_is(d, f->type, v, depth + 1);
		json_t *cv = borrowed ? v : decode(d, &sub, f->type, v, depth + 1);
		if (cv == NULL)
			break;
		if (rec != NULL) {
			if (tab < 2 && at < GODEC_INDEX_FIELDS)
				rec->vals[tab][at] = cv;
			else
				rec_ok = 0;
		}
		if (out != NULL) {
			if (json_object_set_new(out, f->name, cv) < 0)
				break;
		} else if (cv == v) {
			if (!borrowed)
				json_decref(cv);
		} else {
			d->changed = 1;
			if (json_object_iter_set_new(in, it, cv) < 0)
				break;
		}
	}
out:
	if (d->failed) {
		json_decref(out);
		return NULL;
	}
	if (out == NULL)
		out = json_incref(in);
	if (rec != NULL && rec_ok && st->finish == NULL) {
		rec->seen[0] = m.seen[0][0];
		rec->seen[1] = m.seen[1][0];
		rec->obj = out;
	}
	return struct_finish(d, p, st, in, out, m.tables);
}

static json_t *
decode_int(struct dec *d, const struct path *p, const struct gotype *t, const json_t *in)
{
	json_int_t v;

	if (!json_is_integer(in))
		return wrong_type(d, p, t, in);
	v = json_integer_value(in);
	if ((t->kind == GO_UINT16 && (v < 0 || v > UINT16_MAX)) ||
	    (t->kind == GO_UINT32 && (v < 0 || v > (json_int_t)UINT32_MAX)) ||
	    (t->kind == GO_UINT64 && v < 0)) {
		fail(d, p, "number out of range");
		return NULL;
	}
	return json_incref((json_t *)in);
}

static json_t *
decode(struct dec *d, const struct path *p, const struct gotype *t, json_t *in, int depth)
{
	size_t i;
	json_t *v;

	if (depth > MAX_DEPTH) {
		fail(d, p, "nested too deeply");
		return NULL;
	}
	/* Go: null leaves any value at its zero value */
	if (json_is_null(in) && t->kind != GO_OPAQUE)
		return json_null();

	switch (t->kind) {
	case GO_BOOL:
		return json_is_boolean(in) ? json_incref((json_t *)in) : wrong_type(d, p, t, in);
	case GO_STRING:
		if (!json_is_string(in))
			return wrong_type(d, p, t, in);
		if (!d->nul_free && has_nul(json_string_value(in), json_string_length(in))) {
			fail_nul(d, p);
			return NULL;
		}
		return json_incref((json_t *)in);
	case GO_INT64:
	case GO_UINT16:
	case GO_UINT32:
	case GO_UINT64:
		return decode_int(d, p, t, in);
	case GO_FLOAT:
		return json_is_number(in) ? json_incref((json_t *)in) : wrong_type(d, p, t, in);
	case GO_OPAQUE:
		if (value_has_nul(d, p, in, depth))
			return NULL;
		return json_incref(in);   /* forwarded as sent */
	case GO_EMPTY:
		if (!json_is_object(in))
			return wrong_type(d, p, t, in);
		if (json_object_size(in) == 0)
			return json_incref(in);
		d->changed = 1;
		return json_object();
	case GO_STRSLICE:
		if (!json_is_string(in) && !json_is_array(in))
			return wrong_type(d, p, t, in);
		json_array_foreach(in, i, v) {
			if (!json_is_string(v)) {
				struct path sub = { .up = p, .index = i };
				static const struct gotype str = { GO_STRING, NULL, NULL };
				return wrong_type(d, &sub, &str, v);
			}
		}
		if (value_has_nul(d, p, in, depth))
			return NULL;
		return json_incref((json_t *)in);
	case GO_SLICE:
	case GO_ARRAY2:
		if (!json_is_array(in))
			return wrong_type(d, p, t, in);
		/* in place; a [2] keeps its first two elements, like Go */
		while (t->kind == GO_ARRAY2 && json_array_size(in) > 2) {
			d->changed = 1;
			if (json_array_remove(in, json_array_size(in) - 1) < 0) {
				fail(d, p, "out of memory");
				return NULL;
			}
		}
		json_array_foreach(in, i, v) {
			if (keeps_as_is(d, t->elem, v, depth + 1))
				continue;
			struct path sub = { .up = p, .index = i };
			json_t *cv = decode(d, &sub, t->elem, v, depth + 1);
			if (cv == NULL)
				return NULL;
			if (cv == v)
				json_decref(cv);
			else if ((d->changed = 1, json_array_set_new(in, i, cv) < 0)) {
				fail(d, p, "out of memory");
				return NULL;
			}
		}
		return json_incref(in);
	case GO_MAP:
		if (!json_is_object(in))
			return wrong_type(d, p, t, in);
		/* in place: keys are data, never renamed */
		for (void *it = json_object_iter(in); it != NULL; it = json_object_iter_next(in, it)) {
			const char *key = json_object_iter_key(it);
			struct path sub = { .up = p, .seg = key };
			if (!d->nul_free && has_nul(key, json_object_iter_key_len(it))) {
				fail_nul(d, &sub);
				return NULL;
			}
			v = json_object_iter_value(it);
			if (keeps_as_is(d, t->elem, v, depth + 1))
				continue;
			json_t *cv = decode(d, &sub, t->elem, v, depth + 1);
			if (cv == NULL)
				return NULL;
			if (cv == v)
				json_decref(cv);
			else if ((d->changed = 1, json_object_iter_set_new(in, it, cv) < 0)) {
				fail(d, p, "out of memory");
				return NULL;
			}
		}
		return json_incref(in);
	case GO_STRUCT:
		if (!json_is_object(in))
			return wrong_type(d, p, t, in);
		return decode_struct(d, p, t->st, in, depth);
	}
	fail(d, p, "internal: unknown type");
	return NULL;
}

json_t *
godecode_inplace_index(const struct gotype *t, json_t *in, unsigned flags, int *same,
    struct godec_index *ix, char *err, size_t errlen)
{
	struct dec d = { .err = err, .errlen = errlen, .nul_free = (flags & GODEC_NUL_FREE) != 0,
		.ix = ix };
	if (ix != NULL)
		ix->obj = NULL;
	json_t *out = decode(&d, NULL, t, in, 0);

	*same = 0;
	if (d.failed || out == NULL) {
		if (ix != NULL)
			ix->obj = NULL;
	}
	if (d.failed) {
		json_decref(out);
		return NULL;
	}
	if (out == NULL)
		snprintf(err, errlen, "out of memory");
	else
		*same = !d.changed && out == in;
	return out;
}

json_t *
godecode_inplace_flags(const struct gotype *t, json_t *in, unsigned flags, int *same, char *err,
    size_t errlen)
{
	return godecode_inplace_index(t, in, flags, same, NULL, err, errlen);
}

json_t *
godecode_typed(const struct gotype *t, json_t *in, unsigned tables, struct godec_index *ix,
    int *same, char *err, size_t errlen)
{
	struct dec d = { .err = err, .errlen = errlen, .nul_free = 1, .ix = ix };
	json_t *out = json_incref(in);

	if (t->kind == GO_STRUCT)
		out = struct_finish(&d, NULL, t->st, in, out, tables);
	*same = 0;
	if (d.failed || out == NULL) {
		if (ix != NULL)
			ix->obj = NULL;
		return NULL;
	}
	*same = !d.changed && out == in;
	return out;
}

/* The names of an index's struct (its fields and first promoted table):
 * (table, index) by a small open-addressed table, built when a struct is
 * first asked for (one at a time: the create's HostConfig). */
#define NAMES_SLOTS GODEC_NAME_SLOTS
#define name_hash godec_name_hash
static const struct gostruct *names_st;
static struct { const char *name; size_t len; unsigned char tab, at; } names[NAMES_SLOTS];

static void
names_build(const struct gostruct *st)
{
	memset(names, 0, sizeof names);
	for (unsigned tab = 0; tab < 2; tab++) {
		const struct gofield *f = tab == 0 ? st->fields : st->promoted[0];
		for (unsigned at = 0; f != NULL && f[at].name != NULL && at < GODEC_INDEX_FIELDS; at++) {
			size_t len = strlen(f[at].name), h = name_hash(f[at].name, len);
			while (names[h].name != NULL)
				h = (h + 1) & (NAMES_SLOTS - 1);
			names[h].name = f[at].name;
			names[h].len = len;
			names[h].tab = (unsigned char)tab;
			names[h].at = (unsigned char)at;
		}
	}
	names_st = st;
}

json_t *
godec_index_get(const struct godec_index *ix, const char *key, size_t len)
{
	return godec_index_probe(ix, key, len, godec_name_hash(key, len));
}

json_t *
godec_index_probe(const struct godec_index *ix, const char *key, size_t len, size_t h)
{
	if (names_st != ix->st)
		names_build(ix->st);
	for (;; h = (h + 1) & (NAMES_SLOTS - 1)) {
		if (names[h].name == NULL)
			return NULL;   /* no field: no such key in a decoded object */
		/* the linker merges equal string literals: often the very name */
		if (names[h].len == len && (names[h].name == key ||
		    memcmp(names[h].name, key, len) == 0)) {
			unsigned tab = names[h].tab, at = names[h].at;
			return ix->seen[tab] & ((uint64_t)1 << at) ? ix->vals[tab][at] : NULL;
		}
	}
}

json_t *
godecode_inplace_same(const struct gotype *t, json_t *in, int *same, char *err, size_t errlen)
{
	return godecode_inplace_flags(t, in, 0, same, err, errlen);
}

json_t *
godecode_inplace(const struct gotype *t, json_t *in, char *err, size_t errlen)
{
	int same;

	return godecode_inplace_same(t, in, &same, err, errlen);
}

json_t *
godecode(const struct gotype *t, const json_t *in, char *err, size_t errlen)
{
	json_t *copy = json_deep_copy(in), *out;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	out = godecode_inplace(t, copy, err, errlen);
	json_decref(copy);
	return out;
}
