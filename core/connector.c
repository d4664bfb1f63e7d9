#include "connector.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#include <json-c/json_pointer.h>

#define DEFAULT_TIMEZONE "UTC"
#define DEFAULT_DATE_FORMAT "YYYY-MM-DD"

/* Fields only the server sets. */
static const char *const server_owned[] = {
	"id", "account", "account_id", "status", "revision", "created_at", "updated_at", NULL,
};

/* --- errors ----------------------------------------------------------------- */

static void add_error(json_object *errors, const char *pointer, const char *message)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "pointer", json_object_new_string(pointer));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(errors, e);
}

/* Appends @p more with @p prefix before each pointer. */
static void add_errors(json_object *errors, json_object *more, const char *prefix)
{
	char ptr[512];

	for (size_t i = 0; i < json_object_array_length(more); i++) {
		json_object *e = json_object_array_get_idx(more, i);

		snprintf(ptr, sizeof(ptr), "%s%s", prefix,
			 json_object_get_string(json_object_object_get(e, "pointer")));
		add_error(errors, ptr, json_object_get_string(json_object_object_get(e, "message")));
	}
}

static void validate_into(const ch_schema *schema, json_object *value, const char *prefix,
			  json_object *errors)
{
	json_object *found = NULL;

	if (ch_schema_validate(schema, value, &found) != CH_OK && found)
		add_errors(errors, found, prefix);
	json_object_put(found);
}

/* --- field checks ------------------------------------------------------------- */

int ch_connector_is_id(const char *s)
{
	if (strncmp(s, "con_", 4) != 0 || strlen(s) != 30)
		return 0;
	for (s += 4; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '2' && *s <= '7')))
			return 0;
	return 1;
}

/* Files of the zoneinfo tree that are TZif data but no zone a user means:
 * the placeholder zone, the machine's own zone, the fallback rules. The
 * posix/ and right/ trees repeat every zone (right/ with leap seconds). */
static const char *const not_zones[] = {"Factory", "localtime", "posixrules", NULL};

/* Whether @p path is a regular file that starts with the TZif magic. */
static int tzif_file(const char *path)
{
	char magic[4];
	struct stat st;
	int fd, ok;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	     memcmp(magic, "TZif", sizeof(magic)) == 0;
	close(fd);
	return ok;
}

int ch_timezone_valid(const char *name)
{
	char path[256];

	if (!name || !*name || name[0] == '/' || strstr(name, "..") || strstr(name, "//") ||
	    name[strlen(name) - 1] == '/' || strlen(name) > 64)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_+-", *p)))
			return 0;
	if (strncmp(name, "posix/", 6) == 0 || strncmp(name, "right/", 6) == 0)
		return 0;
	for (int i = 0; not_zones[i]; i++)
		if (strcmp(name, not_zones[i]) == 0)
			return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	return tzif_file(path);
}

static const char *str_at(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Reports every {"$secret": ...} object in a request: the server's sealed
 * form, never accepted from a client. */
static void check_no_envelopes(json_object *v, char *ptr, size_t used, size_t cap,
			       json_object *errors)
{
	if (ch_secret_is_envelope(v)) {
		add_error(errors, used ? ptr : "", "a {\"$secret\": ...} object is reserved");
		return;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val)
		{
			int w = snprintf(ptr + used, cap - used, "/%s", key);

			if (w > 0 && used + (size_t)w < cap)
				check_no_envelopes(val, ptr, used + (size_t)w, cap, errors);
			ptr[used] = '\0';
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			int w = snprintf(ptr + used, cap - used, "/%zu", i);

			if (w > 0 && used + (size_t)w < cap)
				check_no_envelopes(json_object_array_get_idx(v, i), ptr,
						   used + (size_t)w, cap, errors);
			ptr[used] = '\0';
		}
	}
}

