/*
 * Token checks against a stand-in storage backend (a ch_store_ops table of
 * its own, as a second backend would fill): a token is accepted only when
 * the hash stored in the row the lookup found equals the token's hash,
 * compared by the auth module itself, whatever the backend's lookup
 * matched.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "check_run.h"
#include "error.h"

typedef struct fake_store {
	ch_store base;
	int flip; /* the stored hash differs from the one asked for in its last byte */
	int calls;
} fake_store;

static int fake_token_find(ch_store *st, const uint8_t hash[CH_TOKEN_HASH_LEN], ch_principal *out,
			   uint8_t stored[CH_TOKEN_HASH_LEN])
{
	fake_store *f = (fake_store *)st;

	f->calls++;
	memset(out, 0, sizeof(*out));
	snprintf(out->account_id, sizeof(out->account_id), "acc_fake");
	memcpy(stored, hash, CH_TOKEN_HASH_LEN);
	if (f->flip)
		stored[CH_TOKEN_HASH_LEN - 1] ^= 1;
	return CH_OK;
}

static const ch_store_ops fake_ops = {.token_find = fake_token_find};

static const char *const header = "Bearer cht_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/* ch_auth_check() of a well-formed token against the fake backend. */
static int check_with(int flip, ch_principal *who, int *calls)
{
	fake_store f = {{&fake_ops}, flip, 0};
	uint8_t key[CH_TOKEN_KEY_LEN] = {7};
	int rc;

	ck_assert_int_ge(sodium_init(), 0);
	rc = ch_auth_check(&f.base, key, NULL, header, who);
	*calls = f.calls;
	return rc;
}

START_TEST(matching_stored_hash_is_accepted)
{
	ch_principal who;
	int calls;

	ck_assert_int_eq(check_with(0, &who, &calls), CH_OK);
	ck_assert_str_eq(who.account_id, "acc_fake");
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(other_stored_hash_is_refused)
{
	ch_principal who;
	int calls;

	ck_assert_int_eq(check_with(1, &who, &calls), CH_E_AUTH);
	ck_assert_str_eq(ch_error_last()->message, "the token is not valid");
	ck_assert_str_eq(who.account_id, ""); /* nothing of the row is handed out */
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(malformed_headers_never_reach_the_store)
{
	fake_store f = {{&fake_ops}, 0, 0};
	uint8_t key[CH_TOKEN_KEY_LEN] = {7};
	ch_principal who;

	ck_assert_int_eq(ch_auth_check(&f.base, key, NULL, NULL, &who), CH_E_AUTH);
	ck_assert_int_eq(ch_auth_check(&f.base, key, NULL, "Basic abc", &who), CH_E_AUTH);
	ck_assert_int_eq(ch_auth_check(&f.base, key, NULL, "Bearer xyz", &who), CH_E_AUTH);
	ck_assert_int_eq(f.calls, 0);
}
END_TEST

/* An accepted token is looked up once while the cache keeps it; a refused
 * one is looked up every time; an expired entry is looked up again. */
START_TEST(the_cache_spares_lookups_of_accepted_tokens)
{
	static const char *const other = "Bearer cht_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	fake_store f = {{&fake_ops}, 0, 0};
	uint8_t key[CH_TOKEN_KEY_LEN] = {7};
	ch_auth_cache *cache = ch_auth_cache_new(60000), *none = ch_auth_cache_new(0);
	ch_principal who;

	ck_assert_ptr_nonnull(cache);
	for (int i = 0; i < 3; i++) {
		memset(&who, 0, sizeof(who));
		ck_assert_int_eq(ch_auth_check(&f.base, key, cache, header, &who), CH_OK);
		ck_assert_str_eq(who.account_id, "acc_fake");
	}
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(ch_auth_check(&f.base, key, cache, other, &who), CH_OK);
	ck_assert_int_eq(f.calls, 2);
	f.flip = 1; /* the store refuses from now on: a new token is refused... */
	ck_assert_int_eq(ch_auth_check(&f.base, key, cache,
				       "Bearer cht_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", &who),
			 CH_E_AUTH);
	ck_assert_int_eq(ch_auth_check(&f.base, key, cache,
				       "Bearer cht_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", &who),
			 CH_E_AUTH);
	ck_assert_int_eq(f.calls, 4);
	/* ...and one cached works on for the time the cache keeps it */
	ck_assert_int_eq(ch_auth_check(&f.base, key, cache, header, &who), CH_OK);
	ck_assert_int_eq(f.calls, 4);
	/* kept for no time: every check is a lookup */
	f.flip = 0;
	ck_assert_int_eq(ch_auth_check(&f.base, key, none, header, &who), CH_OK);
	ck_assert_int_eq(ch_auth_check(&f.base, key, none, header, &who), CH_OK);
	ck_assert_int_eq(f.calls, 6);
	ch_auth_cache_free(cache);
	ch_auth_cache_free(none);
	ch_auth_cache_free(NULL);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		matching_stored_hash_is_accepted,
		other_stored_hash_is_refused,
		malformed_headers_never_reach_the_store,
		the_cache_spares_lookups_of_accepted_tokens,
		NULL,
	};

	return ch_check_run(ch_check_suite("auth", tests));
}
