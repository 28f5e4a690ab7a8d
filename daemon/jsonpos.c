/* jsonpos.c - see jsonpos.h.  A recursive-descent walk over the JSON text
 * that validates just enough to stay in step with the structure; it never
 * builds values. */
#include "daemon/jsonpos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH    256      /* deeper documents: positions stop there */
#define MAX_PATH     4096     /* longer paths are not recorded */
#define MAX_ENTRIES  200000

struct entry {
	char *path;
	int key_line, key_col;    /* 0 for array elements and the root */
	int val_line, val_col;
};

struct jsonpos {
	struct entry *v;
	size_t n, cap;
	size_t *slot;             /* open addressing: index + 1, 0 = empty */
	size_t nslots;            /* power of two, >= 2 * cap */
};

struct scanner {
	const char *s;
	size_t len, i;
	int line, col;
	int failed;               /* syntax error or out of memory: stop */
	struct jsonpos *jp;
	char path[MAX_PATH + 1];
	size_t plen;
	int path_too_long;        /* depth at which the path overflowed, 0: none */
};

/* ---- cursor ---------------------------------------------------------------- */

static int
peek(const struct scanner *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}

/* Advance one byte, keeping line/column in characters. */
static void
advance(struct scanner *sc)
{
	unsigned char c = (unsigned char)sc->s[sc->i++];

	if (c == '\n') {
		sc->line++;
		sc->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		sc->col++;
	}
}

