#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "error.h"

#define TOKEN_PREFIX "cht_"

static int read_key(int fd, const char *path, uint8_t key[CH_TOKEN_KEY_LEN])
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0)
		return ch_error_set(CH_E_IO, "%s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return ch_error_set(CH_E_FORBIDDEN,
				    "%s is accessible by group or others (mode %04o); run chmod 600 %s",
				    path, (unsigned)(st.st_mode & 07777), path);
	n = read(fd, key, CH_TOKEN_KEY_LEN);
	if (n != CH_TOKEN_KEY_LEN)
		return ch_error_set(CH_E_IO, "%s: not a %d-byte key", path, CH_TOKEN_KEY_LEN);
	return CH_OK;
}

static int create_key(const char *path, uint8_t key[CH_TOKEN_KEY_LEN])
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = CH_OK;

	if (fd < 0)
		return ch_error_set(CH_E_IO, "%s: %s", path, strerror(errno));
	randombytes_buf(key, CH_TOKEN_KEY_LEN);
	if (write(fd, key, CH_TOKEN_KEY_LEN) != CH_TOKEN_KEY_LEN || fsync(fd) != 0)
		rc = ch_error_set(CH_E_IO, "%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int ch_auth_key_load(uint8_t key[CH_TOKEN_KEY_LEN], const char *data_dir)
{
	char path[4200];
	int fd, rc;

	if (sodium_init() < 0)
		return ch_error_set(CH_E_GENERIC, "libsodium could not initialise");
	snprintf(path, sizeof(path), "%s/token.key", data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return create_key(path, key);
	if (fd < 0)
		return ch_error_set(CH_E_IO, "%s: %s", path, strerror(errno));
	rc = read_key(fd, path, key);
	close(fd);
	return rc;
}

void ch_auth_hash(const uint8_t key[CH_TOKEN_KEY_LEN], const char *token,
		  uint8_t hash[CH_TOKEN_HASH_LEN])
{
	crypto_generichash(hash, CH_TOKEN_HASH_LEN, (const unsigned char *)token, strlen(token),
			   key, CH_TOKEN_KEY_LEN);
}

int ch_auth_issue(ch_store *st, const uint8_t key[CH_TOKEN_KEY_LEN], const char *account_id,
		  int admin, char out[CH_TOKEN_LEN])
{
	uint8_t raw[32], hash[CH_TOKEN_HASH_LEN];
	size_t n = strlen(TOKEN_PREFIX);
	int rc;

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, TOKEN_PREFIX, n);
	sodium_bin2base64(out + n, CH_TOKEN_LEN - n, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	ch_auth_hash(key, out, hash);
	rc = ch_store_token_create(st, account_id, admin, hash);
	if (rc != CH_OK)
		sodium_memzero(out, CH_TOKEN_LEN);
	return rc;
}

/* --- the cache of tokens checked lately ------------------------------------------- */

#define CACHE_SLOTS 256 /* direct-mapped by the hash's first bytes */

typedef struct cache_slot {
	uint8_t hash[CH_TOKEN_HASH_LEN];
	ch_principal who;
	int64_t expires_ms; /* 0: empty */
} cache_slot;

struct ch_auth_cache {
	pthread_mutex_t lock;
	int64_t ttl_ms;
	cache_slot slot[CACHE_SLOTS];
};

ch_auth_cache *ch_auth_cache_new(int64_t ttl_ms)
{
	ch_auth_cache *c = calloc(1, sizeof(*c));

	if (c) {
		pthread_mutex_init(&c->lock, NULL);
		c->ttl_ms = ttl_ms;
	}
	return c;
}

void ch_auth_cache_free(ch_auth_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	sodium_memzero(c->slot, sizeof(c->slot));
	free(c);
}

/* The hash is a keyed BLAKE2b: its bytes are uniform, and no caller can
 * aim tokens at one slot without the key. */
static cache_slot *slot_of(ch_auth_cache *c, const uint8_t hash[CH_TOKEN_HASH_LEN])
{
	return &c->slot[(hash[0] | (unsigned)hash[1] << 8) % CACHE_SLOTS];
}

/* The principal of a cached, unexpired hash; 0 when not there. */
static int cache_get(ch_auth_cache *c, const uint8_t hash[CH_TOKEN_HASH_LEN], ch_principal *out)
{
	cache_slot *s;
	int hit;

	if (!c)
		return 0;
	s = slot_of(c, hash);
	pthread_mutex_lock(&c->lock);
	hit = s->expires_ms > ch_clock_mono_ms() &&
	      sodium_memcmp(s->hash, hash, CH_TOKEN_HASH_LEN) == 0;
	if (hit)
		*out = s->who;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

static void cache_put(ch_auth_cache *c, const uint8_t hash[CH_TOKEN_HASH_LEN],
		      const ch_principal *who)
{
	cache_slot *s;

	if (!c)
		return;
	s = slot_of(c, hash);
	pthread_mutex_lock(&c->lock);
	memcpy(s->hash, hash, CH_TOKEN_HASH_LEN);
	s->who = *who;
	s->expires_ms = ch_clock_mono_ms() + c->ttl_ms;
	pthread_mutex_unlock(&c->lock);
}

/* --- checking a token --------------------------------------------------------------- */

int ch_auth_check(ch_store *st, const uint8_t key[CH_TOKEN_KEY_LEN], ch_auth_cache *cache,
		  const char *header, ch_principal *out)
{
	uint8_t hash[CH_TOKEN_HASH_LEN], stored[CH_TOKEN_HASH_LEN];
	const char *token;
	int rc;

	if (!header)
		return ch_error_set(CH_E_AUTH, "this route needs an Authorization: Bearer token");
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return ch_error_set(CH_E_AUTH, "the Authorization header must be \"Bearer <token>\"");
	token = header + 7;
	while (*token == ' ')
		token++;
	if (strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 || strlen(token) >= CH_TOKEN_LEN)
		return ch_error_set(CH_E_AUTH, "the token is not valid");
	/*
	 * The lookup is by keyed hash (BLAKE2b under the server's token key):
	 * the hashing takes equal time for every token of one length, and the
	 * index the lookup walks is ordered by a hash the caller cannot
	 * predict without the key, so its timing tells nothing about stored
	 * tokens. The hash found is then compared in constant time anyway, so
	 * no backend's lookup has to be trusted to compare fully. Tokens are
	 * 256 random bits: no dictionary or brute force can reach them, so a
	 * slow password hash (argon2) per request would cost time and protect
	 * nothing; the key keeps a copy of the database alone from checking a
	 * guessed token.
	 */
	ch_auth_hash(key, token, hash);
	if (cache_get(cache, hash, out)) {
		sodium_memzero(hash, sizeof(hash));
		return CH_OK;
	}
	rc = ch_store_token_find(st, hash, out, stored);
	if (rc == CH_OK && sodium_memcmp(stored, hash, CH_TOKEN_HASH_LEN) != 0)
		rc = CH_E_NOTFOUND;
	if (rc == CH_OK)
		cache_put(cache, hash, out);
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(stored, sizeof(stored));
	if (rc == CH_E_NOTFOUND) {
		memset(out, 0, sizeof(*out));
		return ch_error_set(CH_E_AUTH, "the token is not valid");
	}
	return rc;
}
