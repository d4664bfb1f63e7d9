/*
 * Unit tests of the SDK (sdk/): every function of <connhub/sdk.h>, its
 * failure paths included, against a fake host. Each test runs in its own
 * process (CK_FORK), so the SDK's kept table starts out NULL in each.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <connhub/sdk.h>

#include "fake_host.h"
#include "check_run.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static ch_call call;

static void setup_host(void)
{
	fake_host_reset();
	fake_call_init(&call);
	ck_assert_int_eq(ch_sdk_init(&fake_host_api), CH_OK);
}

/* The compact text of @p obj (valid until @p obj changes). */
static const char *text(json_object *obj)
{
	return json_object_to_json_string_ext(obj, FLAGS);
}

/* Parses a JSON text the test knows to be good. */
static json_object *parse(const char *s)
{
	json_object *obj = json_tokener_parse(s);

	ck_assert_ptr_nonnull(obj);
	return obj;
}

/* Asserts the last error of the call and resets it. */
static void assert_error(int code, const char *prefix)
{
	ck_assert_int_eq(call.code, code);
	ck_assert_msg(strncmp(call.message, prefix, strlen(prefix)) == 0,
		      "message \"%s\" does not start with \"%s\"", call.message, prefix);
	fake_call_init(&call);
}

/* --- ch_sdk_init / ch_sdk_host ------------------------------------------ */

START_TEST(test_init_null)
{
	ck_assert_int_eq(ch_sdk_init(NULL), CH_E_ABI);
	ck_assert_ptr_null(ch_sdk_host());
}
END_TEST

START_TEST(test_init_wrong_major)
{
	ch_host_api api = fake_host_api;

	api.abi_major = CH_ABI_MAJOR + 1;
	ck_assert_int_eq(ch_sdk_init(&api), CH_E_ABI);
	api.abi_major = 0;
	ck_assert_int_eq(ch_sdk_init(&api), CH_E_ABI);
	ck_assert_ptr_null(ch_sdk_host());
	ck_assert_int_eq(fake_log_count, 0); /* another layout: not touched */
}
END_TEST

START_TEST(test_init_too_small)
{
	ch_host_api api = fake_host_api;

	fake_host_reset();
	api.struct_size = offsetof(ch_host_api, monotonic_ms);
	ck_assert_int_eq(ch_sdk_init(&api), CH_E_ABI);
	ck_assert_ptr_null(ch_sdk_host());
	ck_assert_int_eq(fake_log_count, 1);
	ck_assert_int_eq(fake_log_level, CH_LOG_ERROR);
	ck_assert_ptr_nonnull(strstr(fake_log_message, "older than ABI 1.0"));
	api.struct_size = 8;
	ck_assert_int_eq(ch_sdk_init(&api), CH_E_ABI);
	ck_assert_int_eq(fake_log_count, 1); /* too small to reach log() */
}
END_TEST

START_TEST(test_init_missing_entries)
{
	ch_host_api api = fake_host_api;

	api.alloc = NULL;
	ck_assert_int_eq(ch_sdk_init(&api), CH_E_ABI);
	api = fake_host_api;
	api.error_set = NULL;
	ck_assert_int_eq(ch_sdk_init(&api), CH_E_ABI);
	ck_assert_ptr_null(ch_sdk_host());
}
END_TEST

START_TEST(test_init_ok)
{
	/* A newer host: larger table, newer minor. */
	static struct {
		ch_host_api api;
		void *later[4];
	} newer;

	ck_assert_int_eq(ch_sdk_init(&fake_host_api), CH_OK);
	ck_assert_ptr_eq(ch_sdk_host(), &fake_host_api);
	newer.api = fake_host_api;
	newer.api.abi_minor = CH_ABI_MINOR + 3;
	newer.api.struct_size = sizeof(newer);
	ck_assert_int_eq(ch_sdk_init(&newer.api), CH_OK);
	ck_assert_ptr_eq(ch_sdk_host(), &newer.api);
	/* A refused table leaves the previous one in place. */
	ck_assert_int_eq(ch_sdk_init(NULL), CH_E_ABI);
	ck_assert_ptr_eq(ch_sdk_host(), &newer.api);
}
END_TEST

START_TEST(test_before_init)
{
	json_object *obj = json_object_new_object();
	char *out = (char *)"untouched";

	fake_call_init(&call);
	ck_assert_ptr_null(ch_sdk_host());
	ch_sdk_log(&call, CH_LOG_INFO, "nobody listens");
	ck_assert_int_eq(ch_sdk_fail(&call, CH_E_CONFIG, "x"), CH_E_CONFIG);
	ck_assert_int_eq(call.errors, 0);
	json_object_get(obj);
	ck_assert_int_eq(ch_sdk_output(&call, obj, &out), CH_E_ABI);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(json_object_put(obj), 1); /* the SDK dropped its ref */
}
END_TEST

/* --- ch_sdk_log / ch_sdk_fail ------------------------------------------- */

START_TEST(test_log)
{
	char longer[2000];

	ch_sdk_log(&call, CH_LOG_WARN, "opened %s in %d ms", "db", 12);
	ck_assert_int_eq(fake_log_count, 1);
	ck_assert_int_eq(fake_log_level, CH_LOG_WARN);
	ck_assert_str_eq(fake_log_message, "opened db in 12 ms");
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ch_sdk_log(NULL, CH_LOG_DEBUG, "[%s]", longer);
	ck_assert_int_eq(strlen(fake_log_message), sizeof(longer) + 1);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0); /* heap copy freed */
}
END_TEST

