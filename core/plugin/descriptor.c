#include "local.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "hostapi.h"
#include "jsonschema.h"
#include "secret/secret.h"
#include "semver.h"
#include "utf8.h"

/* Sizes of the ABI 1.0 structs: what every 1.x plugin must at least have. */
#define PLUGIN_DESC_V1_0 (offsetof(ch_plugin_desc, types) + sizeof(void *))
#define TYPE_DESC_V1_0 (offsetof(ch_type_desc, import_) + sizeof(ch_op_fn))

#define MAX_TYPES 256
#define MAX_CATEGORIES 32

static const char *const op_names[CH_OP_COUNT] = {
	"setup", "test", "refresh", "install", "update",
	"uninstall", "start", "stop", "export", "import",
};

const char *ch_op_name(ch_op op)
{
	return (unsigned)op < CH_OP_COUNT ? op_names[op] : NULL;
}

int ch_op_parse(const char *name)
{
	for (int i = 0; name && i < CH_OP_COUNT; i++)
		if (strcmp(name, op_names[i]) == 0)
			return i;
	return -1;
}

static ch_op_fn op_fn(const ch_type_desc *d, ch_op op)
{
	const ch_op_fn fns[CH_OP_COUNT] = {
		d->setup, d->test, d->refresh, d->install, d->update,
		d->uninstall, d->start, d->stop, d->export_, d->import_,
	};

	return (unsigned)op < CH_OP_COUNT ? fns[op] : NULL;
}

int ch_plugin_reason(char **reason, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*reason = strdup(buf);
	return *reason ? code : CH_E_NOMEM;
}

/* --- file checks ---------------------------------------------------------- */

static int check_file(const char *path, char **reason)
{
	unsigned char magic[4] = {0};
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st) != 0)
		return ch_plugin_reason(reason, CH_E_INVALID, "cannot read the file: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ch_plugin_reason(reason, CH_E_INVALID, "not a regular file");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ch_plugin_reason(reason, CH_E_INVALID, "cannot read the file: %s", strerror(errno));
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0)
		return ch_plugin_reason(reason, CH_E_INVALID, "not a shared object (no ELF header)");
	return CH_OK;
}

static int open_entry(ch_local *l, const char *path, ch_plugin_entry_fn *entry, char **reason)
{
	void *sym;

	l->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!l->handle)
		return ch_plugin_reason(reason, CH_E_INVALID, "not a loadable shared object: %s", dlerror());
	dlerror();
	sym = dlsym(l->handle, CH_PLUGIN_ENTRY_SYMBOL);
	if (!sym)
		return ch_plugin_reason(reason, CH_E_INVALID,
			      "missing entry symbol " CH_PLUGIN_ENTRY_SYMBOL
			      " (is it exported with CH_PLUGIN_DEFINE?)");
	/* POSIX guarantees a data pointer from dlsym converts to a function. */
	memcpy(entry, &sym, sizeof(*entry));
	return CH_OK;
}

/* --- descriptor checks ---------------------------------------------------- */

static int check_abi(const ch_plugin_desc *d, char **reason)
{
	if (d->abi_major != CH_ABI_MAJOR)
		return ch_plugin_reason(reason, CH_E_ABI,
			      "ABI mismatch: plugin built for ABI %u.%u, this host supports ABI %d "
			      "(up to %d.%d); the major version differs",
			      d->abi_major, d->abi_minor, CH_ABI_MAJOR, CH_ABI_MAJOR, CH_ABI_MINOR);
	if (d->abi_minor > CH_ABI_MINOR)
		return ch_plugin_reason(reason, CH_E_ABI,
			      "ABI mismatch: plugin built for ABI %u.%u, newer than the host's %d.%d",
			      d->abi_major, d->abi_minor, CH_ABI_MAJOR, CH_ABI_MINOR);
	if (d->struct_size < PLUGIN_DESC_V1_0)
		return ch_plugin_reason(reason, CH_E_ABI,
			      "ABI mismatch: descriptor struct_size is %u bytes, ABI 1.0 needs at "
			      "least %zu",
			      d->struct_size, (size_t)PLUGIN_DESC_V1_0);
	return CH_OK;
}

