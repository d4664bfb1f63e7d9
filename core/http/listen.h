/*
 * Listen addresses: "HOST:PORT" or "[IPV6]:PORT", checked once where the
 * settings are read and split again where the server binds.
 */
#ifndef CH_HTTP_LISTEN_H
#define CH_HTTP_LISTEN_H

#include <stddef.h>

/**
 * Splits and checks a listen address. HOST is an IPv4 address or a host
 * name (letters, digits, '.', '-', '_'), or an IPv6 address in brackets;
 * PORT is a decimal number from 0 to 65535 (0: any free port).
 * @param listen      the text, e.g. "127.0.0.1:8080" or "[::1]:0".
 * @param[out] host   the host without brackets (may be NULL to only check).
 * @param hostlen     size of @p host.
 * @param[out] port   the port (may be NULL).
 * @param[out] why    on failure, what is wrong (a phrase for a message).
 * @return CH_OK or CH_E_INVALID.
 */
int ch_listen_parse(const char *listen, char *host, size_t hostlen, unsigned *port, char *why,
		    size_t whylen);

#endif /* CH_HTTP_LISTEN_H */
