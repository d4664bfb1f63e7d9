/*
 * Envelopes: sealing the secret parts of a stored document, opening,
 * resealing and masking every envelope in one, wiping opened documents, and
 * the list of secret pointers a configuration schema declares.
 *
 * The associated data of an envelope is "<account>\n<connector>\n<pointer>".
 * The walks keep it in one growing buffer (struct path): the two ids, then
 * the RFC 6901 pointer of the place being visited.
 */
#include "secret.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <connhub/plugin.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_ORIGINAL
#define MAX_PLAIN (INT_MAX / 2) /* the ciphertext's base64 must fit a json-c string */
#define PATHS_BUDGET 65536      /* schema nodes ch_secret_schema_paths() visits */
#define PATHS_DEPTH (4 * CH_SCHEMA_MAX_DEPTH) /* properties and $refs it follows */

/* --- pointers and associated data ------------------------------------------ */

struct path {
	char *buf;   /* NUL-terminated; NULL while empty */
	size_t len;  /* bytes in buf */
	size_t cap;  /* room in buf */
	size_t base; /* where the pointer starts (after the ids) */
};

static int path_put(struct path *p, const char *s, size_t n)
{
	size_t cap;
	char *b;

	if (p->len + n + 1 > p->cap) {
		cap = (p->len + n + 1) * 2;
		b = realloc(p->buf, cap);
		if (!b)
			return CH_E_NOMEM;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
	return CH_OK;
}

/* Appends "/" and @p key escaped ("~" as "~0", "/" as "~1"). */
static int path_push_key(struct path *p, const char *key)
{
	int rc = path_put(p, "/", 1);

	for (; rc == CH_OK && *key; key++) {
		if (*key == '~')
			rc = path_put(p, "~0", 2);
		else if (*key == '/')
			rc = path_put(p, "~1", 2);
		else
			rc = path_put(p, key, 1);
	}
	return rc;
}

static int path_push_index(struct path *p, size_t idx)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "/%zu", idx);

	return path_put(p, num, (size_t)n);
}

static void path_pop(struct path *p, size_t len)
{
	p->len = len;
	if (p->buf)
		p->buf[len] = '\0';
}

/* Starts the associated data: "<account>\n<connector>\n". */
static int path_init(struct path *p, const char *account, const char *connector)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (!account || !connector || strchr(account, '\n') || strchr(connector, '\n'))
		return CH_E_INVALID;
	rc = path_put(p, account, strlen(account));
	if (rc == CH_OK)
		rc = path_put(p, "\n", 1);
	if (rc == CH_OK)
		rc = path_put(p, connector, strlen(connector));
	if (rc == CH_OK)
		rc = path_put(p, "\n", 1);
	p->base = p->len;
	return rc;
}

static const char *path_pointer(const struct path *p)
{
	return p->buf ? p->buf + p->base : "";
}

/* --- envelope primitives ---------------------------------------------------- */

/* The ciphertext parts of an envelope. */
struct sealed {
	int kid;
	unsigned char nonce[NONCE_BYTES];
	unsigned char *ct; /* malloc'd */
	size_t ctlen;
};

int ch_secret_is_envelope(json_object *v)
{
	json_object *inner = NULL;

	return json_object_is_type(v, json_type_object) && json_object_object_length(v) == 1 &&
	       json_object_object_get_ex(v, "$secret", &inner) &&
	       json_object_is_type(inner, json_type_object);
}

void ch_secret_plain_free(unsigned char *plain, size_t len)
{
	if (!plain)
		return;
	sodium_memzero(plain, len);
	free(plain);
}

static json_object *b64_string(const unsigned char *bin, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(len, B64);
	char *s = malloc(size);
	json_object *o = NULL;

	if (s) {
		sodium_bin2base64(s, size, bin, len, B64);
		o = json_object_new_string_len(s, (int)(size - 1));
	}
	free(s);
	return o;
}

