/* SPDX-License-Identifier: MIT */
/* The allowlist proxy's connections (proxy.h): accept, parse one request
 * head, check the policy, resolve, check each address, connect, then relay
 * (the rewritten head and exactly Content-Length bytes of body for plain
 * HTTP; both ways for a CONNECT tunnel) until one side is done.
 *
 * Why bufferevents and our own parser rather than evhttp: evhttp is an
 * origin-server and client library; as a proxy it would parse a request,
 * then re-serialise it, with its own leniency (bare LF, both framings) in
 * between, and it has no CONNECT tunnels.  The proxy needs the opposite: a
 * parser that refuses anything two readers could read two ways, and raw
 * byte relays with back-pressure, which bufferevents give directly. */
#include "modes/net/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "modes/net/http_head.h"
#include "modes/net/proxy_stats.h"

/* Bytes buffered per direction before the reading side is paused. */
#define PROXY_BUF_MAX (64 * 1024)

struct proxy {
    const struct sbx_netproxy_config *cfg;
    struct event_base *base;
    struct evdns_base *dns;
    struct evconnlistener *listener;
    struct event *resume_accept;  /* after EMFILE: accept again a little later */
    struct proxy_stats *stats;
    unsigned n_clients;
    struct conn *conns;           /* every open connection, freed at the end */
    struct timeval head_tv, connect_tv, idle_tv;
};

enum conn_state { READING_HEAD, RESOLVING, CONNECTING, FORWARDING, TUNNEL, CLOSING };

struct conn {
    struct proxy *px;
    struct conn *next, **pprev;
    enum conn_state state;
    struct bufferevent *client, *origin;
    struct event *deadline;       /* the head's, then the connect's */
    struct event *step;           /* runs after resolution, outside evdns's callback */
    struct evdns_getaddrinfo_request *dns;
    struct evutil_addrinfo *addrs, *next_addr;
    int dns_result;
    enum sbx_net_verdict addr_verdict; /* the first refused address's verdict */
    struct sbx_http_head *head;
    unsigned long long body_left; /* request body bytes still to forward */
    struct proxy_host_stat *stat;
    time_t last_active;
};

static void conn_free(struct conn *c)
{
    struct proxy *px = c->px;
    if (c->dns)
        evdns_getaddrinfo_cancel(c->dns); /* its callback sees EVUTIL_EAI_CANCEL */
    if (c->addrs)
        evutil_freeaddrinfo(c->addrs);
    if (c->deadline)
        event_free(c->deadline);
    if (c->step)
        event_free(c->step);
    if (c->client)
        bufferevent_free(c->client);
    if (c->origin)
        bufferevent_free(c->origin);
    free(c->head);
    *c->pprev = c->next;
    if (c->next)
        c->next->pprev = c->pprev;
    free(c);
    px->n_clients--;
}

static void close_when_flushed(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_free(arg);
}

/* Stop reading anything; free the connection once the client has been
 * sent what is buffered for it. */
static void conn_finish(struct conn *c)
{
    c->state = CLOSING;
    if (c->deadline)
        event_del(c->deadline);
    if (c->origin) {
        bufferevent_free(c->origin);
        c->origin = NULL;
    }
    if (!c->client || evbuffer_get_length(bufferevent_get_output(c->client)) == 0) {
        conn_free(c);
        return;
    }
    bufferevent_disable(c->client, EV_READ);
    bufferevent_setwatermark(c->client, EV_WRITE, 0, 0);
    bufferevent_setcb(c->client, NULL, close_when_flushed, NULL, c);
}

/* An error response of the proxy's own, then close. */
static void respond(struct conn *c, int status, const char *text, const char *detail)
{
    char body[512];
    int n = snprintf(body, sizeof(body), "sbx: network: %s\n", detail ? detail : text);
    if (n < 0 || (size_t)n >= sizeof(body))
        n = (int)sizeof(body) - 1;
    evbuffer_add_printf(bufferevent_get_output(c->client),
                        "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                        "Content-Length: %d\r\n\r\n%s",
                        status, text, n, body);
    conn_finish(c);
}

