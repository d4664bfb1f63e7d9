/*
 * Tests of the bundled postgres plugin against a real PostgreSQL server:
 * dlopen() the built postgres.so (CH_POSTGRES_PLUGIN) with a fake host and
 * run its operations.
 *
 * The unchecked fixture starts a server of its own: initdb into a
 * temporary folder with SCRAM password authentication, on a free loopback
 * port, with its Unix socket in that folder. As root (how the test suite
 * runs) the server runs as the `postgres` system user through runuser; as
 * anyone else, as the user running the tests. It is stopped and the folder removed in the
 * teardown, also when tests fail. Without the PostgreSQL server programs
 * (initdb, pg_ctl) the tests fail: install the Debian package postgresql,
 * or point CH_PG_BINDIR at the folder holding them.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include <connhub/plugin.h>

#include "check_run.h"
#include "plugin_harness.h"

#ifndef CH_POSTGRES_PLUGIN
#error "CH_POSTGRES_PLUGIN must name the built postgres.so"
#endif

#define ADMIN "chadmin"
#define ADMIN_PW "admin-pw-9f3k"
#define APP "app"
#define APP_PW "app-pw-4d7q"
#define APP_DB "appdb"
#define TRUST_DB "chtrust" /* pg_hba lets anyone in by trust */

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

static ph_plugin plugin;

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

static int pg_ctl(const char *action, const char *mode)
{
	char data[300];
	const char *start[] = {"-D", data, "-l", NULL, "-w", "-t", "60", "start", NULL};
	const char *stop[] = {"-D", data, "-m", mode, "-w", "-t", "60", "stop", NULL};
	char log[300];

	snprintf(data, sizeof(data), "%s/data", pg.dir);
	snprintf(log, sizeof(log), "%s/server.log", pg.dir);
	start[3] = log;
	return run_prog("pg_ctl", strcmp(action, "start") == 0 ? start : stop);
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
		(void)pg_ctl("stop", "immediate");
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
	const char *args[] = {"-D", data, "-U", ADMIN, NULL, "--auth=scram-sha-256",
			      "--no-locale", "-E", "UTF8", "--no-sync", "--no-instructions",
			      NULL};

	write_file("pw", "w", ADMIN_PW "\n");
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
		   "host " TRUST_DB " all 127.0.0.1/32 trust\n"
		   "host all all 127.0.0.1/32 scram-sha-256\n");
}

/* Runs @p sql on @p db as @p user; false with the reason on failure. */
static bool sql(const char *db, const char *user, const char *password, const char *text,
		char *why, size_t size)
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
	if (ok && PQresultStatus(res) == PGRES_TUPLES_OK)
		snprintf(pg.version, sizeof(pg.version), "%s", PQgetvalue(res, 0, 0));
	if (!ok)
		snprintf(why, size, "%s: %s", text, conn != NULL ? PQerrorMessage(conn) : "no memory");
	PQclear(res);
	PQfinish(conn);
	return ok;
}

/* The role, databases and two tables the tests use. */
static void populate(void)
{
	char why[1024];

	if (!sql("postgres", ADMIN, ADMIN_PW,
		 "CREATE ROLE " APP " LOGIN PASSWORD '" APP_PW "'", why, sizeof(why)) ||
	    !sql("postgres", ADMIN, ADMIN_PW, "CREATE DATABASE " APP_DB " OWNER " APP, why,
		 sizeof(why)) ||
	    !sql("postgres", ADMIN, ADMIN_PW, "CREATE DATABASE " TRUST_DB, why, sizeof(why)) ||
	    !sql(APP_DB, APP, APP_PW, "CREATE TABLE t1 (a integer); CREATE TABLE t2 (b text)",
		 why, sizeof(why)) ||
	    !sql(APP_DB, APP, APP_PW, "SELECT version()", why, sizeof(why)))
		setup_failed(why);
}

static void server_setup(void)
{
	memset(&pg, 0, sizeof(pg));
	if (!find_bindir())
		ck_abort_msg("PostgreSQL server programs (initdb, pg_ctl) not found in "
			     "$CH_PG_BINDIR, /usr/lib/postgresql/*/bin or PATH: install the "
			     "Debian package postgresql (apt-get install postgresql), or set "
			     "CH_PG_BINDIR");
	pg.port = ph_free_port();
	make_dir();
	init_cluster();
	if (pg_ctl("start", NULL) != 0)
		setup_failed("pg_ctl start failed");
	pg.started = true;
	populate();
}

static void server_teardown(void)
{
	server_cleanup();
}

/* --- per test ---------------------------------------------------------------- */

