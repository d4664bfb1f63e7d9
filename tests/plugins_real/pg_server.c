/* See pg_server.h. */
#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <libpq-fe.h>

#include "free_port.h"
#include "pg_server.h"

/* The server, set up once in the runner process. */
static struct {
	char bindir[512];
	char dir[256];     /* the temporary folder */
	char log[300];     /* output of the commands run */
	char version[512]; /* SELECT version() */
	int port;
	bool as_root;      /* commands run through runuser -u postgres */
	bool started;
} pg;

/* --- finding and running the server programs ------------------------------ */

/* Whether @p dir holds initdb and pg_ctl. */
static bool has_server_programs(const char *dir)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/initdb", dir);
	if (access(path, X_OK) != 0)
		return false;
	snprintf(path, sizeof(path), "%s/pg_ctl", dir);
	return access(path, X_OK) == 0;
}

/* The newest /usr/lib/postgresql/<major>/bin (Debian's layout). */
static bool find_debian_bindir(void)
{
	glob_t g;
	long best = -1, major;
	size_t i;

	if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g) != 0)
		return false;
	for (i = 0; i < g.gl_pathc; i++) {
		major = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
		if (major > best && has_server_programs(g.gl_pathv[i])) {
			best = major;
			snprintf(pg.bindir, sizeof(pg.bindir), "%s", g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return best >= 0;
}

/* Finds initdb and pg_ctl: $CH_PG_BINDIR, Debian's folders, then PATH. */
static bool find_bindir(void)
{
	const char *env = getenv("CH_PG_BINDIR");
	const char *path = getenv("PATH");
	char dir[512];
	size_t len;

	if (env != NULL && env[0] != '\0') {
		snprintf(pg.bindir, sizeof(pg.bindir), "%s", env);
		return has_server_programs(pg.bindir);
	}
	if (find_debian_bindir())
		return true;
	while (path != NULL && path[0] != '\0') {
		len = strcspn(path, ":");
		snprintf(dir, sizeof(dir), "%.*s", (int)len, path);
		if (len > 0 && has_server_programs(dir)) {
			snprintf(pg.bindir, sizeof(pg.bindir), "%s", dir);
			return true;
		}
		path += len + (path[len] == ':' ? 1 : 0);
	}
	return false;
}

/* In the child: output to the log, input from /dev/null, cwd the folder
 * (the server's user may not enter the test's own). */
static void child_io(void)
{
	int out = open(pg.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	int in = open("/dev/null", O_RDONLY);

	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		close(out);
	}
	if (in >= 0) {
		dup2(in, STDIN_FILENO);
		close(in);
	}
	if (chdir(pg.dir) != 0)
		_exit(126);
}

/* Runs the server program @p prog with @p args (NULL-terminated) as the
 * server's user. Returns its exit status, or -1. */
static int run_prog(const char *prog, const char *const *args)
{
	const char *argv[32];
	char path[600];
	size_t n = 0;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", pg.bindir, prog);
	if (pg.as_root) {
		argv[n++] = "runuser";
		argv[n++] = "-u";
		argv[n++] = "postgres";
		argv[n++] = "--";
	}
	argv[n++] = path;
	for (; *args != NULL && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		child_io();
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* pg_ctl start (@p mode NULL), or pg_ctl stop in @p mode ("fast",
 * "immediate"); waits up to a minute. Returns its exit status, or -1. */
static int pg_ctl(const char *mode)
{
	char data[300];
	const char *start[] = {"-D", data, "-l", NULL, "-w", "-t", "60", "start", NULL};
	const char *stop[] = {"-D", data, "-m", mode, "-w", "-t", "60", "stop", NULL};
	char log[300];

	snprintf(data, sizeof(data), "%s/data", pg.dir);
	snprintf(log, sizeof(log), "%s/server.log", pg.dir);
	start[3] = log;
	return run_prog("pg_ctl", mode == NULL ? start : stop);
}

/* --- setting the server up --------------------------------------------------- */

static void write_file(const char *name, const char *mode, const char *text)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pg.dir, name);
	f = fopen(path, mode);
	if (f == NULL)
		return; /* initdb or the server will say what is missing */
	fputs(text, f);
	fclose(f);
}

/* Prints a file of the folder to stderr, to explain a failed setup. */
static void dump(const char *name)
{
	char path[300], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pg.dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "--- %s\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

/* Stops the server and removes the folder; safe to call at any point. */
static void server_cleanup(void)
{
	const char *rm[] = {"rm", "-rf", pg.dir, NULL};
	pid_t pid;
	int status;

	if (pg.started)
		(void)pg_ctl("immediate");
	pg.started = false;
	if (pg.dir[0] == '\0')
		return;
	pid = fork();
	if (pid == 0) {
		execvp(rm[0], (char *const *)rm);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	pg.dir[0] = '\0';
}

/* Ends a setup that went wrong: says why, cleans up, fails. */
static void setup_failed(const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "PostgreSQL test server: %s", why);
	if (pg.dir[0] != '\0') {
		dump("cmd.log");
		dump("server.log");
	}
	server_cleanup();
	ck_abort_msg("%s", msg);
}

/* Makes the folder, owned by the server's user. */
static void make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct passwd *pw;

	/* /tmp unless told otherwise: the postgres user must reach it. */
	snprintf(pg.dir, sizeof(pg.dir), "%s/ch-pg-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(pg.dir) == NULL) {
		pg.dir[0] = '\0';
		setup_failed("cannot make a temporary folder");
	}
	snprintf(pg.log, sizeof(pg.log), "%s/cmd.log", pg.dir);
	pg.as_root = geteuid() == 0;
	if (!pg.as_root)
		return;
	pw = getpwnam("postgres");
	if (pw == NULL)
		setup_failed("running as root needs the `postgres` system user to run the "
			     "server (the Debian package postgresql creates it)");
	if (chown(pg.dir, pw->pw_uid, pw->pw_gid) != 0)
		setup_failed("cannot give the temporary folder to the postgres user");
}

/* initdb with SCRAM authentication; the server's settings and pg_hba. */
static void init_cluster(void)
{
	char pwfile[300], data[300], conf[1024];
	const char *args[] = {"-D", data, "-U", PGS_ADMIN, NULL, "--auth=scram-sha-256",
			      "--no-locale", "-E", "UTF8", "--no-sync", "--no-instructions",
			      NULL};

	write_file("pw", "w", PGS_ADMIN_PW "\n");
	snprintf(pwfile, sizeof(pwfile), "--pwfile=%s/pw", pg.dir);
	snprintf(data, sizeof(data), "%s/data", pg.dir);
	args[4] = pwfile;
	if (pg.as_root) {
		struct passwd *pw = getpwnam("postgres");
		char path[300];

		snprintf(path, sizeof(path), "%s/pw", pg.dir);
		if (pw == NULL || chown(path, pw->pw_uid, pw->pw_gid) != 0)
			setup_failed("cannot give the password file to the postgres user");
	}
	if (run_prog("initdb", args) != 0)
		setup_failed("initdb failed");
	snprintf(conf, sizeof(conf),
		 "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
		 "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
		 "max_connections = 30\nshared_buffers = 16MB\n"
		 "dynamic_shared_memory_type = mmap\nlc_messages = 'C'\n",
		 pg.port, pg.dir);
	write_file("data/postgresql.conf", "a", conf);
	write_file("data/pg_hba.conf", "w",
		   "local all all scram-sha-256\n"
		   "host " PGS_TRUST_DB " all 127.0.0.1/32 trust\n"
		   "host all all 127.0.0.1/32 scram-sha-256\n");
}

/* Runs @p text on @p db as @p user; false with the reason on failure.
 * When @p value is not NULL it receives the first column of the first
 * row, if any. */
static bool query(const char *db, const char *user, const char *password, const char *text,
		  char *value, size_t vsize, char *why, size_t size)
{
	char port[8];
	const char *keys[] = {"host", "port", "dbname", "user", "password", NULL};
	const char *values[] = {"127.0.0.1", port, db, user, password, NULL};
	PGresult *res = NULL;
	PGconn *conn;
	bool ok;

	snprintf(port, sizeof(port), "%d", pg.port);
	conn = PQconnectdbParams(keys, values, 0);
	ok = conn != NULL && PQstatus(conn) == CONNECTION_OK;
	if (ok) {
		res = PQexec(conn, text);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		     PQresultStatus(res) == PGRES_TUPLES_OK;
	}
	if (ok && value != NULL && PQntuples(res) > 0)
		snprintf(value, vsize, "%s", PQgetvalue(res, 0, 0));
	if (!ok)
		snprintf(why, size, "%s: %s", text, conn != NULL ? PQerrorMessage(conn) : "no memory");
	PQclear(res);
	PQfinish(conn);
	return ok;
}

bool pgs_sql(const char *db, const char *user, const char *password, const char *text,
	     char *why, size_t size)
{
	return query(db, user, password, text, NULL, 0, why, size);
}

/* The role, databases and two tables the tests use, and the version. */
static void populate(void)
{
	static const char *const admin[] = {
		"CREATE ROLE " PGS_APP " LOGIN PASSWORD '" PGS_APP_PW "'",
		"CREATE DATABASE " PGS_APP_DB " OWNER " PGS_APP,
		"CREATE DATABASE " PGS_TRUST_DB,
	};
	char why[1024];
	size_t i;

	for (i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
		if (!pgs_sql("postgres", PGS_ADMIN, PGS_ADMIN_PW, admin[i], why, sizeof(why)))
			setup_failed(why);
	}
	if (!pgs_sql(PGS_APP_DB, PGS_APP, PGS_APP_PW,
		     "CREATE TABLE t1 (a integer); CREATE TABLE t2 (b text)", why, sizeof(why)) ||
	    !query(PGS_APP_DB, PGS_APP, PGS_APP_PW, "SELECT version()", pg.version,
		   sizeof(pg.version), why, sizeof(why)))
		setup_failed(why);
}

void pgs_start(void)
{
	memset(&pg, 0, sizeof(pg));
	if (!find_bindir())
		ck_abort_msg("PostgreSQL server programs (initdb, pg_ctl) not found in "
			     "$CH_PG_BINDIR, /usr/lib/postgresql/*/bin or PATH: install the "
			     "Debian package postgresql (apt-get install postgresql), or set "
			     "CH_PG_BINDIR");
	pg.port = ch_free_port();
	make_dir();
	init_cluster();
	if (pg_ctl(NULL) != 0)
		setup_failed("pg_ctl start failed");
	pg.started = true;
	populate();
}

void pgs_stop(void)
{
	server_cleanup();
}

int pgs_port(void)
{
	return pg.port;
}

const char *pgs_version(void)
{
	return pg.version;
}

int pgs_ctl_stop(void)
{
	return pg_ctl("fast");
}

int pgs_ctl_start(void)
{
	return pg_ctl(NULL);
}
