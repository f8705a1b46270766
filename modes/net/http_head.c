/* SPDX-License-Identifier: MIT */
/* One request head, parsed strictly (http_head.h says the rules). */
#include "modes/net/http_head.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REFUSE(status, reason)                                                             \
    do {                                                                                   \
        h->why = (reason);                                                                 \
        return -(status);                                                                  \
    } while (0)

/* RFC 9110 tchar. */
static bool tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value's byte: visible, space, tab or obs-text. */
static bool value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool append(struct sbx_http_head *h, const char *s, size_t n)
{
    if (h->fwd_len + n >= sizeof(h->fwd))
        return false;
    memcpy(h->fwd + h->fwd_len, s, n);
    h->fwd_len += n;
    h->fwd[h->fwd_len] = '\0';
    return true;
}

static bool parse_port(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *out = v;
    return true;
}

/* host[:port] of n bytes into h; default_port 0: the port is required. */
static int parse_authority(struct sbx_http_head *h, const char *s, size_t n,
                           unsigned default_port)
{
    if (n == 0)
        REFUSE(400, "empty host in the request target");
    if (memchr(s, '@', n))
        REFUSE(400, "userinfo in the request target");
    const char *host_end;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            REFUSE(400, "'[' without ']' in the request target");
        host_end = close + 1;
    } else {
        host_end = memchr(s, ':', n);
        if (!host_end)
            host_end = s + n;
    }
    size_t host_len = (size_t)(host_end - s);
    if (host_len == 0 || host_len >= sizeof(h->host))
        REFUSE(400, "bad host length in the request target");
    for (size_t i = 0; i < host_len; i++)
        if (!(tchar((unsigned char)s[i]) || s[i] == '[' || s[i] == ']' || s[i] == ':'))
            REFUSE(400, "bad character in the request target's host");
    memcpy(h->host, s, host_len);
    h->host[host_len] = '\0';
    size_t rest = n - host_len;
    if (rest == 0) {
        if (!default_port)
            REFUSE(400, "CONNECT needs host:port");
        h->port = default_port;
        return 0;
    }
    if (*host_end != ':' || !parse_port(host_end + 1, rest - 1, &h->port))
        REFUSE(400, "bad port in the request target");
    return 0;
}