/* Reports server-owned fields and returns a copy of @p body without them. */
static json_object *strip_server_owned(json_object *body, json_object *errors)
{
	json_object *copy = NULL;
	char ptr[512] = "";

	check_no_envelopes(body, ptr, 0, sizeof(ptr), errors);
	json_object_deep_copy(body, &copy, NULL);
	for (int i = 0; server_owned[i]; i++) {
		if (!json_object_object_get_ex(body, server_owned[i], NULL))
			continue;
		snprintf(ptr, sizeof(ptr), "/%s", server_owned[i]);
		add_error(errors, ptr, "is set by the server and cannot be given");
		json_object_object_del(copy, server_owned[i]);
	}
	return copy;
}

static void check_names(json_object *body, json_object *errors)
{
	const char *name = str_at(body, "name"), *tz = str_at(body, "timezone");

	if (name && ch_connector_is_id(name))
		add_error(errors, "/name", "must not look like a connector id");
	if (name && strcmp(name, "types") == 0)
		add_error(errors, "/name", "\"types\" is reserved (it names /api/v1/connectors/types)");
	if (tz && !ch_timezone_valid(tz))
		add_error(errors, "/timezone", "is not a known IANA time zone (e.g. Europe/Paris)");
}

static void check_variables(json_object *vars, json_object *errors)
{
	char ptr[64], msg[96];
	size_t n = json_object_is_type(vars, json_type_array) ? json_object_array_length(vars) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *key = str_at(json_object_array_get_idx(vars, i), "key");

		for (size_t j = 0; key && j < i; j++) {
			const char *other = str_at(json_object_array_get_idx(vars, j), "key");

			if (other && strcmp(key, other) == 0) {
				snprintf(ptr, sizeof(ptr), "/variables/%zu/key", i);
				snprintf(msg, sizeof(msg), "repeats the key of /variables/%zu", j);
				add_error(errors, ptr, msg);
				break;
			}
		}
	}
}

/* The type a request names, or NULL after reporting why. */
static const ch_type *find_type(const ch_connector_env *env, json_object *body, json_object *errors)
{
	const char *id = str_at(body, "type"), *version = str_at(body, "type_version");
	const ch_type *t;
	char msg[200];

	if (!id)
		return NULL;
	t = ch_registry_find(env->types, id, version);
	if (t)
		return t;
	if (version && ch_registry_find(env->types, id, NULL)) {
		snprintf(msg, sizeof(msg), "connector type %.64s has no version %.64s", id, version);
		add_error(errors, "/type_version", msg);
	} else {
		snprintf(msg, sizeof(msg), "no connector type %.64s is installed", id);
		add_error(errors, "/type", msg);
	}
	return NULL;
}

/* --- the stored document ---------------------------------------------------------- */

/* Variables are stored as an object keyed by variable key, so a secret's
 * pointer ("/variables/KEY/value") does not move when the list reorders. */
static json_object *vars_to_doc(json_object *list)
{
	json_object *obj = json_object_new_object();
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(list, i), *copy = NULL;

		if (!str_at(v, "key"))
			continue; /* the schema has reported it */
		json_object_deep_copy(v, &copy, NULL);
		json_object_object_del(copy, "key");
		json_object_object_add(obj, str_at(v, "key"), copy);
	}
	return obj;
}

static int is_object(json_object *v)
{
	return json_object_is_type(v, json_type_object);
}

static int is_mask(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), CH_SECRET_MASK) == 0;
}

static json_object *vars_from_doc(json_object *obj)
{
	json_object *list = json_object_new_array();

	if (!is_object(obj))
		return list;
	json_object_object_foreach(obj, key, val)
	{
		json_object *item;

		if (!is_object(val))
			continue;
		item = json_object_new_object();
		json_object_object_add(item, "key", json_object_new_string(key));
		json_object_object_foreach(val, k, v)
			json_object_object_add(item, k, json_object_get(v));
		json_object_array_add(list, item);
	}
	return list;
}

/* Sets to[key] to a copy of from[key], or to @p dflt when from lacks it
 * (dflt is consumed either way). */
