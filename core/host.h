/*
 * Opening a data directory the way both the host and the admin commands
 * need it: the exclusive lock, the database, the master key and the token
 * key.
 */
#ifndef CH_HOST_H
#define CH_HOST_H

#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "secret/secret.h"
#include "store/store.h"

typedef struct ch_host {
	ch_store *store;
	ch_keyring *keys;
	uint8_t token_key[CH_TOKEN_KEY_LEN];
	int lock_fd; /* -1 when not locked */
} ch_host;

/**
 * Opens the data directory of @p cfg (creating it, mode 0700). An
 * existing directory that group or others may access is refused
 * (CH_E_FORBIDDEN, "run chmod 700 ..."); the database in it is created
 * 0600 (see ch_store_open_sqlite()).
 * @param exclusive  take "<data-dir>/connhub.lock" (one host per data
 *                   directory; key rotation needs the host stopped).
 * @param with_keys  load and verify the master key too.
 * On failure ch_error_last() says why, and nothing stays open.
 */
int ch_host_open(ch_host *h, const ch_config *cfg, int exclusive, int with_keys);

/** Closes what ch_host_open() opened. */
void ch_host_close(ch_host *h);

/**
 * On the first start of a database, creates the account "default" and an
 * admin token for it, written to @p token (shown once). Returns 1 when it
 * did, 0 on later starts, or a negative ch_status.
 */
int ch_host_bootstrap(ch_host *h, char token[CH_TOKEN_LEN]);

#endif /* CH_HOST_H */