static int b64_decode(json_object *s, unsigned char *bin, size_t maxlen, size_t *len)
{
	if (!json_object_is_type(s, json_type_string))
		return CH_E_INVALID;
	if (sodium_base642bin(bin, maxlen, json_object_get_string(s),
			      (size_t)json_object_get_string_len(s), NULL, len, NULL, B64) != 0)
		return CH_E_INVALID;
	return CH_OK;
}

static int envelope_new(json_object **out, int kid, const unsigned char *nonce,
			const unsigned char *ct, size_t ctlen)
{
	json_object *env = json_object_new_object(), *inner = json_object_new_object();
	json_object *jkid = json_object_new_int(kid), *jnonce = b64_string(nonce, NONCE_BYTES);
	json_object *jct = b64_string(ct, ctlen);
	int rc = CH_E_NOMEM;

	if (!env || !inner || !jkid || !jnonce || !jct)
		goto out;
	json_object_object_add(inner, "kid", jkid);
	json_object_object_add(inner, "nonce", jnonce);
	json_object_object_add(inner, "ct", jct);
	jkid = jnonce = jct = NULL; /* inner owns them now */
	json_object_object_add(env, "$secret", inner);
	inner = NULL; /* env owns it now */
	*out = env;
	env = NULL; /* the caller owns it now */
	rc = CH_OK;
out:
	json_object_put(env);
	json_object_put(inner);
	json_object_put(jkid);
	json_object_put(jnonce);
	json_object_put(jct);
	return rc;
}

int ch_secret_seal_text(json_object **out, const ch_keyring *ring, int kid, const void *plain,
			size_t len, const char *ad)
{
	const unsigned char *key = ch_keyring_key(ring, kid);
	unsigned char nonce[NONCE_BYTES];
	unsigned char *ct = NULL;
	unsigned long long ctlen = 0;
	int rc = CH_E_NOTFOUND;

	*out = NULL;
	if (!key)
		goto out;
	rc = CH_E_TOO_LARGE;
	if (len > MAX_PLAIN)
		goto out;
	rc = CH_E_NOMEM;
	ct = malloc(len + TAG_BYTES);
	if (!ct)
		goto out;
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, plain, len,
						   (const unsigned char *)ad, strlen(ad), NULL,
						   nonce, key);
	rc = envelope_new(out, kid, nonce, ct, (size_t)ctlen);
out:
	free(ct);
	return rc;
}

/* The members of an envelope's "$secret": exactly kid, nonce and ct. */
static int sealed_members(json_object *env, json_object **kid, json_object **nonce,
			  json_object **ct)
{
	json_object *inner = NULL;
	int64_t v;

	if (!ch_secret_is_envelope(env))
		return CH_E_INVALID;
	json_object_object_get_ex(env, "$secret", &inner);
	if (json_object_object_length(inner) != 3 || !json_object_object_get_ex(inner, "kid", kid) ||
	    !json_object_object_get_ex(inner, "nonce", nonce) ||
	    !json_object_object_get_ex(inner, "ct", ct) || !json_object_is_type(*kid, json_type_int))
		return CH_E_INVALID;
	v = json_object_get_int64(*kid);
	return v >= 1 && v <= INT_MAX ? CH_OK : CH_E_INVALID;
}

/* Decodes an envelope; s->ct is to be freed whatever the outcome. */
static int sealed_parse(json_object *env, struct sealed *s)
{
	json_object *kid = NULL, *nonce = NULL, *ct = NULL;
	size_t n = 0, max;
	int rc = sealed_members(env, &kid, &nonce, &ct);

	if (rc != CH_OK)
		return rc;
	s->kid = json_object_get_int(kid);
	if (b64_decode(nonce, s->nonce, NONCE_BYTES, &n) != CH_OK || n != NONCE_BYTES ||
	    !json_object_is_type(ct, json_type_string))
		return CH_E_INVALID;
	max = (size_t)json_object_get_string_len(ct) / 4 * 3 + 3;
	s->ct = malloc(max);
	if (!s->ct)
		return CH_E_NOMEM;
	if (b64_decode(ct, s->ct, max, &s->ctlen) != CH_OK || s->ctlen < TAG_BYTES)
		return CH_E_INVALID;
	return CH_OK;
}

