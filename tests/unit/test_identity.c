/* test_identity.c - identity rendering used in every log line, and the
 * names of a unix peer the user and group bindings match. */
#include <check.h>
#include <string.h>

#include "daemon/peer_names.h"
#include "policy/identity.h"

START_TEST(cert_identity_shows_cn)
{
	struct sw_identity id = { .kind = SW_ID_CERT };
	strcpy(id.cn, "alice");
	sw_identity_format(&id);
	ck_assert_str_eq(id.display, "cn=alice");
}
END_TEST

START_TEST(unix_identity_shows_uid_gid)
{
	struct sw_identity id = { .kind = SW_ID_UNIX, .uid = 1000, .gid = 100, .pid = 42 };
	strcpy(id.user, "bob");
	strcpy(id.group, "users");
	sw_identity_format(&id);
	ck_assert_str_eq(id.display, "uid=1000(bob) gid=100(users) pid=42");
}
END_TEST

/* An entry larger than the first lookup buffer (a group with hundreds of
 * members) is looked up again in a larger one: unresolved, the peer's
 * group binding would not match and a later binding would. */
START_TEST(peer_names_outgrow_the_buffer)
{
	char name[64];

	ck_assert_int_eq(peer_user_name(0, name, sizeof name, 1), 0);
	ck_assert_str_eq(name, "root");
	ck_assert_int_eq(peer_group_name(0, name, sizeof name, 1), 0);
	ck_assert_str_eq(name, "root");
	ck_assert_int_eq(peer_group_name(0, name, sizeof name, PEER_NAME_BUF), 0);
	ck_assert_str_eq(name, "root");
}
END_TEST

/* A name longer than the identity holds is unknown, not cut: cut, it could
 * be another user's name or match a glob meant for one. */
START_TEST(peer_names_are_never_cut)
{
	char name[4] = "xyz";

	ck_assert_int_eq(peer_user_name(0, name, sizeof name, PEER_NAME_BUF), -1);
	ck_assert_str_eq(name, "");
	strcpy(name, "xyz");
	ck_assert_int_eq(peer_group_name(0, name, sizeof name, PEER_NAME_BUF), -1);
	ck_assert_str_eq(name, "");
	char five[5];
	ck_assert_int_eq(peer_user_name(0, five, sizeof five, PEER_NAME_BUF), 0);
	ck_assert_str_eq(five, "root");
}
END_TEST

Suite *
identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, cert_identity_shows_cn);
	tcase_add_test(tc, unix_identity_shows_uid_gid);
	tcase_add_test(tc, peer_names_outgrow_the_buffer);
	tcase_add_test(tc, peer_names_are_never_cut);
	suite_add_tcase(s, tc);
	return s;
}
