/* test_identity.c - identity rendering used in every log line. */
#include <check.h>
#include <string.h>

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

Suite *
identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, cert_identity_shows_cn);
	tcase_add_test(tc, unix_identity_shows_uid_gid);
	suite_add_tcase(s, tc);
	return s;
}
