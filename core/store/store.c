#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <sodium.h>

#include <connhub/plugin.h>

int ch_store_open_dir(ch_store **out, const char *data_dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/connhub.db", data_dir);
	return ch_store_open_sqlite(out, path);
}

void ch_store_close(ch_store *st)
{
	if (st)
		st->ops->close(st);
}

int ch_store_account_create(ch_store *st, const char *name, char id_out[CH_ID_LEN])
{
	return st->ops->account_create(st, name, id_out);
}

int ch_store_account_find(ch_store *st, const char *name, char id_out[CH_ID_LEN])
{
	return st->ops->account_find(st, name, id_out);
}

int ch_store_token_create(ch_store *st, const char *account_id, int admin,
			  const uint8_t hash[CH_TOKEN_HASH_LEN])
{
	return st->ops->token_create(st, account_id, admin, hash);
}

int ch_store_token_find(ch_store *st, const uint8_t hash[CH_TOKEN_HASH_LEN], ch_principal *out,
			uint8_t stored[CH_TOKEN_HASH_LEN])
{
	return st->ops->token_find(st, hash, out, stored);
}

int ch_store_meta_get(ch_store *st, const char *key, char **value)
{
	return st->ops->meta_get(st, key, value);
}

int ch_store_meta_put(ch_store *st, const char *key, const char *value)
{
	return st->ops->meta_put(st, key, value);
}

int ch_store_connector_insert(ch_store *st, const ch_connector_row *row, const char *idem_key,
			      const ch_idem_record *idem)
{
	return st->ops->connector_insert(st, row, idem_key, idem);
}

int ch_store_connector_get(ch_store *st, const char *account_id, const char *id, const char *name,
			   ch_connector_row *out)
{
	return st->ops->connector_get(st, account_id, id, name, out);
}

int ch_store_connector_update(ch_store *st, const ch_connector_row *row, int64_t expect_revision)
{
	return st->ops->connector_update(st, row, expect_revision);
}

int ch_store_connector_delete(ch_store *st, const char *account_id, const char *id,
			      int64_t expect_revision)
{
	return st->ops->connector_delete(st, account_id, id, expect_revision);
}

int ch_store_connector_list(ch_store *st, const char *account_id, const ch_connector_query *q,
			    ch_connector_page *out)
{
	return st->ops->connector_list(st, account_id, q, out);
}

int ch_store_rewrite_all(ch_store *st, const ch_rewriter *rw)
{
	return st->ops->rewrite_all(st, rw);
}

int ch_store_idem_get(ch_store *st, const char *account_id, const char *key, ch_idem_record *out)
{
	return st->ops->idem_get(st, account_id, key, out);
}

int ch_store_session_get(ch_store *st, const char *account_id, const char *connector_id,
			 json_object **doc, int64_t *revision)
{
	return st->ops->session_get(st, account_id, connector_id, doc, revision);
}

int ch_store_session_put(ch_store *st, const char *account_id, const char *connector_id,
			 json_object *doc, int64_t expect_revision)
{
	return st->ops->session_put(st, account_id, connector_id, doc, expect_revision);
}

int ch_store_session_delete(ch_store *st, const char *account_id, const char *connector_id)
{
	return st->ops->session_delete(st, account_id, connector_id);
}

int ch_store_session_finish(ch_store *st, const ch_connector_row *row, int64_t expect_revision,
			    int64_t session_revision)
{
	return st->ops->session_finish(st, row, expect_revision, session_revision);
}

void ch_idem_record_clear(ch_idem_record *rec)
{
	free(rec->body);
	rec->body = NULL;
}

void ch_connector_row_clear(ch_connector_row *row)
{
	json_object_put(row->doc);
	row->doc = NULL;
}

void ch_connector_rows_free(ch_connector_row *rows, size_t count)
{
	for (size_t i = 0; rows && i < count; i++)
		ch_connector_row_clear(&rows[i]);
	free(rows);
}

void ch_connector_page_clear(ch_connector_page *page)
{
	ch_connector_rows_free(page->rows, page->count);
	memset(page, 0, sizeof(*page));
}

void ch_store_new_id(const char *prefix, char out[CH_ID_LEN])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t bytes[26];
	size_t n = strlen(prefix);

	randombytes_buf(bytes, sizeof(bytes));
	memcpy(out, prefix, n);
	out[n++] = '_';
	for (size_t i = 0; i < sizeof(bytes); i++)
		out[n++] = alphabet[bytes[i] & 31];
	out[n] = '\0';
}

void ch_store_now(char out[CH_TIME_LEN])
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(out, CH_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, CH_TIME_LEN - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}
