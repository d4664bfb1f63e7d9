/*
 * A cache of rendered answers: JSON texts under a key, kept while they fit
 * in a budget of bytes and dropped least recently used first. For answers
 * that a key determines entirely, so a hit is the same answer rendered
 * again without the work: the marketplace of one registry snapshot and one
 * query, a connector at one revision. Thread-safe.
 */
#ifndef CH_ANSWERS_H
#define CH_ANSWERS_H

#include <stddef.h>

typedef struct ch_answers ch_answers;

/** A new cache of at most @p max_bytes of keys and texts; NULL when out of
 *  memory. */
ch_answers *ch_answers_new(size_t max_bytes);

/** Frees the cache and every text. NULL is a no-op. */
void ch_answers_free(ch_answers *c);

/**
 * A copy of the text kept under @p key (the caller free()s it), its length
 * in *@p len; NULL when there is none (or memory ran out).
 */
char *ch_answers_get(ch_answers *c, const char *key, size_t *len);

/**
 * Keeps a copy of @p text (@p len bytes) under @p key, replacing what was
 * there, and drops the least recently used texts until the budget holds.
 * A text larger than the whole budget is not kept.
 */
void ch_answers_put(ch_answers *c, const char *key, const char *text, size_t len);

/** How many texts are kept (for the tests). */
size_t ch_answers_count(ch_answers *c);

#endif /* CH_ANSWERS_H */
