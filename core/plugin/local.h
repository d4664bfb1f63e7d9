/*
 * A plugin file loaded into this process: dlopen, the entry symbol, and the
 * strict checks of its descriptor, giving the plugin's manifest as JSON
 * ("wire" form, the same the runner sends the host):
 *   {"plugin": {name, version, abi}, "types": [{id, name, version, vendor,
 *    description, imageURL, websiteURL, categories, license, capabilities,
 *    config_schema}, ...]}
 * Used by the host when isolation is off, and by runner processes.
 */
#ifndef CH_PLUGIN_LOCAL_H
#define CH_PLUGIN_LOCAL_H

#include <json-c/json.h>

#include <connhub/plugin.h>

#include "hostapi.h"
#include "loader.h"

typedef struct ch_local {
	void *handle;
	const ch_plugin_desc *desc;
} ch_local;

/**
 * Loads and checks @p path, calling its entry with @p api.
 * @param[out] wire    the manifest (new object) on CH_OK.
 * @param[out] reason  on failure, why (malloc'd).
 */
int ch_local_open(ch_local *l, const char *path, const ch_host_api *api, json_object **wire,
		  char **reason);

/**
 * The strict checks of a descriptor (ABI version and sizes, then every
 * field of every type), without loading anything: ch_local_open() runs
 * them on what the entry returned.
 * @param[out] wire    the manifest (new object, the caller's) on CH_OK.
 * @param[out] reason  on failure, why (malloc'd, the caller's).
 * @return CH_OK, CH_E_ABI, CH_E_INVALID or CH_E_NOMEM.
 */
int ch_local_check(const ch_plugin_desc *d, json_object **wire, char **reason);

/** dlcloses the plugin. */
void ch_local_close(ch_local *l);

/** The descriptor of type @p id at @p version, or NULL. */
const ch_type_desc *ch_local_type(const ch_local *l, const char *id, const char *version);

/**
 * Runs one operation. Output and message as ch_plugin_call(); @p call is
 * the context the plugin sees (its message collects error_set()).
 */
int ch_local_call(const ch_type_desc *t, ch_op op, ch_call *call, const char *input,
		  char **output, char **message);

#endif /* CH_PLUGIN_LOCAL_H */
