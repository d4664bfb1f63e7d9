/*
 * The "sqlite" connector type: a SQLite database file on the host.
 *
 * Built only against the SDK, like a third party's plugin. Operations:
 *   setup    two steps: "file" (path, mode) then "options" (busy timeout)
 *   test     opens the file as configured and runs PRAGMA quick_check
 *   refresh  drops the connector's cache
 * No mutable global state: every call opens its own connection, so calls
 * may run at once on several threads.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <connhub/sdk.h>

#define SQ_VERSION "1.0.0"
#define SQ_BUSY_DEFAULT_MS 5000
#define SQ_BUSY_MAX_MS 600000

/* Room for a result message: a path and a reason. */
#define SQ_MSG_MAX 1024

/* --- metadata ---------------------------------------------------------- */

static const char sq_config_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"type\":\"object\","
	"\"title\":\"SQLite database\","
	"\"required\":[\"path\",\"mode\"],"
	"\"properties\":{"
	"\"path\":{\"type\":\"string\",\"minLength\":1,"
	"\"title\":\"Database file\","
	"\"description\":\"Absolute path of the SQLite database file on the "
	"connhub host.\"},"
	"\"mode\":{\"type\":\"string\","
	"\"enum\":[\"read-only\",\"read-write\",\"create\"],"
	"\"default\":\"read-write\","
	"\"title\":\"Open mode\","
	"\"description\":\"read-only never writes; read-write needs an existing "
	"file; create makes the file when it is missing.\"},"
	"\"busy_timeout_ms\":{\"type\":\"integer\",\"minimum\":0,"
	"\"maximum\":600000,\"default\":5000,"
	"\"title\":\"Busy timeout (ms)\","
	"\"description\":\"How long to wait for a lock another process holds "
	"before giving up.\"}},"
	"\"additionalProperties\":false}";

static const char *const sq_categories[] = {"database", "file", NULL};

/* --- open modes ---------------------------------------------------------- */

typedef struct sq_mode {
	const char *name;
	int flags;       /* sqlite3_open_v2() flags */
	int must_exist;  /* the file must be there before opening */
} sq_mode;

static const sq_mode sq_modes[] = {
	{"read-only", SQLITE_OPEN_READONLY, 1},
	{"read-write", SQLITE_OPEN_READWRITE, 1},
	{"create", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0},
};

static const char *const sq_mode_names[] = {"read-only", "read-write", "create", NULL};

/* The mode called @p name, or NULL. */
static const sq_mode *sq_mode_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(sq_modes) / sizeof(sq_modes[0]); i++) {
		if (strcmp(sq_modes[i].name, name) == 0)
			return &sq_modes[i];
	}
	return NULL;
}

/* --- setup ------------------------------------------------------------- */

static const ch_field sq_file_fields[] = {
	{
		.key = "path",
		.label = "Database file",
		.widget = CH_WIDGET_TEXT,
		.help = "Absolute path of the SQLite database file on the connhub host.",
		.placeholder = "/var/lib/app/data.db",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
	},
	{
		.key = "mode",
		.label = "Open mode",
		.widget = CH_WIDGET_SELECT,
		.help = "read-only never writes; read-write needs an existing file; "
			"create makes the file when it is missing.",
		.required = true,
		.options = sq_mode_names,
		.default_json = "\"read-write\"",
	},
};

static const ch_field sq_options_fields[] = {
	{
		.key = "busy_timeout_ms",
		.label = "Busy timeout (ms)",
		.widget = CH_WIDGET_NUMBER,
		.help = "How long to wait for a lock another process holds before "
			"giving up (0 to 600000).",
		.schema = "{\"type\":\"integer\",\"minimum\":0,\"maximum\":600000}",
		.default_json = "5000",
	},
};

static const ch_step_def sq_step_file = {
	"file", "Database file", "Which SQLite database to use and how to open it.",
	sq_file_fields, CH_SDK_COUNT(sq_file_fields), true, false,
};

static const ch_step_def sq_step_options = {
	"options", "Options", "How the connector behaves when the database is busy.",
	sq_options_fields, CH_SDK_COUNT(sq_options_fields), false, true,
};

/* The step that follows the one called @p answered (NULL: the first). */
static int sq_step_next(ch_call *call, const char *answered, json_object *answers,
			json_object **out)
{
	(void)answers; /* the wizard does not branch */
	*out = NULL;
	if (answered == NULL)
		return ch_sdk_step_make(call, &sq_step_file, NULL, 0, out);
	if (strcmp(answered, sq_step_file.id) == 0)
		return ch_sdk_step_make(call, &sq_step_options, NULL, 0, out);
	if (strcmp(answered, sq_step_options.id) == 0)
		return ch_sdk_fail(call, CH_E_INVALID,
				   "setup step \"options\" is the last one: finish the setup");
	return ch_sdk_fail(call, CH_E_INVALID, "unknown setup step \"%s\"", answered);
}

