/*
 * Secrets at rest: a keyring of 256-bit master keys and XChaCha20-Poly1305
 * (libsodium AEAD) envelopes bound to where they live.
 *
 * A secret value (any JSON value) is stored as an envelope object
 *   {"$secret": {"kid": 2, "nonce": "<base64>", "ct": "<base64>"}}
 * whose associated data is "<account id>\n<connector id>\n<JSON pointer>",
 * the pointer being where the envelope sits in the stored document (e.g.
 * "/config/password" or "/variables/3/value"). An envelope copied to another
 * connector, account or field therefore does not decrypt.
 *
 * Keys: a key file holds one key per line, "KID:BASE64(32 bytes)", the last
 * line being the active key (new secrets use it); older lines are keys still
 * needed to read secrets not yet re-encrypted. CONNHUB_MASTER_KEY may carry
 * the same text (lines or comma-separated) instead of a file.
 *
 * Key text syntax: one entry per line ("KID:BASE64", KID from 1 to
 * 2147483647, BASE64 the standard padded alphabet of exactly 32 bytes);
 * spaces, tabs and CR around an entry are ignored, as are blank entries and
 * entries starting with '#'. A key id appears once.
 *
 * The plaintext of an envelope is the JSON text of the value
 * (JSON_C_TO_STRING_PLAIN), so strings, numbers, objects and arrays can all
 * be secret; opening parses it back. Pointers follow RFC 6901 ("~" and "/"
 * in keys are written "~0" and "~1"). Account and connector ids must not
 * contain a newline (the associated data would be ambiguous).
 *
 * Memory: keys live in sodium_malloc'd memory, read-only once loaded, and
 * are wiped when freed. Decrypted plaintext buffers are wiped before they
 * are freed, and a sealed value's strings are zeroed before it is released.
 * Copies json-c makes on its own (the tokener's scratch buffer while an
 * envelope is parsed back, the cached text of a serialized document) are
 * outside this module's reach: a caller that serializes an opened document
 * should zero the text it got (json_object_to_json_string_length() gives
 * its length) before ch_secret_wipe().
 *
 * Thread safety: a loaded keyring is read-only; any number of threads may
 * seal, open, reseal and verify with it at once. ch_keyring_add() and
 * ch_keyring_retire_old() change it and need exclusive use. A document is
 * used by one thread at a time, as json-c requires.
 */
#ifndef CH_SECRET_H
#define CH_SECRET_H

#include <stddef.h>

#include <json-c/json.h>

#include "jsonschema.h"

/** What reads return in place of a secret value. */
#define CH_SECRET_MASK "********"

/** Nesting of a document the envelope walks go into; deeper documents are
 *  refused by ch_secret_open_all() and ch_secret_reseal_all(). */
#define CH_SECRET_MAX_DEPTH 1000

typedef struct ch_keyring ch_keyring;

/**
 * Loads the keyring. When @p env_text is non-NULL it is used and the file is
 * ignored. Otherwise @p key_file is read; when it does not exist and
 * @p create is set, a new random key (kid 1) is written to it with mode
 * 0600 (O_EXCL, fsync'd).
 * @param[out] out  the keyring (free with ch_keyring_free()); NULL on error.
 * @param[out] err  why it failed, naming the file and the line ("key file
 *                  /k line 3: key is 31 bytes, not 32"; for the environment
 *                  "CONNHUB_MASTER_KEY entry 2: ..."), never a key.
 * @return CH_OK; CH_E_NOTFOUND (no file, !create); CH_E_FORBIDDEN when the
 *         file is readable or writable by group or others ("key file <path>
 *         is accessible by group or others (mode 0644); run chmod 600
 *         <path>"); CH_E_INVALID for a malformed file or value (bad line,
 *         key not 32 bytes, duplicate kid, no key at all, not a regular
 *         file, larger than 64 KiB, or neither a file nor a text given);
 *         CH_E_IO; CH_E_NOMEM; CH_E_GENERIC when libsodium cannot start.
 */
int ch_keyring_load(ch_keyring **out, const char *key_file, const char *env_text, int create,
		    char *err, size_t errlen);