static void
skip_ws(struct scanner *sc)
{
	int c;
	while ((c = peek(sc)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		advance(sc);
}

static int
expect(struct scanner *sc, char want)
{
	if (peek(sc) != (unsigned char)want) {
		sc->failed = 1;
		return -1;
	}
	advance(sc);
	return 0;
}

/* ---- table ----------------------------------------------------------------- */

static size_t
hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 ^ (unsigned char)*s;
	return h;
}

/* Slot for path: the one holding it, or the empty one where it would go. */
static size_t *
slot_of(const struct jsonpos *jp, const char *path)
{
	size_t mask = jp->nslots - 1, h = hash(path) & mask;

	while (jp->slot[h] != 0 && strcmp(jp->v[jp->slot[h] - 1].path, path) != 0)
		h = (h + 1) & mask;
	return &jp->slot[h];
}

static struct entry *
find(const struct jsonpos *jp, const char *path)
{
	size_t *s;

	if (jp == NULL || jp->nslots == 0)
		return NULL;
	s = slot_of(jp, path);
	return *s ? &jp->v[*s - 1] : NULL;
}

static int
grow(struct jsonpos *jp)
{
	size_t ncap = jp->cap ? jp->cap * 2 : 64, i;
	struct entry *nv = realloc(jp->v, ncap * sizeof(*nv));
	size_t *ns;

	if (nv == NULL)
		return -1;
	jp->v = nv;
	if ((ns = calloc(ncap * 2, sizeof(*ns))) == NULL)
		return -1;
	free(jp->slot);
	jp->slot = ns;
	jp->nslots = ncap * 2;
	jp->cap = ncap;
	for (i = 0; i < jp->n; i++)
		*slot_of(jp, jp->v[i].path) = i + 1;
	return 0;
}

static struct entry *
record(struct scanner *sc)
{
	struct jsonpos *jp = sc->jp;
	struct entry *e;

	if (sc->path_too_long)
		return NULL;
	if ((e = find(jp, sc->path)) != NULL)
		return e;   /* duplicate key: the last one wins */
	if (jp->n == MAX_ENTRIES)
		return NULL;
	if (jp->n == jp->cap && grow(jp) != 0) {
		sc->failed = 1;
		return NULL;
	}
	e = &jp->v[jp->n];
	memset(e, 0, sizeof(*e));
	if ((e->path = strdup(sc->path)) == NULL) {
		sc->failed = 1;
		return NULL;
	}
	*slot_of(jp, e->path) = ++jp->n;
	return e;
}

/* Append a segment to the current path; returns the old length to restore. */
static size_t
path_push(struct scanner *sc, const char *seg, size_t seglen, int depth)
{
	size_t old = sc->plen;

	if (sc->path_too_long || sc->plen + seglen > MAX_PATH) {
		if (!sc->path_too_long)
			sc->path_too_long = depth;
		return old;
	}
	memcpy(sc->path + sc->plen, seg, seglen);
	sc->plen += seglen;
	sc->path[sc->plen] = '\0';
	return old;
}

static void
path_pop(struct scanner *sc, size_t old, int depth)
{
	if (sc->path_too_long == depth)
		sc->path_too_long = 0;
	sc->plen = old;
	sc->path[old] = '\0';
}

/* ---- lexing ---------------------------------------------------------------- */

static int
hex4(struct scanner *sc, uint32_t *out)
{
	uint32_t v = 0;
	int k, c;

	for (k = 0; k < 4; k++) {
		c = peek(sc);
		if (c >= '0' && c <= '9') v = v * 16 + (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f') v = v * 16 + (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v = v * 16 + (uint32_t)(c - 'A' + 10);
		else return -1;
		advance(sc);
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) { out[0] = (char)cp; return 1; }
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Scan a string at the cursor.  When out is not NULL the unescaped text is
 * stored there (truncated to outsize - 1; *outlen gets the full length). */
static int
scan_string(struct scanner *sc, char *out, size_t outsize, size_t *outlen)
{
	size_t n = 0;
	char tmp[4];
	int c;

	if (expect(sc, '"') != 0)
		return -1;
	for (;;) {
		size_t k, tl;
		c = peek(sc);
		if (c < 0 || c < 0x20)
			goto bad;   /* end of text, or a raw control character */
		advance(sc);
		if (c == '"')
			break;
		if (c != '\\') {
			tmp[0] = (char)c;
			tl = 1;
		} else {
			uint32_t cp, lo;
			c = peek(sc);
			if (c < 0)
				goto bad;
			advance(sc);
			switch (c) {
			case '"': case '\\': case '/': tmp[0] = (char)c; tl = 1; break;
			case 'b': tmp[0] = '\b'; tl = 1; break;
			case 'f': tmp[0] = '\f'; tl = 1; break;
			case 'n': tmp[0] = '\n'; tl = 1; break;
			case 'r': tmp[0] = '\r'; tl = 1; break;
			case 't': tmp[0] = '\t'; tl = 1; break;
			case 'u':
				if (hex4(sc, &cp) != 0)
					goto bad;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (expect(sc, '\\') != 0 || expect(sc, 'u') != 0 ||
					    hex4(sc, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
						goto bad;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					goto bad;
				}
				tl = put_utf8(tmp, cp);
				break;
			default:
				goto bad;
			}
		}
		for (k = 0; k < tl; k++, n++)
			if (out != NULL && n + 1 < outsize)
				out[n] = tmp[k];
	}
	if (out != NULL)
		out[n < outsize ? n : outsize - 1] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return 0;
bad:
	sc->failed = 1;
	return -1;
}

static int
scan_literal(struct scanner *sc)
{
	/* numbers and true/false/null: the characters that can make them up;
	 * jansson decides whether they are well formed */
	size_t start = sc->i;
	int c;

	while ((c = peek(sc)) >= 0 && (c == '-' || c == '+' || c == '.' ||
	    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		advance(sc);
	if (sc->i == start) {
		sc->failed = 1;
		return -1;
	}
	return 0;
}

/* ---- structure ------------------------------------------------------------- */

static int scan_value(struct scanner *sc, int depth, int key_line, int key_col);

static int
scan_object(struct scanner *sc, int depth)
{
	char key[MAX_PATH + 2];
	size_t keylen;

	advance(sc);   /* { */
	skip_ws(sc);
	if (peek(sc) == '}') {
		advance(sc);
		return 0;
	}
	for (;;) {
		int kl, kc;
		size_t old;

		skip_ws(sc);
		kl = sc->line;
		kc = sc->col;
		/* leading '.' reserved for the separator; filled in below */
		if (scan_string(sc, key + 1, sizeof(key) - 1, &keylen) != 0)
			return -1;
		key[0] = '.';
		if (keylen > MAX_PATH)
			keylen = MAX_PATH + 1;   /* forces path_too_long */
		old = sc->plen == 0
		    ? path_push(sc, key + 1, keylen, depth)
		    : path_push(sc, key, keylen + 1, depth);
		skip_ws(sc);
		if (expect(sc, ':') != 0)
			return -1;
		skip_ws(sc);
		if (scan_value(sc, depth + 1, kl, kc) != 0)
			return -1;
		path_pop(sc, old, depth);
		skip_ws(sc);
		if (peek(sc) == ',') {
			advance(sc);
			continue;
		}
		return expect(sc, '}');
	}
}

static int
scan_array(struct scanner *sc, int depth)
{
	char seg[32];
	size_t idx = 0;

	advance(sc);   /* [ */
	skip_ws(sc);
	if (peek(sc) == ']') {
		advance(sc);
		return 0;
	}
	for (;;) {
		size_t old;
		int n = snprintf(seg, sizeof(seg), "[%zu]", idx++);

		skip_ws(sc);
		old = path_push(sc, seg, (size_t)n, depth);
		if (scan_value(sc, depth + 1, 0, 0) != 0)
			return -1;
		path_pop(sc, old, depth);
		skip_ws(sc);
		if (peek(sc) == ',') {
			advance(sc);
			continue;
		}
		return expect(sc, ']');
	}
}

static int
scan_value(struct scanner *sc, int depth, int key_line, int key_col)
{
	struct entry *e;
	int c = peek(sc);

	if (depth > MAX_DEPTH) {
		sc->failed = 1;
		return -1;
	}
	if ((e = record(sc)) != NULL) {
		e->key_line = key_line;
		e->key_col = key_col;
		e->val_line = sc->line;
		e->val_col = sc->col;
	}
	if (sc->failed)
		return -1;
	switch (c) {
	case '{': return scan_object(sc, depth);
	case '[': return scan_array(sc, depth);
	case '"': return scan_string(sc, NULL, 0, NULL);
	default:  return scan_literal(sc);
	}
}

/* ---- API ------------------------------------------------------------------- */

struct jsonpos *
jsonpos_scan(const char *text, size_t len)
{
	struct scanner *sc = calloc(1, sizeof(*sc));
	struct jsonpos *jp = calloc(1, sizeof(*jp));

	if (sc == NULL || jp == NULL) {
		free(sc);
		free(jp);
		return NULL;
	}
	sc->s = text;
	sc->len = len;
	sc->line = 1;
	sc->col = 1;
	sc->jp = jp;
	skip_ws(sc);
	scan_value(sc, 0, 0, 0);
	free(sc);
	return jp;
}

int
jsonpos_lookup(const struct jsonpos *jp, const char *path, int *line, int *col)
{
	const struct entry *e = find(jp, path);

	*line = *col = 0;
	if (e == NULL)
		return -1;
	*line = e->key_line ? e->key_line : e->val_line;
	*col = e->key_line ? e->key_col : e->val_col;
	return 0;
}

int
jsonpos_lookup_value(const struct jsonpos *jp, const char *path, int *line, int *col)
{
	const struct entry *e = find(jp, path);

	*line = *col = 0;
	if (e == NULL)
		return -1;
	*line = e->val_line;
	*col = e->val_col;
	return 0;
}

int
jsonpos_locate(const struct jsonpos *jp, const char *path, int *line, int *col)
{
	char buf[MAX_PATH + 1];
	size_t n;

	if (jsonpos_lookup(jp, path, line, col) == 0)
		return 0;
	n = strlen(path);
	if (n > MAX_PATH)
		n = MAX_PATH;
	memcpy(buf, path, n);
	buf[n] = '\0';
	/* strip the last ".key" or "[i]" until something matches */
	while (n > 0) {
		while (n > 0 && buf[n - 1] != '.' && buf[n - 1] != '[')
			n--;
		if (n == 0)
			break;
		n--;
		buf[n] = '\0';
		if (jsonpos_lookup(jp, buf, line, col) == 0)
			return 1;
	}
	return jsonpos_lookup(jp, "", line, col) == 0 ? 1 : -1;
}

size_t
jsonpos_count(const struct jsonpos *jp)
{
	return jp ? jp->n : 0;
}

void
jsonpos_free(struct jsonpos *jp)
{
	size_t i;

	if (jp == NULL)
		return;
	for (i = 0; i < jp->n; i++)
		free(jp->v[i].path);
	free(jp->v);
	free(jp->slot);
	free(jp);
}
