/*
 * The SQLite store: which constraint failures are "exists", refusing a
 * database of a newer schema, the database files readable by their owner
 * alone, rewrites (key rotation) that keep revisions and reach setup
 * sessions, list plans that never sort in a temporary B-tree, and
 * concurrent writes sharing commits while each fails alone.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check_run.h"
#include "error.h"
#include "store/store.h"
#include "store/store_sql.h"

static char dir[64], path[128];

static ch_store *open_new(void)
{
	ch_store *st = NULL;

	snprintf(dir, sizeof(dir), "/tmp/connhub-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/connhub.db", dir);
	ck_assert_int_eq(ch_store_open_sqlite(&st, path), CH_OK);
	return st;
}

static void remove_dir(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Runs SQL on the database file with a connection of its own. */
static void sql(const char *text)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, text, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", text,
		      sqlite3_errmsg(db));
	sqlite3_close(db);
}

static void fill_row(ch_connector_row *row, const char *account, const char *name)
{
	memset(row, 0, sizeof(*row));
	ch_store_new_id("con", row->id);
	snprintf(row->account_id, sizeof(row->account_id), "%s", account);
	snprintf(row->name, sizeof(row->name), "%s", name);
	snprintf(row->type, sizeof(row->type), "t");
	snprintf(row->type_version, sizeof(row->type_version), "1.0.0");
	snprintf(row->status, sizeof(row->status), "CREATED");
	ch_store_now(row->created_at);
	memcpy(row->updated_at, row->created_at, sizeof(row->updated_at));
	row->doc = json_tokener_parse("{\"config\":{\"a\":1}}");
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	ck_assert_msg(stat(p, &st) == 0, "%s is missing", p);
	return st.st_mode & 0777;
}

START_TEST(only_a_taken_key_is_exists)
{
	ch_store *st = open_new();
	ch_connector_row row, again;
	char account[CH_ID_LEN];
	uint8_t hash[CH_TOKEN_HASH_LEN] = {1};

	ck_assert_int_eq(ch_store_account_create(st, "a", account), CH_OK);
	ck_assert_int_eq(ch_store_account_create(st, "a", account), CH_E_EXISTS);
	fill_row(&row, account, "one");
	ck_assert_msg(ch_store_connector_insert(st, &row, NULL, NULL) == CH_OK, "%s",
		      ch_error_last()->message);
	fill_row(&again, account, "one");
	ck_assert_int_eq(ch_store_connector_insert(st, &again, NULL, NULL), CH_E_EXISTS);
	ch_connector_row_clear(&again);
	/* a foreign key that points nowhere is the server's fault, not a 409 */
	fill_row(&again, "acc_nobody", "two");
	ck_assert_int_eq(ch_store_connector_insert(st, &again, NULL, NULL), CH_E_IO);
	ck_assert_ptr_nonnull(strstr(ch_error_last()->message, "FOREIGN KEY"));
	ck_assert_int_eq(ch_store_token_create(st, "acc_nobody", 0, hash), CH_E_IO);
	ck_assert_int_eq(ch_store_token_create(st, account, 0, hash), CH_OK);
	ck_assert_int_eq(ch_store_token_create(st, account, 0, hash), CH_E_EXISTS);
	ch_connector_row_clear(&again);
	ch_connector_row_clear(&row);
	ch_store_close(st);
	remove_dir();
}
END_TEST

START_TEST(newer_schema_is_refused)
{
	ch_store *st = open_new();
	char text[96];

	ch_store_close(st);
	snprintf(text, sizeof(text), "INSERT INTO schema_version VALUES(%d)",
		 ch_store_schema_version() + 1);
	sql(text);
	ck_assert_int_eq(ch_store_open_sqlite(&st, path), CH_E_UNSUPPORTED);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(ch_error_last()->message, "newer than this connhub knows"), "%s",
		      ch_error_last()->message);
	ck_assert_ptr_nonnull(strstr(ch_error_last()->message, path));
	remove_dir();
}
END_TEST

START_TEST(files_are_private)
{
	char wal[160], shm[160], account[CH_ID_LEN];
	ch_store *st;

	umask(022);
	st = open_new();
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	ck_assert_int_eq(ch_store_account_create(st, "a", account), CH_OK);
	ck_assert_int_eq(mode_of(path), 0600);
	ck_assert_int_eq(mode_of(wal), 0600);
	ck_assert_int_eq(mode_of(shm), 0600);
	ch_store_close(st);
	/* an existing database others can read is tightened */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(ch_store_open_sqlite(&st, path), CH_OK);
	ck_assert_int_eq(mode_of(path), 0600);
	ch_store_close(st);
	remove_dir();
}
END_TEST

