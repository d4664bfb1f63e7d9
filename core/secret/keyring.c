/*
 * The keyring: master keys read from a key file or CONNHUB_MASTER_KEY, the
 * key file's creation and atomic rewrite on rotation, and key verifiers.
 *
 * Key bytes only ever sit in sodium_malloc'd memory (the ring, the file's
 * text while it is parsed or written) or in stack buffers wiped after use,
 * and never reach an error message.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <connhub/plugin.h>

#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define B64 sodium_base64_VARIANT_ORIGINAL
#define KEY_B64_LEN (sodium_base64_ENCODED_LEN(KEY_BYTES, B64) - 1)
#define LINE_MAX_LEN (10 + 1 + KEY_B64_LEN + 1) /* "2147483647:" BASE64 "\n" */
#define MAX_TEXT 65536

/* The verifier: a fixed plaintext under a fixed associated data. */
#define CHECK_AD "connhub-key-check"
#define CHECK_TEXT "\"connhub key check\""

struct ch_keyring {
	size_t n;            /* keys held; the last one is active */
	size_t cap;          /* room in kids and keys */
	int *kids;           /* malloc'd */
	unsigned char *keys; /* sodium_malloc'd, cap * KEY_BYTES, read-only once loaded */
};

/* Where key text comes from, for error messages. */
struct source {
	const char *name; /* "key file /etc/connhub/key" or "CONNHUB_MASTER_KEY" */
	const char *unit; /* "line" or "entry" */
	int commas;       /* ',' separates entries too */
	char *err;
	size_t errlen;
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) CH_PRINTF(4, 5);

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* --- the ring ------------------------------------------------------------- */

void ch_keyring_free(ch_keyring *ring)
{
	if (!ring)
		return;
	if (ring->keys) {
		sodium_mprotect_readwrite(ring->keys);
		sodium_memzero(ring->keys, ring->cap * KEY_BYTES);
		sodium_free(ring->keys);
	}
	free(ring->kids);
	free(ring);
}

static int ring_new(ch_keyring **out, size_t cap)
{
	ch_keyring *ring = calloc(1, sizeof(*ring));
	int rc = CH_E_NOMEM;

	*out = NULL;
	if (!ring)
		goto out;
	ring->cap = cap;
	ring->kids = calloc(cap, sizeof(*ring->kids));
	ring->keys = sodium_malloc(cap * KEY_BYTES);
	if (!ring->kids || !ring->keys)
		goto out;
	*out = ring;
	ring = NULL; /* the caller owns it now */
	rc = CH_OK;
out:
	ch_keyring_free(ring);
	return rc;
}

/* Appends key @p i of @p src to @p dst (which has room). */
static void ring_copy(ch_keyring *dst, const ch_keyring *src, size_t i)
{
	dst->kids[dst->n] = src->kids[i];
	memcpy(dst->keys + dst->n * KEY_BYTES, src->keys + i * KEY_BYTES, KEY_BYTES);
	dst->n++;
}

/* Gives @p ring the contents of @p next and @p next the old ones. */
static void ring_swap(ch_keyring *ring, ch_keyring *next)
{
	ch_keyring tmp = *ring;

	*ring = *next;
	*next = tmp;
	sodium_mprotect_readonly(ring->keys);
}

const unsigned char *ch_keyring_key(const ch_keyring *ring, int kid)
{
	for (size_t i = 0; ring && i < ring->n; i++)
		if (ring->kids[i] == kid)
			return ring->keys + i * KEY_BYTES;
	return NULL;
}

int ch_keyring_active(const ch_keyring *ring)
{
	return ring && ring->n ? ring->kids[ring->n - 1] : 0;
}

int ch_keyring_has(const ch_keyring *ring, int kid)
{
	return ch_keyring_key(ring, kid) != NULL;
}

/* --- parsing key text ------------------------------------------------------ */

static int bad_entry(const struct source *src, unsigned line, const char *fmt, ...) CH_PRINTF(3, 4);

static int bad_entry(const struct source *src, unsigned line, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return fail(src->err, src->errlen, CH_E_INVALID, "%s %s %u: %s", src->name, src->unit,
		    line, why);
}

/* Parses a key id: decimal digits, 1 to INT_MAX. */
static int parse_kid(const char *s, size_t len, int *kid)
{
	long long v = 0;

	if (len == 0 || len > 10)
		return CH_E_INVALID;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CH_E_INVALID;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > INT_MAX)
		return CH_E_INVALID;
	*kid = (int)v;
	return CH_OK;
}

