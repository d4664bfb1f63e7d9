/*
 * The SQLite backend: WAL mode, one connection per thread with its prepared
 * statements kept for reuse, and writes serialised by a mutex in the
 * process (BEGIN IMMEDIATE under it), so writers never spin in SQLite's busy
 * handler against each other. Other processes (the CLI) are covered by the
 * busy timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error.h"
#include "store.h"
#include "store_sql.h"

enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_ACC_INSERT,
	S_ACC_FIND,
	S_TOK_INSERT,
	S_TOK_FIND,
	S_META_GET,
	S_META_PUT,
	S_CON_INSERT,
	S_CON_GET_ID,
	S_CON_GET_NAME,
	S_CON_UPDATE,
	S_CON_DELETE,
	S_CON_COUNT,
	S_ACC_TOTAL,
	S_IDEM_GET,
	S_IDEM_PUT,
	S_CON_BATCH,
	S_SES_GET,
	S_SES_INSERT,
	S_SES_UPDATE,
	S_SES_DELETE,
	S_SES_DELETE_REV,
	S_CON_REWRITE,
	S_SES_BATCH,
	S_SES_REWRITE,
	S_FIXED_COUNT,
	/* list queries: sort x direction x filter mask x (offset | keyset),
	 * then counts per mask */
	S_LIST = S_FIXED_COUNT,
	S_LIST_COUNT = S_LIST + CH_SORT_COUNT * 2 * 8 * 2,
	S_TOTAL = S_LIST_COUNT + 8
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_TOTAL];
	json_tokener *tok; /* reused for the documents read (parse_doc()) */
	struct conn *next;
};

typedef struct conn conn;

/*
 * One write, run in a transaction shared with the writes queued beside it
 * (group commit): its function, what it works on (each uses the members it
 * needs), and its outcome.
 */
typedef struct wjob {
	int (*fn)(conn *c, struct wjob *j);
	const ch_connector_row *row;
	const char *account_id, *connector_id, *key;
	const ch_idem_record *idem;
	const uint8_t *hash;
	int admin;
	json_object *doc;
	int64_t expect, session_revision;
	const ch_rewriter *rw;
	int idx;                  /* write_texts(): the statement, */
	const char *what;         /* what it does, */
	const char *const *texts; /* its text parameters */
	int ntexts;
	int changes; /* out: rows the job's last statement changed */
	int rc;      /* out */
	char msg[256];
	int done;
	struct wjob *next;
} wjob;

/* A batch of jobs at most: one transaction must not grow without bound. */
#define GROUP_MAX 64

typedef struct sq_store {
	ch_store base;
	char *path;
	pthread_key_t key;
	pthread_mutex_t write_lock; /* the queue and the leader */
	pthread_cond_t written;     /* a batch was committed */
	wjob *queue, **tail;
	int leading;                /* a thread is writing a batch */
	struct conn *writer;        /* the leader's connection (writer_conn()) */
	pthread_mutex_t conns_lock;
	conn *conns;
} sq_store;

#define ROW_COLUMNS                                                                         \
	"id, account_id, name, type, type_version, status, revision, created_at, updated_at, " \
	"doc"

static const char *const fixed_sql[S_FIXED_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT job",
	[S_RELEASE] = "RELEASE job",
	[S_ROLLBACK_TO] = "ROLLBACK TO job",
	[S_ACC_INSERT] = "INSERT INTO accounts(id, name, created_at) VALUES(?1, ?2, ?3)",
	[S_ACC_FIND] = "SELECT id FROM accounts WHERE name = ?1",
	[S_TOK_INSERT] = "INSERT INTO tokens(hash, account_id, admin, created_at) VALUES(?1, ?2, ?3, ?4)",
	[S_TOK_FIND] = "SELECT t.account_id, a.name, t.admin, t.hash FROM tokens t JOIN accounts a "
		       "ON a.id = t.account_id WHERE t.hash = ?1",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET "
		       "value = excluded.value",
	[S_CON_INSERT] = "INSERT INTO connectors(" ROW_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, "
			 "?8, ?9)",
	[S_CON_GET_ID] = "SELECT " ROW_COLUMNS " FROM connectors WHERE account_id = ?1 AND id = ?2",
	[S_CON_GET_NAME] = "SELECT " ROW_COLUMNS " FROM connectors WHERE account_id = ?1 AND name = ?2",
	[S_CON_UPDATE] = "UPDATE connectors SET name = ?3, type = ?4, type_version = ?5, status = ?6, "
			 "revision = revision + 1, updated_at = ?7, doc = ?8 WHERE account_id = ?1 "
			 "AND id = ?2 AND revision = ?9",
	[S_CON_DELETE] = "DELETE FROM connectors WHERE account_id = ?1 AND id = ?2 AND (?3 < 0 OR "
			 "revision = ?3)",
	[S_CON_COUNT] = "UPDATE accounts SET connectors = connectors + ?2 WHERE id = ?1",
	[S_ACC_TOTAL] = "SELECT connectors FROM accounts WHERE id = ?1",
	[S_IDEM_GET] = "SELECT request_hash, status, location, body FROM idempotency WHERE "
		       "account_id = ?1 AND key = ?2",
	[S_IDEM_PUT] = "INSERT INTO idempotency(account_id, key, request_hash, status, location, "
		       "body, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_CON_BATCH] = "SELECT rowid, " ROW_COLUMNS " FROM connectors WHERE rowid > ?1 ORDER BY rowid "
			"LIMIT 256", /* REWRITE_BATCH */
	[S_SES_GET] = "SELECT doc, revision FROM setup_sessions WHERE account_id = ?1 AND "
		      "connector_id = ?2",
	[S_SES_INSERT] = "INSERT INTO setup_sessions(connector_id, account_id, revision, doc, "
			 "updated_at) VALUES(?2, ?1, 1, ?3, ?4)",
	[S_SES_UPDATE] = "UPDATE setup_sessions SET doc = ?3, updated_at = ?4, revision = revision + "
			 "1 WHERE account_id = ?1 AND connector_id = ?2 AND revision = ?5",
	[S_SES_DELETE] = "DELETE FROM setup_sessions WHERE account_id = ?1 AND connector_id = ?2",
	[S_SES_DELETE_REV] = "DELETE FROM setup_sessions WHERE account_id = ?1 AND connector_id = ?2 "
			     "AND revision = ?3",
	[S_CON_REWRITE] = "UPDATE connectors SET doc = ?3 WHERE account_id = ?1 AND id = ?2",
	[S_SES_BATCH] = "SELECT connector_id, account_id, doc FROM setup_sessions WHERE "
			"connector_id > ?1 ORDER BY connector_id LIMIT 256", /* REWRITE_BATCH */
	[S_SES_REWRITE] = "UPDATE setup_sessions SET doc = ?3 WHERE account_id = ?1 AND "
			  "connector_id = ?2",
};

