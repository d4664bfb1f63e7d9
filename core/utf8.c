#include "utf8.h"

#include <stdint.h>

/* Length of the sequence a lead byte starts, 0 when it starts none. */
static int seq_len(uint8_t c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

/* The range of the second byte after lead @p c (RFC 3629 table). */
static int second_ok(uint8_t c, uint8_t b)
{
	switch (c) {
	case 0xE0: return b >= 0xA0 && b <= 0xBF;
	case 0xED: return b >= 0x80 && b <= 0x9F;
	case 0xF0: return b >= 0x90 && b <= 0xBF;
	case 0xF4: return b >= 0x80 && b <= 0x8F;
	default: return b >= 0x80 && b <= 0xBF;
	}
}

bool ch_utf8_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;

	while (p < end) {
		int n = seq_len(*p);

		if (n == 0 || end - p < n)
			return false;
		if (n > 1 && !second_ok(p[0], p[1]))
			return false;
		for (int i = 2; i < n; i++)
			if (p[i] < 0x80 || p[i] > 0xBF)
				return false;
		p += n;
	}
	return true;
}
