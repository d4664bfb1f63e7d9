/* Fixture: a shared object that exports no connhub_plugin_entry. */
#include <connhub/plugin.h>

CH_EXPORT int not_the_entry(void);

CH_EXPORT int not_the_entry(void)
{
	return 42;
}