static void copy_member(json_object *to, json_object *from, const char *key, json_object *dflt)
{
	json_object *v = NULL, *copy = NULL;

	if (!json_object_object_get_ex(from, key, &v)) {
		json_object_object_add(to, key, dflt);
		return;
	}
	json_object_put(dflt);
	if (v)
		json_object_deep_copy(v, &copy, NULL);
	json_object_object_add(to, key, copy);
}

/* The pointers of every secret in a document: the type's secret config
 * fields and the variables marked secret. */
static json_object *secret_pointers(const ch_type *type, json_object *doc)
{
	json_object *rel = ch_secret_schema_paths(ch_type_schema(type));
	json_object *out = json_object_new_array();
	char ptr[512];

	/* NULL cannot happen: the loader refuses a schema whose secret fields
	 * cannot be listed. Variable keys cannot hold '/' or '~' (their
	 * pattern), so they need no pointer escaping. */
	for (size_t i = 0; rel && i < json_object_array_length(rel); i++) {
		snprintf(ptr, sizeof(ptr), "/config%s",
			 json_object_get_string(json_object_array_get_idx(rel, i)));
		json_object_array_add(out, json_object_new_string(ptr));
	}
	json_object_put(rel);
	if (!is_object(json_object_object_get(doc, "variables")))
		return out;
	json_object_object_foreach(json_object_object_get(doc, "variables"), key, var)
	{
		json_object *secret = json_object_object_get(var, "secret");

		snprintf(ptr, sizeof(ptr), "/variables/%s/value", key);
		if (json_object_get_boolean(secret))
			json_object_array_add(out, json_object_new_string(ptr));
	}
	return out;
}

static int seal(const ch_connector_env *env, const ch_type *type, ch_connector_row *row)
{
	json_object *ptrs = secret_pointers(type, row->doc);
	int rc = ch_secret_seal(env->keys, row->doc, ptrs, row->account_id, row->id);

	json_object_put(ptrs);
	return rc;
}

/* --- variables ------------------------------------------------------------------------ */

/* A variable's flags and their defaults (schemas/connector-create.json),
 * then its texts: what a locked variable keeps. */
static const struct {
	const char *name;
	int dflt;
} var_flags[] = {{"secret", 0}, {"locked", 0}, {"configurable", 1}, {"required", 0},
		 {"advanced", 0}};
static const char *const var_texts[] = {"label", "alias"};

static int flag_of(json_object *var, const char *name, int dflt)
{
	json_object *v = NULL;

	return json_object_object_get_ex(var, name, &v) && v ? json_object_get_boolean(v) : dflt;
}

/* The first field of @p var whose value or flag differs from @p old's
 * (defaults filled in), or NULL. */
static const char *changed_field(json_object *old, json_object *var)
{
	if (!json_object_equal(json_object_object_get(old, "value"),
			       json_object_object_get(var, "value")))
		return "value";
	for (size_t i = 0; i < sizeof(var_flags) / sizeof(var_flags[0]); i++)
		if (flag_of(old, var_flags[i].name, var_flags[i].dflt) !=
		    flag_of(var, var_flags[i].name, var_flags[i].dflt))
			return var_flags[i].name;
	for (size_t i = 0; i < sizeof(var_texts) / sizeof(var_texts[0]); i++)
		if (!json_object_equal(json_object_object_get(old, var_texts[i]),
				       json_object_object_get(var, var_texts[i])))
			return var_texts[i];
	return NULL;
}

static void var_error(json_object *errors, size_t i, const char *field, const char *msg)
{
	char ptr[96];

	snprintf(ptr, sizeof(ptr), "/variables/%zu/%s", i, field);
	add_error(errors, ptr, msg);
}

/*
 * Checks the variable @p var (item @p i of a change) against the stored
 * @p old (NULL for a new one): "********" keeps a stored secret value; a
 * locked variable changes in nothing, not even to be unlocked; a
 * non-configurable one keeps its value and stays non-configurable.
 */
