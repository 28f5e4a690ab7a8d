/* test_session_memory.c - what a connection costs before a byte moves.
 *
 * A team gateway holds thousands of idle `docker events` and attach
 * streams: a session and its two halves must stay within 1 KiB, and all
 * per-request memory lives in the exchange, which an idle connection does
 * not have.  Identities (5 KB each) are shared by the connections that
 * have them. */
#include <check.h>
#include <string.h>

#include "daemon/exchange.h"
#include "daemon/identity_pool.h"
#include "daemon/session.h"

START_TEST(session_with_its_halves_fits_in_1_kib)
{
	/* the halves are members: sizeof covers them */
	ck_assert_uint_le(sizeof(struct session), 1024);
	ck_assert_uint_le(sizeof(struct client_half) + sizeof(struct upstream_half),
	    sizeof(struct session));
	/* per-request scratch is in the exchange, not in the session */
	ck_assert_uint_gt(sizeof(struct exchange), sizeof(struct session));
}
END_TEST

START_TEST(identities_are_shared_and_released)
{
	struct sw_identity a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.kind = b.kind = SW_ID_CERT;
	strcpy(a.cn, "alice");
	strcpy(b.cn, "bob");
	sw_identity_format(&a);
	sw_identity_format(&b);
	size_t base = identity_pool_size();
	const struct sw_identity *a1 = identity_intern(&a), *a2 = identity_intern(&a);
	const struct sw_identity *b1 = identity_intern(&b);
	ck_assert_ptr_eq(a1, a2);
	ck_assert_ptr_ne(a1, b1);
	ck_assert_str_eq(a1->display, a.display);
	ck_assert_uint_eq(identity_pool_size(), base + 2);
	/* same display, another SAN: another identity */
	strcpy(a.sans[0], "DNS:x");
	a.nsans = 1;
	const struct sw_identity *a3 = identity_intern(&a);
	ck_assert_ptr_ne(a1, a3);
	identity_release(a3);
	identity_release(a1);
	ck_assert_uint_eq(identity_pool_size(), base + 2);   /* a2 still holds it */
	identity_release(a2);
	identity_release(b1);
	ck_assert_uint_eq(identity_pool_size(), base);
}
END_TEST

Suite *
session_memory_suite(void)
{
	Suite *s = suite_create("session_memory");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, session_with_its_halves_fits_in_1_kib);
	tcase_add_test(tc, identities_are_shared_and_released);
	suite_add_tcase(s, tc);
	return s;
}
