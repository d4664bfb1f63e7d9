/*
 * Benchmark: listing connectors at the first, middle and last page of N rows
 * (default 1,000,000) in one account, for each sort order, by page number
 * and by cursor (the page after the middle one and the last page, reached
 * with the cursor of the page before). Prints milliseconds per page and the
 * ratio of each to the first page, measured in the same run. Not a test:
 * run it on demand (see README, "Benchmarks").
 *
 *   bench_list [ROWS] [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <connhub/plugin.h>

#include "store/store.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Bulk rows straight into the file, one transaction (the store's own insert
 * path is one transaction per row: right for the API, slow for seeding). */
static int seed(const char *path, const char *account, long rows)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char id[CH_ID_LEN], name[32], ts[CH_TIME_LEN];
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO connectors(id, account_id, name, type, "
				  "type_version, status, revision, created_at, updated_at, doc) "
				  "VALUES(?1, ?2, ?3, 'sqlite', '1.0.0', 'CONFIGURED', 1, ?4, ?4, "
				  "'{\"config\":{\"path\":\"/tmp/x.db\",\"mode\":\"create\"},"
				  "\"variables\":{},\"timezone\":\"UTC\",\"date_format\":\"YYYY-MM-DD\","
				  "\"rate_limit\":null}')", -1, &s, NULL);
	for (long i = 0; rc == SQLITE_OK && i < rows; i++) {
		ch_store_new_id("con", id);
		snprintf(name, sizeof(name), "c%09ld", i);
		snprintf(ts, sizeof(ts), "2026-01-01T00:00:00.%03ldZ", i % 1000);
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, ts, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_OK) {
		char sql[160];

		snprintf(sql, sizeof(sql), "UPDATE accounts SET connectors = %ld WHERE id = '%s'; COMMIT",
			 rows, account);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "seed: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static void list_or_die(ch_store *st, const char *account, const ch_connector_query *q,
			ch_connector_page *pg)
{
	if (ch_store_connector_list(st, account, q, pg) != CH_OK || pg->count == 0) {
		fprintf(stderr, "list failed at page %zu\n", q->page);
		exit(1);
	}
}

/* The best of @p repeats runs of one list call. */
static double time_page(ch_store *st, const char *account, const ch_connector_query *q,
			int repeats)
{
	double best = 1e18;

	for (int r = 0; r < repeats; r++) {
		ch_connector_page pg;
		double t0 = now_ms(), t;

		list_or_die(st, account, q, &pg);
		t = now_ms() - t0;
		ch_connector_page_clear(&pg);
		if (t < best)
			best = t;
	}
	return best;
}

/* The time of the page after page @p page (by cursor): the cursor is taken
 * from the last row of that page, read by number first (not timed). */
static double time_cursor(ch_store *st, const char *account, ch_connector_query q, size_t page,
			  int repeats)
{
	ch_connector_page pg;
	ch_connector_row *last;
	char key[CH_TIME_LEN + CH_NAME_LEN], id[CH_ID_LEN];
	double t;

	q.page = page;
	list_or_die(st, account, &q, &pg);
	last = &pg.rows[pg.count - 1];
	if (q.sort == CH_SORT_NAME)
		snprintf(key, sizeof(key), "%s", last->name);
	else
		snprintf(key, sizeof(key), "%s",
			 q.sort == CH_SORT_CREATED ? last->created_at : last->updated_at);
	snprintf(id, sizeof(id), "%s", last->id);
	ch_connector_page_clear(&pg);
	q.after_key = key;
	q.after_id = id;
	t = time_page(st, account, &q, repeats);
	return t;
}

static void bench_sort(ch_store *st, const char *account, long rows, int s, int desc, int repeats)
{
	static const char *const sorts[] = {"name", "created_at", "updated_at"};
	ch_connector_query q = {.per_page = 100, .sort = (ch_connector_sort)s, .descending = desc};
	size_t last = (size_t)(rows + 99) / 100;
	double first, middle, end, cmid, cend;

	q.page = 1;
	first = time_page(st, account, &q, repeats);
	q.page = last / 2;
	middle = time_page(st, account, &q, repeats);
	q.page = last;
	end = time_page(st, account, &q, repeats);
	cmid = time_cursor(st, account, q, last / 2 - 1, repeats);
	cend = time_cursor(st, account, q, last - 1, repeats);
	printf("%-12s %-5s %9.3f %9.3f %9.3f %9.3f %9.3f %8.2f %8.2f %8.2f %8.2f\n", sorts[s],
	       desc ? "desc" : "asc", first, middle, end, cmid, cend, middle / first, end / first,
	       cmid / first, cend / first);
}

int main(int argc, char **argv)
{
	long rows = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	int repeats = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
	char dir[] = "/tmp/connhub-bench-XXXXXX", path[64], account[CH_ID_LEN], cmd[96];
	ch_store *st = NULL;
	double t0;

	if (rows < 300 || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/connhub.db", dir);
	if (ch_store_open_sqlite(&st, path) != CH_OK ||
	    ch_store_account_create(st, "bench", account) != CH_OK)
		return 1;
	t0 = now_ms();
	if (seed(path, account, rows) != SQLITE_OK)
		return 1;
	printf("seeded %ld connectors in %.0f ms\n", rows, now_ms() - t0);
	printf("page: by number (OFFSET from the nearer end); cursor: after the last row of the "
	       "page before (keyset)\n");
	printf("%-12s %-5s %9s %9s %9s %9s %9s %8s %8s %8s %8s\n", "sort", "dir", "first", "middle",
	       "last", "cur.mid", "cur.last", "mid/1st", "last/1st", "cmid/1st", "clast/1st");
	for (int s = 0; s < 3; s++)
		for (int desc = 0; desc < 2; desc++)
			bench_sort(st, account, rows, s, desc, repeats);
	ch_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