/* The kid of a well-formed envelope, 0 otherwise. */
static int sealed_kid(json_object *env)
{
	json_object *kid = NULL, *nonce = NULL, *ct = NULL;

	return sealed_members(env, &kid, &nonce, &ct) == CH_OK ? json_object_get_int(kid) : 0;
}

int ch_secret_open_text(unsigned char **out, size_t *outlen, const ch_keyring *ring,
			json_object *env, const char *ad)
{
	struct sealed s = {0};
	const unsigned char *key;
	unsigned char *plain = NULL;
	unsigned long long n = 0;
	int rc = sealed_parse(env, &s);

	*out = NULL;
	*outlen = 0;
	if (rc != CH_OK)
		goto out;
	key = ch_keyring_key(ring, s.kid);
	rc = key ? CH_E_NOMEM : CH_E_NOTFOUND;
	plain = key ? malloc(s.ctlen - TAG_BYTES + 1) : NULL;
	if (!plain)
		goto out;
	rc = CH_E_AUTH;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &n, NULL, s.ct, s.ctlen,
						       (const unsigned char *)ad, strlen(ad),
						       s.nonce, key) != 0)
		goto out;
	plain[n] = '\0';
	*out = plain;
	*outlen = (size_t)n;
	plain = NULL; /* the caller owns it now */
	rc = CH_OK;
out:
	ch_secret_plain_free(plain, s.ctlen >= TAG_BYTES ? s.ctlen - TAG_BYTES + 1 : 0);
	free(s.ct);
	return rc;
}

/* Parses an envelope's plaintext (NUL-terminated) back into a value with
 * @p tok (created on first use, kept for the next envelope). */
static int parse_plain(json_tokener **tok, const unsigned char *plain, size_t len,
		       json_object **out)
{
	*out = NULL;
	if (!*tok)
		*tok = json_tokener_new_ex(CH_SECRET_MAX_DEPTH);
	if (!*tok)
		return CH_E_NOMEM;
	json_tokener_reset(*tok);
	*out = json_tokener_parse_ex(*tok, (const char *)plain, (int)len + 1);
	if (json_tokener_get_error(*tok) == json_tokener_success)
		return CH_OK;
	json_object_put(*out);
	*out = NULL;
	return CH_E_INVALID;
}

/* --- walking a document ------------------------------------------------------ */

struct walk;

/* Visits envelope @p env at w->path; sets *replace and *repl (which may be
 * NULL, a JSON null) to put another value in its place. */
typedef int (*visit_fn)(struct walk *w, json_object *env, json_object **repl, int *replace);

struct walk {
	const ch_keyring *ring;
	struct path path;
	visit_fn visit;
	int descend; /* walk into what replaced an envelope */
	char *err;
	size_t errlen;
	json_tokener *tok; /* for plaintexts, made on first use */
};

static int walk_node(struct walk *w, json_object *node, int depth);

/* Puts @p v (owned by the parent from now on) in place of a child. */
static void child_set(json_object *parent, const char *key, size_t idx, json_object *v)
{
	if (json_object_is_type(parent, json_type_object))
		json_object_object_add(parent, key, v);
	else
		json_object_array_put_idx(parent, idx, v);
}

static int walk_child(struct walk *w, json_object *parent, const char *key, size_t idx,
		      json_object *child, int depth)
{
	json_object *repl = NULL;
	int replace = 0;
	int rc;

	if (!ch_secret_is_envelope(child))
		return walk_node(w, child, depth + 1);
	rc = w->visit(w, child, &repl, &replace);
	if (rc != CH_OK || !replace)
		return rc;
	child_set(parent, key, idx, repl); /* frees the envelope */
	return w->descend ? walk_node(w, repl, depth + 1) : CH_OK;
}

static int walk_object(struct walk *w, json_object *obj, int depth)
{
	struct json_object_iterator it = json_object_iter_begin(obj);
	struct json_object_iterator end = json_object_iter_end(obj);
	size_t mark = w->path.len;
	const char *key;
	int rc = CH_OK;

	/* Replacing a member's value keeps its entry, so the iterator holds. */
	for (; rc == CH_OK && !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		rc = path_push_key(&w->path, key);
		if (rc == CH_OK)
			rc = walk_child(w, obj, key, 0, json_object_iter_peek_value(&it), depth);
		path_pop(&w->path, mark);
	}
	return rc;
}

