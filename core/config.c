#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <connhub/plugin.h>

#include "http/listen.h"
#include "log.h"

#ifndef CH_DEFAULT_PLUGINS_DIR
#define CH_DEFAULT_PLUGINS_DIR "/usr/local/lib/connhub/plugins"
#endif

/* Below these a runner can hardly load a plugin, let alone run it: the
 * libraries it maps take about 16 MB of address space, and stdio, its
 * channel and a database with its journal and WAL are already 7 files. */
#define CH_PLUGIN_MEMORY_MIN_MB 32
#define CH_PLUGIN_FILES_MIN 16

typedef enum { OPT_STR, OPT_LISTEN, OPT_UINT, OPT_SIZE, OPT_LEVEL, OPT_OP_MS } opt_kind;

typedef struct option {
	const char *name; /* --name, the config file key */
	const char *env;  /* environment override */
	opt_kind kind;
	size_t offset;
	size_t size;                 /* of a string field */
	unsigned long long min, max; /* of a number */
	int zero_ok;                 /* 0 is accepted below min ("none", "inherit") */
	const char *help;
} option;

#define STR(f) OPT_STR, offsetof(ch_config, f), sizeof(((ch_config *)0)->f), 0, 0, 0
#define UINT(f, min, max) OPT_UINT, offsetof(ch_config, f), 0, (min), (max), 0
#define UINT0(f, min, max) OPT_UINT, offsetof(ch_config, f), 0, (min), (max), 1

