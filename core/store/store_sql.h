/* The SQLite schema, as numbered migrations (never edited once released:
 * a change is a new migration). */
#ifndef CH_STORE_SQL_H
#define CH_STORE_SQL_H

extern const char *const ch_store_sqlite_migrations[];
extern const int ch_store_sqlite_migration_count;

#endif /* CH_STORE_SQL_H */
