/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the proxy's request-head parser (modes/net/http_head.c),
 * which reads bytes a hostile sandboxed command sends.  An input is the
 * bytes a client sent.  Beyond "no crash, no undefined behaviour", every
 * input checks:
 *   H1  the result is 0 (incomplete), a length <= the input's, or one of
 *       -400, -411, -414, -431 with a reason;
 *   H2  0 only when the input is shorter than SBX_HTTP_HEAD_MAX and has no
 *       empty line;
 *   H3  an accepted head ends with CRLF CRLF at the length returned, has
 *       a method and host, a port in 1..65535;
 *   H4  the forwarded head of a non-CONNECT request is text the parser
 *       itself accepts again, whole, with the same host, port, method and
 *       Content-Length, and ends with "Connection: close": what reaches the
 *       origin is one unambiguous request;
 *   H5  parsing any prefix of an accepted head gives 0 (the parser never
 *       accepts less than a whole head);
 *   H6  the result does not depend on bytes after the head. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "fuzz_http_head"
#include "tests/fuzz/fuzz_check.h"

#include "modes/net/http_head.h"

static struct sbx_http_head h, h2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    int rc = sbx_http_head_parse(buf, size, &h);
    if (rc < 0) {
        CHECK(rc == -400 || rc == -411 || rc == -414 || rc == -431, "H1: status %d", rc);
        CHECK(h.why && h.why[0], "H1: no reason");
        return 0;
    }
    if (rc == 0) {
        CHECK(size < SBX_HTTP_HEAD_MAX, "H2: incomplete at %zu bytes", size);
        return 0;
    }
    size_t n = (size_t)rc;
    CHECK(n <= size, "H1: length %zu of %zu", n, size);
    CHECK(n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0, "H3: no empty line at the end");
    CHECK(h.method[0] && h.host[0] && h.port >= 1 && h.port <= 65535, "H3");
    /* H6: the head alone parses the same. */
    char *head = malloc(n);
    if (!head)
        abort();
    memcpy(head, buf, n);
    CHECK(sbx_http_head_parse(head, n, &h2) == rc, "H6");
    CHECK(strcmp(h2.host, h.host) == 0 && h2.port == h.port, "H6: host differs");
    /* H5: no prefix is a whole head (a few, not all: quadratic). */
    for (size_t k = 0; k < n; k += 1 + n / 16)
        CHECK(sbx_http_head_parse(head, k, &h2) <= 0, "H5: prefix %zu accepted", k);
    free(head);
    if (h.is_connect)
        return 0;
    CHECK(h.fwd_len == strlen(h.fwd), "H4: fwd length");
    CHECK(h.fwd_len >= 21 && strcmp(h.fwd + h.fwd_len - 21, "Connection: close\r\n\r\n") == 0,
          "H4: no Connection: close");
    /* The forwarded head in origin-form is no proxy request: rewrite its
     * request line to absolute-form with the same authority and parse. */
    const char *sp = strchr(h.fwd, ' ');
    char *abs = malloc(h.fwd_len + 300);
    if (!abs)
        abort();
    size_t ml = (size_t)(sp - h.fwd);
    memcpy(abs, h.fwd, ml);
    size_t len = ml;
    len += (size_t)sprintf(abs + len, " http://%s:%u", h.host, h.port);
    const char *path = sp + 1;
    if (path[0] == '/' || path[0] == '?') {
        memcpy(abs + len, path, h.fwd_len - (size_t)(path - h.fwd));
        len += h.fwd_len - (size_t)(path - h.fwd);
        int rc2 = sbx_http_head_parse(abs, len, &h2);
        CHECK(rc2 == (int)len, "H4: forwarded head not accepted (%d): %s", rc2, h2.why);
        CHECK(strcmp(h2.method, h.method) == 0 && strcmp(h2.host, h.host) == 0 &&
              h2.port == h.port && h2.content_length == h.content_length, "H4: differs");
    }
    free(abs);
    return 0;
}
