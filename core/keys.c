#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define META_ACTIVE "key.active"

static void verifier_name(int kid, char *out, size_t len)
{
	snprintf(out, len, "key.verifier.%d", kid);
}

static int record(ch_store *st, const ch_keyring *ring, int kid)
{
	char name[64], active[16], *verifier = NULL;
	int rc = ch_keyring_verifier(ring, kid, &verifier);

	verifier_name(kid, name, sizeof(name));
	if (rc == CH_OK)
		rc = ch_store_meta_put(st, name, verifier);
	snprintf(active, sizeof(active), "%d", kid);
	if (rc == CH_OK)
		rc = ch_store_meta_put(st, META_ACTIVE, active);
	free(verifier);
	return rc;
}

/* Checks the ring opens the verifier of @p kid. */
static int check_kid(ch_store *st, const ch_keyring *ring, int kid)
{
	char name[64], *verifier = NULL;
	int rc;

	if (!ch_keyring_has(ring, kid))
		return ch_error_set(CH_E_NOTFOUND,
				    "the database's secrets are under master key %d, which the key "
				    "file does not hold",
				    kid);
	verifier_name(kid, name, sizeof(name));
	rc = ch_store_meta_get(st, name, &verifier);
	if (rc == CH_OK)
		rc = ch_keyring_check(ring, verifier);
	free(verifier);
	if (rc == CH_E_AUTH)
		return ch_error_set(CH_E_AUTH,
				    "master key %d does not decrypt this database (wrong key file or "
				    "CONNHUB_MASTER_KEY?)",
				    kid);
	return rc;
}

int ch_keys_verify(ch_store *st, const ch_keyring *ring)
{
	char *active = NULL;
	int rc = ch_store_meta_get(st, META_ACTIVE, &active), kid;

	if (rc == CH_E_NOTFOUND)
		return record(st, ring, ch_keyring_active(ring));
	if (rc != CH_OK)
		return rc;
	kid = (int)strtol(active, NULL, 10);
	free(active);
	rc = check_kid(st, ring, kid);
	if (rc == CH_OK && kid != ch_keyring_active(ring))
		rc = record(st, ring, ch_keyring_active(ring));
	return rc;
}

struct reseal {
	const ch_keyring *ring;
	char err[256];
};

static int reseal_row(void *cls, ch_connector_row *row)
{
	struct reseal *r = cls;
	int rc = ch_secret_reseal_all(r->ring, row->doc, row->account_id, row->id, r->err,
				      sizeof(r->err));

	if (rc != CH_OK)
		return ch_error_set(rc, "connector %s: %s", row->id, r->err);
	return 1; /* write it back */
}

/* A setup session's answers are sealed like the connector's secrets, bound
 * to the same account and connector ("/answers/<key>"). */
static int reseal_session(void *cls, const char *account_id, const char *connector_id,
			  json_object *doc)
{
	struct reseal *r = cls;
	int rc = ch_secret_reseal_all(r->ring, doc, account_id, connector_id, r->err,
				      sizeof(r->err));

	if (rc != CH_OK)
		return ch_error_set(rc, "setup session of connector %s: %s", connector_id, r->err);
	return 1;
}

int ch_keys_rotate(ch_store *st, ch_keyring *ring, const char *key_file)
{
	struct reseal r = {ring, ""};
	ch_rewriter rw = {reseal_row, reseal_session, &r};
	char err[256];
	int rc = ch_keys_verify(st, ring);

	if (rc != CH_OK)
		return rc;
	rc = ch_keyring_add(ring, key_file, err, sizeof(err));
	if (rc != CH_OK)
		return ch_error_set(rc, "%s", err);
	rc = ch_store_rewrite_all(st, &rw);
	if (rc == CH_OK)
		rc = record(st, ring, ch_keyring_active(ring));
	if (rc != CH_OK)
		return rc; /* the file keeps both keys: nothing is lost */
	rc = ch_keyring_retire_old(ring, key_file, err, sizeof(err));
	return rc == CH_OK ? CH_OK : ch_error_set(rc, "%s", err);
}
