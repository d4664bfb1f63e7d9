/*
 * JSON Schema (draft 2020-12) on json-c: a schema document is compiled once
 * into a graph of nodes (one per subschema, $ref resolved to a pointer,
 * patterns compiled, messages prepared), which validation then only reads.
 * See jsonschema.h for the supported keywords and the limits.
 */
#include "jsonschema.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <connhub/plugin.h>

#define SC_TEXT_DEPTH 256       /* json_tokener depth for schema text */
#define SC_EQUAL_DEPTH 512      /* deeper values never compare equal */
#define SC_COUNT_DEPTH 256      /* values deeper are not counted */
#define SC_BASE_STEPS (UINT64_C(1) << 18)
#define SC_STEPS_PER_VALUE 64
#define SC_MSG_MAX 512
#define SC_ABORT CH_E_TOO_LARGE /* internal: validation stopped */

enum sc_type_bit {
	T_NULL = 1u << 0,
	T_BOOLEAN = 1u << 1,
	T_OBJECT = 1u << 2,
	T_ARRAY = 1u << 3,
	T_NUMBER = 1u << 4,
	T_INTEGER = 1u << 5,
	T_STRING = 1u << 6
};

enum sc_num_kind { NUM_INT, NUM_UINT, NUM_DBL };
enum sc_node_kind { NODE_SCHEMA, NODE_TRUE, NODE_FALSE };
enum sc_cmp { CMP_LT = -1, CMP_EQ = 0, CMP_GT = 1, CMP_NAN = 2 };

/* A JSON number: int64, uint64 above INT64_MAX, or double. */
typedef struct sc_num {
	int kind;
	int64_t i;
	uint64_t u;
	double d;
} sc_num;

typedef struct sc_node sc_node;

typedef struct sc_named {
	const char *name; /* borrowed from the schema document */
	sc_node *node;
} sc_named;

typedef struct sc_named_list {
	sc_named *v;
	size_t n;
} sc_named_list;

typedef struct sc_regex {
	regex_t re;
	bool compiled;
	const char *source; /* borrowed */
	sc_node *node;      /* patternProperties only */
} sc_regex;

typedef struct sc_regex_list {
	sc_regex *v;
	size_t n;
} sc_regex_list;

typedef struct sc_strs {
	const char **v; /* borrowed */
	size_t n;
} sc_strs;

typedef struct sc_dep {
	const char *name;
	sc_strs names;
} sc_dep;

typedef struct sc_dep_list {
	sc_dep *v;
	size_t n;
} sc_dep_list;

typedef struct sc_list {
	sc_node **v;
	size_t n;
} sc_list;

/* minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf */
typedef struct sc_bound {
	bool set;
	unsigned allowed; /* bit (cmp + 1) set: that comparison passes */
	sc_num num;
	char *msg;
} sc_bound;

struct sc_node {
	char *path;        /* JSON pointer into the schema, "" for the root */
	json_object *json; /* borrowed from the schema document */
	int kind;
	unsigned types;
	char type_msg[128];
	sc_named_list props; /* sorted by name */
	sc_regex_list patprops;
	sc_node *additional;
	sc_node *propnames;
	sc_strs required;
	sc_dep_list depreq;
	sc_named_list depschemas;
	int64_t min_props, max_props; /* -1: absent */
	json_object *enumv;
	char *enum_msg;
	bool has_const;
	json_object *constv;
	char *const_msg;
	int64_t min_len, max_len;
	sc_regex *pattern;
	sc_bound bounds[4];
	sc_bound mult;
	sc_list prefix;
	sc_node *items;
	sc_node *contains;
	int64_t min_contains, max_contains;
	int64_t min_items, max_items;
	bool unique;
	const ch_schema_format *format;
	sc_list all_of, any_of, one_of;
	sc_node *not_, *if_, *then_, *else_;
	const char *ref; /* borrowed */
	sc_node *ref_node;
	unsigned mark; /* compile-time graph walks only */
	sc_node *next;
};

struct ch_schema {
	json_object *doc;
	sc_node *root;
	sc_node *first, *last; /* every node, in creation order */
};

/* ======================================================================
 * Small helpers
 * ==================================================================== */

/* calloc that never returns NULL for a zero count. */
static void *sc_calloc(size_t n, size_t size)
{
	return calloc(n > 0 ? n : 1, size);
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* Writes "/" and the RFC 6901 escaping of @p key to @p buf (NULL: only
 * measures). Returns the length. */
static size_t ptr_escape(char *buf, const char *key, size_t n)
{
	size_t len = 0;

	if (buf != NULL)
		buf[0] = '/';
	len++;
	for (size_t i = 0; i < n; i++) {
		bool esc = key[i] == '~' || key[i] == '/';

		if (buf != NULL && esc) {
			buf[len] = '~';
			buf[len + 1] = key[i] == '~' ? '0' : '1';
		} else if (buf != NULL) {
			buf[len] = key[i];
		}
		len += esc ? 2 : 1;
	}
	return len;
}

/* base + "/" + escaped key, newly allocated. */
static char *ptr_join(const char *base, const char *key)
{
	size_t blen = strlen(base), klen = strlen(key);
	size_t elen = ptr_escape(NULL, key, klen);
	char *p = malloc(blen + elen + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, base, blen);
	ptr_escape(p + blen, key, klen);
	p[blen + elen] = '\0';
	return p;
}

static char *ptr_join_index(const char *base, size_t index)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", index);
	return ptr_join(base, num);
}

/* a + b, newly allocated. */
static char *str_cat(const char *a, const char *b)
{
	size_t alen = strlen(a), blen = strlen(b);
	char *s = malloc(alen + blen + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen + 1);
	return s;
}

/* Compact JSON text of a schema value (compile time only: json-c caches
 * the text inside the object, which is not thread-safe). */
static const char *json_text(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ======================================================================
 * Numbers, equality, hashing
 * ==================================================================== */

static bool num_of(json_object *o, sc_num *out)
{
	memset(out, 0, sizeof(*out));
	if (json_object_is_type(o, json_type_double)) {
		out->kind = NUM_DBL;
		out->d = json_object_get_double(o);
		return true;
	}
	if (!json_object_is_type(o, json_type_int))
		return false;
	out->kind = NUM_INT;
	out->i = json_object_get_int64(o);
	if (out->i == INT64_MAX && json_object_get_uint64(o) > (uint64_t)INT64_MAX) {
		out->kind = NUM_UINT;
		out->u = json_object_get_uint64(o);
	}
	return true;
}

static bool num_is_integral(const sc_num *x)
{
	return x->kind != NUM_DBL || (isfinite(x->d) && x->d == trunc(x->d));
}

static double num_double(const sc_num *x)
{
	if (x->kind == NUM_INT)
		return (double)x->i;
	return x->kind == NUM_UINT ? (double)x->u : x->d;
}

#define CMP3(a, b) ((a) < (b) ? CMP_LT : (a) > (b) ? CMP_GT : CMP_EQ)

/* int64 @p i against double @p d, exactly. */
static int cmp_int_double(int64_t i, double d)
{
	double t;

	if (isnan(d))
		return CMP_NAN;
	if (d >= 9223372036854775808.0)
		return CMP_LT;
	if (d < -9223372036854775808.0)
		return CMP_GT;
	t = trunc(d);
	if (i != (int64_t)t)
		return CMP3(i, (int64_t)t);
	return d > t ? CMP_LT : d < t ? CMP_GT : CMP_EQ;
}

/* uint64 @p u (> INT64_MAX) against double @p d, exactly. */
static int cmp_uint_double(uint64_t u, double d)
{
	if (isnan(d))
		return CMP_NAN;
	if (d < 9223372036854775808.0)
		return CMP_GT;
	if (d >= 18446744073709551616.0)
		return CMP_LT;
	return CMP3(u, (uint64_t)d); /* doubles this large are integers */
}

static int num_cmp(const sc_num *a, const sc_num *b)
{
	int c;

	if (a->kind == NUM_DBL && b->kind == NUM_DBL)
		return isnan(a->d) || isnan(b->d) ? CMP_NAN : CMP3(a->d, b->d);
	if (a->kind == NUM_DBL) {
		c = num_cmp(b, a);
		return c == CMP_NAN ? c : -c;
	}
	if (b->kind == NUM_DBL)
		return a->kind == NUM_INT ? cmp_int_double(a->i, b->d) : cmp_uint_double(a->u, b->d);
	if (a->kind != b->kind)
		return a->kind == NUM_UINT ? CMP_GT : CMP_LT;
	return a->kind == NUM_INT ? CMP3(a->i, b->i) : CMP3(a->u, b->u);
}

static uint64_t num_magnitude(const sc_num *x)
{
	if (x->kind == NUM_UINT)
		return x->u;
	return x->i < 0 ? (uint64_t)(-(x->i + 1)) + 1 : (uint64_t)x->i;
}

/* Whether @p x is a multiple of @p m (> 0): exact for integers, within
 * rounding error for doubles. */
static bool multiple_ok(const sc_num *x, const sc_num *m)
{
	double xd, md, r, tol;

	if (x->kind != NUM_DBL && m->kind != NUM_DBL)
		return num_magnitude(x) % num_magnitude(m) == 0;
	xd = num_double(x);
	md = num_double(m);
	if (!isfinite(xd))
		return false;
	r = fabs(fmod(xd, md));
	tol = fabs(xd) * 16 * DBL_EPSILON;
	return r <= tol || md - r <= tol;
}

enum sc_class { C_NULL, C_BOOL, C_NUM, C_STR, C_ARR, C_OBJ };

static int json_class(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return C_BOOL;
	case json_type_int:
	case json_type_double:
		return C_NUM;
	case json_type_string:
		return C_STR;
	case json_type_array:
		return C_ARR;
	case json_type_object:
		return C_OBJ;
	default:
		return C_NULL;
	}
}