/* --- connections and statements ------------------------------------------- */

/* Connections run with extended result codes, so a constraint failure says
 * which: only a unique key taken is "exists" (409); a foreign key, NOT
 * NULL or CHECK failure is the server's own fault. */
static int sq_fail(sqlite3 *db, int rc, const char *what)
{
	int code = CH_E_IO;

	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		code = CH_E_EXISTS;
	else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		code = CH_E_TRANSIENT;
	return ch_error_set(code, "database: %s: %s", what,
			    rc == SQLITE_FULL ? "disk full" : sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		ch_error_set(CH_E_IO, "database: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return CH_E_IO;
	}
	return CH_OK;
}

static int open_db(const char *path, sqlite3 **out)
{
	int rc = sqlite3_open_v2(path, out,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		ch_error_set(CH_E_IO, "database %s: %s", path,
			     *out ? sqlite3_errmsg(*out) : sqlite3_errstr(rc));
		sqlite3_close(*out);
		*out = NULL;
		return CH_E_IO;
	}
	sqlite3_extended_result_codes(*out, 1);
	sqlite3_busy_timeout(*out, 5000);
	/* NORMAL in WAL mode: a commit survives the process dying (kill -9);
	 * only an OS crash or power loss can drop the last transactions. */
	/* Reads map the file rather than copy its pages, so the pages a
	 * commit made stale cost a memory access to read again. */
	return exec(*out, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
			  "PRAGMA mmap_size = 268435456;");
}

/* A new connection, in the list sq_close() closes; @p pragmas more
 * settings for it, or NULL. */
static conn *new_conn(sq_store *st, const char *pragmas)
{
	conn *c = calloc(1, sizeof(*c));

	if (!c || open_db(st->path, &c->db) != CH_OK || (pragmas && exec(c->db, pragmas) != CH_OK)) {
		if (c)
			sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&st->conns_lock);
	c->next = st->conns;
	st->conns = c;
	pthread_mutex_unlock(&st->conns_lock);
	return c;
}

/* The calling thread's connection for reads, opened on first use. */
static conn *get_conn(sq_store *st)
{
	conn *c = pthread_getspecific(st->key);

	if (!c) {
		c = new_conn(st, NULL);
		if (c)
			pthread_setspecific(st->key, c);
	}
	return c;
}

/* The one connection that writes, used by the thread leading a batch: its
 * page cache stays warm from one batch to the next (a connection whose
 * pages another one changed reads them again). Opened on first use. */
static conn *writer_conn(sq_store *st)
{
	if (!st->writer)
		st->writer = new_conn(st, "PRAGMA cache_size = -32768"); /* 32 MiB */
	return st->writer;
}

/* A reset statement, prepared once per connection. */
static sqlite3_stmt *stmt_sql(conn *c, int idx, const char *sql)
{
	sqlite3_stmt *s = c->stmt[idx];

	if (!s) {
		if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
		    SQLITE_OK) {
			sq_fail(c->db, sqlite3_errcode(c->db), "prepare");
			return NULL;
		}
		c->stmt[idx] = s;
	}
	return s;
}

static sqlite3_stmt *stmt(conn *c, int idx)
{
	return stmt_sql(c, idx, fixed_sql[idx]);
}

