/* test_evmem.c - libevent's buffer blocks are kept and handed back
 * (daemon/evmem.c): a drained evbuffer's block serves the next read of
 * that size, the cache is bounded per size class, trimming empties it,
 * and what is handed back is whole. */
#include <check.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/evmem.h"

/* reserve n bytes in b, fill them with c, commit; the address written to */
static void *
fill(struct evbuffer *b, size_t n, int c)
{
	struct evbuffer_iovec v;
	ck_assert_int_eq(evbuffer_reserve_space(b, (ev_ssize_t)n, &v, 1), 1);
	ck_assert_uint_ge(v.iov_len, n);
	memset(v.iov_base, c, n);
	v.iov_len = n;
	ck_assert_int_eq(evbuffer_commit_space(b, &v, 1), 0);
	return v.iov_base;
}

/* A read's chain, drained to empty, is kept, and the next read of the same
 * size gets that very block back, with its data intact in between. */
START_TEST(drained_block_serves_the_next_read)
{
	evmem_install();
	evmem_trim();
	struct evbuffer *b = evbuffer_new();
	ck_assert_ptr_nonnull(b);
	struct evmem_stats s0 = evmem_stats();
	void *first = fill(b, 4096, 'a');
	evbuffer_drain(b, 4096);
	struct evmem_stats s1 = evmem_stats();
	ck_assert_uint_eq(s1.kept, s0.kept + 1);
	ck_assert_uint_eq(s1.held, 1);
	void *second = fill(b, 4096, 'b');
	ck_assert_ptr_eq(first, second);
	ck_assert_uint_eq(evmem_stats().reused, s1.reused + 1);
	ck_assert_uint_eq(evmem_stats().held, 0);
	unsigned char out[4096];
	ck_assert_int_eq(evbuffer_remove(b, out, sizeof out), 4096);
	for (size_t i = 0; i < sizeof out; i++)
		ck_assert_int_eq(out[i], 'b');
	evbuffer_free(b);
	evmem_trim();
	ck_assert_uint_eq(evmem_stats().held, 0);
}
END_TEST

/* However many blocks libevent frees at once, the cache keeps a bounded
 * number (32 per class) and frees the rest; trimming gives back all. */
START_TEST(cache_is_bounded_and_trimmed)
{
	enum { N = 100 };
	evmem_install();
	evmem_trim();
	struct evbuffer *b[N];
	for (int i = 0; i < N; i++) {
		b[i] = evbuffer_new();
		ck_assert_ptr_nonnull(b[i]);
		fill(b[i], 4096, 'x');
	}
	for (int i = 0; i < N; i++)
		evbuffer_free(b[i]);
	size_t held = evmem_stats().held;
	ck_assert_uint_ge(held, 32);
	ck_assert_uint_le(held, 32 * 5);
	evmem_trim();
	ck_assert_uint_eq(evmem_stats().held, 0);
}
END_TEST

/* A block bigger than the largest class is not kept. */
START_TEST(big_blocks_go_back_to_malloc)
{
	evmem_install();
	evmem_trim();
	struct evbuffer *b = evbuffer_new();
	fill(b, 200000, 'y');
	evbuffer_free(b);
	ck_assert_uint_eq(evmem_stats().held, 0);
}
END_TEST

Suite *
evmem_suite(void)
{
	Suite *s = suite_create("evmem");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, drained_block_serves_the_next_read);
	tcase_add_test(tc, cache_is_bounded_and_trimmed);
	tcase_add_test(tc, big_blocks_go_back_to_malloc);
	suite_add_tcase(s, tc);
	return s;
}
