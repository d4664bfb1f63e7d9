/*
 * Unit tests of core/jsonschema.c: every keyword's pass and fail, exact
 * error pointers and messages, compile errors, formats, $ref, limits.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <connhub/plugin.h>

#include "jsonschema.h"
#include "check_run.h"

#define ERRLEN 512

/* ---- helpers ---- */

static json_object *parse(const char *text)
{
	json_tokener *tok = json_tokener_new_ex(2000);
	json_object *o;

	ck_assert_ptr_nonnull(tok);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	ck_assert_msg(json_tokener_get_error(tok) == json_tokener_success, "bad test JSON: %s", text);
	json_tokener_free(tok);
	return o;
}

static ch_schema *compile_ok(const char *text)
{
	char err[ERRLEN] = "";
	ch_schema *s = NULL;
	int rc = ch_schema_compile_text(&s, text, err, sizeof(err));

	ck_assert_msg(rc == CH_OK, "schema %s: rc %d: %s", text, rc, err);
	ck_assert_ptr_nonnull(s);
	return s;
}

#define EXPECT_COMPILE_ERROR(text, msg) expect_compile_error(__LINE__, text, msg)

static void expect_compile_error(int line, const char *text, const char *msg)
{
	char err[ERRLEN] = "";
	ch_schema *s = (ch_schema *)&err; /* must be reset to NULL */
	int rc = ch_schema_compile_text(&s, text, err, sizeof(err));

	ck_assert_msg(rc == CH_E_INVALID, "line %d: schema %s: rc %d", line, text, rc);
	ck_assert_msg(s == NULL, "line %d: *out not NULL", line);
	ck_assert_msg(strcmp(err, msg) == 0, "line %d: schema %s:\n got  %s\n want %s", line, text,
	              err, msg);
}

static const char *text_of(json_object *o)
{
	return o != NULL ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "(null)";
}

/* Validates; returns the errors (or NULL) and checks that validating
 * without collecting gives the same answer. */
static json_object *run(ch_schema *s, json_object *inst, int *rc)
{
	json_object *errors = (json_object *)s; /* must be reset */
	int quiet_rc = ch_schema_validate(s, inst, NULL);

	*rc = ch_schema_validate(s, inst, &errors);
	ck_assert_int_eq(quiet_rc, *rc);
	if (*rc == CH_OK)
		ck_assert_ptr_null(errors);
	else
		ck_assert(json_object_is_type(errors, json_type_array));
	return errors;
}

static void check_error(int line, json_object *errors, size_t i, const char *ptr, const char *msg)
{
	json_object *e = json_object_array_get_idx(errors, i), *p, *m;

	ck_assert_msg(json_object_object_get_ex(e, "pointer", &p) &&
	                  json_object_object_get_ex(e, "message", &m),
	              "line %d: error %zu malformed", line, i);
	ck_assert_msg(strcmp(json_object_get_string(p), ptr) == 0 &&
	                  strcmp(json_object_get_string(m), msg) == 0,
	              "line %d: error %zu:\n got  %s: %s\n want %s: %s\n all  %s", line, i,
	              json_object_get_string(p), json_object_get_string(m), ptr, msg, text_of(errors));
}

/* Pairs of (pointer, message), NULL-terminated; none: must be valid. */
#define EXPECT(schema, inst, ...) \
	expect_errors(__LINE__, schema, inst, __VA_ARGS__, (const char *)NULL)
#define EXPECT_VALID(schema, inst) expect_errors(__LINE__, schema, inst, (const char *)NULL)

static void expect_errors(int line, const char *schema, const char *inst, ...)
{
	ch_schema *s = compile_ok(schema);
	json_object *doc = parse(inst), *errors;
	size_t n = 0, got;
	const char *ptr;
	va_list ap;
	int rc;

	errors = run(s, doc, &rc);
	va_start(ap, inst);
	for (ptr = va_arg(ap, const char *); ptr != NULL; ptr = va_arg(ap, const char *)) {
		const char *msg = va_arg(ap, const char *);

		ck_assert_msg(rc == CH_E_INVALID, "line %d: %s valid against %s", line, inst, schema);
		check_error(line, errors, n++, ptr, msg);
	}
	va_end(ap);
	got = errors != NULL ? json_object_array_length(errors) : 0;
	ck_assert_msg(got == n, "line %d: %zu errors, want %zu: %s", line, got, n, text_of(errors));
	ck_assert_int_eq(rc, n > 0 ? CH_E_INVALID : CH_OK);
	json_object_put(errors);
	json_object_put(doc);
	ch_schema_free(s);
}

/* ---- type ---- */

START_TEST(type_each)
{
	EXPECT_VALID("{\"type\":\"null\"}", "null");
	EXPECT_VALID("{\"type\":\"boolean\"}", "false");
	EXPECT_VALID("{\"type\":\"object\"}", "{}");
	EXPECT_VALID("{\"type\":\"array\"}", "[]");
	EXPECT_VALID("{\"type\":\"string\"}", "\"\"");
	EXPECT_VALID("{\"type\":\"number\"}", "1.5");
	EXPECT_VALID("{\"type\":\"number\"}", "7");
	EXPECT("{\"type\":\"null\"}", "0", "", "must be of type null, got integer");
	EXPECT("{\"type\":\"boolean\"}", "\"true\"", "", "must be of type boolean, got string");
	EXPECT("{\"type\":\"object\"}", "[]", "", "must be of type object, got array");
	EXPECT("{\"type\":\"array\"}", "{}", "", "must be of type array, got object");
	EXPECT("{\"type\":\"string\"}", "null", "", "must be of type string, got null");
	EXPECT("{\"type\":\"number\"}", "true", "", "must be of type number, got boolean");
}
END_TEST

START_TEST(type_integer_vs_number)
{
	EXPECT_VALID("{\"type\":\"integer\"}", "42");
	EXPECT_VALID("{\"type\":\"integer\"}", "-3");
	EXPECT_VALID("{\"type\":\"integer\"}", "1.0");
	EXPECT_VALID("{\"type\":\"integer\"}", "1e3");
	EXPECT_VALID("{\"type\":\"integer\"}", "18446744073709551615");
	EXPECT("{\"type\":\"integer\"}", "1.5", "", "must be of type integer, got number");
	EXPECT("{\"type\":\"integer\"}", "\"1\"", "", "must be of type integer, got string");
}
END_TEST

START_TEST(type_array_of_types)
{
	EXPECT_VALID("{\"type\":[\"string\",\"null\"]}", "null");
	EXPECT_VALID("{\"type\":[\"string\",\"null\"]}", "\"x\"");
	EXPECT("{\"type\":[\"string\",\"null\"]}", "1", "", "must be of type string or null, got integer");
	EXPECT("{\"type\":[\"string\",\"integer\",\"null\"]}", "{}", "",
	       "must be of type string, integer or null, got object");
}
END_TEST

/* ---- objects ---- */

START_TEST(properties_required)
{
	const char *s = "{\"type\":\"object\",\"properties\":{\"host\":{\"type\":\"string\"},"
	                "\"port\":{\"type\":\"integer\"}},\"required\":[\"host\",\"port\"]}";

	EXPECT_VALID(s, "{\"host\":\"h\",\"port\":1,\"other\":true}");
	EXPECT(s, "{}", "/host", "is required", "/port", "is required");
	EXPECT(s, "{\"host\":5,\"port\":1}", "/host", "must be of type string, got integer");
	EXPECT(s, "{\"port\":\"80\"}", "/host", "is required", "/port",
	       "must be of type integer, got string");
	EXPECT(s, "[]", "", "must be of type object, got array");
	/* required applies to objects only */
	EXPECT_VALID("{\"required\":[\"a\"]}", "5");
}
END_TEST