/** Frees the keyring and wipes its keys (sodium_memzero). NULL is a no-op. */
void ch_keyring_free(ch_keyring *ring);

/** The kid new secrets are encrypted under (0 for a NULL ring). */
int ch_keyring_active(const ch_keyring *ring);

/** Whether the ring holds key @p kid. */
int ch_keyring_has(const ch_keyring *ring, int kid);

/**
 * Adds a new random key (kid = highest + 1), makes it active, and rewrites
 * @p key_file atomically (temp file 0600 + fsync + rename + fsync of the
 * directory) with every key. The ring changes only once the file is
 * written. Needs exclusive use of the ring.
 * @return CH_OK; CH_E_IO; CH_E_INVALID when @p key_file is NULL (keys given
 *         by CONNHUB_MASTER_KEY are rotated by changing the variable) or
 *         kids are exhausted; CH_E_NOMEM.
 */
int ch_keyring_add(ch_keyring *ring, const char *key_file, char *err, size_t errlen);

/**
 * Drops every key but the active one and rewrites @p key_file the same
 * atomic way (after a rotation re-encrypted everything). The ring changes
 * only once the file is written. Needs exclusive use of the ring.
 * Same returns as ch_keyring_add().
 */
int ch_keyring_retire_old(ch_keyring *ring, const char *key_file, char *err, size_t errlen);

/**
 * A verifier for key @p kid: an envelope of a fixed text with associated
 * data "connhub-key-check". Stored in the database so the host can tell at
 * start whether the key it was given is the one the data was written with.
 * @param[out] out  new JSON text (malloc'd, free()); NULL on error.
 * @return CH_OK, CH_E_NOTFOUND (the ring lacks @p kid), CH_E_NOMEM.
 */
int ch_keyring_verifier(const ch_keyring *ring, int kid, char **out);

/** CH_OK when @p verifier_text opens with the ring's key of that kid;
 *  CH_E_NOTFOUND when the ring lacks the kid; CH_E_AUTH when it does not
 *  decrypt (wrong key); CH_E_INVALID when the text is not a verifier. */
int ch_keyring_check(const ch_keyring *ring, const char *verifier_text);

/* --- envelopes ---------------------------------------------------------- */

/** Whether @p v is an envelope object: an object whose only member is
 *  "$secret" and whose value is an object (its contents are checked when
 *  it is opened). */
int ch_secret_is_envelope(json_object *v);

/**
 * Seals the secret parts of a stored document in place: every value at a
 * pointer of @p pointers (absolute pointers into @p doc, e.g.
 * "/config/password") that is present, not null and not already an
 * envelope is replaced by its envelope under the active key. A pointer
 * below another pointer of the list is skipped (the outer value is sealed
 * whole), so envelopes never nest. The value replaced has its strings
 * zeroed before it is released: hold no other reference to it. A pointer
 * that does not resolve (missing member, index out of range or not
 * canonical) designates an absent value.
 * @param pointers  array of strings (borrowed).
 * @return CH_OK, CH_E_NOMEM; CH_E_INVALID when @p pointers is not an array
 *         of pointers starting with "/" with valid "~" escapes, or an id
 *         is NULL or holds a newline. On error some values may be sealed.
 */
int ch_secret_seal(const ch_keyring *ring, json_object *doc, json_object *pointers,
		   const char *account, const char *connector);

/**
 * Opens every envelope found anywhere in @p doc in place (for a plugin
 * call), objects and arrays at any depth, the associated data naming where
 * each one sits. Fails as a whole, leaving @p doc partly opened, when one
 * does not decrypt: release it with ch_secret_wipe() either way. The root
 * of @p doc itself is never taken for an envelope.
 * @param[out] err  "secret at /config/password cannot be decrypted" (never
 *                  the value).
 * @return CH_OK; CH_E_AUTH when an envelope fails to decrypt (wrong key,
 *         wrong place, tampered); CH_E_NOTFOUND when its kid is not in the
 *         ring; CH_E_INVALID when an envelope is malformed (members, base64,
 *         sizes), an id is NULL or holds a newline, or @p doc is nested
 *         deeper than CH_SECRET_MAX_DEPTH; CH_E_NOMEM.
 */