START_TEST(test_fail)
{
	char longer[3000];

	ck_assert_int_eq(ch_sdk_fail(&call, CH_E_CONFIG, "bad %s: %d", "port", 70000),
			 CH_E_CONFIG);
	ck_assert_int_eq(call.errors, 1);
	assert_error(CH_E_CONFIG, "bad port: 70000");
	ck_assert_int_eq(ch_sdk_fail(&call, CH_OK, "not a success"), CH_E_GENERIC);
	assert_error(CH_E_GENERIC, "not a success");
	memset(longer, 'y', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ck_assert_int_eq(ch_sdk_fail(&call, CH_E_IO, "%s", longer), CH_E_IO);
	ck_assert_str_eq(call.message, longer);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
	/* No heap for a long message: the truncated one still gets through. */
	atomic_store(&fake_alloc_fail, 1);
	ck_assert_int_eq(ch_sdk_fail(&call, CH_E_IO, "%s", longer), CH_E_IO);
	ck_assert_int_gt(strlen(call.message), 100);
	ck_assert_int_lt(strlen(call.message), sizeof(longer) - 1);
}
END_TEST

/* --- ch_sdk_input ------------------------------------------------------- */

START_TEST(test_input_ok)
{
	json_object *in = NULL;

	ck_assert_int_eq(ch_sdk_input(&call, " {\"config\":{\"a\":1}} \n", &in), CH_OK);
	ck_assert_str_eq(text(in), "{\"config\":{\"a\":1}}");
	ck_assert_int_eq(call.errors, 0);
	json_object_put(in);
}
END_TEST

START_TEST(test_input_bad)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "{} x", "[1]", "42", "\"s\"", "null", "true",
		"{\"a\":\"\xff\"}", "{}{}",
	};
	json_object *in;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in = (json_object *)&call; /* must be reset to NULL */
		ck_assert_msg(ch_sdk_input(&call, bad[i], &in) == CH_E_INVALID,
			      "accepted %s", bad[i]);
		ck_assert_ptr_null(in);
		assert_error(CH_E_INVALID, "input is not a JSON object: ");
	}
	ck_assert_int_eq(ch_sdk_input(&call, NULL, &in), CH_E_INVALID);
	assert_error(CH_E_INVALID, "input is not a JSON object: no input");
	ck_assert_int_eq(ch_sdk_input(&call, "[]", &in), CH_E_INVALID);
	assert_error(CH_E_INVALID, "input is not a JSON object: found array");
	ck_assert_int_eq(ch_sdk_input(&call, "{}", NULL), CH_E_INVALID);
}
END_TEST

/* --- ch_sdk_output ------------------------------------------------------ */

START_TEST(test_output_ok)
{
	json_object *obj = parse("{\"url\": \"http://x/y\", \"n\": [1, 2]}");
	char *out = NULL;

	json_object_get(obj);
	ck_assert_int_eq(ch_sdk_output(&call, obj, &out), CH_OK);
	ck_assert_str_eq(out, "{\"url\":\"http://x/y\",\"n\":[1,2]}");
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 1); /* from api->alloc */
	ck_assert_int_eq(json_object_put(obj), 1);           /* and released */
	fake_host_api.free(out);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

