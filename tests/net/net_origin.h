/* SPDX-License-Identifier: MIT */
/* Test helpers for the proxy's suites: an origin server on loopback and
 * sbx-netproxy started with a policy, both child processes of the test. */
#ifndef SBX_TESTS_NET_ORIGIN_H
#define SBX_TESTS_NET_ORIGIN_H

#include <stddef.h>
#include <sys/types.h>

/* The origin: a process serving 127.0.0.1:port, one poll loop.  Each
 * request gets 200 with the body "METHOD PATH host=HOST body=BODY"; GET
 * /big?N gets N bytes of 'x' (written by a process of its own); every
 * request head it reads (including any a proxy should never have passed
 * on) is counted in *requests. */
struct origin {
    pid_t pid;
    unsigned port;
    volatile unsigned *requests; /* shared with the origin process */
};
void origin_start(struct origin *o);
void origin_stop(struct origin *o);

/* sbx-netproxy ($SBX_NETPROXY) with these --net values and extra options
 * (NULL-terminated lists), names from the hosts file hosts (SBX_NET_HOSTS);
 * its stderr goes to a file read by proxy_stderr(). */
struct proxy {
    pid_t pid;
    unsigned port;
    char dir[64];        /* its files: stderr, summary */
};
void proxy_start(struct proxy *p, const char *hosts, const char *const *nets,
                 const char *const *opts);
/* Stop it (SIGTERM) and wait; returns its exit status. */
int proxy_stop(struct proxy *p);
/* Its stderr / summary so far (static buffer). */
const char *proxy_file(struct proxy *p, const char *name);
/* Resident memory of a process, KiB. */
long rss_kib(pid_t pid);

/* A TCP connection to 127.0.0.1:port (blocking), or -1. */
int connect_lo(unsigned port);
/* Send text, then read until EOF (at most cap-1 bytes, NUL-ended) with a
 * timeout of a few seconds; returns the bytes read. */
size_t exchange(int fd, const char *text, char *out, size_t cap);
/* One request through the proxy on a new connection; the response. */
const char *request(unsigned proxy_port, const char *text);

#endif
