/*
 * Storage: accounts, API tokens, connectors, idempotency records and
 * settings, behind one interface so PostgreSQL can join SQLite as a second
 * backend (a backend fills a ch_store_ops table).
 *
 * Every function is one transaction; every row belongs to an account and
 * every connector query is scoped by the caller's account: a row of another
 * account is CH_E_NOTFOUND, exactly like a row that does not exist.
 */
#ifndef CH_STORE_H
#define CH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CH_ID_LEN 40
#define CH_NAME_LEN 64
#define CH_TYPE_LEN 80
#define CH_TIME_LEN 32
#define CH_TOKEN_HASH_LEN 32

typedef struct ch_store ch_store;

/** Who is calling: the account a token belongs to. */
typedef struct ch_principal {
	char account_id[CH_ID_LEN];
	char account_name[CH_NAME_LEN];
	int admin;
} ch_principal;

/** One connector as stored. doc holds everything else: {config,
 *  variables, timezone, date_format, rate_limit} with secrets sealed. */
typedef struct ch_connector_row {
	char id[CH_ID_LEN];
	char account_id[CH_ID_LEN];
	char name[CH_NAME_LEN];
	char type[CH_TYPE_LEN];
	char type_version[CH_TYPE_LEN];
	char status[16];
	int64_t revision;
	char created_at[CH_TIME_LEN];
	char updated_at[CH_TIME_LEN];
	json_object *doc; /* owned */
} ch_connector_row;

/** Sort orders of the connector list. */
typedef enum ch_connector_sort {
	CH_SORT_NAME = 0,
	CH_SORT_CREATED,
	CH_SORT_UPDATED,
	CH_SORT_COUNT
} ch_connector_sort;

/** Which connectors to list: a page by number (OFFSET, kept for
 *  compatibility), or with @p after_key the per_page rows that follow a
 *  row in the order (keyset: an index seek, whatever the depth). */
typedef struct ch_connector_query {
	size_t page;     /* from 1; ignored with after_key */
	size_t per_page; /* 1..100 */
	ch_connector_sort sort;
	int descending;
	const char *type;        /* filters, NULL when absent */
	const char *status;
	const char *name_prefix;
	const char *after_key;   /* the sort key (name, created_at or updated_at) of
				    the row to continue after, or NULL */
	const char *after_id;    /* that row's id (the tie-breaker of time sorts) */
} ch_connector_query;

/** One page of a connector list. */
typedef struct ch_connector_page {
	ch_connector_row *rows; /* count rows, owned (ch_connector_page_clear) */
	size_t count;
	size_t total; /* how many match the filters in all */
	int more;     /* whether rows follow the last one in the order */
} ch_connector_page;

/** What ch_store_rewrite_all() calls on each stored document. */
typedef struct ch_rewriter {
	/* A connector: 1 to write it back (revision and updated_at kept), 0 to
	 * leave it, a negative code to roll everything back. */
	int (*connector)(void *cls, ch_connector_row *row);
	/* The setup session of a connector (its document, changed in place):
	 * the same answers. NULL: sessions are left alone. */
	int (*session)(void *cls, const char *account_id, const char *connector_id,
		       json_object *doc);
	void *cls;
} ch_rewriter;

/** A stored response to replay for a repeated Idempotency-Key. */
typedef struct ch_idem_record {
	uint8_t request_hash[32];
	int status;
	char location[256];
	char *body; /* malloc'd */
} ch_idem_record;