/* A required (or optional) string field of at most @p max bytes. */
static int check_text(const char *v, const char *field, int required, size_t max, char **reason)
{
	size_t len;

	if (!v || !*v)
		return required ? ch_plugin_reason(reason, CH_E_INVALID, "bad metadata: %s is missing", field)
				: CH_OK;
	len = strlen(v);
	if (len > max)
		return ch_plugin_reason(reason, CH_E_INVALID, "bad metadata: %s is longer than %zu bytes",
			      field, max);
	if (!ch_utf8_valid(v, len))
		return ch_plugin_reason(reason, CH_E_INVALID, "bad metadata: %s is not valid UTF-8", field);
	return CH_OK;
}

static int id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 2 || n > 64 || id[0] < 'a' || id[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '_' || id[i] == '-'))
			return 0;
	return 1;
}

static int url_valid(const char *u)
{
	size_t skip = strncmp(u, "https://", 8) == 0 ? 8 : strncmp(u, "http://", 7) == 0 ? 7 : 0;

	if (!skip || !u[skip] || u[skip] == '/')
		return 0;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ')
			return 0;
	return 1;
}

static json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

#define FIELD(buf, i, name) (snprintf((buf), sizeof(buf), "types[%zu]." name, (i)), (buf))

static int check_identity(const ch_type_desc *t, size_t i, char **reason)
{
	char f[64];
	int rc;

	rc = check_text(t->id, FIELD(f, i, "id"), 1, 64, reason);
	if (rc != CH_OK)
		return rc;
	if (!id_valid(t->id))
		return ch_plugin_reason(reason, CH_E_INVALID,
			      "bad metadata: types[%zu].id \"%s\" must match ^[a-z][a-z0-9_-]{1,63}$",
			      i, t->id);
	rc = check_text(t->name, FIELD(f, i, "name"), 1, 128, reason);
	if (rc == CH_OK)
		rc = check_text(t->version, FIELD(f, i, "version"), 1, 64, reason);
	if (rc == CH_OK)
		rc = check_text(t->vendor, FIELD(f, i, "vendor"), 1, 128, reason);
	if (rc == CH_OK)
		rc = check_text(t->description, FIELD(f, i, "description"), 1, 4096, reason);
	if (rc != CH_OK)
		return rc;
	if (!ch_semver_valid(t->version))
		return ch_plugin_reason(reason, CH_E_INVALID,
			      "bad metadata: types[%zu].version \"%s\" is not a semantic version "
			      "(MAJOR.MINOR.PATCH)",
			      i, t->version);
	return CH_OK;
}

static int check_links(const ch_type_desc *t, size_t i, char **reason)
{
	const char *urls[2] = {t->image_url, t->website_url};
	const char *names[2] = {"image_url", "website_url"};

	for (int k = 0; k < 2; k++) {
		if (!urls[k] || !*urls[k])
			continue;
		if (strlen(urls[k]) > 2048 || !url_valid(urls[k]))
			return ch_plugin_reason(reason, CH_E_INVALID,
				      "bad metadata: types[%zu].%s \"%.200s\" is not an http(s) URL",
				      i, names[k], urls[k]);
	}
	if (!t->license || (strcmp(t->license, CH_LICENSE_FREE) != 0 &&
			    strcmp(t->license, CH_LICENSE_LICENSED) != 0))
		return ch_plugin_reason(reason, CH_E_INVALID,
			      "bad metadata: types[%zu].license must be \"free\" or \"licensed\"", i);
	return CH_OK;
}

static int check_categories(const ch_type_desc *t, size_t i, json_object *out, char **reason)
{
	char f[64];
	size_t n = 0;
	int rc;

	for (; t->categories && t->categories[n]; n++) {
		if (n == MAX_CATEGORIES)
			return ch_plugin_reason(reason, CH_E_INVALID,
				      "bad metadata: types[%zu].categories has more than %d entries", i,
				      MAX_CATEGORIES);
		snprintf(f, sizeof(f), "types[%zu].categories[%zu]", i, n);
		rc = check_text(t->categories[n], f, 1, 64, reason);
		if (rc != CH_OK)
			return rc;
		json_object_array_add(out, json_object_new_string(t->categories[n]));
	}
	return CH_OK;
}

