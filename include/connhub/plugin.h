/*
 * connhub plugin ABI, version 1.0.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * connhub_plugin_entry(). The host calls it once after dlopen() with its
 * services table and receives a descriptor of one or more connector types.
 * The host never looks up any other symbol.
 *
 * Rules of the boundary:
 *  - Only plain C types and NUL-terminated UTF-8 JSON text cross it. No
 *    json-c, SQLite or libmicrohttpd type is part of the ABI, so an operation
 *    can run in the host or in an isolated runner process unchanged.
 *  - Every versioned struct starts with its size (and the descriptor with the
 *    ABI version). Fields are only ever appended; the host reads a field only
 *    when struct_size says the plugin's struct has it.
 *  - The host rejects a plugin whose abi_major differs from CH_ABI_MAJOR or
 *    whose abi_minor is newer than the host's.
 *  - Memory handed from plugin to host (an operation's output) is allocated
 *    with ch_host_api.alloc; memory handed from host to plugin is borrowed
 *    and valid for the duration of the call only.
 *  - Plugins report errors through ch_host_api.error_set, never by printing
 *    to stdout/stderr or aborting.
 *
 * Plugin authors normally do not fill these structs by hand: include
 * <connhub/sdk.h>, start each ch_type_desc initialiser with CH_TYPE_HEADER
 * (it sets struct_size) and define the entry with CH_PLUGIN_DEFINE().
 */
#ifndef CONNHUB_PLUGIN_H
#define CONNHUB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI version this header describes. */
#define CH_ABI_MAJOR 1
#define CH_ABI_MINOR 0

/** Name of the one symbol a plugin exports. */
#define CH_PLUGIN_ENTRY_SYMBOL "connhub_plugin_entry"

/** Marks a symbol as exported from a plugin built with -fvisibility=hidden. */
#if defined(__GNUC__)
#define CH_EXPORT __attribute__((visibility("default")))
#else
#define CH_EXPORT
#endif

#if defined(__GNUC__)
#define CH_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CH_PRINTF(fmt, args)
#endif

/**
 * Status codes, shared by the host and plugins. Zero is success, errors are
 * negative. Codes are never renumbered; new ones are appended.
 */
typedef enum ch_status {
	CH_OK = 0,
	CH_E_GENERIC = -1,     /**< unclassified failure */
	CH_E_NOMEM = -2,       /**< out of memory */
	CH_E_INVALID = -3,     /**< input does not satisfy its contract */
	CH_E_NOTFOUND = -4,    /**< the thing asked for does not exist */
	CH_E_EXISTS = -5,      /**< the thing to create exists already */
	CH_E_UNSUPPORTED = -6, /**< the operation is not implemented */
	CH_E_CONFIG = -7,      /**< the connector's configuration is wrong
	                            (bad password, missing file): the user
	                            must change it */
	CH_E_TRANSIENT = -8,   /**< a temporary failure (network, busy): the
	                            same call may succeed later */
	CH_E_TIMEOUT = -9,     /**< a deadline passed */
	CH_E_IO = -10,         /**< an operating-system I/O failure */
	CH_E_CONFLICT = -11,   /**< the resource's state forbids the call */
	CH_E_ABI = -12,        /**< plugin and host disagree on the ABI */
	CH_E_TOO_LARGE = -13,  /**< input larger than allowed */
	CH_E_AUTH = -14,       /**< caller not authenticated */
	CH_E_FORBIDDEN = -15,  /**< caller authenticated but not allowed */
	CH_E_CRASHED = -16,    /**< a plugin process died during the call */
	CH_E_UNAVAILABLE = -17, /**< the service cannot take the call now */
	CH_E_BUSY = -18,        /**< too much waiting already: retry later */
	CH_E_QUARANTINED = -19  /**< the plugin crashed too often and is held
	                             back until an admin resets it (host) */
} ch_status;

/** Log levels for ch_host_api.log. */
typedef enum ch_log_level {
	CH_LOG_ERROR = 0,
	CH_LOG_WARN = 1,
	CH_LOG_INFO = 2,
	CH_LOG_DEBUG = 3
} ch_log_level;

/**
 * Opaque context of one operation call. It identifies the connector the call
 * is about (for the cache) and collects the error the plugin sets. Valid
 * for the duration of the call only. NULL during connhub_plugin_entry().
 */
typedef struct ch_call ch_call;

/**
 * The host's services, passed to connhub_plugin_entry(). The table is only
 * appended to; a plugin that uses an entry newer than ABI 1.0 checks
 * abi_minor (or struct_size) first. The table outlives every call into the
 * plugin.
 */