static void deny(struct conn *c, const char *host, unsigned port, enum sbx_net_verdict v)
{
    struct proxy_host_stat *s = proxy_stats_note(c->px->stats, host, port, v);
    s->connections++;
    char detail[SBX_NET_HOST_MAX + 96];
    snprintf(detail, sizeof(detail), "denied %s:%u (%s)", s->host, port,
             sbx_net_verdict_reason(v));
    respond(c, v == SBX_NET_BAD_HOST ? 400 : 403, v == SBX_NET_BAD_HOST ? "Bad Request" : "Forbidden",
            detail);
}

/* Move what src has read to dst (at most limit bytes, 0: all), pausing src
 * while dst holds PROXY_BUF_MAX bytes or more. */
static size_t relay(struct conn *c, struct bufferevent *src, struct bufferevent *dst,
                    unsigned long long limit)
{
    struct evbuffer *in = bufferevent_get_input(src), *out = bufferevent_get_output(dst);
    size_t len = evbuffer_get_length(in);
    if (limit && len > limit)
        len = (size_t)limit;
    if (len == 0)
        return 0;
    evbuffer_remove_buffer(in, out, len);
    c->last_active = time(NULL);
    if (evbuffer_get_length(out) >= PROXY_BUF_MAX) {
        bufferevent_disable(src, EV_READ);
        bufferevent_setwatermark(dst, EV_WRITE, PROXY_BUF_MAX / 2, PROXY_BUF_MAX);
    }
    return len;
}

static void on_client_read(struct bufferevent *bev, void *arg);
static void on_origin_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* dst drained below half: read from its peer again. */
static void on_drained(struct bufferevent *dst, void *arg)
{
    struct conn *c = arg;
    struct bufferevent *src = dst == c->client ? c->origin : c->client;
    bufferevent_setwatermark(dst, EV_WRITE, 0, 0);
    if (!src)
        return;
    if (src == c->client && c->state == FORWARDING && c->body_left == 0)
        return; /* the request is complete: nothing more is read from the client */
    bufferevent_enable(src, EV_READ);
}

static void forward_body(struct conn *c)
{
    size_t n = relay(c, c->client, c->origin, c->body_left);
    c->body_left -= n;
    c->stat->bytes_up += n;
    if (c->body_left == 0)
        bufferevent_disable(c->client, EV_READ); /* one request per connection */
}

static void on_connected(struct conn *c)
{
    event_del(c->deadline);
    evutil_freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    c->stat->connections++;
    bufferevent_setcb(c->client, on_client_read, on_drained, on_event, c);
    bufferevent_setwatermark(c->client, EV_READ, 0, PROXY_BUF_MAX);
    bufferevent_set_timeouts(c->client, &c->px->idle_tv, NULL);
    bufferevent_set_timeouts(c->origin, &c->px->idle_tv, NULL);
    bufferevent_setwatermark(c->origin, EV_READ, 0, PROXY_BUF_MAX);
    /* Whole buffers per system call (libevent's default is 16 KiB). */
    struct bufferevent *both[2] = {c->client, c->origin};
    for (int i = 0; i < 2; i++) {
        bufferevent_set_max_single_read(both[i], PROXY_BUF_MAX);
        bufferevent_set_max_single_write(both[i], PROXY_BUF_MAX);
    }
    if (c->head->is_connect) {
        c->state = TUNNEL;
        evbuffer_add_printf(bufferevent_get_output(c->client),
                            "HTTP/1.1 200 Connection established\r\n\r\n");
        c->stat->bytes_up += relay(c, c->client, c->origin, 0);
        bufferevent_enable(c->client, EV_READ);
    } else {
        c->state = FORWARDING;
        bufferevent_write(c->origin, c->head->fwd, c->head->fwd_len);
        c->body_left = c->head->content_length;
        if (c->body_left) {
            bufferevent_enable(c->client, EV_READ);
            forward_body(c);
        }
    }
    free(c->head);
    c->head = NULL;
    bufferevent_enable(c->origin, EV_READ);
}

static void addr_of(const struct sockaddr *sa, struct sbx_net_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET) {
        a->family = AF_INET;
        memcpy(a->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return;
    }
    a->family = AF_INET6;
    memcpy(a->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a->bytes, mapped, 12) == 0) {
        memmove(a->bytes, a->bytes + 12, 4);
        memset(a->bytes + 4, 0, 12);
        a->family = AF_INET;
    }
}

