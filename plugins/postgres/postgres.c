/*
 * The "postgres" connector type: a PostgreSQL database reached with libpq.
 *
 * Built only against the SDK, like a third party's plugin. Operations:
 *   setup    "server" (host, port, database) → "auth" (password or trust;
 *            user and password for password) → "options" (sslmode,
 *            connect timeout)
 *   test     connects as configured and runs SELECT version(); lists the
 *            tables into the connector's cache, or reads the list from it
 *   refresh  drops the connector's cache (the next test lists again)
 * No mutable global state: every call opens its own connection (libpq is
 * thread-safe as long as a connection is used by one thread), so calls may
 * run at once on several threads. The password is never put in a message
 * or a log line: messages from libpq are scrubbed of it as well.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include <connhub/sdk.h>

#define PG_VERSION "1.0.0"
#define PG_PORT_DEFAULT 5432
#define PG_TIMEOUT_DEFAULT_S 10
#define PG_TIMEOUT_MAX_S 300
/* The cache key of the table list, and how long the list is kept. */
#define PG_CACHE_TABLES "tables"
#define PG_CACHE_TTL_MS (5 * 60 * 1000)

/* Room for a result message: libpq's reason, which names every address
 * tried, or the server's version string. */
#define PG_MSG_MAX 2048

/* --- metadata ---------------------------------------------------------- */

static const char pg_config_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"type\":\"object\","
	"\"title\":\"PostgreSQL database\","
	"\"required\":[\"host\",\"database\",\"auth\"],"
	"\"properties\":{"
	"\"host\":{\"type\":\"string\",\"minLength\":1,\"title\":\"Host\","
	"\"description\":\"Host name or IP address of the server, or the "
	"directory of its Unix socket (starting with /).\"},"
	"\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535,"
	"\"default\":5432,\"title\":\"Port\"},"
	"\"database\":{\"type\":\"string\",\"minLength\":1,\"title\":\"Database\"},"
	"\"auth\":{\"type\":\"string\",\"enum\":[\"password\",\"trust\"],"
	"\"title\":\"Authentication\","
	"\"description\":\"password sends user and password; trust sends no "
	"password (the server lets the client in by its address).\"},"
	"\"user\":{\"type\":\"string\",\"minLength\":1,\"title\":\"User\"},"
	"\"password\":{\"type\":\"string\",\"minLength\":1,\"writeOnly\":true,"
	"\"format\":\"password\",\"title\":\"Password\"},"
	"\"sslmode\":{\"type\":\"string\",\"enum\":[\"disable\",\"allow\",\"prefer\","
	"\"require\",\"verify-ca\",\"verify-full\"],\"default\":\"prefer\","
	"\"title\":\"SSL mode\"},"
	"\"connect_timeout_s\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":300,"
	"\"default\":10,\"title\":\"Connect timeout (s)\"}},"
	"\"if\":{\"properties\":{\"auth\":{\"const\":\"password\"}},"
	"\"required\":[\"auth\"]},"
	"\"then\":{\"required\":[\"user\",\"password\"]},"
	"\"additionalProperties\":false}";

static const char *const pg_categories[] = {"database", NULL};

static const char *const pg_auth_names[] = {"password", "trust", NULL};

static const char *const pg_sslmodes[] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL,
};

/* Whether @p name is in the NULL-terminated @p list. */
static bool pg_one_of(const char *name, const char *const *list)
{
	for (; name != NULL && *list != NULL; list++) {
		if (strcmp(*list, name) == 0)
			return true;
	}
	return false;
}

/* --- setup ------------------------------------------------------------- */

static const ch_field pg_server_fields[] = {
	{
		.key = "host",
		.label = "Host",
		.widget = CH_WIDGET_TEXT,
		.help = "Host name or IP address of the PostgreSQL server, or the "
			"directory of its Unix socket.",
		.placeholder = "db.example.com",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
	},
	{
		.key = "port",
		.label = "Port",
		.widget = CH_WIDGET_NUMBER,
		.help = "TCP port the server listens on (1 to 65535).",
		.schema = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535}",
		.default_json = "5432",
	},
	{
		.key = "database",
		.label = "Database",
		.widget = CH_WIDGET_TEXT,
		.help = "Name of the database to connect to.",
		.placeholder = "app",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
	},
};