static void merge_variable(json_object *old, json_object *var, size_t i, json_object *errors)
{
	json_object *oldval = json_object_object_get(old, "value"), *keep = NULL;
	const char *field;

	if (is_mask(json_object_object_get(var, "value"))) {
		if (!ch_secret_is_envelope(oldval)) {
			var_error(errors, i, "value",
				  "\"********\" keeps a stored secret, but none is stored");
			return;
		}
		if (!flag_of(var, "secret", 0)) { /* a sealed value stays a secret */
			var_error(errors, i, "secret",
				  "\"********\" keeps a secret value, so the variable stays secret; "
				  "give a new value to make it plain");
			return;
		}
		json_object_deep_copy(oldval, &keep, NULL);
		json_object_object_add(var, "value", keep);
	}
	if (!old)
		return;
	field = changed_field(old, var);
	if (flag_of(old, "locked", 0) && field) {
		var_error(errors, i, field, "belongs to a locked variable, which cannot change");
	} else if (!flag_of(old, "configurable", 1)) {
		if (!json_object_equal(oldval, json_object_object_get(var, "value")))
			var_error(errors, i, "value",
				  "is not configurable: it is set once, when the variable is "
				  "created");
		if (flag_of(var, "configurable", 1))
			var_error(errors, i, "configurable", "cannot be turned back on");
	}
}

/* The variables of a change (the list replaces the stored ones): each one
 * checked by merge_variable(); a locked or non-configurable variable
 * cannot be left out. */
static json_object *merge_variables(json_object *stored, json_object *list, json_object *errors)
{
	json_object *vars = vars_to_doc(list);
	char msg[160];

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *key = str_at(json_object_array_get_idx(list, i), "key");

		if (key)
			merge_variable(json_object_object_get(stored, key),
				       json_object_object_get(vars, key), i, errors);
	}
	if (!is_object(stored))
		return vars;
	json_object_object_foreach(stored, okey, ovar)
	{
		if (json_object_object_get_ex(vars, okey, NULL))
			continue;
		snprintf(msg, sizeof(msg), "cannot leave out the %s variable %.64s",
			 flag_of(ovar, "locked", 0) ? "locked" : "non-configurable", okey);
		if (flag_of(ovar, "locked", 0) || !flag_of(ovar, "configurable", 1))
			add_error(errors, "/variables", msg);
	}
	return vars;
}

/* A required variable has a value: a non-empty string or a stored secret.
 * @p list is the request's (for the pointers), @p vars the result of a
 * change (NULL on create: the items themselves). */
static void check_required(json_object *list, json_object *vars, json_object *errors)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(list, i);
		const char *key = str_at(item, "key");
		json_object *var = !key ? NULL : vars ? json_object_object_get(vars, key) : item;
		json_object *val = json_object_object_get(var, "value");

		if (var && flag_of(var, "required", 0) && !ch_secret_is_envelope(val) &&
		    (!json_object_is_type(val, json_type_string) || !*json_object_get_string(val)))
			var_error(errors, i, "value", "is required: give it a non-empty value");
	}
}

/* --- create -------------------------------------------------------------------------- */

/* On create there is no stored secret for "********" to keep. */
static void check_no_masks(const ch_type *type, json_object *body, json_object *errors)
{
	json_object *rel = ch_secret_schema_paths(ch_type_schema(type)), *v = NULL;
	json_object *config = json_object_object_get(body, "config");
	json_object *vars = json_object_object_get(body, "variables");
	const char *msg = "\"********\" stands for a stored secret; a new connector has none";
	char ptr[512];

	for (size_t i = 0; rel && i < json_object_array_length(rel); i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(rel, i));

		if (json_pointer_get(config, p, &v) == 0 &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), CH_SECRET_MASK) == 0) {
			snprintf(ptr, sizeof(ptr), "/config%s", p);
			add_error(errors, ptr, msg);
		}
	}
	json_object_put(rel);
	for (size_t i = 0; json_object_is_type(vars, json_type_array) &&
			   i < json_object_array_length(vars);
	     i++) {
		const char *val = str_at(json_object_array_get_idx(vars, i), "value");

		if (val && strcmp(val, CH_SECRET_MASK) == 0) {
			snprintf(ptr, sizeof(ptr), "/variables/%zu/value", i);
			add_error(errors, ptr, msg);
		}
	}
}

