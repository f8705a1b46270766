/* SPDX-License-Identifier: MIT */
/* The Windows escape probe.  Each attempt (probe_fs.c, probe_sys.c) is run
 * once without the sandbox (--mode none: it must succeed there, which
 * proves it can detect an escape) and once inside `sbx run` (it must fail;
 * the positives must succeed).  run-escape.ps1 drives it.
 *
 *   sbx-escape-probe.exe --list                 one attempt name per line
 *   sbx-escape-probe.exe --self-check           the table: >= 50 forbidden
 *                                               attempts, names unique
 *   sbx-escape-probe.exe --prepare --workspace WS --outside DIR
 *                                               (re)create the fixtures
 *   sbx-escape-probe.exe --serve PORT           the caller's services the
 *                                               command must not reach: TCP
 *                                               on 127.0.0.1 and ::1, a UDP
 *                                               echo, a named pipe
 *   sbx-escape-probe.exe --mode none|unelevated|elevated --state DIR
 *       --workspace WS --outside DIR --caller-temp DIR --caller-profile DIR
 *       [--caller-pid N] [--serve-port N] [--only NAME,...]
 *
 * Output: one line per attempt: "blocked", "ESCAPE ", "ok     " (a
 * positive), "BROKEN " (a positive that failed), "can    " / "CANNOT "
 * (baseline), "n/a    " (network attempts in the unelevated mode, which
 * does not block the network on Windows).  Exit status: the number of
 * ESCAPE, BROKEN and CANNOT lines (0: all as expected); 125 on misuse. */
#include "probe.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct attempt *attempt_at(size_t i)
{
    return i < probe_fs_count ? &probe_fs_attempts[i] : &probe_sys_attempts[i - probe_fs_count];
}

static size_t attempt_count(void)
{
    return probe_fs_count + probe_sys_count;
}

static int self_check(void)
{
    size_t forbidden = 0;
    int bad = 0;
    for (size_t i = 0; i < attempt_count(); i++) {
        const struct attempt *a = attempt_at(i);
        forbidden += a->kind != POSITIVE;
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->name, attempt_at(j)->name) == 0) {
                printf("duplicate attempt name %s\n", a->name);
                bad++;
            }
    }
    printf("%lu attempts, %lu forbidden\n", (unsigned long)attempt_count(),
           (unsigned long)forbidden);
    if (forbidden < 50) {
        printf("fewer than 50 forbidden attempts\n");
        bad++;
    }
    return bad;
}

static int prepare(const char *ws, const char *outside)
{
    char p[MAX_PATH * 2];
    int bad = 0;
    const char *roots[] = {ws, outside};
    for (size_t i = 0; i < 2; i++)
        if (!CreateDirectoryA(roots[i], NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
            printf("cannot create %s (error %lu)\n", roots[i], GetLastError());
            return 1;
        }
    const char *dirs[][2] = {{outside, "emptydir"}, {outside, "sub"}, {ws, ".git"}};
    for (size_t i = 0; i < 3; i++) {
        probe_path(p, sizeof p, dirs[i][0], dirs[i][1]);
        CreateDirectoryA(p, NULL);
    }
    snprintf(p, sizeof p, "%s\\.git\\hooks", ws);
    CreateDirectoryA(p, NULL);
    const char *files[][3] = {
        {outside, "victim.txt", "victim\n"},
        {outside, "victim-del.txt", "victim\n"},
        {outside, "sub\\child.txt", "child\n"},
        {ws, ".git\\config", "[core]\n\trepositoryformatversion = 0\n"},
        {ws, ".git\\HEAD", "ref: refs/heads/main\n"},
        {ws, ".git\\victim-del", "victim\n"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        probe_path(p, sizeof p, files[i][0], files[i][1]);
        SetFileAttributesA(p, FILE_ATTRIBUTE_NORMAL);
        if (!probe_put(p, files[i][2])) {
            printf("cannot write the fixture %s (error %lu)\n", p, GetLastError());
            bad++;
        }
    }
    return bad;
}

/* --- --serve --------------------------------------------------------------- */

static DWORD WINAPI serve_tcp(void *arg)
{
    SOCKET l = (SOCKET)(uintptr_t)arg;
    for (;;) {
        SOCKET c = accept(l, NULL, NULL);
        if (c == INVALID_SOCKET)
            return 0;
        closesocket(c);
    }
}

static DWORD WINAPI serve_udp(void *arg)
{
    SOCKET s = (SOCKET)(uintptr_t)arg;
    char buf[512];
    struct sockaddr_storage from;
    for (;;) {
        int fl = sizeof from;
        int n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n == SOCKET_ERROR)
            return 0;
        sendto(s, buf, n, 0, (struct sockaddr *)&from, fl);
    }
}

static SOCKET bound(int family, int type, int port)
{
    SOCKET s = socket(family, type, 0);
    if (s == INVALID_SOCKET)
        return s;
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    int len;
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&a;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((u_short)port);
        inet_pton(AF_INET, "127.0.0.1", &v4->sin_addr);
        len = sizeof *v4;
    } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((u_short)port);
        inet_pton(AF_INET6, "::1", &v6->sin6_addr);
        len = sizeof *v6;
    }
    if (bind(s, (struct sockaddr *)&a, len) != 0 || (type == SOCK_STREAM && listen(s, 16) != 0)) {
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static int serve(int port)
{
    WSADATA d;
    if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
        return 125;
    SOCKET t4 = bound(AF_INET, SOCK_STREAM, port), t6 = bound(AF_INET6, SOCK_STREAM, port),
           u4 = bound(AF_INET, SOCK_DGRAM, port);
    if (t4 == INVALID_SOCKET || t6 == INVALID_SOCKET || u4 == INVALID_SOCKET) {
        fprintf(stderr, "sbx-escape-probe: cannot listen on port %d (error %d)\n", port,
                WSAGetLastError());
        return 125;
    }
    CreateThread(NULL, 0, serve_tcp, (void *)(uintptr_t)t4, 0, NULL);
    CreateThread(NULL, 0, serve_tcp, (void *)(uintptr_t)t6, 0, NULL);
    CreateThread(NULL, 0, serve_udp, (void *)(uintptr_t)u4, 0, NULL);
    char name[128];
    snprintf(name, sizeof name, "\\\\.\\pipe\\sbx-probe-serve-%d", port);
    printf("serving on port %d and %s\n", port, name);
    fflush(stdout);
    for (;;) {
        /* the default DACL: the caller's, as any of its programs would */
        HANDLE h = CreateNamedPipeA(name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 512, 512, 0, NULL);
        if (h == INVALID_HANDLE_VALUE)
            return 125;
        if (ConnectNamedPipe(h, NULL) || GetLastError() == ERROR_PIPE_CONNECTED) {
            char buf[64];
            DWORD n;
            ReadFile(h, buf, sizeof buf, &n, NULL);
        }
        DisconnectNamedPipe(h);
        CloseHandle(h);
    }
}

/* --- the run ------------------------------------------------------------------ */

static bool listed(const char *only, const char *name)
{
    if (!only)
        return true;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)) != NULL; p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static int run(struct probe *pr, const char *mode, const char *only)
{
    bool baseline = strcmp(mode, "none") == 0, offline = strcmp(mode, "elevated") == 0;
    int failures = 0, shown = 0;
    for (size_t i = 0; i < attempt_count(); i++) {
        const struct attempt *a = attempt_at(i);
        if (!listed(only, a->name))
            continue;
        shown++;
        if (a->kind == NETWORK && !baseline && !offline) {
            printf("n/a     %s (the unelevated mode does not block the network)\n", a->name);
            continue;
        }
        pr->why[0] = '\0';
        bool done = a->run(pr);
        const char *tag;
        bool bad;
        if (baseline) {
            tag = done ? "can    " : "CANNOT ";
            bad = !done;
        } else if (a->kind == POSITIVE) {
            tag = done ? "ok     " : "BROKEN ";
            bad = !done;
        } else {
            tag = done ? "ESCAPE " : "blocked";
            bad = done;
        }
        printf("%s %s%s%s\n", tag, a->name, bad && pr->why[0] ? ": " : "",
               bad && pr->why[0] ? pr->why : "");
        fflush(stdout);
        failures += bad;
    }
    if (!shown) {
        printf("no attempt named %s\n", only ? only : "");
        return 125;
    }
    printf("%d unexpected result(s) in mode %s\n", failures, mode);
    return failures;
}

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

