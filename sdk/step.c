/*
 * connhub SDK: setup steps (a form plus the JSON Schema of its model), test
 * results, and scrubbing secrets from their messages.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <connhub/sdk.h>

#include "sdk_private.h"

/* The parts of a step a field is added to; all borrowed from the step. */
typedef struct sdk_step_parts {
	json_object *model;
	json_object *form;
	json_object *properties;
	json_object *required;
} sdk_step_parts;

/* A field's default: whether there is one, and its value (NULL is JSON
 * null). */
typedef struct sdk_default {
	bool set;
	json_object *value;
} sdk_default;

static const char *const sdk_widget_names[] = {
	[CH_WIDGET_TEXT] = "text",
	[CH_WIDGET_PASSWORD] = "password",
	[CH_WIDGET_NUMBER] = "number",
	[CH_WIDGET_CHECKBOX] = "checkbox",
	[CH_WIDGET_SELECT] = "select",
	[CH_WIDGET_TEXTAREA] = "textarea",
};

#define SDK_WIDGET_COUNT (sizeof(sdk_widget_names) / sizeof(sdk_widget_names[0]))

/* {"type":"object","properties":{},"required":[]}, or NULL. */
static json_object *sdk_object_schema(void)
{
	json_object *schema = json_object_new_object();

	if (schema == NULL)
		return NULL;
	if (ch_sdk_priv_put_str(schema, "type", "object") != CH_OK ||
	    ch_sdk_priv_put(schema, "properties", json_object_new_object()) != CH_OK ||
	    ch_sdk_priv_put(schema, "required", json_object_new_array()) != CH_OK) {
		json_object_put(schema);
		return NULL;
	}
	return schema;
}

json_object *ch_sdk_step_new(const char *id, const char *title, const char *description)
{
	json_object *step = NULL;

	if (id == NULL)
		goto out;
	step = json_object_new_object();
	if (step == NULL)
		goto out;
	if (ch_sdk_priv_put_str(step, "id", id) != CH_OK ||
	    ch_sdk_priv_put_str(step, "title", title) != CH_OK ||
	    ch_sdk_priv_put_str(step, "description", description) != CH_OK ||
	    ch_sdk_priv_put(step, "model", json_object_new_object()) != CH_OK ||
	    ch_sdk_priv_put(step, "form", json_object_new_array()) != CH_OK ||
	    ch_sdk_priv_put(step, "schema", sdk_object_schema()) != CH_OK ||
	    ch_sdk_priv_put(step, "hasNext", json_object_new_boolean(0)) != CH_OK ||
	    ch_sdk_priv_put(step, "hasPrevious", json_object_new_boolean(0)) != CH_OK ||
	    ch_sdk_priv_put(step, "canFinish", json_object_new_boolean(0)) != CH_OK) {
		json_object_put(step);
		step = NULL;
	}
out:
	return step;
}

/* The member @p key of @p obj when it has type @p type, else NULL. */
static json_object *sdk_get(json_object *obj, const char *key, json_type type)
{
	json_object *val = NULL;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &val))
		return NULL;
	return json_object_is_type(val, type) ? val : NULL;
}

/* Finds the parts of a step built by ch_sdk_step_new(). */
static int sdk_step_parts_get(json_object *step, sdk_step_parts *parts)
{
	json_object *schema = sdk_get(step, "schema", json_type_object);

	parts->model = sdk_get(step, "model", json_type_object);
	parts->form = sdk_get(step, "form", json_type_array);
	parts->properties = sdk_get(schema, "properties", json_type_object);
	parts->required = sdk_get(schema, "required", json_type_array);
	if (parts->model == NULL || parts->form == NULL || parts->properties == NULL ||
	    parts->required == NULL)
		return CH_E_INVALID;
	return CH_OK;
}

