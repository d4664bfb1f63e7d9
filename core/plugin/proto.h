/*
 * The host <-> runner channel: a stream socket carrying messages of a
 * 4-byte big-endian length followed by that many bytes of JSON text.
 * Both directions are bounded by a deadline, so a peer that stops reading
 * or writing can never hold the other side.
 */
#ifndef CH_PLUGIN_PROTO_H
#define CH_PLUGIN_PROTO_H

#include <stdint.h>

#include <json-c/json.h>

/** Largest message accepted (an operation's output included). */
#define CH_PROTO_MAX (64u * 1024 * 1024)

/**
 * Sends one message, waiting for room on the socket until @p deadline_ms
 * (ch_clock_mono_ms() time; 0: no deadline).
 * @return CH_OK; CH_E_TIMEOUT when the peer did not take it in time;
 *         CH_E_IO (peer gone); CH_E_TOO_LARGE.
 */
int ch_proto_send(int fd, json_object *msg, int64_t deadline_ms);

/**
 * Receives one message, waiting until @p deadline_ms (as above).
 * @param[out] msg  the message (new object).
 * @return CH_OK; CH_E_TIMEOUT; CH_E_IO when the peer closed the channel;
 *         protocol violations, with ch_error_last() saying what the peer
 *         sent: CH_E_TOO_LARGE for a length over CH_PROTO_MAX (reported at
 *         once, nothing more is read), CH_E_INVALID for a message that is
 *         not a JSON object.
 */
int ch_proto_recv(int fd, int64_t deadline_ms, json_object **msg);

#endif /* CH_PLUGIN_PROTO_H */
