/* SPDX-License-Identifier: MIT */
/* The proxy's strict request-head parser (modes/net/http_head.c): what it
 * forwards, and every ambiguity it refuses rather than interprets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "modes/net/http_head.h"

static struct sbx_http_head head;

static int parse(const char *text)
{
    return sbx_http_head_parse(text, strlen(text), &head);
}

static void test_get_forwarded(void **state)
{
    (void)state;
    const char *req = "GET http://Example.org:8080/a/b?c=d HTTP/1.1\r\n"
                      "Host: evil.test\r\nUser-Agent: t\r\nProxy-Connection: keep-alive\r\n"
                      "Connection: keep-alive, x-hop\r\nProxy-Authorization: Basic x\r\n"
                      "Accept:  */*  \r\nTE: trailers\r\nUpgrade: h2c\r\n\r\nBODY";
    int n = parse(req);
    assert_int_equal(n, (int)(strstr(req, "BODY") - req));
    assert_string_equal(head.method, "GET");
    assert_false(head.is_connect);
    assert_string_equal(head.host, "Example.org");
    assert_int_equal(head.port, 8080);
    assert_int_equal(head.content_length, 0);
    assert_string_equal(head.fwd, "GET /a/b?c=d HTTP/1.1\r\nHost: Example.org:8080\r\n"
                                  "User-Agent: t\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    assert_int_equal(head.fwd_len, strlen(head.fwd));
    /* No path: "/"; port 80 is left out of Host. */
    assert_true(parse("HEAD http://a.test HTTP/1.0\r\n\r\n") > 0);
    assert_string_equal(head.fwd, "HEAD / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    assert_true(parse("GET http://a.test?q HTTP/1.1\r\n\r\n") > 0);
    assert_string_equal(head.fwd, "GET ?q HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    assert_true(parse("POST http://[::1]:81/x HTTP/1.1\r\nContent-Length: 12\r\n\r\n") > 0);
    assert_string_equal(head.host, "[::1]");
    assert_int_equal(head.port, 81);
    assert_int_equal(head.content_length, 12);
    assert_string_equal(head.fwd, "POST /x HTTP/1.1\r\nHost: [::1]:81\r\n"
                                  "Content-Length: 12\r\nConnection: close\r\n\r\n");
}

static void test_connect(void **state)
{
    (void)state;
    assert_true(parse("CONNECT registry.example:443 HTTP/1.1\r\nHost: x\r\n\r\n") > 0);
    assert_true(head.is_connect);
    assert_string_equal(head.host, "registry.example");
    assert_int_equal(head.port, 443);
    assert_int_equal(parse("CONNECT registry.example HTTP/1.1\r\n\r\n"), -400);
    assert_int_equal(parse("CONNECT a.test:443 HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), -400);
    assert_int_equal(parse("CONNECT a.test:0 HTTP/1.1\r\n\r\n"), -400);
    assert_int_equal(parse("CONNECT a.test:65536 HTTP/1.1\r\n\r\n"), -400);
    assert_int_equal(parse("CONNECT u@a.test:443 HTTP/1.1\r\n\r\n"), -400);
}

static void test_incomplete_and_too_large(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(parse("GET http://a.test/ HTTP/1.1\r\n"), 0);
    assert_int_equal(parse("GET http://a.test/ HTTP/1.1\r\nX: y\r\n\r"), 0);
    size_t big = SBX_HTTP_HEAD_MAX + 10;
    char *buf = malloc(big + 1);
    assert_non_null(buf);
    memcpy(buf, "GET http://a.test/ HTTP/1.1\r\nX: ", 32);
    memset(buf + 32, 'a', big - 32);
    buf[big] = '\0';
    assert_int_equal(parse(buf), -431);
    /* Exactly the limit, still without its end: refused too. */
    assert_int_equal(sbx_http_head_parse(buf, SBX_HTTP_HEAD_MAX, &head), -431);
    assert_int_equal(sbx_http_head_parse(buf, SBX_HTTP_HEAD_MAX - 1, &head), 0);
    free(buf);
    /* Too many fields. */
    char many[4096] = "GET http://a.test/ HTTP/1.1\r\n";
    for (int i = 0; i <= SBX_HTTP_MAX_FIELDS; i++)
        strcat(many, "X-A: b\r\n");
    strcat(many, "\r\n");
    assert_int_equal(parse(many), -431);
}

/* Everything two parsers could read two ways, and what is no proxy request. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int status;
    } table[] = {
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -411},
        {"POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", -411},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: +3\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length:\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n", -400},
        {"POST http://a.test/ HTTP/1.1\r\nContent-Length : 3\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\nHost: a\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nHost: a\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nX: a\rb\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nX: a\x01\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nno colon\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\n: empty name\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400},
        {"GET /relative HTTP/1.1\r\nHost: a\r\n\r\n", -400},
        {"GET https://a.test/ HTTP/1.1\r\n\r\n", -400},
        {"GET ftp://a.test/ HTTP/1.1\r\n\r\n", -400},
        {"GET http://user:pw@a.test/ HTTP/1.1\r\n\r\n", -400},
        {"GET http://a.test:99999/ HTTP/1.1\r\n\r\n", -400},
        {"GET http://a.test:/ HTTP/1.1\r\n\r\n", -400},
        {"GET http:///x HTTP/1.1\r\n\r\n", -400},
        {"GET http://a.test/#frag HTTP/1.1\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/2.0\r\n\r\n", -400},
        {"GET http://a.test/ HTTP/1.1 \r\n\r\n", -400},
        {"GET  http://a.test/ HTTP/1.1\r\n\r\n", -400},
        {"G(T http://a.test/ HTTP/1.1\r\n\r\n", -400},
        {"GET http://a.test/\x7f HTTP/1.1\r\n\r\n", -400},
        {"OPTIONS * HTTP/1.1\r\n\r\n", -400},
        {"\r\n\r\n", -400},
        {"GET http://a_b!.test/ HTTP/1.1\r\n\r\n", 1}, /* the policy refuses the host */
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        int got = parse(table[i].text);
        if (table[i].status > 0 ? got <= 0 : got != table[i].status)
            fail_msg("row %u: %d, want %d", (unsigned)i, got, table[i].status);
        if (got < 0)
            assert_non_null(head.why);
    }
    /* A NUL byte in the head. */
    const char nul[] = "GET http://a.test/ HTTP/1.1\r\nX: a\0b\r\n\r\n";
    assert_int_equal(sbx_http_head_parse(nul, sizeof(nul) - 1, &head), -400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_forwarded),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_incomplete_and_too_large),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