START_TEST(additional_properties)
{
	const char *no = "{\"properties\":{\"a\":{}},\"additionalProperties\":false}";
	const char *typed = "{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"integer\"}}";

	EXPECT_VALID(no, "{\"a\":1}");
	EXPECT(no, "{\"a\":1,\"b\":2,\"c\":3}", "/b", "is not allowed (additionalProperties)", "/c",
	       "is not allowed (additionalProperties)");
	EXPECT_VALID(typed, "{\"a\":\"x\",\"b\":2}");
	EXPECT(typed, "{\"a\":\"x\",\"b\":\"2\"}", "/b", "must be of type integer, got string");
	EXPECT_VALID("{\"additionalProperties\":true}", "{\"x\":1}");
}
END_TEST

START_TEST(pattern_properties)
{
	const char *s = "{\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},"
	                "\"additionalProperties\":false}";

	EXPECT_VALID(s, "{\"x-a\":\"1\",\"x-b\":\"2\"}");
	EXPECT(s, "{\"x-a\":1,\"y\":2}", "/x-a", "must be of type string, got integer", "/y",
	       "is not allowed (additionalProperties)");
}
END_TEST

START_TEST(property_names)
{
	const char *s = "{\"propertyNames\":{\"pattern\":\"^[a-z]+$\",\"maxLength\":3}}";

	EXPECT_VALID(s, "{\"abc\":1}");
	EXPECT(s, "{\"ab\":1,\"A\":2,\"abcd\":3}", "/A", "property name must match pattern ^[a-z]+$",
	       "/abcd", "property name must be at most 3 characters long");
	EXPECT("{\"propertyNames\":false}", "{\"a\":1}", "/a", "property name is not allowed");
	EXPECT_VALID("{\"propertyNames\":false}", "{}");
}
END_TEST

START_TEST(dependent)
{
	const char *req = "{\"dependentRequired\":{\"user\":[\"password\",\"realm\"]}}";
	const char *sch = "{\"dependentSchemas\":{\"tls\":{\"required\":[\"cert\"]}}}";

	EXPECT_VALID(req, "{}");
	EXPECT_VALID(req, "{\"user\":\"u\",\"password\":\"p\",\"realm\":\"r\"}");
	EXPECT(req, "{\"user\":\"u\"}", "/password", "is required when \"user\" is present", "/realm",
	       "is required when \"user\" is present");
	EXPECT_VALID(sch, "{\"cert\":1}");
	EXPECT(sch, "{\"tls\":true}", "/cert", "is required");
}
END_TEST

START_TEST(property_count)
{
	const char *s = "{\"minProperties\":1,\"maxProperties\":2}";

	EXPECT_VALID(s, "{\"a\":1}");
	EXPECT(s, "{}", "", "must have at least 1 property");
	EXPECT(s, "{\"a\":1,\"b\":2,\"c\":3}", "", "must have at most 2 properties");
	EXPECT_VALID(s, "[]");
}
END_TEST

/* ---- errors ---- */

START_TEST(many_errors_at_once)
{
	const char *s =
		"{\"type\":\"object\",\"required\":[\"name\",\"server\"],\"properties\":{"
		"\"name\":{\"type\":\"string\",\"minLength\":1},"
		"\"server\":{\"type\":\"object\",\"required\":[\"host\"],\"properties\":{"
		"\"host\":{\"type\":\"string\",\"format\":\"hostname\"},"
		"\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535}},"
		"\"additionalProperties\":false},"
		"\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]}}}}";

	EXPECT(s, "{\"name\":\"\",\"server\":{\"port\":70000,\"tls\":1},\"tags\":[\"a\",\"c\",\"b\",7]}",
	       "/name", "must be at least 1 character long",
	       "/server/host", "is required",
	       "/server/port", "must be at most 65535",
	       "/server/tls", "is not allowed (additionalProperties)",
	       "/tags/1", "must be one of: \"a\", \"b\"",
	       "/tags/3", "must be one of: \"a\", \"b\"");
	EXPECT(s, "{\"server\":{\"host\":\"-bad-\",\"port\":0}}",
	       "/name", "is required",
	       "/server/host", "is not a valid hostname",
	       "/server/port", "must be at least 1");
}
END_TEST

START_TEST(pointer_escaping)
{
	const char *s = "{\"properties\":{\"a/b\":{\"type\":\"string\"},\"m~n\":{\"type\":\"string\"},"
	                "\"~/\":{\"required\":[\"x/y~\"]}},\"additionalProperties\":false}";

	EXPECT(s, "{\"a/b\":1,\"m~n\":2,\"~/\":{},\"/\":0}",
	       "/a~1b", "must be of type string, got integer",
	       "/m~0n", "must be of type string, got integer",
	       "/~0~1/x~1y~0", "is required",
	       "/~1", "is not allowed (additionalProperties)");
	EXPECT("{\"properties\":{\"\":{\"type\":\"null\"}}}", "{\"\":1}", "/",
	       "must be of type null, got integer");
}
END_TEST

START_TEST(no_duplicates)
{
	/* the same failure reached twice is reported once */
	EXPECT("{\"allOf\":[{\"type\":\"string\"},{\"type\":\"string\"}]}", "1", "",
	       "must be of type string, got integer");
	EXPECT("{\"$defs\":{\"s\":{\"minimum\":3}},\"allOf\":[{\"$ref\":\"#/$defs/s\"},"
	       "{\"$ref\":\"#/$defs/s\"}],\"minimum\":3}",
	       "1", "", "must be at least 3");
}
END_TEST

/* ---- enum, const ---- */

START_TEST(enum_const)
{
	EXPECT_VALID("{\"enum\":[\"a\",\"b\"]}", "\"b\"");
	EXPECT("{\"enum\":[\"a\",\"b\"]}", "\"c\"", "", "must be one of: \"a\", \"b\"");
	EXPECT("{\"enum\":[1,null,[1],{\"a\":true}]}", "\"1\"", "",
	       "must be one of: 1, null, [1], {\"a\":true}");
	EXPECT_VALID("{\"enum\":[1,null,[1],{\"a\":true}]}", "null");
	EXPECT_VALID("{\"const\":\"x\"}", "\"x\"");
	EXPECT("{\"const\":\"x\"}", "\"y\"", "", "must be equal to \"x\"");
	EXPECT_VALID("{\"const\":null}", "null");
	EXPECT("{\"const\":null}", "false", "", "must be equal to null");
	EXPECT("{\"const\":false}", "0", "", "must be equal to false");
	EXPECT("{\"const\":[1,2]}", "[2,1]", "", "must be equal to [1,2]");
}
END_TEST

START_TEST(numeric_equality)
{
	EXPECT_VALID("{\"enum\":[1]}", "1.0");
	EXPECT_VALID("{\"enum\":[1.0]}", "1");
	EXPECT_VALID("{\"const\":1}", "1.0");
	EXPECT_VALID("{\"const\":{\"a\":[1,2.0],\"b\":{\"c\":0}}}", "{\"b\":{\"c\":0.0},\"a\":[1.0,2]}");
	EXPECT("{\"const\":1}", "1.0000001", "", "must be equal to 1");
	EXPECT("{\"const\":9007199254740993}", "9007199254740992", "",
	       "must be equal to 9007199254740993");
	EXPECT("{\"const\":{\"a\":1}}", "{\"a\":1,\"b\":2}", "", "must be equal to {\"a\":1}");
	EXPECT("{\"const\":\"a\\u0000b\"}", "\"a\\u0000c\"", "", "must be equal to \"a\\u0000b\"");
}
END_TEST

/* ---- strings ---- */

