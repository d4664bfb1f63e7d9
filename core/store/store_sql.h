/* The SQLite schema, as numbered migrations (never edited once released:
 * a change is a new migration). */
#ifndef CH_STORE_SQL_H
#define CH_STORE_SQL_H

extern const char *const ch_store_sqlite_migrations[];
extern const int ch_store_sqlite_migration_count;

struct ch_store;
struct ch_connector_query;

/**
 * For tests: the plan SQLite makes for the list (or, with @p count, the
 * total) query of @p q, one "detail" line of EXPLAIN QUERY PLAN a line.
 * @param[out] plan  malloc'd text (free()).
 */
int ch_store_sqlite_list_plan(struct ch_store *st, const struct ch_connector_query *q, int count,
			      char **plan);

#endif /* CH_STORE_SQL_H */