static bool json_equal(json_object *a, json_object *b, int depth);

static bool arr_equal(json_object *a, json_object *b, int depth)
{
	size_t n = json_object_array_length(a);

	if (n != json_object_array_length(b))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i), depth + 1))
			return false;
	}
	return true;
}

static bool obj_equal(json_object *a, json_object *b, int depth)
{
	struct json_object_iter it;
	json_object *bv;

	if (json_object_object_length(a) != json_object_object_length(b))
		return false;
	json_object_object_foreachC(a, it) {
		if (!json_object_object_get_ex(b, it.key, &bv) || !json_equal(it.val, bv, depth + 1))
			return false;
	}
	return true;
}

static bool num_equal(json_object *a, json_object *b)
{
	sc_num x, y;

	num_of(a, &x);
	num_of(b, &y);
	return num_cmp(&x, &y) == CMP_EQ;
}

static bool str_equal(json_object *a, json_object *b)
{
	size_t n = (size_t)json_object_get_string_len(a);

	return n == (size_t)json_object_get_string_len(b) &&
	       memcmp(json_object_get_string(a), json_object_get_string(b), n) == 0;
}

/* Deep JSON equality: numbers by value, object key order irrelevant. */
static bool json_equal(json_object *a, json_object *b, int depth)
{
	int c = json_class(a);

	if (c != json_class(b) || depth > SC_EQUAL_DEPTH)
		return false;
	switch (c) {
	case C_BOOL:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case C_NUM:
		return num_equal(a, b);
	case C_STR:
		return str_equal(a, b);
	case C_ARR:
		return arr_equal(a, b, depth);
	case C_OBJ:
		return obj_equal(a, b, depth);
	default:
		return true;
	}
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static uint64_t bytes_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* Equal numbers (1 and 1.0) hash alike. */
static uint64_t num_hash(const sc_num *x)
{
	double d = x->d;
	uint64_t bits;

	if (x->kind != NUM_DBL)
		return mix64(x->kind == NUM_INT ? (uint64_t)x->i : x->u);
	if (d == trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		return mix64((uint64_t)(int64_t)d);
	if (d == trunc(d) && d >= 0 && d < 18446744073709551616.0)
		return mix64((uint64_t)d);
	memcpy(&bits, &d, sizeof(bits));
	return mix64(bits);
}

static uint64_t json_hash(json_object *o, int depth);

static uint64_t arr_hash(json_object *o, int depth)
{
	size_t n = json_object_array_length(o);
	uint64_t h = UINT64_C(0xa5a5a5a5);

	for (size_t i = 0; i < n; i++)
		h = mix64(h ^ json_hash(json_object_array_get_idx(o, i), depth + 1));
	return h ^ n;
}

/* Order-independent: a sum over the members. */
static uint64_t obj_hash(json_object *o, int depth)
{
	struct json_object_iter it;
	uint64_t h = UINT64_C(0x5a5a5a5a);

	json_object_object_foreachC(o, it)
		h += mix64(bytes_hash(it.key, strlen(it.key)) ^ mix64(json_hash(it.val, depth + 1) + 1));
	return h;
}

static uint64_t json_hash(json_object *o, int depth)
{
	sc_num x;

	if (depth > SC_EQUAL_DEPTH)
		return 0;
	switch (json_class(o)) {
	case C_BOOL:
		return json_object_get_boolean(o) ? 3 : 2;
	case C_NUM:
		num_of(o, &x);
		return num_hash(&x);
	case C_STR:
		return bytes_hash(json_object_get_string(o), (size_t)json_object_get_string_len(o));
	case C_ARR:
		return arr_hash(o, depth);
	case C_OBJ:
		return obj_hash(o, depth);
	default:
		return 1;
	}
}

/* ======================================================================
 * Compiling
 * ==================================================================== */

typedef struct sc_cc {
	ch_schema *s;
	char *err;
	size_t errlen;
	bool failed;
	unsigned gen; /* mark generation of the current graph walk */
} sc_cc;

typedef struct sc_kw sc_kw;

/* Where a keyword handler is: the keyword, its pointer, the nesting. */
typedef struct sc_at {
	const sc_kw *kw;
	const char *ptr;
	int depth;
} sc_at;

typedef int (*sc_kw_fn)(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at);

struct sc_kw {
	const char *name;
	sc_kw_fn fn;
	size_t off;       /* field of sc_node the keyword fills */
	const char *text; /* message text the handler uses */
	unsigned arg;     /* json_type for annotations, allowed mask for bounds */
};

#define FIELD(n, at, type) ((type *)(void *)((char *)(n) + (at)->kw->off))

static int cc_fail(sc_cc *cc, const char *ptr, const char *fmt, ...) CH_PRINTF(3, 4);

/* Records "<ptr>: <reason>" (the first failure only). */
static int cc_fail(sc_cc *cc, const char *ptr, const char *fmt, ...)
{
	char msg[SC_MSG_MAX];
	va_list ap;

	if (!cc->failed && cc->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(cc->err, cc->errlen, "%s: %s", ptr[0] != '\0' ? ptr : "/", msg);
	}
	cc->failed = true;
	return CH_E_INVALID;
}

static bool is_schema(json_object *v)
{
	return json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_boolean);
}

static int node_new(sc_cc *cc, json_object *json, const char *path, sc_node **out)
{
	sc_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return CH_E_NOMEM;
	n->path = strdup(path);
	if (n->path == NULL) {
		free(n);
		return CH_E_NOMEM;
	}
	n->json = json;
	n->min_props = n->max_props = n->min_len = n->max_len = -1;
	n->min_items = n->max_items = n->max_contains = -1;
	n->min_contains = 1;
	if (cc->s->last != NULL)
		cc->s->last->next = n;
	else
		cc->s->first = n;
	cc->s->last = n; /* owned by the schema's list now */
	*out = n;
	return CH_OK;
}

static const sc_kw *kw_find(const char *name);

static int compile_keywords(sc_cc *cc, sc_node *n, int depth)
{
	struct json_object_iter it;
	int rc = CH_OK;

	json_object_object_foreachC(n->json, it) {
		const sc_kw *kw = kw_find(it.key);
		char *ptr;

		if (kw == NULL)
			continue;
		ptr = ptr_join(n->path, it.key);
		if (ptr == NULL)
			return CH_E_NOMEM;
		rc = kw->fn(cc, n, it.val, &(sc_at){ kw, ptr, depth });
		free(ptr);
		if (rc != CH_OK)
			break;
	}
	return rc;
}

/* Compiles the schema @p json found at @p path. */
static int compile_node(sc_cc *cc, json_object *json, const char *path, int depth, sc_node **out)
{
	sc_node *n = NULL;
	int rc;

	if (!is_schema(json))
		return cc_fail(cc, path, "schema must be an object or a boolean");
	if (depth > CH_SCHEMA_MAX_DEPTH)
		return cc_fail(cc, path, "schemas nested more than %d levels deep", CH_SCHEMA_MAX_DEPTH);
	rc = node_new(cc, json, path, &n);
	if (rc != CH_OK)
		return rc;
	*out = n;
	if (json_object_is_type(json, json_type_boolean)) {
		n->kind = json_object_get_boolean(json) ? NODE_TRUE : NODE_FALSE;
		return CH_OK;
	}
	return compile_keywords(cc, n, depth);
}

static int compile_index(sc_cc *cc, json_object *arr, size_t i, const sc_at *at, sc_node **out)
{
	char *ptr = ptr_join_index(at->ptr, i);
	int rc;

	if (ptr == NULL)
		return CH_E_NOMEM;
	rc = compile_node(cc, json_object_array_get_idx(arr, i), ptr, at->depth + 1, out);
	free(ptr);
	return rc;
}

static int compile_member(sc_cc *cc, const char *key, json_object *v, const sc_at *at,
                          sc_node **out)
{
	char *ptr = ptr_join(at->ptr, key);
	int rc;

	if (ptr == NULL)
		return CH_E_NOMEM;
	rc = compile_node(cc, v, ptr, at->depth + 1, out);
	free(ptr);
	return rc;
}

/* ---- keyword handlers ---- */

static const struct {
	const char *name;
	unsigned bit;
} type_names[] = {
	{ "null", T_NULL },      { "boolean", T_BOOLEAN }, { "object", T_OBJECT },
	{ "array", T_ARRAY },    { "number", T_NUMBER },   { "integer", T_INTEGER },
	{ "string", T_STRING },
};

static unsigned type_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(type_names[i].name, name) == 0)
			return type_names[i].bit;
	}
	return 0;
}