static int walk_array(struct walk *w, json_object *arr, int depth)
{
	size_t n = json_object_array_length(arr), mark = w->path.len;
	int rc = CH_OK;

	for (size_t i = 0; rc == CH_OK && i < n; i++) {
		rc = path_push_index(&w->path, i);
		if (rc == CH_OK)
			rc = walk_child(w, arr, NULL, i, json_object_array_get_idx(arr, i), depth);
		path_pop(&w->path, mark);
	}
	return rc;
}

static int walk_node(struct walk *w, json_object *node, int depth)
{
	if (depth > CH_SECRET_MAX_DEPTH) {
		if (w->err && w->errlen)
			snprintf(w->err, w->errlen, "document nested deeper than %d levels",
				 CH_SECRET_MAX_DEPTH);
		return CH_E_INVALID;
	}
	if (json_object_is_type(node, json_type_object))
		return walk_object(w, node, depth);
	if (json_object_is_type(node, json_type_array))
		return walk_array(w, node, depth);
	return CH_OK;
}

static int walk_doc(struct walk *w, json_object *doc, const char *account, const char *connector)
{
	int rc = path_init(&w->path, account, connector);

	if (rc == CH_OK)
		rc = walk_node(w, doc, 0);
	else if (rc == CH_E_INVALID && w->err && w->errlen)
		snprintf(w->err, w->errlen, "account and connector ids must be given, without newlines");
	free(w->path.buf);
	if (w->tok)
		json_tokener_free(w->tok);
	return rc;
}

/* Says why the envelope at w->path did not open; never its contents. */
static int visit_fail(struct walk *w, json_object *env, int rc)
{
	const char *at = path_pointer(&w->path);

	if (!w->err || !w->errlen)
		return rc;
	if (rc == CH_E_AUTH)
		snprintf(w->err, w->errlen, "secret at %s cannot be decrypted", at);
	else if (rc == CH_E_NOTFOUND)
		snprintf(w->err, w->errlen, "secret at %s is under key %d, which the keyring lacks",
			 at, sealed_kid(env));
	else if (rc == CH_E_INVALID)
		snprintf(w->err, w->errlen, "secret at %s is not a valid envelope", at);
	else
		snprintf(w->err, w->errlen, "secret at %s: out of memory", at);
	return rc;
}

static int visit_open(struct walk *w, json_object *env, json_object **repl, int *replace)
{
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc = ch_secret_open_text(&plain, &len, w->ring, env, w->path.buf);

	if (rc == CH_OK)
		rc = parse_plain(&w->tok, plain, len, repl);
	ch_secret_plain_free(plain, len);
	*replace = rc == CH_OK;
	return rc == CH_OK ? CH_OK : visit_fail(w, env, rc);
}

static int visit_reseal(struct walk *w, json_object *env, json_object **repl, int *replace)
{
	unsigned char *plain = NULL;
	size_t len = 0;
	int active = ch_keyring_active(w->ring);
	int rc;

	if (sealed_kid(env) == active && active != 0)
		return CH_OK;
	rc = ch_secret_open_text(&plain, &len, w->ring, env, w->path.buf);
	if (rc == CH_OK)
		rc = ch_secret_seal_text(repl, w->ring, active, plain, len, w->path.buf);
	ch_secret_plain_free(plain, len);
	*replace = rc == CH_OK;
	return rc == CH_OK ? CH_OK : visit_fail(w, env, rc);
}

static int visit_mask(struct walk *w, json_object *env, json_object **repl, int *replace)
{
	(void)w;
	(void)env;
	*repl = json_object_new_string(CH_SECRET_MASK); /* null if out of memory */
	*replace = 1;
	return CH_OK;
}