/* Rejects a field the form could not show or the schema could not hold. */
static int sdk_field_check(const ch_field *field, const sdk_step_parts *parts)
{
	if (field == NULL || field->key == NULL || field->key[0] == '\0' ||
	    field->label == NULL)
		return CH_E_INVALID;
	if ((unsigned)field->widget >= SDK_WIDGET_COUNT)
		return CH_E_INVALID;
	if (field->widget == CH_WIDGET_SELECT &&
	    (field->options == NULL || field->options[0] == NULL))
		return CH_E_INVALID;
	if (json_object_object_get_ex(parts->properties, field->key, NULL))
		return CH_E_INVALID; /* the key is in the step already */
	if ((field->when_key == NULL) != (field->when_value == NULL))
		return CH_E_INVALID;
	if (field->when_key != NULL &&
	    !json_object_object_get_ex(parts->properties, field->when_key, NULL))
		return CH_E_INVALID; /* a condition names an earlier field */
	return CH_OK;
}

/* Parses the field's default_json, if any. */
static int sdk_field_default(const ch_field *field, sdk_default *dflt)
{
	char err[128];

	dflt->set = false;
	dflt->value = NULL;
	if (field->default_json == NULL)
		return CH_OK;
	if (ch_sdk_priv_parse(field->default_json, &dflt->value, err, sizeof(err)) != CH_OK)
		return CH_E_INVALID;
	dflt->set = true;
	return CH_OK;
}

/* A deep copy of @p src; *out is NULL for JSON null. */
static int sdk_copy(json_object *src, json_object **out)
{
	*out = NULL;
	if (src == NULL)
		return CH_OK;
	return json_object_deep_copy(src, out, NULL) == 0 ? CH_OK : CH_E_NOMEM;
}

/* Stores a deep copy of @p src (NULL: JSON null) under @p key. */
static int sdk_put_copy(json_object *obj, const char *key, json_object *src)
{
	json_object *copy = NULL;

	if (sdk_copy(src, &copy) != CH_OK)
		return CH_E_NOMEM;
	if (copy == NULL)
		return json_object_object_add(obj, key, NULL) == 0 ? CH_OK : CH_E_NOMEM;
	return ch_sdk_priv_put(obj, key, copy);
}

/* A new array of the NULL-terminated @p options, or NULL. */
static json_object *sdk_string_array(const char *const *options)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr != NULL && options[i] != NULL; i++) {
		if (ch_sdk_priv_append(arr, json_object_new_string(options[i])) != CH_OK) {
			json_object_put(arr);
			arr = NULL;
		}
	}
	return arr;
}

/* The schema a widget implies: {"type": ...} plus what the widget needs. */
static json_object *sdk_widget_schema(const ch_field *field)
{
	json_object *prop = json_object_new_object();
	const char *type = "string";
	int rc;

	if (prop == NULL)
		return NULL;
	if (field->widget == CH_WIDGET_NUMBER)
		type = "integer";
	else if (field->widget == CH_WIDGET_CHECKBOX)
		type = "boolean";
	rc = ch_sdk_priv_put_str(prop, "type", type);
	if (rc == CH_OK && field->widget == CH_WIDGET_SELECT)
		rc = ch_sdk_priv_put(prop, "enum", sdk_string_array(field->options));
	if (rc != CH_OK) {
		json_object_put(prop);
		prop = NULL;
	}
	return prop;
}

/* Parses the field's own schema text; it must be an object. */
static int sdk_given_schema(const ch_field *field, json_object **out)
{
	char err[128];
	int rc;

	rc = ch_sdk_priv_parse(field->schema, out, err, sizeof(err));
	if (rc == CH_OK && !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		rc = CH_E_INVALID;
	}
	return rc;
}

/* Adds @p str under @p key unless the schema says something already. */
static int sdk_put_str_absent(json_object *obj, const char *key, const char *str)
{
	if (str == NULL || json_object_object_get_ex(obj, key, NULL))
		return CH_OK;
	return ch_sdk_priv_put_str(obj, key, str);
}

/* A secret stays a secret whatever schema text came with it: the host
 * encrypts a field because its schema says writeOnly/format password. */
static int sdk_mark_secret(json_object *prop)
{
	int rc = ch_sdk_priv_put(prop, "writeOnly", json_object_new_boolean(1));

	if (rc == CH_OK)
		rc = sdk_put_str_absent(prop, "format", "password");
	return rc;
}

/* Builds the schema property of a field: its own or the widget's, with
 * title, description, default, and the secret marks of a password. */
