/* Fixture: the entry itself segfaults (rejected, the host serves on). */
#include <stdint.h>

#include <connhub/plugin.h>

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api);

/* A pointer the compiler cannot see through: a real invalid read. */
static const ch_plugin_desc *const volatile *volatile bad_address =
	(const ch_plugin_desc *const volatile *)(uintptr_t)8;

CH_EXPORT const ch_plugin_desc *connhub_plugin_entry(const ch_host_api *api)
{
	(void)api;
	return *bad_address;
}