static void plugin_setup(void)
{
	ph_open(&plugin, CH_POSTGRES_PLUGIN);
}

static void plugin_teardown(void)
{
	ph_close(&plugin);
}

/* A configuration for the test server as text; @p extra is more members
 * ("\"sslmode\":\"disable\"") or "". */
static const char *config(const char *db, const char *auth, const char *user,
			  const char *password, const char *extra)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "{\"host\":\"127.0.0.1\",\"port\":%d,\"database\":\"%s\",\"auth\":\"%s\""
		 "%s%s%s%s%s%s%s%s,\"connect_timeout_s\":5}",
		 pg.port, db, auth,
		 user != NULL ? ",\"user\":\"" : "", user != NULL ? user : "",
		 user != NULL ? "\"" : "",
		 password != NULL ? ",\"password\":\"" : "", password != NULL ? password : "",
		 password != NULL ? "\"" : "",
		 extra[0] != '\0' ? "," : "", extra);
	return text;
}

/* --- descriptor ------------------------------------------------------------- */

START_TEST(test_descriptor)
{
	const ch_type_desc *type = plugin.type;
	json_object *schema;

	ck_assert_int_eq(plugin.desc->abi_major, CH_ABI_MAJOR);
	ck_assert_int_eq(plugin.desc->abi_minor, CH_ABI_MINOR);
	ck_assert_str_eq(plugin.desc->name, "postgres");
	ck_assert_str_eq(plugin.desc->version, "1.0.0");
	ck_assert_int_eq(type->struct_size, sizeof(ch_type_desc));
	ck_assert_str_eq(type->id, "postgres");
	ck_assert_str_eq(type->name, "PostgreSQL");
	ck_assert_str_eq(type->version, "1.0.0");
	ck_assert_str_eq(type->vendor, "connhub");
	ck_assert_str_eq(type->license, CH_LICENSE_FREE);
	ck_assert_str_eq(type->categories[0], "database");
	ck_assert_ptr_null(type->categories[1]);
	ck_assert_int_gt(strlen(type->description), 40);
	ck_assert(type->setup && type->test && type->refresh);
	ck_assert(!type->install && !type->update && !type->uninstall && !type->start &&
		  !type->stop && !type->export_ && !type->import_);

	schema = json_tokener_parse(type->config_schema);
	ck_assert_ptr_nonnull(schema);
	ck_assert_str_eq(ph_text(schema, "$schema"),
			 "https://json-schema.org/draft/2020-12/schema");
	ck_assert_str_eq(ph_str(ph_get(schema, "required")), "[\"host\",\"database\",\"auth\"]");
	ck_assert_str_eq(ph_str(ph_get(schema, "additionalProperties")), "false");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.port.minimum")), "1");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.port.maximum")), "65535");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.port.default")), "5432");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.auth.enum")),
			 "[\"password\",\"trust\"]");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.password.writeOnly")), "true");
	ck_assert_str_eq(ph_text(schema, "properties.password.format"), "password");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.sslmode.enum")),
			 "[\"disable\",\"allow\",\"prefer\",\"require\",\"verify-ca\","
			 "\"verify-full\"]");
	ck_assert_str_eq(ph_text(schema, "properties.sslmode.default"), "prefer");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.connect_timeout_s.maximum")), "300");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.connect_timeout_s.default")), "10");
	ck_assert_str_eq(ph_str(ph_get(schema, "if")),
			 "{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]}");
	ck_assert_str_eq(ph_str(ph_get(schema, "then")), "{\"required\":[\"user\",\"password\"]}");
	json_object_put(schema);
}
END_TEST

START_TEST(test_exports_only_entry)
{
	ck_assert_ptr_nonnull(dlsym(plugin.handle, CH_PLUGIN_ENTRY_SYMBOL));
	ck_assert_ptr_null(dlsym(plugin.handle, "ch_sdk_init"));
	ck_assert_ptr_null(dlsym(plugin.handle, "pg_test"));
}
END_TEST

/* --- setup ------------------------------------------------------------------ */

