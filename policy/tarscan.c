/* tarscan.c - tar headers read as Go's archive/tar reads them (see
 * tarscan.h for what is mirrored and why). */
#include "policy/tarscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_HDR, S_META, S_JUDGE, S_DATA, S_END, S_ERR };

void
tarscan_init(struct tarscan *t)
{
	memset(t, 0, sizeof *t);
	t->state = S_HDR;
}

void
tarscan_free(struct tarscan *t)
{
	free(t->meta);
	free(t->pax);
	t->meta = t->pax = NULL;
}

static int
pending(const struct tarscan *t)
{
	return t->pax != NULL || t->has_long_name || t->has_long_link;
}

static void
drop_pending(struct tarscan *t)
{
	free(t->pax);
	t->pax = NULL;
	t->pax_len = 0;
	t->has_long_name = t->has_long_link = 0;
	t->long_name[0] = t->long_link[0] = '\0';
	t->long_name_last = '\0';
}

static enum tar_event
fail(struct tarscan *t, const char *fmt, const char *a)
{
	snprintf(t->error, sizeof t->error, fmt, a);
	t->state = S_ERR;
	return TAR_ERROR;
}

/* ---- numbers as Go's tar parser reads them ------------------------------------- */

/* parser.parseString: up to the first NUL */
static void
go_string(const unsigned char *b, size_t n, char *out, size_t outlen)
{
	size_t k = 0;
	while (k < n && b[k] != 0)
		k++;
	if (k >= outlen)
		k = outlen - 1;
	memcpy(out, b, k);
	out[k] = '\0';
}

/* parser.parseOctal: trim spaces and NULs at both ends, cut at the first
 * NUL, strconv.ParseUint(s, 8, 64); returns -1 on a parse error */
static int
go_octal(const unsigned char *b, size_t n, int64_t *v)
{
	size_t s = 0, e = n;
	uint64_t x = 0;

	while (s < e && (b[s] == ' ' || b[s] == 0))
		s++;
	while (e > s && (b[e - 1] == ' ' || b[e - 1] == 0))
		e--;
	*v = 0;
	if (s == e)
		return 0;
	for (size_t i = s; i < e && b[i] != 0; i++) {
		if (b[i] < '0' || b[i] > '7' || (x >> 61) != 0)
			return -1;
		x = x << 3 | (uint64_t)(b[i] - '0');
	}
	*v = (int64_t)x;
	return 0;
}

/* parser.parseNumeric: base-256 (two's complement, first bit set) or octal */
static int
go_numeric(const unsigned char *b, size_t n, int64_t *v)
{
	if (n > 0 && (b[0] & 0x80) != 0) {
		unsigned char inv = (b[0] & 0x40) ? 0xff : 0x00;
		uint64_t x = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = b[i] ^ inv;
			if (i == 0)
				c &= 0x7f;
			if ((x >> 56) > 0)
				return -1;
			x = x << 8 | c;
		}
		if ((x >> 63) > 0)
			return -1;
		*v = inv ? ~(int64_t)x : (int64_t)x;
		return 0;
	}
	return go_octal(b, n, v);
}

/* strconv.ParseInt(s, 10, 64) over s[0..n): optional sign, digits only */
static int
go_parse_int(const char *s, size_t n, int64_t *v)
{
	size_t i = 0;
	int neg = 0;
	uint64_t x = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
			return -1;
	}
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

/* ---- the header block ------------------------------------------------------------ */

static int
all_zero(const unsigned char *b)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* block.GetFormat's checksum test: the chksum field (spaces while summing)
 * against the unsigned or the signed sum */
static int
checksum_ok(const unsigned char *b)
{
	int64_t want, u = 0, s = 0;

	if (go_octal(b + 148, 8, &want) != 0)
		return 0;
	for (size_t i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
		u += c;
		s += (signed char)c;
	}
	return want == u || want == s;
}

enum fmt { F_V7, F_USTAR, F_GNU, F_STAR };