START_TEST(string_length_utf8)
{
	const char *s = "{\"minLength\":2,\"maxLength\":3}";

	EXPECT_VALID(s, "\"ab\"");
	EXPECT_VALID(s, "\"\xc3\xa9t\xc3\xa9\"");         /* "été": 3 code points, 5 bytes */
	EXPECT_VALID(s, "\"\xe6\x97\xa5\xe6\x9c\xac\"");  /* two CJK characters, 6 bytes */
	EXPECT_VALID(s, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\""); /* two emoji, 8 bytes */
	EXPECT(s, "\"\xe6\x97\xa5\"", "", "must be at least 2 characters long");
	EXPECT(s, "\"abcd\"", "", "must be at most 3 characters long");
	EXPECT("{\"minLength\":1}", "\"\"", "", "must be at least 1 character long");
	EXPECT("{\"maxLength\":1}", "\"\\u00e9\\u00e9\"", "", "must be at most 1 character long");
	EXPECT_VALID("{\"maxLength\":1}", "\"\\u00e9\"");
	EXPECT_VALID(s, "5");
	EXPECT_VALID("{\"maxLength\":2.0}", "\"ab\"");
}
END_TEST

START_TEST(pattern)
{
	EXPECT_VALID("{\"pattern\":\"^[a-z]+$\"}", "\"abc\"");
	EXPECT("{\"pattern\":\"^[a-z]+$\"}", "\"abC\"", "", "must match pattern ^[a-z]+$");
	/* unanchored search, as ECMA-262 */
	EXPECT_VALID("{\"pattern\":\"b\"}", "\"abc\"");
	EXPECT("{\"pattern\":\"x\"}", "\"abc\"", "", "must match pattern x");
	/* \d \w \s, inside and outside brackets */
	EXPECT_VALID("{\"pattern\":\"^\\\\d{3}-\\\\w+\\\\s\\\\S$\"}", "\"123-ab_9 x\"");
	EXPECT("{\"pattern\":\"^\\\\d+$\"}", "\"12a\"", "", "must match pattern ^\\d+$");
	EXPECT_VALID("{\"pattern\":\"^[\\\\w.-]+@[\\\\w.-]+$\"}", "\"a.b-c@d.e\"");
	EXPECT_VALID("{\"pattern\":\"^[\\\\w-.]+$\"}", "\"a-b.c\"");
	EXPECT("{\"pattern\":\"^[\\\\w-.]+$\"}", "\"a b\"", "", "must match pattern ^[\\w-.]+$");
	EXPECT_VALID("{\"pattern\":\"^(?:ab)+?\\\\/c$\"}", "\"abab/c\"");
	EXPECT_VALID("{\"pattern\":\"^[\\\\]\\\\-]$\"}", "\"]\"");
	EXPECT_VALID("{\"pattern\":\"^[\\\\]\\\\-]$\"}", "\"-\"");
	EXPECT("{\"pattern\":\"^[\\\\]\\\\-]$\"}", "\"\\\\\"", "", "must match pattern ^[\\]\\-]$");
	/* the whole string is searched, even past a NUL */
	EXPECT_VALID("{\"pattern\":\"z$\"}", "\"a\\u0000z\"");
	EXPECT_VALID("{\"pattern\":\"x\"}", "12");
}
END_TEST

START_TEST(regex_translation)
{
	static const char *const cases[][2] = {
		{ "^\\d+$", "^[0-9]+$" },
		{ "\\D\\W\\S", "[^0-9][^A-Za-z0-9_][^[:space:]]" },
		{ "[\\w.-]+", "[A-Za-z0-9_.-]+" },
		{ "[\\w-.]", "[A-Za-z0-9_.-]" },
		{ "[^\\s,]", "[^[:space:],]" },
		{ "(?:ab)+?c*?d??", "(ab)+c*d?" },
		{ "a\\.b\\/c\\-d", "a\\.b/c-d" },
		{ "[\\]a]", "[]a]" },
		{ "[a\\-z]", "[az-]" },
		{ "[\\^]", "\\^" },
		{ "[\\^\\-]", "[-^]" },
		{ "[a\\^]", "[a^]" },
		{ "\\t\\n", "\t\n" },
		{ "(a)\\1\\b", "(a)\\1\\b" },
	};
	char why[128], *out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(ch_schema_regex_translate(cases[i][0], &out, why, sizeof(why)), CH_OK);
		ck_assert_msg(strcmp(out, cases[i][1]) == 0, "%s -> %s, want %s", cases[i][0], out,
		              cases[i][1]);
		free(out);
	}
	ck_assert_int_eq(ch_schema_regex_translate("\\x41", &out, why, sizeof(why)), CH_E_INVALID);
	ck_assert_str_eq(why, "unsupported escape \\x");
	ck_assert_ptr_null(out);
	ck_assert_int_eq(ch_schema_regex_translate("(?<n>a)", &out, why, sizeof(why)), CH_E_INVALID);
	ck_assert_str_eq(why, "lookaround and named groups are not supported");
	ck_assert_int_eq(ch_schema_regex_translate("[\\D]", &out, why, sizeof(why)), CH_E_INVALID);
	ck_assert_str_eq(why, "\\D is not supported inside brackets");
	ck_assert_int_eq(ch_schema_regex_translate("[]", &out, why, sizeof(why)), CH_E_INVALID);
	ck_assert_str_eq(why, "empty character class");
	ck_assert_int_eq(ch_schema_regex_translate("[ab", &out, why, sizeof(why)), CH_E_INVALID);
	ck_assert_str_eq(why, "unterminated character class");
	ck_assert_int_eq(ch_schema_regex_translate("ab\\", &out, why, sizeof(why)), CH_E_INVALID);
	ck_assert_str_eq(why, "trailing backslash");
}
END_TEST

/* Quantifiers need something to repeat (ECMA-262's "nothing to repeat"),
 * bounds stay small, and so does the pattern with its repetitions written
 * out: stacked quantifiers (the fuzzer found a++++...) and nested counts
 * ((a{1000}){1000}){1000} made glibc's regcomp take gigabytes. */
START_TEST(regex_quantifiers)
{
	static const char *const ok[][2] = {
		{ "a{2}b{1,3}c{4,}", "a{2}b{1,3}c{4,}" },
		{ "(ab){1000}", "(ab){1000}" },
		{ "(ab{100}){99}", "(ab{100}){99}" },
		{ "a{2}?(b)+?", "a{2}(b)+" },
		{ "x{", "x{" },
		{ "[+*?]\\+", "[+*?]\\+" },
	};
	static const char *const bad[][2] = {
		{ "a++", "nothing to repeat at offset 2" },
		{ "a*+b", "nothing to repeat at offset 2" },
		{ "a{2}{3}", "nothing to repeat at offset 4" },
		{ "*a", "nothing to repeat at offset 0" },
		{ "(+a)", "nothing to repeat at offset 1" },
		{ "a|?", "nothing to repeat at offset 2" },
		{ "^*", "nothing to repeat at offset 1" },
		{ "a{1001}", "a repetition bound must be a number up to 1000" },
		{ "a{1,99999}", "a repetition bound must be a number up to 1000" },
		{ "a{1,2", "malformed {n,m} repetition" },
		{ "a{1x}", "malformed {n,m} repetition" },
		{ "^(a{1000}){21}$",
		  "pattern too complex: its repetitions written out exceed 20000 characters" },
		{ "((x{100}y){100}){100}",
		  "pattern too complex: its repetitions written out exceed 20000 characters" },
		{ "((((((((((((((((((((((((((((((((("
		  "a)))))))))))))))))))))))))))))))))",
		  "groups nested deeper than 32" },
	};
	char why[128], *out;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(ch_schema_regex_translate(ok[i][0], &out, why, sizeof(why)), CH_OK);
		ck_assert_msg(strcmp(out, ok[i][1]) == 0, "%s -> %s, want %s", ok[i][0], out, ok[i][1]);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ch_schema_regex_translate(bad[i][0], &out, why, sizeof(why)) ==
				      CH_E_INVALID, "%s was accepted", bad[i][0]);
		ck_assert_msg(strcmp(why, bad[i][1]) == 0, "%s: %s, want %s", bad[i][0], why,
			      bad[i][1]);
		ck_assert_ptr_null(out);
	}
}
END_TEST

/* ---- numbers ---- */