/* Decodes BASE64 into @p key; *n is the decoded size (0 when not base64). */
static int decode_key(const char *s, size_t len, unsigned char *key, size_t *n)
{
	size_t size = len / 4 * 3 + 3;
	unsigned char *buf = malloc(size);
	int rc = CH_E_NOMEM;

	*n = 0;
	if (!buf)
		goto out;
	rc = CH_E_INVALID;
	if (sodium_base642bin(buf, size, s, len, NULL, n, NULL, B64) != 0)
		*n = 0;
	else if (*n == KEY_BYTES)
		rc = CH_OK;
	if (rc == CH_OK)
		memcpy(key, buf, KEY_BYTES);
	sodium_memzero(buf, size);
out:
	free(buf);
	return rc;
}

/* Parses one trimmed, non-comment entry "KID:BASE64" into the ring. */
static int parse_entry(ch_keyring *ring, const struct source *src, unsigned line, const char *s,
		       size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t n = 0;
	int kid = 0, rc;

	if (!colon || parse_kid(s, (size_t)(colon - s), &kid) != CH_OK)
		return bad_entry(src, line, "expected KID:BASE64 with a KID from 1 to %d", INT_MAX);
	if (ch_keyring_has(ring, kid))
		return bad_entry(src, line, "duplicate key id %d", kid);
	colon++;
	rc = decode_key(colon, len - (size_t)(colon - s), ring->keys + ring->n * KEY_BYTES, &n);
	if (rc == CH_E_INVALID && n == 0)
		return bad_entry(src, line, "key is not valid base64");
	if (rc == CH_E_INVALID)
		return bad_entry(src, line, "key is %zu bytes, not %u", n, (unsigned)KEY_BYTES);
	if (rc == CH_OK)
		ring->kids[ring->n++] = kid;
	return rc;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One entry, untrimmed: blank and '#' entries are skipped. */
static int parse_line(ch_keyring *ring, const struct source *src, unsigned line, const char *s,
		      size_t len)
{
	while (len && is_blank(*s)) {
		s++;
		len--;
	}
	while (len && is_blank(s[len - 1]))
		len--;
	if (len == 0 || *s == '#')
		return CH_OK;
	return parse_entry(ring, src, line, s, len);
}

static int is_sep(const struct source *src, char c)
{
	return c == '\n' || (src->commas && c == ',');
}

/* Parses @p len bytes of key text into a new ring. */
static int parse_text(ch_keyring **out, const char *text, size_t len, const struct source *src)
{
	ch_keyring *ring = NULL;
	size_t start = 0, end, entries = 1;
	unsigned line = 0;
	int rc;

	for (size_t i = 0; i < len; i++)
		entries += is_sep(src, text[i]);
	rc = ring_new(&ring, entries);
	while (rc == CH_OK && start <= len) {
		for (end = start; end < len && !is_sep(src, text[end]); end++)
			;
		rc = parse_line(ring, src, ++line, text + start, end - start);
		start = end + 1;
	}
	if (rc == CH_OK && ring->n == 0)
		rc = fail(src->err, src->errlen, CH_E_INVALID, "%s holds no key", src->name);
	if (rc == CH_OK) {
		sodium_mprotect_readonly(ring->keys);
		*out = ring;
		ring = NULL; /* the caller owns it now */
	}
	ch_keyring_free(ring);
	return rc;
}

/* --- reading the key file -------------------------------------------------- */

static int check_mode(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return fail(err, errlen, CH_E_IO, "cannot stat key file %s: %s", path,
			    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, CH_E_INVALID, "key file %s is not a regular file", path);
	if (st.st_mode & 077)
		return fail(err, errlen, CH_E_FORBIDDEN,
			    "key file %s is accessible by group or others (mode %04o); "
			    "run chmod 600 %s",
			    path, (unsigned)(st.st_mode & 07777), path);
	return CH_OK;
}

/* Reads all of @p fd into @p buf (MAX_TEXT + 1 bytes). */
static int read_all(int fd, char *buf, size_t *len)
{
	ssize_t n = 1;

	*len = 0;
	while (n > 0 && *len <= MAX_TEXT) {
		n = read(fd, buf + *len, MAX_TEXT + 1 - *len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			*len += (size_t)n;
	}
	return n < 0 ? CH_E_IO : CH_OK;
}

static int read_keys(ch_keyring **out, int fd, const struct source *src, const char *path)
{
	char *text = sodium_malloc(MAX_TEXT + 1);
	size_t len = 0;
	int rc = CH_E_NOMEM;

	if (!text)
		goto out;
	rc = read_all(fd, text, &len);
	if (rc != CH_OK)
		rc = fail(src->err, src->errlen, rc, "cannot read key file %s: %s", path,
			  strerror(errno));
	else if (len > MAX_TEXT)
		rc = fail(src->err, src->errlen, CH_E_INVALID, "key file %s is larger than %d bytes",
			  path, MAX_TEXT);
	else
		rc = parse_text(out, text, len, src);
out:
	if (text) {
		sodium_memzero(text, MAX_TEXT + 1);
		sodium_free(text);
	}
	return rc;
}

static int load_file(ch_keyring **out, const char *path, char *err, size_t errlen)
{
	char name[PATH_MAX + 16];
	struct source src = {name, "line", 0, err, errlen};
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0) {
		rc = errno == ENOENT ? CH_E_NOTFOUND : CH_E_IO;
		return fail(err, errlen, rc, "cannot open key file %s: %s", path, strerror(errno));
	}
	snprintf(name, sizeof(name), "key file %s", path);
	rc = check_mode(fd, path, err, errlen);
	if (rc == CH_OK)
		rc = read_keys(out, fd, &src, path);
	close(fd);
	return rc;
}

static int load_env(ch_keyring **out, const char *text, char *err, size_t errlen)
{
	struct source src = {"CONNHUB_MASTER_KEY", "entry", 1, err, errlen};

	return parse_text(out, text, strlen(text), &src);
}

/* --- writing the key file -------------------------------------------------- */

/* The ring as key text, in a sodium_malloc'd buffer of *cap bytes. */
static int ring_text(const ch_keyring *ring, char **out, size_t *len, size_t *cap)
{
	char *text;
	size_t at = 0;
	int n;

	*cap = ring->n * LINE_MAX_LEN + 1;
	text = sodium_malloc(*cap);
	if (!text)
		return CH_E_NOMEM;
	for (size_t i = 0; i < ring->n; i++) {
		n = snprintf(text + at, *cap - at, "%d:", ring->kids[i]);
		at += (size_t)n;
		sodium_bin2base64(text + at, *cap - at, ring->keys + i * KEY_BYTES, KEY_BYTES, B64);
		at += KEY_B64_LEN;
		text[at++] = '\n';
	}
	*out = text;
	*len = at;
	return CH_OK;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CH_E_IO;
		buf += n;
		len -= (size_t)n;
	}
	return CH_OK;
}