static int set_mark(void *cls, ch_connector_row *row)
{
	(void)cls;
	json_object_object_add(row->doc, "mark", json_object_new_int(1));
	return 1;
}

static int set_session_mark(void *cls, const char *account_id, const char *connector_id,
			    json_object *doc)
{
	int *calls = cls;

	(*calls)++;
	ck_assert_ptr_nonnull(account_id);
	ck_assert_ptr_nonnull(connector_id);
	json_object_object_add(doc, "mark", json_object_new_int(2));
	return 1;
}

static int refuse(void *cls, ch_connector_row *row)
{
	(void)cls;
	(void)row;
	return ch_error_set(CH_E_AUTH, "no");
}

START_TEST(rewrite_keeps_revisions_and_reaches_sessions)
{
	ch_store *st = open_new();
	ch_connector_row row, got;
	char account[CH_ID_LEN], updated[CH_TIME_LEN];
	json_object *doc = json_tokener_parse("{\"answers\":{\"a\":1}}"), *sdoc = NULL;
	int calls = 0;
	ch_rewriter rw = {set_mark, set_session_mark, &calls}, bad = {refuse, NULL, NULL};
	int64_t srev = 0;

	ck_assert_int_eq(ch_store_account_create(st, "a", account), CH_OK);
	fill_row(&row, account, "one");
	ck_assert_int_eq(ch_store_connector_insert(st, &row, NULL, NULL), CH_OK);
	ck_assert_int_eq(ch_store_connector_update(st, &row, 1), CH_OK);
	ck_assert_int_eq(ch_store_session_put(st, account, row.id, doc, 0), CH_OK);
	ck_assert_int_eq(ch_store_session_put(st, account, row.id, doc, 1), CH_OK);
	ck_assert_int_eq(ch_store_connector_get(st, account, row.id, NULL, &got), CH_OK);
	snprintf(updated, sizeof(updated), "%s", got.updated_at);
	ch_connector_row_clear(&got);

	ck_assert_int_eq(ch_store_rewrite_all(st, &rw), CH_OK);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(ch_store_connector_get(st, account, row.id, NULL, &got), CH_OK);
	ck_assert_int_eq(got.revision, 2);
	ck_assert_str_eq(got.updated_at, updated);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(got.doc, "mark")), 1);
	ch_connector_row_clear(&got);
	ck_assert_int_eq(ch_store_session_get(st, account, row.id, &sdoc, &srev), CH_OK);
	ck_assert_int_eq(srev, 2);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(sdoc, "mark")), 2);
	json_object_put(sdoc);

	/* a refusal rolls back and is returned */
	ck_assert_int_eq(ch_store_rewrite_all(st, &bad), CH_E_AUTH);
	json_object_put(doc);
	ch_connector_row_clear(&row);
	ch_store_close(st);
	remove_dir();
}
END_TEST

/* The plan of @p q's list (or total) query: in an index, never sorting in
 * a temporary B-tree nor scanning a table; a total in a covering index,
 * but for type and status at once (the type's entries are walked, each
 * row's status read: there is no index of both, one b-tree less for
 * every write to keep). */
static void assert_plan(ch_store *st, const ch_connector_query *q, int count, int bits)
{
	char *plan = NULL;

	ck_assert_int_eq(ch_store_sqlite_list_plan(st, q, count, &plan), CH_OK);
	ck_assert_msg(!strstr(plan, "TEMP B-TREE") && !strstr(plan, "SCAN") &&
			      strstr(plan, "USING"),
		      "sort %d bits %d count %d: %s", (int)q->sort, bits, count, plan);
	ck_assert_msg(!count || (q->type && q->status) || strstr(plan, "COVERING INDEX"),
		      "count: %s", plan);
	free(plan);
}