START_TEST(numeric_bounds)
{
	const char *s = "{\"minimum\":1,\"maximum\":65535}";
	const char *x = "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1.5}";

	EXPECT_VALID(s, "1");
	EXPECT_VALID(s, "65535");
	EXPECT_VALID(s, "65535.0");
	EXPECT(s, "0", "", "must be at least 1");
	EXPECT(s, "0.999", "", "must be at least 1");
	EXPECT(s, "65536", "", "must be at most 65535");
	EXPECT(s, "65535.5", "", "must be at most 65535");
	EXPECT_VALID(x, "0.5");
	EXPECT_VALID(x, "1");
	EXPECT(x, "0", "", "must be greater than 0");
	EXPECT(x, "-0.0", "", "must be greater than 0");
	EXPECT(x, "1.5", "", "must be less than 1.5");
	EXPECT(x, "2", "", "must be less than 1.5");
	EXPECT_VALID(s, "\"0\"");
	/* integer type and bounds both reported */
	EXPECT("{\"type\":\"integer\",\"minimum\":1}", "0.5", "", "must be of type integer, got number",
	       "", "must be at least 1");
}
END_TEST

START_TEST(numeric_big)
{
	/* beyond double precision and int64: compared exactly */
	EXPECT_VALID("{\"maximum\":9223372036854775807}", "9223372036854775807");
	EXPECT("{\"maximum\":9223372036854775806}", "9223372036854775807", "",
	       "must be at most 9223372036854775806");
	EXPECT("{\"maximum\":9223372036854775807}", "9223372036854775808", "",
	       "must be at most 9223372036854775807");
	EXPECT_VALID("{\"minimum\":18446744073709551615}", "18446744073709551615");
	EXPECT("{\"minimum\":18446744073709551615}", "18446744073709551614", "",
	       "must be at least 18446744073709551615");
	EXPECT_VALID("{\"minimum\":-9223372036854775808}", "-9223372036854775808");
	EXPECT("{\"exclusiveMinimum\":9007199254740992}", "9007199254740992.0", "",
	       "must be greater than 9007199254740992");
	EXPECT_VALID("{\"exclusiveMinimum\":9007199254740992}", "9007199254740993");
	EXPECT("{\"maximum\":1e300}", "1e301", "", "must be at most 1e300");
}
END_TEST

START_TEST(multiple_of)
{
	EXPECT_VALID("{\"multipleOf\":3}", "9");
	EXPECT_VALID("{\"multipleOf\":3}", "-9");
	EXPECT_VALID("{\"multipleOf\":3}", "0");
	EXPECT("{\"multipleOf\":3}", "10", "", "must be a multiple of 3");
	EXPECT_VALID("{\"multipleOf\":3}", "9.0");
	EXPECT("{\"multipleOf\":3}", "9.5", "", "must be a multiple of 3");
	EXPECT_VALID("{\"multipleOf\":0.1}", "0.3");
	EXPECT_VALID("{\"multipleOf\":0.01}", "19.99");
	EXPECT_VALID("{\"multipleOf\":0.5}", "4");
	EXPECT("{\"multipleOf\":0.1}", "0.35", "", "must be a multiple of 0.1");
	EXPECT("{\"multipleOf\":0.1}", "1e-13", "", "must be a multiple of 0.1");
	EXPECT_VALID("{\"multipleOf\":7}", "18446744073709551614"); /* 7 * 2635249153387078802 */
	EXPECT("{\"multipleOf\":7}", "18446744073709551615", "", "must be a multiple of 7");
	EXPECT_VALID("{\"multipleOf\":2}", "-9223372036854775808");
}
END_TEST

/* ---- arrays ---- */

START_TEST(items_and_prefix)
{
	const char *s = "{\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}";
	const char *t = "{\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"boolean\"}],"
	                "\"items\":false}";

	EXPECT_VALID(s, "[1,2,3]");
	EXPECT(s, "[1,\"2\",3.5]", "/1", "must be of type integer, got string", "/2",
	       "must be of type integer, got number");
	EXPECT(s, "[]", "", "must have at least 1 item");
	EXPECT(s, "[1,2,3,4]", "", "must have at most 3 items");
	EXPECT_VALID(s, "{}");
	EXPECT_VALID(t, "[\"a\",true]");
	EXPECT_VALID(t, "[\"a\"]");
	EXPECT(t, "[1,true,3,4]", "/0", "must be of type string, got integer", "/2",
	       "is not allowed (items)", "/3", "is not allowed (items)");
	EXPECT_VALID("{\"prefixItems\":[{\"type\":\"string\"}]}", "[\"a\",1,null]");
	EXPECT("{\"minItems\":2}", "[0]", "", "must have at least 2 items");
	EXPECT("{\"maxItems\":1}", "[0,0]", "", "must have at most 1 item");
}
END_TEST

START_TEST(unique_items)
{
	const char *s = "{\"uniqueItems\":true}";

	EXPECT_VALID(s, "[1,2,\"1\",true,null,[1],{\"a\":1},{\"a\":2}]");
	EXPECT(s, "[1,2,1.0]", "", "must not contain duplicate items (items 0 and 2 are equal)");
	EXPECT(s, "[{\"a\":1,\"b\":[1,2]},{\"b\":[1.0,2],\"a\":1}]", "",
	       "must not contain duplicate items (items 0 and 1 are equal)");
	EXPECT(s, "[0,\"x\",5,\"x\",5]", "",
	       "must not contain duplicate items (items 1 and 3 are equal)");
	EXPECT(s, "[null,false,null]", "",
	       "must not contain duplicate items (items 0 and 2 are equal)");
	EXPECT_VALID(s, "[[1,2],[2,1]]");
	EXPECT_VALID("{\"uniqueItems\":false}", "[1,1]");
	EXPECT_VALID(s, "[]");
}
END_TEST

START_TEST(contains)
{
	const char *s = "{\"contains\":{\"type\":\"string\"}}";
	const char *m = "{\"contains\":{\"type\":\"string\"},\"minContains\":2,\"maxContains\":3}";

	EXPECT_VALID(s, "[1,\"a\"]");
	EXPECT(s, "[1,2]", "", "must contain at least 1 matching item");
	EXPECT(s, "[]", "", "must contain at least 1 matching item");
	EXPECT_VALID(m, "[\"a\",1,\"b\"]");
	EXPECT(m, "[\"a\",1]", "", "must contain at least 2 matching items");
	EXPECT(m, "[\"a\",\"b\",\"c\",\"d\"]", "", "must contain at most 3 matching items");
	EXPECT_VALID("{\"contains\":false,\"minContains\":0}", "[1]");
	EXPECT_VALID("{\"minContains\":5}", "[1]");
}
END_TEST

/* ---- formats ---- */

static void expect_format(const char *format, const char *what, const char *const *good,
                          const char *const *bad)
{
	char schema[128], msg[128];
	ch_schema *s;
	int rc;

	snprintf(schema, sizeof(schema), "{\"format\":\"%s\"}", format);
	snprintf(msg, sizeof(msg), "is not a valid %s", what);
	s = compile_ok(schema);
	for (; *good != NULL; good++) {
		json_object *v = json_object_new_string(*good), *errors = run(s, v, &rc);

		ck_assert_msg(rc == CH_OK, "%s: \"%s\" rejected", format, *good);
		json_object_put(errors);
		json_object_put(v);
	}
	for (; *bad != NULL; bad++) {
		json_object *v = json_object_new_string(*bad), *errors = run(s, v, &rc);

		ck_assert_msg(rc == CH_E_INVALID, "%s: \"%s\" accepted", format, *bad);
		check_error(__LINE__, errors, 0, "", msg);
		ck_assert_int_eq(json_object_array_length(errors), 1);
		json_object_put(errors);
		json_object_put(v);
	}
	ch_schema_free(s);
}

