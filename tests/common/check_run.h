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

#endif /* CH_TEST_CHECK_RUN_H */