static void check_create(const ch_connector_env *env, json_object *body, json_object *errors,
			 const ch_type **type)
{
	json_object *config = json_object_object_get(body, "config");

	validate_into(env->create_schema, body, "", errors);
	check_names(body, errors);
	check_variables(json_object_object_get(body, "variables"), errors);
	check_required(json_object_object_get(body, "variables"), NULL, errors);
	*type = find_type(env, body, errors);
	if (*type && json_object_is_type(config, json_type_object))
		validate_into(ch_type_schema(*type), config, "/config", errors);
	if (*type)
		check_no_masks(*type, body, errors);
}

static json_object *new_doc(json_object *body)
{
	json_object *doc = json_object_new_object();

	copy_member(doc, body, "config", NULL);
	json_object_object_add(doc, "variables",
			       vars_to_doc(json_object_object_get(body, "variables")));
	copy_member(doc, body, "timezone", json_object_new_string(DEFAULT_TIMEZONE));
	copy_member(doc, body, "date_format", json_object_new_string(DEFAULT_DATE_FORMAT));
	copy_member(doc, body, "rate_limit", NULL);
	return doc;
}

static void fill_row(ch_connector_row *out, const char *account_id, json_object *body,
		     const ch_type *type)
{
	memset(out, 0, sizeof(*out));
	ch_store_new_id("con", out->id);
	snprintf(out->account_id, sizeof(out->account_id), "%s", account_id);
	snprintf(out->name, sizeof(out->name), "%s", str_at(body, "name"));
	snprintf(out->type, sizeof(out->type), "%s", ch_type_id(type));
	snprintf(out->type_version, sizeof(out->type_version), "%s", ch_type_version(type));
	snprintf(out->status, sizeof(out->status), "%s",
		 json_object_object_get(body, "config") ? "CONFIGURED" : "CREATED");
	out->revision = 1;
	ch_store_now(out->created_at);
	memcpy(out->updated_at, out->created_at, sizeof(out->updated_at));
	out->doc = new_doc(body);
}

int ch_connector_create(const ch_connector_env *env, const char *account_id, json_object *body,
			const char *path_name, ch_connector_row *out, json_object **errors)
{
	json_object *clean;
	const ch_type *type = NULL;
	const char *given;
	int rc;

	memset(out, 0, sizeof(*out));
	*errors = json_object_new_array();
	clean = strip_server_owned(body, *errors);
	given = str_at(clean, "name");
	if (path_name && given && strcmp(given, path_name) != 0)
		add_error(*errors, "/name", "must match the name in the path");
	if (path_name)
		json_object_object_add(clean, "name", json_object_new_string(path_name));
	check_create(env, clean, *errors, &type);
	rc = json_object_array_length(*errors) ? CH_E_INVALID : CH_OK;
	if (rc == CH_OK) {
		fill_row(out, account_id, clean, type);
		rc = seal(env, type, out);
	}
	json_object_put(clean);
	if (rc == CH_OK) {
		json_object_put(*errors);
		*errors = NULL;
	}
	return rc;
}

/* --- change ---------------------------------------------------------------------------- */

/* Appends "/<key>" (RFC 6901: "~" and "/" escaped) to the pointer of
 * @p used chars in @p ptr; returns the new length (kept, truncated, when
 * it does not fit). */
static size_t pointer_push(char *ptr, size_t used, size_t cap, const char *key)
{
	size_t n = used;

	if (n + 1 < cap)
		ptr[n++] = '/';
	for (; *key && n + 2 < cap; key++) {
		if (*key == '~' || *key == '/') {
			ptr[n++] = '~';
			ptr[n++] = *key == '~' ? '0' : '1';
		} else {
			ptr[n++] = *key;
		}
	}
	ptr[n] = '\0';
	return n;
}

