/* SPDX-License-Identifier: MIT */
/* Helpers of the Linux driver: the shadow tools, database lookups, the
 * markers, SHA-256 (FIPS 180-4; small enough not to need a crypto
 * library for change detection of two installed files). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "util/cleanup.h"
#include "util/limits.h"

/* Why the tools rather than editing /etc/passwd ourselves: they take the
 * shadow locks every other administration tool honours, keep passwd,
 * shadow, group and gshadow consistent, and run the distribution's hooks
 * (nscd/sssd cache invalidation).  A clean environment keeps the caller's
 * settings (LD_*, a PATH of its own, locale files) out of a root process. */
int sbx_drv_tool(const char *const argv[], struct sbx_error *err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe for %s", argv[0]);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return sbx_err_sys(err, SBX_EIO, e, "fork for %s", argv[0]);
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pipefd[1], 1) < 0 ||
            dup2(pipefd[1], 2) < 0)
            _exit(127);
        close_range(3, ~0U, 0);
        static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
        execve(argv[0], (char *const *)argv, envp);
        _exit(127);
    }
    close(pipefd[1]);
    char out[512];
    size_t len = 0;
    for (;;) {
        char tmp[256];
        ssize_t n = read(pipefd[0], tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n < sizeof out - 1 - len ? (size_t)n : sizeof out - 1 - len;
        memcpy(out + len, tmp, take);
        len += take;
    }
    out[len] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return sbx_err_sys(err, SBX_EIO, errno, "wait for %s", argv[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    out[strcspn(out, "\n")] = '\0';
    char cmd[256] = "";
    for (size_t i = 0, off = 0; argv[i] && off < sizeof cmd - 1; i++)
        off += (size_t)snprintf(cmd + off, sizeof cmd - off, "%s%s", i ? " " : "", argv[i]);
    return sbx_err_set(err, SBX_EIO, "`%s` failed (%s %d)%s%s", cmd,
                       WIFEXITED(status) ? "exit status" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                       out[0] ? ": " : "", out);
}

int sbx_drv_parse_id(const char *s, unsigned *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -SBX_EINVAL;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v >= 0xffffffffUL)
        return -SBX_EINVAL;
    *out = (unsigned)v;
    return 0;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    if (dst && len)
        snprintf(dst, len, "%s", src ? src : "");
}

int sbx_drv_user_by_name(const char *name, uid_t *uid, gid_t *gid, char *gecos, size_t gecos_len,
                         char *home, size_t home_len)
{
    char buf[SBX_PWENT_BUF_MAX];
    struct passwd pw, *res = NULL;
    if (getpwnam_r(name, &pw, buf, sizeof buf, &res) != 0 || !res)
        return -SBX_ENOENT;
    if (uid)
        *uid = pw.pw_uid;
    if (gid)
        *gid = pw.pw_gid;
    copy_str(gecos, gecos_len, pw.pw_gecos);
    copy_str(home, home_len, pw.pw_dir);
    return 0;
}

int sbx_drv_user_by_uid(uid_t uid, char *name, size_t name_len, char *gecos, size_t gecos_len)
{
    char buf[SBX_PWENT_BUF_MAX];
    struct passwd pw, *res = NULL;
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res)
        return -SBX_ENOENT;
    copy_str(name, name_len, pw.pw_name);
    copy_str(gecos, gecos_len, pw.pw_gecos);
    return 0;
}

int sbx_drv_group_by_name(const char *name, gid_t *gid)
{
    char buf[SBX_GRENT_BUF_MAX];
    struct group gr, *res = NULL;
    if (getgrnam_r(name, &gr, buf, sizeof buf, &res) != 0 || !res)
        return -SBX_ENOENT;
    *gid = gr.gr_gid;
    return 0;
}

int sbx_drv_group_by_gid(gid_t gid, char *name, size_t name_len)
{
    char buf[SBX_GRENT_BUF_MAX];
    struct group gr, *res = NULL;
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) != 0 || !res)
        return -SBX_ENOENT;
    copy_str(name, name_len, gr.gr_name);
    return 0;
}

int sbx_drv_group_has_member(gid_t gid, const char *name, bool *out)
{
    char buf[SBX_GRENT_MEMBERS_BUF_MAX];
    struct group gr, *res = NULL;
    *out = false;
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) != 0 || !res)
        return -SBX_ENOENT;
    for (char **m = gr.gr_mem; m && *m; m++)
        if (strcmp(*m, name) == 0)
            *out = true;
    return 0;
}

bool sbx_drv_gecos_marked(const char *gecos)
{
    return gecos && strncmp(gecos, SBX_MARKER, strlen(SBX_MARKER)) == 0;
}

bool sbx_drv_group_name_marked(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && strncmp(name, "sbx", 3) == 0 && strcmp(name + n - 5, "users") == 0;
}

/* --- SHA-256 ------------------------------------------------------------ */

struct sha256 {
    uint32_t h[8];
    uint8_t block[64];
    size_t used;
    uint64_t total;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(struct sha256 *s, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5],
             g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memset(s, 0, sizeof *s);
    memcpy(s->h, iv, sizeof iv);
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->total += len;
    while (len) {
        size_t take = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used == 64) {
            sha_block(s, s->block);
            s->used = 0;
        }
    }
}

static void sha_final_hex(struct sha256 *s, char out[65])
{
    uint64_t bits = s->total * 8;
    uint8_t pad = 0x80, zero = 0;
    sha_update(s, &pad, 1);
    while (s->used != 56)
        sha_update(s, &zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, len, 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

void sbx_drv_sha256_hex(const void *data, size_t len, char out[65])
{
    struct sha256 s;
    sha_init(&s);
    sha_update(&s, data, len);
    sha_final_hex(&s, out);
}

int sbx_drv_sha256_file(int fd, char out[65], struct sbx_error *err)
{
    struct sha256 s;
    sha_init(&s);
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "read for hashing");
        if (n == 0)
            break;
        sha_update(&s, buf, (size_t)n);
    }
    sha_final_hex(&s, out);
    return 0;
}

int sbx_drv_sha256_path(const char *path, char out[65], struct sbx_error *err)
{
    sbx_autofd int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_ENOENT, errno, "open %s", path);
    int rc = sbx_drv_sha256_file(fd, out, err);
    return rc ? sbx_err_wrap(err, "hashing %s", path) : 0;
}