START_TEST(format_email)
{
	static const char *const good[] = {
		"joe@example.com", "first.last+tag@sub.example.org", "x@localhost",
		"\"john doe\"@example.com", "\"a\\\"b\"@example.com", "user@[192.0.2.1]",
		"user@[IPv6:2001:db8::1]", "o'brien@example.ie", NULL,
	};
	static const char *const bad[] = {
		"joe", "@example.com", "joe@", "joe..x@example.com", ".joe@example.com",
		"joe.@example.com", "joe@-example.com", "joe@exa_mple.com", "joe@example.com.",
		"jo e@example.com", "joe@[300.1.1.1]", "\"unterminated@example.com",
		"joe@example..com", NULL,
	};

	expect_format("email", "email address", good, bad);
	EXPECT("{\"format\":\"email\"}", "\"not-an-email\"", "", "is not a valid email address");
}
END_TEST

START_TEST(format_uri)
{
	static const char *const good[] = {
		"https://example.com/path?q=1&r=a%20b#frag", "http://user:pw@[::1]:8080/",
		"urn:isbn:0451450523", "mailto:joe@example.com", "file:///etc/hosts",
		"http://example.com", "ftp://192.0.2.1:21/a;type=i", "http://[v1.fe]/", NULL,
	};
	static const char *const bad[] = {
		"example.com", "/relative/path", "http://exa mple.com", "http://example.com/\\path",
		"http://example.com/%zz", "1http://x", "http://[::1/", "http://h:80a/", "",
		"http://example.com/a#b#c", "http://exa\"mple.com", NULL,
	};

	expect_format("uri", "URI", good, bad);
}
END_TEST

START_TEST(format_hostname)
{
	static const char *const good[] = {
		"example.com", "a-b.example", "localhost", "xn--bcher-kva.example", "example.com.",
		"a23456789012345678901234567890123456789012345678901234567890123.com", "1a.2b", NULL,
	};
	static const char *const bad[] = {
		"", "-a.com", "a-.com", "a..b", "exa_mple.com", ".", ".a.com",
		"a234567890123456789012345678901234567890123456789012345678901234.com",
		"h\xc3\xa9llo.com", "a b", NULL,
	};

	expect_format("hostname", "hostname", good, bad);
}
END_TEST

START_TEST(format_ip)
{
	static const char *const good4[] = { "192.168.0.1", "0.0.0.0", "255.255.255.255", NULL };
	static const char *const bad4[] = {
		"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.a", " 1.2.3.4", "1.2.3.4 ",
		"1..3.4", "1234.1.1.1", "", NULL,
	};
	static const char *const good6[] = {
		"::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1", "fe80::", "::",
		"2001:0db8:0000:0000:0000:ff00:0042:8329", NULL,
	};
	static const char *const bad6[] = {
		"12345::", "1:2:3:4:5:6:7:8:9", "::1::", "192.168.0.1", "fe80::1%eth0", ":", "",
		"2001:db8::g", NULL,
	};

	expect_format("ipv4", "IPv4 address", good4, bad4);
	expect_format("ipv6", "IPv6 address", good6, bad6);
}
END_TEST

START_TEST(format_date_time)
{
	static const char *const good[] = {
		"2024-02-29T12:34:56Z", "1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00",
		"1990-12-31T23:59:60Z", "1990-12-31T15:59:60-08:00", "2024-01-01t00:00:00z",
		"2000-02-29T00:00:00+14:00", NULL,
	};
	static const char *const bad[] = {
		"2023-02-29T12:00:00Z", "1900-02-29T12:00:00Z", "2024-13-01T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T24:00:00Z",
		"2024-01-01T00:00:00", "2024-01-01T12:00:60Z", "2024-01-01T00:00:00+24:00",
		"2024-1-01T00:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:60:00Z",
		"2024-01-01T00:00:00Z ", "2024-01-01", NULL,
	};
	static const char *const good_date[] = { "2024-02-29", "0001-01-01", NULL };
	static const char *const bad_date[] = { "2024-02-30", "2024-02-29T00:00:00Z", "24-01-01",
		                                "2024-00-10", NULL };
	static const char *const good_time[] = { "23:59:59Z", "08:30:00.123+02:00", NULL };
	static const char *const bad_time[] = { "8:30:00Z", "08:30:00", "08:30Z", NULL };

	expect_format("date-time", "RFC 3339 date-time", good, bad);
	expect_format("date", "RFC 3339 date", good_date, bad_date);
	expect_format("time", "RFC 3339 time", good_time, bad_time);
}
END_TEST

START_TEST(format_uuid_and_annotations)
{
	static const char *const good[] = { "123e4567-e89b-12d3-a456-426614174000",
		                            "123E4567-E89B-12D3-A456-426614174000", NULL };
	static const char *const bad[] = { "123e4567e89b12d3a456426614174000",
		                           "123e4567-e89b-12d3-a456-42661417400g",
		                           "123e4567-e89b-12d3-a456-4266141740000", NULL };

	expect_format("uuid", "UUID", good, bad);
	EXPECT_VALID("{\"type\":\"string\",\"format\":\"password\",\"writeOnly\":true}", "\"x y\"");
	EXPECT_VALID("{\"format\":\"uri-reference\"}", "\"../a b\"");
	EXPECT_VALID("{\"format\":\"duration\"}", "\"nonsense\"");
	/* format applies to strings only */
	EXPECT_VALID("{\"format\":\"email\"}", "42");
	EXPECT_VALID("{\"format\":\"ipv4\"}", "{}");
}
END_TEST

/* ---- applicators ---- */

START_TEST(one_any_all_not)
{
	const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";
	const char *any = "{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":2}]}";
	const char *all = "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";

	EXPECT_VALID(one, "1");
	EXPECT_VALID(one, "2.5");
	EXPECT(one, "3", "", "must match exactly one schema in oneOf (matched 2)");
	EXPECT(one, "1.5", "", "must match exactly one schema in oneOf (matched 0)");
	EXPECT_VALID(any, "\"x\"");
	EXPECT_VALID(any, "3");
	EXPECT(any, "1", "", "must match at least one schema in anyOf");
	EXPECT_VALID(all, "3");
	EXPECT(all, "1.5", "", "must be of type integer, got number", "", "must be at least 2");
	EXPECT_VALID("{\"not\":{\"type\":\"null\"}}", "0");
	EXPECT("{\"not\":{\"type\":\"null\"}}", "null", "", "must not match the schema in not");
	EXPECT("{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}}}",
	       "{\"a\":1}", "/a", "must match at least one schema in anyOf");
}
END_TEST

START_TEST(if_then_else)
{
	const char *s = "{\"if\":{\"properties\":{\"kind\":{\"const\":\"tcp\"}},\"required\":[\"kind\"]},"
	                "\"then\":{\"required\":[\"port\"]},"
	                "\"else\":{\"properties\":{\"path\":{\"type\":\"string\"}},"
	                "\"required\":[\"path\"]}}";

	EXPECT_VALID(s, "{\"kind\":\"tcp\",\"port\":1}");
	EXPECT_VALID(s, "{\"kind\":\"unix\",\"path\":\"/s\"}");
	EXPECT(s, "{\"kind\":\"tcp\"}", "/port", "is required");
	EXPECT(s, "{\"kind\":\"unix\",\"path\":1}", "/path", "must be of type string, got integer");
	EXPECT(s, "{}", "/path", "is required");
	EXPECT_VALID("{\"then\":false}", "1"); /* then without if: ignored */
	EXPECT_VALID("{\"if\":false}", "1");
}
END_TEST

/* ---- boolean schemas ---- */

START_TEST(boolean_schemas)
{
	EXPECT_VALID("true", "{\"anything\":[1]}");
	EXPECT_VALID("{}", "null");
	EXPECT("false", "1", "", "is not allowed");
	EXPECT("{\"properties\":{\"legacy\":false}}", "{\"legacy\":1}", "/legacy", "is not allowed");
	EXPECT_VALID("{\"properties\":{\"legacy\":false}}", "{}");
	EXPECT("{\"items\":{\"anyOf\":[false,{\"type\":\"null\"}]}}", "[null,0]", "/1",
	       "must match at least one schema in anyOf");
	EXPECT("{\"not\":true}", "1", "", "must not match the schema in not");
	EXPECT("{\"prefixItems\":[false]}", "[1]", "/0", "is not allowed");
}
END_TEST

