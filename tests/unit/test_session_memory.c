/* test_session_memory.c - what a connection costs before a byte moves.
 *
 * A team gateway holds thousands of idle `docker events` and attach
 * streams: a session and its two halves must stay within 1 KiB, and all
 * per-request memory lives in the exchange, which an idle connection does
 * not have.  Identities (5 KB each) are shared by the connections that
 * have them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/exchange.h"
#include "daemon/identity_pool.h"
#include "daemon/session.h"
#include "daemon/shares.h"

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

/* A freed exchange's memory (and its request parser's head buffer) is
 * kept for the next request, which starts from nothing of the last one;
 * exchange_pool_trim() gives the kept ones back. */
START_TEST(exchanges_are_reused_clean)
{
	static const char head[] = "GET /containers/json?all=1 HTTP/1.1\r\nHost: docker\r\n\r\n";
	size_t used;
	exchange_pool_trim();
	struct exchange *a = exchange_new(1, 8192);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(http_req_feed(&a->req, head, strlen(head), &used), PARSE_HEADERS);
	ck_assert_str_eq(http_req_url(&a->req), "/containers/json?all=1");
	char *buf = a->req.buf;
	ck_assert_ptr_nonnull(buf);
	a->judged = 1;
	a->bytes_in = 99;
	exchange_set_reply(a, 403, "denied");
	exchange_free(a);

	struct exchange *b = exchange_new(2, 8192);
	ck_assert_ptr_eq(b, a);              /* the same memory */
	ck_assert_ptr_eq(b->req.buf, buf);   /* and the same head buffer */
	ck_assert_uint_eq(b->id, 2);
	ck_assert(!b->judged && b->bytes_in == 0 && b->reply[0] == '\0');
	ck_assert_ptr_null(b->pp);
	ck_assert_str_eq(b->method, "-");
	static const char head2[] = "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
	ck_assert_int_eq(http_req_feed(&b->req, head2, strlen(head2), &used), PARSE_HEADERS);
	ck_assert_str_eq(http_req_url(&b->req), "/_ping");
	ck_assert_ptr_null(http_req_header(&b->req, "Content-Length", NULL));
	exchange_free(b);

	/* a head buffer that grew big is not kept with its exchange */
	struct exchange *c = exchange_new(3, 65536);
	char big[20000];
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(http_req_feed(&c->req, big, sizeof big, &used), PARSE_MORE);
	ck_assert_uint_gt(c->req.cap, 8192);
	exchange_free(c);
	struct exchange *d = exchange_new(4, 8192);
	ck_assert_ptr_null(d->req.buf);
	exchange_free(d);
	exchange_pool_trim();
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

/* A principal's share of the memory budgets: certificates without a CN
 * are told apart by their SANs (they were all one principal, "cn=", so one
 * such client could take the share the others need). */
START_TEST(certificates_without_cn_have_shares_of_their_own)
{
	struct sw_identity a = { .kind = SW_ID_CERT }, b = a, a_again = a, named = a;
	strcpy(a.sans[0], "DNS:a.example");
	strcpy(a.sans[1], "IP:10.0.0.1");
	a.nsans = 2;
	a_again = a;
	strcpy(b.sans[0], "DNS:b.example");
	b.nsans = 1;
	strcpy(named.cn, "ci");
	named.nsans = 1;
	strcpy(named.sans[0], "DNS:a.example");
	size_t base = share_count();
	struct share *sa = share_get(&a), *sb = share_get(&b), *sa2 = share_get(&a_again);
	struct share *sn = share_get(&named);
	ck_assert_ptr_nonnull(sa);
	ck_assert_ptr_ne(sa, sb);
	ck_assert_ptr_eq(sa, sa2);   /* the same names: the same principal */
	ck_assert_ptr_ne(sa, sn);
	ck_assert_uint_eq(share_count(), base + 3);
	share_put(sa);
	share_put(sa2);
	share_put(sb);
	share_put(sn);
	ck_assert_uint_eq(share_count(), base);
}
END_TEST

Suite *
session_memory_suite(void)
{
	Suite *s = suite_create("session_memory");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, session_with_its_halves_fits_in_1_kib);
	tcase_add_test(tc, identities_are_shared_and_released);
	tcase_add_test(tc, exchanges_are_reused_clean);
	tcase_add_test(tc, certificates_without_cn_have_shares_of_their_own);
	suite_add_tcase(s, tc);
	return s;
}