static enum fmt
block_format(const unsigned char *b)
{
	if (memcmp(b + 257, "ustar\0", 6) == 0)
		return memcmp(b + 508, "tar\0", 4) == 0 ? F_STAR : F_USTAR;
	if (memcmp(b + 257, "ustar ", 6) == 0 && memcmp(b + 263, " \0", 2) == 0)
		return F_GNU;
	return F_V7;
}

/* The numeric fields Go's readHeader parses with error checking for this
 * format; -1 on any error. */
static int
parse_numbers(const unsigned char *b, enum fmt f, int64_t *size, int64_t *mode)
{
	int64_t v;

	if (go_numeric(b + 124, 12, size) || go_numeric(b + 100, 8, mode) ||
	    go_numeric(b + 108, 8, &v) || go_numeric(b + 116, 8, &v) ||
	    go_numeric(b + 136, 12, &v))
		return -1;
	if (f != F_V7 && (go_numeric(b + 329, 8, &v) || go_numeric(b + 337, 8, &v)))
		return -1;
	if (f == F_STAR && (go_numeric(b + 476, 12, &v) || go_numeric(b + 488, 12, &v)))
		return -1;
	return 0;
}

/* The prefix readHeader puts before the name: USTAR's and STAR's field;
 * of a GNU header whose atime or ctime Go cannot parse, USTAR's field
 * when it is ASCII (files of pre-1.8 Go writers). */
static void
header_prefix(const unsigned char *b, enum fmt f, char *out, size_t len)
{
	int64_t v;

	out[0] = '\0';
	if (f == F_USTAR) {
		go_string(b + 345, 155, out, len);
	} else if (f == F_STAR) {
		go_string(b + 345, 131, out, len);
	} else if (f == F_GNU && ((b[345] != 0 && go_numeric(b + 345, 12, &v) != 0) ||
	    (b[357] != 0 && go_numeric(b + 357, 12, &v) != 0))) {
		go_string(b + 345, 155, out, len);
		for (const char *c = out; *c; c++)
			if ((unsigned char)*c >= 0x80) {
				out[0] = '\0';
				break;
			}
	}
}

/* isHeaderOnlyType: no data follows whatever the size says */
static int
header_only(char type)
{
	return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' ||
	    type == '6';
}

static uint64_t
padding(uint64_t n)
{
	return (TAR_BLOCK - n % TAR_BLOCK) % TAR_BLOCK;
}

/* ---- PAX records ----------------------------------------------------------------- */

/* One record of parsePAX/parsePAXRecord: "%d %s=%s\n"; Go's checks plus a
 * length that leaves room for the key (Go 1.13 would slice out of range). */
static int
pax_record(const unsigned char *s, size_t n, size_t *reclen, const char **k, size_t *klen,
    const char **v, size_t *vlen)
{
	size_t sp = 0;
	int64_t len;

	while (sp < n && s[sp] != ' ')
		sp++;
	if (sp == n || go_parse_int((const char *)s, sp, &len) != 0 || len < 5 ||
	    (uint64_t)len > n || (size_t)len < sp + 2)
		return -1;
	if (s[len - 1] != '\n')
		return -1;
	const unsigned char *rec = s + sp + 1, *eq;
	size_t rn = (size_t)len - 1 - (sp + 1);
	if ((eq = memchr(rec, '=', rn)) == NULL)
		return -1;
	*k = (const char *)rec;
	*klen = (size_t)(eq - rec);
	*v = (const char *)eq + 1;
	*vlen = rn - *klen - 1;
	if (*klen == 0)
		return -1;
	/* validPAXRecord: path, linkpath, uname, gname values hold no NUL;
	 * other keys hold no NUL */
	int named = (*klen == 4 && memcmp(*k, "path", 4) == 0) ||
	    (*klen == 8 && memcmp(*k, "linkpath", 8) == 0) ||
	    (*klen == 5 && (memcmp(*k, "uname", 5) == 0 || memcmp(*k, "gname", 5) == 0));
	if (named ? memchr(*v, 0, *vlen) != NULL : memchr(*k, 0, *klen) != NULL)
		return -1;
	*reclen = (size_t)len;
	return 0;
}

