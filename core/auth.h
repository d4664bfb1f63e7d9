/*
 * API tokens: 256-bit random, shown once, stored only as a keyed BLAKE2b
 * hash (crypto_generichash under a server key kept in the data directory).
 * Tokens are random, so a fast keyed hash is the right check: per-request
 * password hashing would only cost time.
 */
#ifndef CH_AUTH_H
#define CH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CH_TOKEN_LEN 64      /* room for "cht_" + 43 base64url chars + NUL */
#define CH_TOKEN_KEY_LEN 32

/**
 * Loads the server's token key from "<data_dir>/token.key", creating it
 * (mode 0600) when missing. CH_E_FORBIDDEN when the file is accessible by
 * group or others; CH_E_IO otherwise (message in ch_error_last()).
 */
int ch_auth_key_load(uint8_t key[CH_TOKEN_KEY_LEN], const char *data_dir);

/** The keyed hash of a token. */
void ch_auth_hash(const uint8_t key[CH_TOKEN_KEY_LEN], const char *token,
		  uint8_t hash[CH_TOKEN_HASH_LEN]);

/** Makes a new token for an account, stores its hash, and writes the
 *  token (shown once) to @p out. */
int ch_auth_issue(ch_store *st, const uint8_t key[CH_TOKEN_KEY_LEN], const char *account_id,
		  int admin, char out[CH_TOKEN_LEN]);

/**
 * A cache of tokens checked lately (keyed hash → principal, kept
 * @p ttl_ms): a token used again within it is not looked up in the store.
 * A token removed from the store therefore works on for up to ttl_ms. Only
 * accepted tokens are kept; the cache is safe for any number of threads.
 */
typedef struct ch_auth_cache ch_auth_cache;

/** A new cache (NULL when out of memory); free with ch_auth_cache_free(). */
ch_auth_cache *ch_auth_cache_new(int64_t ttl_ms);

/** Frees the cache, wiping the hashes it held. NULL is a no-op. */
void ch_auth_cache_free(ch_auth_cache *cache);

/**
 * Checks an Authorization header value ("Bearer <token>"): the token's
 * hash is looked up in @p cache (NULL: none), else in the store, and the
 * hash found is compared with it in constant time (sodium_memcmp).
 * @return CH_OK with @p out filled, or CH_E_AUTH (missing, malformed or
 *         unknown token; ch_error_last() says which, without the token).
 */
int ch_auth_check(ch_store *st, const uint8_t key[CH_TOKEN_KEY_LEN], ch_auth_cache *cache,
		  const char *header, ch_principal *out);

#endif /* CH_AUTH_H */
