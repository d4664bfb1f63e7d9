/*
 * String checks of the JSON Schema module: the "format" checkers and the
 * rewriting of ECMA-262 patterns into POSIX extended regular expressions.
 * All functions are pure and thread-safe; none depends on the locale.
 */
#include "jsonschema.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <connhub/plugin.h>

/* ---- character classes (ASCII, locale-independent) ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 unreserved and sub-delims. */
static bool is_uri_plain(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL);
}

/* RFC 5322 atext. */
static bool is_atext(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* ---- ipv4, ipv6 ---- */

/* A decimal octet 0..255 without leading zeros at s[*pos]. */
static bool dec_octet(const char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	unsigned v = 0;

	while (i < len && is_digit(s[i]) && i - *pos < 3) {
		v = v * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (i == *pos || v > 255 || (s[*pos] == '0' && i - *pos > 1))
		return false;
	*pos = i;
	return true;
}

static bool fmt_ipv4(const char *s, size_t len)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		if (part > 0 && (i >= len || s[i++] != '.'))
			return false;
		if (!dec_octet(s, len, &i))
			return false;
	}
	return i == len;
}

static bool fmt_ipv6(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr addr;

	if (len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &addr) == 1;
}

/* ---- hostname (RFC 1123) ---- */

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* Dot-separated labels, total at most 253 characters. */
static bool labels_ok(const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!label_ok(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* A host name; one trailing dot (a fully qualified name) is allowed. */
static bool fmt_hostname(const char *s, size_t len)
{
	if (len > 1 && s[len - 1] == '.')
		len--;
	return labels_ok(s, len);
}

/* ---- email (RFC 5321 mailbox) ---- */

static bool dot_atom_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (s[i] != '.' && !is_atext(s[i]))
			return false;
	}
	return true;
}

/* "..." with printable ASCII; '"' and '\' only escaped by '\'. */
static bool quoted_ok(const char *s, size_t n)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"')
			return false;
		if (s[i] == '\\' && (++i >= n - 1 || s[i] < 0x20 || s[i] > 0x7e))
			return false;
	}
	return true;
}

/* [192.0.2.1] or [IPv6:2001:db8::1] */
static bool address_literal_ok(const char *s, size_t n)
{
	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return false;
	if (n > 7 && strncmp(s + 1, "IPv6:", 5) == 0)
		return fmt_ipv6(s + 6, n - 7);
	return fmt_ipv4(s + 1, n - 2);
}

static bool fmt_email(const char *s, size_t len)
{
	size_t at = len;

	while (at > 0 && s[at - 1] != '@')
		at--;
	if (at < 2 || len > 254 || at - 1 > 64)
		return false;
	if (!dot_atom_ok(s, at - 1) && !quoted_ok(s, at - 1))
		return false;
	if (at < len && s[at] == '[')
		return address_literal_ok(s + at, len - at);
	return s[len - 1] != '.' && labels_ok(s + at, len - at);
}

/* ---- uri (RFC 3986, absolute) ---- */

/* Every character is unreserved, a sub-delim, in @p extra, or %XX. */
static bool uri_chars_ok(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 2;
		} else if (!is_uri_plain(s[i]) && (s[i] == '\0' || strchr(extra, s[i]) == NULL)) {
			return false;
		}
	}
	return true;
}