static int sq_setup(ch_call *call, const char *in, char **out)
{
	return ch_sdk_setup(call, in, out, sq_step_next);
}

/* --- test -------------------------------------------------------------- */

typedef struct sq_config {
	const char *path;    /* borrowed from the input */
	const sq_mode *mode;
	int busy_ms;
} sq_config;

/* A failed test result "<path>: <detail>" of kind @p type, blaming the
 * configuration field at @p pointer when there is one. */
static json_object *sq_failed(const char *type, const char *pointer, const char *path,
			      const char *detail)
{
	char msg[SQ_MSG_MAX];
	json_object *res;

	snprintf(msg, sizeof(msg), "%s: %s", path, detail);
	res = ch_sdk_test_result(false, type, msg);
	if (pointer != NULL)
		ch_sdk_test_error(res, pointer, detail);
	return res;
}

/*
 * Reads the configuration. Returns CH_OK, or CH_E_CONFIG with *res the
 * failed test result listing every problem (NULL when memory ran out).
 */
static int sq_config_read(json_object *config, sq_config *cfg, json_object **res)
{
	int64_t busy = ch_sdk_int(config, "busy_timeout_ms", SQ_BUSY_DEFAULT_MS);
	ch_problems problems = {NULL, 0};

	cfg->path = ch_sdk_str(config, "path", NULL);
	cfg->mode = sq_mode_find(ch_sdk_str(config, "mode", "read-write"));
	cfg->busy_ms = (int)(busy >= 0 && busy <= SQ_BUSY_MAX_MS ? busy : 0);
	if (cfg->path == NULL || cfg->path[0] == '\0')
		ch_sdk_problem(&problems, "/path", "is required");
	else if (cfg->path[0] != '/')
		ch_sdk_problem(&problems, "/path", "must be an absolute path");
	if (cfg->mode == NULL)
		ch_sdk_problem(&problems, "/mode", "must be one of read-only, read-write, create");
	if (busy < 0 || busy > SQ_BUSY_MAX_MS)
		ch_sdk_problem(&problems, "/busy_timeout_ms", "must be between 0 and 600000");
	*res = problems.result;
	return problems.count > 0 ? CH_E_CONFIG : CH_OK;
}

/* The reason in errno, thread-safely. */
static const char *sq_errno_text(int err, char *buf, size_t size)
{
	if (err == ENOENT)
		return "no such file";
	if (strerror_r(err, buf, size) != 0)
		snprintf(buf, size, "error %d", err);
	return buf;
}

/* In create mode, the directory the file will be created in. */
static json_object *sq_parent_check(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash != NULL && slash != path ? (size_t)(slash - path) : 1;
	char reason[128];
	json_object *res = NULL;
	struct stat st;
	char *dir;

	dir = malloc(len + 1);
	if (dir == NULL)
		return sq_failed(CH_FAILURE_SYSTEM, NULL, path, "out of memory");
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(dir, &st) != 0)
		res = sq_failed(CH_FAILURE_CONFIG, "/path", path,
				errno == ENOENT ? "no such directory"
						: sq_errno_text(errno, reason, sizeof(reason)));
	else if (!S_ISDIR(st.st_mode))
		res = sq_failed(CH_FAILURE_CONFIG, "/path", path, "parent is not a directory");
	free(dir);
	return res;
}

/* Looks at the file before SQLite does, for clearer reasons. NULL when
 * SQLite may go ahead. */
static json_object *sq_path_check(const sq_config *cfg)
{
	char reason[128];
	struct stat st;

	if (stat(cfg->path, &st) != 0) {
		if (errno == ENOENT && !cfg->mode->must_exist)
			return sq_parent_check(cfg->path);
		return sq_failed(CH_FAILURE_CONFIG, "/path", cfg->path,
				 sq_errno_text(errno, reason, sizeof(reason)));
	}
	if (S_ISDIR(st.st_mode))
		return sq_failed(CH_FAILURE_CONFIG, "/path", cfg->path, "is a directory");
	return NULL;
}

/* The test result of a SQLite error @p rc on @p db (which may be NULL). */
static json_object *sq_sqlite_failed(sqlite3 *db, int rc, const char *path)
{
	const char *reason = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return sq_failed(CH_FAILURE_TRANSIENT, NULL, path, reason);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return sq_failed(CH_FAILURE_CONFIG, "/path", path, reason);
	default:
		return sq_failed(CH_FAILURE_SYSTEM, NULL, path, reason);
	}
}

