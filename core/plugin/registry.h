/*
 * The registry: every plugin file found in the plugins directory, loaded or
 * rejected and why, and an index of the connector types they provide.
 *
 * A registry is immutable once scanned and reference counted; a rescan
 * builds a new one and swaps it into the slot, while requests still holding
 * the old one finish with it.
 */
#ifndef CH_PLUGIN_REGISTRY_H
#define CH_PLUGIN_REGISTRY_H

#include <pthread.h>
#include <stddef.h>

#include <json-c/json.h>

#include "loader.h"

typedef struct ch_registry ch_registry;

/**
 * Scans @p dir for "*.so" files in name order and loads each. A bad plugin
 * never fails the scan: it is listed as rejected with its reason. A missing
 * or unreadable directory gives an empty registry (and a warning).
 * @param[out] out  a registry with one reference.
 * @return CH_OK or CH_E_NOMEM.
 */
int ch_registry_scan(ch_registry **out, const char *dir);

/** Takes a reference. */
ch_registry *ch_registry_ref(ch_registry *reg);

/** Drops a reference; the last one unloads every plugin. NULL is a no-op. */
void ch_registry_unref(ch_registry *reg);

/** Every file found: [{path, status, reason, plugin, types:[{id,version}],
 *  runtime (runners, crashes, quarantine; null in-process)}].
 *  New array, owned by the caller. */
json_object *ch_registry_plugins_json(const ch_registry *reg);

/** The loaded plugin of file @p file ("x.so" or "x"), or NULL. */
const ch_plugin *ch_registry_plugin(const ch_registry *reg, const char *file);

/** How many files loaded and how many were rejected. */
void ch_registry_counts(const ch_registry *reg, size_t *loaded, size_t *rejected);

/** The type @p id at @p version, or its newest version when @p version is
 *  NULL; NULL when unknown. */
const ch_type *ch_registry_find(const ch_registry *reg, const char *id, const char *version);

/** The newest version of every type, ordered by id. Borrowed array. */
size_t ch_registry_latest(const ch_registry *reg, const ch_type *const **out);

/** Versions of type @p id, newest first (new array; empty when unknown). */
json_object *ch_registry_versions(const ch_registry *reg, const char *id);

/** The cache of answers made from this registry alone (the marketplace):
 *  they are good for as long as the registry, which frees them. */
struct ch_answers *ch_registry_answers(const ch_registry *reg);

/** A slot holding the current registry of one plugins directory. */
typedef struct ch_registry_slot {
	pthread_mutex_t lock;
	ch_registry *current;
	char *dir;
} ch_registry_slot;

/** Scans @p dir into a new slot. CH_OK or CH_E_NOMEM. */
int ch_registry_slot_init(ch_registry_slot *slot, const char *dir);

/** Unloads everything once the last holder lets go. */
void ch_registry_slot_destroy(ch_registry_slot *slot);

/** The current registry, with a reference the caller drops. */
ch_registry *ch_registry_slot_get(ch_registry_slot *slot);

/** Scans the directory again and makes the result current. */
int ch_registry_slot_rescan(ch_registry_slot *slot);

#endif /* CH_PLUGIN_REGISTRY_H */
