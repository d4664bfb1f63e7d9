/* Fixture: a plugin built for ABI 2.0, written without the SDK macro. */
#include <connhub/plugin.h>

static const ch_type_desc t = {
	.struct_size = sizeof(ch_type_desc),
	.id = "from-the-future",
	.name = "Future",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "Built for a host that does not exist yet.",
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\"}",
};

static const ch_type_desc *const types[] = {&t, NULL};

static const ch_plugin_desc desc = {2, 0, sizeof(ch_plugin_desc), "abi2", "1.0.0", types};

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api);

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api)
{
	(void)api;
	return &desc;
}
