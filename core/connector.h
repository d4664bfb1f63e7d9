/*
 * Connectors as the API sees them: validating a create or change request
 * (every failure collected, with the field at fault), merging a change over
 * the stored connector, sealing secrets, and rendering the masked answer.
 * No HTTP here: the handlers in api/connectors.c wrap these.
 */
#ifndef CH_CONNECTOR_H
#define CH_CONNECTOR_H

#include <json-c/json.h>

#include "jsonschema.h"
#include "plugin/registry.h"
#include "secret/secret.h"
#include "store/store.h"

/** What validating and sealing need. All borrowed. */
typedef struct ch_connector_env {
	const ch_keyring *keys;
	const ch_registry *types;
	const ch_schema *create_schema; /* schemas/connector-create.json */
	const ch_schema *update_schema; /* schemas/connector-update.json */
	int replace_config; /* a change's config replaces, not merges (setup) */
} ch_connector_env;

/**
 * Builds a new connector of @p account_id from a create request.
 * @param path_name  the name from POST /connectors/{name}, or NULL.
 * @param[out] out     the row to insert (id, timestamps, sealed doc).
 * @param[out] errors  on CH_E_INVALID, every failure as [{pointer,
 *                     message}] (new array, caller puts).
 * @return CH_OK, CH_E_INVALID, CH_E_NOMEM.
 */
int ch_connector_create(const ch_connector_env *env, const char *account_id, json_object *body,
			const char *path_name, ch_connector_row *out, json_object **errors);

/**
 * Applies a change request to @p stored: given fields replace the stored
 * ones, "config" is merged key by key ("********" keeps a stored secret,
 * null removes a key), and the result is validated as a whole.
 * @param[out] out  the row to write back (a new doc; stored is unchanged).
 * Errors as ch_connector_create(); CH_E_AUTH when a stored secret cannot be
 * decrypted (wrong key or tampered row).
 */
int ch_connector_change(const ch_connector_env *env, const ch_connector_row *stored,
			json_object *body, ch_connector_row *out, json_object **errors);

/** The answer for a connector: secrets masked; variables only when
 *  @p with_variables. New object. */
json_object *ch_connector_json(const ch_connector_row *row, int with_variables);

/** The same, made from the row's document itself, which it takes (row->doc
 *  is NULL after): for a row that is answered and then dropped, no copy. */
json_object *ch_connector_json_take(ch_connector_row *row, int with_variables);

/** Whether @p s looks like a connector id ("con_" + 26 base32 chars). */
int ch_connector_is_id(const char *s);

/**
 * Whether @p name is an IANA time zone: a file of /usr/share/zoneinfo that
 * holds TZif data, named canonically (no "//", "..", leading or trailing
 * "/"), and neither in the posix/ or right/ copies of the tree nor one of
 * Factory, localtime and posixrules.
 */
int ch_timezone_valid(const char *name);

#endif /* CH_CONNECTOR_H */