static int sdk_field_property(const ch_field *field, const sdk_default *dflt,
			      json_object **out)
{
	json_object *prop = NULL;
	int rc = CH_E_NOMEM;

	if (field->schema != NULL) {
		rc = sdk_given_schema(field, &prop);
		if (rc != CH_OK)
			goto out;
	} else {
		prop = sdk_widget_schema(field);
		if (prop == NULL)
			goto out;
	}
	rc = sdk_put_str_absent(prop, "title", field->label);
	if (rc == CH_OK)
		rc = sdk_put_str_absent(prop, "description", field->help);
	if (rc == CH_OK && dflt->set && !json_object_object_get_ex(prop, "default", NULL))
		rc = sdk_put_copy(prop, "default", dflt->value);
	if (rc == CH_OK && field->widget == CH_WIDGET_PASSWORD)
		rc = sdk_mark_secret(prop);
	if (rc != CH_OK)
		goto out;
	*out = prop;
	prop = NULL; /* the caller owns it now */
out:
	json_object_put(prop);
	return rc;
}

/* {key: val} (val consumed), or NULL when memory ran out. */
static json_object *sdk_pair(const char *key, json_object *val)
{
	json_object *obj = json_object_new_object();

	if (obj == NULL || ch_sdk_priv_put(obj, key, val) != CH_OK) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* [str], or NULL when memory ran out. */
static json_object *sdk_one_string(const char *str)
{
	json_object *arr = json_object_new_array();

	if (arr == NULL || ch_sdk_priv_append(arr, json_object_new_string(str)) != CH_OK) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

/* Builds the form entry {key, type, label, help?, placeholder?, options?,
 * when?}. */
static json_object *sdk_field_entry(const ch_field *field)
{
	json_object *entry = json_object_new_object();
	int rc;

	if (entry == NULL)
		return NULL;
	rc = ch_sdk_priv_put_str(entry, "key", field->key);
	if (rc == CH_OK)
		rc = ch_sdk_priv_put_str(entry, "type", sdk_widget_names[field->widget]);
	if (rc == CH_OK)
		rc = ch_sdk_priv_put_str(entry, "label", field->label);
	if (rc == CH_OK && field->help != NULL)
		rc = ch_sdk_priv_put_str(entry, "help", field->help);
	if (rc == CH_OK && field->placeholder != NULL)
		rc = ch_sdk_priv_put_str(entry, "placeholder", field->placeholder);
	if (rc == CH_OK && field->options != NULL)
		rc = ch_sdk_priv_put(entry, "options", sdk_string_array(field->options));
	if (rc == CH_OK && field->when_key != NULL)
		rc = ch_sdk_priv_put(entry, "when", sdk_pair(field->when_key,
							     json_object_new_string(field->when_value)));
	if (rc != CH_OK) {
		json_object_put(entry);
		entry = NULL;
	}
	return entry;
}

/*
 * Requires a conditional field only while its condition holds: appends
 * {"if": {"properties": {K: {"const": V}}, "required": [K]},
 *  "then": {"required": [key]}} to the step schema's allOf.
 */
static int sdk_require_when(json_object *step, const ch_field *field)
{
	json_object *schema = sdk_get(step, "schema", json_type_object);
	json_object *all = sdk_get(schema, "allOf", json_type_array);
	json_object *cond = json_object_new_object(), *rule = json_object_new_object();
	int rc = cond != NULL && rule != NULL ? CH_OK : CH_E_NOMEM;

	if (all == NULL && rc == CH_OK) {
		all = json_object_new_array();
		rc = ch_sdk_priv_put(schema, "allOf", all);
	}
	if (rc == CH_OK)
		rc = ch_sdk_priv_put(cond, "properties",
				     sdk_pair(field->when_key,
					      sdk_pair("const", json_object_new_string(field->when_value))));
	if (rc == CH_OK)
		rc = ch_sdk_priv_put(cond, "required", sdk_one_string(field->when_key));
	if (rc == CH_OK) {
		rc = ch_sdk_priv_put(rule, "if", cond);
		cond = NULL; /* the rule owns it now (or it was released) */
	}
	if (rc == CH_OK)
		rc = ch_sdk_priv_put(rule, "then", sdk_pair("required", sdk_one_string(field->key)));
	if (rc == CH_OK)
		rc = ch_sdk_priv_append(all, rule);
	else
		json_object_put(rule);
	json_object_put(cond);
	return rc;
}

int ch_sdk_step_field(json_object *step, const ch_field *field)
{
	sdk_step_parts parts;
	sdk_default dflt = {false, NULL};
	json_object *prop = NULL;
	int rc;

	rc = sdk_step_parts_get(step, &parts);
	if (rc == CH_OK)
		rc = sdk_field_check(field, &parts);
	if (rc == CH_OK)
		rc = sdk_field_default(field, &dflt);
	if (rc == CH_OK)
		rc = sdk_field_property(field, &dflt, &prop);
	if (rc != CH_OK)
		goto out;
	/* Everything that can be wrong with the field has been checked: from
	 * here on only memory can run out. */
	rc = ch_sdk_priv_append(parts.form, sdk_field_entry(field));
	if (rc == CH_OK)
		rc = ch_sdk_priv_put(parts.properties, field->key, prop);
	prop = NULL; /* the schema owns it now (or it was released) */
	if (rc == CH_OK && field->required && field->when_key != NULL)
		rc = sdk_require_when(step, field);
	else if (rc == CH_OK && field->required)
		rc = ch_sdk_priv_append(parts.required, json_object_new_string(field->key));
	if (rc == CH_OK && dflt.set)
		rc = sdk_put_copy(parts.model, field->key, dflt.value);
out:
	json_object_put(prop);
	json_object_put(dflt.value);
	return rc;
}

void ch_sdk_step_flags(json_object *step, bool has_next, bool can_finish)
{
	if (!json_object_is_type(step, json_type_object))
		return;
	/* Only memory can fail here; the step keeps its old flags then. */
	(void)ch_sdk_priv_put(step, "hasNext", json_object_new_boolean(has_next));
	(void)ch_sdk_priv_put(step, "canFinish", json_object_new_boolean(can_finish));
}

void ch_sdk_step_fill(json_object *step, json_object *answers)
{
	json_object *model = sdk_get(step, "model", json_type_object);
	json_object *form = sdk_get(step, "form", json_type_array);
	json_object *answer;
	const char *key;
	size_t i, n;

	if (model == NULL || form == NULL || !json_object_is_type(answers, json_type_object))
		return;
	n = json_object_array_length(form);
	for (i = 0; i < n; i++) {
		json_object *entry = json_object_array_get_idx(form, i);
		const char *widget = json_object_get_string(sdk_get(entry, "type", json_type_string));

		key = json_object_get_string(sdk_get(entry, "key", json_type_string));
		if (key == NULL || !json_object_object_get_ex(answers, key, &answer))
			continue;
		if (widget != NULL && strcmp(widget, sdk_widget_names[CH_WIDGET_PASSWORD]) == 0)
			continue; /* a secret: the host shows it masked */
		/* Out of memory leaves this answer out of the model. */
		(void)sdk_put_copy(model, key, answer);
	}
}

/* Appends @p n fields to @p step. */
static int sdk_step_add(ch_call *call, json_object *step, const char *id,
			const ch_field *fields, size_t n)
{
	size_t i;
	int rc = CH_OK;

	for (i = 0; rc == CH_OK && i < n; i++)
		rc = ch_sdk_step_field(step, &fields[i]);
	if (rc != CH_OK)
		return ch_sdk_fail(call, rc, "cannot build setup step \"%s\"", id);
	return CH_OK;
}

int ch_sdk_step_make(ch_call *call, const ch_step_def *def, const ch_field *extra,
		     size_t nextra, json_object **out)
{
	json_object *step = NULL;
	int rc;

	if (out == NULL)
		return ch_sdk_fail(call, CH_E_INVALID, "ch_sdk_step_make: no output pointer");
	*out = NULL;
	if (def == NULL || def->id == NULL)
		return ch_sdk_fail(call, CH_E_INVALID, "ch_sdk_step_make: no step definition");
	step = ch_sdk_step_new(def->id, def->title, def->description);
	if (step == NULL)
		return ch_sdk_fail(call, CH_E_NOMEM, "out of memory building a setup step");
	rc = sdk_step_add(call, step, def->id, def->fields, def->nfields);
	if (rc == CH_OK)
		rc = sdk_step_add(call, step, def->id, extra, nextra);
	if (rc != CH_OK)
		goto out;
	ch_sdk_step_flags(step, def->has_next, def->can_finish);
	*out = step;
	step = NULL; /* the caller owns it now */
out:
	json_object_put(step);
	return rc;
}

/* --- test results ---------------------------------------------------- */

json_object *ch_sdk_test_result(bool valid, const char *failure_type, const char *message)
{
	json_object *res = json_object_new_object();

	if (res == NULL)
		return NULL;
	if (ch_sdk_priv_put(res, "valid", json_object_new_boolean(valid)) != CH_OK ||
	    ch_sdk_priv_put_str(res, "message", message != NULL ? message : "") != CH_OK ||
	    ch_sdk_priv_put_str(res, "failure_type", failure_type) != CH_OK ||
	    ch_sdk_priv_put(res, "errors", json_object_new_array()) != CH_OK) {
		json_object_put(res);
		res = NULL;
	}
	return res;
}

void ch_sdk_test_error(json_object *result, const char *pointer, const char *message)
{
	json_object *errors = sdk_get(result, "errors", json_type_array);
	json_object *err;

	if (errors == NULL)
		return;
	err = json_object_new_object();
	if (err == NULL)
		return;
	if (ch_sdk_priv_put_str(err, "pointer", pointer != NULL ? pointer : "") != CH_OK ||
	    ch_sdk_priv_put_str(err, "message", message != NULL ? message : "") != CH_OK) {
		json_object_put(err);
		return;
	}
	(void)ch_sdk_priv_append(errors, err); /* releases err on failure */
}

void ch_sdk_problem(ch_problems *problems, const char *pointer, const char *message)
{
	if (problems == NULL)
		return;
	/* Once memory ran out for the result, it stays NULL: a result listing
	 * only the later problems would mislead. */
	if (problems->result == NULL && problems->count == 0)
		problems->result = ch_sdk_test_result(false, CH_FAILURE_CONFIG,
						      "the configuration is not valid");
	problems->count++;
	ch_sdk_test_error(problems->result, pointer, message); /* a no-op on NULL */
}

/* --- scrubbing secrets ----------------------------------------------- */

#define SDK_MASK "***"
#define SDK_MASK_LEN (sizeof(SDK_MASK) - 1)

/* A copy of @p text with every occurrence of @p secret (len > 0) masked. */
static char *sdk_scrub_one(const char *text, const char *secret, size_t len)
{
	size_t count = 0, size, n = 0;
	const char *at;
	char *copy;

	for (at = strstr(text, secret); at != NULL; at = strstr(at + len, secret))
		count++;
	size = strlen(text) + 1;
	if (len < SDK_MASK_LEN)
		size += count * (SDK_MASK_LEN - len);
	copy = malloc(size);
	if (copy == NULL)
		return NULL;
	for (at = strstr(text, secret); at != NULL; at = strstr(text, secret)) {
		memcpy(copy + n, text, (size_t)(at - text));
		n += (size_t)(at - text);
		memcpy(copy + n, SDK_MASK, SDK_MASK_LEN);
		n += SDK_MASK_LEN;
		text = at + len;
	}
	memcpy(copy + n, text, strlen(text) + 1);
	return copy;
}

char *ch_sdk_scrub(const char *text, const char *const *secrets, size_t n)
{
	size_t size = text != NULL ? strlen(text) + 1 : 1;
	char *copy = malloc(size);
	char *next;
	size_t i;

	if (copy != NULL)
		memcpy(copy, text != NULL ? text : "", size);
	for (i = 0; copy != NULL && secrets != NULL && i < n; i++) {
		if (secrets[i] == NULL || secrets[i][0] == '\0')
			continue;
		next = sdk_scrub_one(copy, secrets[i], strlen(secrets[i]));
		free(copy);
		copy = next;
	}
	return copy;
}