/* Connect to the next resolved address the policy allows; none left:
 * refuse (all were refused) or 502 (all failed). */
static void connect_next(struct conn *c)
{
    struct proxy *px = c->px;
    if (c->origin) {
        bufferevent_free(c->origin);
        c->origin = NULL;
    }
    for (; c->next_addr; c->next_addr = c->next_addr->ai_next) {
        struct evutil_addrinfo *ai = c->next_addr;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        struct sbx_net_addr a;
        addr_of(ai->ai_addr, &a);
        enum sbx_net_verdict v = sbx_net_policy_check_addr(px->cfg->policy, &a, c->head->port);
        if (v != SBX_NET_ALLOWED) {
            if (c->addr_verdict == SBX_NET_ALLOWED)
                c->addr_verdict = v;
            continue;
        }
        c->origin = bufferevent_socket_new(px->base, -1, BEV_OPT_CLOSE_ON_FREE);
        if (!c->origin)
            break;
        bufferevent_setcb(c->origin, on_origin_read, on_drained, on_event, c);
        c->next_addr = ai->ai_next;
        c->state = CONNECTING;
        event_add(c->deadline, &px->connect_tv);
        /* Resolved without a service: the port is the request's. */
        struct sockaddr_storage ss;
        socklen_t sslen = (socklen_t)(ai->ai_family == AF_INET ? sizeof(struct sockaddr_in)
                                                               : sizeof(struct sockaddr_in6));
        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, ai->ai_addr, sslen);
        if (ai->ai_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)c->head->port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)c->head->port);
        if (bufferevent_socket_connect(c->origin, (struct sockaddr *)&ss, (int)sslen) == 0)
            return;
        bufferevent_free(c->origin);
        c->origin = NULL;
    }
    if (c->addr_verdict != SBX_NET_ALLOWED && !c->stat) {
        deny(c, c->head->host, c->head->port, c->addr_verdict);
        return;
    }
    respond(c, 502, "Bad Gateway", "could not connect to the destination");
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct conn *c = arg;
    if (c->dns_result != 0 || !c->addrs) {
        respond(c, 502, "Bad Gateway", "the destination's name does not resolve");
        return;
    }
    c->next_addr = c->addrs;
    c->addr_verdict = SBX_NET_ALLOWED;
    /* Count the host as allowed only once an address passes. */
    struct sbx_net_addr a;
    bool any = false;
    for (struct evutil_addrinfo *ai = c->addrs; ai; ai = ai->ai_next)
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6)) {
            addr_of(ai->ai_addr, &a);
            any |= sbx_net_policy_check_addr(c->px->cfg->policy, &a, c->head->port) ==
                   SBX_NET_ALLOWED;
        }
    if (any)
        c->stat = proxy_stats_note(c->px->stats, c->head->host, c->head->port, SBX_NET_ALLOWED);
    connect_next(c);
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
    if (result == EVUTIL_EAI_CANCEL)
        return; /* conn_free cancelled it: the connection is gone */
    struct conn *c = arg;
    c->dns = NULL;
    c->dns_result = result;
    c->addrs = res;
    event_active(c->step, 0, 0);
}

static void start_request(struct conn *c)
{
    struct proxy *px = c->px;
    struct sbx_http_head *h = c->head;
    enum sbx_net_verdict v = sbx_net_policy_check_method(px->cfg->policy, h->method);
    if (v == SBX_NET_ALLOWED)
        v = sbx_net_policy_check_host(px->cfg->policy, h->host, h->port);
    if (v != SBX_NET_ALLOWED) {
        deny(c, h->host, h->port, v);
        return;
    }
    event_del(c->deadline);
    bufferevent_disable(c->client, EV_READ);
    c->state = RESOLVING;
    char name[sizeof(h->host)];
    size_t len = strlen(h->host);
    if (h->host[0] == '[') { /* an IPv6 literal: the resolver wants it bare */
        memcpy(name, h->host + 1, len - 2);
        name[len - 2] = '\0';
    } else {
        memcpy(name, h->host, len + 1);
    }
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                    .ai_protocol = IPPROTO_TCP};
    /* The callback may run before this returns (a literal, the hosts
     * file): it only records the result and activates c->step. */
    c->dns = evdns_getaddrinfo(px->dns, name, NULL, &hints, on_resolved, c);
}

