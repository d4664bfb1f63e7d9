/* Fixture: the entry itself segfaults (rejected, the host serves on). */
#include <stdint.h>

#include <connhub/plugin.h>

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api);

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api)
{
	(void)api;
	return *(const ch_plugin_desc *volatile *)(uintptr_t)8;
}
