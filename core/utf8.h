/* UTF-8 helpers. */
#ifndef CH_UTF8_H
#define CH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** True when the @p len bytes at @p s are well-formed UTF-8 (no overlong
 *  forms, no surrogates, nothing above U+10FFFF). */
bool ch_utf8_valid(const char *s, size_t len);

#endif /* CH_UTF8_H */
