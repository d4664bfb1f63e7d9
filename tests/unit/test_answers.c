/*
 * The cache of rendered answers: a hit is the text put, a key put again
 * replaces its text, the least recently used texts go first when the
 * budget is spent, and a text larger than the budget is not kept.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers.h"
#include "check_run.h"

/* Asserts the text under @p key is @p want (NULL: none). */
static void expect(ch_answers *c, const char *key, const char *want)
{
	size_t len = 0;
	char *got = ch_answers_get(c, key, &len);

	if (!want) {
		ck_assert_msg(!got, "%s: %s, expected none", key, got);
		return;
	}
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: %s, expected %s", key, got ? got : "none",
		      want);
	ck_assert_uint_eq(len, strlen(want));
	free(got);
}

static void put(ch_answers *c, const char *key, const char *text)
{
	ch_answers_put(c, key, text, strlen(text));
}

START_TEST(hits_replaces_and_misses)
{
	ch_answers *c = ch_answers_new(1 << 20);

	expect(c, "a", NULL);
	put(c, "a", "{\"x\":1}");
	put(c, "b", "{}");
	expect(c, "a", "{\"x\":1}");
	put(c, "a", "{\"x\":2}");
	expect(c, "a", "{\"x\":2}");
	expect(c, "b", "{}");
	ck_assert_uint_eq(ch_answers_count(c), 2);
	ch_answers_free(c);
	ch_answers_free(NULL);
}
END_TEST

START_TEST(least_recently_used_go_first)
{
	char text[1000], key[16];
	ch_answers *c;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	c = ch_answers_new(4 * 1200); /* room for three or four of them */
	put(c, "k0", text);
	put(c, "k1", text);
	put(c, "k2", text);
	expect(c, "k0", text); /* k0 is now the most recently used */
	put(c, "k3", text);
	put(c, "k4", text);
	expect(c, "k1", NULL); /* the oldest went */
	expect(c, "k0", text);
	expect(c, "k4", text);
	ck_assert_uint_le(ch_answers_count(c), 4);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		put(c, key, text);
	}
	ck_assert_uint_le(ch_answers_count(c), 4); /* the budget holds */
	expect(c, "n99", text);
	ch_answers_free(c);
}
END_TEST

START_TEST(too_large_is_not_kept)
{
	char text[2000];
	ch_answers *c = ch_answers_new(1000);

	memset(text, 'y', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	put(c, "small", "{}");
	put(c, "big", text);
	expect(c, "big", NULL);
	expect(c, "small", "{}");
	ch_answers_free(c);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		hits_replaces_and_misses,
		least_recently_used_go_first,
		too_large_is_not_kept,
		NULL,
	};

	return ch_check_run(ch_check_suite("answers", tests));
}
