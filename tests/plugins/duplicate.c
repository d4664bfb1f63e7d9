/* Fixture: provides fixture-a 1.0.0 again (the file sorts after good.so). */
#include <connhub/sdk.h>

static const ch_type_desc dup = {
	CH_TYPE_HEADER,
	.id = "fixture-a",
	.name = "Fixture A again",
	.version = "1.0.0",
	.vendor = "someone else",
	.description = "Claims a type id and version another file has.",
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\"}",
};

CH_PLUGIN_DEFINE("duplicate", "1.0.0", &dup)