static const ch_field pg_auth_fields[] = {
	{
		.key = "auth",
		.label = "Authentication",
		.widget = CH_WIDGET_SELECT,
		.help = "password sends a user name and password; trust sends no "
			"password, for servers that let the client in by its address.",
		.required = true,
		.options = pg_auth_names,
		.default_json = "\"password\"",
	},
	{
		.key = "user",
		.label = "User",
		.widget = CH_WIDGET_TEXT,
		.help = "The role to log in as.",
		.placeholder = "app",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
		.when_key = "auth",
		.when_value = "password",
	},
	{
		.key = "password",
		.label = "Password",
		.widget = CH_WIDGET_PASSWORD,
		.help = "The role's password. It is stored encrypted and never shown again.",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
		.when_key = "auth",
		.when_value = "password",
	},
};

static const ch_field pg_options_fields[] = {
	{
		.key = "sslmode",
		.label = "SSL mode",
		.widget = CH_WIDGET_SELECT,
		.help = "disable never uses SSL; prefer (the default) uses it when the "
			"server offers it; require insists on it; verify-ca and "
			"verify-full also check the server's certificate.",
		.options = pg_sslmodes,
		.default_json = "\"prefer\"",
	},
	{
		.key = "connect_timeout_s",
		.label = "Connect timeout (s)",
		.widget = CH_WIDGET_NUMBER,
		.help = "How long to wait for the server to answer (1 to 300 seconds).",
		.schema = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":300}",
		.default_json = "10",
	},
};

static const ch_step_def pg_step_server = {
	"server", "Server", "Where the PostgreSQL server is and which database to use.",
	pg_server_fields, CH_SDK_COUNT(pg_server_fields), true, false,
};

static const ch_step_def pg_step_auth = {
	"auth", "Authentication", "How the connector proves who it is to the server.",
	pg_auth_fields, CH_SDK_COUNT(pg_auth_fields), true, false,
};

static const ch_step_def pg_step_options = {
	"options", "Options", "How the connection is secured and how long to wait for it.",
	pg_options_fields, CH_SDK_COUNT(pg_options_fields), false, true,
};

/* The step that follows the one called @p answered (NULL: the first). */
static int pg_step_next(ch_call *call, const char *answered, json_object *answers,
			json_object **out)
{
	(void)answers; /* the auth step holds its own branch (see "when") */
	*out = NULL;
	if (answered == NULL)
		return ch_sdk_step_make(call, &pg_step_server, NULL, 0, out);
	if (strcmp(answered, pg_step_server.id) == 0)
		return ch_sdk_step_make(call, &pg_step_auth, NULL, 0, out);
	if (strcmp(answered, pg_step_auth.id) == 0)
		return ch_sdk_step_make(call, &pg_step_options, NULL, 0, out);
	if (strcmp(answered, pg_step_options.id) == 0)
		return ch_sdk_fail(call, CH_E_INVALID,
				   "setup step \"options\" is the last one: finish the setup");
	return ch_sdk_fail(call, CH_E_INVALID, "unknown setup step \"%s\"", answered);
}

static int pg_setup(ch_call *call, const char *in, char **out)
{
	return ch_sdk_setup(call, in, out, pg_step_next);
}

/* --- configuration ------------------------------------------------------ */

typedef struct pg_config {
	const char *host;     /* strings borrowed from the input */
	const char *database;
	const char *auth;
	const char *user;     /* NULL: libpq's default (trust only) */
	const char *password; /* NULL unless auth is "password" */
	const char *sslmode;
	int port;
	int timeout_s;
} pg_config;

/* A required non-empty string at @p key; a problem when missing. */
static const char *pg_required(json_object *config, const char *key, ch_problems *rep)
{
	const char *value = ch_sdk_str(config, key, NULL);
	char pointer[64];

	if (value != NULL && value[0] != '\0')
		return value;
	snprintf(pointer, sizeof(pointer), "/%s", key);
	ch_sdk_problem(rep, pointer, "is required");
	return NULL;
}

