/*
 * Fuzzes the checks of a plugin descriptor (what the loader runs on what an
 * entry returns). Input: 3 bytes, then lines. Byte 0 and 1 give abi_major
 * and abi_minor (mod 3); byte 2 is flags: 1 a too-small descriptor, 2 too
 * small types, 4 no types list, 8 every type implements test. The lines are
 * the plugin's name and version, then per type (up to 4): id, name,
 * version, vendor, description, image_url, website_url, license,
 * config_schema, categories (comma-separated). An empty line is NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plugin/local.h"

#define TYPE_FIELDS 10
#define MAX_TYPES 4
#define MAX_CATEGORIES 8

static const char *field(char *s)
{
	return s && *s ? s : NULL;
}

static int op(ch_call *call, const char *in, char **out)
{
	(void)call;
	(void)in;
	(void)out;
	return 0;
}

/* Splits "a,b,c" in place into @p cats (NULL-terminated). */
static const char *const *categories(char *s, const char **cats)
{
	size_t n = 0;

	if (!field(s))
		return NULL;
	cats[n++] = s;
	for (char *c = strchr(s, ','); c && n < MAX_CATEGORIES; c = strchr(c, ',')) {
		*c++ = '\0';
		cats[n++] = c;
	}
	cats[n] = NULL;
	return cats;
}

static void fill_type(ch_type_desc *t, char **f, const char **cats, uint8_t flags)
{
	memset(t, 0, sizeof(*t));
	t->struct_size = flags & 2 ? 16 : sizeof(*t);
	t->id = field(f[0]);
	t->name = field(f[1]);
	t->version = field(f[2]);
	t->vendor = field(f[3]);
	t->description = field(f[4]);
	t->image_url = field(f[5]);
	t->website_url = field(f[6]);
	t->license = field(f[7]);
	t->config_schema = field(f[8]);
	t->categories = categories(f[9], cats);
	t->test = flags & 8 ? op : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2 + MAX_TYPES * TYPE_FIELDS] = {NULL}, *reason = NULL, *buf;
	const char *cats[MAX_TYPES][MAX_CATEGORIES + 1];
	const ch_type_desc *list[MAX_TYPES + 1] = {NULL};
	ch_type_desc types[MAX_TYPES];
	ch_plugin_desc d = {0};
	json_object *wire = NULL;
	size_t n, ntypes;

	if (size < 3)
		return 0;
	buf = ch_fuzz_split(data + 3, size - 3, '\n', f, sizeof(f) / sizeof(f[0]), &n);
	if (!buf)
		return 0;
	d.abi_major = data[0] % 3;
	d.abi_minor = data[1] % 3;
	d.struct_size = data[2] & 1 ? 8 : sizeof(d);
	d.name = field(f[0]);
	d.version = field(f[1]);
	ntypes = n > 2 ? (n - 2 + TYPE_FIELDS - 1) / TYPE_FIELDS : 0;
	for (size_t i = 0; i < ntypes; i++) {
		fill_type(&types[i], f + 2 + i * TYPE_FIELDS, cats[i], data[2]);
		list[i] = &types[i];
	}
	d.types = data[2] & 4 ? NULL : list;
	if ((ch_local_check(&d, &wire, &reason) == CH_OK) != (wire != NULL && reason == NULL))
		abort(); /* a manifest exactly when accepted, a reason otherwise */
	json_object_put(wire);
	free(reason);
	free(buf);
	return 0;
}
