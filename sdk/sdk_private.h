/*
 * Helpers shared by the SDK's own files. Not installed: plugins use
 * <connhub/sdk.h> only. The names carry the ch_sdk_priv_ prefix so they
 * cannot clash with a plugin's symbols once the static library is linked
 * into it (and visibility is hidden, so no plugin exports them).
 */
#ifndef CH_SDK_PRIVATE_H
#define CH_SDK_PRIVATE_H

#include <stddef.h>

#include <json-c/json.h>

/** Flags every JSON text the SDK produces is serialised with. */
#define CH_SDK_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/**
 * Parses @p text as exactly one strict JSON value (UTF-8 checked, nothing
 * but whitespace after it).
 * @param[out] out  the value, owned by the caller; NULL for JSON null.
 * @param[out] err  on failure, why (NUL-terminated, truncated to errlen).
 * @return CH_OK, CH_E_INVALID when the text is not JSON, CH_E_NOMEM.
 */
int ch_sdk_priv_parse(const char *text, json_object **out, char *err, size_t errlen);

/**
 * Adds @p val under @p key of @p obj. The reference to @p val passes to
 * this function even on failure. A NULL @p val stores JSON null.
 * @return CH_OK or CH_E_NOMEM.
 */
int ch_sdk_priv_put(json_object *obj, const char *key, json_object *val);

/** Like ch_sdk_priv_put() but stores a new string, or JSON null when
 *  @p str is NULL. */
int ch_sdk_priv_put_str(json_object *obj, const char *key, const char *str);

/** Appends @p val to @p arr; the reference passes even on failure.
 *  @return CH_OK, CH_E_NOMEM when @p val is NULL or the append fails. */
int ch_sdk_priv_append(json_object *arr, json_object *val);

#endif /* CH_SDK_PRIVATE_H */
