/*
 * Fuzzes JSON Schema compilation and validation: the first line of the
 * input is the schema, the rest the instance.
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "error.h"
#include "fuzz.h"
#include "jsonschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2] = {NULL, NULL}, err[512];
	ch_schema *schema = NULL;
	json_object *instance, *errors = NULL;
	size_t n;
	char *buf = ch_fuzz_split(data, size, '\n', f, 2, &n);

	if (!buf)
		return 0;
	if (ch_schema_compile_text(&schema, f[0], err, sizeof(err)) == CH_OK && f[1]) {
		instance = json_tokener_parse(f[1]);
		if (ch_schema_validate(schema, instance, &errors) == CH_E_INVALID && !errors)
			abort(); /* an invalid instance always says why */
		json_object_put(errors);
		json_object_put(instance);
	}
	ch_schema_free(schema);
	free(buf);
	return 0;
}