/* Adds the @p index-th of @p total type names to the node. */
static int type_add(sc_cc *cc, sc_node *n, json_object *v, const char *ptr, size_t index,
                    size_t total)
{
	const char *name = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	unsigned bit = name != NULL ? type_bit(name) : 0;
	size_t len = strlen(n->type_msg);
	const char *sep = index == 0 ? "must be of type " : index + 1 == total ? " or " : ", ";

	if (name == NULL)
		return cc_fail(cc, ptr, "must be a type name");
	if (bit == 0)
		return cc_fail(cc, ptr, "unknown type \"%s\"", name);
	if (n->types & bit)
		return cc_fail(cc, ptr, "duplicate type \"%s\"", name);
	n->types |= bit;
	snprintf(n->type_msg + len, sizeof(n->type_msg) - len, "%s%s", sep, name);
	return CH_OK;
}

static int kw_type(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	size_t total;
	int rc = CH_OK;

	if (json_object_is_type(v, json_type_string))
		return type_add(cc, n, v, at->ptr, 0, 1);
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return cc_fail(cc, at->ptr, "must be a type name or a non-empty array of type names");
	total = json_object_array_length(v);
	for (size_t i = 0; i < total && rc == CH_OK; i++) {
		char *ptr = ptr_join_index(at->ptr, i);

		rc = ptr != NULL ? type_add(cc, n, json_object_array_get_idx(v, i), ptr, i, total) : CH_E_NOMEM;
		free(ptr);
	}
	return rc;
}

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const sc_named *)a)->name, ((const sc_named *)b)->name);
}

/* An object whose members are schemas (properties, dependentSchemas). */
static int kw_named(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	sc_named_list *list = FIELD(n, at, sc_named_list);
	struct json_object_iter it;
	int rc = CH_OK;

	if (!json_object_is_type(v, json_type_object))
		return cc_fail(cc, at->ptr, "must be an object");
	list->v = sc_calloc((size_t)json_object_object_length(v), sizeof(*list->v));
	if (list->v == NULL)
		return CH_E_NOMEM;
	json_object_object_foreachC(v, it) {
		list->v[list->n].name = it.key;
		rc = compile_member(cc, it.key, it.val, at, &list->v[list->n].node);
		if (rc != CH_OK)
			return rc;
		list->n++;
	}
	qsort(list->v, list->n, sizeof(*list->v), named_cmp);
	return rc;
}

static int kw_defs(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	struct json_object_iter it;
	sc_node *def;
	int rc = CH_OK;

	(void)n;
	if (!json_object_is_type(v, json_type_object))
		return cc_fail(cc, at->ptr, "must be an object");
	json_object_object_foreachC(v, it) {
		rc = compile_member(cc, it.key, it.val, at, &def);
		if (rc != CH_OK)
			break;
	}
	return rc;
}

static int kw_schema(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	return compile_node(cc, v, at->ptr, at->depth + 1, FIELD(n, at, sc_node *));
}

static int kw_items(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (json_object_is_type(v, json_type_array))
		return cc_fail(cc, at->ptr, "must be a schema (an object or a boolean); "
		                            "use prefixItems for tuples");
	return kw_schema(cc, n, v, at);
}

/* A non-empty array of schemas (allOf, anyOf, oneOf, prefixItems). */
static int kw_list(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	sc_list *list = FIELD(n, at, sc_list);
	size_t len = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
	int rc = CH_OK;

	if (len == 0)
		return cc_fail(cc, at->ptr, "must be a non-empty array of schemas");
	list->v = sc_calloc(len, sizeof(*list->v));
	if (list->v == NULL)
		return CH_E_NOMEM;
	for (size_t i = 0; i < len && rc == CH_OK; i++) {
		rc = compile_index(cc, v, i, at, &list->v[i]);
		list->n += rc == CH_OK;
	}
	return rc;
}

static int strings_of(sc_cc *cc, json_object *v, const char *ptr, sc_strs *out)
{
	size_t len;

	if (!json_object_is_type(v, json_type_array))
		return cc_fail(cc, ptr, "must be an array of strings");
	len = json_object_array_length(v);
	for (size_t i = 0; i < len; i++) {
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return cc_fail(cc, ptr, "must be an array of strings");
	}
	out->v = sc_calloc(len, sizeof(*out->v));
	if (out->v == NULL)
		return CH_E_NOMEM;
	for (size_t i = 0; i < len; i++)
		out->v[i] = json_object_get_string(json_object_array_get_idx(v, i));
	out->n = len;
	return CH_OK;
}

static int kw_required(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	return strings_of(cc, v, at->ptr, &n->required);
}

static int kw_dep_required(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	struct json_object_iter it;
	sc_dep_list *list = &n->depreq;
	int rc = CH_OK;

	if (!json_object_is_type(v, json_type_object))
		return cc_fail(cc, at->ptr, "must be an object");
	list->v = sc_calloc((size_t)json_object_object_length(v), sizeof(*list->v));
	if (list->v == NULL)
		return CH_E_NOMEM;
	json_object_object_foreachC(v, it) {
		char *ptr = ptr_join(at->ptr, it.key);

		rc = ptr != NULL ? strings_of(cc, it.val, ptr, &list->v[list->n].names) : CH_E_NOMEM;
		free(ptr);
		if (rc != CH_OK)
			break;
		list->v[list->n++].name = it.key;
	}
	return rc;
}

/* A non-negative integer (1.0 counts) into an int64_t field. */
static int kw_count(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	sc_num x;

	if (!num_of(v, &x) || !num_is_integral(&x) || num_double(&x) < 0)
		return cc_fail(cc, at->ptr, "must be a non-negative integer");
	if (x.kind == NUM_DBL)
		*FIELD(n, at, int64_t) = x.d >= 9223372036854775807.0 ? INT64_MAX : (int64_t)x.d;
	else
		*FIELD(n, at, int64_t) = x.kind == NUM_UINT ? INT64_MAX : x.i;
	return CH_OK;
}

static int bound_set(sc_bound *b, json_object *v, const char *prefix, unsigned allowed)
{
	num_of(v, &b->num);
	b->msg = str_cat(prefix, json_text(v));
	if (b->msg == NULL)
		return CH_E_NOMEM;
	b->set = true;
	b->allowed = allowed;
	return CH_OK;
}

/* minimum, maximum, exclusiveMinimum, exclusiveMaximum */
static int kw_bound(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	sc_num x;

	if (!num_of(v, &x) || isnan(num_double(&x)))
		return cc_fail(cc, at->ptr, "must be a number");
	return bound_set(FIELD(n, at, sc_bound), v, at->kw->text, at->kw->arg);
}

static int kw_multiple(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	sc_num x;

	if (!num_of(v, &x) || !(num_double(&x) > 0) || !isfinite(num_double(&x)))
		return cc_fail(cc, at->ptr, "must be a number greater than 0");
	return bound_set(&n->mult, v, "must be a multiple of ", 0);
}

/* prefix + the array's values as JSON, separated by ", ". */
static char *json_list_text(const char *prefix, json_object *arr)
{
	size_t n = json_object_array_length(arr), len = strlen(prefix) + 1, pos;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(json_text(json_object_array_get_idx(arr, i))) + 2;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	pos = strlen(prefix);
	memcpy(s, prefix, pos);
	for (size_t i = 0; i < n; i++) {
		const char *t = json_text(json_object_array_get_idx(arr, i));
		size_t tlen = strlen(t);

		if (i > 0) {
			memcpy(s + pos, ", ", 2);
			pos += 2;
		}
		memcpy(s + pos, t, tlen);
		pos += tlen;
	}
	s[pos] = '\0';
	return s;
}

static int kw_enum(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return cc_fail(cc, at->ptr, "must be a non-empty array");
	n->enum_msg = json_list_text("must be one of: ", v);
	if (n->enum_msg == NULL)
		return CH_E_NOMEM;
	n->enumv = v;
	return CH_OK;
}

static int kw_const(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	(void)cc;
	(void)at;
	n->const_msg = str_cat("must be equal to ", json_text(v));
	if (n->const_msg == NULL)
		return CH_E_NOMEM;
	n->constv = v;
	n->has_const = true;
	return CH_OK;
}

