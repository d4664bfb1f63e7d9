#include "store_sql.h"

const char *const ch_store_sqlite_migrations[] = {
	/* 1: accounts, tokens, connectors, idempotency keys, settings */
	"CREATE TABLE accounts ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL,"
	"  connectors INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE tokens ("
	"  hash BLOB PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  admin INTEGER NOT NULL,"
	"  created_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE connectors ("
	"  id TEXT NOT NULL UNIQUE,"
	"  account_id TEXT NOT NULL REFERENCES accounts(id),"
	"  name TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  type_version TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  revision INTEGER NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  UNIQUE (account_id, name));"
	"CREATE INDEX connectors_by_id ON connectors(account_id, id);"
	"CREATE INDEX connectors_by_created ON connectors(account_id, created_at, id);"
	"CREATE INDEX connectors_by_updated ON connectors(account_id, updated_at, id);"
	"CREATE INDEX connectors_by_type ON connectors(account_id, type, name);"
	"CREATE INDEX connectors_by_status ON connectors(account_id, status, name);"
	"CREATE TABLE idempotency ("
	"  account_id TEXT NOT NULL REFERENCES accounts(id),"
	"  key TEXT NOT NULL,"
	"  request_hash BLOB NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  location TEXT,"
	"  body TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  PRIMARY KEY (account_id, key)) WITHOUT ROWID;"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) WITHOUT ROWID;",
	/* 2: setup wizard sessions, one per connector, surviving restarts */
	"CREATE TABLE setup_sessions ("
	"  connector_id TEXT PRIMARY KEY REFERENCES connectors(id) ON DELETE CASCADE,"
	"  account_id TEXT NOT NULL,"
	"  revision INTEGER NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL) WITHOUT ROWID;",
	/* 3: (account_id, id) is served by the unique index of id, and every
	 * b-tree is one more a write keeps */
	"DROP INDEX connectors_by_id;",
};

const int ch_store_sqlite_migration_count =
	(int)(sizeof(ch_store_sqlite_migrations) / sizeof(ch_store_sqlite_migrations[0]));
