/*
 * The host <-> runner channel: a stream socket carrying messages of a
 * 4-byte big-endian length followed by that many bytes of JSON text.
 */
#ifndef CH_PLUGIN_PROTO_H
#define CH_PLUGIN_PROTO_H

#include <stdint.h>

#include <json-c/json.h>

/** Largest message accepted (an operation's output included). */
#define CH_PROTO_MAX (64u * 1024 * 1024)

/** Sends one message. CH_OK or CH_E_IO (peer gone). */
int ch_proto_send(int fd, json_object *msg);

/**
 * Receives one message, waiting until @p deadline_ms (ch_clock_mono_ms()
 * time; 0: no deadline).
 * @param[out] msg  the message (new object).
 * @return CH_OK; CH_E_TIMEOUT; CH_E_IO when the peer closed or sent
 *         something that is not a framed JSON object.
 */
int ch_proto_recv(int fd, int64_t deadline_ms, json_object **msg);

#endif /* CH_PLUGIN_PROTO_H */
