/* main.c - runs every unit suite listed in suites.h.
 * Run from tests/ so fixtures resolve as "fixtures/...". */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define SUITE(name) Suite *name##_suite(void);
#include "tests/unit/suites.h"
#undef SUITE

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
#define SUITE(name) srunner_add_suite(sr, name##_suite());
#include "tests/unit/suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	int run = srunner_ntests_run(sr);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("unit tests: %d run, %d passed, %d failed\n", run, run - failed, failed);
	return failed == 0 && run > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
