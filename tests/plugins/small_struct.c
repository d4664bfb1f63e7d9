/* Fixture: a descriptor whose struct_size is smaller than ABI 1.0's. */
#include <connhub/plugin.h>

static const ch_plugin_desc desc = {CH_ABI_MAJOR, CH_ABI_MINOR, 8, "small", "1.0.0", NULL};

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api);

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api)
{
	(void)api;
	return &desc;
}