/** The functions a backend provides. */
typedef struct ch_store_ops {
	void (*close)(ch_store *st);
	int (*account_create)(ch_store *st, const char *name, char id_out[CH_ID_LEN]);
	int (*account_find)(ch_store *st, const char *name, char id_out[CH_ID_LEN]);
	int (*token_create)(ch_store *st, const char *account_id, int admin,
			    const uint8_t hash[CH_TOKEN_HASH_LEN]);
	int (*token_find)(ch_store *st, const uint8_t hash[CH_TOKEN_HASH_LEN], ch_principal *out,
			  uint8_t stored[CH_TOKEN_HASH_LEN]);
	int (*meta_get)(ch_store *st, const char *key, char **value);
	int (*meta_put)(ch_store *st, const char *key, const char *value);
	int (*connector_insert)(ch_store *st, const ch_connector_row *row, const char *idem_key,
				const ch_idem_record *idem);
	int (*connector_get)(ch_store *st, const char *account_id, const char *id, const char *name,
			     ch_connector_row *out);
	int (*connector_update)(ch_store *st, const ch_connector_row *row, int64_t expect_revision);
	int (*connector_delete)(ch_store *st, const char *account_id, const char *id,
				int64_t expect_revision);
	int (*connector_list)(ch_store *st, const char *account_id, const ch_connector_query *q,
			      ch_connector_page *out);
	int (*rewrite_all)(ch_store *st, const ch_rewriter *rw);
	int (*idem_get)(ch_store *st, const char *account_id, const char *key, ch_idem_record *out);
	int (*session_get)(ch_store *st, const char *account_id, const char *connector_id,
			   json_object **doc, int64_t *revision);
	int (*session_put)(ch_store *st, const char *account_id, const char *connector_id,
			   json_object *doc, int64_t expect_revision);
	int (*session_delete)(ch_store *st, const char *account_id, const char *connector_id);
	int (*session_finish)(ch_store *st, const ch_connector_row *row, int64_t expect_revision,
			      int64_t session_revision);
} ch_store_ops;

struct ch_store {
	const ch_store_ops *ops;
};

/**
 * Opens (creating if needed) the SQLite database at @p path in WAL mode and
 * applies the migrations it lacks, in one transaction. The file (and its
 * -wal and -shm) is created with mode 0600; an existing one readable by
 * group or others is tightened to 0600.
 * @return CH_OK; CH_E_UNSUPPORTED when the database is at a schema version
 *         newer than this build knows (a newer connhub migrated it); CH_E_IO
 *         with ch_error_last() saying why.
 */
int ch_store_open_sqlite(ch_store **out, const char *path);

/** Opens "<data_dir>/connhub.db" (see ch_store_open_sqlite). */
int ch_store_open_dir(ch_store **out, const char *data_dir);

/** Closes the store. Every thread that used it must be done. NULL: no-op. */
void ch_store_close(ch_store *st);

/** The schema version the database is at after opening. */
int ch_store_schema_version(void);

/* Thin wrappers over the ops, so callers read like plain functions. */

/** Creates an account; CH_E_EXISTS when the name is taken. */
int ch_store_account_create(ch_store *st, const char *name, char id_out[CH_ID_LEN]);

/** The id of the account called @p name, or CH_E_NOTFOUND. */
int ch_store_account_find(ch_store *st, const char *name, char id_out[CH_ID_LEN]);

/** Stores a token's keyed hash for an account. */
int ch_store_token_create(ch_store *st, const char *account_id, int admin,
			  const uint8_t hash[CH_TOKEN_HASH_LEN]);

/**
 * The principal a token hash belongs to, or CH_E_NOTFOUND.
 * @param[out] stored  the hash as stored in the row found, for the caller
 *                     to compare in constant time.
 */
int ch_store_token_find(ch_store *st, const uint8_t hash[CH_TOKEN_HASH_LEN], ch_principal *out,
			uint8_t stored[CH_TOKEN_HASH_LEN]);

/** A setting (malloc'd copy), or CH_E_NOTFOUND. */
int ch_store_meta_get(ch_store *st, const char *key, char **value);

/** Sets a setting. */
int ch_store_meta_put(ch_store *st, const char *key, const char *value);

/**
 * Inserts a connector (revision 1). With @p idem_key, stores @p idem in the
 * same transaction. CH_E_EXISTS when the name is taken in the account;
 * CH_E_CONFLICT when the idempotency key was taken meanwhile.
 */