START_TEST(test_output_failures)
{
	json_object *obj = json_object_new_object();
	char *out = (char *)"untouched";

	ck_assert_int_eq(ch_sdk_output(&call, NULL, &out), CH_E_NOMEM);
	ck_assert_ptr_null(out);
	assert_error(CH_E_NOMEM, "out of memory");

	json_object_get(obj);
	atomic_store(&fake_alloc_fail, 1);
	ck_assert_int_eq(ch_sdk_output(&call, obj, &out), CH_E_NOMEM);
	ck_assert_ptr_null(out);
	assert_error(CH_E_NOMEM, "out of memory");
	ck_assert_int_eq(json_object_put(obj), 1); /* the SDK dropped its ref */
	atomic_store(&fake_alloc_fail, 0);

	obj = json_object_new_object();
	json_object_get(obj);
	ck_assert_int_eq(ch_sdk_output(&call, obj, NULL), CH_E_INVALID);
	assert_error(CH_E_INVALID, "ch_sdk_output");
	ck_assert_int_eq(json_object_put(obj), 1);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* --- readers ------------------------------------------------------------ */

START_TEST(test_readers)
{
	json_object *o = parse("{\"s\":\"v\",\"i\":42,\"big\":-9000000000,\"d\":1.5,"
			       "\"b\":true,\"f\":false,\"o\":{\"k\":1},\"n\":null}");

	ck_assert_str_eq(ch_sdk_str(o, "s", "d"), "v");
	ck_assert_str_eq(ch_sdk_str(o, "i", "d"), "d");
	ck_assert_str_eq(ch_sdk_str(o, "missing", "d"), "d");
	ck_assert_ptr_null(ch_sdk_str(o, "n", NULL));
	ck_assert_ptr_null(ch_sdk_str(NULL, "s", NULL));

	ck_assert_int_eq(ch_sdk_int(o, "i", 7), 42);
	ck_assert_int_eq(ch_sdk_int(o, "big", 7), -9000000000LL);
	ck_assert_int_eq(ch_sdk_int(o, "d", 7), 7);
	ck_assert_int_eq(ch_sdk_int(o, "s", 7), 7);
	ck_assert_int_eq(ch_sdk_int(o, "missing", 7), 7);
	ck_assert_int_eq(ch_sdk_int(NULL, "i", 7), 7);

	ck_assert(ch_sdk_bool(o, "b", false));
	ck_assert(!ch_sdk_bool(o, "f", true));
	ck_assert(ch_sdk_bool(o, "i", true));
	ck_assert(!ch_sdk_bool(o, "missing", false));

	ck_assert_str_eq(text(ch_sdk_obj(o, "o")), "{\"k\":1}");
	ck_assert_ptr_null(ch_sdk_obj(o, "s"));
	ck_assert_ptr_null(ch_sdk_obj(o, "missing"));
	ck_assert_ptr_null(ch_sdk_obj(NULL, "o"));
	/* Reading a non-object never crashes. */
	ck_assert_str_eq(ch_sdk_str(ch_sdk_obj(o, "s"), "x", "d"), "d");
	json_object_put(o);
}
END_TEST

/* --- steps -------------------------------------------------------------- */

#define EMPTY_STEP                                                            \
	"{\"id\":\"file\",\"title\":\"File\",\"description\":\"Pick it.\","   \
	"\"model\":{},\"form\":[],"                                          \
	"\"schema\":{\"type\":\"object\",\"properties\":{},\"required\":[]}," \
	"\"hasNext\":false,\"hasPrevious\":false,\"canFinish\":false}"

START_TEST(test_step_new)
{
	json_object *step = ch_sdk_step_new("file", "File", "Pick it.");

	ck_assert_str_eq(text(step), EMPTY_STEP);
	json_object_put(step);
	step = ch_sdk_step_new("x", NULL, NULL);
	ck_assert_str_eq(text(json_object_object_get(step, "title")), "null");
	ck_assert_str_eq(text(json_object_object_get(step, "description")), "null");
	json_object_put(step);
	ck_assert_ptr_null(ch_sdk_step_new(NULL, "t", "d"));
}
END_TEST

/* Adds one field to a new step and checks its form entry, schema
 * property, required list and model. */
static void check_field(const ch_field *f, const char *entry, const char *prop,
			const char *required, const char *model)
{
	json_object *step = ch_sdk_step_new("s", "S", "D");
	json_object *schema;

	ck_assert_int_eq(ch_sdk_step_field(step, f), CH_OK);
	schema = json_object_object_get(step, "schema");
	ck_assert_str_eq(text(json_object_array_get_idx(
				 json_object_object_get(step, "form"), 0)), entry);
	ck_assert_str_eq(text(json_object_object_get(
				 json_object_object_get(schema, "properties"), f->key)), prop);
	ck_assert_str_eq(text(json_object_object_get(schema, "required")), required);
	ck_assert_str_eq(text(json_object_object_get(step, "model")), model);
	json_object_put(step);
}

START_TEST(test_field_text)
{
	ch_field f = {.key = "host", .label = "Host", .widget = CH_WIDGET_TEXT,
		      .help = "Its name.", .placeholder = "db.example.com", .required = true};

	check_field(&f,
		    "{\"key\":\"host\",\"type\":\"text\",\"label\":\"Host\","
		    "\"help\":\"Its name.\",\"placeholder\":\"db.example.com\"}",
		    "{\"type\":\"string\",\"title\":\"Host\",\"description\":\"Its name.\"}",
		    "[\"host\"]", "{}");
	f.widget = CH_WIDGET_TEXTAREA;
	f.help = NULL;
	f.placeholder = NULL;
	f.required = false;
	check_field(&f, "{\"key\":\"host\",\"type\":\"textarea\",\"label\":\"Host\"}",
		    "{\"type\":\"string\",\"title\":\"Host\"}", "[]", "{}");
}
END_TEST

START_TEST(test_field_password)
{
	ch_field f = {.key = "pw", .label = "Password", .widget = CH_WIDGET_PASSWORD,
		      .required = true};

	check_field(&f, "{\"key\":\"pw\",\"type\":\"password\",\"label\":\"Password\"}",
		    "{\"type\":\"string\",\"title\":\"Password\",\"writeOnly\":true,"
		    "\"format\":\"password\"}",
		    "[\"pw\"]", "{}");
	/* Its own schema text cannot make a password visible. */
	f.schema = "{\"type\":\"string\",\"minLength\":8,\"writeOnly\":false}";
	check_field(&f, "{\"key\":\"pw\",\"type\":\"password\",\"label\":\"Password\"}",
		    "{\"type\":\"string\",\"minLength\":8,\"writeOnly\":true,"
		    "\"title\":\"Password\",\"format\":\"password\"}",
		    "[\"pw\"]", "{}");
}
END_TEST

START_TEST(test_field_number_checkbox)
{
	ch_field n = {.key = "port", .label = "Port", .widget = CH_WIDGET_NUMBER,
		      .default_json = "5432"};
	ch_field c = {.key = "tls", .label = "Use TLS", .widget = CH_WIDGET_CHECKBOX,
		      .default_json = "true", .required = true};

	check_field(&n, "{\"key\":\"port\",\"type\":\"number\",\"label\":\"Port\"}",
		    "{\"type\":\"integer\",\"title\":\"Port\",\"default\":5432}", "[]",
		    "{\"port\":5432}");
	check_field(&c, "{\"key\":\"tls\",\"type\":\"checkbox\",\"label\":\"Use TLS\"}",
		    "{\"type\":\"boolean\",\"title\":\"Use TLS\",\"default\":true}",
		    "[\"tls\"]", "{\"tls\":true}");
}
END_TEST

START_TEST(test_field_select)
{
	static const char *const modes[] = {"a", "b/c", NULL};
	ch_field f = {.key = "mode", .label = "Mode", .widget = CH_WIDGET_SELECT,
		      .options = modes, .default_json = "\"a\"", .required = true};

	check_field(&f,
		    "{\"key\":\"mode\",\"type\":\"select\",\"label\":\"Mode\","
		    "\"options\":[\"a\",\"b/c\"]}",
		    "{\"type\":\"string\",\"enum\":[\"a\",\"b/c\"],\"title\":\"Mode\","
		    "\"default\":\"a\"}",
		    "[\"mode\"]", "{\"mode\":\"a\"}");
}
END_TEST

START_TEST(test_field_schema_text)
{
	ch_field f = {.key = "n", .label = "N", .widget = CH_WIDGET_NUMBER,
		      .help = "How many.", .default_json = "null",
		      .schema = "{\"type\":[\"integer\",\"null\"],\"minimum\":1,"
				"\"title\":\"Own title\"}"};

	check_field(&f, "{\"key\":\"n\",\"type\":\"number\",\"label\":\"N\",\"help\":\"How many.\"}",
		    "{\"type\":[\"integer\",\"null\"],\"minimum\":1,\"title\":\"Own title\","
		    "\"description\":\"How many.\",\"default\":null}",
		    "[]", "{\"n\":null}");
}
END_TEST

START_TEST(test_field_several)
{
	static const ch_field a = {.key = "a", .label = "A", .widget = CH_WIDGET_TEXT,
				   .required = true};
	static const ch_field b = {.key = "b", .label = "B", .widget = CH_WIDGET_TEXT,
				   .required = true};
	json_object *step = ch_sdk_step_new("s", "S", "D");

	ck_assert_int_eq(ch_sdk_step_field(step, &a), CH_OK);
	ck_assert_int_eq(ch_sdk_step_field(step, &b), CH_OK);
	ck_assert_str_eq(text(json_object_object_get(step, "form")),
			 "[{\"key\":\"a\",\"type\":\"text\",\"label\":\"A\"},"
			 "{\"key\":\"b\",\"type\":\"text\",\"label\":\"B\"}]");
	ck_assert_str_eq(text(json_object_object_get(
				 json_object_object_get(step, "schema"), "required")),
			 "[\"a\",\"b\"]");
	json_object_put(step);
}
END_TEST

/* Adding @p f must fail with CH_E_INVALID and leave the step as it was. */
static void check_field_rejected(json_object *step, const ch_field *f)
{
	char *before = strdup(text(step));

	ck_assert_int_eq(ch_sdk_step_field(step, f), CH_E_INVALID);
	ck_assert_str_eq(text(step), before);
	free(before);
}

START_TEST(test_field_invalid)
{
	static const char *const none[] = {NULL};
	json_object *step = ch_sdk_step_new("file", "File", "Pick it.");
	json_object *not_step = json_object_new_object();
	ch_field ok = {.key = "k", .label = "K", .widget = CH_WIDGET_TEXT};
	ch_field f;

	f = ok, f.schema = "{\"type\":";
	check_field_rejected(step, &f);
	f = ok, f.schema = "[\"not an object\"]";
	check_field_rejected(step, &f);
	f = ok, f.schema = "{} trailing";
	check_field_rejected(step, &f);
	f = ok, f.default_json = "nope";
	check_field_rejected(step, &f);
	f = ok, f.key = NULL;
	check_field_rejected(step, &f);
	f = ok, f.key = "";
	check_field_rejected(step, &f);
	f = ok, f.label = NULL;
	check_field_rejected(step, &f);
	f = ok, f.widget = (ch_widget)42;
	check_field_rejected(step, &f);
	f = ok, f.widget = CH_WIDGET_SELECT;
	check_field_rejected(step, &f); /* a select needs options */
	f.options = none;
	check_field_rejected(step, &f);
	check_field_rejected(step, NULL);
	ck_assert_str_eq(text(step), EMPTY_STEP);

	ck_assert_int_eq(ch_sdk_step_field(step, &ok), CH_OK);
	check_field_rejected(step, &ok); /* the same key twice */
	ck_assert_int_eq(ch_sdk_step_field(not_step, &ok), CH_E_INVALID);
	ck_assert_int_eq(ch_sdk_step_field(NULL, &ok), CH_E_INVALID);
	json_object_put(not_step);
	json_object_put(step);
}
END_TEST

START_TEST(test_step_flags)
{
	json_object *step = ch_sdk_step_new("s", "S", "D");

	ch_sdk_step_flags(step, true, false);
	ck_assert(json_object_get_boolean(json_object_object_get(step, "hasNext")));
	ck_assert(!json_object_get_boolean(json_object_object_get(step, "canFinish")));
	ck_assert(!json_object_get_boolean(json_object_object_get(step, "hasPrevious")));
	ch_sdk_step_flags(step, false, true);
	ck_assert(!json_object_get_boolean(json_object_object_get(step, "hasNext")));
	ck_assert(json_object_get_boolean(json_object_object_get(step, "canFinish")));
	ch_sdk_step_flags(NULL, true, true); /* no-op */
	json_object_put(step);
}
END_TEST

START_TEST(test_step_fill)
{
	static const ch_field host = {.key = "host", .label = "Host", .widget = CH_WIDGET_TEXT};
	static const ch_field port = {.key = "port", .label = "Port",
				      .widget = CH_WIDGET_NUMBER, .default_json = "5432"};
	static const ch_field tls = {.key = "tls", .label = "TLS", .widget = CH_WIDGET_CHECKBOX,
				     .default_json = "false"};
	json_object *step = ch_sdk_step_new("s", "S", "D");
	json_object *answers = parse("{\"host\":\"db\",\"port\":6543,\"other\":1,"
				     "\"nested\":{\"x\":[1]}}");

	ck_assert_int_eq(ch_sdk_step_field(step, &host), CH_OK);
	ck_assert_int_eq(ch_sdk_step_field(step, &port), CH_OK);
	ck_assert_int_eq(ch_sdk_step_field(step, &tls), CH_OK);
	ch_sdk_step_fill(step, answers);
	ck_assert_str_eq(text(json_object_object_get(step, "model")),
			 "{\"port\":6543,\"tls\":false,\"host\":\"db\"}");
	/* The model holds copies: the answers can go. */
	json_object_put(answers);
	ck_assert_str_eq(text(json_object_object_get(step, "model")),
			 "{\"port\":6543,\"tls\":false,\"host\":\"db\"}");
	ch_sdk_step_fill(step, NULL);
	answers = parse("[1]");
	ch_sdk_step_fill(step, answers);
	json_object_put(answers);
	ch_sdk_step_fill(NULL, NULL);
	ck_assert_str_eq(text(json_object_object_get(step, "model")),
			 "{\"port\":6543,\"tls\":false,\"host\":\"db\"}");
	json_object_put(step);
}
END_TEST

/* A secret answer never goes back into the model the plugin returns. */
START_TEST(test_step_fill_leaves_secrets_out)
{
	static const ch_field user = {.key = "user", .label = "User", .widget = CH_WIDGET_TEXT};
	static const ch_field pw = {.key = "pw", .label = "Password",
				    .widget = CH_WIDGET_PASSWORD};
	json_object *step = ch_sdk_step_new("s", "S", "D");
	json_object *answers = parse("{\"user\":\"u\",\"pw\":\"hunter2\"}");

	ck_assert_int_eq(ch_sdk_step_field(step, &user), CH_OK);
	ck_assert_int_eq(ch_sdk_step_field(step, &pw), CH_OK);
	ch_sdk_step_fill(step, answers);
	ck_assert_str_eq(text(json_object_object_get(step, "model")), "{\"user\":\"u\"}");
	json_object_put(answers);
	json_object_put(step);
}
END_TEST

/* A field with a condition: in the form with "when", required through
 * the schema's allOf only while the condition holds. */
START_TEST(test_field_when)
{
	static const char *const kinds[] = {"password", "trust", NULL};
	static const ch_field auth = {.key = "auth", .label = "Auth", .widget = CH_WIDGET_SELECT,
				      .options = kinds, .required = true};
	ch_field user = {.key = "user", .label = "User", .widget = CH_WIDGET_TEXT,
			 .required = true, .when_key = "auth", .when_value = "password"};
	json_object *step = ch_sdk_step_new("s", "S", "D"), *schema;

	ck_assert_int_eq(ch_sdk_step_field(step, &auth), CH_OK);
	ck_assert_int_eq(ch_sdk_step_field(step, &user), CH_OK);
	schema = json_object_object_get(step, "schema");
	ck_assert_str_eq(text(json_object_array_get_idx(json_object_object_get(step, "form"), 1)),
			 "{\"key\":\"user\",\"type\":\"text\",\"label\":\"User\","
			 "\"when\":{\"auth\":\"password\"}}");
	ck_assert_str_eq(text(json_object_object_get(schema, "required")), "[\"auth\"]");
	ck_assert_str_eq(text(json_object_object_get(schema, "allOf")),
			 "[{\"if\":{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]},\"then\":{\"required\":[\"user\"]}}]");
	json_object_put(step);

	/* not required: in the form with "when", no rule */
	step = ch_sdk_step_new("s", "S", "D");
	user.required = false;
	ck_assert_int_eq(ch_sdk_step_field(step, &auth), CH_OK);
	ck_assert_int_eq(ch_sdk_step_field(step, &user), CH_OK);
	ck_assert_ptr_null(json_object_object_get(json_object_object_get(step, "schema"), "allOf"));
	json_object_put(step);

	/* a condition on a field the step does not have yet, or half given */
	step = ch_sdk_step_new("s", "S", "D");
	ck_assert_int_eq(ch_sdk_step_field(step, &user), CH_E_INVALID);
	ck_assert_int_eq(ch_sdk_step_field(step, &auth), CH_OK);
	user.when_value = NULL;
	ck_assert_int_eq(ch_sdk_step_field(step, &user), CH_E_INVALID);
	ck_assert_str_eq(text(json_object_object_get(step, "form")),
			 "[{\"key\":\"auth\",\"type\":\"select\",\"label\":\"Auth\","
			 "\"options\":[\"password\",\"trust\"]}]");
	json_object_put(step);
}
END_TEST

/* --- test results ------------------------------------------------------- */

START_TEST(test_test_result)
{
	json_object *res = ch_sdk_test_result(true, NULL, "connected");

	ck_assert_str_eq(text(res), "{\"valid\":true,\"message\":\"connected\","
				    "\"failure_type\":null,\"errors\":[]}");
	json_object_put(res);
	res = ch_sdk_test_result(false, CH_FAILURE_CONFIG, "bad");
	ch_sdk_test_error(res, "/password", "wrong password");
	ch_sdk_test_error(res, NULL, NULL);
	ck_assert_str_eq(text(res), "{\"valid\":false,\"message\":\"bad\","
				    "\"failure_type\":\"config_error\",\"errors\":["
				    "{\"pointer\":\"/password\",\"message\":\"wrong password\"},"
				    "{\"pointer\":\"\",\"message\":\"\"}]}");
	json_object_put(res);
	res = ch_sdk_test_result(false, CH_FAILURE_TRANSIENT, NULL);
	ck_assert_str_eq(text(res), "{\"valid\":false,\"message\":\"\","
				    "\"failure_type\":\"transient_error\",\"errors\":[]}");
	ch_sdk_test_error(NULL, "/x", "y"); /* no-op */
	json_object_put(res);
}
END_TEST

/* --- steps from a table ------------------------------------------------- */

static const ch_field tbl_fields[] = {
	{.key = "host", .label = "Host", .widget = CH_WIDGET_TEXT, .required = true},
	{.key = "port", .label = "Port", .widget = CH_WIDGET_NUMBER, .default_json = "5432"},
};

static const ch_field tbl_extra[] = {
	{.key = "tls", .label = "TLS", .widget = CH_WIDGET_CHECKBOX},
};

static const ch_step_def tbl_step = {
	"server", "Server", "Where it is.", tbl_fields, CH_SDK_COUNT(tbl_fields), true, false,
};

/* The keys of a step's form, comma-separated. */
static const char *form_keys(json_object *step, char *buf, size_t size)
{
	json_object *form = json_object_object_get(step, "form");
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < json_object_array_length(form) && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i > 0 ? "," : "",
				      json_object_get_string(json_object_object_get(
					      json_object_array_get_idx(form, i), "key")));
	return buf;
}