START_TEST(test_setup_password_walk)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, NULL, "{}");
	ph_assert_step(step, "server", "host,port,database", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"port\":5432}");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.required")), "[\"host\",\"database\"]");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.port.maximum")), "65535");
	json_object_put(step);

	/* Step 2: the authentication, with the credentials password needs. */
	step = ph_setup(setup, "server", "{\"host\":\"db\",\"port\":5433,\"database\":\"app\"}");
	ph_assert_step(step, "auth", "auth,user,password", true, false);
	ck_assert_str_eq(ph_str(json_object_array_get_idx(ph_get(step, "form"), 0)),
			 "{\"key\":\"auth\",\"type\":\"select\",\"label\":\"Authentication\","
			 "\"help\":\"password sends a user name and password; trust sends no "
			 "password, for servers that let the client in by its address.\","
			 "\"options\":[\"password\",\"trust\"]}");
	ck_assert_str_eq(ph_str(ph_get(json_object_array_get_idx(ph_get(step, "form"), 2),
					"when")),
			 "{\"auth\":\"password\"}");
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"password\"}");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.required")), "[\"auth\"]");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.allOf")),
			 "[{\"if\":{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]},\"then\":{\"required\":[\"user\"]}},"
			 "{\"if\":{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]},\"then\":{\"required\":[\"password\"]}}]");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.password.writeOnly")), "true");
	ck_assert_str_eq(ph_text(step, "schema.properties.password.format"), "password");
	json_object_put(step);

	step = ph_setup(setup, "auth",
			"{\"auth\":\"password\",\"user\":\"app\",\"password\":\"x\","
			"\"sslmode\":\"require\"}");
	ph_assert_step(step, "options", "sslmode,connect_timeout_s", false, true);
	ck_assert_str_eq(ph_str(ph_get(step, "model")),
			 "{\"sslmode\":\"require\",\"connect_timeout_s\":10}");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.sslmode.enum")),
			 "[\"disable\",\"allow\",\"prefer\",\"require\",\"verify-ca\","
			 "\"verify-full\"]");
	json_object_put(step);
}
END_TEST

/* Shown again, the auth step keeps the user, but never sends the
 * password back (the host shows it masked). */
START_TEST(test_setup_auth_keeps_answers_but_no_secret)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, "server",
			"{\"host\":\"db\",\"auth\":\"password\",\"user\":\"u\",\"password\":\"p-77\"}");
	ph_assert_step(step, "auth", "auth,user,password", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"password\",\"user\":\"u\"}");
	ck_assert_ptr_null(strstr(ph_str(step), "p-77"));
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_trust)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, "server", "{\"auth\":\"trust\"}");
	ph_assert_step(step, "auth", "auth,user,password", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"trust\"}");
	json_object_put(step);
	step = ph_setup(setup, "auth", "{\"host\":\"db\",\"database\":\"app\",\"auth\":\"trust\"}");
	ph_assert_step(step, "options", "sslmode,connect_timeout_s", false, true);
	ck_assert_str_eq(ph_str(ph_get(step, "model")),
			 "{\"sslmode\":\"prefer\",\"connect_timeout_s\":10}");
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_errors)
{
	json_object *out = NULL;
	ch_op_fn setup = plugin.type->setup;

	ck_assert_int_eq(ph_run(setup, "{\"step\":\"nope\",\"answers\":{}}", &out), CH_E_INVALID);
	ck_assert_str_eq(ph_call.message, "unknown setup step \"nope\"");
	ck_assert_int_eq(ph_run(setup, "{\"step\":\"options\",\"answers\":{}}", &out),
			 CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(ph_call.message, "last one"));
	ck_assert_int_eq(ph_run(setup, "{\"step\":7}", &out), CH_E_INVALID);
	ck_assert_int_eq(ph_run(setup, "not json", &out), CH_E_INVALID);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* --- test ------------------------------------------------------------------- */

START_TEST(test_test_valid)
{
	json_object *res;

	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, APP_PW, ""));
	ph_assert_valid(res, pg.version);
	ph_assert_valid(res, "connected to database \"" APP_DB "\" on 127.0.0.1 port");
	ph_assert_valid(res, "as " APP);
	ph_assert_valid(res, "; 2 tables");
	ck_assert_ptr_null(strstr(ph_text(res, "message"), "cached"));
	ph_assert_no_secret(res, APP_PW);
	json_object_put(res);
	ck_assert_str_eq(ph_cached("tables"), "[\"public.t1\", \"public.t2\"]");
	ck_assert_int_eq(ph_cache_puts(), 1);

	/* Without SSL, and as the superuser on another database (the cache
	 * is the connector's: cleared first, as a new connector's would be). */
	ck_assert_int_eq(ph_run(plugin.type->refresh, "{\"connector\":{},\"config\":{}}", &res),
			 CH_OK);
	json_object_put(res);
	res = ph_test(plugin.type->test,
		      config("postgres", "password", ADMIN, ADMIN_PW, "\"sslmode\":\"disable\""));
	ph_assert_valid(res, "; 0 tables");
	json_object_put(res);
	ck_assert_str_eq(ph_cached("tables"), "[]");
}
END_TEST

/* The table list comes from the cache until a refresh drops it: a table
 * made meanwhile shows only after the refresh. */