static int kw_unique(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (!json_object_is_type(v, json_type_boolean))
		return cc_fail(cc, at->ptr, "must be a boolean");
	n->unique = json_object_get_boolean(v);
	return CH_OK;
}

/* Compiles the ECMA pattern @p v (a string) into @p out. */
static int regex_compile(sc_cc *cc, const char *src, size_t srclen, const char *ptr, sc_regex *out)
{
	char why[256], *ere = NULL;
	int rc, rerr;

	if (strlen(src) != srclen)
		return cc_fail(cc, ptr, "invalid regular expression: contains a NUL character");
	rc = ch_schema_regex_translate(src, &ere, why, sizeof(why));
	if (rc == CH_E_INVALID)
		rc = cc_fail(cc, ptr, "invalid regular expression: %s", why);
	if (rc != CH_OK)
		goto out;
	rerr = regcomp(&out->re, ere, REG_EXTENDED | REG_NOSUB);
	if (rerr != 0) {
		regerror(rerr, &out->re, why, sizeof(why));
		rc = cc_fail(cc, ptr, "invalid regular expression: %s", why);
		goto out;
	}
	out->compiled = true;
	out->source = src;
out:
	free(ere);
	return rc;
}

static int kw_pattern(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (!json_object_is_type(v, json_type_string))
		return cc_fail(cc, at->ptr, "must be a string");
	n->pattern = calloc(1, sizeof(*n->pattern));
	if (n->pattern == NULL)
		return CH_E_NOMEM;
	return regex_compile(cc, json_object_get_string(v), (size_t)json_object_get_string_len(v),
	                     at->ptr, n->pattern);
}

static int kw_pattern_props(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	sc_regex_list *list = &n->patprops;
	struct json_object_iter it;
	int rc = CH_OK;

	if (!json_object_is_type(v, json_type_object))
		return cc_fail(cc, at->ptr, "must be an object");
	list->v = sc_calloc((size_t)json_object_object_length(v), sizeof(*list->v));
	if (list->v == NULL)
		return CH_E_NOMEM;
	json_object_object_foreachC(v, it) {
		char *ptr = ptr_join(at->ptr, it.key);
		sc_regex *re = &list->v[list->n++];

		rc = ptr != NULL ? regex_compile(cc, it.key, strlen(it.key), ptr, re) : CH_E_NOMEM;
		free(ptr);
		if (rc == CH_OK)
			rc = compile_member(cc, it.key, it.val, at, &re->node);
		if (rc != CH_OK)
			break;
	}
	return rc;
}

static int kw_format(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (!json_object_is_type(v, json_type_string))
		return cc_fail(cc, at->ptr, "must be a string");
	n->format = ch_schema_format_find(json_object_get_string(v));
	if (n->format == NULL)
		return cc_fail(cc, at->ptr, "unknown format \"%s\"", json_object_get_string(v));
	return CH_OK;
}

static int kw_ref(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (!json_object_is_type(v, json_type_string))
		return cc_fail(cc, at->ptr, "must be a string");
	n->ref = json_object_get_string(v); /* resolved once all is compiled */
	return CH_OK;
}

/* title, description, readOnly...: only the type is checked. */
static int kw_annotation(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	(void)n;
	if (!json_object_is_type(v, (json_type)at->kw->arg))
		return cc_fail(cc, at->ptr, "%s", at->kw->text);
	return CH_OK;
}

static int kw_id(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	if (n->path[0] != '\0')
		return cc_fail(cc, at->ptr, "$id in a subschema (an embedded resource) is not supported");
	return kw_annotation(cc, n, v, at);
}

static int kw_unsupported(sc_cc *cc, sc_node *n, json_object *v, const sc_at *at)
{
	(void)n;
	(void)v;
	return cc_fail(cc, at->ptr, "keyword not supported");
}

#define NODE_OFF(field) offsetof(sc_node, field)
#define ANNOTATION(name, type, text) { name, kw_annotation, 0, text, (unsigned)(type) }
#define ANN_STRING(name) ANNOTATION(name, json_type_string, "must be a string")
#define ANN_BOOL(name) ANNOTATION(name, json_type_boolean, "must be a boolean")

static const sc_kw keywords[] = {
	ANN_STRING("$anchor"),
	ANN_STRING("$comment"),
	{ "$defs", kw_defs, 0, NULL, 0 },
	ANN_STRING("$dynamicAnchor"),
	{ "$dynamicRef", kw_unsupported, 0, NULL, 0 },
	{ "$id", kw_id, 0, "must be a string", json_type_string },
	{ "$recursiveRef", kw_unsupported, 0, NULL, 0 },
	{ "$ref", kw_ref, 0, NULL, 0 },
	ANN_STRING("$schema"),
	{ "additionalProperties", kw_schema, NODE_OFF(additional), NULL, 0 },
	{ "allOf", kw_list, NODE_OFF(all_of), NULL, 0 },
	{ "anyOf", kw_list, NODE_OFF(any_of), NULL, 0 },
	{ "const", kw_const, 0, NULL, 0 },
	{ "contains", kw_schema, NODE_OFF(contains), NULL, 0 },
	ANN_STRING("contentEncoding"),
	ANN_STRING("contentMediaType"),
	{ "definitions", kw_defs, 0, NULL, 0 },
	{ "dependentRequired", kw_dep_required, 0, NULL, 0 },
	{ "dependentSchemas", kw_named, NODE_OFF(depschemas), NULL, 0 },
	ANN_BOOL("deprecated"),
	ANN_STRING("description"),
	{ "else", kw_schema, NODE_OFF(else_), NULL, 0 },
	{ "enum", kw_enum, 0, NULL, 0 },
	ANNOTATION("examples", json_type_array, "must be an array"),
	{ "exclusiveMaximum", kw_bound, NODE_OFF(bounds[3]), "must be less than ", 1u },
	{ "exclusiveMinimum", kw_bound, NODE_OFF(bounds[2]), "must be greater than ", 4u },
	{ "format", kw_format, 0, NULL, 0 },
	{ "if", kw_schema, NODE_OFF(if_), NULL, 0 },
	{ "items", kw_items, NODE_OFF(items), NULL, 0 },
	{ "maxContains", kw_count, NODE_OFF(max_contains), NULL, 0 },
	{ "maxItems", kw_count, NODE_OFF(max_items), NULL, 0 },
	{ "maxLength", kw_count, NODE_OFF(max_len), NULL, 0 },
	{ "maxProperties", kw_count, NODE_OFF(max_props), NULL, 0 },
	{ "maximum", kw_bound, NODE_OFF(bounds[1]), "must be at most ", 3u },
	{ "minContains", kw_count, NODE_OFF(min_contains), NULL, 0 },
	{ "minItems", kw_count, NODE_OFF(min_items), NULL, 0 },
	{ "minLength", kw_count, NODE_OFF(min_len), NULL, 0 },
	{ "minProperties", kw_count, NODE_OFF(min_props), NULL, 0 },
	{ "minimum", kw_bound, NODE_OFF(bounds[0]), "must be at least ", 6u },
	{ "multipleOf", kw_multiple, 0, NULL, 0 },
	{ "not", kw_schema, NODE_OFF(not_), NULL, 0 },
	{ "oneOf", kw_list, NODE_OFF(one_of), NULL, 0 },
	{ "pattern", kw_pattern, 0, NULL, 0 },
	{ "patternProperties", kw_pattern_props, 0, NULL, 0 },
	{ "prefixItems", kw_list, NODE_OFF(prefix), NULL, 0 },
	{ "properties", kw_named, NODE_OFF(props), NULL, 0 },
	{ "propertyNames", kw_schema, NODE_OFF(propnames), NULL, 0 },
	ANN_BOOL("readOnly"),
	{ "required", kw_required, 0, NULL, 0 },
	{ "then", kw_schema, NODE_OFF(then_), NULL, 0 },
	ANN_STRING("title"),
	{ "type", kw_type, 0, NULL, 0 },
	{ "unevaluatedItems", kw_unsupported, 0, NULL, 0 },
	{ "unevaluatedProperties", kw_unsupported, 0, NULL, 0 },
	{ "uniqueItems", kw_unique, 0, NULL, 0 },
	ANN_BOOL("writeOnly"),
};

static const sc_kw *kw_find(const char *name)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strcmp(keywords[i].name, name) == 0)
			return &keywords[i];
	}
	return NULL;
}

/* ---- $ref resolution and cycle check ---- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The percent-decoded JSON pointer of a "#/..." reference. */
static int ref_pointer(const char *ref, char **out)
{
	size_t n = strlen(ref), j = 0;
	char *p;

	*out = NULL;
	if (ref[0] != '#' || (ref[1] != '\0' && ref[1] != '/'))
		return CH_E_NOTFOUND;
	p = malloc(n);
	if (p == NULL)
		return CH_E_NOMEM;
	for (size_t i = 1; i < n; i++) {
		int hi = ref[i] == '%' && i + 2 < n ? hex_value(ref[i + 1]) : -1;
		int lo = hi >= 0 ? hex_value(ref[i + 2]) : -1;

		p[j++] = lo >= 0 ? (char)(hi * 16 + lo) : ref[i];
		i += lo >= 0 ? 2 : 0;
	}
	p[j] = '\0';
	*out = p;
	return strlen(p) == j ? CH_OK : CH_E_NOTFOUND;
}

