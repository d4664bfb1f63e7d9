/* Shared by the tests of plugins that talk to real servers; see
 * plugin_harness.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "plugin_harness.h"

ch_call ph_call;

/* --- a host whose cache remembers ---------------------------------------- */

#define PH_CACHE_SLOTS 8

typedef struct ph_slot {
	char key[64];
	char value[1024];
} ph_slot;

static pthread_mutex_t ph_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static ph_slot ph_cache[PH_CACHE_SLOTS];
static int ph_puts;

static int ph_cache_put(ch_call *call, const char *key, const char *value, int64_t ttl_ms)
{
	int i;

	(void)call;
	(void)ttl_ms;
	pthread_mutex_lock(&ph_cache_lock);
	ph_puts++;
	for (i = 0; i < PH_CACHE_SLOTS; i++) {
		if (ph_cache[i].key[0] == '\0' || strcmp(ph_cache[i].key, key) == 0)
			break;
	}
	if (i < PH_CACHE_SLOTS) {
		snprintf(ph_cache[i].key, sizeof(ph_cache[i].key), "%s", key);
		snprintf(ph_cache[i].value, sizeof(ph_cache[i].value), "%s", value);
	}
	pthread_mutex_unlock(&ph_cache_lock);
	return CH_OK;
}

const char *ph_cached(const char *key)
{
	static _Thread_local char value[1024];
	const char *found = NULL;
	int i;

	pthread_mutex_lock(&ph_cache_lock);
	for (i = 0; i < PH_CACHE_SLOTS && found == NULL; i++) {
		if (strcmp(ph_cache[i].key, key) == 0) {
			snprintf(value, sizeof(value), "%s", ph_cache[i].value);
			found = value;
		}
	}
	pthread_mutex_unlock(&ph_cache_lock);
	return found;
}

/* Like the host's: a copy (host-allocated) of what put stored. */
static int ph_cache_get(ch_call *call, const char *key, char **value_out)
{
	const char *value = ph_cached(key);

	(void)call;
	*value_out = NULL;
	if (value == NULL)
		return CH_E_NOTFOUND;
	*value_out = fake_host_api.alloc(strlen(value) + 1);
	if (*value_out == NULL)
		return CH_E_NOMEM;
	memcpy(*value_out, value, strlen(value) + 1);
	return CH_OK;
}

/* Forgets what put stored, and counts the clear as the fake host does. */
static int ph_cache_clear(ch_call *call)
{
	int rc = fake_host_api.cache_clear(call);

	if (rc == CH_OK) {
		pthread_mutex_lock(&ph_cache_lock);
		memset(ph_cache, 0, sizeof(ph_cache));
		pthread_mutex_unlock(&ph_cache_lock);
	}
	return rc;
}

int ph_cache_puts(void)
{
	int n;

	pthread_mutex_lock(&ph_cache_lock);
	n = ph_puts;
	pthread_mutex_unlock(&ph_cache_lock);
	return n;
}

static void ph_cache_reset(void)
{
	pthread_mutex_lock(&ph_cache_lock);
	memset(ph_cache, 0, sizeof(ph_cache));
	ph_puts = 0;
	pthread_mutex_unlock(&ph_cache_lock);
}

/* fake_host_api with ph_cache_put; filled by ph_open(). */
static ch_host_api ph_api;

/* --- loading ------------------------------------------------------------ */

void ph_open(ph_plugin *p, const char *path)
{
	ch_plugin_entry_fn entry;
	void *sym;

	fake_host_reset();
	fake_call_init(&ph_call);
	ph_cache_reset();
	ph_api = fake_host_api;
	ph_api.cache_put = ph_cache_put;
	ph_api.cache_get = ph_cache_get;
	ph_api.cache_clear = ph_cache_clear;
	memset(p, 0, sizeof(*p));
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(p->handle != NULL, "dlopen: %s", dlerror());
	sym = dlsym(p->handle, CH_PLUGIN_ENTRY_SYMBOL);
	ck_assert_ptr_nonnull(sym);
	memcpy(&entry, &sym, sizeof(entry)); /* object to function pointer */
	p->desc = entry(&ph_api);
	ck_assert_ptr_nonnull(p->desc);
	ck_assert_ptr_nonnull(p->desc->types[0]);
	ck_assert_ptr_null(p->desc->types[1]);
	p->type = p->desc->types[0];
}

void ph_close(ph_plugin *p)
{
	if (p->handle != NULL)
		dlclose(p->handle);
	memset(p, 0, sizeof(*p));
}

/* --- running operations -------------------------------------------------- */

int ph_run(ch_op_fn op, const char *input, json_object **out)
{
	char *text = NULL;
	int rc;

	ck_assert_ptr_nonnull(op);
	fake_call_init(&ph_call);
	rc = op(&ph_call, input, &text);
	*out = NULL;
	if (rc == CH_OK) {
		ck_assert_ptr_nonnull(text);
		*out = json_tokener_parse(text);
		ck_assert_msg(*out != NULL, "output is not JSON: %s", text);
	} else {
		ck_assert_ptr_null(text);
		ck_assert_int_eq(ph_call.code, rc);
	}
	fake_host_api.free(text);
	return rc;
}