int ch_secret_open_all(const ch_keyring *ring, json_object *doc, const char *account,
		       const char *connector, char *err, size_t errlen)
{
	struct walk w = {ring, {0}, visit_open, 1, err, errlen, NULL};

	return walk_doc(&w, doc, account, connector);
}

int ch_secret_reseal_all(const ch_keyring *ring, json_object *doc, const char *account,
			 const char *connector, char *err, size_t errlen)
{
	struct walk w = {ring, {0}, visit_reseal, 0, err, errlen, NULL};

	return walk_doc(&w, doc, account, connector);
}

void ch_secret_mask_all(json_object *doc)
{
	struct walk w = {NULL, {0}, visit_mask, 0, NULL, 0, NULL};

	walk_doc(&w, doc, "", "");
}

/* --- wiping ------------------------------------------------------------------ */

static void wipe_strings(json_object *v)
{
	struct json_object_iterator it, end;
	size_t n;

	if (json_object_is_type(v, json_type_string)) {
		sodium_memzero((char *)json_object_get_string(v),
			       (size_t)json_object_get_string_len(v));
	} else if (json_object_is_type(v, json_type_object)) {
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			wipe_strings(json_object_iter_peek_value(&it));
	} else if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			wipe_strings(json_object_array_get_idx(v, i));
	}
}

void ch_secret_wipe(json_object *doc)
{
	wipe_strings(doc);
	json_object_put(doc);
}

/* --- sealing ----------------------------------------------------------------- */

/* Where a pointer leads: the last step's parent, key (decoded) or index. */
struct place {
	json_object *parent;
	char *key; /* malloc'd */
	size_t idx;
	json_object *value; /* NULL for a JSON null */
	int found;
};

/* Decodes a pointer segment ("~0" is "~", "~1" is "/"). */
static int seg_decode(const char *s, size_t n, char **out)
{
	char *d = malloc(n + 1);
	size_t j = 0;

	if (!d)
		return CH_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '~') {
			d[j++] = s[i];
			continue;
		}
		if (i + 1 == n || (s[i + 1] != '0' && s[i + 1] != '1')) {
			free(d);
			return CH_E_INVALID;
		}
		d[j++] = s[++i] == '0' ? '~' : '/';
	}
	d[j] = '\0';
	*out = d;
	return CH_OK;
}

/* An array index in canonical form: "0" or digits without a leading zero. */
static int index_parse(const char *s, size_t *idx)
{
	size_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
			return 0;
		v = v * 10 + (size_t)(*s - '0');
	}
	*idx = v;
	return 1;
}

/* Looks @p key up in @p cur; whether it is there. */
static int child_get(json_object *cur, const char *key, size_t *idx, json_object **out)
{
	if (json_object_is_type(cur, json_type_object))
		return json_object_object_get_ex(cur, key, out);
	if (json_object_is_type(cur, json_type_array) && index_parse(key, idx) &&
	    *idx < json_object_array_length(cur)) {
		*out = json_object_array_get_idx(cur, *idx);
		return 1;
	}
	return 0;
}

/* Follows @p ptr in @p doc, writing its canonical form after p->base. */
static int resolve(json_object *doc, const char *ptr, struct path *p, struct place *pl)
{
	const char *s = ptr, *end;
	json_object *cur = doc;
	int rc = *s == '/' ? CH_OK : CH_E_INVALID;

	while (rc == CH_OK && *s == '/') {
		end = strchr(s + 1, '/');
		if (!end)
			end = s + strlen(s);
		free(pl->key);
		pl->key = NULL;
		pl->parent = cur;
		rc = seg_decode(s + 1, (size_t)(end - s - 1), &pl->key);
		if (rc == CH_OK)
			rc = path_push_key(p, pl->key);
		pl->found = rc == CH_OK && child_get(cur, pl->key, &pl->idx, &cur);
		s = end;
		if (!pl->found)
			break;
	}
	pl->value = pl->found ? cur : NULL;
	return rc;
}

/* Whether a pointer of @p list other than @p ptr leads to one of its
 * ancestors (that value is sealed whole). */