/* Reads the credentials auth calls for. */
static void pg_config_auth(json_object *config, pg_config *cfg, ch_problems *rep)
{
	cfg->auth = pg_required(config, "auth", rep);
	cfg->user = NULL;
	cfg->password = NULL;
	if (cfg->auth == NULL)
		return;
	if (strcmp(cfg->auth, "trust") == 0) {
		cfg->user = ch_sdk_str(config, "user", NULL);
		if (cfg->user != NULL && cfg->user[0] == '\0')
			cfg->user = NULL;
	} else if (strcmp(cfg->auth, "password") == 0) {
		cfg->user = pg_required(config, "user", rep);
		cfg->password = pg_required(config, "password", rep);
	} else {
		ch_sdk_problem(rep, "/auth", "must be password or trust");
	}
}

/*
 * Reads the configuration. Returns CH_OK, or CH_E_CONFIG with *res the
 * failed test result listing every problem (NULL when memory ran out).
 */
static int pg_config_read(json_object *config, pg_config *cfg, json_object **res)
{
	ch_problems report = {NULL, 0};
	int64_t port = ch_sdk_int(config, "port", PG_PORT_DEFAULT);
	int64_t timeout = ch_sdk_int(config, "connect_timeout_s", PG_TIMEOUT_DEFAULT_S);

	cfg->host = pg_required(config, "host", &report);
	cfg->database = pg_required(config, "database", &report);
	pg_config_auth(config, cfg, &report);
	cfg->sslmode = ch_sdk_str(config, "sslmode", "prefer");
	cfg->port = (int)(port >= 1 && port <= 65535 ? port : PG_PORT_DEFAULT);
	cfg->timeout_s = (int)(timeout >= 1 && timeout <= PG_TIMEOUT_MAX_S
				       ? timeout : PG_TIMEOUT_DEFAULT_S);
	if (port < 1 || port > 65535)
		ch_sdk_problem(&report, "/port", "must be between 1 and 65535");
	if (!pg_one_of(cfg->sslmode, pg_sslmodes))
		ch_sdk_problem(&report, "/sslmode",
			       "must be one of disable, allow, prefer, require, verify-ca, "
			       "verify-full");
	if (timeout < 1 || timeout > PG_TIMEOUT_MAX_S)
		ch_sdk_problem(&report, "/connect_timeout_s", "must be between 1 and 300");
	*res = report.result;
	return report.count > 0 ? CH_E_CONFIG : CH_OK;
}

/* --- messages ----------------------------------------------------------- */

