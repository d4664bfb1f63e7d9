/*
 * The master key and the database, together: checking at start that the
 * key given is the one the database's secrets were written with, and
 * rotating to a new key.
 */
#ifndef CH_KEYS_H
#define CH_KEYS_H

#include "secret/secret.h"
#include "store/store.h"

/**
 * Checks @p ring against the key verifier stored in the database and
 * records a verifier for the ring's active key when the database has none
 * for it. CH_E_AUTH (with ch_error_last() saying which kid) when the key
 * does not open the database; CH_E_NOTFOUND when the ring lacks the key the
 * database was written with.
 */
int ch_keys_verify(ch_store *st, const ch_keyring *ring);

/**
 * Rotation: adds a new key to @p key_file, re-encrypts every secret under
 * it (connectors' and open setup sessions') in one transaction that keeps
 * every revision, records its verifier, then retires the old keys from the
 * file. CH_OK or the first failure (nothing re-encrypted then).
 */
int ch_keys_rotate(ch_store *st, ch_keyring *ring, const char *key_file);

#endif /* CH_KEYS_H */
