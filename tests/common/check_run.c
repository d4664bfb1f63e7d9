#include "check_run.h"

#include <stdlib.h>

int ch_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

Suite *ch_check_suite_shared(const char *name, const TTest *const *tests, SFun setup,
			     SFun teardown, double timeout)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);

	if (setup || teardown)
		tcase_add_unchecked_fixture(tc, setup, teardown);
	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	for (; *tests; tests++)
		tcase_add_test(tc, *tests);
	suite_add_tcase(s, tc);
	return s;
}

Suite *ch_check_suite(const char *name, const TTest *const *tests)
{
	return ch_check_suite_shared(name, tests, NULL, NULL, 0);
}
