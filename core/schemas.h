/*
 * The JSON documents of schemas/, compiled into the binary (core/embed.cmake)
 * so the server validates with exactly the files the repository documents.
 */
#ifndef CH_SCHEMAS_H
#define CH_SCHEMAS_H

extern const char ch_embedded_connector_create[];
extern const char ch_embedded_connector_update[];
extern const char ch_embedded_connector[];
extern const char ch_embedded_openapi[];

#endif /* CH_SCHEMAS_H */