/* Every sort, direction, filter combination, page and cursor. */
START_TEST(every_list_plan_uses_an_index)
{
	ch_store *st = open_new();

	for (int sort = 0; sort < CH_SORT_COUNT; sort++)
		for (int bits = 0; bits < 2 * 2 * 8; bits++) {
			ch_connector_query q = {
				.page = 1,
				.per_page = 10,
				.sort = (ch_connector_sort)sort,
				.descending = bits & 1,
				.after_key = bits & 2 ? "k" : NULL,
				.after_id = "con_x",
				.type = bits & 4 ? "t" : NULL,
				.status = bits & 8 ? "CREATED" : NULL,
				.name_prefix = bits & 16 ? "n" : NULL,
			};

			assert_plan(st, &q, 0, bits);
			assert_plan(st, &q, 1, bits);
		}
	ch_store_close(st);
	remove_dir();
}
END_TEST

/* --- group commit ---------------------------------------------------------------- */

#define RACERS 8
#define NAMES 40

typedef struct racer {
	ch_store *st;
	const char *account;
	int id;
	int ok, exists;       /* outcomes */
	char bad[256];        /* the first unexpected outcome, or "" */
} racer;

/* Inserts NAMES connectors, each with an idempotency key of its own: the
 * same names as every other racer, so each name is taken once. */
static void *race_inserts(void *arg)
{
	racer *r = arg;

	for (int i = 0; i < NAMES; i++) {
		ch_connector_row row;
		ch_idem_record idem = {.status = 201, .body = "{}"};
		char name[32], key[32];
		int rc;

		snprintf(name, sizeof(name), "n-%d", i);
		snprintf(key, sizeof(key), "k-%d-%d", r->id, i);
		fill_row(&row, r->account, name);
		rc = ch_store_connector_insert(r->st, &row, key, &idem);
		if (rc == CH_OK)
			r->ok++;
		else if (rc == CH_E_EXISTS && strstr(ch_error_last()->message, "UNIQUE"))
			r->exists++;
		else if (!r->bad[0])
			snprintf(r->bad, sizeof(r->bad), "%s: %d %s", name, rc,
				 ch_error_last()->message);
		ch_connector_row_clear(&row);
	}
	return NULL;
}

/* Concurrent writes commit in shared transactions, and each fails alone:
 * of RACERS inserting the same names, one wins each name, the losers get
 * EXISTS with their own message, and nothing of a loser stays behind
 * (its idempotency key was rolled back with it, so the key is free). */
START_TEST(group_commit_fails_each_write_alone)
{
	ch_store *st = open_new();
	pthread_t t[RACERS];
	racer r[RACERS];
	char account[CH_ID_LEN];
	ch_connector_query q = {.page = 1, .per_page = 100};
	ch_connector_page page = {0};
	int ok = 0, exists = 0;

	ck_assert_int_eq(ch_store_account_create(st, "a", account), CH_OK);
	for (int i = 0; i < RACERS; i++) {
		r[i] = (racer){.st = st, .account = account, .id = i};
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_inserts, &r[i]), 0);
	}
	for (int i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(!r[i].bad[0], "racer %d: %s", i, r[i].bad);
		ok += r[i].ok;
		exists += r[i].exists;
	}
	ck_assert_int_eq(ok, NAMES);
	ck_assert_int_eq(exists, NAMES * (RACERS - 1));
	ck_assert_int_eq(ch_store_connector_list(st, account, &q, &page), CH_OK);
	ck_assert_uint_eq(page.total, NAMES); /* the count moved with the wins only */
	ck_assert_uint_eq(page.count, NAMES);
	ch_connector_page_clear(&page);
	/* a loser's key was rolled back: it can be used again */
	for (int i = 0; i < RACERS; i++) {
		for (int n = 0; n < NAMES; n++) {
			ch_idem_record rec;
			char key[32];
			int rc;

			snprintf(key, sizeof(key), "k-%d-%d", i, n);
			rc = ch_store_idem_get(st, account, key, &rec);
			ch_idem_record_clear(&rec);
			if (rc == CH_OK)
				ok--;
			else
				ck_assert_int_eq(rc, CH_E_NOTFOUND);
		}
	}
	ck_assert_int_eq(ok, 0); /* one key stored for each win, no more */
	ch_store_close(st);
	remove_dir();
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		only_a_taken_key_is_exists,
		newer_schema_is_refused,
		files_are_private,
		rewrite_keeps_revisions_and_reaches_sessions,
		every_list_plan_uses_an_index,
		group_commit_fails_each_write_alone,
		NULL,
	};

	return ch_check_run(ch_check_suite("store", tests));
}