START_TEST(test_step_make)
{
	json_object *step = NULL;
	char keys[64];

	ck_assert_int_eq(ch_sdk_step_make(&call, &tbl_step, NULL, 0, &step), CH_OK);
	ck_assert_int_eq(call.errors, 0);
	ck_assert_str_eq(ch_sdk_str(step, "id", ""), "server");
	ck_assert_str_eq(ch_sdk_str(step, "title", ""), "Server");
	ck_assert_str_eq(ch_sdk_str(step, "description", ""), "Where it is.");
	ck_assert_str_eq(form_keys(step, keys, sizeof(keys)), "host,port");
	ck_assert_str_eq(text(json_object_object_get(step, "model")), "{\"port\":5432}");
	ck_assert(ch_sdk_bool(step, "hasNext", false));
	ck_assert(!ch_sdk_bool(step, "canFinish", true));
	json_object_put(step);

	/* Extra fields come after the step's own. */
	ck_assert_int_eq(ch_sdk_step_make(&call, &tbl_step, tbl_extra,
					  CH_SDK_COUNT(tbl_extra), &step), CH_OK);
	ck_assert_str_eq(form_keys(step, keys, sizeof(keys)), "host,port,tls");
	json_object_put(step);
}
END_TEST

START_TEST(test_step_make_bad)
{
	static const ch_field bad[] = {{.key = "x", .label = NULL}};
	ch_step_def def = tbl_step;
	json_object *step = (json_object *)&call; /* must be reset to NULL */

	/* A field that is already there, given again as an extra. */
	ck_assert_int_eq(ch_sdk_step_make(&call, &tbl_step, tbl_fields, 1, &step), CH_E_INVALID);
	ck_assert_ptr_null(step);
	assert_error(CH_E_INVALID, "cannot build setup step \"server\"");
	def.fields = bad;
	def.nfields = 1;
	ck_assert_int_eq(ch_sdk_step_make(&call, &def, NULL, 0, &step), CH_E_INVALID);
	ck_assert_ptr_null(step);
	assert_error(CH_E_INVALID, "cannot build setup step \"server\"");
	def.id = NULL;
	ck_assert_int_eq(ch_sdk_step_make(&call, &def, NULL, 0, &step), CH_E_INVALID);
	assert_error(CH_E_INVALID, "ch_sdk_step_make");
	ck_assert_int_eq(ch_sdk_step_make(&call, NULL, NULL, 0, &step), CH_E_INVALID);
	assert_error(CH_E_INVALID, "ch_sdk_step_make");
	ck_assert_int_eq(ch_sdk_step_make(&call, &tbl_step, NULL, 0, NULL), CH_E_INVALID);
	assert_error(CH_E_INVALID, "ch_sdk_step_make");
}
END_TEST

