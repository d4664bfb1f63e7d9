#include <check.h>
#include <stdlib.h>

#include "semver.h"
#include "check_run.h"

START_TEST(valid_versions)
{
	ck_assert(ch_semver_valid("0.0.0"));
	ck_assert(ch_semver_valid("1.2.3"));
	ck_assert(ch_semver_valid("10.20.30-alpha.1+build.7"));
	ck_assert(ch_semver_valid("1.0.0-0.3.7"));
	ck_assert(ch_semver_valid("1.0.0+20130313144700"));
}
END_TEST

START_TEST(invalid_versions)
{
	const char *bad[] = {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.02.0", "1.0.0-",
			     "1.0.0-01", "1.0.0+", "v1.0.0", "1.0.0-a..b", " 1.0.0",
			     "1.0.0 ", "99999999999999999999.0.0", NULL};

	for (int i = 0; bad[i]; i++)
		ck_assert_msg(!ch_semver_valid(bad[i]), "\"%s\" should be invalid", bad[i]);
	ck_assert(!ch_semver_valid(NULL));
}
END_TEST

START_TEST(precedence)
{
	/* semver.org section 11's example chain, in increasing order. */
	const char *chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
			       "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
			       "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"};
	size_t n = sizeof(chain) / sizeof(chain[0]);

	for (size_t i = 0; i + 1 < n; i++) {
		ck_assert_msg(ch_semver_cmp(chain[i], chain[i + 1]) < 0, "%s < %s", chain[i],
			      chain[i + 1]);
		ck_assert_msg(ch_semver_cmp(chain[i + 1], chain[i]) > 0, "%s > %s", chain[i + 1],
			      chain[i]);
	}
	ck_assert_int_eq(ch_semver_cmp("1.2.3+a", "1.2.3+b"), 0);
	ck_assert_int_lt(ch_semver_cmp("junk", "0.0.1"), 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		valid_versions,
		invalid_versions,
		precedence,
		NULL,
	};

	return ch_check_run(ch_check_suite("semver", tests));
}
