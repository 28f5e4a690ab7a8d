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
#include "tests/unit/tar_build.h"

#define B TAR_BLOCK

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

	tar_header(h, "a", '0', 0644, 0, NULL);
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
	tar_header(h, "huge", '0', 0644, 0, sz);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ENTRY);
	ck_assert(t.entry.size == (int64_t)1 << 62);
	tarscan_accept(&t);
	unsigned char *data = calloc(1, 1 << 20);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(tarscan_feed(&t, data, 1 << 20, &used), TAR_MORE);
	ck_assert_uint_eq(tarscan_safe(&t), B + 8u * (1 << 20));   /* data is never held */
	/* a "header" inside that data is data */
	tar_header(data, "suid", '0', 04755, 0, NULL);
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

	tar_header(h, "o", '0', 0644, 0, overflow);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	ck_assert_str_eq(t.error, "a header with a malformed numeric field");
	tarscan_free(&t);

	tar_header(h, "n", '0', 0644, 0, negative);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	ck_assert_str_eq(t.error, "a header with a negative size");
	tarscan_free(&t);

	tar_header(h, "s", '0', 0644, 0, spaced);
	tarscan_init(&t);
	ck_assert_int_eq(tarscan_feed(&t, h, B, &used), TAR_ERROR);
	tarscan_free(&t);

	/* leading spaces, trailing space and NULs: Go trims them */
	tar_header(h, "p", '0', 0644, 0, padded);
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

	tar_header(h, "\xe9t\xe9", '0', 0644, 0, NULL);
	tar_checksum(h, 1);   /* old writers summed signed bytes: Go takes either */
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
	tar_header(buf, "PaxHeaders/f", 'x', 0644, rn, NULL);
	memcpy(buf + B, records, rn);
	tar_header(buf + 2 * B, "f", '0', 0644, 0, NULL);
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
	tar_header(buf, "PaxHeaders/big", 'x', 0644, TAR_META_MAX + 1, NULL);
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, buf, B, B, &entries), TAR_ERROR);
	tarscan_free(&t);
	/* nor a GNU long name */
	tar_header(buf, "././@LongLink", 'L', 0644, TAR_META_MAX + 1, NULL);
	tarscan_init(&t);
	ck_assert_int_eq(run(&t, buf, B, B, &entries), TAR_ERROR);
	tarscan_free(&t);
	/* PAX headers replacing each other: the group is bounded */
	memset(buf, 0, n);
	for (int i = 0; i < 5; i++) {
		tar_header(buf + off, "PaxHeaders/x", 'x', 0644, 60u << 10, NULL);
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
	tar_header(buf, "a", '0', 0644, 0, NULL);
	tar_header(buf + 4 * B, "after", '3', 0644, 0, NULL);   /* never read by Go */
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

/* Scan p[0..n) feeding `step` bytes at a time; with skip set, whatever
 * tarscan_skippable() allows (up to `skip` at once) is skipped instead of
 * fed.  The entries seen are written as "type:name:size;" into log; the
 * bytes skipped are counted; -1 on TAR_ERROR. */
static int
scan_log(const unsigned char *p, size_t n, size_t step, uint64_t skip, char *log, size_t loglen,
    uint64_t *skipped, uint64_t *safe_end)
{
	struct tarscan t;
	size_t off = 0, l = 0;
	tarscan_init(&t);
	*skipped = 0;
	log[0] = '\0';
	while (off < n) {
		uint64_t can = skip ? tarscan_skippable(&t) : 0;
		if (can > 0) {
			uint64_t k = can < skip ? can : skip;
			if (k > n - off)
				k = n - off;
			tarscan_skip(&t, k);
			off += (size_t)k;
			*skipped += k;
			continue;
		}
		size_t used, k = n - off < step ? n - off : step;
		enum tar_event ev = tarscan_feed(&t, p + off, k, &used);
		off += used;
		if (ev == TAR_ERROR) {
			tarscan_free(&t);
			return -1;
		}
		if (ev == TAR_ENTRY) {
			/* while an entry waits for its judgement nothing may pass unseen */
			ck_assert_uint_eq(tarscan_skippable(&t), 0);
			l += (size_t)snprintf(log + l, loglen - l, "%c:%s:%lld;", t.entry.type ? t.entry.type : '0',
			    t.entry.name, (long long)t.entry.size);
			tarscan_accept(&t);
		}
	}
	*safe_end = tarscan_safe(&t);
	ck_assert_uint_eq(t.off, n);
	tarscan_free(&t);
	return 0;
}

START_TEST(skipped_data_reads_as_fed)
{
	/* a PAX path, a 3000-byte file, a symlink, a GNU long name, a
	 * 1000-byte file whose data holds a header, the end marker, trailing
	 * bytes */
	enum { N = 24 * B };
	unsigned char *a = calloc(1, N);
	size_t o = 0;
	const char rec[] = "27 path=pax/named/file.bin\n";   /* a record counts its own bytes */
	tar_header(a + o, "PaxHeaders/x", 'x', 0644, strlen(rec), NULL);
	o += B;
	memcpy(a + o, rec, strlen(rec));
	o += B;
	tar_header(a + o, "short.bin", '0', 0644, 3000, NULL);
	o += B;
	memset(a + o, 'd', 3000);
	o += 6 * B;
	tar_header(a + o, "link", '2', 0777, 0, NULL);
	o += B;
	tar_header(a + o, "././@LongLink", 'L', 0644, 20, NULL);
	o += B;
	memcpy(a + o, "long/name/of/a/file", 20);
	o += B;
	tar_header(a + o, "x", '0', 0644, 1000, NULL);
	o += B;
	tar_header(a + o, "inside", '3', 04755, 0, NULL);   /* data, not a header */
	o += 2 * B;
	o += 2 * B;   /* the end marker */
	tar_header(a + o, "after", '3', 0644, 0, NULL);   /* never read by Go */
	o += B;
	ck_assert_uint_le(o, N);

	char whole[512], part[512];
	uint64_t skipped, safe_whole, safe_part;
	ck_assert_int_eq(scan_log(a, o, 7, 0, whole, sizeof whole, &skipped, &safe_whole), 0);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_str_eq(whole, "0:pax/named/file.bin:3000;2:link:0;0:long/name/of/a/file:1000;");
	ck_assert_uint_eq(safe_whole, o);
	static const uint64_t skips[] = { 1, 100, 511, 512, 513, 4096, UINT64_MAX };
	for (size_t i = 0; i < sizeof skips / sizeof skips[0]; i++) {
		for (size_t step = 1; step <= 1024; step *= 4) {
			ck_assert_int_eq(scan_log(a, o, step, skips[i], part, sizeof part, &skipped, &safe_part), 0);
			ck_assert_str_eq(part, whole);
			ck_assert_uint_eq(safe_part, safe_whole);
			/* the two files' data and padding, and the block after the end */
			ck_assert_uint_eq(skipped, 6 * B + 2 * B + 1 * B);
		}
	}
	free(a);
}
END_TEST

START_TEST(skippable_is_data_only)
{
	unsigned char buf[4 * B];
	struct tarscan t;
	size_t used;

	memset(buf, 0, sizeof buf);
	tar_header(buf, "PaxHeaders/x", 'x', 0644, 27, NULL);
	memcpy(buf + B, "27 path=pax/named/file.bin\n", 27);
	tarscan_init(&t);
	ck_assert_uint_eq(tarscan_skippable(&t), 0);
	ck_assert_int_eq(tarscan_feed(&t, buf, 100, &used), TAR_MORE);
	ck_assert_uint_eq(tarscan_skippable(&t), 0);   /* in a header */
	ck_assert_int_eq(tarscan_feed(&t, buf + 100, B - 100 + 10, &used), TAR_MORE);
	ck_assert_uint_eq(tarscan_skippable(&t), 0);   /* in PAX records */
	ck_assert_int_eq(tarscan_feed(&t, buf + B + 10, 30, &used), TAR_MORE);   /* 17 + 13 of padding */
	ck_assert_uint_eq(tarscan_skippable(&t), 0);   /* PAX padding: the records are pending */
	tarscan_skip(&t, 10);                          /* refused: nothing changes */
	ck_assert_uint_eq(t.off, B + 40);
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

/* Feed a whole archive (accepting every entry): the types of the entries
 * read, as a string ('\0' as '.'), and the last event. */
static enum tar_event
entry_types(const unsigned char *p, size_t n, size_t step, char *types, size_t tlen,
    int64_t *first_size)
{
	struct tarscan t;
	enum tar_event ev = TAR_MORE;
	size_t k = 0;

	tarscan_init(&t);
	for (size_t off = 0; off < n && ev != TAR_ERROR;) {
		size_t used, len = n - off < step ? n - off : step;
		ev = tarscan_feed(&t, p + off, len, &used);
		off += used;
		if (ev == TAR_ENTRY) {
			if (k == 0)
				*first_size = t.entry.size;
			if (k + 1 < tlen)
				types[k++] = t.entry.type ? t.entry.type : '.';
			tarscan_accept(&t);
		}
	}
	types[k] = '\0';
	tarscan_free(&t);
	return ev;
}

/* Go's handleRegularFile reads no data for a header-only type whatever its
 * size says: a negative size (base-256, or a PAX record) included. */
START_TEST(header_only_types_ignore_a_negative_size)
{
	static const unsigned char negative[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xfe };
	static const char rec[] = "12 size=-12\n";
	unsigned char buf[8 * B];
	char types[8];
	int64_t size = -1;

	memset(buf, 0, sizeof buf);
	tar_header(buf, "l", '2', 0777, 0, negative);
	tar_header(buf + B, "d/", '5', 0755, 0, negative);
	tar_header(buf + 2 * B, "PaxHeaders/e", 'x', 0644, sizeof rec - 1, NULL);
	memcpy(buf + 3 * B, rec, sizeof rec - 1);
	tar_header(buf + 4 * B, "e/", '5', 0755, 0, NULL);
	tar_header(buf + 5 * B, "f", '0', 0644, 0, NULL);
	ck_assert_int_eq(entry_types(buf, sizeof buf, 7, types, sizeof types, &size), TAR_END);
	ck_assert_str_eq(types, "2550");
	ck_assert(size == 0);
	/* a regular file's stays an error, read or merged */
	tar_header(buf + 4 * B, "e", '0', 0644, 0, NULL);
	ck_assert_int_eq(entry_types(buf + 2 * B, 6 * B, B, types, sizeof types, &size), TAR_ERROR);
	tar_header(buf, "f", '0', 0644, 0, negative);
	ck_assert_int_eq(entry_types(buf, B, B, types, sizeof types, &size), TAR_ERROR);
}
END_TEST

/* Type NUL is a directory (no data) when Go's whole name ends in '/': a
 * GNU long name or PAX path longer than the name kept for messages, the
 * prefix Go takes for a GNU header with an unparsable atime; the last PAX
 * path record wins, an empty one keeping the header's name.  Read
 * otherwise, the data length is wrong and the next header (a device) is
 * skipped as data. */
START_TEST(type_nul_directory_by_the_whole_name)
{
	unsigned char buf[12 * B];
	char types[8], longname[700], rec[720];
	int64_t size = -1;
	size_t off;

	memset(longname, 'a', 600);
	strcpy(longname + 600, "/");

	/* GNU long name */
	memset(buf, 0, sizeof buf);
	tar_header(buf, "././@LongLink", 'L', 0644, 601, NULL);
	memcpy(buf + B, longname, 601);
	off = 3 * B;
	tar_header(buf + off, "short", '\0', 0755, B, NULL);
	tar_header(buf + off + B, "dev", '3', 0600, 0, NULL);
	ck_assert_int_eq(entry_types(buf, off + 4 * B, 5, types, sizeof types, &size), TAR_END);
	ck_assert_str_eq(types, ".3");
	ck_assert(size == 0);

	/* PAX path */
	memset(buf, 0, sizeof buf);
	snprintf(rec, sizeof rec, "611 path=%s\n", longname);
	ck_assert_uint_eq(strlen(rec), 611);
	tar_header(buf, "PaxHeaders/p", 'x', 0644, 611, NULL);
	memcpy(buf + B, rec, 611);
	tar_header(buf + off, "short", '\0', 0755, B, NULL);
	tar_header(buf + off + B, "dev", '3', 0600, 0, NULL);
	ck_assert_int_eq(entry_types(buf, off + 4 * B, 5, types, sizeof types, &size), TAR_END);
	ck_assert_str_eq(types, ".3");

	/* the last path record is empty: the header's name, a file with data */
	memset(buf, 0, sizeof buf);
	static const char two[] = "13 path=dir/\n8 path=\n";
	tar_header(buf, "PaxHeaders/p", 'x', 0644, sizeof two - 1, NULL);
	memcpy(buf + B, two, sizeof two - 1);
	tar_header(buf + 2 * B, "file", '\0', 0644, B, NULL);
	tar_header(buf + 3 * B, "data", '3', 0600, 0, NULL);   /* the file's data */
	tar_header(buf + 4 * B, "dev", '4', 0600, 0, NULL);
	ck_assert_int_eq(entry_types(buf, 7 * B, 3, types, sizeof types, &size), TAR_END);
	ck_assert_str_eq(types, ".4");
	ck_assert(size == B);

	/* GNU header, atime unparsable: Go's name is prefix + "/" + "" */
	memset(buf, 0, sizeof buf);
	tar_header(buf, "", '\0', 0755, B, NULL);
	memcpy(buf + 257, "ustar  \0", 8);
	memset(buf + 329, 0, 16);   /* devmajor, devminor: empty */
	memcpy(buf + 345, "dir", 3);
	tar_checksum(buf, 0);
	tar_header(buf + B, "dev", '3', 0600, 0, NULL);
	ck_assert_int_eq(entry_types(buf, 4 * B, B, types, sizeof types, &size), TAR_END);
	ck_assert_str_eq(types, ".3");
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
	tcase_add_test(tc, skipped_data_reads_as_fed);
	tcase_add_test(tc, skippable_is_data_only);
	tcase_add_test(tc, header_only_types_ignore_a_negative_size);
	tcase_add_test(tc, type_nul_directory_by_the_whole_name);
	suite_add_tcase(s, tc);
	return s;
}