static const option options[] = {
	{"listen", "CONNHUB_LISTEN", OPT_LISTEN, offsetof(ch_config, listen),
	 sizeof(((ch_config *)0)->listen), 0, 0, 0,
	 "address and port to serve on, HOST:PORT or [V6]:PORT (port 0 picks a free one)"},
	{"data-dir", "CONNHUB_DATA_DIR", STR(data_dir), "directory of the database and keys (created if missing)"},
	{"plugins-dir", "CONNHUB_PLUGINS_DIR", STR(plugins_dir), "directory scanned for plugin *.so files"},
	{"key-file", "CONNHUB_KEY_FILE", STR(key_file), "master key file (mode 0600, created if missing; default DATA-DIR/master.key); CONNHUB_MASTER_KEY=KID:BASE64 gives the key instead"},
	{"threads", "CONNHUB_THREADS", UINT(threads, 1, 256), "HTTP worker threads (1-256)"},
	{"workers", "CONNHUB_WORKERS", UINT(workers, 1, 1024), "threads for requests that call plugins (test, refresh, setup, rescan) or write, so a slow plugin never holds an HTTP thread and concurrent writes can share a commit (1-1024)"},
	{"max-connections", "CONNHUB_MAX_CONNECTIONS", UINT(conn_limit, 1, 1000000), "open connections in all (at least 1)"},
	{"max-connections-per-ip", "CONNHUB_MAX_CONNECTIONS_PER_IP", UINT(per_ip_limit, 0, 1000000), "open connections per client address (0: no limit)"},
	{"connection-timeout", "CONNHUB_CONNECTION_TIMEOUT", UINT(timeout_s, 0, 86400), "seconds an idle connection is kept (0: no limit)"},
	{"shutdown-timeout", "CONNHUB_SHUTDOWN_TIMEOUT", UINT(shutdown_s, 0, 3600), "seconds requests in flight get to finish on SIGTERM (0: none)"},
	{"max-body", "CONNHUB_MAX_BODY", OPT_SIZE, offsetof(ch_config, body_limit), 0, 1, 1ULL << 30, 0, "largest request body in bytes (1 to 1073741824)"},
	{"plugin-isolation", "CONNHUB_PLUGIN_ISOLATION", STR(plugin_isolation), "process (each plugin in supervised runner processes) or none (in the host: trusted plugins, benchmarks)"},
	{"plugin-runners", "CONNHUB_PLUGIN_RUNNERS", UINT(plugin_runners, 1, 16), "runner processes per plugin file (1-16)"},
	{"plugin-queue", "CONNHUB_PLUGIN_QUEUE", UINT(plugin_queue, 0, 100000), "calls that may wait for a busy plugin's runner; beyond, 503 with Retry-After"},
	{"plugin-timeout-ms", "CONNHUB_PLUGIN_TIMEOUT_MS", UINT(plugin_timeout_ms, 1, 3600000), "deadline of a plugin operation (setup, test, ...)"},
	{"plugin-op-timeout-ms", "CONNHUB_PLUGIN_OP_TIMEOUT_MS", OPT_OP_MS, offsetof(ch_config, plugin_op_timeout_ms), 0, 1, 3600000, 0, "deadlines of single operations, overriding --plugin-timeout-ms for them: OP=MS,... e.g. test=30000,setup=30000,refresh=10000"},
	{"plugin-load-timeout-ms", "CONNHUB_PLUGIN_LOAD_TIMEOUT_MS", UINT(plugin_load_timeout_ms, 1, 600000), "deadline of loading a plugin and reading its metadata"},
	{"plugin-memory-mb", "CONNHUB_PLUGIN_MEMORY_MB", UINT0(plugin_memory_mb, CH_PLUGIN_MEMORY_MIN_MB, 1048576), "address-space limit of a runner (0: none)"},
	{"plugin-cpu-s", "CONNHUB_PLUGIN_CPU_S", UINT(plugin_cpu_s, 0, 86400), "CPU seconds one plugin call may use (0: no limit)"},
	{"plugin-files", "CONNHUB_PLUGIN_FILES", UINT0(plugin_files, CH_PLUGIN_FILES_MIN, 1048576), "open-file limit of a runner (0: inherit)"},
	{"quarantine-crashes", "CONNHUB_QUARANTINE_CRASHES", UINT(quarantine_crashes, 0, 1000), "crashes within the window that quarantine a plugin (0: never)"},
	{"quarantine-window-s", "CONNHUB_QUARANTINE_WINDOW_S", UINT(quarantine_window_s, 1, 604800), "the quarantine window in seconds"},
	{"log-level", "CONNHUB_LOG_LEVEL", OPT_LEVEL, offsetof(ch_config, log_level), 0, 0, 0, 0, "error, warn, info or debug"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

void ch_config_defaults(ch_config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8080");
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "connhub-data");
	snprintf(cfg->plugins_dir, sizeof(cfg->plugins_dir), "%s", CH_DEFAULT_PLUGINS_DIR);
	cfg->threads = cpus > 2 ? (unsigned)cpus : 2;
	cfg->workers = 16;
	cfg->conn_limit = 1024;
	cfg->per_ip_limit = 256;
	cfg->timeout_s = 30;
	cfg->shutdown_s = 10;
	cfg->body_limit = 1024 * 1024;
	cfg->log_level = CH_LOG_INFO;
	snprintf(cfg->plugin_isolation, sizeof(cfg->plugin_isolation), "process");
	cfg->plugin_runners = 2;
	cfg->plugin_queue = 16;
	cfg->plugin_timeout_ms = 30000;
	cfg->plugin_load_timeout_ms = 5000;
	cfg->plugin_memory_mb = 512;
	cfg->plugin_cpu_s = 30;
	cfg->plugin_files = 256;
	cfg->quarantine_crashes = 3;
	cfg->quarantine_window_s = 600;
}

static const option *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) CH_PRINTF(3, 4);

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CH_E_INVALID;
}

static int parse_number(const char *v, const option *o, unsigned long long *out)
{
	char *end = NULL;

	if (!v || *v < '0' || *v > '9')
		return CH_E_INVALID;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || *out > o->max)
		return CH_E_INVALID;
	return *out >= o->min || (*out == 0 && o->zero_ok) ? CH_OK : CH_E_INVALID;
}

static int bad_number(const option *o, const char *label, char *err, size_t errlen)
{
	if (o->zero_ok)
		return fail(err, errlen, "%s must be 0 or a whole number from %llu to %llu", label,
			    o->min, o->max);
	return fail(err, errlen, "%s must be a whole number from %llu to %llu", label, o->min,
		    o->max);
}

static int set_text(char *field, const option *o, const char *v, const char *label, char *err,
		    size_t errlen)
{
	char why[128];

	if (!v || !*v || strlen(v) >= o->size)
		return fail(err, errlen, "%s must be a non-empty string shorter than %zu bytes",
			    label, o->size);
	if (o->kind == OPT_LISTEN && ch_listen_parse(v, NULL, 0, NULL, why, sizeof(why)) != CH_OK)
		return fail(err, errlen, "%s \"%s\" %s", label, v, why);
	memcpy(field, v, strlen(v) + 1);
	return CH_OK;
}

