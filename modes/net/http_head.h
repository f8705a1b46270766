/* SPDX-License-Identifier: MIT */
/* The proxy's strict parser of one request head (request line and header
 * fields), and the head it forwards to the origin.
 *
 * Strict on purpose: the proxy parses exactly one request per client
 * connection and forwards exactly that request's bytes, so a request that
 * two parsers could read two ways (request smuggling) is refused, not
 * interpreted:
 *   - lines end in CRLF (a bare LF or CR is 400), no obs-fold, no space
 *     before a header's colon, no control character in a value;
 *   - one Content-Length of decimal digits; a Transfer-Encoding is 411
 *     (a request body must have a length), with a Content-Length 400;
 *   - the target is absolute-form http://host[:port]/path (authority-form
 *     host:port for CONNECT); no userinfo; at most one Host field, which
 *     the forwarded head replaces with the target's authority;
 *   - hop-by-hop fields (Connection, Keep-Alive, Proxy-*, TE, Trailer,
 *     Upgrade) are dropped and "Connection: close" is added.
 * No I/O, no allocation: fuzzed by tests/fuzz/fuzz_http_head.c. */
#ifndef SBX_MODES_NET_HTTP_HEAD_H
#define SBX_MODES_NET_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

/* A head longer than this is refused (431). */
#define SBX_HTTP_HEAD_MAX 16384
#define SBX_HTTP_MAX_FIELDS 100

struct sbx_http_head {
    char method[24];
    bool is_connect;
    char host[256];           /* name or address literal ([v6] keeps brackets) */
    unsigned port;
    unsigned long long content_length;
    /* What to send the origin (not for CONNECT): origin-form request line,
     * Host, the kept fields, Connection: close, the empty line. */
    char fwd[SBX_HTTP_HEAD_MAX + 512];
    size_t fwd_len;
    const char *why;          /* on refusal: the reason, for the response body */
};

/* Parse the head at the start of buf[0..len).
 *   > 0: the head's length (the body, if any, follows);
 *   0:   incomplete, read more (len < SBX_HTTP_HEAD_MAX);
 *   < 0: refused: -STATUS (400, 411, 414, 431, 501), h->why says why. */
int sbx_http_head_parse(const char *buf, size_t len, struct sbx_http_head *h);

#endif