int ch_store_connector_insert(ch_store *st, const ch_connector_row *row, const char *idem_key,
			      const ch_idem_record *idem);

/** A connector of the account by id (when @p id) or by name. */
int ch_store_connector_get(ch_store *st, const char *account_id, const char *id, const char *name,
			   ch_connector_row *out);

/**
 * Writes a connector back with revision + 1 when its stored revision is
 * @p expect_revision; CH_E_CONFLICT when it is not (someone wrote first),
 * CH_E_NOTFOUND when it is gone, CH_E_EXISTS on a name clash.
 */
int ch_store_connector_update(ch_store *st, const ch_connector_row *row, int64_t expect_revision);

/** Deletes a connector; @p expect_revision < 0 skips the revision check. */
int ch_store_connector_delete(ch_store *st, const char *account_id, const char *id,
			      int64_t expect_revision);

/**
 * One page of the account's connectors, every filter and sort served by an
 * index (no sort step): a page by number costs an index walk to its
 * offset from the nearer end, a page after a row (q->after_key) an index
 * seek.
 * @param[out] out  the rows, the total and whether more follow; clear it
 *                  with ch_connector_page_clear() whatever the result.
 */
int ch_store_connector_list(ch_store *st, const char *account_id, const ch_connector_query *q,
			    ch_connector_page *out);

/**
 * Calls @p rw on every connector and every setup session of every account
 * and writes back what it changed, all in one transaction (key rotation).
 * A rewrite changes a document only: revisions and timestamps stay, so
 * clients' ETags stay valid. A callback's negative code rolls everything
 * back and is returned.
 */
int ch_store_rewrite_all(ch_store *st, const ch_rewriter *rw);

/** The stored response of an idempotency key, or CH_E_NOTFOUND. */
int ch_store_idem_get(ch_store *st, const char *account_id, const char *key, ch_idem_record *out);

/**
 * The setup session of a connector: its document (new object) and
 * revision, or CH_E_NOTFOUND.
 */
int ch_store_session_get(ch_store *st, const char *account_id, const char *connector_id,
			 json_object **doc, int64_t *revision);

/**
 * Writes a session: creates it when @p expect_revision is 0 (CH_E_CONFLICT
 * when one exists), else replaces it when its revision is still
 * @p expect_revision (CH_E_CONFLICT when another write came first).
 */
int ch_store_session_put(ch_store *st, const char *account_id, const char *connector_id,
			 json_object *doc, int64_t expect_revision);

/** Removes a connector's session (CH_E_NOTFOUND when it has none). */
int ch_store_session_delete(ch_store *st, const char *account_id, const char *connector_id);

/**
 * Ends a setup session: removes it when its revision is still
 * @p session_revision and writes the connector @p row over the stored one
 * when its revision is @p expect_revision, both in one transaction.
 * CH_E_CONFLICT (nothing written) when the session changed or is gone, or
 * the connector changed; CH_E_NOTFOUND when the connector is gone.
 */
int ch_store_session_finish(ch_store *st, const ch_connector_row *row, int64_t expect_revision,
			    int64_t session_revision);

/** Frees the body of a record. */
void ch_idem_record_clear(ch_idem_record *rec);

/** Frees the doc of a row (the row itself is not freed). */
void ch_connector_row_clear(ch_connector_row *row);

/** Frees an array of @p count rows. */
void ch_connector_rows_free(ch_connector_row *rows, size_t count);

/** Frees the rows of a page and empties it. */
void ch_connector_page_clear(ch_connector_page *page);

/** A new random id "<prefix>_<26 chars of base32>" (160 bits). */
void ch_store_new_id(const char *prefix, char out[CH_ID_LEN]);

/** Now as RFC 3339 UTC with milliseconds: "2026-11-23T19:00:00.123Z". */
void ch_store_now(char out[CH_TIME_LEN]);

#endif /* CH_STORE_H */