/*
 * Merges the object @p given into @p into in place, as a JSON merge patch
 * (RFC 7396) at every depth: objects merge key by key, null removes a key,
 * any other value replaces. "********" keeps the sealed secret stored at
 * its place and is an error anywhere else; an object given where a sealed
 * secret is stored replaces it whole. @p ptr holds the pointer of @p into
 * (@p used chars) for the errors.
 */
static void merge_into(json_object *into, json_object *given, char *ptr, size_t used, size_t cap,
		       json_object *errors)
{
	json_object_object_foreach(given, key, val)
	{
		json_object *old = json_object_object_get(into, key), *fresh = NULL;
		size_t n = pointer_push(ptr, used, cap, key);

		if (!val) {
			json_object_object_del(into, key);
		} else if (is_mask(val)) {
			if (!ch_secret_is_envelope(old))
				add_error(errors, ptr, "\"********\" keeps a stored secret, but none is stored");
		} else if (is_object(val) && is_object(old) && !ch_secret_is_envelope(old)) {
			merge_into(old, val, ptr, n, cap, errors);
		} else if (is_object(val)) {
			fresh = json_object_new_object();
			merge_into(fresh, val, ptr, n, cap, errors);
			json_object_object_add(into, key, fresh);
		} else {
			json_object_deep_copy(val, &fresh, NULL);
			json_object_object_add(into, key, fresh);
		}
		ptr[used] = '\0';
	}
}

/* The request's config merged over the stored one (see merge_into()). */
static json_object *merge_config(json_object *stored, json_object *given, json_object *errors)
{
	json_object *merged = NULL;
	char ptr[512] = "/config";

	if (!given)
		return NULL; /* config: null removes the configuration */
	if (stored)
		json_object_deep_copy(stored, &merged, NULL);
	else
		merged = json_object_new_object();
	merge_into(merged, given, ptr, strlen(ptr), sizeof(ptr), errors);
	return merged;
}

static void check_change(const ch_connector_env *env, const ch_connector_row *stored,
			 json_object *body, json_object *errors)
{
	const char *type = str_at(body, "type"), *version = str_at(body, "type_version");

	validate_into(env->update_schema, body, "", errors);
	check_names(body, errors);
	check_variables(json_object_object_get(body, "variables"), errors);
	if (type && strcmp(type, stored->type) != 0)
		add_error(errors, "/type", "cannot be changed; create a new connector");
	if (version && strcmp(version, stored->type_version) != 0)
		add_error(errors, "/type_version", "cannot be changed here");
}

/* Validates the merged config as a whole, in clear, in a copy wiped after. */
static int validate_merged(const ch_connector_env *env, const ch_connector_row *row,
			   const ch_type *type, json_object *errors)
{
	json_object *doc = NULL, *config = json_object_object_get(row->doc, "config");
	char err[256];
	int rc;

	if (!config)
		return CH_OK;
	json_object_deep_copy(row->doc, &doc, NULL);
	rc = ch_secret_open_all(env->keys, doc, row->account_id, row->id, err, sizeof(err));
	if (rc == CH_OK)
		validate_into(ch_type_schema(type), json_object_object_get(doc, "config"), "/config",
			      errors);
	else
		ch_error_set(rc, "%s", err);
	ch_secret_wipe(doc);
	return rc;
}

static void apply_change(json_object *doc, json_object *body, int replace, json_object *errors)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(body, "config", &v))
		json_object_object_add(doc, "config",
				       merge_config(replace ? NULL : json_object_object_get(doc, "config"),
						    v, errors));
	if (json_object_object_get_ex(body, "variables", &v)) {
		json_object_object_add(doc, "variables",
				       merge_variables(json_object_object_get(doc, "variables"), v,
						       errors));
		check_required(v, json_object_object_get(doc, "variables"), errors);
	}
	json_object_object_foreach(body, key, val)
	{
		if (strcmp(key, "timezone") == 0 || strcmp(key, "date_format") == 0 ||
		    strcmp(key, "rate_limit") == 0)
			copy_member(doc, body, key, NULL);
		(void)val;
	}
}

