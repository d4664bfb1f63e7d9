/*
 * Loading one plugin file and calling its operations.
 *
 * This is the only place that touches a plugin's code: dlopen, the entry
 * symbol, the descriptor and the operation function pointers. Everything
 * above it sees a plugin as a manifest (JSON) plus ch_plugin_call(), so the
 * plugin isolation issue can move loading and calls into a runner process
 * by changing this module alone.
 */
#ifndef CH_PLUGIN_LOADER_H
#define CH_PLUGIN_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <connhub/plugin.h>

/** The operations a connector type may implement. Order is the API's. */
typedef enum ch_op {
	CH_OP_SETUP = 0,
	CH_OP_TEST,
	CH_OP_REFRESH,
	CH_OP_INSTALL,
	CH_OP_UPDATE,
	CH_OP_UNINSTALL,
	CH_OP_START,
	CH_OP_STOP,
	CH_OP_EXPORT,
	CH_OP_IMPORT,
	CH_OP_COUNT
} ch_op;

/** "setup", "test", ... ; NULL for an out-of-range value. */
const char *ch_op_name(ch_op op);

/** The ch_op named @p name, or -1. */
int ch_op_parse(const char *name);

/** Where plugin code runs. */
typedef enum ch_isolation {
	CH_ISOLATION_NONE = 0, /* in the host process (trusted plugins, benchmarks) */
	CH_ISOLATION_PROCESS   /* in supervised runner processes */
} ch_isolation;

/** How plugins are run; set once at start, before any load. */
typedef struct ch_plugin_opts {
	ch_isolation isolation;
	const char *runner_exe;     /* the connhub binary (runner mode) */
	unsigned runners;           /* runner processes per plugin file */
	unsigned queue;             /* calls that may wait for a runner */
	unsigned call_timeout_ms;   /* deadline of an operation */
	unsigned op_timeout_ms[CH_OP_COUNT]; /* per operation (0: call_timeout_ms) */
	unsigned load_timeout_ms;   /* deadline of loading (metadata) */
	unsigned memory_mb;         /* RLIMIT_AS of a runner (0: none) */
	unsigned cpu_s;             /* CPU seconds one call may use (0: none) */
	unsigned files;             /* RLIMIT_NOFILE of a runner (0: inherit) */
	unsigned quarantine_crashes;  /* crashes within the window that quarantine */
	unsigned quarantine_window_s;
} ch_plugin_opts;

/** Sets how plugins are run (copied). Defaults: in-process. */
void ch_plugin_configure(const ch_plugin_opts *opts);

/** The settings in force. */
const ch_plugin_opts *ch_plugin_options(void);

typedef struct ch_plugin ch_plugin; /* a loaded plugin file */
typedef struct ch_type ch_type;     /* one connector type of a plugin */

/**
 * Loads and validates one plugin file, in a runner process when isolation
 * is on (a plugin that crashes or hangs while loading is rejected saying so).
 * @param[out] out     the loaded plugin; ch_plugin_unload() it.
 * @param path         the file.
 * @param[out] reason  on failure, why the file was rejected (a sentence for
 *                     an operator), malloc'd, owned by the caller.
 * @return CH_OK; CH_E_ABI for an ABI mismatch; CH_E_INVALID for a file that
 *         is no plugin or carries bad metadata; CH_E_NOMEM.
 */
int ch_plugin_load(ch_plugin **out, const char *path, char **reason);

/** Unloads a plugin (dlclose). NULL is a no-op. */
void ch_plugin_unload(ch_plugin *plugin);

/** The file the plugin was loaded from. */
const char *ch_plugin_path(const ch_plugin *plugin);

/** {"name", "version", "abi"} of the plugin: a new copy the caller owns. */
json_object *ch_plugin_info(const ch_plugin *plugin);

/** The runners of an isolated plugin: {runners: [{pid, state, calls}],
 *  crashes, last_crash, quarantined}; NULL in-process. New object. */
json_object *ch_plugin_runtime(const ch_plugin *plugin);

/** Lifts a quarantine (the admin's reset). */
int ch_plugin_reset(const ch_plugin *plugin);

/** Number of types the plugin provides (at least 1). */
size_t ch_plugin_type_count(const ch_plugin *plugin);

/** The @p i-th type of the plugin. */
const ch_type *ch_plugin_type(const ch_plugin *plugin, size_t i);

/** The plugin a type belongs to. */
const ch_plugin *ch_type_plugin(const ch_type *type);

/** Type id and version (borrowed). */
const char *ch_type_id(const ch_type *type);
const char *ch_type_version(const ch_type *type);

/**
 * The type's manifest: {id, name, version, vendor, description, imageURL,
 * websiteURL, categories, license, capabilities, config_schema}. Borrowed
 * and shared between threads: read it, but never take a reference to it or
 * a member, nor serialise it (json-c's reference counts and print buffers
 * are not thread-safe); ch_type_manifest_copy() gives a private copy.
 */
json_object *ch_type_manifest(const ch_type *type);

/** A deep copy of the manifest, without "config_schema" unless
 *  @p with_schema. Owned by the caller; NULL when out of memory. */
json_object *ch_type_manifest_copy(const ch_type *type, int with_schema);

/** The type's compiled configuration schema. Borrowed. */
const struct ch_schema *ch_type_schema(const ch_type *type);

/** Whether the type implements @p op. */
int ch_type_has_op(const ch_type *type, ch_op op);

/**
 * Within the plugin module: sets *@p reason to a sentence (malloc'd, the
 * caller's) for a reason or message out-parameter.
 * @return @p code, or CH_E_NOMEM when the sentence cannot be made.
 */
int ch_plugin_reason(char **reason, int code, const char *fmt, ...) CH_PRINTF(3, 4);

/**
 * Calls one operation of a type.
 * @param connector_id  the connector the call is about (for the cache), or
 *                      NULL.
 * @param input         JSON text given to the plugin.
 * @param[out] output   on CH_OK, the plugin's JSON text (malloc'd, caller
 *                      frees); "{}" when the plugin returned none.
 * @param[out] message  on failure, the plugin's message (malloc'd, caller
 *                      frees).
 * @return CH_OK, the plugin's negative ch_status, CH_E_UNSUPPORTED when
 *         the type does not implement @p op; isolated: CH_E_TIMEOUT past the
 *         deadline (the runner is killed), CH_E_CRASHED when the runner died,
 *         CH_E_QUARANTINED when quarantined, CH_E_BUSY when too many calls
 *         wait, CH_E_UNAVAILABLE when a restarted runner cannot serve.
 */
int ch_plugin_call(const ch_type *type, ch_op op, const char *connector_id, const char *input,
		   char **output, char **message);

#endif /* CH_PLUGIN_LOADER_H */
