/*
 * connhub SDK: helpers for writing a plugin on json-c.
 *
 * The SDK is a static library linked into the plugin; it keeps the host's
 * services table that connhub_plugin_entry() received and builds on it.
 * json-c types appear here because the SDK is the plugin's own code: they
 * never cross the ABI boundary, which carries JSON text only.
 *
 * A minimal plugin:
 *
 *     #include <connhub/sdk.h>
 *
 *     static int hello_test(ch_call *call, const char *in, char **out)
 *     {
 *         json_object *input = NULL;
 *         int rc = ch_sdk_input(call, in, &input);
 *         if (rc != CH_OK)
 *             return rc;
 *         json_object *res = ch_sdk_test_result(1, NULL, "hello");
 *         json_object_put(input);
 *         return ch_sdk_output(call, res, out);
 *     }
 *
 *     static const ch_type_desc hello = {
 *         CH_TYPE_HEADER,
 *         .id = "hello", .name = "Hello", .version = "1.0.0",
 *         .vendor = "Example", .description = "Says hello.",
 *         .license = CH_LICENSE_FREE,
 *         .config_schema = "{\"type\":\"object\"}",
 *         .test = hello_test,
 *     };
 *
 *     CH_PLUGIN_DEFINE("hello", "1.0.0", &hello)
 */
#ifndef CONNHUB_SDK_H
#define CONNHUB_SDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <connhub/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the SDK (the same as the connhub release it ships with). */
#define CH_SDK_VERSION "0.1.0"

/** First member of every ch_type_desc initialiser. */
#define CH_TYPE_HEADER .struct_size = sizeof(ch_type_desc)

/**
 * Defines connhub_plugin_entry() for a plugin named @p pname at version
 * @p pversion providing the types given as pointers to static
 * ch_type_desc objects.
 */
#define CH_PLUGIN_DEFINE(pname, pversion, ...)                                \
	CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(                 \
		const ch_host_api *api);                                      \
	CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(                 \
		const ch_host_api *api)                                       \
	{                                                                     \
		static const ch_type_desc *const ch_sdk_types_[] = {          \
			__VA_ARGS__, NULL};                                   \
		static const ch_plugin_desc ch_sdk_desc_ = {                  \
			CH_ABI_MAJOR, CH_ABI_MINOR, sizeof(ch_plugin_desc),   \
			(pname), (pversion), ch_sdk_types_};                  \
		if (ch_sdk_init(api) != CH_OK)                                \
			return NULL;                                          \
		return &ch_sdk_desc_;                                         \
	}

/**
 * Keeps the host's services table for the SDK's helpers. Called by the
 * entry CH_PLUGIN_DEFINE() generates. Returns CH_E_ABI when the host's
 * table is of another major version or too small.
 */
int ch_sdk_init(const ch_host_api *api);

/** The services table given to ch_sdk_init(), or NULL before it. */
const ch_host_api *ch_sdk_host(void);

/** Logs through the host (see ch_host_api.log). */
void ch_sdk_log(ch_call *call, int level, const char *fmt, ...) CH_PRINTF(3, 4);

/**
 * Records an error for the call and returns @p code, so an operation can
 * end with `return ch_sdk_fail(call, CH_E_CONFIG, "...")`.
 */
int ch_sdk_fail(ch_call *call, int code, const char *fmt, ...) CH_PRINTF(3, 4);

/**
 * Parses an operation's input text.
 * @param[out] out  the parsed object, owned by the caller (json_object_put).
 * @return CH_OK, or CH_E_INVALID (error set) when the text is not a JSON
 *         object.
 */
int ch_sdk_input(ch_call *call, const char *input, json_object **out);

/**
 * Serialises @p obj into host-allocated text for an operation's output and
 * releases @p obj (the reference passes to this function).
 * @return CH_OK or CH_E_NOMEM (error set).
 */
int ch_sdk_output(ch_call *call, json_object *obj, char **output);

/* --- reading values --------------------------------------------------- */

/** The string at @p key of @p obj, or @p dflt when absent or not a string.
 *  Borrowed from @p obj. */
const char *ch_sdk_str(json_object *obj, const char *key, const char *dflt);

/** The integer at @p key, or @p dflt when absent or not an integer. */
int64_t ch_sdk_int(json_object *obj, const char *key, int64_t dflt);