static int check_schema(const ch_type_desc *t, size_t i, json_object **doc_out, char **reason)
{
	char err[512];
	ch_schema *schema = NULL;
	json_object *doc, *kind = NULL, *paths;
	int rc;

	if (!t->config_schema || !*t->config_schema)
		return ch_plugin_reason(reason, CH_E_INVALID, "bad metadata: types[%zu].config_schema is missing",
			      i);
	rc = ch_schema_compile_text(&schema, t->config_schema, err, sizeof(err));
	if (rc != CH_OK)
		return ch_plugin_reason(reason, CH_E_INVALID,
			      "bad metadata: types[%zu].config_schema is not a valid JSON Schema: %s",
			      i, err);
	doc = ch_schema_doc(schema);
	paths = ch_secret_schema_paths(schema);
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "type", &kind) ||
	    strcmp(json_object_get_string(kind), "object") != 0)
		rc = ch_plugin_reason(reason, CH_E_INVALID,
			    "bad metadata: types[%zu].config_schema must describe an object "
			    "(\"type\": \"object\")",
			    i);
	else if (!paths)
		rc = ch_plugin_reason(reason, CH_E_INVALID,
			    "bad metadata: types[%zu].config_schema is too deep or branches too "
			    "much to find its secret fields",
			    i);
	else
		*doc_out = json_object_get(doc);
	json_object_put(paths);
	ch_schema_free(schema);
	return rc;
}

static json_object *capabilities(const ch_type_desc *t)
{
	json_object *caps = json_object_new_array();

	for (int op = 0; op < CH_OP_COUNT; op++)
		if (op_fn(t, (ch_op)op))
			json_object_array_add(caps, json_object_new_string(op_names[op]));
	return caps;
}

static json_object *build_manifest(const ch_type_desc *t, json_object *categories,
				   json_object *schema)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "id", json_object_new_string(t->id));
	json_object_object_add(m, "name", json_object_new_string(t->name));
	json_object_object_add(m, "version", json_object_new_string(t->version));
	json_object_object_add(m, "vendor", json_object_new_string(t->vendor));
	json_object_object_add(m, "description", json_object_new_string(t->description));
	json_object_object_add(m, "imageURL", str_or_null(t->image_url));
	json_object_object_add(m, "websiteURL", str_or_null(t->website_url));
	json_object_object_add(m, "categories", categories);
	json_object_object_add(m, "license", json_object_new_string(t->license));
	json_object_object_add(m, "capabilities", capabilities(t));
	json_object_object_add(m, "config_schema", schema);
	return m;
}

static int check_type(const ch_type_desc *t, size_t i, json_object **manifest, char **reason)
{
	json_object *categories = NULL, *schema = NULL;
	int rc;

	if (t->struct_size < TYPE_DESC_V1_0)
		return ch_plugin_reason(reason, CH_E_ABI,
			      "ABI mismatch: types[%zu] struct_size is %u bytes, ABI 1.0 needs at "
			      "least %zu",
			      i, t->struct_size, (size_t)TYPE_DESC_V1_0);
	rc = check_identity(t, i, reason);
	if (rc == CH_OK)
		rc = check_links(t, i, reason);
	if (rc != CH_OK)
		return rc;
	categories = json_object_new_array();
	rc = check_categories(t, i, categories, reason);
	if (rc == CH_OK)
		rc = check_schema(t, i, &schema, reason);
	if (rc != CH_OK) {
		json_object_put(categories);
		return rc;
	}
	*manifest = build_manifest(t, categories, schema);
	return CH_OK;
}

static int same_type(json_object *a, json_object *b)
{
	return strcmp(json_object_get_string(json_object_object_get(a, "id")),
		      json_object_get_string(json_object_object_get(b, "id"))) == 0 &&
	       strcmp(json_object_get_string(json_object_object_get(a, "version")),
		      json_object_get_string(json_object_object_get(b, "version"))) == 0;
}

