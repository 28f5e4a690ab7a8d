/* test_tenant_conflict.c - policy_tenant_conflict_body: the engine's 409 to a
 * tenant's create or rename, without the ID of the container that has the
 * name. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

START_TEST(id_left_out)
{
	static const char in[] = "{\"message\":\"Conflict. The container name \\\"/db\\\" is already "
	    "in use by container \\\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\\\". "
	    "You have to remove (or rename) that container to be able to reuse that name.\"}";
	char *out = policy_tenant_conflict_body(in, strlen(in));
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, "{\"message\":\"Conflict. The container name \\\"/db\\\" is already "
	    "in use by another container. You have to remove (or rename) that container to be able "
	    "to reuse that name.\"}");
	free(out);
}
END_TEST

START_TEST(other_answers_relayed)
{
	static const char *const in[] = {
		"{\"message\":\"Conflict. something else\"}",
		"{\"message\":\"in use by container \\\"unterminated\"}",
		"not json", "{\"message\":7}", "[]",
	};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		ck_assert_ptr_null(policy_tenant_conflict_body(in[i], strlen(in[i])));
}
END_TEST

Suite *
tenant_conflict_suite(void)
{
	Suite *s = suite_create("tenant_conflict");
	TCase *tc = tcase_create("conflict");
	tcase_add_test(tc, id_left_out);
	tcase_add_test(tc, other_answers_relayed);
	suite_add_tcase(s, tc);
	return s;
}