/* --- configuration problems and scrubbing ------------------------------- */

START_TEST(test_problem)
{
	ch_problems p = {NULL, 0};

	ch_sdk_problem(&p, "/host", "is required");
	ch_sdk_problem(&p, "/port", "must be between 1 and 65535");
	ck_assert_int_eq(p.count, 2);
	ck_assert_str_eq(text(p.result),
			 "{\"valid\":false,\"message\":\"the configuration is not valid\","
			 "\"failure_type\":\"config_error\",\"errors\":["
			 "{\"pointer\":\"/host\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/port\",\"message\":\"must be between 1 and 65535\"}]}");
	json_object_put(p.result);
	ch_sdk_problem(NULL, "/x", "y"); /* no-op */
}
END_TEST

/* Asserts ch_sdk_scrub(text, secrets) is @p want. */
static void check_scrub(const char *text_in, const char *const *secrets, size_t n,
			const char *want)
{
	char *got = ch_sdk_scrub(text_in, secrets, n);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_scrub)
{
	static const char *const pw[] = {"hunter2"};
	static const char *const several[] = {"pw", NULL, "", "tok-123", "key"};
	static const char *const overlapping[] = {"aa"};

	check_scrub("login hunter2 failed: hunter2", pw, 1, "login *** failed: ***");
	check_scrub("hunter2", pw, 1, "***");
	check_scrub("hunter2hunter2!", pw, 1, "******!");
	check_scrub("nothing here", pw, 1, "nothing here");
	check_scrub("", pw, 1, "");
	check_scrub(NULL, pw, 1, "");
	/* Short secrets are masked with "***" too: the length does not show. */
	check_scrub("pw=pw; token tok-123; key=key", several, CH_SDK_COUNT(several),
		    "***=***; token ***; ***=***");
	check_scrub("aaaaa", overlapping, 1, "******a");
	check_scrub("as it is", NULL, 0, "as it is");
	check_scrub("as it is", pw, 0, "as it is");
}
END_TEST

