/* Fixture: a type version that is not semver. */
#include <connhub/sdk.h>

static const ch_type_desc bad = {
	CH_TYPE_HEADER,
	.id = "bad-version",
	.name = "Bad version",
	.version = "1.0",
	.vendor = "connhub tests",
	.description = "Version 1.0 is not MAJOR.MINOR.PATCH.",
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\"}",
};

CH_PLUGIN_DEFINE("bad-version", "1.0.0", &bad)