/* Parses "test=30000,refresh=10000" into one deadline per ch_op (0 for the
 * operations it does not name); a later source replaces the whole list. */
static int parse_op_ms(unsigned *ms, const option *o, const char *v, const char *label,
		       char *err, size_t errlen)
{
	unsigned parsed[CH_OP_COUNT] = {0};
	unsigned long long n;
	char name[32], num[32];

	for (const char *p = v ? v : "";; p++) {
		size_t len = strcspn(p, ","), eq = strcspn(p, "=");
		int op;

		if (eq >= len || eq >= sizeof(name) || len - eq > sizeof(num))
			return fail(err, errlen, "%s must be OP=MS pairs separated by commas, "
				    "e.g. test=30000,refresh=10000", label);
		snprintf(name, sizeof(name), "%.*s", (int)eq, p);
		snprintf(num, sizeof(num), "%.*s", (int)(len - eq - 1), p + eq + 1);
		op = ch_op_parse(name);
		if (op < 0)
			return fail(err, errlen, "%s: unknown operation \"%s\"", label, name);
		if (parse_number(num, o, &n) != CH_OK)
			return fail(err, errlen, "%s: %s must be a whole number of milliseconds "
				    "from 1 to %llu", label, name, o->max);
		parsed[op] = (unsigned)n;
		p += len;
		if (*p == '\0')
			break;
	}
	memcpy(ms, parsed, sizeof(parsed));
	return CH_OK;
}

/* Sets one option from text; @p src names where it came from. */

/* Sets one option from text; @p label names it as its source spells it
 * ("--threads", "CONNHUB_THREADS", "config FILE: threads"). */
static int set_option(ch_config *cfg, const option *o, const char *v, const char *label, char *err,
		      size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	unsigned long long n = 0;
	int level;

	switch (o->kind) {
	case OPT_STR:
	case OPT_LISTEN:
		return set_text(field, o, v, label, err, errlen);
	case OPT_UINT:
	case OPT_SIZE:
		if (parse_number(v, o, &n) != CH_OK)
			return bad_number(o, label, err, errlen);
		if (o->kind == OPT_UINT)
			*(unsigned *)(void *)field = (unsigned)n;
		else
			*(size_t *)(void *)field = (size_t)n;
		return CH_OK;
	case OPT_OP_MS:
		return parse_op_ms((unsigned *)(void *)field, o, v, label, err, errlen);
	case OPT_LEVEL:
		level = ch_log_level_parse(v);
		if (level < 0)
			return fail(err, errlen, "%s must be error, warn, info or debug", label);
		*(int *)(void *)field = level;
		return CH_OK;
	}
	return CH_E_INVALID;
}

/* The text of a config-file value: strings as they are, numbers printed. */
static const char *value_text(json_object *v)
{
	if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int))
		return json_object_get_string(v);
	return NULL;
}

static int load_file(ch_config *cfg, const char *path, char *err, size_t errlen)
{
	char src[CH_PATH_MAX + 16], label[CH_PATH_MAX + 80];
	json_object *doc = json_object_from_file(path);
	int rc = CH_OK;

	snprintf(src, sizeof(src), "config %s", path);
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return fail(err, errlen, "%s: not a JSON object (%s)", src, json_util_get_last_err());
	}
	json_object_object_foreach(doc, key, val)
	{
		const option *o = find_option(key, strlen(key));

		if (!o) {
			rc = fail(err, errlen, "%s: unknown setting \"%s\"", src, key);
			break;
		}
		snprintf(label, sizeof(label), "%s: %s", src, key);
		rc = set_option(cfg, o, value_text(val), label, err, errlen);
		if (rc != CH_OK)
			break;
	}
	json_object_put(doc);
	return rc;
}

