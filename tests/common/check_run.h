/* Runs a check suite the same way in every test program. */
#ifndef CH_TEST_CHECK_RUN_H
#define CH_TEST_CHECK_RUN_H

#include <check.h>

/** Runs @p s (forked tests, normal output) and frees it.
 *  Returns EXIT_SUCCESS when every test passed. */
int ch_check_run(Suite *s);

/** A suite of one tcase named like the suite with the NULL-terminated
 *  @p tests added. */
Suite *ch_check_suite(const char *name, const TTest *const *tests);

/** Like ch_check_suite(), the tests sharing what @p setup makes (an
 *  unchecked fixture: run once, in the runner, around them all) and each
 *  given @p timeout seconds (0: check's default). */
Suite *ch_check_suite_shared(const char *name, const TTest *const *tests, SFun setup,
			     SFun teardown, double timeout);

#endif /* CH_TEST_CHECK_RUN_H */