/* --- ready-made operations ---------------------------------------------- */

/* What the next-step function of the tests saw, and what it should do. */
static struct {
	int calls;
	char answered[32]; /* "(null)" for NULL */
	char answers[256]; /* the answers' text, "(null)" for NULL */
	int rc;            /* returned; CH_OK builds tbl_step */
	bool no_step;      /* return CH_OK without a step */
} next_seen;

static int next_step(ch_call *c, const char *answered, json_object *answers, json_object **step)
{
	next_seen.calls++;
	snprintf(next_seen.answered, sizeof(next_seen.answered), "%s",
		 answered != NULL ? answered : "(null)");
	snprintf(next_seen.answers, sizeof(next_seen.answers), "%s",
		 answers != NULL ? text(answers) : "(null)");
	*step = NULL;
	if (next_seen.rc != CH_OK)
		return ch_sdk_fail(c, next_seen.rc, "unknown setup step \"%s\"",
				   next_seen.answered);
	if (next_seen.no_step)
		return CH_OK;
	return ch_sdk_step_make(c, &tbl_step, NULL, 0, step);
}

/* Runs ch_sdk_setup() on @p input; returns its status, *out the output. */
static int run_setup(const char *input, char **out)
{
	*out = NULL;
	return ch_sdk_setup(&call, input, out, next_step);
}

