/* test_tarscan.c - the streaming tar header reader (policy/tarscan.c) on
 * pathological headers: truncated, huge and base-256 sizes, overflowing and
 * negative numbers, signed checksums, PAX records Go rejects, long names and
 * header groups past their bounds, the end marker.  The fixtures of
 * tests/fixtures/archive go through it whole and byte by byte in the policy
 * table tests (tests/policy/archive-binds.json). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/tarscan.h"

#define B TAR_BLOCK

static void
octal(unsigned char *f, size_t w, unsigned long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%0*llo", (int)(w - 1), v);
	memcpy(f, buf, w - 1);
	f[w - 1] = 0;
}

static void
sum(unsigned char *h, int signed_sum)
{
	long long s = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < B; i++)
		s += signed_sum ? (signed char)h[i] : h[i];
	char buf[16];
	snprintf(buf, sizeof buf, "%06llo", (unsigned long long)s);
	memcpy(h + 148, buf, 6);
	h[154] = 0;
	h[155] = ' ';
}

/* a ustar header; size_field NULL: octal size */
static void
hdr(unsigned char *h, const char *name, char type, unsigned mode, unsigned long long size,
    const unsigned char *size_field)
{
	memset(h, 0, B);
	memcpy(h, name, strlen(name));
	octal(h + 100, 8, mode);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	if (size_field)
		memcpy(h + 124, size_field, 12);
	else
		octal(h + 124, 12, size);
	octal(h + 136, 12, 1700000000);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	octal(h + 329, 8, 0);
	octal(h + 337, 8, 0);
	sum(h, 0);
}

/* feed everything (accepting every entry); the last event and the count of entries */
static enum tar_event
run(struct tarscan *t, const unsigned char *p, size_t n, size_t step, int *entries)
{
	enum tar_event ev = TAR_MORE;
	*entries = 0;
	for (size_t off = 0; off < n;) {
		size_t used, k = n - off < step ? n - off : step;
		ev = tarscan_feed(t, p + off, k, &used);
		off += used;
		if (ev == TAR_ENTRY) {
			(*entries)++;
			tarscan_accept(t);
			ev = TAR_MORE;
		} else if (ev == TAR_ERROR) {
			return ev;
		}
	}
	return ev;
}

START_TEST(truncated_header_is_held)
{
	unsigned char h[B];
	struct tarscan t;
	int n;

	hdr(h, "a", '0', 0644, 0, NULL);
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, h, 300, 1, &n), TAR_MORE);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(tarscan_safe(&t), 0);   /* none of a partial header goes */
	tarscan_free(&t);
}
END_TEST

START_TEST(huge_base256_size_streams)
{
	unsigned char h[B], sz[12] = { 0x80 };
	struct tarscan t;
	size_t used;

	sz[4] = 0x40;   /* 2^62 bytes of data, base-256 */
	hdr(h, "huge", '0', 0644, 0, sz);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ENTRY);
	ck_assert(t.entry.size == (int64_t)1 << 62);
	tarscan_accept(&t);
	unsigned char *data = calloc(1, 1 << 20);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(tarscan_feed(&t, data, 1 << 20, &used), TAR_MORE);
	ck_assert_uint_eq(tarscan_safe(&t), B + 8u * (1 << 20));   /* data is never held */
	/* a "header" inside that data is data */
	hdr(data, "suid", '0', 04755, 0, NULL);
	ck_assert_int_eq(tarscan_feed(&t, data, B, &used), TAR_MORE);
	free(data);
	tarscan_free(&t);
}
END_TEST

START_TEST(bad_numbers)
{
	static const unsigned char overflow[12] = { 0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char negative[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xfe };
	static const unsigned char spaced[12] = "  1 2      ";
	static const unsigned char padded[12] = "   1000 \0\0\0";
	unsigned char h[B];
	struct tarscan t;
	size_t used;

	hdr(h, "o", '0', 0644, 0, overflow);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	ck_assert_str_eq(t.error, "a header with a malformed numeric field");
	tarscan_free(&t);

	hdr(h, "n", '0', 0644, 0, negative);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	ck_assert_str_eq(t.error, "a header with a negative size");
	tarscan_free(&t);

	hdr(h, "s", '0', 0644, 0, spaced);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	tarscan_free(&t);

	/* leading spaces, trailing space and NULs: Go trims them */
	hdr(h, "p", '0', 0644, 0, padded);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ENTRY);
	ck_assert(t.entry.size == 01000);
	tarscan_free(&t);
}
END_TEST

START_TEST(signed_checksum_and_bad_checksum)
{
	unsigned char h[B];
	struct tarscan t;
	size_t used;

	hdr(h, "\xe9t\xe9", '0', 0644, 0, NULL);
	sum(h, 1);   /* old writers summed signed bytes: Go takes either */
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ENTRY);
	tarscan_free(&t);
	h[0] ^= 1;
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	tarscan_free(&t);
}
END_TEST

static enum tar_event
pax_then_file(const char *records, size_t rn, int *entries, int64_t *size)
{
	unsigned char buf[4 * B];
	struct tarscan t;

	memset(buf, 0, sizeof buf);
	hdr(buf, "PaxHeaders/f", 'x', 0644, rn, NULL);
	memcpy(buf + B, records, rn);
	hdr(buf + 2 * B, "f", '0', 0644, 0, NULL);
	tarscan_init(&t);
	enum tar_event ev = run(&t, buf, 3 * B, 7, entries);
	*size = t.entry.size;
	tarscan_free(&t);
	return ev;
}

