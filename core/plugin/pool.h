/*
 * The host side of plugin isolation: a pool of runner processes per plugin
 * file, started with posix_spawn of the connhub binary in runner mode, with
 * a deadline on every call, crash detection, and quarantine of a plugin
 * that keeps crashing.
 */
#ifndef CH_PLUGIN_POOL_H
#define CH_PLUGIN_POOL_H

#include <json-c/json.h>

#include "loader.h"

typedef struct ch_pool ch_pool;

/**
 * Starts a runner for @p path and has it load the plugin (within the load
 * deadline). The runner stays as the pool's first.
 * @param[out] wire    the manifest the runner sent.
 * @param[out] reason  why the file was rejected: the plugin's own checks,
 *                     "crashed with SIGSEGV during load", "did not answer
 *                     within 5 s".
 */
int ch_pool_open(ch_pool **out, const char *path, const ch_plugin_opts *opts, json_object **wire,
		 char **reason);

/** Stops every runner (SIGKILL) and reaps it. NULL is a no-op. */
void ch_pool_close(ch_pool *pool);

/** One call in a free runner (see ch_plugin_call for the codes). */
int ch_pool_call(ch_pool *pool, const char *type, const char *version, ch_op op,
		 const char *connector, const char *input, char **output, char **message);

/** {runners: [{pid, state, calls}], calls, crashes, last_crash, quarantined}. */
json_object *ch_pool_status(ch_pool *pool);

/** Forgets every file's crash record (at shutdown). */
void ch_pool_forget_all(void);

/** Lifts the quarantine and forgets the crashes. */
int ch_pool_reset(ch_pool *pool);

#endif /* CH_PLUGIN_POOL_H */