static void update_status(ch_connector_row *row)
{
	int configured = json_object_object_get(row->doc, "config") != NULL;

	if (strcmp(row->status, "CREATED") == 0 && configured)
		snprintf(row->status, sizeof(row->status), "CONFIGURED");
	else if (strcmp(row->status, "CONFIGURED") == 0 && !configured)
		snprintf(row->status, sizeof(row->status), "CREATED");
}

int ch_connector_change(const ch_connector_env *env, const ch_connector_row *stored,
			json_object *body, ch_connector_row *out, json_object **errors)
{
	const ch_type *type = ch_registry_find(env->types, stored->type, stored->type_version);
	json_object *clean;
	const char *name;
	int rc;

	*out = *stored;
	out->doc = NULL;
	*errors = json_object_new_array();
	clean = strip_server_owned(body, *errors);
	check_change(env, stored, clean, *errors);
	json_object_deep_copy(stored->doc, &out->doc, NULL);
	if (json_object_array_length(*errors) == 0)
		apply_change(out->doc, clean, env->replace_config, *errors);
	name = str_at(clean, "name");
	if (name)
		snprintf(out->name, sizeof(out->name), "%s", name);
	rc = json_object_array_length(*errors) ? CH_E_INVALID : CH_OK;
	if (rc == CH_OK && !type)
		rc = ch_error_set(CH_E_UNAVAILABLE, "connector type %s %s is not loaded", stored->type,
				  stored->type_version);
	if (rc == CH_OK)
		rc = validate_merged(env, out, type, *errors);
	if (rc == CH_OK && json_object_array_length(*errors))
		rc = CH_E_INVALID;
	if (rc == CH_OK) {
		update_status(out);
		ch_store_now(out->updated_at);
		rc = seal(env, type, out);
	}
	json_object_put(clean);
	if (rc == CH_OK) {
		json_object_put(*errors);
		*errors = NULL;
	}
	return rc;
}

/* --- the answer ---------------------------------------------------------------------------- */

/* The answer for @p row, made from @p doc (its document or a copy of it,
 * consumed: masked in place). */
static json_object *answer_of(const ch_connector_row *row, json_object *doc, int with_variables)
{
	json_object *o = json_object_new_object();

	ch_secret_mask_all(doc);
	json_object_object_add(o, "id", json_object_new_string(row->id));
	json_object_object_add(o, "name", json_object_new_string(row->name));
	json_object_object_add(o, "type", json_object_new_string(row->type));
	json_object_object_add(o, "type_version", json_object_new_string(row->type_version));
	json_object_object_add(o, "status", json_object_new_string(row->status));
	copy_member(o, doc, "config", NULL);
	if (with_variables)
		json_object_object_add(o, "variables",
				       vars_from_doc(json_object_object_get(doc, "variables")));
	copy_member(o, doc, "timezone", NULL);
	copy_member(o, doc, "date_format", NULL);
	copy_member(o, doc, "rate_limit", NULL);
	json_object_object_add(o, "revision", json_object_new_int64(row->revision));
	json_object_object_add(o, "created_at", json_object_new_string(row->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(row->updated_at));
	json_object_put(doc);
	return o;
}

json_object *ch_connector_json(const ch_connector_row *row, int with_variables)
{
	json_object *doc = NULL;

	json_object_deep_copy(row->doc, &doc, NULL);
	return answer_of(row, doc, with_variables);
}

json_object *ch_connector_json_take(ch_connector_row *row, int with_variables)
{
	json_object *doc = row->doc;

	row->doc = NULL; /* the answer's now, masked in place */
	return answer_of(row, doc, with_variables);
}