typedef struct ch_host_api {
	uint16_t abi_major;   /**< CH_ABI_MAJOR of the host */
	uint16_t abi_minor;   /**< CH_ABI_MINOR of the host */
	uint32_t struct_size; /**< sizeof(ch_host_api) in the host */

	/* ABI 1.0 */

	/** Writes one log line attributed to the plugin. @p call may be NULL.
	 *  The message must not contain secrets. */
	void (*log)(ch_call *call, int level, const char *fmt, ...) CH_PRINTF(3, 4);

	/** Allocates @p size bytes; memory handed to the host (operation
	 *  output) must come from here. Returns NULL when out of memory. */
	void *(*alloc)(size_t size);

	/** Frees memory from alloc(). free(NULL) is a no-op. */
	void (*free)(void *ptr);

	/** Records the error of the current call: a ch_status code and a
	 *  message a person can read. The operation then returns @p code. */
	void (*error_set)(ch_call *call, int code, const char *fmt, ...) CH_PRINTF(3, 4);

	/** Reads a value from the per-connector cache. On CH_OK *value_out is
	 *  a NUL-terminated copy allocated with alloc() that the plugin frees;
	 *  CH_E_NOTFOUND when absent or expired. */
	int (*cache_get)(ch_call *call, const char *key, char **value_out);

	/** Stores a value in the per-connector cache for @p ttl_ms
	 *  milliseconds (0: until cleared). Key and value are copied. */
	int (*cache_put)(ch_call *call, const char *key, const char *value, int64_t ttl_ms);

	/** Drops every cached value of the call's connector. */
	int (*cache_clear)(ch_call *call);

	/** Wall-clock time in milliseconds since the Unix epoch. */
	int64_t (*clock_ms)(void);

	/** Monotonic time in milliseconds, for measuring durations. */
	int64_t (*monotonic_ms)(void);
} ch_host_api;

/**
 * One operation of a connector type: "JSON in, JSON out, status + message".
 *
 * @param call     the call's context; pass it to error_set, log and cache.
 * @param input    borrowed NUL-terminated JSON text, valid during the call.
 *                 Its shape depends on the operation (see the README).
 * @param[out] output  on CH_OK, JSON text allocated with ch_host_api.alloc,
 *                 owned by the host afterwards; may be left NULL for "{}".
 * @return CH_OK, or a negative ch_status after calling error_set().
 */
typedef int (*ch_op_fn)(ch_call *call, const char *input, char **output);

/** Licence of a connector type in the marketplace. */
#define CH_LICENSE_FREE "free"
#define CH_LICENSE_LICENSED "licensed"

/**
 * Metadata and operations of one connector type. Strings are static,
 * NUL-terminated UTF-8 and must outlive the plugin (string literals).
 */
typedef struct ch_type_desc {
	uint32_t struct_size; /**< sizeof(ch_type_desc) in the plugin */

	/* ABI 1.0 */
	const char *id;          /**< ^[a-z][a-z0-9_-]{1,63}$, required */
	const char *name;        /**< display name, required */
	const char *version;     /**< semantic version "1.2.3", required */
	const char *vendor;      /**< who publishes it, required */
	const char *description; /**< one paragraph, required */
	const char *image_url;   /**< http(s) URL of a logo, optional */
	const char *website_url; /**< http(s) URL of a home page, optional */
	const char *const *categories; /**< NULL-terminated list, optional */
	const char *license;     /**< CH_LICENSE_FREE or CH_LICENSE_LICENSED */
	const char *config_schema; /**< JSON Schema (draft 2020-12) of the
	                                connector's configuration, required */

	/* Operations; NULL when the type does not implement one. */
	ch_op_fn setup;     /**< next setup step from the answers so far */
	ch_op_fn test;      /**< checks a configuration works */
	ch_op_fn refresh;   /**< drops cached remote state */
	ch_op_fn install;   /**< prepares the remote side for a connector */
	ch_op_fn update;    /**< moves an install to this type version */
	ch_op_fn uninstall; /**< removes what install created */
	ch_op_fn start;     /**< starts the connector */
	ch_op_fn stop;      /**< stops the connector */
	ch_op_fn export_;   /**< reads records out (a page at a time) */
	ch_op_fn import_;   /**< writes records in */
} ch_type_desc;

/**
 * What connhub_plugin_entry() returns. Must stay valid until the plugin is
 * unloaded (a static object).
 */
typedef struct ch_plugin_desc {
	uint16_t abi_major;   /**< CH_ABI_MAJOR the plugin was built for */
	uint16_t abi_minor;   /**< CH_ABI_MINOR the plugin was built for */
	uint32_t struct_size; /**< sizeof(ch_plugin_desc) in the plugin */

	/* ABI 1.0 */
	const char *name;     /**< plugin name, for the operator */
	const char *version;  /**< plugin version (semver) */
	const ch_type_desc *const *types; /**< NULL-terminated, at least one */
} ch_plugin_desc;

/** Signature of the entry symbol. Returns NULL to refuse loading (after
 *  logging why through @p api). */
typedef const ch_plugin_desc *(*ch_plugin_entry_fn)(const ch_host_api *api);

#ifdef __cplusplus
}
#endif

#endif /* CONNHUB_PLUGIN_H */
