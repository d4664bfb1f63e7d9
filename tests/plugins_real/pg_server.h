/*
 * A PostgreSQL server of the tests' own, for the tests of the bundled
 * postgres type (the plugin with a fake host, and the API through a real
 * host).
 *
 * pgs_start() runs initdb into a temporary folder with SCRAM password
 * authentication, starts the server on a free loopback port with its Unix
 * socket in that folder, and makes the role, databases and tables below.
 * As root (how the test suite runs) the server runs as the `postgres`
 * system user through runuser; as anyone else, as the user running the
 * tests. Without the server programs (initdb, pg_ctl) it fails the test:
 * install the Debian package postgresql, or point CH_PG_BINDIR at the
 * folder holding them.
 *
 * pgs_start() and pgs_stop() are check's unchecked fixtures: they run in
 * the runner process, so the state they keep is inherited by every forked
 * test. Every other function may run in a forked test.
 */
#ifndef CH_TEST_PG_SERVER_H
#define CH_TEST_PG_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#define PGS_ADMIN "chadmin"        /* the superuser initdb makes */
#define PGS_ADMIN_PW "admin-pw-9f3k"
#define PGS_APP "app"              /* a login role owning PGS_APP_DB */
#define PGS_APP_PW "app-pw-4d7q"
#define PGS_APP_DB "appdb"         /* holds the tables t1 and t2 */
#define PGS_TRUST_DB "chtrust"     /* pg_hba lets any role in by trust */

/** Starts the server (see above). Aborts the test on failure, after
 *  printing the commands' and the server's logs and cleaning up. */
void pgs_start(void);

/** Stops the server (immediately) and removes its folder; safe to call
 *  at any point, also after a failed pgs_start(). */
void pgs_stop(void);

/** The server's TCP port on 127.0.0.1. */
int pgs_port(void);

/** What SELECT version() answered when the server was set up. */
const char *pgs_version(void);

/** `pg_ctl stop -m fast`: the server is down until pgs_ctl_start().
 *  Returns pg_ctl's exit status (0 when stopped), or -1. */
int pgs_ctl_stop(void);

/** `pg_ctl start`, waiting until it accepts connections. Returns pg_ctl's
 *  exit status (0 when started), or -1. */
int pgs_ctl_start(void);

/**
 * Runs @p text (one or more statements) on database @p db as @p user with
 * @p password over TCP. Returns true, or false with the reason in @p why
 * (of @p size bytes).
 */
bool pgs_sql(const char *db, const char *user, const char *password, const char *text,
	     char *why, size_t size);

#endif /* CH_TEST_PG_SERVER_H */