static int load_env(ch_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const char *v = getenv(options[i].env);
		int rc;

		if (!v)
			continue;
		rc = set_option(cfg, &options[i], v, options[i].env, err, errlen);
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

/* Splits "--name=value" / "--name value"; advances *i past what it used. */
static int next_arg(int argc, char **argv, int *i, const char **name, size_t *namelen,
		    const char **value)
{
	const char *a = argv[*i], *eq;

	if (strncmp(a, "--", 2) != 0)
		return CH_E_INVALID;
	*name = a + 2;
	eq = strchr(*name, '=');
	if (eq) {
		*namelen = (size_t)(eq - *name);
		*value = eq + 1;
	} else {
		*namelen = strlen(*name);
		*value = *i + 1 < argc ? argv[++*i] : NULL;
	}
	(*i)++;
	return CH_OK;
}

static int is_config_flag(const char *name, size_t len)
{
	return len == 6 && strncmp(name, "config", 6) == 0;
}

static int walk_args(ch_config *cfg, int argc, char **argv, int config_only, char *err,
		     size_t errlen)
{
	const char *name, *value;
	char label[80];
	size_t len;
	int i = 0, rc;

	while (i < argc) {
		if (next_arg(argc, argv, &i, &name, &len, &value) != CH_OK)
			return fail(err, errlen, "unexpected argument \"%s\"", argv[i]);
		if (!value)
			return fail(err, errlen, "--%.*s needs a value", (int)len, name);
		if (is_config_flag(name, len)) {
			if (config_only)
				snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", value);
			continue;
		}
		if (config_only)
			continue;
		if (!find_option(name, len))
			return fail(err, errlen, "unknown option --%.*s (see --help)", (int)len, name);
		snprintf(label, sizeof(label), "--%.*s", (int)len, name);
		rc = set_option(cfg, find_option(name, len), value, label, err, errlen);
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

int ch_config_load(ch_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	const char *env_file = getenv("CONNHUB_CONFIG");
	int rc;

	if (env_file)
		snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", env_file);
	rc = walk_args(cfg, argc, argv, 1, err, errlen);
	if (rc == CH_OK && cfg->config_file[0])
		rc = load_file(cfg, cfg->config_file, err, errlen);
	if (rc == CH_OK)
		rc = load_env(cfg, err, errlen);
	if (rc == CH_OK)
		rc = walk_args(cfg, argc, argv, 0, err, errlen);
	if (rc == CH_OK && strcmp(cfg->plugin_isolation, "process") != 0 &&
	    strcmp(cfg->plugin_isolation, "none") != 0)
		rc = fail(err, errlen, "plugin-isolation must be process or none");
	if (rc == CH_OK && !cfg->key_file[0] &&
	    snprintf(cfg->key_file, sizeof(cfg->key_file), "%s/master.key", cfg->data_dir) >=
		    (int)sizeof(cfg->key_file))
		rc = fail(err, errlen, "data-dir is too long");
	return rc;
}

void ch_config_usage(FILE *out)
{
	ch_config d;

	ch_config_defaults(&d);
	fprintf(out, "  --config FILE  (CONNHUB_CONFIG)\n"
		     "      JSON file of settings named like the options below, e.g.\n"
		     "      {\"listen\": \"127.0.0.1:9000\", \"threads\": 4}\n");
	for (size_t i = 0; i < NOPTIONS; i++)
		fprintf(out, "  --%s VALUE  (%s)\n      %s\n", options[i].name, options[i].env,
			options[i].help);
	fprintf(out, "\nDefaults: --listen %s --data-dir %s --plugins-dir %s --threads %u --workers 16\n"
		     "  --max-connections %u --max-connections-per-ip %u --connection-timeout %u\n"
		     "  --shutdown-timeout %u --max-body %zu --log-level info\n"
		     "  --plugin-isolation process --plugin-runners 2 --plugin-queue 16\n"
		     "  --plugin-timeout-ms 30000 (for each operation --plugin-op-timeout-ms\n"
		     "  does not name) --plugin-load-timeout-ms 5000\n"
		     "  --plugin-memory-mb 512 --plugin-cpu-s 30 --plugin-files 256\n"
		     "  --quarantine-crashes 3 --quarantine-window-s 600\n",
		d.listen, d.data_dir, d.plugins_dir, d.threads, d.conn_limit, d.per_ip_limit,
		d.timeout_s, d.shutdown_s, d.body_limit);
}