static sc_node *find_node(const ch_schema *s, const char *path)
{
	for (sc_node *n = s->first; n != NULL; n = n->next) {
		if (strcmp(n->path, path) == 0)
			return n;
	}
	return NULL;
}

static int fail_ref(sc_cc *cc, const sc_node *n, const char *reason)
{
	char *ptr = ptr_join(n->path, "$ref");
	int rc;

	if (ptr == NULL)
		return CH_E_NOMEM;
	rc = cc_fail(cc, ptr, "%s \"%s\"", reason, n->ref);
	free(ptr);
	return rc;
}

/* Points n->ref_node at its target, compiling the target when it is a
 * schema no keyword led to yet. */
static int resolve_one(sc_cc *cc, sc_node *n)
{
	char *path = NULL;
	json_object *target = NULL;
	int rc = ref_pointer(n->ref, &path);

	if (rc == CH_OK)
		n->ref_node = find_node(cc->s, path);
	if (rc == CH_OK && n->ref_node == NULL &&
	    json_pointer_get(cc->s->doc, path, &target) == 0 && is_schema(target))
		rc = compile_node(cc, target, path, 0, &n->ref_node);
	if (rc == CH_E_NOTFOUND || (rc == CH_OK && n->ref_node == NULL))
		rc = fail_ref(cc, n, "unresolvable reference");
	free(path);
	return rc;
}

static int resolve_refs(sc_cc *cc)
{
	int rc = CH_OK;

	/* Nodes compiled here join the list and are visited too. */
	for (sc_node *n = cc->s->first; n != NULL && rc == CH_OK; n = n->next) {
		if (n->ref != NULL)
			rc = resolve_one(cc, n);
	}
	return rc;
}

static bool reaches(sc_cc *cc, sc_node *from, const sc_node *target);

static bool list_reaches(sc_cc *cc, const sc_list *l, const sc_node *target)
{
	for (size_t i = 0; i < l->n; i++) {
		if (reaches(cc, l->v[i], target))
			return true;
	}
	return false;
}

/* Whether @p target is reachable from @p from through keywords that apply
 * to the same instance location ($ref, allOf, anyOf, oneOf, not, if,
 * then, else, dependentSchemas). */
static bool reaches(sc_cc *cc, sc_node *from, const sc_node *target)
{
	sc_node *same[] = { from->ref_node, from->not_, from->if_, from->then_, from->else_ };

	if (from == target)
		return true;
	if (from->mark == cc->gen)
		return false;
	from->mark = cc->gen;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (same[i] != NULL && reaches(cc, same[i], target))
			return true;
	}
	for (size_t i = 0; i < from->depschemas.n; i++) {
		if (reaches(cc, from->depschemas.v[i].node, target))
			return true;
	}
	return list_reaches(cc, &from->all_of, target) || list_reaches(cc, &from->any_of, target) ||
	       list_reaches(cc, &from->one_of, target);
}

/* A $ref that leads back to itself without descending into the instance
 * would recurse forever. */
static int check_cycles(sc_cc *cc)
{
	for (sc_node *n = cc->s->first; n != NULL; n = n->next) {
		if (n->ref_node == NULL)
			continue;
		cc->gen++;
		if (reaches(cc, n->ref_node, n))
			return fail_ref(cc, n, "circular reference");
	}
	return CH_OK;
}

static void node_free(sc_node *n)
{
	for (size_t i = 0; i < n->patprops.n; i++) {
		if (n->patprops.v[i].compiled)
			regfree(&n->patprops.v[i].re);
	}
	if (n->pattern != NULL && n->pattern->compiled)
		regfree(&n->pattern->re);
	for (size_t i = 0; i < n->depreq.n; i++)
		free(n->depreq.v[i].names.v);
	for (size_t i = 0; i < sizeof(n->bounds) / sizeof(n->bounds[0]); i++)
		free(n->bounds[i].msg);
	free(n->depreq.v);
	free(n->patprops.v);
	free(n->pattern);
	free(n->props.v);
	free(n->depschemas.v);
	free(n->required.v);
	free(n->enum_msg);
	free(n->const_msg);
	free(n->mult.msg);
	free(n->prefix.v);
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n->path);
	free(n);
}

void ch_schema_free(ch_schema *schema)
{
	sc_node *next;

	if (schema == NULL)
		return;
	for (sc_node *n = schema->first; n != NULL; n = next) {
		next = n->next;
		node_free(n);
	}
	json_object_put(schema->doc);
	free(schema);
}

int ch_schema_compile(ch_schema **out, json_object *doc, char *err, size_t errlen)
{
	sc_cc cc = { .err = err, .errlen = err != NULL ? errlen : 0 };
	ch_schema *s = NULL;
	int rc = CH_E_INVALID;

	if (cc.errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		goto out;
	*out = NULL;
	s = calloc(1, sizeof(*s));
	rc = s != NULL ? CH_OK : CH_E_NOMEM;
	if (rc != CH_OK)
		goto out;
	s->doc = json_object_get(doc);
	cc.s = s;
	rc = compile_node(&cc, doc, "", 0, &s->root);
	rc = rc == CH_OK ? resolve_refs(&cc) : rc;
	rc = rc == CH_OK ? check_cycles(&cc) : rc;
	if (rc == CH_OK) {
		*out = s;
		s = NULL; /* owned by the caller now */
	}
out:
	if (rc == CH_E_NOMEM && cc.errlen > 0)
		snprintf(err, cc.errlen, "/: out of memory");
	ch_schema_free(s);
	return rc;
}

static bool only_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

/* Parses strict JSON; a parse error is written to @p err. */
static int parse_text(const char *text, json_object **doc, char *err, size_t errlen)
{
	size_t len = strlen(text), end;
	enum json_tokener_error jerr;
	json_tokener *tok;

	if (len >= INT_MAX)
		return CH_E_TOO_LARGE;
	tok = json_tokener_new_ex(SC_TEXT_DEPTH);
	if (tok == NULL)
		return CH_E_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*doc = json_tokener_parse_ex(tok, text, (int)len + 1); /* + NUL: ends a bare number */
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	else if (jerr == json_tokener_success && !only_space(text + (end < len ? end : len)))
		jerr = json_tokener_error_parse_unexpected;
	if (jerr == json_tokener_success)
		return CH_OK;
	json_object_put(*doc);
	*doc = NULL;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "/: not valid JSON: %s at offset %zu", json_tokener_error_desc(jerr),
		         end > len ? len : end);
	return CH_E_INVALID;
}

int ch_schema_compile_text(ch_schema **out, const char *text, char *err, size_t errlen)
{
	json_object *doc = NULL;
	int rc = CH_E_INVALID;

	if (out != NULL)
		*out = NULL;
	if (text == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "/: not valid JSON: no text");
		goto out;
	}
	rc = parse_text(text, &doc, err, errlen);
	if (rc == CH_OK)
		rc = ch_schema_compile(out, doc, err, errlen);
out:
	json_object_put(doc); /* the schema holds its own reference */
	return rc;
}

json_object *ch_schema_doc(const ch_schema *schema)
{
	return schema != NULL ? schema->doc : NULL;
}

/* ======================================================================
 * Validating
 * ==================================================================== */

typedef struct sc_seg {
	const char *key; /* NULL: an array index */
	size_t index;
} sc_seg;

typedef struct sc_err {
	char *ptr;
	char *msg;
} sc_err;

typedef struct sc_vc {
	sc_seg *segs; /* the instance location being validated */
	size_t nsegs, capsegs;
	sc_err *errs;
	size_t nerrs, caperrs;
	sc_err fatal; /* why validation stopped */
	int quiet;    /* > 0: only pass/fail matters, record nothing */
	int ref_depth;
	uint64_t steps, max_steps;
} sc_vc;

typedef int (*sc_check_fn)(sc_vc *vc, const sc_node *n, json_object *inst);

static bool hard(int rc)
{
	return rc != CH_OK && rc != CH_E_INVALID;
}

/* Combines two results; hard errors win, then failures. */
static int merge(int a, int b)
{
	if (hard(a))
		return a;
	if (hard(b))
		return b;
	return a != CH_OK ? a : b;
}

/* Whether to stop evaluating the current schema. */
static bool stop(const sc_vc *vc, int rc)
{
	return hard(rc) || (rc != CH_OK && vc->quiet > 0);
}

