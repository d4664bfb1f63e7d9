/*
 * What the tests of the bundled plugins that talk to real servers share:
 * loading a plugin with dlopen() and a fake host, running its operations,
 * and reading and asserting their JSON output.
 */
#ifndef CH_TEST_PLUGIN_HARNESS_H
#define CH_TEST_PLUGIN_HARNESS_H

#include <stdbool.h>

#include <json-c/json.h>

#include <connhub/plugin.h>

#include "fake_host.h"

/* A loaded plugin and its one type. */
typedef struct ph_plugin {
	void *handle;
	const ch_plugin_desc *desc;
	const ch_type_desc *type;
} ph_plugin;

/* The call of the last ph_run(). */
extern ch_call ph_call;

/* dlopen()s the plugin at @p path, calls its entry with a copy of
 * fake_host_api whose cache_put keeps what it is given (see ph_cached()),
 * and asserts it gives one type. Resets the fake host and the cache. */
void ph_open(ph_plugin *p, const char *path);

/* dlclose()s it. */
void ph_close(ph_plugin *p);

/* Runs @p op on @p input in ph_call; returns its status and, on CH_OK,
 * *out the parsed output (the caller json_object_put()s it). */
int ph_run(ch_op_fn op, const char *input, json_object **out);

/* Runs setup with "step" @p step (NULL: null) and the answers @p answers
 * (JSON object text); asserts CH_OK and returns the step. */
json_object *ph_setup(ch_op_fn setup, const char *step, const char *answers);

/* Runs test on {"connector":{},"config":<config>}; asserts CH_OK and
 * returns the result. */
json_object *ph_test(ch_op_fn test, const char *config);

/* The value at a dotted path of keys, "schema.properties.port"; NULL
 * when absent. Borrowed. */
json_object *ph_get(json_object *o, const char *path);

/* Compact JSON text of @p o, valid until @p o changes. */
const char *ph_str(json_object *o);

/* The string at @p path, or "" when absent. */
const char *ph_text(json_object *o, const char *path);

/* Asserts a step: its id, its form's keys in order ("host,port"), and
 * its flags. */
void ph_assert_step(json_object *step, const char *id, const char *keys, bool has_next,
		    bool can_finish);

/* Asserts a valid test result whose message contains @p words. */
void ph_assert_valid(json_object *res, const char *words);

/* Asserts a failed test result of @p kind whose first error is at
 * @p pointer (NULL: no errors) and whose message contains @p words. */
void ph_assert_failed(json_object *res, const char *kind, const char *pointer,
		      const char *words);

/* Asserts @p secret appears nowhere in @p res nor in the last log line. */
void ph_assert_no_secret(json_object *res, const char *secret);

/* What the host's cache_put last stored under @p key (a copy in a
 * thread's static buffer), or NULL; and how many times cache_put ran. The
 * cache answers cache_get with what put stored, and cache_clear empties
 * it. */
const char *ph_cached(const char *key);
int ph_cache_puts(void);

#endif /* CH_TEST_PLUGIN_HARNESS_H */