START_TEST(pax_records)
{
	int n;
	int64_t size;

	ck_assert_int_eq(pax_then_file("12 size=512\n", 12, &n, &size), TAR_MORE);
	ck_assert_int_eq(n, 1);
	ck_assert(size == 512);
	ck_assert_int_eq(pax_then_file("13 size=+512\n", 13, &n, &size), TAR_MORE);   /* ParseInt */
	ck_assert(size == 512);
	ck_assert_int_eq(pax_then_file("7 size=\n", 8, &n, &size), TAR_ERROR);       /* length off */
	ck_assert_int_eq(pax_then_file("8 size=\n", 8, &n, &size), TAR_MORE);        /* empty: kept */
	ck_assert(size == 0);
	ck_assert_int_eq(pax_then_file("12 size=-12\n", 12, &n, &size), TAR_ERROR);  /* negative */
	ck_assert_int_eq(pax_then_file("11 size=1x\n", 11, &n, &size), TAR_ERROR);   /* not a number */
	ck_assert_int_eq(pax_then_file("4 a=\n", 5, &n, &size), TAR_ERROR);          /* under 5 */
	ck_assert_int_eq(pax_then_file("5 =x\n", 5, &n, &size), TAR_ERROR);          /* empty key */
	ck_assert_int_eq(pax_then_file("6 abc\n", 6, &n, &size), TAR_ERROR);         /* no '=' */
	ck_assert_int_eq(pax_then_file("9 size 1\n", 9, &n, &size), TAR_ERROR);
	ck_assert_int_eq(pax_then_file("00000000009 a=b\n", 16, &n, &size), TAR_ERROR); /* Go 1.13 panics */
	ck_assert_int_eq(pax_then_file("9 path=a", 8, &n, &size), TAR_ERROR);        /* past the end */
	ck_assert_int_eq(pax_then_file("7 a\0=b\n", 7, &n, &size), TAR_ERROR);       /* NUL in a key */
}
END_TEST

START_TEST(bounds)
{
	size_t n = 5 * (60u << 10) + 8 * B;
	unsigned char *buf = calloc(1, n);
	struct tarscan t;
	int entries;
	size_t off = 0;

	/* a PAX header over 64 KiB is not held */
	hdr(buf, "PaxHeaders/big", 'x', 0644, TAR_META_MAX + 1, NULL);
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, buf, B, B, &entries), TAR_ERROR);
	tarscan_free(&t);
	/* nor a GNU long name */
	hdr(buf, "././@LongLink", 'L', 0644, TAR_META_MAX + 1, NULL);
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, buf, B, B, &entries), TAR_ERROR);
	tarscan_free(&t);
	/* PAX headers replacing each other: the group is bounded */
	memset(buf, 0, n);
	for (int i = 0; i < 5; i++) {
		hdr(buf + off, "PaxHeaders/x", 'x', 0644, 60u << 10, NULL);
		off += B;
		for (size_t k = 0; k < (60u << 10); k += 12)
			memcpy(buf + off + k, "12 comment=\n", 12);   /* 12-byte records */
		off += 60u << 10;
	}
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, buf, off, 4096, &entries), TAR_ERROR);
	ck_assert_str_eq(t.error, "the headers of one entry exceed 256 KiB");
	ck_assert_uint_eq(tarscan_safe(&t), 0);
	tarscan_free(&t);
	free(buf);
}
END_TEST

START_TEST(end_marker_and_after)
{
	unsigned char buf[6 * B];
	struct tarscan t;
	int n;

	memset(buf, 0, sizeof buf);
	hdr(buf, "a", '0', 0644, 0, NULL);
	hdr(buf + 4 * B, "after", '3', 0644, 0, NULL);   /* never read by Go */
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, buf, 2 * B, 1, &n), TAR_MORE);
	ck_assert_uint_eq(tarscan_safe(&t), B);   /* one zero block: held */
	size_t used;
	ck_assert_int_eq(tarscan_feed(&t, buf + 2 * B, 4 * B, &used), TAR_END);
	ck_assert_int_eq(tarscan_feed(&t, buf + 2 * B + used, 4 * B - used, &used), TAR_MORE);
	ck_assert_uint_eq(tarscan_safe(&t), 6 * B);
	tarscan_free(&t);
}
END_TEST

START_TEST(compression_magic)
{
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	struct tarscan t;
	size_t used;

	tarscan_init(&t);
	tarscan_feed(&t, xz, 5, &used);
	ck_assert_ptr_null(tarscan_compressed(&t));   /* 5 of xz's 6 bytes: not xz to Go */
	tarscan_feed(&t, xz + 5, 1, &used);
	ck_assert_str_eq(tarscan_compressed(&t), "xz");
	tarscan_free(&t);
	tarscan_init(&t);
	tarscan_feed(&t, (const unsigned char *)"BZh9", 4, &used);
	ck_assert_str_eq(tarscan_compressed(&t), "bzip2");
	tarscan_free(&t);
}
END_TEST

Suite *
tarscan_suite(void)
{
	Suite *s = suite_create("tarscan");
	TCase *tc = tcase_create("tarscan");
	tcase_add_test(tc, truncated_header_is_held);
	tcase_add_test(tc, huge_base256_size_streams);
	tcase_add_test(tc, bad_numbers);
	tcase_add_test(tc, signed_checksum_and_bad_checksum);
	tcase_add_test(tc, pax_records);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, end_marker_and_after);
	tcase_add_test(tc, compression_magic);
	suite_add_tcase(s, tc);
	return s;
}