/* Writes the ring's keys to @p fd, mode 0600, and fsyncs it. */
static int write_keys(int fd, const ch_keyring *ring, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc = ring_text(ring, &text, &len, &cap);

	if (rc != CH_OK)
		return rc;
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, len) != CH_OK || fsync(fd) != 0)
		rc = fail(err, errlen, CH_E_IO, "cannot write key file %s: %s", path,
			  strerror(errno));
	sodium_memzero(text, cap);
	sodium_free(text);
	return rc;
}

/* Makes a rename or a creation in the directory of @p path durable. */
static int sync_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int fd = -1, rc = CH_E_NOMEM;

	if (!dir)
		goto out;
	rc = CH_OK;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = fail(err, errlen, CH_E_IO, "cannot sync directory %s: %s", dir,
			  strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/* Creates @p path (O_EXCL) with the ring's keys; CH_E_EXISTS when it is
 * there already. The caller syncs the directory. */
static int write_new(const char *path, const ch_keyring *ring, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0) {
		rc = errno == EEXIST ? CH_E_EXISTS : CH_E_IO;
		return fail(err, errlen, rc, "cannot create key file %s: %s", path,
			    strerror(errno));
	}
	rc = write_keys(fd, ring, path, err, errlen);
	if (close(fd) != 0 && rc == CH_OK)
		rc = fail(err, errlen, CH_E_IO, "cannot write key file %s: %s", path,
			  strerror(errno));
	if (rc != CH_OK)
		unlink(path);
	return rc;
}

/* "<path>.tmp-<16 random hex digits>" */
static char *temp_name(const char *path)
{
	unsigned char rnd[8];
	char hex[sizeof(rnd) * 2 + 1];
	size_t size = strlen(path) + sizeof(hex) + 8;
	char *name = malloc(size);

	if (!name)
		return NULL;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(name, size, "%s.tmp-%s", path, hex);
	return name;
}

/* Replaces @p path atomically by the ring's keys: temp file 0600, fsync,
 * rename, fsync of the directory. */