static void done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Steps a statement that returns no row; maps errors. */
static int step_done(conn *c, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	done(s);
	return rc == SQLITE_DONE ? CH_OK : sq_fail(c->db, rc, what);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void copy_col(sqlite3_stmt *s, int col, char *out, size_t len)
{
	const unsigned char *v = sqlite3_column_text(s, col);

	snprintf(out, len, "%s", v ? (const char *)v : "");
}

/* --- writes: group commit ------------------------------------------------------ */

/* Steps one of the fixed statements that take no parameter. */
static int run_fixed(conn *c, int idx, const char *what)
{
	sqlite3_stmt *s = stmt(c, idx);

	return s ? step_done(c, s, what) : CH_E_IO;
}

/* Runs one job inside the batch's transaction, under a savepoint: a job
 * that fails leaves nothing behind, and the others go on. */
static void run_job(conn *c, wjob *j)
{
	int rc = run_fixed(c, S_SAVEPOINT, "savepoint");

	ch_error_clear();
	if (rc == CH_OK)
		rc = j->fn(c, j);
	j->rc = rc;
	snprintf(j->msg, sizeof(j->msg), "%s", rc != CH_OK ? ch_error_last()->message : "");
	if (rc != CH_OK)
		run_fixed(c, S_ROLLBACK_TO, "rollback to savepoint");
	run_fixed(c, S_RELEASE, "release savepoint");
}

/* Writes a batch of jobs in one transaction on the writer's connection; a
 * failed begin or commit fails every job of the batch. */
static void run_batch(sq_store *st, wjob *batch)
{
	conn *c = writer_conn(st);
	int rc = c ? run_fixed(c, S_BEGIN, "begin") : CH_E_IO;
	char why[256];

	for (wjob *j = batch; rc == CH_OK && j; j = j->next) {
		run_job(c, j);
		/* SQLite ends the whole transaction on some errors (a full
		 * disk): what the batch wrote before is gone too */
		if (sqlite3_get_autocommit(c->db))
			rc = ch_error_set(CH_E_IO, "database: the transaction was rolled back: %s",
					  j->msg);
	}
	if (rc == CH_OK)
		rc = run_fixed(c, S_COMMIT, "commit");
	if (rc == CH_OK)
		return;
	snprintf(why, sizeof(why), "%s", ch_error_last()->message);
	if (c && sqlite3_get_autocommit(c->db) == 0)
		run_fixed(c, S_ROLLBACK, "rollback");
	for (wjob *j = batch; j; j = j->next) {
		if (j->rc == CH_OK) { /* nothing of it was written */
			j->rc = rc;
			snprintf(j->msg, sizeof(j->msg), "%s", why);
		}
	}
}

/* Takes up to GROUP_MAX jobs off the queue (write_lock held). */
static wjob *take_batch(sq_store *st)
{
	wjob *batch = st->queue, *last = batch;
	int n = 1;

	while (last->next && n < GROUP_MAX) {
		last = last->next;
		n++;
	}
	st->queue = last->next;
	if (!st->queue)
		st->tail = &st->queue;
	last->next = NULL;
	return batch;
}

/*
 * Runs @p j and returns its status once it is committed (or has failed),
 * with the thread's last error set as the job left it. Writers are
 * serialised here, never in SQLite's busy handler: the first to come
 * leads, writing the queued jobs batch after batch in transactions of up
 * to GROUP_MAX jobs, while the others wait for theirs (group commit: under
 * load one commit carries many writes). Only the CLI, another process,
 * meets the busy timeout.
 */
static int run_write(sq_store *st, wjob *j)
{
	j->next = NULL;
	j->done = 0;
	j->rc = CH_OK;
	pthread_mutex_lock(&st->write_lock);
	*st->tail = j;
	st->tail = &j->next;
	while (!j->done && st->leading)
		pthread_cond_wait(&st->written, &st->write_lock);
	while (!j->done) { /* lead: write until this job's batch is done */
		wjob *batch = take_batch(st);

		st->leading = 1;
		pthread_mutex_unlock(&st->write_lock);
		run_batch(st, batch);
		pthread_mutex_lock(&st->write_lock);
		for (wjob *b = batch, *next; b; b = next) {
			next = b->next;
			b->done = 1;
		}
		st->leading = 0;
		pthread_cond_broadcast(&st->written);
	}
	pthread_mutex_unlock(&st->write_lock);
	if (j->rc != CH_OK)
		return ch_error_set(j->rc, "%s", j->msg);
	return CH_OK;
}

/* A job of one statement binding text parameters ?1..?n; j->changes gets
 * the number of rows it changed. */
static int texts_job(conn *c, wjob *j)
{
	sqlite3_stmt *s = stmt(c, j->idx);
	int rc = s ? CH_OK : CH_E_IO;

	for (int i = 0; s && i < j->ntexts; i++)
		bind_text(s, i + 1, j->texts[i]);
	if (s)
		rc = step_done(c, s, j->what);
	j->changes = rc == CH_OK ? sqlite3_changes(c->db) : 0;
	return rc;
}

static int write_texts(sq_store *st, int idx, const char *what, const char *const *texts, int n,
		       int *changes)
{
	wjob j = {.fn = texts_job, .idx = idx, .what = what, .texts = texts, .ntexts = n};
	int rc = run_write(st, &j);

	if (changes)
		*changes = j.changes;
	return rc;
}

/* --- open, migrate, close ------------------------------------------------------ */

static int schema_at(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int version = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return version;
}

/* Applies the migrations the database lacks, in one transaction; refuses a
 * database a newer connhub has migrated (its schema is unknown here). */
static int migrate(sqlite3 *db, const char *path)
{
	int version, rc;

	rc = exec(db, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS schema_version(version INTEGER "
		      "NOT NULL)");
	if (rc != CH_OK)
		return rc;
	version = schema_at(db);
	if (version > ch_store_sqlite_migration_count)
		rc = ch_error_set(CH_E_UNSUPPORTED,
				  "database %s is at schema version %d, newer than this connhub "
				  "knows (%d): run the connhub version that wrote it, or a newer "
				  "one",
				  path, version, ch_store_sqlite_migration_count);
	for (int v = version; rc == CH_OK && v < ch_store_sqlite_migration_count; v++) {
		char bump[64];

		rc = exec(db, ch_store_sqlite_migrations[v]);
		snprintf(bump, sizeof(bump), "INSERT INTO schema_version VALUES(%d)", v + 1);
		if (rc == CH_OK)
			rc = exec(db, bump);
	}
	if (rc != CH_OK) {
		exec(db, "ROLLBACK");
		return rc;
	}
	return exec(db, "COMMIT");
}

/* Makes @p path readable by its owner alone: created with mode 0600 when
 * @p create (SQLite gives the -wal and -shm files the database file's
 * mode), an existing file with group or other access tightened to 0600. */
static int private_file(const char *path, int create)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	struct stat st;
	int rc = CH_OK;

	if (fd < 0 && !create && errno == ENOENT)
		return CH_OK;
	if (fd < 0)
		return ch_error_set(CH_E_IO, "database %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || ((st.st_mode & 077) && fchmod(fd, st.st_mode & 0700) != 0))
		rc = ch_error_set(CH_E_IO, "database %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

static int private_files(const char *path)
{
	static const char *const suffixes[] = {"-wal", "-shm"};
	char other[4200];
	int rc = private_file(path, 1);

	for (size_t i = 0; rc == CH_OK && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(other, sizeof(other), "%s%s", path, suffixes[i]);
		rc = private_file(other, 0);
	}
	return rc;
}

static void sq_close(ch_store *base)
{
	sq_store *st = (sq_store *)base;

	while (st->conns) {
		conn *c = st->conns;

		st->conns = c->next;
		for (int i = 0; i < S_TOTAL; i++)
			sqlite3_finalize(c->stmt[i]);
		if (c->tok)
			json_tokener_free(c->tok);
		sqlite3_close(c->db);
		free(c);
	}
	pthread_key_delete(st->key);
	pthread_cond_destroy(&st->written);
	pthread_mutex_destroy(&st->write_lock);
	pthread_mutex_destroy(&st->conns_lock);
	free(st->path);
	free(st);
}

static const ch_store_ops sq_ops;

int ch_store_open_sqlite(ch_store **out, const char *path)
{
	sq_store *st = calloc(1, sizeof(*st));
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return CH_E_NOMEM;
	}
	st->base.ops = &sq_ops;
	pthread_key_create(&st->key, NULL);
	pthread_mutex_init(&st->write_lock, NULL);
	pthread_cond_init(&st->written, NULL);
	st->tail = &st->queue;
	pthread_mutex_init(&st->conns_lock, NULL);
	rc = private_files(path);
	if (rc == CH_OK)
		rc = open_db(path, &db);
	if (rc == CH_OK)
		rc = exec(db, "PRAGMA journal_mode = WAL");
	if (rc == CH_OK)
		rc = migrate(db, path);
	sqlite3_close(db);
	if (rc != CH_OK) {
		sq_close(&st->base);
		return rc;
	}
	*out = &st->base;
	return CH_OK;
}

int ch_store_schema_version(void)
{
	return ch_store_sqlite_migration_count;
}

/* --- accounts, tokens, settings ------------------------------------------------ */

static int sq_account_create(ch_store *base, const char *name, char id_out[CH_ID_LEN])
{
	char id[CH_ID_LEN], now[CH_TIME_LEN];
	const char *texts[3] = {id, name, now};
	int rc;

	ch_store_new_id("acc", id);
	ch_store_now(now);
	rc = write_texts((sq_store *)base, S_ACC_INSERT, "create account", texts, 3, NULL);
	if (rc == CH_OK)
		memcpy(id_out, id, CH_ID_LEN); /* a failure leaves id_out as it was */
	return rc;
}

/* Runs a one-row query bound with text @p a (and @p b); CH_OK on a row. */
static sqlite3_stmt *query_row(conn *c, int idx, const char *a, const char *b, int *rc)
{
	sqlite3_stmt *s = c ? stmt(c, idx) : NULL;
	int r;

	*rc = CH_E_IO;
	if (!s)
		return NULL;
	bind_text(s, 1, a);
	if (b)
		bind_text(s, 2, b);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*rc = CH_OK;
		return s;
	}
	*rc = r == SQLITE_DONE ? CH_E_NOTFOUND : sq_fail(c->db, r, "read");
	done(s);
	return NULL;
}

static int sq_account_find(ch_store *base, const char *name, char id_out[CH_ID_LEN])
{
	int rc;
	sqlite3_stmt *s = query_row(get_conn((sq_store *)base), S_ACC_FIND, name, NULL, &rc);

	if (s) {
		copy_col(s, 0, id_out, CH_ID_LEN);
		done(s);
	}
	return rc;
}

static int token_job(conn *c, wjob *j)
{
	char now[CH_TIME_LEN];
	sqlite3_stmt *s = stmt(c, S_TOK_INSERT);

	if (!s)
		return CH_E_IO;
	ch_store_now(now);
	sqlite3_bind_blob(s, 1, j->hash, CH_TOKEN_HASH_LEN, SQLITE_STATIC);
	bind_text(s, 2, j->account_id);
	sqlite3_bind_int(s, 3, j->admin ? 1 : 0);
	bind_text(s, 4, now);
	return step_done(c, s, "create token");
}

static int sq_token_create(ch_store *base, const char *account_id, int admin,
			   const uint8_t hash[CH_TOKEN_HASH_LEN])
{
	wjob j = {.fn = token_job, .account_id = account_id, .admin = admin, .hash = hash};

	return run_write((sq_store *)base, &j);
}

static int sq_token_find(ch_store *base, const uint8_t hash[CH_TOKEN_HASH_LEN], ch_principal *out,
			 uint8_t stored[CH_TOKEN_HASH_LEN])
{
	conn *c = get_conn((sq_store *)base);
	sqlite3_stmt *s = c ? stmt(c, S_TOK_FIND) : NULL;
	int r;

	if (!s)
		return CH_E_IO;
	sqlite3_bind_blob(s, 1, hash, CH_TOKEN_HASH_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		copy_col(s, 0, out->account_id, sizeof(out->account_id));
		copy_col(s, 1, out->account_name, sizeof(out->account_name));
		out->admin = sqlite3_column_int(s, 2);
		memset(stored, 0, CH_TOKEN_HASH_LEN);
		if (sqlite3_column_bytes(s, 3) == CH_TOKEN_HASH_LEN)
			memcpy(stored, sqlite3_column_blob(s, 3), CH_TOKEN_HASH_LEN);
	}
	done(s);
	if (r == SQLITE_ROW)
		return CH_OK;
	return r == SQLITE_DONE ? CH_E_NOTFOUND : sq_fail(c->db, r, "read token");
}

static int sq_meta_get(ch_store *base, const char *key, char **value)
{
	int rc;
	sqlite3_stmt *s = query_row(get_conn((sq_store *)base), S_META_GET, key, NULL, &rc);

	*value = NULL;
	if (s) {
		*value = strdup((const char *)sqlite3_column_text(s, 0));
		done(s);
		rc = *value ? CH_OK : CH_E_NOMEM;
	}
	return rc;
}

static int sq_meta_put(ch_store *base, const char *key, const char *value)
{
	const char *texts[2] = {key, value};

	return write_texts((sq_store *)base, S_META_PUT, "write setting", texts, 2, NULL);
}

/* --- connectors ----------------------------------------------------------------- */

static const char *doc_text(const ch_connector_row *row)
{
	return json_object_to_json_string_ext(row->doc, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The JSON document in column @p col, parsed with the connection's own
 * tokener (a new one a row cost an allocation and a clear of its state);
 * NULL when it does not parse. */
static json_object *parse_doc(conn *c, sqlite3_stmt *s, int col)
{
	const char *text = (const char *)sqlite3_column_text(s, col);
	json_object *doc;

	if (!text || (!c->tok && !(c->tok = json_tokener_new())))
		return NULL;
	json_tokener_reset(c->tok);
	doc = json_tokener_parse_ex(c->tok, text, sqlite3_column_bytes(s, col));
	if (json_tokener_get_error(c->tok) != json_tokener_success) {
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

static int read_row(conn *c, sqlite3_stmt *s, int first, ch_connector_row *out)
{
	memset(out, 0, sizeof(*out));
	copy_col(s, first + 0, out->id, sizeof(out->id));
	copy_col(s, first + 1, out->account_id, sizeof(out->account_id));
	copy_col(s, first + 2, out->name, sizeof(out->name));
	copy_col(s, first + 3, out->type, sizeof(out->type));
	copy_col(s, first + 4, out->type_version, sizeof(out->type_version));
	copy_col(s, first + 5, out->status, sizeof(out->status));
	out->revision = sqlite3_column_int64(s, first + 6);
	copy_col(s, first + 7, out->created_at, sizeof(out->created_at));
	copy_col(s, first + 8, out->updated_at, sizeof(out->updated_at));
	out->doc = parse_doc(c, s, first + 9);
	if (!out->doc)
		return ch_error_set(CH_E_IO, "database: connector %s has an unreadable document",
				    out->id);
	return CH_OK;
}

static int bump_count(conn *c, const char *account_id, int delta)
{
	sqlite3_stmt *s = stmt(c, S_CON_COUNT);

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, account_id);
	sqlite3_bind_int(s, 2, delta);
	return step_done(c, s, "count connectors");
}

static int put_idem(conn *c, const char *account_id, const char *key, const ch_idem_record *r,
		    const char *now)
{
	sqlite3_stmt *s = stmt(c, S_IDEM_PUT);
	int rc;

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, account_id);
	bind_text(s, 2, key);
	sqlite3_bind_blob(s, 3, r->request_hash, sizeof(r->request_hash), SQLITE_STATIC);
	sqlite3_bind_int(s, 4, r->status);
	bind_text(s, 5, r->location);
	bind_text(s, 6, r->body);
	bind_text(s, 7, now);
	rc = step_done(c, s, "store idempotency key");
	return rc == CH_E_EXISTS ? CH_E_CONFLICT : rc;
}

static int insert_row(conn *c, const ch_connector_row *row)
{
	sqlite3_stmt *s = stmt(c, S_CON_INSERT);

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, row->id);
	bind_text(s, 2, row->account_id);
	bind_text(s, 3, row->name);
	bind_text(s, 4, row->type);
	bind_text(s, 5, row->type_version);
	bind_text(s, 6, row->status);
	bind_text(s, 7, row->created_at);
	bind_text(s, 8, row->updated_at);
	bind_text(s, 9, doc_text(row));
	return step_done(c, s, "create connector");
}

static int insert_job(conn *c, wjob *j)
{
	int rc = CH_OK;

	/* The key first: of two concurrent creates with one key, the second
	 * fails here (and replays the first) rather than on the name. */
	if (j->key)
		rc = put_idem(c, j->row->account_id, j->key, j->idem, j->row->created_at);
	if (rc == CH_OK)
		rc = insert_row(c, j->row);
	if (rc == CH_OK)
		rc = bump_count(c, j->row->account_id, 1);
	return rc;
}

static int sq_connector_insert(ch_store *base, const ch_connector_row *row, const char *idem_key,
			       const ch_idem_record *idem)
{
	wjob j = {.fn = insert_job, .row = row, .key = idem_key, .idem = idem};

	return run_write((sq_store *)base, &j);
}

static int sq_connector_get(ch_store *base, const char *account_id, const char *id,
			    const char *name, ch_connector_row *out)
{
	int rc;
	conn *c = get_conn((sq_store *)base);
	sqlite3_stmt *s = query_row(c, id ? S_CON_GET_ID : S_CON_GET_NAME, account_id,
				    id ? id : name, &rc);

	memset(out, 0, sizeof(*out));
	if (s) {
		rc = read_row(c, s, 0, out);
		done(s);
	}
	return rc;
}

/* Writes @p row over the stored one when its revision is @p expect. */
static int update_row(conn *c, const ch_connector_row *row, int64_t expect)
{
	sqlite3_stmt *s = stmt(c, S_CON_UPDATE);
	int rc;

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, row->account_id);
	bind_text(s, 2, row->id);
	bind_text(s, 3, row->name);
	bind_text(s, 4, row->type);
	bind_text(s, 5, row->type_version);
	bind_text(s, 6, row->status);
	bind_text(s, 7, row->updated_at);
	bind_text(s, 8, doc_text(row));
	sqlite3_bind_int64(s, 9, expect);
	rc = step_done(c, s, "update connector");
	if (rc == CH_OK && sqlite3_changes(c->db) == 0)
		rc = CH_E_CONFLICT;
	return rc;
}

/* CH_E_NOTFOUND when the connector is gone, else CH_E_CONFLICT. */
static int gone_or_stale(conn *c, const char *account_id, const char *id)
{
	int rc;
	sqlite3_stmt *s = query_row(c, S_CON_GET_ID, account_id, id, &rc);

	done(s);
	return rc == CH_OK ? ch_error_set(CH_E_CONFLICT, "the connector changed meanwhile") : rc;
}

/* update_row(), telling a connector that is gone from a stale revision. */
static int update_checked(conn *c, const ch_connector_row *row, int64_t expect)
{
	int rc = update_row(c, row, expect);

	return rc == CH_E_CONFLICT ? gone_or_stale(c, row->account_id, row->id) : rc;
}

static int update_job(conn *c, wjob *j)
{
	return update_checked(c, j->row, j->expect);
}

static int sq_connector_update(ch_store *base, const ch_connector_row *row, int64_t expect)
{
	wjob j = {.fn = update_job, .row = row, .expect = expect};

	return run_write((sq_store *)base, &j);
}

static int delete_job(conn *c, wjob *j)
{
	sqlite3_stmt *s = stmt(c, S_CON_DELETE);
	int rc;

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, j->account_id);
	bind_text(s, 2, j->connector_id);
	sqlite3_bind_int64(s, 3, j->expect);
	rc = step_done(c, s, "delete connector");
	if (rc == CH_OK && sqlite3_changes(c->db) == 0)
		return gone_or_stale(c, j->account_id, j->connector_id);
	return rc == CH_OK ? bump_count(c, j->account_id, -1) : rc;
}

static int sq_connector_delete(ch_store *base, const char *account_id, const char *id,
			       int64_t expect)
{
	wjob j = {.fn = delete_job, .account_id = account_id, .connector_id = id, .expect = expect};

	return run_write((sq_store *)base, &j);
}

static int sq_idem_get(ch_store *base, const char *account_id, const char *key,
		       ch_idem_record *out)
{
	int rc;
	sqlite3_stmt *s = query_row(get_conn((sq_store *)base), S_IDEM_GET, account_id, key, &rc);

	memset(out, 0, sizeof(*out));
	if (!s)
		return rc;
	if (sqlite3_column_bytes(s, 0) == (int)sizeof(out->request_hash))
		memcpy(out->request_hash, sqlite3_column_blob(s, 0), sizeof(out->request_hash));
	out->status = sqlite3_column_int(s, 1);
	copy_col(s, 2, out->location, sizeof(out->location));
	out->body = strdup((const char *)sqlite3_column_text(s, 3));
	done(s);
	return out->body ? CH_OK : CH_E_NOMEM;
}

/* --- listing -------------------------------------------------------------------- */

/*
 * Every filter combination (type, status: equalities; name: a prefix
 * range) and every sort has an index whose order is the sort's: migrations
 * 1 and 3 create (account_id, [type,] [status,] name | created_at, id |
 * updated_at, id). Under a time sort the name prefix is written "+name" so
 * it filters rows in the order index rather than picking the name index
 * and sorting in a temporary B-tree. test_store checks every plan.
 */

static const char *const sort_columns[CH_SORT_COUNT] = {"name", "created_at", "updated_at"};

static int filter_mask(const ch_connector_query *q)
{
	return (q->type ? 1 : 0) | (q->status ? 2 : 0) | (q->name_prefix ? 4 : 0);
}

/*
 * The filters of @p mask, with the index that serves them named: with
 * @p by_filter, the filter's index in name order (account_id, type, name)
 * or (account_id, status, name), else the account's name index; without,
 * no filter column may pick the index ('+' keeps a term off indexes), so
 * the sort's own index (account_id, created_at, id) drives and the filters
 * are checked on the rows it walks. Either way no sort step: an index per
 * filter and sort was 7 more b-trees for every write to keep.
 */
static void where_clause(char *out, size_t len, int mask, int by_filter)
{
	const char *off = by_filter ? "" : "+";

	snprintf(out, len, "account_id = ?1");
	if (mask & 1)
		snprintf(out + strlen(out), len - strlen(out), " AND %stype = ?2", off);
	if (mask & 2)
		snprintf(out + strlen(out), len - strlen(out), " AND %sstatus = ?3",
			 by_filter && !(mask & 1) ? "" : "+");
	if (mask & 4)
		snprintf(out + strlen(out), len - strlen(out), " AND %sname >= ?4 AND %sname < ?4 || '~'",
			 off, off);
}

/* The SELECT of a page; with @p keyset, of the rows after (?7, ?8). */
static void list_sql(char *sql, size_t len, const ch_connector_query *q, int descending,
		     int keyset)
{
	const char *col = sort_columns[q->sort], *dir = descending ? "DESC" : "ASC";
	const char *op = descending ? "<" : ">";
	int by_name = q->sort == CH_SORT_NAME;
	char where[200], after[64] = "", order[64];

	where_clause(where, sizeof(where), filter_mask(q), by_name);
	/* names are unique in an account: they need no tie-breaker */
	if (keyset && by_name)
		snprintf(after, sizeof(after), " AND name %s ?7", op);
	else if (keyset)
		snprintf(after, sizeof(after), " AND (%s, id) %s (?7, ?8)", col, op);
	if (by_name)
		snprintf(order, sizeof(order), "name %s", dir);
	else
		snprintf(order, sizeof(order), "%s %s, id %s", col, dir, dir);
	snprintf(sql, len, "SELECT " ROW_COLUMNS " FROM connectors WHERE %s%s ORDER BY %s "
		 "LIMIT ?5 OFFSET ?6", where, after, order);
}

static void count_sql(char *sql, size_t len, int mask)
{
	char where[200];

	where_clause(where, sizeof(where), mask, 1);
	snprintf(sql, len, "SELECT count(*) FROM connectors WHERE %s", where);
}

static sqlite3_stmt *list_stmt(conn *c, const ch_connector_query *q, int descending, int keyset)
{
	int idx = S_LIST + ((((int)q->sort * 2 + descending) * 8 + filter_mask(q)) * 2 + keyset);
	char sql[512];

	if (!c->stmt[idx])
		list_sql(sql, sizeof(sql), q, descending, keyset);
	return stmt_sql(c, idx, sql);
}

static void bind_filters(sqlite3_stmt *s, const char *account_id, const ch_connector_query *q)
{
	bind_text(s, 1, account_id);
	if (q->type)
		bind_text(s, 2, q->type);
	if (q->status)
		bind_text(s, 3, q->status);
	if (q->name_prefix)
		bind_text(s, 4, q->name_prefix);
	if (q->after_key)
		bind_text(s, 7, q->after_key);
	if (q->after_key && q->sort != CH_SORT_NAME)
		bind_text(s, 8, q->after_id);
}

/* The filters' total: the account's counter without filters, else a count
 * over the index of the filters (the name prefix a range in it). */
static int count_rows(conn *c, const char *account_id, const ch_connector_query *q, size_t *total)
{
	int mask = filter_mask(q);
	char sql[256];
	sqlite3_stmt *s;
	int r;

	if (mask == 0) {
		s = stmt(c, S_ACC_TOTAL);
	} else {
		if (!c->stmt[S_LIST_COUNT + mask])
			count_sql(sql, sizeof(sql), mask);
		s = stmt_sql(c, S_LIST_COUNT + mask, sql);
	}
	if (!s)
		return CH_E_IO;
	bind_filters(s, account_id, q); /* a cursor's ?7 and ?8 are not in the count */
	r = sqlite3_step(s);
	*total = r == SQLITE_ROW ? (size_t)sqlite3_column_int64(s, 0) : 0;
	done(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? CH_OK : sq_fail(c->db, r, "count");
}

static int fetch_rows(conn *c, sqlite3_stmt *s, size_t limit, ch_connector_row *rows,
		      size_t *count)
{
	int r = SQLITE_DONE, rc = CH_OK;

	*count = 0;
	while (rc == CH_OK && *count < limit && (r = sqlite3_step(s)) == SQLITE_ROW)
		rc = read_row(c, s, 0, &rows[(*count)++]);
	if (rc == CH_OK && *count < limit && r != SQLITE_DONE)
		rc = sq_fail(c->db, r, "list");
	done(s);
	return rc;
}

static void reverse_rows(ch_connector_row *rows, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		ch_connector_row t = rows[i];

		rows[i] = rows[n - 1 - i];
		rows[n - 1 - i] = t;
	}
}

/* Runs a list statement for @p limit rows from @p offset into out->rows. */
static int run_list(conn *c, const char *account_id, const ch_connector_query *q, int descending,
		    size_t limit, size_t offset, ch_connector_page *out)
{
	sqlite3_stmt *s = list_stmt(c, q, descending, q->after_key != NULL);

	out->rows = calloc(limit, sizeof(*out->rows));
	if (!out->rows || !s)
		return out->rows ? CH_E_IO : CH_E_NOMEM;
	bind_filters(s, account_id, q);
	sqlite3_bind_int64(s, 5, (int64_t)limit);
	sqlite3_bind_int64(s, 6, (int64_t)offset);
	return fetch_rows(c, s, limit, out->rows, &out->count);
}

/*
 * A page by number. Pages in the second half are read from the other end
 * of the index, so the last page costs what the first does: OFFSET never
 * skips more than half of the rows (a cursor skips none).
 */
static int list_page(conn *c, const char *account_id, const ch_connector_query *q,
		     ch_connector_page *out)
{
	size_t offset = (q->page - 1) * q->per_page, limit = q->per_page;
	int from_end, rc;

	if (offset >= out->total)
		return CH_OK;
	if (offset + limit > out->total)
		limit = out->total - offset;
	out->more = offset + limit < out->total;
	from_end = offset > out->total - offset - limit;
	rc = run_list(c, account_id, q, from_end ? !q->descending : q->descending, limit,
		      from_end ? out->total - offset - limit : offset, out);
	if (from_end)
		reverse_rows(out->rows, out->count);
	return rc;
}

/* The rows after a cursor: an index seek. One row more than the page says
 * whether another page follows. */
static int list_after(conn *c, const char *account_id, const ch_connector_query *q,
		      ch_connector_page *out)
{
	int rc = run_list(c, account_id, q, q->descending, q->per_page + 1, 0, out);

	if (rc == CH_OK && out->count > q->per_page) {
		out->more = 1;
		ch_connector_row_clear(&out->rows[--out->count]);
	}
	return rc;
}

static int sq_connector_list(ch_store *base, const char *account_id, const ch_connector_query *q,
			     ch_connector_page *out)
{
	conn *c = get_conn((sq_store *)base);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = c ? count_rows(c, account_id, q, &out->total) : CH_E_IO;
	if (rc != CH_OK)
		return rc;
	return q->after_key ? list_after(c, account_id, q, out) : list_page(c, account_id, q, out);
}

int ch_store_sqlite_list_plan(ch_store *base, const ch_connector_query *q, int count, char **plan)
{
	conn *c = get_conn((sq_store *)base);
	char sql[600], text[4096] = "";
	sqlite3_stmt *s = NULL;
	size_t used = 0;
	int rc = CH_E_IO;

	*plan = NULL;
	memcpy(sql, "EXPLAIN QUERY PLAN ", 19);
	if (count)
		count_sql(sql + 19, sizeof(sql) - 19, filter_mask(q));
	else
		list_sql(sql + 19, sizeof(sql) - 19, q, q->descending, q->after_key != NULL);
	if (c && sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW && used < sizeof(text))
			used += (size_t)snprintf(text + used, sizeof(text) - used, "%s\n",
						 (const char *)sqlite3_column_text(s, 3));
		*plan = strdup(text);
		rc = *plan ? CH_OK : CH_E_NOMEM;
	}
	sqlite3_finalize(s);
	return rc;
}