/* ---- $ref ---- */

START_TEST(ref_defs)
{
	const char *s = "{\"$defs\":{\"port\":{\"type\":\"integer\",\"maximum\":65535}},"
	                "\"properties\":{\"a\":{\"$ref\":\"#/$defs/port\"},"
	                "\"b\":{\"$ref\":\"#/definitions/name\"}},"
	                "\"definitions\":{\"name\":{\"type\":\"string\"}}}";

	EXPECT_VALID(s, "{\"a\":80,\"b\":\"x\"}");
	EXPECT(s, "{\"a\":70000,\"b\":1}", "/a", "must be at most 65535", "/b",
	       "must be of type string, got integer");
	/* siblings of $ref apply too (2020-12) */
	EXPECT("{\"$defs\":{\"i\":{\"type\":\"integer\"}},\"$ref\":\"#/$defs/i\",\"minimum\":5}", "4.5",
	       "", "must be of type integer, got number", "", "must be at least 5");
	/* escaped and percent-encoded names, and a reference to a non-$defs location */
	EXPECT("{\"$defs\":{\"a/b c\":{\"type\":\"null\"}},\"$ref\":\"#/$defs/a~1b%20c\"}", "1", "",
	       "must be of type null, got integer");
	EXPECT("{\"properties\":{\"x\":{\"type\":\"string\"},\"y\":{\"$ref\":\"#/properties/x\"}}}",
	       "{\"y\":1}", "/y", "must be of type string, got integer");
	EXPECT("{\"x-lib\":{\"t\":{\"const\":1}},\"$ref\":\"#/x-lib/t\"}", "2", "",
	       "must be equal to 1");
	EXPECT("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/c\"},"
	       "\"c\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/a\"}",
	       "1", "", "must be of type string, got integer");
}
END_TEST

START_TEST(ref_recursive_tree)
{
	const char *s =
		"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$ref\":\"#/$defs/node\","
		"\"$defs\":{\"node\":{\"type\":\"object\",\"required\":[\"value\"],"
		"\"properties\":{\"value\":{\"type\":\"integer\"},"
		"\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},"
		"\"additionalProperties\":false}}}";
	const char *root = "{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}";

	EXPECT_VALID(s, "{\"value\":1,\"children\":[{\"value\":2},{\"value\":3,\"children\":"
	                "[{\"value\":4,\"children\":[]}]}]}");
	EXPECT(s, "{\"value\":1,\"children\":[{\"value\":2},{\"children\":[{\"value\":\"4\"},"
	          "{\"value\":5,\"x\":0}]}]}",
	       "/children/1/value", "is required",
	       "/children/1/children/0/value", "must be of type integer, got string",
	       "/children/1/children/1/x", "is not allowed (additionalProperties)");
	EXPECT_VALID(root, "[[],[[[]]]]");
	EXPECT(root, "[[],[[1]]]", "/1/0/0", "must be of type array, got integer");
}
END_TEST

/* nested arrays: depth arrays around a 0 */
static json_object *nested_arrays(int depth)
{
	json_object *v = json_object_new_int(0);

	for (int i = 0; i < depth; i++) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, v);
		v = a;
	}
	return v;
}

START_TEST(depth_limit)
{
	ch_schema *s = compile_ok("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}");
	json_object *ok = nested_arrays(CH_SCHEMA_MAX_DEPTH), *deep = nested_arrays(200), *errors;
	char want[400] = "";
	int rc;

	/* 64 nested $ref: fine (the innermost 0 fails the type, as it should) */
	errors = run(s, ok, &rc);
	ck_assert_int_eq(rc, CH_E_INVALID);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 json_object_array_get_idx(errors, 0), "message")),
	                 "must be of type array, got integer");
	json_object_put(errors);
	/* one more: stops with one error where the 65th $ref would apply */
	errors = run(s, deep, &rc);
	ck_assert_int_eq(rc, CH_E_INVALID);
	for (int i = 0; i <= CH_SCHEMA_MAX_DEPTH; i++)
		strcat(want, "/0");
	check_error(__LINE__, errors, 0, want, "validation stopped: more than 64 nested $ref");
	ck_assert_int_eq(json_object_array_length(errors), 1);
	json_object_put(errors);
	json_object_put(ok);
	json_object_put(deep);
	ch_schema_free(s);
}
END_TEST

START_TEST(evaluation_budget)
{
	/* both branches recurse: 2^30 evaluations without a budget */
	ch_schema *s = compile_ok("{\"anyOf\":[{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}},"
	                          "{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}]}");
	json_object *inst = nested_arrays(30), *errors, *msg;
	int rc;

	errors = run(s, inst, &rc);
	ck_assert_int_eq(rc, CH_E_INVALID);
	ck_assert_int_eq(json_object_array_length(errors), 1);
	msg = json_object_object_get(json_object_array_get_idx(errors, 0), "message");
	/* 2^18 + 64 * 31 values */
	ck_assert_str_eq(json_object_get_string(msg),
	                 "validation stopped: more than 264128 schema evaluations");
	json_object_put(errors);
	json_object_put(inst);
	ch_schema_free(s);
}
END_TEST

/* ---- compile errors ---- */

START_TEST(compile_errors_types)
{
	EXPECT_COMPILE_ERROR("[]", "/: schema must be an object or a boolean");
	EXPECT_COMPILE_ERROR("5", "/: schema must be an object or a boolean");
	EXPECT_COMPILE_ERROR("null", "/: schema must be an object or a boolean");
	EXPECT_COMPILE_ERROR("{\"type\":\"strng\"}", "/type: unknown type \"strng\"");
	EXPECT_COMPILE_ERROR("{\"properties\":{\"port\":{\"type\":\"strng\"}}}",
	                     "/properties/port/type: unknown type \"strng\"");
	EXPECT_COMPILE_ERROR("{\"type\":[\"string\",\"strng\"]}", "/type/1: unknown type \"strng\"");
	EXPECT_COMPILE_ERROR("{\"type\":[\"string\",\"string\"]}", "/type/1: duplicate type \"string\"");
	EXPECT_COMPILE_ERROR("{\"type\":[\"string\",3]}", "/type/1: must be a type name");
	EXPECT_COMPILE_ERROR("{\"type\":[]}",
	                     "/type: must be a type name or a non-empty array of type names");
	EXPECT_COMPILE_ERROR("{\"type\":5}",
	                     "/type: must be a type name or a non-empty array of type names");
	EXPECT_COMPILE_ERROR("{\"properties\":{\"a/b\":{\"type\":\"x\"}}}",
	                     "/properties/a~1b/type: unknown type \"x\"");
}
END_TEST