/** The boolean at @p key, or @p dflt when absent or not a boolean. */
bool ch_sdk_bool(json_object *obj, const char *key, bool dflt);

/** The object at @p key of an operation's input ("config", "answers",
 *  "connector"), or NULL. Borrowed. */
json_object *ch_sdk_obj(json_object *obj, const char *key);

/* --- setup steps ------------------------------------------------------ */

/**
 * Input of the setup operation:
 *   {"connector": {...}, "step": null | "<id of the step just answered>",
 *    "answers": {<every answer given so far>}}
 * Output: the step to show next (built with the functions below). The
 * plugin computes it from the answers, so a wizard can branch.
 */

/** Widgets a form field can ask for. */
typedef enum ch_widget {
	CH_WIDGET_TEXT = 0,
	CH_WIDGET_PASSWORD, /* a secret: schema gets writeOnly + format password */
	CH_WIDGET_NUMBER,
	CH_WIDGET_CHECKBOX,
	CH_WIDGET_SELECT,
	CH_WIDGET_TEXTAREA
} ch_widget;

/** A form field of a step. Only key, label and widget are required. */
typedef struct ch_field {
	const char *key;         /**< property name in the model */
	const char *label;       /**< shown beside the input */
	ch_widget widget;        /**< how to render it */
	const char *help;        /**< a sentence under the input, or NULL */
	const char *placeholder; /**< greyed example, or NULL */
	bool required;           /**< must be answered */
	const char *const *options; /**< NULL-terminated choices for SELECT */
	const char *schema;      /**< JSON Schema text of the property; NULL
	                              derives one from the widget */
	const char *default_json;/**< JSON text of the default, or NULL */
	const char *when_key;    /**< with when_value: the field applies only
	                              while the earlier field when_key of the
	                              same step has the value when_value (a
	                              select's option); it is shown then, and
	                              required then if required is set. The
	                              form entry carries "when": {key: value}.
	                              NULL: the field always applies. */
	const char *when_value;  /**< the value when_key must have */
} ch_field;

/**
 * A new step {id, title, description, model:{}, form:[], schema:{type:
 * object, properties:{}, required:[]}, hasNext:false, hasPrevious:false,
 * canFinish:false}. Owned by the caller.
 */
json_object *ch_sdk_step_new(const char *id, const char *title, const char *description);

/**
 * Appends a field to the step's form and schema and puts its default (if
 * any) into the model. Returns CH_OK, or CH_E_INVALID when the field's
 * schema or default text does not parse.
 */
int ch_sdk_step_field(json_object *step, const ch_field *field);

/** Sets hasNext and canFinish. (hasPrevious is the host's to set.) */
void ch_sdk_step_flags(json_object *step, bool has_next, bool can_finish);

/**
 * Copies into the step's model the answers given so far for the step's
 * fields, so a step shown again keeps them; secret (password) fields are
 * left out, so no secret travels back in the step: the host shows them
 * masked. @p answers is borrowed.
 */
void ch_sdk_step_fill(json_object *step, json_object *answers);

/** The number of elements of a static array, e.g. of ch_field. */
#define CH_SDK_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/** A step defined by a static table, for ch_sdk_step_make(). */
typedef struct ch_step_def {
	const char *id;          /**< the step's id ("step" once answered) */
	const char *title;       /**< shown above the form */
	const char *description; /**< a sentence under the title, or NULL */
	const ch_field *fields;  /**< the step's fields, in order */
	size_t nfields;          /**< how many: CH_SDK_COUNT(fields) */
	bool has_next;           /**< see ch_sdk_step_flags() */
	bool can_finish;         /**< see ch_sdk_step_flags() */
} ch_step_def;

/**
 * Builds the step @p def defines: ch_sdk_step_new(), ch_sdk_step_field()
 * for each of its fields and then of the @p nextra fields at @p extra (the
 * ones shown only after some answers; NULL and 0 for none), and
 * ch_sdk_step_flags().
 * @param[out] out  the step, owned by the caller; NULL on failure.
 * @return CH_OK, or CH_E_NOMEM or a field's CH_E_INVALID (error set:
 *         "cannot build setup step \"<id>\"").
 */
int ch_sdk_step_make(ch_call *call, const ch_step_def *def, const ch_field *extra,
		     size_t nextra, json_object **out);

/* --- test results ----------------------------------------------------- */

