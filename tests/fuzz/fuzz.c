#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

char *ch_fuzz_split(const uint8_t *data, size_t size, char sep, char **fields, size_t max,
		    size_t *count)
{
	char *buf = malloc(size + 1), *p;

	*count = 0;
	if (!buf || max == 0) {
		free(buf);
		return NULL;
	}
	if (size)
		memcpy(buf, data, size);
	buf[size] = '\0';
	fields[(*count)++] = buf;
	for (p = buf; *count < max;) {
		char *at = memchr(p, sep, size - (size_t)(p - buf));

		if (!at)
			break;
		*at = '\0';
		p = at + 1;
		fields[(*count)++] = p;
	}
	return buf;
}
