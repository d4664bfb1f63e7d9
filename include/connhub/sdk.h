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
 * fields, so a step shown again keeps them. @p answers is borrowed.
 */
void ch_sdk_step_fill(json_object *step, json_object *answers);

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

#ifdef __cplusplus
}
#endif

#endif /* CONNHUB_SDK_H */