static int covered(json_object *list, const char *ptr)
{
	size_t n = json_object_array_length(list), plen = strlen(ptr), qlen;
	json_object *q;

	for (size_t i = 0; i < n; i++) {
		q = json_object_array_get_idx(list, i);
		if (!json_object_is_type(q, json_type_string))
			continue;
		qlen = (size_t)json_object_get_string_len(q);
		if (qlen > 0 && qlen < plen && ptr[qlen] == '/' &&
		    memcmp(ptr, json_object_get_string(q), qlen) == 0)
			return 1;
	}
	return 0;
}

/* Replaces the value at @p pl by its envelope and wipes the value. */
static int seal_value(const ch_keyring *ring, const struct place *pl, const char *ad)
{
	json_object *env = NULL, *old = pl->value;
	size_t len = 0;
	const char *text = json_object_to_json_string_length(old, JSON_C_TO_STRING_PLAIN, &len);
	int rc = CH_E_NOMEM;

	if (!text)
		return rc;
	rc = ch_secret_seal_text(&env, ring, ch_keyring_active(ring), text, len, ad);
	sodium_memzero((char *)text, len); /* old's cached serialization */
	if (rc != CH_OK)
		return rc;
	json_object_get(old);
	child_set(pl->parent, pl->key, pl->idx, env); /* the document owns env now */
	ch_secret_wipe(old);
	return CH_OK;
}

static int seal_one(const ch_keyring *ring, json_object *doc, json_object *list, size_t i,
		    struct path *p)
{
	json_object *jptr = json_object_array_get_idx(list, i);
	struct place pl = {0};
	int rc = CH_E_INVALID;

	if (!json_object_is_type(jptr, json_type_string))
		goto out;
	rc = CH_OK;
	if (covered(list, json_object_get_string(jptr)))
		goto out;
	path_pop(p, p->base);
	rc = resolve(doc, json_object_get_string(jptr), p, &pl);
	if (rc == CH_OK && pl.found && pl.value && !ch_secret_is_envelope(pl.value))
		rc = seal_value(ring, &pl, p->buf);
out:
	free(pl.key);
	return rc;
}

int ch_secret_seal(const ch_keyring *ring, json_object *doc, json_object *pointers,
		   const char *account, const char *connector)
{
	struct path p;
	size_t n = 0;
	int rc = path_init(&p, account, connector);

	if (rc == CH_OK && (!ring || !json_object_is_type(pointers, json_type_array)))
		rc = CH_E_INVALID;
	if (rc == CH_OK)
		n = json_object_array_length(pointers);
	for (size_t i = 0; rc == CH_OK && i < n; i++)
		rc = seal_one(ring, doc, pointers, i, &p);
	free(p.buf);
	return rc;
}

/* --- secret paths of a schema ------------------------------------------------- */

struct collect {
	json_object *root; /* the schema document */
	json_object *all;  /* pointers in the order met */
	json_object *seen; /* the same, as a set */
	struct path path;  /* of the property being looked at */
	json_object *refs[PATHS_DEPTH + 1]; /* $ref targets being expanded */
	int nrefs;
	long budget;
};

static int collect_node(struct collect *c, json_object *node, int depth);

static int marks_secret(json_object *node)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(node, "writeOnly", &v) &&
	    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v))
		return 1;
	return json_object_object_get_ex(node, "format", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), "password") == 0;
}

static int add_path(struct collect *c)
{
	const char *ptr = path_pointer(&c->path);
	json_object *s;

	if (json_object_object_get_ex(c->seen, ptr, NULL))
		return CH_OK;
	s = json_object_new_string(ptr);
	if (!s || json_object_array_add(c->all, s) != 0) {
		json_object_put(s);
		return CH_E_NOMEM;
	}
	json_object_object_add(c->seen, ptr, NULL);
	return CH_OK;
}

static int collect_ref(struct collect *c, json_object *node, int depth)
{
	json_object *ref = NULL, *target = NULL;
	const char *s;
	int rc;

	if (!json_object_object_get_ex(node, "$ref", &ref) ||
	    !json_object_is_type(ref, json_type_string))
		return CH_OK;
	s = json_object_get_string(ref);
	if (s[0] != '#' || json_pointer_get(c->root, s + 1, &target) != 0)
		return CH_OK;
	for (int i = 0; i < c->nrefs; i++)
		if (c->refs[i] == target)
			return CH_OK; /* recursion: already being expanded */
	c->refs[c->nrefs++] = target;
	rc = collect_node(c, target, depth + 1);
	c->nrefs--;
	return rc;
}