/* Request line "METHOD SP TARGET SP HTTP/1.x" of n bytes (no CRLF). */
static int parse_request_line(struct sbx_http_head *h, const char *s, size_t n,
                              const char **path, size_t *path_len)
{
    const char *sp1 = memchr(s, ' ', n);
    if (!sp1 || sp1 == s || (size_t)(sp1 - s) >= sizeof(h->method))
        REFUSE(400, "bad request line");
    for (const char *p = s; p < sp1; p++)
        if (!tchar((unsigned char)*p))
            REFUSE(400, "bad method");
    memcpy(h->method, s, (size_t)(sp1 - s));
    h->method[sp1 - s] = '\0';
    const char *target = sp1 + 1;
    const char *end = s + n;
    const char *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || sp2 == target)
        REFUSE(400, "bad request line");
    if (end - (sp2 + 1) != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 &&
                                 memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
        REFUSE(400, "only HTTP/1.0 and HTTP/1.1 requests");
    for (const char *p = target; p < sp2; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            REFUSE(400, "bad character in the request target");
    size_t tlen = (size_t)(sp2 - target);
    h->is_connect = strcmp(h->method, "CONNECT") == 0;
    if (h->is_connect)
        return parse_authority(h, target, tlen, 0);
    if (tlen >= 8 && strncasecmp(target, "https://", 8) == 0)
        REFUSE(400, "https:// through the proxy needs CONNECT");
    if (tlen < 7 || strncasecmp(target, "http://", 7) != 0)
        REFUSE(400, "a proxy request's target is http://host[:port]/path");
    const char *auth = target + 7;
    const char *auth_end = auth;
    while (auth_end < sp2 && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    int rc = parse_authority(h, auth, (size_t)(auth_end - auth), 80);
    if (rc < 0)
        return rc;
    if (memchr(auth_end, '#', (size_t)(sp2 - auth_end)))
        REFUSE(400, "a fragment in the request target");
    *path = auth_end;
    *path_len = (size_t)(sp2 - auth_end);
    return 0;
}

static bool is_hop_by_hop(const char *name, size_t n)
{
    static const char *const names[] = {"connection", "proxy-connection", "keep-alive",
                                        "proxy-authorization", "proxy-authenticate", "te",
                                        "trailer", "upgrade"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && strncasecmp(name, names[i], n) == 0)
            return true;
    return false;
}

static bool name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* One header field line of n bytes (no CRLF). */
static int parse_field(struct sbx_http_head *h, const char *s, size_t n, bool *seen_length,
                       bool *seen_te, bool *seen_host, size_t *kept)
{
    if (n == 0 || s[0] == ' ' || s[0] == '\t')
        REFUSE(400, "obsolete line folding");
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        REFUSE(400, "a header field without a name");
    size_t name_len = (size_t)(colon - s);
    for (size_t i = 0; i < name_len; i++)
        if (!tchar((unsigned char)s[i]))
            REFUSE(400, "bad character in a header field name");
    const char *v = colon + 1, *vend = s + n;
    for (const char *p = v; p < vend; p++)
        if (!value_char((unsigned char)*p))
            REFUSE(400, "control character in a header field value");
    while (v < vend && (*v == ' ' || *v == '\t'))
        v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;
    size_t vlen = (size_t)(vend - v);
    if (name_is(s, name_len, "content-length")) {
        if (*seen_length)
            REFUSE(400, "more than one Content-Length");
        *seen_length = true;
        if (vlen == 0 || vlen > 18)
            REFUSE(400, "bad Content-Length");
        unsigned long long len = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                REFUSE(400, "bad Content-Length");
            len = len * 10 + (unsigned long long)(v[i] - '0');
        }
        h->content_length = len;
    } else if (name_is(s, name_len, "transfer-encoding")) {
        *seen_te = true;
        return 0; /* refused once all fields are read (400 with a length, else 411) */
    } else if (name_is(s, name_len, "host")) {
        if (*seen_host)
            REFUSE(400, "more than one Host");
        *seen_host = true;
        return 0; /* replaced by the target's authority */
    }
    if (is_hop_by_hop(s, name_len))
        return 0;
    /* What is forwarded (these, Host, Connection) stays a head this
     * parser accepts. */
    if (++*kept + 2 > SBX_HTTP_MAX_FIELDS)
        REFUSE(431, "too many header fields");
    if (!append(h, s, name_len) || !append(h, ": ", 2) || !append(h, v, vlen) ||
        !append(h, "\r\n", 2))
        REFUSE(431, "request head too large");
    return 0;
}

int sbx_http_head_parse(const char *buf, size_t len, struct sbx_http_head *h)
{
    memset(h, 0, offsetof(struct sbx_http_head, fwd));
    h->fwd[0] = '\0';
    h->fwd_len = 0;
    h->why = NULL;
    /* Find the empty line; any LF must follow a CR, any CR precede an LF. */
    size_t end = 0;
    size_t scan = len < SBX_HTTP_HEAD_MAX ? len : SBX_HTTP_HEAD_MAX;
    for (size_t i = 0; i < scan; i++) {
        if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
            REFUSE(400, "a line ending in a bare LF");
        if (buf[i] == '\r' && i + 1 < scan && buf[i + 1] != '\n')
            REFUSE(400, "a bare CR");
        if (buf[i] == '\0')
            REFUSE(400, "a NUL byte in the request head");
        if (i >= 3 && memcmp(buf + i - 3, "\r\n\r\n", 4) == 0) {
            end = i + 1;
            break;
        }
    }
    if (end == 0) {
        if (len >= SBX_HTTP_HEAD_MAX)
            REFUSE(431, "request head too large");
        return 0;
    }
    const char *line = buf;
    const char *eol = memchr(line, '\r', end);
    const char *path = NULL;
    size_t path_len = 0;
    int rc = parse_request_line(h, line, (size_t)(eol - line), &path, &path_len);
    if (rc < 0)
        return rc;
    if (!h->is_connect) {
        char start[64];
        if (!append(h, h->method, strlen(h->method)) || !append(h, " ", 1) ||
            !append(h, path_len ? path : "/", path_len ? path_len : 1) ||
            !append(h, " HTTP/1.1\r\nHost: ", 17) || !append(h, h->host, strlen(h->host)))
            REFUSE(414, "request target too long");
        int n = h->port == 80 ? snprintf(start, sizeof(start), "\r\n")
                              : snprintf(start, sizeof(start), ":%u\r\n", h->port);
        if (!append(h, start, (size_t)n))
            REFUSE(414, "request target too long");
    }
    bool seen_length = false, seen_te = false, seen_host = false;
    size_t fields = 0, kept = 0;
    for (line = eol + 2; line < buf + end - 2; line = eol + 2) {
        eol = memchr(line, '\r', (size_t)(buf + end - line));
        if (++fields > SBX_HTTP_MAX_FIELDS)
            REFUSE(431, "too many header fields");
        rc = parse_field(h, line, (size_t)(eol - line), &seen_length, &seen_te, &seen_host,
                         &kept);
        if (rc < 0)
            return rc;
    }
    if (seen_te && seen_length)
        REFUSE(400, "both Transfer-Encoding and Content-Length");
    if (seen_te)
        REFUSE(411, "a request body needs a Content-Length (no Transfer-Encoding)");
    if (h->is_connect && h->content_length)
        REFUSE(400, "CONNECT with a body");
    if (!h->is_connect && !append(h, "Connection: close\r\n\r\n", 21))
        REFUSE(431, "request head too large");
    return (int)end;
}
