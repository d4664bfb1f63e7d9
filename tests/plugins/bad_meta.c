/*
 * Fixtures: one plugin per way its metadata can be wrong. This file is
 * built once per case with BAD set to it (tests/plugins/CMakeLists.txt);
 * everything but the one field the case spoils is valid. Written without
 * the SDK macro, which would not let a descriptor be this wrong.
 */
#include <connhub/plugin.h>

#define BAD_ID 1          /* the id does not match the pattern */
#define BAD_NO_NAME 2     /* a required field is missing */
#define BAD_LICENSE 3     /* neither "free" nor "licensed" */
#define BAD_ABI_MINOR 4   /* built for a newer minor ABI than the host's */
#define BAD_SMALL_TYPE 5  /* a type's struct_size is below ABI 1.0's */
#define BAD_NO_TYPES 6    /* the types list is empty */
#define BAD_NULL_DESC 7   /* the entry returns no descriptor */
#define BAD_SCHEMA_JSON 8 /* the configuration schema is not JSON */
#define BAD_TWICE 9       /* the same type id and version twice */

#ifndef BAD
#error "build with -DBAD=BAD_<case>"
#endif

static const ch_type_desc t = {
	.struct_size = BAD == BAD_SMALL_TYPE ? 16 : sizeof(ch_type_desc),
	.id = BAD == BAD_ID ? "Bad_Id" : "bad-meta",
	.name = BAD == BAD_NO_NAME ? NULL : "Bad metadata",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "Valid but for the one field its case spoils.",
	.license = BAD == BAD_LICENSE ? "gpl" : CH_LICENSE_FREE,
	.config_schema = BAD == BAD_SCHEMA_JSON ? "{\"type\": \"object\"," : "{\"type\":\"object\"}",
};

static const ch_type_desc *const types[] = {
#if BAD != BAD_NO_TYPES
	&t,
#endif
#if BAD == BAD_TWICE
	&t,
#endif
	NULL,
};

static const ch_plugin_desc desc = {
	CH_ABI_MAJOR, BAD == BAD_ABI_MINOR ? CH_ABI_MINOR + 1 : CH_ABI_MINOR,
	sizeof(ch_plugin_desc), "bad-meta", "1.0.0", types,
};

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api);

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api)
{
	(void)api;
	(void)t; /* unlisted in the BAD_NO_TYPES case */
	return BAD == BAD_NULL_DESC ? NULL : &desc;
}