static int check_types(const ch_plugin_desc *d, json_object *out, char **reason)
{
	const ch_type_desc *const *types = d->types;
	json_object *m = NULL;
	size_t n = 0;
	int rc;

	while (types && types[n] && n <= MAX_TYPES)
		n++;
	if (n == 0)
		return ch_plugin_reason(reason, CH_E_INVALID, "bad metadata: types: the plugin provides no type");
	if (n > MAX_TYPES)
		return ch_plugin_reason(reason, CH_E_INVALID, "bad metadata: types: more than %d types",
			      MAX_TYPES);
	for (size_t i = 0; i < n; i++) {
		rc = check_type(types[i], i, &m, reason);
		if (rc != CH_OK)
			return rc;
		json_object_array_add(out, m);
		for (size_t j = 0; j < i; j++)
			if (same_type(json_object_array_get_idx(out, j), m))
				return ch_plugin_reason(reason, CH_E_INVALID,
					      "bad metadata: types[%zu] repeats type %s %s of types[%zu]",
					      i, types[i]->id, types[i]->version, j);
	}
	return CH_OK;
}

int ch_local_check(const ch_plugin_desc *d, json_object **wire, char **reason)
{
	json_object *info, *types;
	char abi[16];
	int rc;

	rc = check_abi(d, reason);
	if (rc == CH_OK)
		rc = check_text(d->name, "name", 1, 128, reason);
	if (rc == CH_OK)
		rc = check_text(d->version, "version", 1, 64, reason);
	if (rc != CH_OK)
		return rc;
	if (!ch_semver_valid(d->version))
		return ch_plugin_reason(reason, CH_E_INVALID,
			      "bad metadata: version \"%s\" is not a semantic version", d->version);
	types = json_object_new_array();
	rc = check_types(d, types, reason);
	if (rc != CH_OK) {
		json_object_put(types);
		return rc;
	}
	snprintf(abi, sizeof(abi), "%u.%u", d->abi_major, d->abi_minor);
	info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string(d->name));
	json_object_object_add(info, "version", json_object_new_string(d->version));
	json_object_object_add(info, "abi", json_object_new_string(abi));
	*wire = json_object_new_object();
	json_object_object_add(*wire, "plugin", info);
	json_object_object_add(*wire, "types", types);
	return CH_OK;
}

int ch_local_open(ch_local *l, const char *path, const ch_host_api *api, json_object **wire,
		  char **reason)
{
	ch_plugin_entry_fn entry = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	*wire = NULL;
	*reason = NULL;
	rc = check_file(path, reason);
	if (rc == CH_OK)
		rc = open_entry(l, path, &entry, reason);
	if (rc == CH_OK) {
		l->desc = entry(api);
		if (!l->desc)
			rc = ch_plugin_reason(reason, CH_E_INVALID,
				    "the entry returned no descriptor (the plugin refused to load)");
	}
	if (rc == CH_OK)
		rc = ch_local_check(l->desc, wire, reason);
	if (rc != CH_OK)
		ch_local_close(l);
	return rc;
}

void ch_local_close(ch_local *l)
{
	if (l->handle)
		dlclose(l->handle);
	memset(l, 0, sizeof(*l));
}

const ch_type_desc *ch_local_type(const ch_local *l, const char *id, const char *version)
{
	for (size_t i = 0; l->desc && l->desc->types[i]; i++) {
		const ch_type_desc *t = l->desc->types[i];

		if (strcmp(t->id, id) == 0 && strcmp(t->version, version) == 0)
			return t;
	}
	return NULL;
}

int ch_local_call(const ch_type_desc *t, ch_op op, ch_call *call, const char *input,
		  char **output, char **message)
{
	ch_op_fn fn = op_fn(t, op);
	char *out = NULL;
	int rc;

	*output = NULL;
	*message = NULL;
	if (!fn)
		return ch_plugin_reason(message, CH_E_UNSUPPORTED, "type %s %s does not implement %s", t->id,
			      t->version, ch_op_name(op) ? ch_op_name(op) : "?");
	rc = fn(call, input, &out);
	if (rc == CH_OK) {
		*output = out ? out : strdup("{}");
		return *output ? CH_OK : CH_E_NOMEM;
	}
	free(out);
	if (rc > 0)
		rc = CH_E_GENERIC;
	*message = strdup(call->message[0] ? call->message : "the plugin failed without a message");
	return rc;
}