int ch_secret_open_all(const ch_keyring *ring, json_object *doc, const char *account,
		       const char *connector, char *err, size_t errlen);

/**
 * Re-encrypts every envelope in @p doc under the active key (rotation).
 * Envelopes already under the active key are left as they are (so an
 * interrupted rotation can simply be run again). Same errors as
 * ch_secret_open_all(); on error @p doc may be partly resealed, every
 * envelope in it still valid.
 */
int ch_secret_reseal_all(const ch_keyring *ring, json_object *doc, const char *account,
			 const char *connector, char *err, size_t errlen);

/** Replaces every envelope in @p doc by CH_SECRET_MASK (for responses), at
 *  any depth up to CH_SECRET_MAX_DEPTH. NULL is a no-op. */
void ch_secret_mask_all(json_object *doc);

/**
 * Wipes and frees a document that held opened secrets: every string in it
 * is zeroed (sodium_memzero) before json_object_put (object keys are not
 * secret and are left), also those of values it shares with another
 * document (json_object_get): give it a document that owns its values.
 * NULL is a no-op. See "Memory" above for the copies json-c keeps on its
 * own.
 */
void ch_secret_wipe(json_object *doc);

/**
 * The pointers (relative to the configuration object, e.g. "/password",
 * "/auth/key") of the properties a schema marks secret: "writeOnly": true
 * or "format": "password", following "properties" of nested objects,
 * "$ref": "#<pointer>" (e.g. "#/$defs/name", "#/definitions/name"), and
 * the branches of allOf, anyOf, oneOf, then, else and dependentSchemas:
 * the union of all, without duplicates, in the order first met. Below a
 * secret property nothing more is listed (it is sealed whole), also when
 * another branch marks a deeper property. A $ref back into a schema being
 * expanded (a recursive structure) is not followed again, and "items" is
 * not followed (a pointer names one place): secrets there are not listed.
 * @return new array of strings, owned by the caller; NULL when out of
 *         memory, when @p schema is NULL, or when the schema would take more
 *         than 65536 steps to enumerate (a schema that branches
 *         exponentially through $ref) or nests properties and $refs more
 *         than 4 * CH_SCHEMA_MAX_DEPTH deep: treat NULL as a schema to
 *         refuse.
 */
json_object *ch_secret_schema_paths(const ch_schema *schema);

/*
 * Internal to the module: shared by keyring.c and envelope.c. Not for use
 * elsewhere.
 */

/** The key bytes (crypto_aead_xchacha20poly1305_ietf_KEYBYTES) of key
 *  @p kid, borrowed from the ring; NULL when the ring lacks it. */
const unsigned char *ch_keyring_key(const ch_keyring *ring, int kid);

/**
 * Encrypts @p len bytes under key @p kid with associated data @p ad and a
 * random nonce.
 * @param[out] out  the new envelope object, owned by the caller.
 * @return CH_OK, CH_E_NOTFOUND (no key @p kid), CH_E_TOO_LARGE, CH_E_NOMEM.
 */
int ch_secret_seal_text(json_object **out, const ch_keyring *ring, int kid, const void *plain,
			size_t len, const char *ad);

/**
 * Decrypts envelope @p env with associated data @p ad.
 * @param[out] out     new NUL-terminated plaintext; release it with
 *                     ch_secret_plain_free(). NULL on error.
 * @param[out] outlen  its length, without the NUL.
 * @return CH_OK; CH_E_INVALID (not a well-formed envelope); CH_E_NOTFOUND
 *         (kid not in the ring); CH_E_AUTH (does not decrypt); CH_E_NOMEM.
 */
int ch_secret_open_text(unsigned char **out, size_t *outlen, const ch_keyring *ring,
			json_object *env, const char *ad);

/** Zeroes and frees a plaintext of @p len bytes from ch_secret_open_text().
 *  NULL is a no-op. */
void ch_secret_plain_free(unsigned char *plain, size_t len);

#endif /* CH_SECRET_H */