START_TEST(compile_errors_keywords)
{
	EXPECT_COMPILE_ERROR("{\"required\":\"a\"}", "/required: must be an array of strings");
	EXPECT_COMPILE_ERROR("{\"required\":[\"a\",1]}", "/required: must be an array of strings");
	EXPECT_COMPILE_ERROR("{\"properties\":[]}", "/properties: must be an object");
	EXPECT_COMPILE_ERROR("{\"properties\":{\"a\":5}}",
	                     "/properties/a: schema must be an object or a boolean");
	EXPECT_COMPILE_ERROR("{\"additionalProperties\":\"no\"}",
	                     "/additionalProperties: schema must be an object or a boolean");
	EXPECT_COMPILE_ERROR("{\"items\":[{}]}", "/items: must be a schema (an object or a boolean); "
	                                         "use prefixItems for tuples");
	EXPECT_COMPILE_ERROR("{\"allOf\":[]}", "/allOf: must be a non-empty array of schemas");
	EXPECT_COMPILE_ERROR("{\"oneOf\":{}}", "/oneOf: must be a non-empty array of schemas");
	EXPECT_COMPILE_ERROR("{\"anyOf\":[{},3]}", "/anyOf/1: schema must be an object or a boolean");
	EXPECT_COMPILE_ERROR("{\"enum\":[]}", "/enum: must be a non-empty array");
	EXPECT_COMPILE_ERROR("{\"minLength\":-1}", "/minLength: must be a non-negative integer");
	EXPECT_COMPILE_ERROR("{\"maxItems\":1.5}", "/maxItems: must be a non-negative integer");
	EXPECT_COMPILE_ERROR("{\"minProperties\":\"3\"}",
	                     "/minProperties: must be a non-negative integer");
	EXPECT_COMPILE_ERROR("{\"minimum\":\"1\"}", "/minimum: must be a number");
	EXPECT_COMPILE_ERROR("{\"exclusiveMinimum\":true}", "/exclusiveMinimum: must be a number");
	EXPECT_COMPILE_ERROR("{\"multipleOf\":0}", "/multipleOf: must be a number greater than 0");
	EXPECT_COMPILE_ERROR("{\"multipleOf\":-2}", "/multipleOf: must be a number greater than 0");
	EXPECT_COMPILE_ERROR("{\"uniqueItems\":1}", "/uniqueItems: must be a boolean");
	EXPECT_COMPILE_ERROR("{\"dependentRequired\":{\"a\":\"b\"}}",
	                     "/dependentRequired/a: must be an array of strings");
	EXPECT_COMPILE_ERROR("{\"$defs\":[]}", "/$defs: must be an object");
	EXPECT_COMPILE_ERROR("{\"not\":{\"not\":{\"type\":1}}}",
	                     "/not/not/type: must be a type name or a non-empty array of type names");
}
END_TEST

START_TEST(compile_errors_annotations)
{
	EXPECT_COMPILE_ERROR("{\"format\":\"foo\"}", "/format: unknown format \"foo\"");
	EXPECT_COMPILE_ERROR("{\"format\":5}", "/format: must be a string");
	EXPECT_COMPILE_ERROR("{\"title\":5}", "/title: must be a string");
	EXPECT_COMPILE_ERROR("{\"description\":[]}", "/description: must be a string");
	EXPECT_COMPILE_ERROR("{\"readOnly\":\"yes\"}", "/readOnly: must be a boolean");
	EXPECT_COMPILE_ERROR("{\"deprecated\":1}", "/deprecated: must be a boolean");
	EXPECT_COMPILE_ERROR("{\"examples\":{}}", "/examples: must be an array");
	EXPECT_COMPILE_ERROR("{\"$schema\":1}", "/$schema: must be a string");
	EXPECT_COMPILE_ERROR("{\"$comment\":null}", "/$comment: must be a string");
	EXPECT_COMPILE_ERROR("{\"properties\":{\"a\":{\"$id\":\"x\"}}}",
	                     "/properties/a/$id: $id in a subschema (an embedded resource) is not "
	                     "supported");
	EXPECT_COMPILE_ERROR("{\"unevaluatedProperties\":false}",
	                     "/unevaluatedProperties: keyword not supported");
	EXPECT_COMPILE_ERROR("{\"items\":{\"$dynamicRef\":\"#x\"}}",
	                     "/items/$dynamicRef: keyword not supported");
	/* unknown keywords and valid annotations are fine */
	EXPECT_VALID("{\"$id\":\"https://example.com/s\",\"title\":\"t\",\"description\":\"d\","
	             "\"examples\":[1],\"default\":{\"x\":[]},\"readOnly\":false,\"deprecated\":true,"
	             "\"$comment\":\"c\",\"x-ui\":{\"type\":5},\"additionalItems\":7}",
	             "1");
}
END_TEST

START_TEST(compile_errors_patterns)
{
	char err[ERRLEN];
	ch_schema *s = NULL;
	const char *prefix = "/properties/x/pattern: invalid regular expression: ";

	EXPECT_COMPILE_ERROR("{\"properties\":{\"x\":{\"pattern\":\"([a-\"}}}",
	                     "/properties/x/pattern: invalid regular expression: unterminated "
	                     "character class");
	EXPECT_COMPILE_ERROR("{\"pattern\":\"\\\\p{L}\"}",
	                     "/pattern: invalid regular expression: unsupported escape \\p");
	EXPECT_COMPILE_ERROR("{\"pattern\":\"a(?=b)\"}",
	                     "/pattern: invalid regular expression: lookaround and named groups are "
	                     "not supported");
	EXPECT_COMPILE_ERROR("{\"pattern\":\"a\\u0000b\"}",
	                     "/pattern: invalid regular expression: contains a NUL character");
	EXPECT_COMPILE_ERROR("{\"pattern\":5}", "/pattern: must be a string");
	EXPECT_COMPILE_ERROR("{\"patternProperties\":{\"^a/(\":{}}}",
	                     "/patternProperties/^a~1(: invalid regular expression: Unmatched ( or \\(");
	/* regcomp's own messages */
	ck_assert_int_eq(ch_schema_compile_text(&s, "{\"properties\":{\"x\":{\"pattern\":\"(ab\"}}}",
	                                        err, sizeof(err)),
	                 CH_E_INVALID);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0 && strlen(err) > strlen(prefix), "%s",
	              err);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(compile_errors_refs)
{
	EXPECT_COMPILE_ERROR("{\"$ref\":\"#/$defs/nope\"}",
	                     "/$ref: unresolvable reference \"#/$defs/nope\"");
	EXPECT_COMPILE_ERROR("{\"properties\":{\"a\":{\"$ref\":\"#/definitions/b\"}}}",
	                     "/properties/a/$ref: unresolvable reference \"#/definitions/b\"");
	EXPECT_COMPILE_ERROR("{\"$ref\":\"other.json#/x\"}",
	                     "/$ref: unresolvable reference \"other.json#/x\"");
	EXPECT_COMPILE_ERROR("{\"$ref\":\"#anchor\"}", "/$ref: unresolvable reference \"#anchor\"");
	EXPECT_COMPILE_ERROR("{\"$ref\":\"#/minimum\",\"minimum\":3}",
	                     "/$ref: unresolvable reference \"#/minimum\"");
	EXPECT_COMPILE_ERROR("{\"$ref\":5}", "/$ref: must be a string");
	EXPECT_COMPILE_ERROR("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}}}",
	                     "/$defs/a/$ref: circular reference \"#/$defs/b\"");
	EXPECT_COMPILE_ERROR("{\"$ref\":\"#\"}", "/$ref: circular reference \"#\"");
	EXPECT_COMPILE_ERROR("{\"allOf\":[{\"$ref\":\"#\"}]}",
	                     "/allOf/0/$ref: circular reference \"#\"");
	EXPECT_COMPILE_ERROR("{\"$defs\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},"
	                     "{\"$ref\":\"#/$defs/a\"}]}},"
	                     "\"$ref\":\"#/$defs/a\"}",
	                     "/$defs/a/anyOf/1/$ref: circular reference \"#/$defs/a\"");
	EXPECT_COMPILE_ERROR("{\"$defs\":{\"a\":{\"type\":\"strng\"}},\"$ref\":\"#/$defs/a\"}",
	                     "/$defs/a/type: unknown type \"strng\"");
	/* a target reached only through $ref is checked too */
	EXPECT_COMPILE_ERROR("{\"x\":{\"minimum\":\"0\"},\"$ref\":\"#/x\"}",
	                     "/x/minimum: must be a number");
}
END_TEST

START_TEST(compile_nesting_limit)
{
	char text[1024] = "";
	size_t i;

	for (i = 0; i <= CH_SCHEMA_MAX_DEPTH; i++)
		strcat(text, "{\"not\":");
	strcat(text, "{}");
	for (i = 0; i <= CH_SCHEMA_MAX_DEPTH; i++)
		strcat(text, "}");
	{
		char want[1024] = "";

		for (i = 0; i <= CH_SCHEMA_MAX_DEPTH; i++)
			strcat(want, "/not");
		strcat(want, ": schemas nested more than 64 levels deep");
		EXPECT_COMPILE_ERROR(text, want);
	}
	/* one level less is fine */
	memmove(text, text + strlen("{\"not\":"), strlen(text) - strlen("{\"not\":") + 1);
	text[strlen(text) - 1] = '\0';
	ch_schema_free(compile_ok(text));
}
END_TEST

