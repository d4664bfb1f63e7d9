#include "listen.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define HOST_MAX 253 /* the longest DNS name */

static int bad(char *why, size_t whylen, const char *text)
{
	snprintf(why, whylen, "%s", text);
	return CH_E_INVALID;
}

static int name_valid(const char *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int port_parse(const char *p, unsigned *out)
{
	unsigned long v = 0;
	size_t n = strlen(p);

	if (n == 0 || n > 5)
		return CH_E_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return CH_E_INVALID;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > 65535)
		return CH_E_INVALID;
	*out = (unsigned)v;
	return CH_OK;
}

/* The host part [h, h + n): an IPv6 address when bracketed, else a name or
 * an IPv4 address. */
static int host_check(const char *h, size_t n, int bracketed, char *why, size_t whylen)
{
	char v6[HOST_MAX + 1];
	struct in6_addr a6;

	if (n == 0)
		return bad(why, whylen, "has no host");
	if (n > HOST_MAX)
		return bad(why, whylen, "has a host longer than 253 characters");
	if (bracketed) {
		memcpy(v6, h, n);
		v6[n] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return bad(why, whylen, "has no IPv6 address inside [ ]");
		return CH_OK;
	}
	if (memchr(h, ':', n))
		return bad(why, whylen, "has an IPv6 address without brackets (write [ADDR]:PORT)");
	if (!name_valid(h, n))
		return bad(why, whylen, "has a host that is neither an address nor a host name");
	return CH_OK;
}

int ch_listen_parse(const char *listen, char *host, size_t hostlen, unsigned *port, char *why,
		    size_t whylen)
{
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t n;
	unsigned p = 0;
	int bracketed = listen[0] == '[';

	if (!colon)
		return bad(why, whylen, "is not HOST:PORT (no port)");
	n = (size_t)(colon - listen);
	if (bracketed) {
		if (n < 2 || listen[n - 1] != ']')
			return bad(why, whylen, "is not [IPV6]:PORT (no ] before the port)");
		h++;
		n -= 2;
	}
	if (port_parse(colon + 1, &p) != CH_OK)
		return bad(why, whylen, "has a port that is not a number from 0 to 65535");
	if (host_check(h, n, bracketed, why, whylen) != CH_OK)
		return CH_E_INVALID;
	if (host) {
		if (n >= hostlen)
			return bad(why, whylen, "has a host too long");
		memcpy(host, h, n);
		host[n] = '\0';
	}
	if (port)
		*port = p;
	return CH_OK;
}