/* A path option as a full Windows path (relative paths and forward
 * slashes would not survive the \\?\ and \\.\ spellings). */
static const char *path_opt(int argc, char **argv, const char *name)
{
    const char *v = opt(argc, argv, name);
    if (!v)
        return NULL;
    char full[MAX_PATH * 2];
    DWORD n = GetFullPathNameA(v, sizeof full, full, NULL);
    if (n == 0 || n >= sizeof full)
        return v;
    size_t l = strlen(full);
    while (l > 3 && full[l - 1] == '\\')
        full[--l] = '\0';
    return _strdup(full);
}

static bool flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (flag(argc, argv, "--list")) {
        for (size_t i = 0; i < attempt_count(); i++)
            printf("%s\n", attempt_at(i)->name);
        return 0;
    }
    if (flag(argc, argv, "--self-check"))
        return self_check();
    if (opt(argc, argv, "--serve"))
        return serve(atoi(opt(argc, argv, "--serve")));
    struct probe pr;
    memset(&pr, 0, sizeof pr);
    pr.ws = path_opt(argc, argv, "--workspace");
    pr.outside = path_opt(argc, argv, "--outside");
    if (flag(argc, argv, "--prepare")) {
        if (!pr.ws || !pr.outside) {
            fprintf(stderr, "--prepare needs --workspace and --outside\n");
            return 125;
        }
        return prepare(pr.ws, pr.outside);
    }
    const char *mode = opt(argc, argv, "--mode");
    pr.state = path_opt(argc, argv, "--state");
    pr.caller_temp = path_opt(argc, argv, "--caller-temp");
    pr.caller_profile = path_opt(argc, argv, "--caller-profile");
    const char *pid = opt(argc, argv, "--caller-pid"), *port = opt(argc, argv, "--serve-port");
    pr.caller_pid = pid ? strtoul(pid, NULL, 10) : 0;
    pr.port = port ? atoi(port) : 0;
    if (!mode || (strcmp(mode, "none") && strcmp(mode, "unelevated") && strcmp(mode, "elevated")) ||
        !pr.ws || !pr.outside || !pr.state || !pr.caller_temp || !pr.caller_profile) {
        fprintf(stderr,
                "usage: %s --mode none|unelevated|elevated --state DIR --workspace WS "
                "--outside DIR --caller-temp DIR --caller-profile DIR [--caller-pid N] "
                "[--serve-port N] [--only NAME,...]\n"
                "       %s --list | --self-check | --prepare --workspace WS --outside DIR | "
                "--serve PORT\n",
                argv[0], argv[0]);
        return 125;
    }
    return run(&pr, mode, opt(argc, argv, "--only"));
}
