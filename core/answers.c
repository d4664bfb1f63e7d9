/*
 * A hash table of entries chained per bucket, and a list of them from the
 * most to the least recently used; one lock for all (a lookup holds it for
 * a hash, a compare and a copy).
 */
#include "answers.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

typedef struct entry {
	struct entry *chain;      /* next in the bucket */
	struct entry *newer, *older;
	size_t cost;              /* bytes held: key, text and entry */
	size_t len;
	char *text;
	char key[];
} entry;

struct ch_answers {
	pthread_mutex_t lock;
	size_t max_bytes, bytes, count;
	entry *newest, *oldest;
	entry *bucket[BUCKETS];
};

ch_answers *ch_answers_new(size_t max_bytes)
{
	ch_answers *c = calloc(1, sizeof(*c));

	if (c) {
		pthread_mutex_init(&c->lock, NULL);
		c->max_bytes = max_bytes;
	}
	return c;
}

void ch_answers_free(ch_answers *c)
{
	if (!c)
		return;
	for (entry *e = c->newest, *next; e; e = next) {
		next = e->older;
		free(e->text);
		free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* FNV-1a: keys are ours (ids, queries), not an attacker's choice alone. */
static size_t bucket_of(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)(h % BUCKETS);
}

static entry **find(ch_answers *c, const char *key)
{
	entry **at = &c->bucket[bucket_of(key)];

	while (*at && strcmp((*at)->key, key) != 0)
		at = &(*at)->chain;
	return at;
}

static void unlink_lru(ch_answers *c, entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void push_newest(ch_answers *c, entry *e)
{
	e->older = c->newest;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

/* Takes the entry at @p at out of the table and the list, and frees it. */
static void drop(ch_answers *c, entry **at)
{
	entry *e = *at;

	*at = e->chain;
	unlink_lru(c, e);
	c->bytes -= e->cost;
	c->count--;
	free(e->text);
	free(e);
}

char *ch_answers_get(ch_answers *c, const char *key, size_t *len)
{
	char *copy = NULL;
	entry *e;

	pthread_mutex_lock(&c->lock);
	e = *find(c, key);
	if (e) {
		unlink_lru(c, e);
		push_newest(c, e);
		copy = malloc(e->len + 1);
		if (copy) {
			memcpy(copy, e->text, e->len + 1);
			*len = e->len;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return copy;
}

void ch_answers_put(ch_answers *c, const char *key, const char *text, size_t len)
{
	size_t klen = strlen(key) + 1, cost = sizeof(entry) + klen + len + 1;
	entry *e = cost <= c->max_bytes ? malloc(sizeof(entry) + klen) : NULL;
	entry **at;

	if (!e || !(e->text = malloc(len + 1))) {
		free(e);
		return;
	}
	memcpy(e->key, key, klen);
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->len = len;
	e->cost = cost;
	e->newer = e->older = NULL;
	pthread_mutex_lock(&c->lock);
	at = find(c, key);
	if (*at)
		drop(c, at);
	while (c->bytes + cost > c->max_bytes && c->oldest)
		drop(c, find(c, c->oldest->key));
	e->chain = c->bucket[bucket_of(key)];
	c->bucket[bucket_of(key)] = e;
	push_newest(c, e);
	c->bytes += cost;
	c->count++;
	pthread_mutex_unlock(&c->lock);
}

size_t ch_answers_count(ch_answers *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
