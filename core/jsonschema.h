/*
 * JSON Schema (draft 2020-12) validation on json-c.
 *
 * No Debian C library validates JSON Schema, so connhub carries this focused
 * module. It supports the keywords connector configurations and request
 * bodies use: type, properties, patternProperties, additionalProperties,
 * propertyNames, required, dependentRequired, dependentSchemas,
 * minProperties, maxProperties, enum, const, minLength, maxLength, pattern,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
 * prefixItems, items, contains, minContains, maxContains, minItems,
 * maxItems, uniqueItems, format, oneOf, anyOf, allOf, not, if/then/else,
 * $ref, $defs (and the older "definitions"), default; annotations (title,
 * description, examples, readOnly, writeOnly, $schema, $id, $anchor,
 * $comment, deprecated, contentEncoding, contentMediaType) are checked for
 * their type and otherwise ignored by validation.
 *
 * Semantics and limits:
 *  - Boolean schemas (true/false) are accepted wherever a schema is.
 *  - Unknown keywords are ignored, as the specification says; a known
 *    keyword with a value of the wrong type is a compile error.
 *    unevaluatedProperties, unevaluatedItems, $dynamicRef and
 *    $recursiveRef are known but not supported: compile error, rather than
 *    a schema that silently accepts too much.
 *  - "integer" accepts a json-c int or a double with no fractional part.
 *    Numbers compare by value (1 == 1.0) in enum, const and uniqueItems;
 *    object key order never matters.
 *  - minLength/maxLength count Unicode code points of the UTF-8 string.
 *  - $ref resolves same-document fragments only: "#", "#/$defs/name",
 *    "#/definitions/name" or any other "#<JSON pointer>" that designates a
 *    schema (percent-decoded). Remote references, anchors ("#name") and
 *    $id in a subschema are compile errors. A cycle of references that
 *    applies to the same instance location without ever descending into
 *    it (e.g. a $ref chain that never reaches a real schema) is a compile
 *    error; recursion that does descend is limited to CH_SCHEMA_MAX_DEPTH
 *    nested $ref applications, beyond which validation stops with an error.
 *  - Subschemas nest at most CH_SCHEMA_MAX_DEPTH levels.
 *  - format: email (RFC 5321 mailbox: dot-atom or quoted local part, host
 *    name or [IP literal] domain), uri (absolute RFC 3986 URI), hostname
 *    (RFC 1123), ipv4 (dotted quad, no leading zeros), ipv6 (inet_pton),
 *    date-time, date and time (RFC 3339, leap second only at 23:59:60 UTC)
 *    and uuid are checked, on strings only. password, duration, idn-email,
 *    idn-hostname, iri, iri-reference, uri-reference, uri-template,
 *    json-pointer, relative-json-pointer and regex are annotations only.
 *    Any other format name is a compile error.
 *  - pattern and patternProperties are ECMA-262 in the specification; this
 *    module approximates them with POSIX extended regular expressions
 *    (regcomp with REG_EXTENDED | REG_NOSUB), searched unanchored as ECMA
 *    does. Before compiling, the pattern is rewritten: \d \w \s and \D \W
 *    \S become bracket expressions (inside brackets \d \w \s become their
 *    ranges), \t \n \r \f \v become the control characters, escaped
 *    punctuation becomes the literal character, (?: becomes (, and lazy
 *    quantifiers (*? +? ??) become greedy ones, which does not change
 *    whether a string matches. Lookaround, named groups, \uXXXX, \xHH,
 *    \p{..} and other letter escapes are compile errors. Matching is by
 *    bytes in the "C" locale (a UTF-8 character is several bytes for
 *    "." and ranges) and "." also matches a newline.
 *  - Validation is bounded: besides the depth limit, one validation may
 *    take at most 2^18 + 64 * (number of values in the instance) schema
 *    evaluations, so a schema with exponential branching cannot hang it.
 *
 * Thread safety: a compiled schema is immutable; any number of threads may
 * call ch_schema_validate() on it at once. The schema document must not be
 * modified while the schema exists.
 */
#ifndef CH_JSONSCHEMA_H
#define CH_JSONSCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/** Limit on nested $ref applications during validation, and on the
 *  nesting of subschemas in a schema document. */
#define CH_SCHEMA_MAX_DEPTH 64

typedef struct ch_schema ch_schema;

/**
 * Checks that @p doc is a usable schema and prepares it for validation
 * (compiles patterns, resolves $ref).
 * @param[out] out  the compiled schema; free with ch_schema_free().
 * @param doc       the schema document; the schema takes a reference.
 * @param[out] err  on failure, "<JSON pointer into the schema>: <reason>",
 *                  e.g. "/properties/port/type: unknown type \"strng\""
 *                  ("/" for the document itself); truncated to @p errlen.
 * @return CH_OK, or CH_E_INVALID when the document is not a valid schema
 *         (wrong keyword type, bad regex, dangling $ref, unknown format...),
 *         CH_E_NOMEM.
 */
int ch_schema_compile(ch_schema **out, json_object *doc, char *err, size_t errlen);

/**
 * Parses @p text and compiles it; like ch_schema_compile(). The text is
 * parsed in json-c's strict mode with UTF-8 validation (json-c 0.16 still
 * accepts single-quoted strings and NaN there); trailing data after the
 * document is an error. A parse error gives CH_E_INVALID and
 * "/: not valid JSON: <json_tokener_error_desc()> at offset N".
 */
int ch_schema_compile_text(ch_schema **out, const char *text, char *err, size_t errlen);

/**
 * Validates @p instance, collecting every failure, not just the first.
 * @param[out] errors  on CH_E_INVALID, a new array of
 *                     {"pointer": "/a/0", "message": "..."} owned by the
 *                     caller; NULL on CH_OK. May be NULL to only test.
 *                     Pointers follow RFC 6901 ("" is the instance itself,
 *                     "~" and "/" in keys are written "~0" and "~1").
 *                     Errors appear in evaluation order, without
 *                     duplicates. anyOf/oneOf/not report one error at the
 *                     instance location; if/then/else reports the errors
 *                     of the branch taken. When the depth limit or the
 *                     evaluation budget is exceeded, the array holds only
 *                     that one error.
 * @return CH_OK when valid, CH_E_INVALID when not, CH_E_NOMEM.
 */
int ch_schema_validate(const ch_schema *schema, json_object *instance, json_object **errors);

/** The schema document (borrowed). */
json_object *ch_schema_doc(const ch_schema *schema);

/** Frees a compiled schema. NULL is a no-op. */
void ch_schema_free(ch_schema *schema);

/*
 * Internal to the module: string checks shared by jsonschema.c and
 * jsonschema_format.c. Not for use elsewhere.
 */

/** A format name, what a valid string is ("email address"), and its
 *  checker; check and what are NULL for annotation-only formats. */
typedef struct ch_schema_format {
	const char *name;
	const char *what;
	bool (*check)(const char *s, size_t len);
} ch_schema_format;

/** The format called @p name, or NULL when unknown. Static storage. */
const ch_schema_format *ch_schema_format_find(const char *name);

/**
 * Rewrites an ECMA-262 pattern into a POSIX extended regular expression
 * (see "pattern" above).
 * @param[out] out  on CH_OK, a new NUL-terminated string to free().
 * @param[out] why  on CH_E_INVALID, why the pattern is not supported.
 * @return CH_OK, CH_E_INVALID, CH_E_NOMEM.
 */
int ch_schema_regex_translate(const char *src, char **out, char *why, size_t whylen);

#endif /* CH_JSONSCHEMA_H */