START_TEST(test_table_list_cached_until_refresh)
{
	json_object *res, *out = NULL;
	char why[512];

	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, APP_PW, ""));
	ph_assert_valid(res, "; 2 tables");
	json_object_put(res);
	ck_assert_msg(sql(APP_DB, APP, APP_PW, "CREATE TABLE t3 (c integer)", why, sizeof(why)),
		      "%s", why);
	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, APP_PW, ""));
	ph_assert_valid(res, "; 2 tables (cached list; refresh lists them again)");
	json_object_put(res);
	ck_assert_int_eq(ph_cache_puts(), 1);
	ck_assert_int_eq(ph_run(plugin.type->refresh, "{\"connector\":{},\"config\":{}}", &out),
			 CH_OK);
	json_object_put(out);
	ck_assert_ptr_null(ph_cached("tables"));
	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, APP_PW, ""));
	ph_assert_valid(res, "; 3 tables");
	json_object_put(res);
	ck_assert_str_eq(ph_cached("tables"), "[\"public.t1\", \"public.t2\", \"public.t3\"]");
	ck_assert_msg(sql(APP_DB, APP, APP_PW, "DROP TABLE t3", why, sizeof(why)), "%s", why);
}
END_TEST

START_TEST(test_test_wrong_password)
{
	json_object *res;

	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, "not-" APP_PW, ""));
	ph_assert_failed(res, "config_error", "/password", "password authentication failed");
	ck_assert_str_eq(ph_text(json_object_array_get_idx(ph_get(res, "errors"), 0), "message"),
			 "the server refused the user name or password");
	ph_assert_no_secret(res, "not-" APP_PW);
	json_object_put(res);
	ck_assert_int_eq(ph_cache_puts(), 0);

	/* SCRAM does not tell a missing role from a wrong password. */
	res = ph_test(plugin.type->test, config(APP_DB, "password", "ghost", APP_PW, ""));
	ph_assert_failed(res, "config_error", "/password", "password authentication failed");
	json_object_put(res);

	/* No password where the server asks for one. */
	res = ph_test(plugin.type->test, config(APP_DB, "trust", APP, NULL, ""));
	ph_assert_failed(res, "config_error", "/auth", "no password supplied");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_unknown_database)
{
	json_object *res;

	res = ph_test(plugin.type->test, config("nodb", "password", APP, APP_PW, ""));
	ph_assert_failed(res, "config_error", "/database", "database \"nodb\" does not exist");
	json_object_put(res);

	/* The password is scrubbed even from what the server says. */
	res = ph_test(plugin.type->test, config(ADMIN_PW, "password", ADMIN, ADMIN_PW, ""));
	ph_assert_failed(res, "config_error", "/database", "database \"***\" does not exist");
	ph_assert_no_secret(res, ADMIN_PW);
	json_object_put(res);
}
END_TEST

START_TEST(test_test_trust)
{
	json_object *res;

	res = ph_test(plugin.type->test, config(TRUST_DB, "trust", APP, NULL, ""));
	ph_assert_valid(res, "connected to database \"" TRUST_DB "\"");
	json_object_put(res);

	res = ph_test(plugin.type->test, config(TRUST_DB, "trust", "ghost", NULL, ""));
	ph_assert_failed(res, "config_error", "/user", "role \"ghost\" does not exist");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_unknown_host)
{
	json_object *res = ph_test(plugin.type->test,
				   "{\"host\":\"no-such-host.invalid\",\"database\":\"d\","
				   "\"auth\":\"password\",\"user\":\"u\",\"password\":\"pw\"}");

	ph_assert_failed(res, "config_error", "/host", "could not translate host name");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_refused)
{
	char cfg[256];
	json_object *res;

	snprintf(cfg, sizeof(cfg),
		 "{\"host\":\"127.0.0.1\",\"port\":%d,\"database\":\"d\",\"auth\":\"trust\"}",
		 ph_free_port());
	res = ph_test(plugin.type->test, cfg);
	ph_assert_failed(res, "transient_error", "/port", "Connection refused");
	ck_assert_ptr_null(strchr(ph_text(res, "message"), '\n'));
	json_object_put(res);
}
END_TEST