static int vc_push(sc_vc *vc, const char *key, size_t index)
{
	if (vc->nsegs == vc->capsegs) {
		size_t cap = vc->capsegs > 0 ? vc->capsegs * 2 : 16;
		sc_seg *segs = realloc(vc->segs, cap * sizeof(*segs));

		if (segs == NULL)
			return CH_E_NOMEM;
		vc->segs = segs;
		vc->capsegs = cap;
	}
	vc->segs[vc->nsegs].key = key;
	vc->segs[vc->nsegs++].index = index;
	return CH_OK;
}

static void vc_pop(sc_vc *vc)
{
	vc->nsegs--;
}

/* The JSON pointer of the current instance location, newly allocated. */
static char *vc_pointer(const sc_vc *vc)
{
	size_t len = 1, pos = 0;
	char num[24], *p;

	for (size_t i = 0; i < vc->nsegs; i++) {
		const sc_seg *g = &vc->segs[i];

		len += g->key != NULL ? ptr_escape(NULL, g->key, strlen(g->key))
		                      : (size_t)snprintf(num, sizeof(num), "/%zu", g->index);
	}
	p = malloc(len);
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < vc->nsegs; i++) {
		const sc_seg *g = &vc->segs[i];

		if (g->key != NULL)
			pos += ptr_escape(p + pos, g->key, strlen(g->key));
		else
			pos += (size_t)snprintf(p + pos, len - pos, "/%zu", g->index);
	}
	p[pos] = '\0';
	return p;
}

static int err_set(const sc_vc *vc, sc_err *e, const char *msg)
{
	e->ptr = vc_pointer(vc);
	e->msg = strdup(msg);
	if (e->ptr != NULL && e->msg != NULL)
		return CH_OK;
	free(e->ptr);
	free(e->msg);
	e->ptr = e->msg = NULL;
	return CH_E_NOMEM;
}

/* Records @p msg at the current location; returns CH_E_INVALID. */
static int vc_fail(sc_vc *vc, const char *msg)
{
	int rc;

	if (vc->quiet > 0)
		return CH_E_INVALID;
	if (vc->nerrs == vc->caperrs) {
		size_t cap = vc->caperrs > 0 ? vc->caperrs * 2 : 8;
		sc_err *errs = realloc(vc->errs, cap * sizeof(*errs));

		if (errs == NULL)
			return CH_E_NOMEM;
		vc->errs = errs;
		vc->caperrs = cap;
	}
	rc = err_set(vc, &vc->errs[vc->nerrs], msg);
	vc->nerrs += rc == CH_OK;
	return rc != CH_OK ? rc : CH_E_INVALID;
}

static int vc_failf(sc_vc *vc, const char *fmt, ...) CH_PRINTF(2, 3);

static int vc_failf(sc_vc *vc, const char *fmt, ...)
{
	char msg[SC_MSG_MAX];
	va_list ap;

	if (vc->quiet > 0)
		return CH_E_INVALID;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vc_fail(vc, msg);
}

/* Records @p msg at the member @p key of the current location. */
static int vc_fail_key(sc_vc *vc, const char *key, const char *msg)
{
	int rc = vc_push(vc, key, 0);

	if (rc != CH_OK)
		return rc;
	rc = vc_fail(vc, msg);
	vc_pop(vc);
	return rc;
}

static int vc_abort(sc_vc *vc, const char *fmt, ...) CH_PRINTF(2, 3);

/* Stops the whole validation with one error, even inside anyOf & co. */
static int vc_abort(sc_vc *vc, const char *fmt, ...)
{
	char msg[SC_MSG_MAX];
	va_list ap;

	if (vc->fatal.msg != NULL)
		return SC_ABORT;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(vc, &vc->fatal, msg) == CH_OK ? SC_ABORT : CH_E_NOMEM;
}

static int v_node(sc_vc *vc, const sc_node *n, json_object *inst);

/* Validates quietly: *ok tells whether @p inst matches @p n. */
static int v_probe(sc_vc *vc, const sc_node *n, json_object *inst, bool *ok)
{
	int rc;

	vc->quiet++;
	rc = v_node(vc, n, inst);
	vc->quiet--;
	*ok = rc == CH_OK;
	return hard(rc) ? rc : CH_OK;
}

static int run_checks(sc_vc *vc, const sc_check_fn *fns, size_t count, const sc_node *n,
                      json_object *inst)
{
	int rc = CH_OK;

	for (size_t i = 0; i < count && !stop(vc, rc); i++)
		rc = merge(rc, fns[i](vc, n, inst));
	return rc;
}

/* ---- generic keywords ---- */

static int v_ref(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int rc;

	if (n->ref_node == NULL)
		return CH_OK;
	if (vc->ref_depth >= CH_SCHEMA_MAX_DEPTH)
		return vc_abort(vc, "validation stopped: more than %d nested $ref", CH_SCHEMA_MAX_DEPTH);
	vc->ref_depth++;
	rc = v_node(vc, n->ref_node, inst);
	vc->ref_depth--;
	return rc;
}

static unsigned inst_types(json_object *inst)
{
	sc_num x;

	switch (json_object_get_type(inst)) {
	case json_type_boolean:
		return T_BOOLEAN;
	case json_type_int:
	case json_type_double:
		num_of(inst, &x);
		return T_NUMBER | (num_is_integral(&x) ? T_INTEGER : 0);
	case json_type_object:
		return T_OBJECT;
	case json_type_array:
		return T_ARRAY;
	case json_type_string:
		return T_STRING;
	default:
		return T_NULL;
	}
}

static const char *inst_type_name(json_object *inst)
{
	if (json_object_is_type(inst, json_type_int))
		return "integer";
	if (json_object_is_type(inst, json_type_double))
		return "number";
	return json_type_to_name(json_object_get_type(inst));
}

static int v_type(sc_vc *vc, const sc_node *n, json_object *inst)
{
	if (n->types == 0 || (n->types & inst_types(inst)) != 0)
		return CH_OK;
	return vc_failf(vc, "%s, got %s", n->type_msg, inst_type_name(inst));
}

static int v_enum(sc_vc *vc, const sc_node *n, json_object *inst)
{
	size_t len;

	if (n->enumv == NULL)
		return CH_OK;
	len = json_object_array_length(n->enumv);
	for (size_t i = 0; i < len; i++) {
		if (json_equal(json_object_array_get_idx(n->enumv, i), inst, 0))
			return CH_OK;
	}
	return vc_fail(vc, n->enum_msg);
}

static int v_const(sc_vc *vc, const sc_node *n, json_object *inst)
{
	if (!n->has_const || json_equal(n->constv, inst, 0))
		return CH_OK;
	return vc_fail(vc, n->const_msg);
}

/* ---- strings ---- */

/* Unicode code points of UTF-8 text: bytes that are not continuations. */
static size_t utf8_length(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static bool regex_match(const regex_t *re, const char *s, size_t len)
{
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)len };

	return regexec(re, s, 1, &m, REG_STARTEND) == 0;
}

static int v_string(sc_vc *vc, const sc_node *n, json_object *inst)
{
	const char *s;
	size_t len;
	int64_t cps;
	int rc = CH_OK;

	if (!json_object_is_type(inst, json_type_string))
		return CH_OK;
	s = json_object_get_string(inst);
	len = (size_t)json_object_get_string_len(inst);
	cps = (int64_t)utf8_length(s, len);
	if (n->min_len >= 0 && cps < n->min_len)
		rc = vc_failf(vc, "must be at least %" PRId64 " character%s long", n->min_len,
		              plural(n->min_len));
	if (!stop(vc, rc) && n->max_len >= 0 && cps > n->max_len)
		rc = merge(rc, vc_failf(vc, "must be at most %" PRId64 " character%s long",
		                        n->max_len, plural(n->max_len)));
	if (!stop(vc, rc) && n->pattern != NULL && !regex_match(&n->pattern->re, s, len))
		rc = merge(rc, vc_failf(vc, "must match pattern %s", n->pattern->source));
	if (!stop(vc, rc) && n->format != NULL && n->format->check != NULL &&
	    !n->format->check(s, len))
		rc = merge(rc, vc_failf(vc, "is not a valid %s", n->format->what));
	return rc;
}

/* ---- numbers ---- */

static int v_number(sc_vc *vc, const sc_node *n, json_object *inst)
{
	sc_num x;
	int rc = CH_OK;

	if (!num_of(inst, &x))
		return CH_OK;
	for (size_t i = 0; i < sizeof(n->bounds) / sizeof(n->bounds[0]) && !stop(vc, rc); i++) {
		const sc_bound *b = &n->bounds[i];
		int c = b->set ? num_cmp(&x, &b->num) : CMP_EQ;

		if (b->set && (c == CMP_NAN || (b->allowed & (1u << (c + 1))) == 0))
			rc = merge(rc, vc_fail(vc, b->msg));
	}
	if (!stop(vc, rc) && n->mult.set && !multiple_ok(&x, &n->mult.num))
		rc = merge(rc, vc_fail(vc, n->mult.msg));
	return rc;
}

