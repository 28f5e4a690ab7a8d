/* policy_case.h - one case of the table-driven policy tests
 * (test_policy_cases.c has the format), for tests that build their cases
 * in code (bodies too big for a table). */
#ifndef SOCKWARD_TEST_POLICY_CASE_H
#define SOCKWARD_TEST_POLICY_CASE_H

#include <jansson.h>

/* file: the case file's object ("config" or "config_file"); tc: the case */
void policy_case_run(const char *name, const json_t *file, const json_t *tc);

#endif