static int
key_is(const char *k, size_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

/* Validate a whole PAX header's records as parsePAX does (the sparse
 * offset/numbytes order included).  -1 on error. */
static int
pax_validate(const unsigned char *p, size_t n)
{
	size_t nsparse = 0;

	while (n > 0) {
		size_t rl, kl, vl;
		const char *k, *v;
		if (pax_record(p, n, &rl, &k, &kl, &v, &vl) != 0)
			return -1;
		int off = key_is(k, kl, "GNU.sparse.offset"), nb = key_is(k, kl, "GNU.sparse.numbytes");
		if (off || nb) {
			if ((nsparse % 2 == 0 && !off) || (nsparse % 2 == 1 && !nb) ||
			    memchr(v, ',', vl) != NULL)
				return -1;
			nsparse++;
		}
		p += rl;
		n -= rl;
	}
	return 0;
}

static void
copy_value(char *out, size_t outlen, const char *v, size_t vl)
{
	if (vl >= outlen)
		vl = outlen - 1;
	memcpy(out, v, vl);
	out[vl] = '\0';
}

/* mergePAX into the entry: the last record of a key wins (a map in Go), an
 * empty value keeps the header's; *path_last becomes the last byte of the
 * whole path.  -1 on a bad size. */
static int
pax_merge(struct tarscan *t, int64_t *size, int *size_set, char *path_last)
{
	const unsigned char *p = t->pax;
	size_t n = t->pax_len;
	struct tar_entry *e = &t->entry;
	const char *sz = NULL, *path = NULL, *link = NULL;
	size_t szl = 0, pathl = 0, linkl = 0;

	while (n > 0) {
		size_t rl, kl, vl;
		const char *k, *v;
		if (pax_record(p, n, &rl, &k, &kl, &v, &vl) != 0)
			return -1;
		if (key_is(k, kl, "size")) {
			sz = v;
			szl = vl;
		} else if (key_is(k, kl, "path")) {
			path = v;
			pathl = vl;
		} else if (key_is(k, kl, "linkpath")) {
			link = v;
			linkl = vl;
		} else if (kl > 13 && memcmp(k, "SCHILY.xattr.", 13) == 0 && vl > 0) {
			if (e->xattr[0] == '\0')
				copy_value(e->xattr, sizeof e->xattr, k + 13, kl - 13);
			if (e->bad_xattr[0] == '\0' && !(kl > 18 && memcmp(k + 13, "user.", 5) == 0))
				copy_value(e->bad_xattr, sizeof e->bad_xattr, k + 13, kl - 13);
		} else if (kl > 11 && memcmp(k, "GNU.sparse.", 11) == 0) {
			e->sparse = 1;
		}
		p += rl;
		n -= rl;
	}
	if (pathl > 0) {
		copy_value(e->name, sizeof e->name, path, pathl);
		*path_last = path[pathl - 1];
	}
	if (linkl > 0)
		copy_value(e->linkname, sizeof e->linkname, link, linkl);
	if (sz != NULL && szl > 0) {
		if (go_parse_int(sz, szl, size) != 0)
			return -1;
		*size_set = 1;
	}
	return 0;
}

/* ---- the state machine ------------------------------------------------------------ */

static void
to_header(struct tarscan *t)
{
	t->state = S_HDR;
	t->blen = 0;
	if (!pending(t))
		t->group_start = t->off;
}

/* The data of a PAX or GNU long-name header is complete. */
static enum tar_event
meta_done(struct tarscan *t)
{
	switch (t->meta_type) {
	case 'x':
	case 'g':
		if (pax_validate(t->meta, t->meta_len) != 0)
			return fail(t, "malformed PAX records%s", "");
		if (t->meta_type == 'g') {
			/* an entry of its own, ignored by dockerd; what was pending
			 * is dropped (Go returns it with the global records) */
			drop_pending(t);
			free(t->meta);
		} else {
			free(t->pax);
			t->pax = t->meta;
			t->pax_len = t->meta_len;
		}
		t->meta = NULL;
		break;
	case 'L':
		go_string(t->meta, t->meta_len, t->long_name, sizeof t->long_name);
		t->has_long_name = 1;
		{
			const unsigned char *nul = memchr(t->meta, 0, t->meta_len);
			size_t k = nul ? (size_t)(nul - t->meta) : t->meta_len;
			t->long_name_last = k > 0 ? (char)t->meta[k - 1] : '\0';
		}
		free(t->meta);
		t->meta = NULL;
		break;
	case 'K':
		go_string(t->meta, t->meta_len, t->long_link, sizeof t->long_link);
		t->has_long_link = 1;
		free(t->meta);
		t->meta = NULL;
		break;
	}
	t->meta_len = t->meta_want = 0;
	t->skip = t->meta_pad;
	t->state = S_DATA;     /* the padding, then the next header */
	return TAR_MORE;
}

static enum tar_event
header_done(struct tarscan *t)
{
	const unsigned char *b = t->blk;
	int64_t size, mode;

	if (t->off == TAR_BLOCK && tarscan_compressed(t) != NULL)
		return fail(t, "the archive is %s-compressed", tarscan_compressed(t));
	if (all_zero(b)) {
		if (t->zero_seen) {
			t->state = S_END;
			return TAR_END;
		}
		t->zero_seen = 1;
		t->blen = 0;
		return TAR_MORE;
	}
	if (t->zero_seen)
		return fail(t, "a header after a zero block%s", "");
	if (!checksum_ok(b))
		return fail(t, "a header block with a bad checksum (not a tar header)%s", "");
	enum fmt f = block_format(b);
	if (parse_numbers(b, f, &size, &mode) != 0)
		return fail(t, "a header with a malformed numeric field%s", "");
	char type = (char)b[156];
	/* handleRegularFile on the header as read: a header-only type reads
	 * no data whatever its size says, a negative one included */
	if (size < 0 && !header_only(type))
		return fail(t, "a header with a negative size%s", "");
	if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
		if ((uint64_t)size > TAR_META_MAX)
			return fail(t, "PAX records or a GNU long name over 64 KiB%s", "");
		t->meta_type = type;
		t->meta_want = (size_t)size;
		t->meta_len = 0;
		t->meta_pad = padding((uint64_t)size);
		if ((t->meta = malloc(size ? (size_t)size : 1)) == NULL)
			return fail(t, "out of memory%s", "");
		t->state = S_META;
		t->blen = 0;
		if (size == 0)
			return meta_done(t);
		return TAR_MORE;
	}
	/* a real entry */
	struct tar_entry *e = &t->entry;
	memset(e, 0, sizeof *e);
	e->type = type;
	e->mode = mode;
	char name[101], prefix[156];
	go_string(b, 100, name, sizeof name);
	header_prefix(b, f, prefix, sizeof prefix);
	snprintf(e->name, sizeof e->name, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
	/* the whole name's last byte: e->name is cut for messages */
	char last = name[0] ? name[strlen(name) - 1] : prefix[0] ? '/' : '\0';
	go_string(b + 157, 100, e->linkname, sizeof e->linkname);
	int size_set = 0;
	int64_t psize = 0;
	if (t->pax != NULL && pax_merge(t, &psize, &size_set, &last) != 0)
		return fail(t, "malformed PAX records%s", "");
	if (size_set)
		size = psize;
	if (t->has_long_name && t->long_name[0] != '\0') {
		snprintf(e->name, sizeof e->name, "%s", t->long_name);
		last = t->long_name_last;
	}
	if (t->has_long_link && t->long_link[0] != '\0')
		snprintf(e->linkname, sizeof e->linkname, "%s", t->long_link);
	/* TypeRegA with a name ending in '/' is a directory for Go: no data */
	char as = type == '\0' && last == '/' ? '5' : type;
	if (size < 0 && !header_only(as))
		return fail(t, "a header with a negative size%s", "");
	if (header_only(as))
		size = 0;
	e->size = size;
	drop_pending(t);
	t->state = S_JUDGE;
	return TAR_ENTRY;
}

void
tarscan_accept(struct tarscan *t)
{
	if (t->state != S_JUDGE)
		return;
	t->skip = (uint64_t)t->entry.size + padding((uint64_t)t->entry.size);
	t->state = S_DATA;
	t->group_start = t->off;
	if (t->skip == 0)
		to_header(t);
}

enum tar_event
tarscan_feed(struct tarscan *t, const unsigned char *buf, size_t len, size_t *used)
{
	size_t i = 0;
	enum tar_event ev = TAR_MORE;

	while (i < len && ev == TAR_MORE) {
		size_t n;
		switch (t->state) {
		case S_HDR:
			n = TAR_BLOCK - t->blen;
			if (n > len - i)
				n = len - i;
			memcpy(t->blk + t->blen, buf + i, n);
			t->blen += n;
			i += n;
			t->off += n;
			if (t->nfirst < sizeof t->first) {
				size_t k = t->blen < sizeof t->first ? t->blen : sizeof t->first;
				if (t->off == t->blen) {   /* the stream's first block */
					memcpy(t->first, t->blk, k);
					t->nfirst = k;
				}
			}
			if (t->blen == TAR_BLOCK)
				ev = header_done(t);
			break;
		case S_META:
			n = t->meta_want - t->meta_len;
			if (n > len - i)
				n = len - i;
			memcpy(t->meta + t->meta_len, buf + i, n);
			t->meta_len += n;
			i += n;
			t->off += n;
			if (t->meta_len == t->meta_want)
				ev = meta_done(t);
			break;
		case S_DATA:
			n = len - i;
			if ((uint64_t)n > t->skip)
				n = (size_t)t->skip;
			t->skip -= n;
			i += n;
			t->off += n;
			if (t->skip == 0)
				to_header(t);
			break;
		case S_END:
			t->off += len - i;
			i = len;
			break;
		case S_JUDGE:   /* tarscan_accept first */
		case S_ERR:
		default:
			*used = i;
			return t->state == S_ERR ? TAR_ERROR : TAR_ENTRY;
		}
	}
	*used = i;
	if (ev == TAR_MORE && t->state != S_END && t->off - t->group_start > TAR_GROUP_MAX &&
	    (t->state != S_DATA || pending(t)))
		ev = fail(t, "the headers of one entry exceed 256 KiB%s", "");
	return ev;
}

uint64_t
tarscan_safe(const struct tarscan *t)
{
	if (t->state == S_END || (t->state == S_DATA && !pending(t)))
		return t->off;
	return t->group_start;
}

uint64_t
tarscan_skippable(const struct tarscan *t)
{
	if (t->state == S_END)
		return UINT64_MAX;
	if (t->state == S_DATA && !pending(t))
		return t->skip;
	return 0;
}

void
tarscan_skip(struct tarscan *t, uint64_t n)
{
	if (n == 0 || n > tarscan_skippable(t))
		return;
	t->off += n;
	if (t->state == S_DATA) {
		t->skip -= n;
		if (t->skip == 0)
			to_header(t);
	}
}

const char *
tarscan_compressed(const struct tarscan *t)
{
	static const struct { const char *name; unsigned char magic[6]; size_t n; } m[] = {
		{ "bzip2", { 0x42, 0x5a, 0x68 }, 3 },
		{ "gzip", { 0x1f, 0x8b, 0x08 }, 3 },
		{ "xz", { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, 6 },
		{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (t->nfirst >= m[i].n && memcmp(t->first, m[i].magic, m[i].n) == 0)
			return m[i].name;
	return NULL;
}
