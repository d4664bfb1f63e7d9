/*
 * Connector field checks that need no host: time zone names.
 */
#include <check.h>

#include "check_run.h"
#include "connector.h"

START_TEST(zones_are_accepted)
{
	static const char *const zones[] = {"UTC", "Europe/Paris", "America/New_York",
					    "Etc/GMT+5", "America/Argentina/Buenos_Aires", NULL};

	for (int i = 0; zones[i]; i++)
		ck_assert_msg(ch_timezone_valid(zones[i]), "%s refused", zones[i]);
}
END_TEST

START_TEST(files_that_are_no_zone_are_refused)
{
	static const char *const names[] = {
		"leapseconds", "leap-seconds.list", "posixrules", "localtime", "Factory",
		"posix/Europe/Paris", "right/UTC", "posix", "right", "zone.tab", "tzdata.zi",
		"iso3166.tab", "Europe", "Europe/", "Europe//Paris", "/etc/passwd",
		"../../../etc/passwd", "Europe/../UTC", "Mars/Olympus", "Europe/Paris ", "",
		NULL,
	};

	ck_assert(!ch_timezone_valid(NULL));
	for (int i = 0; names[i]; i++)
		ck_assert_msg(!ch_timezone_valid(names[i]), "\"%s\" accepted", names[i]);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		zones_are_accepted,
		files_that_are_no_zone_are_refused,
		NULL,
	};

	return ch_check_run(ch_check_suite("connector", tests));
}