/* --- rewriting every document (key rotation) ------------------------------------ */

#define REWRITE_BATCH 256

/* Writes a rewritten document back: the document alone changes, so the
 * revision (clients' ETags) and updated_at stay. */
static int write_doc(conn *c, int idx, const char *account_id, const char *id, json_object *doc)
{
	sqlite3_stmt *s = stmt(c, idx);

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, account_id);
	bind_text(s, 2, id);
	bind_text(s, 3, json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	return step_done(c, s, "rewrite");
}

/* Ends a batch read: CH_OK at its end or when it is full, else why not. */
static int batch_end(conn *c, sqlite3_stmt *s, int r, int rc)
{
	if (rc == CH_OK && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_fail(c->db, r, "rewrite");
	done(s);
	return rc;
}

/* The connectors after rowid @p after (moved to the last one read). */
static int read_connectors(conn *c, int64_t *after, ch_connector_row *rows, size_t *n)
{
	sqlite3_stmt *s = stmt(c, S_CON_BATCH);
	int r = SQLITE_DONE, rc = CH_OK;

	*n = 0;
	if (!s)
		return CH_E_IO;
	sqlite3_bind_int64(s, 1, *after);
	while (rc == CH_OK && *n < REWRITE_BATCH && (r = sqlite3_step(s)) == SQLITE_ROW) {
		*after = sqlite3_column_int64(s, 0);
		rc = read_row(c, s, 1, &rows[(*n)++]);
	}
	return batch_end(c, s, r, rc);
}

static int rewrite_connectors(conn *c, const ch_rewriter *rw)
{
	ch_connector_row *rows = calloc(REWRITE_BATCH, sizeof(*rows));
	int64_t after = -1;
	size_t n = 1;
	int rc = rows ? CH_OK : CH_E_NOMEM;

	while (rc == CH_OK && n > 0) {
		rc = read_connectors(c, &after, rows, &n);
		for (size_t i = 0; rc == CH_OK && i < n; i++) {
			int r = rw->connector(rw->cls, &rows[i]);

			rc = r <= 0 ? r : write_doc(c, S_CON_REWRITE, rows[i].account_id, rows[i].id,
						    rows[i].doc);
		}
		for (size_t i = 0; i < n; i++)
			ch_connector_row_clear(&rows[i]);
	}
	free(rows);
	return rc;
}

typedef struct session_item {
	char connector_id[CH_ID_LEN];
	char account_id[CH_ID_LEN];
	json_object *doc;
} session_item;

/* The sessions after connector id @p after (moved to the last one read). */
static int read_sessions(conn *c, char after[CH_ID_LEN], session_item *items, size_t *n)
{
	sqlite3_stmt *s = stmt(c, S_SES_BATCH);
	int r = SQLITE_DONE, rc = CH_OK;

	*n = 0;
	if (!s)
		return CH_E_IO;
	bind_text(s, 1, after);
	while (rc == CH_OK && *n < REWRITE_BATCH && (r = sqlite3_step(s)) == SQLITE_ROW) {
		session_item *it = &items[(*n)++];

		copy_col(s, 0, it->connector_id, sizeof(it->connector_id));
		copy_col(s, 1, it->account_id, sizeof(it->account_id));
		it->doc = parse_doc(c, s, 2);
		if (!it->doc)
			rc = ch_error_set(CH_E_IO, "database: the setup session of %s is unreadable",
					  it->connector_id);
	}
	rc = batch_end(c, s, r, rc);
	if (*n > 0)
		memcpy(after, items[*n - 1].connector_id, CH_ID_LEN);
	return rc;
}

static int rewrite_sessions(conn *c, const ch_rewriter *rw)
{
	session_item *items = calloc(REWRITE_BATCH, sizeof(*items));
	char after[CH_ID_LEN] = "";
	size_t n = 1;
	int rc = items ? CH_OK : CH_E_NOMEM;

	while (rc == CH_OK && n > 0) {
		rc = read_sessions(c, after, items, &n);
		for (size_t i = 0; rc == CH_OK && i < n; i++) {
			session_item *it = &items[i];
			int r = rw->session(rw->cls, it->account_id, it->connector_id, it->doc);

			rc = r <= 0 ? r
				    : write_doc(c, S_SES_REWRITE, it->account_id, it->connector_id,
						it->doc);
		}
		for (size_t i = 0; i < n; i++)
			json_object_put(items[i].doc);
	}
	free(items);
	return rc;
}

static int rewrite_job(conn *c, wjob *j)
{
	int rc = CH_OK;

	if (j->rw->connector)
		rc = rewrite_connectors(c, j->rw);
	if (rc == CH_OK && j->rw->session)
		rc = rewrite_sessions(c, j->rw);
	return rc;
}

static int sq_rewrite_all(ch_store *base, const ch_rewriter *rw)
{
	wjob j = {.fn = rewrite_job, .rw = rw};

	return run_write((sq_store *)base, &j);
}

/* --- setup sessions ---------------------------------------------------------------- */

static int sq_session_get(ch_store *base, const char *account_id, const char *connector_id,
			  json_object **doc, int64_t *revision)
{
	int rc;
	conn *c = get_conn((sq_store *)base);
	sqlite3_stmt *s = query_row(c, S_SES_GET, account_id, connector_id, &rc);

	*doc = NULL;
	if (!s)
		return rc;
	*doc = parse_doc(c, s, 0);
	*revision = sqlite3_column_int64(s, 1);
	done(s);
	return *doc ? CH_OK : ch_error_set(CH_E_IO, "database: unreadable setup session");
}

static int session_put_job(conn *c, wjob *j)
{
	char now[CH_TIME_LEN];
	sqlite3_stmt *s = stmt(c, j->expect == 0 ? S_SES_INSERT : S_SES_UPDATE);
	int rc;

	if (!s)
		return CH_E_IO;
	ch_store_now(now);
	bind_text(s, 1, j->account_id);
	bind_text(s, 2, j->connector_id);
	bind_text(s, 3, json_object_to_json_string_ext(j->doc, JSON_C_TO_STRING_PLAIN));
	bind_text(s, 4, now);
	if (j->expect)
		sqlite3_bind_int64(s, 5, j->expect);
	rc = step_done(c, s, "write setup session");
	if (rc == CH_E_EXISTS || (rc == CH_OK && sqlite3_changes(c->db) == 0))
		rc = ch_error_set(CH_E_CONFLICT, "the setup session changed meanwhile");
	return rc;
}

static int sq_session_put(ch_store *base, const char *account_id, const char *connector_id,
			  json_object *doc, int64_t expect)
{
	wjob j = {.fn = session_put_job, .account_id = account_id, .connector_id = connector_id,
		  .doc = doc, .expect = expect};

	return run_write((sq_store *)base, &j);
}

static int sq_session_delete(ch_store *base, const char *account_id, const char *connector_id)
{
	const char *texts[2] = {account_id, connector_id};
	int changes = 0;
	int rc = write_texts((sq_store *)base, S_SES_DELETE, "delete setup session", texts, 2,
			     &changes);

	return rc == CH_OK && changes == 0 ? CH_E_NOTFOUND : rc;
}

/* The connector written and its session removed in one transaction, so a
 * finish and a concurrent next, previous or cancel cannot both apply. */
static int session_finish_job(conn *c, wjob *j)
{
	sqlite3_stmt *s = stmt(c, S_SES_DELETE_REV);
	int rc;

	if (!s)
		return CH_E_IO;
	bind_text(s, 1, j->row->account_id);
	bind_text(s, 2, j->row->id);
	sqlite3_bind_int64(s, 3, j->session_revision);
	rc = step_done(c, s, "finish setup session");
	if (rc == CH_OK && sqlite3_changes(c->db) == 0)
		rc = ch_error_set(CH_E_CONFLICT, "the setup session changed meanwhile");
	return rc == CH_OK ? update_checked(c, j->row, j->expect) : rc;
}

static int sq_session_finish(ch_store *base, const ch_connector_row *row, int64_t expect,
			     int64_t session_revision)
{
	wjob j = {.fn = session_finish_job, .row = row, .expect = expect,
		  .session_revision = session_revision};

	return run_write((sq_store *)base, &j);
}

static const ch_store_ops sq_ops = {
	.close = sq_close,
	.account_create = sq_account_create,
	.account_find = sq_account_find,
	.token_create = sq_token_create,
	.token_find = sq_token_find,
	.meta_get = sq_meta_get,
	.meta_put = sq_meta_put,
	.connector_insert = sq_connector_insert,
	.connector_get = sq_connector_get,
	.connector_update = sq_connector_update,
	.connector_delete = sq_connector_delete,
	.connector_list = sq_connector_list,
	.rewrite_all = sq_rewrite_all,
	.idem_get = sq_idem_get,
	.session_get = sq_session_get,
	.session_put = sq_session_put,
	.session_delete = sq_session_delete,
	.session_finish = sq_session_finish,
};