static int rewrite(const char *path, const ch_keyring *ring, char *err, size_t errlen)
{
	char *tmp = temp_name(path);
	int rc = CH_E_NOMEM;

	if (!tmp)
		goto out;
	rc = write_new(tmp, ring, err, errlen);
	if (rc != CH_OK) {
		rc = CH_E_IO;
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = fail(err, errlen, CH_E_IO, "cannot replace key file %s: %s", path,
			  strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = sync_dir(path, err, errlen);
out:
	free(tmp);
	return rc;
}

/* --- loading and rotation -------------------------------------------------- */

/* A new key file holding one random key, kid 1. */
static int create_file(ch_keyring **out, const char *path, char *err, size_t errlen)
{
	ch_keyring *ring = NULL;
	int rc = ring_new(&ring, 1);

	if (rc != CH_OK)
		goto out;
	ring->kids[0] = 1;
	randombytes_buf(ring->keys, KEY_BYTES);
	ring->n = 1;
	rc = write_new(path, ring, err, errlen);
	if (rc == CH_OK)
		rc = sync_dir(path, err, errlen);
	if (rc != CH_OK)
		goto out;
	sodium_mprotect_readonly(ring->keys);
	*out = ring;
	ring = NULL; /* the caller owns it now */
out:
	ch_keyring_free(ring);
	return rc;
}

int ch_keyring_load(ch_keyring **out, const char *key_file, const char *env_text, int create,
		    char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return fail(err, errlen, CH_E_GENERIC, "libsodium cannot be initialised");
	if (env_text)
		return load_env(out, env_text, err, errlen);
	if (!key_file)
		return fail(err, errlen, CH_E_INVALID, "neither a key file nor CONNHUB_MASTER_KEY");
	rc = load_file(out, key_file, err, errlen);
	if (rc != CH_E_NOTFOUND || !create)
		return rc;
	rc = create_file(out, key_file, err, errlen);
	if (rc == CH_E_EXISTS) /* another process created it meanwhile */
		rc = load_file(out, key_file, err, errlen);
	return rc;
}

static int highest_kid(const ch_keyring *ring)
{
	int kid = 0;

	for (size_t i = 0; i < ring->n; i++)
		if (ring->kids[i] > kid)
			kid = ring->kids[i];
	return kid;
}

int ch_keyring_add(ch_keyring *ring, const char *key_file, char *err, size_t errlen)
{
	ch_keyring *next = NULL;
	int kid, rc;

	if (!ring || !key_file)
		return fail(err, errlen, CH_E_INVALID, "adding a key needs a key file");
	kid = highest_kid(ring);
	if (kid == INT_MAX)
		return fail(err, errlen, CH_E_INVALID, "key ids are exhausted");
	rc = ring_new(&next, ring->n + 1);
	if (rc != CH_OK)
		goto out;
	for (size_t i = 0; i < ring->n; i++)
		ring_copy(next, ring, i);
	next->kids[next->n] = kid + 1;
	randombytes_buf(next->keys + next->n * KEY_BYTES, KEY_BYTES);
	next->n++;
	rc = rewrite(key_file, next, err, errlen);
	if (rc == CH_OK)
		ring_swap(ring, next);
out:
	ch_keyring_free(next); /* the old keys after a swap */
	return rc;
}

int ch_keyring_retire_old(ch_keyring *ring, const char *key_file, char *err, size_t errlen)
{
	ch_keyring *next = NULL;
	int rc;

	if (!ring || !key_file)
		return fail(err, errlen, CH_E_INVALID, "retiring keys needs a key file");
	rc = ring_new(&next, 1);
	if (rc != CH_OK)
		goto out;
	ring_copy(next, ring, ring->n - 1);
	rc = rewrite(key_file, next, err, errlen);
	if (rc == CH_OK)
		ring_swap(ring, next);
out:
	ch_keyring_free(next); /* the old keys after a swap */
	return rc;
}

/* --- verifiers ------------------------------------------------------------- */

int ch_keyring_verifier(const ch_keyring *ring, int kid, char **out)
{
	json_object *env = NULL;
	int rc;

	*out = NULL;
	rc = ch_secret_seal_text(&env, ring, kid, CHECK_TEXT, strlen(CHECK_TEXT), CHECK_AD);
	if (rc != CH_OK)
		goto out;
	*out = strdup(json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN));
	rc = *out ? CH_OK : CH_E_NOMEM;
out:
	json_object_put(env);
	return rc;
}

int ch_keyring_check(const ch_keyring *ring, const char *verifier_text)
{
	json_object *env = verifier_text ? json_tokener_parse(verifier_text) : NULL;
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc = ch_secret_open_text(&plain, &len, ring, env, CHECK_AD);

	if (rc == CH_OK && (len != strlen(CHECK_TEXT) || memcmp(plain, CHECK_TEXT, len) != 0))
		rc = CH_E_AUTH;
	ch_secret_plain_free(plain, len);
	json_object_put(env);
	return rc;
}