START_TEST(test_test_bad_config)
{
	json_object *res = NULL;

	res = ph_test(plugin.type->test, "{}");
	ck_assert_str_eq(ph_str(res),
			 "{\"valid\":false,\"message\":\"the configuration is not valid\","
			 "\"failure_type\":\"config_error\",\"errors\":["
			 "{\"pointer\":\"/host\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/database\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/auth\",\"message\":\"is required\"}]}");
	json_object_put(res);
	res = ph_test(plugin.type->test,
		      "{\"host\":\"h\",\"database\":\"d\",\"auth\":\"password\",\"port\":0,"
		      "\"sslmode\":\"sometimes\",\"connect_timeout_s\":301}");
	ck_assert_str_eq(ph_str(ph_get(res, "errors")),
			 "[{\"pointer\":\"/user\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/password\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/port\",\"message\":\"must be between 1 and 65535\"},"
			 "{\"pointer\":\"/sslmode\",\"message\":\"must be one of disable, allow, "
			 "prefer, require, verify-ca, verify-full\"},"
			 "{\"pointer\":\"/connect_timeout_s\",\"message\":\"must be between 1 "
			 "and 300\"}]");
	json_object_put(res);
	res = ph_test(plugin.type->test, "{\"host\":\"h\",\"database\":\"d\",\"auth\":\"ldap\"}");
	ph_assert_failed(res, "config_error", "/auth", "not valid");
	json_object_put(res);
	ck_assert_int_eq(ph_run(plugin.type->test, "{\"connector\":{}}", &res), CH_E_INVALID);
	ck_assert_int_eq(ph_run(plugin.type->test, "[]", &res), CH_E_INVALID);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* Several tests at once: no shared state in the plugin. */
static void *concurrent_test(void *arg)
{
	const char *input = arg;
	ch_call own;
	char *out = NULL;
	int i, ok = 1;

	for (i = 0; i < 5 && ok; i++) {
		fake_call_init(&own);
		ok = plugin.type->test(&own, input, &out) == CH_OK &&
		     strstr(out, "\"valid\":true") != NULL;
		fake_host_api.free(out);
		out = NULL;
	}
	return ok ? arg : NULL;
}

START_TEST(test_test_concurrent)
{
	pthread_t threads[4];
	char input[1024 + 16]; /* the config (up to 1023 bytes) and its wrapping */
	void *ret;
	size_t i;

	snprintf(input, sizeof(input), "{\"config\":%s}",
		 config(APP_DB, "password", APP, APP_PW, ""));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, concurrent_test, input), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], &ret), 0);
		ck_assert_ptr_eq(ret, input);
	}
	/* the list is made by the calls that began before the first was
	 * cached, at most one a thread; every later call reads the cache */
	ck_assert_int_ge(ph_cache_puts(), 1);
	ck_assert_int_le(ph_cache_puts(), 4);
}
END_TEST

/* --- refresh ------------------------------------------------------------------ */

START_TEST(test_refresh)
{
	json_object *out = NULL;

	ck_assert_int_eq(ph_run(plugin.type->refresh, "{\"connector\":{},\"config\":{}}", &out),
			 CH_OK);
	ck_assert_str_eq(ph_str(out), "{}");
	ck_assert_int_eq(ph_call.cache_clears, 1);
	json_object_put(out);
}
END_TEST

/* Last: it stops the server (and starts it again for the teardown). */
START_TEST(test_test_server_stopped)
{
	json_object *res;

	ck_assert_int_eq(pg_ctl("stop", "fast"), 0);
	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, APP_PW, ""));
	ph_assert_failed(res, "transient_error", "/port", "Connection refused");
	json_object_put(res);
	ck_assert_int_eq(pg_ctl("start", NULL), 0);
	res = ph_test(plugin.type->test, config(APP_DB, "password", APP, APP_PW, ""));
	ph_assert_valid(res, pg.version);
	json_object_put(res);
}
END_TEST

static Suite *postgres_suite(void)
{
	Suite *s = suite_create("postgres_plugin");
	TCase *tc = tcase_create("plugin");

	tcase_add_unchecked_fixture(tc, server_setup, server_teardown);
	tcase_add_checked_fixture(tc, plugin_setup, plugin_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_exports_only_entry);
	tcase_add_test(tc, test_setup_password_walk);
	tcase_add_test(tc, test_setup_auth_keeps_answers_but_no_secret);
	tcase_add_test(tc, test_setup_trust);
	tcase_add_test(tc, test_setup_errors);
	tcase_add_test(tc, test_test_valid);
	tcase_add_test(tc, test_table_list_cached_until_refresh);
	tcase_add_test(tc, test_test_wrong_password);
	tcase_add_test(tc, test_test_unknown_database);
	tcase_add_test(tc, test_test_trust);
	tcase_add_test(tc, test_test_unknown_host);
	tcase_add_test(tc, test_test_refused);
	tcase_add_test(tc, test_test_bad_config);
	tcase_add_test(tc, test_test_concurrent);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_test_server_stopped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ch_check_run(postgres_suite());
}
