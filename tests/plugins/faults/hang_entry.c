/* Fixture: the entry never returns (rejected after the load deadline). */
#include <unistd.h>

#include <connhub/plugin.h>

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api);

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api)
{
	(void)api;
	for (;;)
		pause();
	return 0;
}