/* Whether @p c is white space in libpq's messages. */
static bool pg_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Copies @p src into @p dst (of @p size > 0 bytes) on one line: every
 * occurrence of @p secret (when not NULL or empty) becomes "***", then runs
 * of white space (libpq's messages span lines and tabs) become one space.
 */
static void pg_clean(char *dst, size_t size, const char *src, const char *secret)
{
	char *scrubbed = ch_sdk_scrub(src, &secret, 1);
	const char *at = scrubbed != NULL ? scrubbed : "out of memory";
	size_t n = 0;
	bool space = false;

	while (pg_is_space(*at))
		at++;
	for (; *at != '\0' && n + 1 < size; at++) {
		if (pg_is_space(*at)) {
			space = true;
			continue;
		}
		if (space && n + 2 < size)
			dst[n++] = ' ';
		space = false;
		dst[n++] = *at;
	}
	dst[n] = '\0';
	free(scrubbed);
}

/* A failed test result of kind @p type with libpq's @p reason as its
 * message, blaming the configuration field at @p pointer when there is
 * one. */
static json_object *pg_failed(const pg_config *cfg, const char *type, const char *pointer,
			      const char *detail, const char *reason)
{
	char msg[PG_MSG_MAX];
	json_object *res;

	pg_clean(msg, sizeof(msg), reason != NULL && reason[0] != '\0' ? reason : detail,
		 cfg->password);
	res = ch_sdk_test_result(false, type, msg);
	if (pointer != NULL)
		ch_sdk_test_error(res, pointer, detail);
	return res;
}

/* What a piece of libpq's (or the server's) message means. */
typedef struct pg_reason {
	const char *needle;  /* text in the message */
	const char *needle2; /* also there, or NULL */
	const char *type;    /* failure kind */
	const char *pointer; /* the configuration field at fault, or NULL */
	const char *detail;  /* what is wrong with it */
} pg_reason;

/*
 * In order: when libpq tried several addresses its message lists every
 * attempt, and a refusal from the server itself (which did answer) says
 * more than "connection refused" on another address. The texts are
 * libpq's and the server's in English: a server configured with other
 * lc_messages gives system_error for its refusals.
 */
static const pg_reason pg_reasons[] = {
	{"password authentication failed", NULL, CH_FAILURE_CONFIG, "/password",
	 "the server refused the user name or password"},
	{"no password supplied", NULL, CH_FAILURE_CONFIG, "/auth",
	 "the server asks for a password: use password authentication"},
	{"role \"", "does not exist", CH_FAILURE_CONFIG, "/user", "no such role"},
	{"database \"", "does not exist", CH_FAILURE_CONFIG, "/database", "no such database"},
	{"Temporary failure in name resolution", NULL, CH_FAILURE_TRANSIENT, "/host",
	 "the host name cannot be looked up now"},
	{"could not translate host name", NULL, CH_FAILURE_CONFIG, "/host", "unknown host name"},
	{"no pg_hba.conf entry", NULL, CH_FAILURE_CONFIG, NULL,
	 "the server does not accept this user and database from this host"},
	{"does not support SSL", NULL, CH_FAILURE_CONFIG, "/sslmode",
	 "the server does not support SSL"},
	{"certificate", NULL, CH_FAILURE_CONFIG, "/sslmode",
	 "the server's certificate cannot be verified"},
	{"Connection refused", NULL, CH_FAILURE_TRANSIENT, "/port",
	 "nothing accepts connections at this host and port"},
	{"No such file or directory", NULL, CH_FAILURE_TRANSIENT, "/port",
	 "no server socket at this directory and port"},
	{"timeout expired", NULL, CH_FAILURE_TRANSIENT, "/host",
	 "the server did not answer in time"},
	{"Connection timed out", NULL, CH_FAILURE_TRANSIENT, "/host",
	 "the server did not answer in time"},
	{"No route to host", NULL, CH_FAILURE_TRANSIENT, "/host", "the host cannot be reached"},
	{"Network is unreachable", NULL, CH_FAILURE_TRANSIENT, "/host",
	 "the host cannot be reached"},
	{"server closed the connection", NULL, CH_FAILURE_TRANSIENT, NULL,
	 "the server closed the connection"},
	{"Connection reset", NULL, CH_FAILURE_TRANSIENT, NULL, "the server reset the connection"},
	{"the database system is", NULL, CH_FAILURE_TRANSIENT, NULL,
	 "the server is starting up, shutting down or recovering"},
	{"too many clients", NULL, CH_FAILURE_TRANSIENT, NULL, "the server is full"},
	{"connection slots are reserved", NULL, CH_FAILURE_TRANSIENT, NULL, "the server is full"},
};

/* The test result of a failed connection or query, from libpq's
 * message @p reason (@p fallback when it says nothing). */
static json_object *pg_classify(const pg_config *cfg, const char *reason,
				const char *fallback)
{
	const pg_reason *r;
	size_t i;

	if (reason == NULL)
		reason = "";
	for (i = 0; i < CH_SDK_COUNT(pg_reasons); i++) {
		r = &pg_reasons[i];
		if (strstr(reason, r->needle) != NULL &&
		    (r->needle2 == NULL || strstr(reason, r->needle2) != NULL))
			return pg_failed(cfg, r->type, r->pointer, r->detail, reason);
	}
	return pg_failed(cfg, CH_FAILURE_SYSTEM, NULL, fallback, reason);
}

/* --- test -------------------------------------------------------------- */

/* How many connection parameters pg_params_make() may set, plus one. */
#define PG_PARAMS_MAX 12

/* libpq's connection parameters for a configuration; the values point
 * into the configuration and into the port and timeout buffers here. */
typedef struct pg_params {
	const char *keys[PG_PARAMS_MAX];
	const char *values[PG_PARAMS_MAX];
	char port[8];
	char timeout[8];
} pg_params;

static void pg_param(pg_params *p, size_t *n, const char *key, const char *value)
{
	if (value == NULL || *n + 1 >= PG_PARAMS_MAX)
		return;
	p->keys[*n] = key;
	p->values[*n] = value;
	(*n)++;
}

static void pg_params_make(const pg_config *cfg, pg_params *p)
{
	size_t n = 0;

	snprintf(p->port, sizeof(p->port), "%d", cfg->port);
	snprintf(p->timeout, sizeof(p->timeout), "%d", cfg->timeout_s);
	pg_param(p, &n, "host", cfg->host);
	pg_param(p, &n, "port", p->port);
	pg_param(p, &n, "dbname", cfg->database);
	pg_param(p, &n, "user", cfg->user);
	pg_param(p, &n, "password", cfg->password);
	pg_param(p, &n, "sslmode", cfg->sslmode);
	pg_param(p, &n, "connect_timeout", p->timeout);
	pg_param(p, &n, "application_name", "connhub");
	pg_param(p, &n, "client_encoding", "UTF8");
	p->keys[n] = NULL;
	p->values[n] = NULL;
}

/* Notices (warnings the server sends) are not errors of the test, and a
 * plugin must not print: drop them. */
static void pg_notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int64_t pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the query's answer has arrived or @p deadline passes.
 * Returns 0 when the answer is there, 1 on timeout, -1 on error. */
static int pg_wait(PGconn *conn, int64_t deadline)
{
	struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
	int64_t left;
	int n;

	while (PQisBusy(conn)) {
		left = deadline - pg_now_ms();
		if (left <= 0)
			return 1;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && !PQconsumeInput(conn))
			return -1;
	}
	return 0;
}

