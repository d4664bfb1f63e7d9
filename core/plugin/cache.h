/*
 * The per-connector cache plugins use through the host API: string values
 * under string keys, with an optional time to live, bounded in size.
 */
#ifndef CH_PLUGIN_CACHE_H
#define CH_PLUGIN_CACHE_H

#include <stdint.h>

/** Most entries one connector may keep. */
#define CH_CACHE_MAX_ENTRIES 1024
/** Largest value, in bytes. */
#define CH_CACHE_MAX_VALUE (1024 * 1024)

/** Copy of the value (malloc'd) in *out, or CH_E_NOTFOUND. */
int ch_cache_get(const char *connector, const char *key, char **out);

/** Stores a copy; ttl_ms 0 keeps it until cleared. CH_E_TOO_LARGE when
 *  the value or the connector's entry count is over the bounds. */
int ch_cache_put(const char *connector, const char *key, const char *value, int64_t ttl_ms);

/** Drops every entry of one connector. */
int ch_cache_clear(const char *connector);

/** Drops everything (at shutdown). */
void ch_cache_reset(void);

#endif /* CH_PLUGIN_CACHE_H */