/* ---- objects ---- */

static int v_required(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int rc = CH_OK;

	for (size_t i = 0; i < n->required.n && !stop(vc, rc); i++) {
		if (!json_object_object_get_ex(inst, n->required.v[i], NULL))
			rc = merge(rc, vc_fail_key(vc, n->required.v[i], "is required"));
	}
	return rc;
}

/* propertyNames: the name's errors, at the member, "property name ...". */
static int v_property_name(sc_vc *vc, const sc_node *names, const char *key)
{
	json_object *name = json_object_new_string(key);
	size_t first = vc->nerrs;
	int rc;

	if (name == NULL)
		return CH_E_NOMEM;
	rc = v_node(vc, names, name);
	json_object_put(name);
	for (size_t i = first; i < vc->nerrs && !hard(rc); i++) {
		char *msg = str_cat("property name ", vc->errs[i].msg);

		if (msg == NULL)
			return CH_E_NOMEM;
		free(vc->errs[i].msg);
		vc->errs[i].msg = msg;
	}
	return rc;
}

/* properties and patternProperties for one member. */
static int v_matching(sc_vc *vc, const sc_node *n, const char *key, json_object *val, bool *matched)
{
	sc_named probe = { .name = key };
	const sc_named *prop = n->props.n > 0 ? bsearch(&probe, n->props.v, n->props.n,
	                                                sizeof(probe), named_cmp)
	                                      : NULL;
	int rc = CH_OK;

	*matched = prop != NULL;
	if (prop != NULL)
		rc = v_node(vc, prop->node, val);
	for (size_t i = 0; i < n->patprops.n && !stop(vc, rc); i++) {
		const sc_regex *re = &n->patprops.v[i];

		if (!regex_match(&re->re, key, strlen(key)))
			continue;
		*matched = true;
		rc = merge(rc, v_node(vc, re->node, val));
	}
	return rc;
}

static int v_member(sc_vc *vc, const sc_node *n, const char *key, json_object *val)
{
	bool matched = false;
	int rc = vc_push(vc, key, 0);

	if (rc != CH_OK)
		return rc;
	if (n->propnames != NULL)
		rc = v_property_name(vc, n->propnames, key);
	if (!stop(vc, rc))
		rc = merge(rc, v_matching(vc, n, key, val, &matched));
	if (!stop(vc, rc) && !matched && n->additional != NULL)
		rc = merge(rc, n->additional->kind == NODE_FALSE
		                   ? vc_fail(vc, "is not allowed (additionalProperties)")
		                   : v_node(vc, n->additional, val));
	vc_pop(vc);
	return rc;
}

static int v_members(sc_vc *vc, const sc_node *n, json_object *inst)
{
	struct json_object_iter it;
	int rc = CH_OK;

	if (n->props.n == 0 && n->patprops.n == 0 && n->additional == NULL && n->propnames == NULL)
		return CH_OK;
	json_object_object_foreachC(inst, it) {
		rc = merge(rc, v_member(vc, n, it.key, it.val));
		if (stop(vc, rc))
			break;
	}
	return rc;
}

static int v_dep_required(sc_vc *vc, const sc_node *n, json_object *inst)
{
	char msg[SC_MSG_MAX];
	int rc = CH_OK;

	for (size_t i = 0; i < n->depreq.n && !stop(vc, rc); i++) {
		const sc_dep *dep = &n->depreq.v[i];

		if (!json_object_object_get_ex(inst, dep->name, NULL))
			continue;
		snprintf(msg, sizeof(msg), "is required when \"%s\" is present", dep->name);
		for (size_t k = 0; k < dep->names.n && !stop(vc, rc); k++) {
			if (!json_object_object_get_ex(inst, dep->names.v[k], NULL))
				rc = merge(rc, vc_fail_key(vc, dep->names.v[k], msg));
		}
	}
	return rc;
}

static int v_dep_schemas(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int rc = CH_OK;

	for (size_t i = 0; i < n->depschemas.n && !stop(vc, rc); i++) {
		if (json_object_object_get_ex(inst, n->depschemas.v[i].name, NULL))
			rc = merge(rc, v_node(vc, n->depschemas.v[i].node, inst));
	}
	return rc;
}

static int v_prop_count(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int64_t count = json_object_object_length(inst);
	int rc = CH_OK;

	if (n->min_props >= 0 && count < n->min_props)
		rc = vc_failf(vc, "must have at least %" PRId64 " %s", n->min_props,
		              n->min_props == 1 ? "property" : "properties");
	if (!stop(vc, rc) && n->max_props >= 0 && count > n->max_props)
		rc = merge(rc, vc_failf(vc, "must have at most %" PRId64 " %s", n->max_props,
		                        n->max_props == 1 ? "property" : "properties"));
	return rc;
}

static int v_object(sc_vc *vc, const sc_node *n, json_object *inst)
{
	static const sc_check_fn checks[] = {
		v_required, v_members, v_dep_required, v_dep_schemas, v_prop_count,
	};

	if (!json_object_is_type(inst, json_type_object))
		return CH_OK;
	return run_checks(vc, checks, sizeof(checks) / sizeof(checks[0]), n, inst);
}

/* ---- arrays ---- */

static int v_item(sc_vc *vc, const sc_node *sub, size_t index, json_object *item, bool is_items)
{
	int rc = vc_push(vc, NULL, index);

	if (rc != CH_OK)
		return rc;
	if (is_items && sub->kind == NODE_FALSE)
		rc = vc_fail(vc, "is not allowed (items)");
	else
		rc = v_node(vc, sub, item);
	vc_pop(vc);
	return rc;
}

static int v_items(sc_vc *vc, const sc_node *n, json_object *inst)
{
	size_t len = json_object_array_length(inst);
	int rc = CH_OK;

	for (size_t i = 0; i < len && !stop(vc, rc); i++) {
		bool prefixed = i < n->prefix.n;
		const sc_node *sub = prefixed ? n->prefix.v[i] : n->items;

		if (sub == NULL)
			break;
		rc = merge(rc, v_item(vc, sub, i, json_object_array_get_idx(inst, i), !prefixed));
	}
	return rc;
}

static int count_matches(sc_vc *vc, const sc_node *sub, json_object *inst, int64_t *count)
{
	size_t len = json_object_array_length(inst);
	bool ok = false;
	int rc = CH_OK;

	*count = 0;
	for (size_t i = 0; i < len && rc == CH_OK; i++) {
		rc = vc_push(vc, NULL, i);
		if (rc != CH_OK)
			break;
		rc = v_probe(vc, sub, json_object_array_get_idx(inst, i), &ok);
		vc_pop(vc);
		*count += ok;
	}
	return rc;
}

static int v_contains(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int64_t count;
	int rc;

	if (n->contains == NULL)
		return CH_OK;
	rc = count_matches(vc, n->contains, inst, &count);
	if (rc != CH_OK)
		return rc;
	if (count < n->min_contains)
		rc = vc_failf(vc, "must contain at least %" PRId64 " matching item%s", n->min_contains,
		              plural(n->min_contains));
	if (!stop(vc, rc) && n->max_contains >= 0 && count > n->max_contains)
		rc = merge(rc, vc_failf(vc, "must contain at most %" PRId64 " matching item%s",
		                        n->max_contains, plural(n->max_contains)));
	return rc;
}

static int v_item_count(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int64_t count = (int64_t)json_object_array_length(inst);
	int rc = CH_OK;

	if (n->min_items >= 0 && count < n->min_items)
		rc = vc_failf(vc, "must have at least %" PRId64 " item%s", n->min_items,
		              plural(n->min_items));
	if (!stop(vc, rc) && n->max_items >= 0 && count > n->max_items)
		rc = merge(rc, vc_failf(vc, "must have at most %" PRId64 " item%s", n->max_items,
		                        plural(n->max_items)));
	return rc;
}

typedef struct sc_hashed {
	uint64_t hash;
	size_t index;
} sc_hashed;