json_object *ph_setup(ch_op_fn setup, const char *step, const char *answers)
{
	json_object *out = NULL;
	size_t size = strlen(answers) + (step != NULL ? strlen(step) : 0) + 64;
	char *input = malloc(size);

	ck_assert_ptr_nonnull(input);
	if (step != NULL)
		snprintf(input, size, "{\"connector\":{},\"step\":\"%s\",\"answers\":%s}", step,
			 answers);
	else
		snprintf(input, size, "{\"connector\":{},\"step\":null,\"answers\":%s}", answers);
	ck_assert_msg(ph_run(setup, input, &out) == CH_OK, "setup %s: %s", input,
		      ph_call.message);
	free(input);
	return out;
}

json_object *ph_test(ch_op_fn test, const char *config)
{
	json_object *out = NULL;
	size_t size = strlen(config) + 64;
	char *input = malloc(size);

	ck_assert_ptr_nonnull(input);
	snprintf(input, size, "{\"connector\":{},\"config\":%s}", config);
	ck_assert_msg(ph_run(test, input, &out) == CH_OK, "test %s: %s", config,
		      ph_call.message);
	free(input);
	return out;
}

/* --- reading JSON -------------------------------------------------------- */

json_object *ph_get(json_object *o, const char *path)
{
	char key[128];
	const char *dot;
	size_t len;

	while (o != NULL && path[0] != '\0') {
		dot = strchr(path, '.');
		len = dot != NULL ? (size_t)(dot - path) : strlen(path);
		ck_assert_uint_lt(len, sizeof(key));
		memcpy(key, path, len);
		key[len] = '\0';
		o = json_object_object_get(o, key);
		path += len + (dot != NULL ? 1 : 0);
	}
	return o;
}

const char *ph_str(json_object *o)
{
	return json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

const char *ph_text(json_object *o, const char *path)
{
	const char *s = json_object_get_string(ph_get(o, path));

	return s != NULL ? s : "";
}

/* --- assertions ---------------------------------------------------------- */

void ph_assert_step(json_object *step, const char *id, const char *keys, bool has_next,
		    bool can_finish)
{
	json_object *form = ph_get(step, "form");
	char got[512] = "";
	size_t i, n = json_object_array_length(form);

	ck_assert_msg(strcmp(ph_text(step, "id"), id) == 0, "step %s, not %s: %s",
		      ph_text(step, "id"), id, ph_str(step));
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(got, ",", sizeof(got) - strlen(got) - 1);
		strncat(got, ph_text(json_object_array_get_idx(form, i), "key"),
			sizeof(got) - strlen(got) - 1);
	}
	ck_assert_str_eq(got, keys);
	ck_assert_int_eq(json_object_get_boolean(ph_get(step, "hasNext")), has_next);
	ck_assert_int_eq(json_object_get_boolean(ph_get(step, "canFinish")), can_finish);
}

void ph_assert_valid(json_object *res, const char *words)
{
	ck_assert_msg(json_object_get_boolean(ph_get(res, "valid")), "not valid: %s",
		      ph_str(res));
	ck_assert_str_eq(ph_str(ph_get(res, "failure_type")), "null");
	ck_assert_str_eq(ph_str(ph_get(res, "errors")), "[]");
	ck_assert_msg(strstr(ph_text(res, "message"), words) != NULL, "no \"%s\" in %s", words,
		      ph_str(res));
}

void ph_assert_failed(json_object *res, const char *kind, const char *pointer,
		      const char *words)
{
	json_object *errors = ph_get(res, "errors");

	ck_assert_msg(json_object_is_type(ph_get(res, "valid"), json_type_boolean) &&
		      !json_object_get_boolean(ph_get(res, "valid")), "valid: %s", ph_str(res));
	ck_assert_msg(strcmp(ph_text(res, "failure_type"), kind) == 0, "not %s: %s", kind,
		      ph_str(res));
	if (pointer == NULL) {
		ck_assert_msg(json_object_array_length(errors) == 0, "errors: %s", ph_str(res));
	} else {
		ck_assert_msg(json_object_array_length(errors) > 0 &&
			      strcmp(ph_text(json_object_array_get_idx(errors, 0), "pointer"),
				     pointer) == 0, "not at %s: %s", pointer, ph_str(res));
	}
	ck_assert_msg(strstr(ph_text(res, "message"), words) != NULL, "no \"%s\" in %s", words,
		      ph_str(res));
}

void ph_assert_no_secret(json_object *res, const char *secret)
{
	ck_assert_msg(strstr(ph_str(res), secret) == NULL, "secret in %s", ph_str(res));
	ck_assert_msg(strstr(fake_log_message, secret) == NULL, "secret logged: %s",
		      fake_log_message);
}