START_TEST(compile_text_errors)
{
	EXPECT_COMPILE_ERROR("{", "/: not valid JSON: unexpected end of data at offset 1");
	EXPECT_COMPILE_ERROR("", "/: not valid JSON: unexpected end of data at offset 0");
	EXPECT_COMPILE_ERROR("{\"a\":}", "/: not valid JSON: unexpected character at offset 5");
	EXPECT_COMPILE_ERROR("{} x", "/: not valid JSON: unexpected character at offset 3");
	EXPECT_COMPILE_ERROR("{\"a\":1,}", "/: not valid JSON: unexpected character at offset 7");
	EXPECT_COMPILE_ERROR("{\"a\":\"\xff\"}", "/: not valid JSON: invalid utf-8 string at offset 6");
	ch_schema_free(compile_ok(" {\"type\":\"null\"} \n"));
	ch_schema_free(compile_ok("true"));
}
END_TEST

/* ---- API ---- */

START_TEST(api_contract)
{
	char err[ERRLEN];
	ch_schema *s = NULL;
	json_object *doc = parse("{\"type\":\"string\"}"), *inst = json_object_new_int(1), *errors;

	ck_assert_int_eq(ch_schema_compile(&s, doc, err, sizeof(err)), CH_OK);
	ck_assert_str_eq(err, "");
	ck_assert_ptr_eq(ch_schema_doc(s), doc);
	json_object_put(doc); /* the schema keeps its own reference */
	ck_assert_int_eq(ch_schema_validate(s, inst, NULL), CH_E_INVALID);
	ck_assert_int_eq(ch_schema_validate(s, inst, &errors), CH_E_INVALID);
	ck_assert_int_eq(json_object_array_length(errors), 1);
	json_object_put(errors);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(ch_schema_doc(s), "type")),
	                 "string");
	ch_schema_free(s);
	ch_schema_free(NULL);
	ck_assert_ptr_null(ch_schema_doc(NULL));
	ck_assert_int_eq(ch_schema_validate(NULL, inst, &errors), CH_E_INVALID);
	ck_assert_ptr_null(errors);
	ck_assert_int_eq(ch_schema_compile(NULL, inst, err, sizeof(err)), CH_E_INVALID);
	ck_assert_int_eq(ch_schema_compile_text(&s, NULL, err, sizeof(err)), CH_E_INVALID);
	ck_assert_str_eq(err, "/: not valid JSON: no text");
	/* NULL or tiny error buffers are fine */
	ck_assert_int_eq(ch_schema_compile_text(&s, "{\"type\":1}", NULL, 0), CH_E_INVALID);
	ck_assert_int_eq(ch_schema_compile_text(&s, "{\"type\":1}", err, 4), CH_E_INVALID);
	ck_assert_str_eq(err, "/ty");
	json_object_put(inst);
}
END_TEST

START_TEST(api_null_instance)
{
	/* a NULL json_object is JSON null */
	ch_schema *s = compile_ok("{\"type\":\"object\"}");
	json_object *errors;

	ck_assert_int_eq(ch_schema_validate(s, NULL, &errors), CH_E_INVALID);
	check_error(__LINE__, errors, 0, "", "must be of type object, got null");
	json_object_put(errors);
	ch_schema_free(s);
}
END_TEST

typedef struct thread_arg {
	const ch_schema *s;
	json_object *good, *bad;
	int failures;
} thread_arg;

static void *validate_many(void *p)
{
	thread_arg *a = p;
	json_object *errors;

	for (int i = 0; i < 300; i++) {
		if (ch_schema_validate(a->s, a->good, NULL) != CH_OK)
			a->failures++;
		if (ch_schema_validate(a->s, a->bad, &errors) != CH_E_INVALID ||
		    json_object_array_length(errors) != 3)
			a->failures++;
		json_object_put(errors);
	}
	return NULL;
}

START_TEST(threads_share_a_schema)
{
	ch_schema *s = compile_ok(
		"{\"properties\":{\"host\":{\"format\":\"hostname\"},\"id\":{\"pattern\":\"^[a-z]\\\\w*$\"},"
		"\"mode\":{\"enum\":[\"a\",\"b\"]},\"tags\":{\"uniqueItems\":true}},"
		"\"required\":[\"id\"]}");
	json_object *good = parse("{\"host\":\"a.b\",\"id\":\"x_1\",\"mode\":\"a\",\"tags\":[1,2]}");
	json_object *bad = parse("{\"host\":\"-\",\"id\":\"9\",\"mode\":\"c\"}");
	thread_arg args[8];
	pthread_t th[8];

	for (int i = 0; i < 8; i++) {
		args[i] = (thread_arg){ s, good, bad, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, validate_many, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(args[i].failures, 0);
	}
	json_object_put(good);
	json_object_put(bad);
	ch_schema_free(s);
}
END_TEST

static Suite *jsonschema_suite(void)
{
	Suite *s = suite_create("jsonschema");
	TCase *tc;

	tc = tcase_create("type");
	tcase_add_test(tc, type_each);
	tcase_add_test(tc, type_integer_vs_number);
	tcase_add_test(tc, type_array_of_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("object");
	tcase_add_test(tc, properties_required);
	tcase_add_test(tc, additional_properties);
	tcase_add_test(tc, pattern_properties);
	tcase_add_test(tc, property_names);
	tcase_add_test(tc, dependent);
	tcase_add_test(tc, property_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, many_errors_at_once);
	tcase_add_test(tc, pointer_escaping);
	tcase_add_test(tc, no_duplicates);
	suite_add_tcase(s, tc);

	tc = tcase_create("equality");
	tcase_add_test(tc, enum_const);
	tcase_add_test(tc, numeric_equality);
	suite_add_tcase(s, tc);

	tc = tcase_create("string");
	tcase_add_test(tc, string_length_utf8);
	tcase_add_test(tc, pattern);
	tcase_add_test(tc, regex_translation);
	tcase_add_test(tc, regex_quantifiers);
	suite_add_tcase(s, tc);

	tc = tcase_create("number");
	tcase_add_test(tc, numeric_bounds);
	tcase_add_test(tc, numeric_big);
	tcase_add_test(tc, multiple_of);
	suite_add_tcase(s, tc);

	tc = tcase_create("array");
	tcase_add_test(tc, items_and_prefix);
	tcase_add_test(tc, unique_items);
	tcase_add_test(tc, contains);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, format_email);
	tcase_add_test(tc, format_uri);
	tcase_add_test(tc, format_hostname);
	tcase_add_test(tc, format_ip);
	tcase_add_test(tc, format_date_time);
	tcase_add_test(tc, format_uuid_and_annotations);
	suite_add_tcase(s, tc);

	tc = tcase_create("applicator");
	tcase_add_test(tc, one_any_all_not);
	tcase_add_test(tc, if_then_else);
	tcase_add_test(tc, boolean_schemas);
	suite_add_tcase(s, tc);

	tc = tcase_create("ref");
	tcase_add_test(tc, ref_defs);
	tcase_add_test(tc, ref_recursive_tree);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, evaluation_budget);
	suite_add_tcase(s, tc);

	tc = tcase_create("compile");
	tcase_add_test(tc, compile_errors_types);
	tcase_add_test(tc, compile_errors_keywords);
	tcase_add_test(tc, compile_errors_annotations);
	tcase_add_test(tc, compile_errors_patterns);
	tcase_add_test(tc, compile_errors_refs);
	tcase_add_test(tc, compile_nesting_limit);
	tcase_add_test(tc, compile_text_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, api_contract);
	tcase_add_test(tc, api_null_instance);
	tcase_add_test(tc, threads_share_a_schema);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ch_check_run(jsonschema_suite());
}