static void on_client_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    switch (c->state) {
    case READING_HEAD: {
        size_t len = evbuffer_get_length(in);
        if (len > SBX_HTTP_HEAD_MAX)
            len = SBX_HTTP_HEAD_MAX;
        const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
        if (!c->head && !(c->head = malloc(sizeof(*c->head)))) {
            respond(c, 503, "Service Unavailable", "out of memory");
            return;
        }
        int rc = sbx_http_head_parse(data, len, c->head);
        if (rc == 0)
            return;
        if (rc < 0) {
            respond(c, -rc, -rc == 411 ? "Length Required" : -rc == 431
                    ? "Request Header Fields Too Large" : -rc == 414 ? "URI Too Long"
                    : "Bad Request", c->head->why);
            return;
        }
        evbuffer_drain(in, (size_t)rc);
        start_request(c);
        return;
    }
    case FORWARDING:
        forward_body(c);
        return;
    case TUNNEL:
        c->stat->bytes_up += relay(c, c->client, c->origin, 0);
        return;
    default:
        return; /* nothing is read from the client in the other states */
    }
}

static void on_origin_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    c->stat->bytes_down += relay(c, c->origin, c->client, 0);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (bev == c->origin && c->state == CONNECTING) {
        if (what & BEV_EVENT_CONNECTED)
            on_connected(c);
        else
            connect_next(c);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        /* A read timed out on one side; the connection is idle only if
         * nothing moved either way for the whole limit. */
        if (time(NULL) - c->last_active < c->px->idle_tv.tv_sec) {
            if (!(bev == c->client && c->state == FORWARDING && c->body_left == 0))
                bufferevent_enable(bev, EV_READ);
            return;
        }
        conn_finish(c);
        return;
    }
    if (bev == c->origin) {
        /* The origin is done: what it sent goes to the client, then close. */
        c->stat->bytes_down += relay(c, c->origin, c->client, 0);
        conn_finish(c);
        return;
    }
    /* The client is done: a tunnel passes the rest on, then closes. */
    if (c->state == TUNNEL && c->origin) {
        c->stat->bytes_up += relay(c, c->client, c->origin, 0);
        bufferevent_free(c->client);
        c->client = NULL;
        bufferevent_disable(c->origin, EV_READ);
        if (evbuffer_get_length(bufferevent_get_output(c->origin)) == 0) {
            conn_free(c);
            return;
        }
        bufferevent_setwatermark(c->origin, EV_WRITE, 0, 0);
        bufferevent_setcb(c->origin, NULL, close_when_flushed, NULL, c);
        return;
    }
    conn_free(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct conn *c = arg;
    if (c->state == READING_HEAD)
        respond(c, 408, "Request Timeout", "the request head took too long");
    else if (c->state == CONNECTING)
        connect_next(c);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    struct proxy *px = arg;
    if (px->n_clients >= px->cfg->max_clients) {
        evutil_closesocket(fd);
        return;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    c->px = px;
    c->next = px->conns;
    c->pprev = &px->conns;
    if (px->conns)
        px->conns->pprev = &c->next;
    px->conns = c;
    px->n_clients++;
    c->last_active = time(NULL);
    c->client = bufferevent_socket_new(px->base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->deadline = evtimer_new(px->base, on_deadline, c);
    c->step = event_new(px->base, -1, 0, on_step, c);
    if (!c->client || !c->deadline || !c->step) {
        if (!c->client)
            evutil_closesocket(fd);
        conn_free(c);
        return;
    }
    bufferevent_setcb(c->client, on_client_read, on_drained, on_event, c);
    bufferevent_setwatermark(c->client, EV_READ, 0, SBX_HTTP_HEAD_MAX);
    bufferevent_enable(c->client, EV_READ);
    event_add(c->deadline, &px->head_tv);
}

static void on_resume_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct proxy *px = arg;
    evconnlistener_enable(px->listener);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS): pause for a moment rather
 * than spin on a socket that stays readable. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    struct proxy *px = arg;
    struct timeval pause = {0, 200000};
    evconnlistener_disable(l);
    event_add(px->resume_accept, &pause);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct proxy *px = arg;
    if (fd == px->cfg->parent_fd) {
        char buf[64];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
            return;
    }
    event_base_loopbreak(px->base);
}

