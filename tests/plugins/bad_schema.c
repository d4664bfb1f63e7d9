/* Fixture: a configuration schema with a wrong keyword type. */
#include <connhub/sdk.h>

static const ch_type_desc bad = {
	CH_TYPE_HEADER,
	.id = "bad-schema",
	.name = "Bad schema",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "Its schema says a port is of type \"strng\".",
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"strng\"}}}",
};

CH_PLUGIN_DEFINE("bad-schema", "1.0.0", &bad)