/* The result of a quick_check row that is not "ok". The row may start
 * with a "*** in database main ***" line, which only says where. */
static json_object *sq_corrupt(const char *path, const unsigned char *row)
{
	char msg[SQ_MSG_MAX / 2]; /* leaves room for the path in sq_failed() */
	const char *text = row != NULL ? (const char *)row : "quick_check gave no answer";
	const char *newline = strchr(text, '\n');

	if (strncmp(text, "*** ", 4) == 0 && newline != NULL && newline[1] != '\0')
		text = newline + 1;
	snprintf(msg, sizeof(msg), "database is corrupt: %s", text);
	return sq_failed(CH_FAILURE_CONFIG, "/path", path, msg);
}

/* Runs PRAGMA quick_check; NULL when it answers the single row "ok". */
static json_object *sq_quick_check(sqlite3 *db, const char *path)
{
	sqlite3_stmt *stmt = NULL;
	json_object *res = NULL;
	const unsigned char *row;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		res = sq_sqlite_failed(db, rc, path);
		goto out;
	}
	row = sqlite3_column_text(stmt, 0);
	if (row == NULL || strcmp((const char *)row, "ok") != 0) {
		res = sq_corrupt(path, row);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		res = sq_corrupt(path, sqlite3_column_text(stmt, 0));
	else if (rc != SQLITE_DONE)
		res = sq_sqlite_failed(db, rc, path);
out:
	sqlite3_finalize(stmt);
	return res;
}

/* The successful result: the library version and the number of tables. */
static json_object *sq_passed(sqlite3 *db, const char *path)
{
	sqlite3_stmt *stmt = NULL;
	json_object *res = NULL;
	char msg[SQ_MSG_MAX];
	sqlite3_int64 tables;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
				-1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		res = sq_sqlite_failed(db, rc, path);
		goto out;
	}
	tables = sqlite3_column_int64(stmt, 0);
	snprintf(msg, sizeof(msg), "SQLite %s opened %s: quick_check ok, %lld table%s",
		 sqlite3_libversion(), path, (long long)tables, tables == 1 ? "" : "s");
	res = ch_sdk_test_result(true, NULL, msg);
out:
	sqlite3_finalize(stmt);
	return res;
}

/* Opens the database as configured and checks it. Never NULL unless
 * memory ran out. */
static json_object *sq_check(const sq_config *cfg)
{
	sqlite3 *db = NULL;
	json_object *res;
	int rc;

	res = sq_path_check(cfg);
	if (res != NULL)
		goto out;
	rc = sqlite3_open_v2(cfg->path, &db, cfg->mode->flags, NULL);
	if (rc != SQLITE_OK) {
		res = sq_sqlite_failed(db, rc, cfg->path);
		goto out;
	}
	sqlite3_busy_timeout(db, cfg->busy_ms);
	res = sq_quick_check(db, cfg->path);
	if (res == NULL)
		res = sq_passed(db, cfg->path);
out:
	sqlite3_close_v2(db); /* a no-op for NULL; also after a failed open */
	return res;
}

/* Judges the configuration: its problems, or what opening it says. */
static int sq_check_config(ch_call *call, json_object *config, json_object **res)
{
	sq_config cfg;

	(void)call;
	if (sq_config_read(config, &cfg, res) == CH_OK)
		*res = sq_check(&cfg);
	return CH_OK;
}

static int sq_test(ch_call *call, const char *in, char **out)
{
	return ch_sdk_test(call, in, out, sq_check_config);
}

/* --- descriptor -------------------------------------------------------- */

static const ch_type_desc sq_type = {
	CH_TYPE_HEADER,
	.id = "sqlite",
	.name = "SQLite",
	.version = SQ_VERSION,
	.vendor = "connhub",
	.description = "A SQLite database file on the connhub host. The connector "
		       "opens the file read-only, read-write, or creating it when "
		       "missing, waits for locks held by other processes up to a "
		       "busy timeout, and its test checks the file is a healthy "
		       "SQLite database (PRAGMA quick_check).",
	.image_url = "https://sqlite.org/images/sqlite370_banner.gif",
	.website_url = "https://sqlite.org/",
	.categories = sq_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = sq_config_schema,
	.setup = sq_setup,
	.test = sq_test,
	.refresh = ch_sdk_refresh_cache,
};

CH_PLUGIN_DEFINE("sqlite", SQ_VERSION, &sq_type)