static int make_resolver(struct proxy *px, struct sbx_error *err)
{
    const char *hosts = px->cfg->hosts_file;
    px->dns = evdns_base_new(px->base, hosts ? 0 : EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!px->dns)
        return sbx_err_set(err, SBX_EIO,
                           "the proxy's resolver could not start (no name server in "
                           "/etc/resolv.conf?)");
    if (hosts && evdns_base_load_hosts(px->dns, hosts) != 0)
        return sbx_err_set(err, SBX_EIO, "the proxy's test hosts file %s could not be read",
                           hosts);
    return 0;
}

int sbx_netproxy_run(const struct sbx_netproxy_config *cfg, struct sbx_error *err)
{
    struct sbx_netproxy_config eff = *cfg;
    if (!eff.max_clients)
        eff.max_clients = 1024;
    struct proxy px = {.cfg = &eff};
    px.head_tv.tv_sec = eff.head_timeout_sec ? eff.head_timeout_sec : 15;
    px.connect_tv.tv_sec = eff.connect_timeout_sec ? eff.connect_timeout_sec : 15;
    px.idle_tv.tv_sec = eff.idle_timeout_sec ? eff.idle_timeout_sec : 300;
    struct event *stops[3] = {NULL, NULL, NULL};
    int rc = 0;
    signal(SIGPIPE, SIG_IGN);
    px.base = event_base_new();
    px.stats = proxy_stats_new(eff.denials);
    if (!px.base || !px.stats) {
        rc = sbx_err_set(err, SBX_ENOMEM, "the proxy's event loop could not start");
        goto out;
    }
    rc = make_resolver(&px, err);
    if (rc < 0)
        goto out;
    evutil_make_socket_nonblocking(eff.listen_fd);
    px.listener = evconnlistener_new(px.base, on_accept, &px, LEV_OPT_CLOSE_ON_FREE, -1,
                                     eff.listen_fd);
    px.resume_accept = evtimer_new(px.base, on_resume_accept, &px);
    stops[0] = evsignal_new(px.base, SIGTERM, on_stop, &px);
    /* Started by sbx (a parent descriptor), only that and SIGTERM stop it. */
    stops[1] = eff.parent_fd < 0 ? evsignal_new(px.base, SIGINT, on_stop, &px) : NULL;
    if (eff.parent_fd >= 0)
        stops[2] = event_new(px.base, eff.parent_fd, EV_READ | EV_PERSIST, on_stop, &px);
    if (!px.listener || !px.resume_accept || !stops[0] || (eff.parent_fd < 0 && !stops[1]) ||
        (eff.parent_fd >= 0 && !stops[2])) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "the proxy could not listen on descriptor %d",
                         eff.listen_fd);
        goto out;
    }
    evconnlistener_set_error_cb(px.listener, on_accept_error);
    for (size_t i = 0; i < 3; i++)
        if (stops[i])
            event_add(stops[i], NULL);
    if (event_base_dispatch(px.base) < 0)
        rc = sbx_err_set(err, SBX_EIO, "the proxy's event loop failed");
    if (eff.summary_fd >= 0 && proxy_stats_write(px.stats, eff.summary_fd) < 0 && rc == 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "writing the proxy's summary");
out:
    while (px.conns)
        conn_free(px.conns);
    for (size_t i = 0; i < 3; i++)
        if (stops[i])
            event_free(stops[i]);
    if (px.resume_accept)
        event_free(px.resume_accept);
    if (px.listener)
        evconnlistener_free(px.listener);
    if (px.dns)
        evdns_base_free(px.dns, 1);
    if (px.base)
        event_base_free(px.base);
    proxy_stats_free(px.stats);
    return rc;
}