static int hashed_cmp(const void *a, const void *b)
{
	const sc_hashed *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The equal pair (*i < *j) with the smallest *j, then *i; *j = SIZE_MAX
 * when none. @p h is sorted by hash, then index. */
static void find_duplicate(json_object *arr, const sc_hashed *h, size_t len, size_t *i, size_t *j)
{
	*i = 0;
	*j = SIZE_MAX;
	for (size_t a = 0; a < len; a++) {
		for (size_t b = a + 1; b < len && h[b].hash == h[a].hash; b++) {
			if (h[b].index > *j || (h[b].index == *j && h[a].index >= *i))
				continue;
			if (json_equal(json_object_array_get_idx(arr, h[a].index),
			               json_object_array_get_idx(arr, h[b].index), 0)) {
				*i = h[a].index;
				*j = h[b].index;
			}
		}
	}
}

static int v_unique(sc_vc *vc, const sc_node *n, json_object *inst)
{
	size_t len = json_object_array_length(inst), i, j;
	sc_hashed *h;

	if (!n->unique || len < 2)
		return CH_OK;
	h = malloc(len * sizeof(*h));
	if (h == NULL)
		return CH_E_NOMEM;
	for (size_t k = 0; k < len; k++) {
		h[k].hash = json_hash(json_object_array_get_idx(inst, k), 0);
		h[k].index = k;
	}
	qsort(h, len, sizeof(*h), hashed_cmp);
	find_duplicate(inst, h, len, &i, &j);
	free(h);
	if (j == SIZE_MAX)
		return CH_OK;
	return vc_failf(vc, "must not contain duplicate items (items %zu and %zu are equal)", i, j);
}

static int v_array(sc_vc *vc, const sc_node *n, json_object *inst)
{
	static const sc_check_fn checks[] = { v_items, v_contains, v_item_count, v_unique };

	if (!json_object_is_type(inst, json_type_array))
		return CH_OK;
	return run_checks(vc, checks, sizeof(checks) / sizeof(checks[0]), n, inst);
}

/* ---- applicators ---- */

static int v_all_of(sc_vc *vc, const sc_node *n, json_object *inst)
{
	int rc = CH_OK;

	for (size_t i = 0; i < n->all_of.n && !stop(vc, rc); i++)
		rc = merge(rc, v_node(vc, n->all_of.v[i], inst));
	return rc;
}

static int v_any_of(sc_vc *vc, const sc_node *n, json_object *inst)
{
	bool ok = false;
	int rc = CH_OK;

	if (n->any_of.n == 0)
		return CH_OK;
	for (size_t i = 0; i < n->any_of.n && rc == CH_OK && !ok; i++)
		rc = v_probe(vc, n->any_of.v[i], inst, &ok);
	if (rc != CH_OK || ok)
		return rc;
	return vc_fail(vc, "must match at least one schema in anyOf");
}

static int v_one_of(sc_vc *vc, const sc_node *n, json_object *inst)
{
	size_t matched = 0;
	bool ok = false;
	int rc = CH_OK;

	if (n->one_of.n == 0)
		return CH_OK;
	for (size_t i = 0; i < n->one_of.n && rc == CH_OK; i++) {
		rc = v_probe(vc, n->one_of.v[i], inst, &ok);
		matched += ok;
	}
	if (rc != CH_OK || matched == 1)
		return rc;
	return vc_failf(vc, "must match exactly one schema in oneOf (matched %zu)", matched);
}

static int v_not(sc_vc *vc, const sc_node *n, json_object *inst)
{
	bool ok = false;
	int rc;

	if (n->not_ == NULL)
		return CH_OK;
	rc = v_probe(vc, n->not_, inst, &ok);
	if (rc != CH_OK || !ok)
		return rc;
	return vc_fail(vc, "must not match the schema in not");
}

static int v_conditional(sc_vc *vc, const sc_node *n, json_object *inst)
{
	const sc_node *branch;
	bool ok = false;
	int rc;

	if (n->if_ == NULL)
		return CH_OK;
	rc = v_probe(vc, n->if_, inst, &ok);
	if (rc != CH_OK)
		return rc;
	branch = ok ? n->then_ : n->else_;
	return branch != NULL ? v_node(vc, branch, inst) : CH_OK;
}

static int v_node(sc_vc *vc, const sc_node *n, json_object *inst)
{
	static const sc_check_fn checks[] = {
		v_ref, v_type, v_enum, v_const, v_string, v_number, v_object, v_array,
		v_all_of, v_any_of, v_one_of, v_not, v_conditional,
	};

	if (++vc->steps > vc->max_steps)
		return vc_abort(vc, "validation stopped: more than %" PRIu64 " schema evaluations",
		                vc->max_steps);
	if (n->kind != NODE_SCHEMA)
		return n->kind == NODE_TRUE ? CH_OK : vc_fail(vc, "is not allowed");
	return run_checks(vc, checks, sizeof(checks) / sizeof(checks[0]), n, inst);
}

/* ---- result ---- */

/* Values in @p o, not counting below SC_COUNT_DEPTH. */
static uint64_t count_values(json_object *o, int depth)
{
	struct json_object_iter it;
	uint64_t n = 1;
	size_t len;

	if (depth >= SC_COUNT_DEPTH)
		return n;
	if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (size_t i = 0; i < len; i++)
			n += count_values(json_object_array_get_idx(o, i), depth + 1);
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreachC(o, it)
			n += count_values(it.val, depth + 1);
	}
	return n;
}

typedef struct sc_order {
	const sc_err *e;
	size_t index;
} sc_order;

static int order_cmp(const void *a, const void *b)
{
	const sc_order *x = a, *y = b;
	int c = strcmp(x->e->ptr, y->e->ptr);

	c = c != 0 ? c : strcmp(x->e->msg, y->e->msg);
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Marks every error equal to an earlier one. */
static int mark_duplicates(const sc_vc *vc, bool *dup)
{
	sc_order *ord = malloc(vc->nerrs * sizeof(*ord));

	if (ord == NULL)
		return CH_E_NOMEM;
	for (size_t i = 0; i < vc->nerrs; i++) {
		ord[i].e = &vc->errs[i];
		ord[i].index = i;
	}
	qsort(ord, vc->nerrs, sizeof(*ord), order_cmp);
	for (size_t k = 1; k < vc->nerrs; k++) {
		dup[ord[k].index] = strcmp(ord[k].e->ptr, ord[k - 1].e->ptr) == 0 &&
		                    strcmp(ord[k].e->msg, ord[k - 1].e->msg) == 0;
	}
	free(ord);
	return CH_OK;
}

static int add_member(json_object *obj, const char *key, const char *value)
{
	json_object *v = json_object_new_string(value);

	if (v == NULL)
		return CH_E_NOMEM;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return CH_E_NOMEM;
	}
	return CH_OK;
}

static int append_error(json_object *arr, const sc_err *e)
{
	json_object *o = json_object_new_object();
	int rc = o != NULL ? CH_OK : CH_E_NOMEM;

	rc = rc == CH_OK ? add_member(o, "pointer", e->ptr) : rc;
	rc = rc == CH_OK ? add_member(o, "message", e->msg) : rc;
	if (rc == CH_OK && json_object_array_add(arr, o) != 0)
		rc = CH_E_NOMEM;
	if (rc != CH_OK)
		json_object_put(o);
	return rc;
}

/* The errors as a new JSON array; CH_E_INVALID on success. */
static int vc_output(const sc_vc *vc, json_object **errors)
{
	bool *dup = sc_calloc(vc->nerrs, sizeof(*dup));
	json_object *arr = json_object_new_array();
	int rc = dup != NULL && arr != NULL ? CH_OK : CH_E_NOMEM;

	rc = rc == CH_OK ? mark_duplicates(vc, dup) : rc;
	for (size_t i = 0; i < vc->nerrs && rc == CH_OK; i++) {
		if (!dup[i])
			rc = append_error(arr, &vc->errs[i]);
	}
	if (rc == CH_OK) {
		*errors = arr;
		arr = NULL; /* owned by the caller now */
		rc = CH_E_INVALID;
	}
	json_object_put(arr);
	free(dup);
	return rc;
}

static void vc_clear(sc_vc *vc)
{
	for (size_t i = 0; i < vc->nerrs; i++) {
		free(vc->errs[i].ptr);
		free(vc->errs[i].msg);
	}
	vc->nerrs = 0;
}

/* After an abort, the only error is why validation stopped. */
static int vc_keep_fatal(sc_vc *vc)
{
	vc_clear(vc);
	if (vc->caperrs == 0) {
		vc->errs = malloc(sizeof(*vc->errs));
		if (vc->errs == NULL)
			return CH_E_NOMEM;
		vc->caperrs = 1;
	}
	vc->errs[0] = vc->fatal;
	vc->nerrs = 1;
	vc->fatal.ptr = vc->fatal.msg = NULL; /* owned by errs now */
	return CH_E_INVALID;
}

int ch_schema_validate(const ch_schema *schema, json_object *instance, json_object **errors)
{
	sc_vc vc = { .quiet = errors == NULL };
	int rc = CH_E_INVALID;

	if (errors != NULL)
		*errors = NULL;
	if (schema == NULL)
		goto out;
	vc.max_steps = SC_BASE_STEPS + SC_STEPS_PER_VALUE * count_values(instance, 0);
	rc = v_node(&vc, schema->root, instance);
	if (rc == SC_ABORT)
		rc = vc_keep_fatal(&vc);
	if (rc == CH_E_INVALID && errors != NULL)
		rc = vc_output(&vc, errors);
out:
	vc_clear(&vc);
	free(vc.errs);
	free(vc.segs);
	free(vc.fatal.ptr);
	free(vc.fatal.msg);
	return rc;
}
