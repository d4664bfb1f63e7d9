#include "semver.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

typedef struct semver {
	uint64_t num[3];
	const char *pre; /* start of the pre-release, or NULL */
	size_t pre_len;
} semver;

/* A numeric identifier: digits, no leading zero unless "0". */
static const char *parse_number(const char *p, uint64_t *out)
{
	const char *start = p;
	uint64_t v = 0;

	while (isdigit((unsigned char)*p)) {
		if (v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (p == start || (*start == '0' && p - start > 1))
		return NULL;
	*out = v;
	return p;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty. */
static const char *parse_idents(const char *p, bool numeric_rules)
{
	for (;;) {
		const char *start = p;
		bool all_digits = true;

		while (isalnum((unsigned char)*p) || *p == '-') {
			if (!isdigit((unsigned char)*p))
				all_digits = false;
			p++;
		}
		if (p == start)
			return NULL;
		if (numeric_rules && all_digits && *start == '0' && p - start > 1)
			return NULL;
		if (*p != '.')
			return p;
		p++;
	}
}

static bool parse(const char *s, semver *v)
{
	const char *p = s;

	memset(v, 0, sizeof(*v));
	for (int i = 0; i < 3; i++) {
		p = parse_number(p, &v->num[i]);
		if (!p || (i < 2 && *p++ != '.'))
			return false;
	}
	if (*p == '-') {
		v->pre = ++p;
		p = parse_idents(p, true);
		if (!p)
			return false;
		v->pre_len = (size_t)(p - v->pre);
	}
	if (*p == '+') {
		p = parse_idents(p + 1, false);
		if (!p)
			return false;
	}
	return *p == '\0';
}

bool ch_semver_valid(const char *s)
{
	semver v;

	return s && parse(s, &v);
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return true;
}

/* One pre-release identifier against another (semver rule 11.4). */
static int cmp_ident(const char *a, size_t an, const char *b, size_t bn)
{
	bool ad = all_digits(a, an), bd = all_digits(b, bn);
	int c;

	if (ad && bd) {
		if (an != bn)
			return an < bn ? -1 : 1;
		return memcmp(a, b, an);
	}
	if (ad != bd)
		return ad ? -1 : 1;
	c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c;
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

static int cmp_pre(const semver *a, const semver *b)
{
	const char *pa = a->pre, *pb = b->pre;
	const char *ea = pa + a->pre_len, *eb = pb + b->pre_len;

	if (!pa || !pb)
		return (pa ? -1 : 0) + (pb ? 1 : 0);
	while (pa < ea && pb < eb) {
		const char *da = memchr(pa, '.', (size_t)(ea - pa));
		const char *db = memchr(pb, '.', (size_t)(eb - pb));
		size_t la = (size_t)((da ? da : ea) - pa);
		size_t lb = (size_t)((db ? db : eb) - pb);
		int c = cmp_ident(pa, la, pb, lb);

		if (c)
			return c;
		pa += la + (da ? 1 : 0);
		pb += lb + (db ? 1 : 0);
	}
	return (pa < ea) - (pb < eb);
}

int ch_semver_cmp(const char *a, const char *b)
{
	semver va, vb;
	bool oka = a && parse(a, &va), okb = b && parse(b, &vb);

	if (!oka || !okb)
		return (int)oka - (int)okb;
	for (int i = 0; i < 3; i++)
		if (va.num[i] != vb.num[i])
			return va.num[i] < vb.num[i] ? -1 : 1;
	return cmp_pre(&va, &vb);
}