START_TEST(test_setup_first_step)
{
	char *out = NULL;
	json_object *step;

	ck_assert_int_eq(run_setup("{\"connector\":{},\"step\":null,\"answers\":{}}", &out), CH_OK);
	ck_assert_int_eq(next_seen.calls, 1);
	ck_assert_str_eq(next_seen.answered, "(null)");
	ck_assert_str_eq(next_seen.answers, "{}");
	step = parse(out);
	ck_assert_str_eq(ch_sdk_str(step, "id", ""), "server");
	ck_assert_str_eq(text(json_object_object_get(step, "model")), "{\"port\":5432}");
	json_object_put(step);
	fake_host_api.free(out);
	/* "step" and "answers" may be absent. */
	ck_assert_int_eq(run_setup("{}", &out), CH_OK);
	ck_assert_str_eq(next_seen.answered, "(null)");
	ck_assert_str_eq(next_seen.answers, "(null)");
	fake_host_api.free(out);
	ck_assert_int_eq(call.errors, 0);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

START_TEST(test_setup_answered)
{
	char *out = NULL;
	json_object *step;

	/* The step shown again keeps the answers given to its fields. */
	ck_assert_int_eq(run_setup("{\"step\":\"server\",\"answers\":{\"host\":\"db\","
				   "\"port\":6543,\"other\":true}}", &out), CH_OK);
	ck_assert_str_eq(next_seen.answered, "server");
	ck_assert_str_eq(next_seen.answers, "{\"host\":\"db\",\"port\":6543,\"other\":true}");
	step = parse(out);
	ck_assert_str_eq(text(json_object_object_get(step, "model")),
			 "{\"port\":6543,\"host\":\"db\"}");
	json_object_put(step);
	fake_host_api.free(out);
	/* Answers that are not an object are none. */
	ck_assert_int_eq(run_setup("{\"step\":\"server\",\"answers\":[1]}", &out), CH_OK);
	ck_assert_str_eq(next_seen.answers, "(null)");
	fake_host_api.free(out);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

START_TEST(test_setup_failures)
{
	char *out = NULL;

	ck_assert_int_eq(run_setup("[]", &out), CH_E_INVALID);
	assert_error(CH_E_INVALID, "input is not a JSON object");
	ck_assert_int_eq(run_setup("{\"step\":3}", &out), CH_E_INVALID);
	assert_error(CH_E_INVALID, "\"step\" must be null or a step id");
	ck_assert_int_eq(next_seen.calls, 0);
	ck_assert_ptr_null(out);

	next_seen.rc = CH_E_INVALID;
	ck_assert_int_eq(run_setup("{\"step\":\"nope\"}", &out), CH_E_INVALID);
	assert_error(CH_E_INVALID, "unknown setup step \"nope\"");
	ck_assert_ptr_null(out);
	next_seen.rc = CH_OK;

	next_seen.no_step = true;
	ck_assert_int_eq(run_setup("{}", &out), CH_E_NOMEM);
	assert_error(CH_E_NOMEM, "out of memory");
	next_seen.no_step = false;

	atomic_store(&fake_alloc_fail, 1);
	ck_assert_int_eq(run_setup("{}", &out), CH_E_NOMEM);
	assert_error(CH_E_NOMEM, "out of memory");
	ck_assert_ptr_null(out);
	atomic_store(&fake_alloc_fail, 0);

	ck_assert_int_eq(ch_sdk_setup(&call, "{}", &out, NULL), CH_E_INVALID);
	assert_error(CH_E_INVALID, "ch_sdk_setup");
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* What the check function of the tests saw, and what it should do. */
static struct {
	int calls;
	char config[256];
	int rc;           /* returned; CH_OK gives a result */
	bool no_result;   /* return CH_OK without a result */
} check_seen;

static int check_config(ch_call *c, json_object *config, json_object **result)
{
	check_seen.calls++;
	snprintf(check_seen.config, sizeof(check_seen.config), "%s", text(config));
	*result = NULL;
	if (check_seen.rc != CH_OK)
		return ch_sdk_fail(c, check_seen.rc, "cannot check");
	if (check_seen.no_result)
		return CH_OK;
	*result = ch_sdk_test_result(true, NULL, ch_sdk_str(config, "host", "?"));
	return CH_OK;
}

START_TEST(test_test_op)
{
	char *out = NULL;

	ck_assert_int_eq(ch_sdk_test(&call, "{\"connector\":{},\"config\":{\"host\":\"db\"}}", &out,
				     check_config), CH_OK);
	ck_assert_int_eq(check_seen.calls, 1);
	ck_assert_str_eq(check_seen.config, "{\"host\":\"db\"}");
	ck_assert_str_eq(out, "{\"valid\":true,\"message\":\"db\",\"failure_type\":null,"
			      "\"errors\":[]}");
	fake_host_api.free(out);
	ck_assert_int_eq(call.errors, 0);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

START_TEST(test_test_op_failures)
{
	char *out = NULL;

	ck_assert_int_eq(ch_sdk_test(&call, "{", &out, check_config), CH_E_INVALID);
	assert_error(CH_E_INVALID, "input is not a JSON object");
	ck_assert_int_eq(ch_sdk_test(&call, "{\"config\":[]}", &out, check_config), CH_E_INVALID);
	assert_error(CH_E_INVALID, "test input has no \"config\" object");
	ck_assert_int_eq(check_seen.calls, 0);
	ck_assert_ptr_null(out);

	check_seen.rc = CH_E_UNSUPPORTED;
	ck_assert_int_eq(ch_sdk_test(&call, "{\"config\":{}}", &out, check_config),
			 CH_E_UNSUPPORTED);
	assert_error(CH_E_UNSUPPORTED, "cannot check");
	ck_assert_ptr_null(out);
	check_seen.rc = CH_OK;

	check_seen.no_result = true;
	ck_assert_int_eq(ch_sdk_test(&call, "{\"config\":{}}", &out, check_config), CH_E_NOMEM);
	assert_error(CH_E_NOMEM, "out of memory");
	check_seen.no_result = false;

	atomic_store(&fake_alloc_fail, 1);
	ck_assert_int_eq(ch_sdk_test(&call, "{\"config\":{}}", &out, check_config), CH_E_NOMEM);
	assert_error(CH_E_NOMEM, "out of memory");
	atomic_store(&fake_alloc_fail, 0);

	ck_assert_int_eq(ch_sdk_test(&call, "{\"config\":{}}", &out, NULL), CH_E_INVALID);
	assert_error(CH_E_INVALID, "ch_sdk_test");
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

START_TEST(test_refresh_cache)
{
	static ch_host_api no_cache;
	char *out = NULL;

	ck_assert_int_eq(ch_sdk_refresh_cache(&call, "{\"config\":{}}", &out), CH_OK);
	ck_assert_int_eq(call.cache_clears, 1);
	ck_assert_str_eq(out, "{}");
	fake_host_api.free(out);
	ck_assert_int_eq(call.errors, 0);

	call.cache_clear_rc = CH_E_IO;
	out = NULL;
	ck_assert_int_eq(ch_sdk_refresh_cache(&call, NULL, &out), CH_E_IO);
	ck_assert_ptr_null(out);
	assert_error(CH_E_IO, "cannot clear the connector's cache");

	no_cache = fake_host_api;
	no_cache.cache_clear = NULL;
	ck_assert_int_eq(ch_sdk_init(&no_cache), CH_OK);
	ck_assert_int_eq(ch_sdk_refresh_cache(&call, "{}", &out), CH_E_UNSUPPORTED);
	assert_error(CH_E_UNSUPPORTED, "the host has no cache to clear");
	ck_assert_int_eq(call.cache_clears, 0);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

static void setup_ops(void)
{
	setup_host();
	memset(&next_seen, 0, sizeof(next_seen));
	memset(&check_seen, 0, sizeof(check_seen));
}

static Suite *sdk_suite(void)
{
	Suite *s = suite_create("sdk");
	TCase *tc;

	tc = tcase_create("init");
	tcase_add_checked_fixture(tc, fake_host_reset, NULL);
	tcase_add_test(tc, test_init_null);
	tcase_add_test(tc, test_init_wrong_major);
	tcase_add_test(tc, test_init_too_small);
	tcase_add_test(tc, test_init_missing_entries);
	tcase_add_test(tc, test_init_ok);
	tcase_add_test(tc, test_before_init);
	suite_add_tcase(s, tc);

	tc = tcase_create("io");
	tcase_add_checked_fixture(tc, setup_host, NULL);
	tcase_add_test(tc, test_log);
	tcase_add_test(tc, test_fail);
	tcase_add_test(tc, test_input_ok);
	tcase_add_test(tc, test_input_bad);
	tcase_add_test(tc, test_output_ok);
	tcase_add_test(tc, test_output_failures);
	tcase_add_test(tc, test_readers);
	suite_add_tcase(s, tc);

	tc = tcase_create("steps");
	tcase_add_checked_fixture(tc, setup_host, NULL);
	tcase_add_test(tc, test_step_new);
	tcase_add_test(tc, test_field_text);
	tcase_add_test(tc, test_field_password);
	tcase_add_test(tc, test_field_number_checkbox);
	tcase_add_test(tc, test_field_select);
	tcase_add_test(tc, test_field_schema_text);
	tcase_add_test(tc, test_field_several);
	tcase_add_test(tc, test_field_invalid);
	tcase_add_test(tc, test_step_flags);
	tcase_add_test(tc, test_step_fill);
	tcase_add_test(tc, test_step_fill_leaves_secrets_out);
	tcase_add_test(tc, test_field_when);
	tcase_add_test(tc, test_test_result);
	suite_add_tcase(s, tc);

	tc = tcase_create("operations");
	tcase_add_checked_fixture(tc, setup_ops, NULL);
	tcase_add_test(tc, test_step_make);
	tcase_add_test(tc, test_step_make_bad);
	tcase_add_test(tc, test_problem);
	tcase_add_test(tc, test_scrub);
	tcase_add_test(tc, test_setup_first_step);
	tcase_add_test(tc, test_setup_answered);
	tcase_add_test(tc, test_setup_failures);
	tcase_add_test(tc, test_test_op);
	tcase_add_test(tc, test_test_op_failures);
	tcase_add_test(tc, test_refresh_cache);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ch_check_run(sdk_suite());
}