/*
 * Runs @p sql, waiting at most the connect timeout for the answer (a
 * server that accepted the connection can still hang). Returns its first
 * result (the caller PQclear()s it), or NULL with *res the failed test
 * result.
 */
static PGresult *pg_query(PGconn *conn, const pg_config *cfg, const char *sql,
			  json_object **res)
{
	int64_t deadline = pg_now_ms() + (int64_t)cfg->timeout_s * 1000;
	PGresult *result = NULL;
	PGresult *next;
	int waited = -1;

	*res = NULL;
	if (PQsendQuery(conn, sql)) {
		/* Read until PQgetResult() says the query is done; a single
		 * statement has one result. */
		for (;;) {
			waited = pg_wait(conn, deadline);
			next = waited == 0 ? PQgetResult(conn) : NULL;
			if (next == NULL)
				break;
			if (result == NULL)
				result = next;
			else
				PQclear(next);
		}
	}
	if (waited == 0 && PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
		return result;
	if (waited == 1)
		*res = pg_failed(cfg, CH_FAILURE_TRANSIENT, NULL,
				 "the server did not answer the query in time",
				 "the server did not answer SELECT version() within "
				 "connect_timeout_s");
	else
		*res = pg_classify(cfg, result != NULL ? PQresultErrorMessage(result)
						       : PQerrorMessage(conn),
				   "the query failed");
	PQclear(result);
	return NULL;
}

/* The connector's cached table list (a JSON array of "schema.table"
 * names; free() it), or NULL when none is cached. */
static char *pg_cached_tables(ch_call *call)
{
	const ch_host_api *api = ch_sdk_host();
	char *tables = NULL;

	if (api == NULL || api->cache_get == NULL ||
	    api->cache_get(call, PG_CACHE_TABLES, &tables) != CH_OK)
		return NULL;
	return tables;
}

/* Keeps the table list for the connector; the cache is only a help, so a
 * failure is logged and the test goes on. */
static void pg_cache_tables(ch_call *call, const char *tables)
{
	const ch_host_api *api = ch_sdk_host();

	if (api == NULL || api->cache_put == NULL)
		return;
	if (api->cache_put(call, PG_CACHE_TABLES, tables, PG_CACHE_TTL_MS) != CH_OK)
		ch_sdk_log(call, CH_LOG_WARN, "postgres: cannot cache the table list");
}

/* How many names the cached or listed JSON array @p tables holds. */
static size_t pg_table_count(const char *tables)
{
	json_object *list = json_tokener_parse(tables);
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	json_object_put(list);
	return n;
}

/* A new string formatted like printf, or NULL when memory ran out; the
 * caller frees it. */
static char *pg_format(const char *fmt, ...) CH_PRINTF(1, 2);

static char *pg_format(const char *fmt, ...)
{
	va_list ap;
	char *text;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	text = malloc((size_t)len + 1);
	if (text == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return text;
}

/* The table list: the cached one (*cached set), else listed from the
 * server and cached. NULL after a failed query, with *res its result. */
static char *pg_tables(ch_call *call, PGconn *conn, const pg_config *cfg, bool *cached,
		       json_object **res)
{
	PGresult *result;
	char *tables = pg_cached_tables(call);

	*cached = tables != NULL;
	if (tables != NULL)
		return tables;
	result = pg_query(conn, cfg,
			  "SELECT coalesce(json_agg(schemaname || '.' || tablename ORDER BY "
			  "schemaname, tablename), '[]')::text FROM pg_catalog.pg_tables WHERE "
			  "schemaname NOT IN ('pg_catalog', 'information_schema')",
			  res);
	if (result == NULL)
		return NULL;
	tables = strdup(PQgetvalue(result, 0, 0));
	PQclear(result);
	if (tables == NULL)
		*res = pg_failed(cfg, CH_FAILURE_SYSTEM, NULL, "out of memory", NULL);
	else
		pg_cache_tables(call, tables);
	return tables;
}

/* The successful result: the server's version and the number of tables.
 * The message is made whole, then cleaned, so no truncation can cut the
 * password in two before it is scrubbed. */
static json_object *pg_passed(ch_call *call, PGconn *conn, const pg_config *cfg)
{
	PGresult *result;
	json_object *res = NULL;
	char clean[PG_MSG_MAX];
	char *msg = NULL, *tables = NULL;
	bool cached = false;
	size_t n;

	result = pg_query(conn, cfg, "SELECT version()", &res);
	if (result == NULL)
		return res;
	tables = pg_tables(call, conn, cfg, &cached, &res);
	if (tables == NULL)
		goto out;
	n = pg_table_count(tables);
	msg = pg_format("connected to database \"%s\" on %s port %d as %s%s: %s; %zu table%s%s",
			cfg->database, cfg->host, cfg->port, PQuser(conn),
			PQsslInUse(conn) ? " over SSL" : "", PQgetvalue(result, 0, 0), n,
			n == 1 ? "" : "s", cached ? " (cached list; refresh lists them again)" : "");
	if (msg != NULL) {
		pg_clean(clean, sizeof(clean), msg, cfg->password);
		res = ch_sdk_test_result(true, NULL, clean);
	}
out:
	free(msg);
	free(tables);
	PQclear(result);
	return res;
}

/* Connects as configured and checks the server answers. Never NULL unless
 * memory ran out. */
static json_object *pg_check(ch_call *call, const pg_config *cfg)
{
	pg_params params;
	json_object *res;
	PGconn *conn;

	pg_params_make(cfg, &params);
	/* expand_dbname 0: the database name is a name, never a conninfo. */
	conn = PQconnectdbParams(params.keys, params.values, 0);
	if (conn == NULL)
		return pg_failed(cfg, CH_FAILURE_SYSTEM, NULL, "out of memory", NULL);
	if (PQstatus(conn) != CONNECTION_OK) {
		res = pg_classify(cfg, PQerrorMessage(conn), "cannot connect");
		goto out;
	}
	PQsetNoticeProcessor(conn, pg_notice_drop, NULL);
	res = pg_passed(call, conn, cfg);
out:
	PQfinish(conn);
	return res;
}

/* Judges the configuration: its problems, or what the server says. */
static int pg_check_config(ch_call *call, json_object *config, json_object **res)
{
	pg_config cfg;

	if (pg_config_read(config, &cfg, res) == CH_OK)
		*res = pg_check(call, &cfg);
	return CH_OK;
}

static int pg_test(ch_call *call, const char *in, char **out)
{
	return ch_sdk_test(call, in, out, pg_check_config);
}

/* --- descriptor -------------------------------------------------------- */

static const ch_type_desc pg_type = {
	CH_TYPE_HEADER,
	.id = "postgres",
	.name = "PostgreSQL",
	.version = PG_VERSION,
	.vendor = "connhub",
	.description = "A PostgreSQL database server, reached over TCP or a Unix "
		       "socket with libpq. The connector logs in with a user name "
		       "and password or by trust, with the SSL mode you choose, "
		       "and its test connects, runs SELECT version() and counts "
		       "the tables, telling a wrong password, role, database or "
		       "host apart from a server that is down.",
	.image_url = "https://www.postgresql.org/media/img/about/press/elephant.png",
	.website_url = "https://www.postgresql.org/",
	.categories = pg_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = pg_config_schema,
	.setup = pg_setup,
	.test = pg_test,
	.refresh = ch_sdk_refresh_cache,
};

CH_PLUGIN_DEFINE("postgres", PG_VERSION, &pg_type)
