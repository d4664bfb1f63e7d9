#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <connhub/plugin.h>

#include "clock.h"

/*
 * { "<connector>": { "<key>": {"v": "<value>", "e": <expiry ms or 0>} } }
 * json-c objects are hash tables; one mutex guards them all, which is
 * plenty for a cache that plugins touch a few times per call.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static json_object *root;

static json_object *entries_of(const char *connector, int create)
{
	json_object *entries = NULL;

	if (!root) {
		if (!create)
			return NULL;
		root = json_object_new_object();
	}
	if (!json_object_object_get_ex(root, connector, &entries) && create) {
		entries = json_object_new_object();
		json_object_object_add(root, connector, entries);
	}
	return entries;
}

static int expired(json_object *entry)
{
	int64_t exp = json_object_get_int64(json_object_object_get(entry, "e"));

	return exp != 0 && ch_clock_mono_ms() >= exp;
}

int ch_cache_get(const char *connector, const char *key, char **out)
{
	json_object *entries, *entry = NULL;
	int rc = CH_E_NOTFOUND;

	*out = NULL;
	pthread_mutex_lock(&lock);
	entries = entries_of(connector, 0);
	if (!entries || !json_object_object_get_ex(entries, key, &entry))
		goto out;
	if (expired(entry)) {
		json_object_object_del(entries, key);
		goto out;
	}
	*out = strdup(json_object_get_string(json_object_object_get(entry, "v")));
	rc = *out ? CH_OK : CH_E_NOMEM;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

/* Drops expired entries once the connector is at its bound; returns how
 * many remain. */
static int prune(json_object *entries)
{
	struct json_object_iterator i, end;

	if (json_object_object_length(entries) < CH_CACHE_MAX_ENTRIES)
		return json_object_object_length(entries);
	i = json_object_iter_begin(entries);
	end = json_object_iter_end(entries);
	while (!json_object_iter_equal(&i, &end)) {
		const char *k = json_object_iter_peek_name(&i);
		json_object *e = json_object_iter_peek_value(&i);

		/* step first: deleting the entry behind the iterator is safe */
		json_object_iter_next(&i);
		if (expired(e))
			json_object_object_del(entries, k);
	}
	return json_object_object_length(entries);
}

int ch_cache_put(const char *connector, const char *key, const char *value, int64_t ttl_ms)
{
	json_object *entries, *entry;
	int rc = CH_OK;

	if (strlen(value) > CH_CACHE_MAX_VALUE)
		return CH_E_TOO_LARGE;
	pthread_mutex_lock(&lock);
	entries = entries_of(connector, 1);
	if (!json_object_object_get_ex(entries, key, NULL) && prune(entries) >= CH_CACHE_MAX_ENTRIES) {
		rc = CH_E_TOO_LARGE;
		goto out;
	}
	entry = json_object_new_object();
	json_object_object_add(entry, "v", json_object_new_string(value));
	json_object_object_add(entry, "e",
			       json_object_new_int64(ttl_ms > 0 ? ch_clock_mono_ms() + ttl_ms : 0));
	json_object_object_add(entries, key, entry);
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

int ch_cache_clear(const char *connector)
{
	pthread_mutex_lock(&lock);
	if (root)
		json_object_object_del(root, connector);
	pthread_mutex_unlock(&lock);
	return CH_OK;
}

void ch_cache_reset(void)
{
	pthread_mutex_lock(&lock);
	json_object_put(root);
	root = NULL;
	pthread_mutex_unlock(&lock);
}