/** Failure kinds of a test result. */
#define CH_FAILURE_CONFIG "config_error"
#define CH_FAILURE_TRANSIENT "transient_error"
#define CH_FAILURE_SYSTEM "system_error"

/**
 * A test result {valid, message, failure_type, errors:[]}. @p failure_type
 * is NULL when valid. Owned by the caller.
 */
json_object *ch_sdk_test_result(bool valid, const char *failure_type, const char *message);

/** Adds {pointer, message} to a test result's errors: the field at fault
 *  (JSON Pointer into the configuration, e.g. "/password"). */
void ch_sdk_test_error(json_object *result, const char *pointer, const char *message);

/** The problems found in a configuration. Start from {NULL, 0}. */
typedef struct ch_problems {
	json_object *result; /**< failed test result listing them: NULL until
	                          the first, or when memory ran out; owned */
	int count;           /**< how many were found */
} ch_problems;

/**
 * Records a problem of the configuration: the first one creates
 * problems->result, a failed test result (config_error, "the
 * configuration is not valid"); each adds {pointer, message} to its errors
 * (see ch_sdk_test_error()) and counts. Test problems->count, not the
 * result, to tell whether the configuration is valid: memory can run out.
 */
void ch_sdk_problem(ch_problems *problems, const char *pointer, const char *message);

/**
 * A copy of @p text in which every occurrence of each of the @p n
 * @p secrets is replaced by "***", one secret after the other (NULL or
 * empty secrets are skipped), for a message that may quote what a server
 * or library said about a configuration holding them. @p text NULL is "".
 * @return the copy (release it with free()), or NULL when memory ran out.
 */
char *ch_sdk_scrub(const char *text, const char *const *secrets, size_t n);

/* --- ready-made operations ---------------------------------------------- */

/**
 * Computes the next step of a setup wizard, for ch_sdk_setup().
 * @param answered  id of the step just answered; NULL for the first step.
 * @param answers   every answer given so far (borrowed; NULL when none),
 *                  so the wizard can branch.
 * @param[out] step the step to show, owned by the caller (see
 *                  ch_sdk_step_make()).
 * @return CH_OK, or a status after ch_sdk_fail() (e.g. CH_E_INVALID for
 *         an unknown step or the last one).
 */
typedef int (*ch_sdk_next_fn)(ch_call *call, const char *answered, json_object *answers,
			      json_object **step);

/**
 * Runs a setup operation around @p next: parses @p input, reads "step"
 * (null or absent: the first step, else a step id) and "answers", asks
 * @p next for the step, copies into its model the answers already given
 * (ch_sdk_step_fill()) and writes it to @p output (ch_sdk_output()).
 * Use it as the whole body of a type's setup operation.
 * @return CH_OK, CH_E_INVALID (error set) when the input is not an object
 *         or "step" is neither null nor a string, what @p next returned,
 *         or CH_E_NOMEM (error set).
 */
int ch_sdk_setup(ch_call *call, const char *input, char **output, ch_sdk_next_fn next);

/**
 * Checks a configuration, for ch_sdk_test().
 * @param config    the "config" object of the input (borrowed).
 * @param[out] result the test result (ch_sdk_test_result()), owned by the
 *                  caller; NULL with CH_OK means memory ran out.
 * @return CH_OK (whether the configuration works or not: the result says),
 *         or a status after ch_sdk_fail() when the check itself cannot run.
 */
typedef int (*ch_sdk_check_fn)(ch_call *call, json_object *config, json_object **result);

/**
 * Runs a test operation around @p check: parses @p input, takes its
 * "config" object, lets @p check judge it and writes the result to
 * @p output (ch_sdk_output()).
 * @return CH_OK, CH_E_INVALID (error set) when the input is not an object
 *         or has no "config" object, what @p check returned, or
 *         CH_E_NOMEM (error set).
 */
int ch_sdk_test(ch_call *call, const char *input, char **output, ch_sdk_check_fn check);

/**
 * A whole refresh operation for a type whose only state is the host's
 * cache: clears the connector's cache (ch_host_api.cache_clear) and
 * answers {}. Put it in the descriptor: `.refresh = ch_sdk_refresh_cache`.
 * @return CH_OK, CH_E_UNSUPPORTED when the host has no cache, or the
 *         host's status (error set in both).
 */
int ch_sdk_refresh_cache(ch_call *call, const char *input, char **output);

#ifdef __cplusplus
}
#endif

#endif /* CONNHUB_SDK_H */