static int collect_props(struct collect *c, json_object *node, int depth)
{
	json_object *props = NULL;
	struct json_object_iterator it, end;
	size_t mark = c->path.len;
	int rc = CH_OK;

	if (!json_object_object_get_ex(node, "properties", &props) ||
	    !json_object_is_type(props, json_type_object))
		return CH_OK;
	it = json_object_iter_begin(props);
	end = json_object_iter_end(props);
	for (; rc == CH_OK && !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		rc = path_push_key(&c->path, json_object_iter_peek_name(&it));
		if (rc == CH_OK)
			rc = collect_node(c, json_object_iter_peek_value(&it), depth + 1);
		path_pop(&c->path, mark);
	}
	return rc;
}

/* Every subschema of @p v: an array of them, an object of them (@p map),
 * or one. */
static int collect_each(struct collect *c, json_object *v, int map, int depth)
{
	struct json_object_iterator it, end;
	int rc = CH_OK;

	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; rc == CH_OK && i < json_object_array_length(v); i++)
			rc = collect_node(c, json_object_array_get_idx(v, i), depth + 1);
	} else if (map && json_object_is_type(v, json_type_object)) {
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; rc == CH_OK && !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			rc = collect_node(c, json_object_iter_peek_value(&it), depth + 1);
	} else if (!map) {
		rc = collect_node(c, v, depth + 1);
	}
	return rc;
}

static int collect_branches(struct collect *c, json_object *node, int depth)
{
	static const char *const kws[] = {"allOf", "anyOf", "oneOf", "then", "else"};
	json_object *v = NULL;
	int rc = CH_OK;

	for (size_t i = 0; rc == CH_OK && i < sizeof(kws) / sizeof(kws[0]); i++)
		if (json_object_object_get_ex(node, kws[i], &v))
			rc = collect_each(c, v, 0, depth);
	if (rc == CH_OK && json_object_object_get_ex(node, "dependentSchemas", &v))
		rc = collect_each(c, v, 1, depth);
	return rc;
}

static int collect_node(struct collect *c, json_object *node, int depth)
{
	int rc;

	if (!json_object_is_type(node, json_type_object))
		return CH_OK;
	if (--c->budget < 0 || depth > PATHS_DEPTH)
		return CH_E_TOO_LARGE;
	if (c->path.len > 0 && marks_secret(node))
		return add_path(c); /* sealed whole: nothing below it */
	rc = collect_ref(c, node, depth);
	if (rc == CH_OK)
		rc = collect_props(c, node, depth);
	if (rc == CH_OK)
		rc = collect_branches(c, node, depth);
	return rc;
}

/* The pointers of @p all that no other one is an ancestor of. */
static json_object *outermost(json_object *all)
{
	json_object *out = json_object_new_array(), *s;
	size_t n = json_object_array_length(all);

	for (size_t i = 0; out && i < n; i++) {
		s = json_object_array_get_idx(all, i);
		if (covered(all, json_object_get_string(s)))
			continue;
		if (json_object_array_add(out, json_object_get(s)) != 0) {
			json_object_put(s);
			json_object_put(out);
			out = NULL;
		}
	}
	return out;
}

json_object *ch_secret_schema_paths(const ch_schema *schema)
{
	struct collect c = {0};
	json_object *paths = NULL;

	if (!schema)
		return NULL;
	c.root = ch_schema_doc(schema);
	c.all = json_object_new_array();
	c.seen = json_object_new_object();
	c.budget = PATHS_BUDGET;
	if (c.all && c.seen && collect_node(&c, c.root, 0) == CH_OK)
		paths = outermost(c.all);
	json_object_put(c.all);
	json_object_put(c.seen);
	free(c.path.buf);
	return paths;
}