static bool uri_scheme(const char *s, size_t len, size_t *pos)
{
	size_t i = 1;

	if (len == 0 || !is_alpha(s[0]))
		return false;
	while (i < len && (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	if (i >= len || s[i] != ':')
		return false;
	*pos = i + 1;
	return true;
}

/* "[" IPv6address / IPvFuture "]" */
static bool uri_ip_literal(const char *s, size_t n)
{
	size_t i = 2;

	if (n < 3 || s[n - 1] != ']')
		return false;
	if (s[1] != 'v' && s[1] != 'V')
		return fmt_ipv6(s + 1, n - 2);
	while (i < n - 1 && is_hex(s[i]))
		i++;
	if (i == 2 || i >= n - 2 || s[i] != '.')
		return false;
	return uri_chars_ok(s + i + 1, n - i - 2, ":");
}

/* host [":" port] */
static bool uri_hostport(const char *s, size_t n)
{
	size_t colon = n;

	if (n > 0 && s[0] == '[') {
		colon = 0;
		while (colon < n && s[colon] != ']')
			colon++;
		colon = colon < n ? colon + 1 : n;
		if (!uri_ip_literal(s, colon))
			return false;
	} else {
		colon = 0;
		while (colon < n && s[colon] != ':')
			colon++;
		if (!uri_chars_ok(s, colon, ""))
			return false;
	}
	if (colon < n && s[colon] != ':')
		return false;
	for (size_t i = colon + 1; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
	}
	return true;
}

/* [userinfo "@"] host [":" port], up to the path. */
static bool uri_authority(const char *s, size_t len, size_t *pos)
{
	size_t end = *pos, at;

	while (end < len && s[end] != '/' && s[end] != '?' && s[end] != '#')
		end++;
	at = end;
	while (at > *pos && s[at - 1] != '@')
		at--;
	if (at > *pos && !uri_chars_ok(s + *pos, at - 1 - *pos, ":"))
		return false;
	if (!uri_hostport(s + at, end - at))
		return false;
	*pos = end;
	return true;
}

/* path ["?" query] ["#" fragment] */
static bool uri_rest(const char *s, size_t n)
{
	size_t q = 0, h;

	while (q < n && s[q] != '?' && s[q] != '#')
		q++;
	h = q;
	while (h < n && s[h] != '#')
		h++;
	if (!uri_chars_ok(s, q, ":@/"))
		return false;
	if (q < h && !uri_chars_ok(s + q + 1, h - q - 1, ":@/?"))
		return false;
	return h >= n || uri_chars_ok(s + h + 1, n - h - 1, ":@/?");
}

static bool fmt_uri(const char *s, size_t len)
{
	size_t i = 0;

	if (!uri_scheme(s, len, &i))
		return false;
	if (i + 1 < len && s[i] == '/' && s[i + 1] == '/') {
		i += 2;
		if (!uri_authority(s, len, &i))
			return false;
	}
	return uri_rest(s + i, len - i);
}

/* ---- date-time, date, time (RFC 3339) ---- */

/* Exactly @p n digits at s[*pos]. */
static bool digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
	int v = 0;

	if (len - *pos < (size_t)n)
		return false;
	for (int k = 0; k < n; k++) {
		if (!is_digit(s[*pos + (size_t)k]))
			return false;
		v = v * 10 + (s[*pos + (size_t)k] - '0');
	}
	*pos += (size_t)n;
	*out = v;
	return true;
}

/* Digits then the separator @p sep (or '\0' for none). */
static bool field(const char *s, size_t len, size_t *pos, int n, int *out, char sep)
{
	if (!digits(s, len, pos, n, out))
		return false;
	if (sep == '\0')
		return true;
	if (*pos >= len || s[*pos] != sep)
		return false;
	(*pos)++;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

static bool parse_date(const char *s, size_t len, size_t *pos)
{
	int y, m, d;

	if (!field(s, len, pos, 4, &y, '-') || !field(s, len, pos, 2, &m, '-') ||
	    !field(s, len, pos, 2, &d, '\0'))
		return false;
	return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* "Z" or "+hh:mm" / "-hh:mm"; *minutes is the offset east of UTC. */
static bool parse_offset(const char *s, size_t len, size_t *pos, int *minutes)
{
	int h, m;
	char sign;

	if (*pos >= len)
		return false;
	sign = s[(*pos)++];
	if (sign == 'Z' || sign == 'z') {
		*minutes = 0;
		return true;
	}
	if (sign != '+' && sign != '-')
		return false;
	if (!field(s, len, pos, 2, &h, ':') || !field(s, len, pos, 2, &m, '\0'))
		return false;
	*minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
	return h <= 23 && m <= 59;
}

/* hh:mm:ss[.frac]offset; second 60 only at 23:59 UTC. */
static bool parse_time(const char *s, size_t len, size_t *pos)
{
	int h, m, sec, off, utc;

	if (!field(s, len, pos, 2, &h, ':') || !field(s, len, pos, 2, &m, ':') ||
	    !field(s, len, pos, 2, &sec, '\0'))
		return false;
	if (*pos < len && s[*pos] == '.') {
		size_t start = ++(*pos);

		while (*pos < len && is_digit(s[*pos]))
			(*pos)++;
		if (*pos == start)
			return false;
	}
	if (!parse_offset(s, len, pos, &off) || h > 23 || m > 59 || sec > 60)
		return false;
	utc = ((h * 60 + m - off) % 1440 + 1440) % 1440;
	return sec < 60 || utc == 23 * 60 + 59;
}

static bool fmt_date_time(const char *s, size_t len)
{
	size_t i = 0;

	if (!parse_date(s, len, &i) || i >= len || (s[i] != 'T' && s[i] != 't'))
		return false;
	i++;
	return parse_time(s, len, &i) && i == len;
}

static bool fmt_date(const char *s, size_t len)
{
	size_t i = 0;

	return parse_date(s, len, &i) && i == len;
}

static bool fmt_time(const char *s, size_t len)
{
	size_t i = 0;

	return parse_time(s, len, &i) && i == len;
}

/* ---- uuid ---- */

static bool fmt_uuid(const char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return true;
}

static const ch_schema_format formats[] = {
	{ "email", "email address", fmt_email },
	{ "uri", "URI", fmt_uri },
	{ "hostname", "hostname", fmt_hostname },
	{ "ipv4", "IPv4 address", fmt_ipv4 },
	{ "ipv6", "IPv6 address", fmt_ipv6 },
	{ "date-time", "RFC 3339 date-time", fmt_date_time },
	{ "date", "RFC 3339 date", fmt_date },
	{ "time", "RFC 3339 time", fmt_time },
	{ "uuid", "UUID", fmt_uuid },
	/* annotations only */
	{ "password", NULL, NULL },
	{ "duration", NULL, NULL },
	{ "idn-email", NULL, NULL },
	{ "idn-hostname", NULL, NULL },
	{ "iri", NULL, NULL },
	{ "iri-reference", NULL, NULL },
	{ "uri-reference", NULL, NULL },
	{ "uri-template", NULL, NULL },
	{ "json-pointer", NULL, NULL },
	{ "relative-json-pointer", NULL, NULL },
	{ "regex", NULL, NULL },
};

const ch_schema_format *ch_schema_format_find(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	}
	return NULL;
}

/* ---- ECMA-262 pattern to POSIX ERE ---- */

/* The largest bound of a {n,m} repetition, the deepest nesting of
 * groups, and the largest size of a pattern with its repetitions written
 * out: (a{1000}){1000} made glibc's regcomp take 200 MB, one more level
 * 17 GB. */
#define RX_MAX_BOUND 1000
#define RX_MAX_DEPTH 32
#define RX_MAX_SIZE 20000

typedef struct rx_buf {
	char *p;
	size_t len;
	size_t cap; /* excluding the terminating NUL */
	char *why;
	size_t whylen;
	bool atom; /* the last construct can take a quantifier */
	/* The size of the pattern with every repetition written out (what
	 * regcomp's automaton grows with): so far, of the last atom, and so
	 * far in each enclosing group. */
	unsigned long size, last, outer[RX_MAX_DEPTH];
	int depth;
} rx_buf;

/* The state of one bracket expression: escaped ']', '-' and '^' are
 * emitted where POSIX reads them literally. */
typedef struct rx_set {
	size_t open;  /* offset of '[' in the output */
	size_t start; /* offset of the first member */
	bool neg, rbracket, dash, caret;
} rx_set;

static int rx_fail(rx_buf *b, const char *fmt, ...) CH_PRINTF(2, 3);

static int rx_fail(rx_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(b->why, b->whylen, fmt, ap);
		va_end(ap);
	}
	return CH_E_INVALID;
}

static int rx_put(rx_buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		return rx_fail(b, "pattern too long");
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return CH_OK;
}

static int rx_puts(rx_buf *b, const char *s)
{
	return rx_put(b, s, strlen(s));
}

static int rx_putc(rx_buf *b, char c)
{
	return rx_put(b, &c, 1);
}

/* Contents of \d \w \s (either case), or NULL. */
static const char *rx_class(char c)
{
	switch (c) {
	case 'd': case 'D':
		return "0-9";
	case 'w': case 'W':
		return "A-Za-z0-9_";
	case 's': case 'S':
		return "[:space:]";
	default:
		return NULL;
	}
}

/* The control character of \t \n \r \f \v, or -1. */
static int rx_control(char c)
{
	static const char from[] = "tnrfv", to[] = "\t\n\r\f\v";
	const char *p = c != '\0' ? strchr(from, c) : NULL;

	return p != NULL ? to[p - from] : -1;
}

/* \x outside brackets; *i is at the backslash. */
static int rx_escape(rx_buf *b, const char *src, size_t *i)
{
	char c = src[*i + 1];
	const char *cls = rx_class(c);
	int ctl = rx_control(c);

	if (c == '\0')
		return rx_fail(b, "trailing backslash");
	*i += 2;
	if (cls != NULL) {
		int rc = rx_puts(b, c >= 'a' ? "[" : "[^");

		rc = rc != CH_OK ? rc : rx_puts(b, cls);
		return rc != CH_OK ? rc : rx_putc(b, ']');
	}
	if (ctl >= 0)
		return rx_putc(b, (char)ctl);
	if (c == 'b' || c == 'B' || (c >= '1' && c <= '9') ||
	    strchr(".[]{}()*+?^$|\\", c) != NULL) {
		char esc[2] = { '\\', c };

		return rx_put(b, esc, 2);
	}
	if (is_alnum(c))
		return rx_fail(b, "unsupported escape \\%c", c);
	return rx_putc(b, c);
}

/* \x inside brackets; *i is at the backslash. */
static int rx_set_escape(rx_buf *b, rx_set *set, const char *src, size_t *i)
{
	char c = src[*i + 1];
	const char *cls = rx_class(c);
	int ctl = c == 'b' ? '\b' : rx_control(c);

	if (c == '\0')
		return rx_fail(b, "trailing backslash");
	*i += 2;
	if (cls != NULL && c < 'a')
		return rx_fail(b, "\\%c is not supported inside brackets", c);
	if (cls != NULL && src[*i] == '-' && src[*i + 1] != ']') {
		set->dash = true; /* ECMA: a class then '-' is a literal '-' */
		(*i)++;
	}
	if (cls != NULL)
		return rx_puts(b, cls);
	if (ctl >= 0)
		return rx_putc(b, (char)ctl);
	if (is_alnum(c))
		return rx_fail(b, "unsupported escape \\%c", c);
	set->rbracket |= c == ']';
	set->dash |= c == '-';
	set->caret |= c == '^';
	return c == ']' || c == '-' || c == '^' ? CH_OK : rx_putc(b, c);
}

/* Emits the escaped ']', '^', '-' and the closing ']'. */
static int rx_set_close(rx_buf *b, rx_set *set)
{
	int rc = CH_OK;

	if (set->rbracket) {
		rc = rx_putc(b, ']');
		if (rc == CH_OK)
			memmove(b->p + set->start + 1, b->p + set->start, b->len - set->start - 1);
		if (rc == CH_OK)
			b->p[set->start] = ']';
	}
	if (rc == CH_OK && set->caret && !set->neg && b->len == set->start) {
		b->len = set->open; /* a set of just '^' */
		return rx_puts(b, set->dash ? "[-^]" : "\\^");
	}
	if (rc == CH_OK && set->caret)
		rc = rx_putc(b, '^');
	if (rc == CH_OK && set->dash && b->p[b->len - 1] != '-')
		rc = rx_putc(b, '-');
	return rc != CH_OK ? rc : rx_putc(b, ']');
}

/* [...]; *i is at '['. */
static int rx_bracket(rx_buf *b, const char *src, size_t *i)
{
	rx_set set = { .open = b->len };
	int rc = rx_putc(b, '[');

	(*i)++;
	if (rc == CH_OK && src[*i] == '^') {
		set.neg = true;
		rc = rx_putc(b, '^');
		(*i)++;
	}
	set.start = b->len;
	if (rc == CH_OK && src[*i] == ']')
		rc = rx_fail(b, "empty character class");
	while (rc == CH_OK && src[*i] != ']') {
		if (src[*i] == '\0')
			rc = rx_fail(b, "unterminated character class");
		else if (src[*i] == '\\')
			rc = rx_set_escape(b, &set, src, i);
		else
			rc = rx_putc(b, src[(*i)++]);
	}
	if (rc != CH_OK)
		return rc;
	(*i)++;
	return rx_set_close(b, &set);
}

/* Whether src[i] starts a quantifier: *, +, ? or {n}, {n,}, {n,m}. */
static bool rx_is_quantifier(const char *src, size_t i)
{
	return src[i] == '*' || src[i] == '+' || src[i] == '?' ||
	       (src[i] == '{' && src[i + 1] >= '0' && src[i + 1] <= '9');
}

/* Checks the bounds of {n}, {n,} or {n,m} at src[i] (at most
 * RX_MAX_BOUND); *copies gets how many times the atom is written out. */
static int rx_bounds(rx_buf *b, const char *src, size_t i, unsigned long *copies)
{
	unsigned long n;
	char *end;

	for (i++;; i++) {
		n = strtoul(src + i, &end, 10);
		if (end == src + i && src[i] == '}')
			return CH_OK; /* {n,}: no upper bound, n copies and a star */
		if (end == src + i || n > RX_MAX_BOUND)
			return rx_fail(b, "a repetition bound must be a number up to %d",
				       RX_MAX_BOUND);
		*copies = n > 0 ? n : 1;
		i = (size_t)(end - src);
		if (src[i] != ',')
			return src[i] == '}' ? CH_OK : rx_fail(b, "malformed {n,m} repetition");
	}
}

/* Counts @p n more written-out units; fails past RX_MAX_SIZE. */
static int rx_grow(rx_buf *b, unsigned long n)
{
	b->size += n;
	if (b->size > RX_MAX_SIZE)
		return rx_fail(b, "pattern too complex: its repetitions written out exceed %d "
			       "characters", RX_MAX_SIZE);
	return CH_OK;
}

/* A group opens (@p open) or closes: the size of the group is its atom's. */
static int rx_group(rx_buf *b, bool open)
{
	if (open) {
		if (b->depth == RX_MAX_DEPTH)
			return rx_fail(b, "groups nested deeper than %d", RX_MAX_DEPTH);
		b->outer[b->depth++] = b->size;
		b->size = 0;
		return CH_OK;
	}
	if (b->depth == 0)
		return CH_OK; /* an unmatched ')': regcomp says so */
	b->last = b->size;
	b->size = b->outer[--b->depth];
	return rx_grow(b, b->last);
}

/*
 * A quantifier at src[*i]: only after something it can repeat (ECMA-262:
 * "nothing to repeat" for a+*, (*a) or a|+; stacked quantifiers also make
 * regcomp's automata explode). A lazy '?' after it is dropped: the match
 * or no-match answer is the same.
 */
static int rx_quantifier(rx_buf *b, const char *src, size_t *i)
{
	int rc;

	unsigned long copies = 1;

	if (!b->atom)
		return rx_fail(b, "nothing to repeat at offset %zu", *i);
	if (src[*i] == '{') {
		size_t close = *i + strcspn(src + *i, "}");

		rc = rx_bounds(b, src, *i, &copies);
		if (rc == CH_OK)
			rc = rx_grow(b, b->last * (copies - 1));
		if (rc == CH_OK && src[close] != '}')
			rc = rx_fail(b, "unterminated {n,m} repetition");
		if (rc == CH_OK)
			rc = rx_put(b, src + *i, close + 1 - *i);
		if (rc != CH_OK)
			return rc;
		*i = close + 1;
	} else {
		rc = rx_putc(b, src[(*i)++]);
	}
	if (src[*i] == '?')
		(*i)++;
	b->atom = false;
	return rc;
}

/* One construct at src[*i]. */
static int rx_step(rx_buf *b, const char *src, size_t *i)
{
	char c = src[*i];

	int rc;

	if (rx_is_quantifier(src, *i))
		return rx_quantifier(b, src, i);
	b->atom = c != '(' && c != '|' && c != '^' && c != '$';
	if (c == '(' || c == ')')
		rc = rx_group(b, c == '(');
	else
		rc = rx_grow(b, b->last = 1);
	if (rc != CH_OK)
		return rc;
	if (c == '\\')
		return rx_escape(b, src, i);
	if (c == '[')
		return rx_bracket(b, src, i);
	if (c == '(' && src[*i + 1] == '?') {
		if (src[*i + 2] != ':')
			return rx_fail(b, "lookaround and named groups are not supported");
		*i += 3;
		return rx_putc(b, '(');
	}
	(*i)++;
	return rx_putc(b, c);
}

int ch_schema_regex_translate(const char *src, char **out, char *why, size_t whylen)
{
	size_t n = strlen(src), i = 0;
	rx_buf b = { .why = why, .whylen = whylen };
	int rc = CH_OK;

	*out = NULL;
	if (n > 65536) {
		rc = rx_fail(&b, "pattern too long");
		goto out;
	}
	b.cap = 8 * n + 16;
	b.p = malloc(b.cap + 1);
	if (b.p == NULL) {
		rc = CH_E_NOMEM;
		goto out;
	}
	while (rc == CH_OK && src[i] != '\0')
		rc = rx_step(&b, src, &i);
	if (rc == CH_OK) {
		b.p[b.len] = '\0';
		*out = b.p;
		b.p = NULL; /* owned by the caller now */
	}
out:
	free(b.p);
	return rc;
}
