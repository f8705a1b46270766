/* SPDX-License-Identifier: MIT */
/* An interactive session through `sbx run` at a terminal: the test is the
 * terminal (a pty it opens), sbx relays to a pty of the sandbox's own.
 * No sleeps: every step waits for the output that shows the one before
 * happened (a deadline only bounds the wait).
 * Usage: run_tty SBX. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/integration/run_common.h"

struct ctx {
    const char *sbx;
    char ws[256];
};

struct session {
    int master;
    int slave;      /* the test's own descriptor of the terminal: see start() */
    pid_t pid;
    int pidfd;      /* readable once sbx has exited */
    char slave_path[128];
    char seen[16384];
    size_t used;
};

static void start(struct ctx *c, struct session *s, char *const cmd[])
{
    memset(s, 0, sizeof *s);
    s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(s->master >= 0);
    assert_int_equal(grantpt(s->master), 0);
    assert_int_equal(unlockpt(s->master), 0);
    assert_int_equal(ptsname_r(s->master, s->slave_path, sizeof s->slave_path), 0);
    /* The test keeps the terminal open itself: the master never hangs up
     * (not before sbx has opened it, not after sbx has closed it), so
     * reading waits for output only, and sbx's end is seen on its pidfd;
     * the terminal's modes can be read at any time. */
    s->slave = open(s->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(s->slave >= 0);
    struct winsize ws = {.ws_row = 33, .ws_col = 99};
    assert_int_equal(ioctl(s->master, TIOCSWINSZ, &ws), 0);
    char *argv[16] = {(char *)c->sbx, "run", "--workspace", c->ws, "--"};
    int n = 5;
    for (int i = 0; cmd[i] && n < 15; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        setsid();
        int fd = open(s->slave_path, O_RDWR);
        if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
            _exit(120);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (chdir(c->ws) < 0)
            _exit(121);
        setenv("PS1", "$ ", 1);
        execvp(argv[0], argv);
        _exit(122);
    }
    s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
    assert_true(s->pidfd >= 0);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what the terminal has to s->seen (keeping the newest when full). */
static void take_output(struct session *s)
{
    if (s->used > sizeof s->seen / 2 && s->used + 1024 >= sizeof s->seen) {
        size_t drop = s->used - sizeof s->seen / 4;
        memmove(s->seen, s->seen + drop, s->used - drop);
        s->used -= drop;
    }
    ssize_t n = read(s->master, s->seen + s->used, sizeof s->seen - 1 - s->used);
    if (n > 0) {
        s->used += (size_t)n;
        s->seen[s->used] = '\0';
    }
}

/* Wait for `want` in the output: true when it came, false when ms passed
 * first (the deadline is only a bound: the wait ends as soon as it
 * comes). */
static bool expect(struct session *s, const char *want, int ms)
{
    long long end = now_ms() + ms;
    for (;;) {
        if (strstr(s->seen, want))
            return true;
        long long left = end - now_ms();
        if (left <= 0)
            return false;
        struct pollfd pf = {.fd = s->master, .events = POLLIN};
        int r = poll(&pf, 1, (int)left);
        if (r < 0 && errno != EINTR)
            return false;
        if (r > 0 && (pf.revents & POLLIN))
            take_output(s);
        else if (r > 0)
            return strstr(s->seen, want) != NULL; /* POLLHUP / POLLERR */
    }
}

static void type(struct session *s, const char *text)
{
    assert_int_equal(write(s->master, text, strlen(text)), (ssize_t)strlen(text));
}

/* Wait (at most ms) for sbx to exit, taking its output meanwhile: its exit
 * status, or -1 when it had to be killed. */
static int finish(struct session *s, int ms)
{
    int st = 0;
    long long end = now_ms() + ms;
    bool exited = false;
    while (!exited) {
        long long left = end - now_ms();
        if (left <= 0)
            break;
        struct pollfd pf[2] = {{.fd = s->master, .events = POLLIN},
                               {.fd = s->pidfd, .events = POLLIN}};
        if (poll(pf, 2, (int)left) < 0 && errno != EINTR)
            break;
        if (pf[0].revents & POLLIN)
            take_output(s);
        if (pf[1].revents & POLLIN)
            exited = waitpid(s->pid, &st, 0) == s->pid;
    }
    if (!exited) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &st, 0);
    }
    /* What sbx wrote before it exited is still in the terminal. */
    struct pollfd pf = {.fd = s->master, .events = POLLIN};
    while (poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN) && s->used + 1 < sizeof s->seen) {
        size_t before = s->used;
        take_output(s);
        if (s->used == before)
            break;
    }
    close(s->pidfd);
    if (!exited)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void end_session(struct session *s)
{
    close(s->slave);
    close(s->master);
}

static void test_interactive_shell(void **state)
{
    struct ctx *c = *state;
    struct session s;
    char *cmd[] = {"sh", "-i", NULL};
    start(c, &s, cmd);
    assert_true(expect(&s, "$ ", 10000));
    /* a terminal of its own, in the sandbox's devpts, with our size */
    type(&s, "tty; stty size; echo \"sum=$((6*7))\"\n");
    if (!expect(&s, "sum=42", 10000))
        fail_msg("no answer from the shell: %s", s.seen);
    assert_non_null(strstr(s.seen, "/dev/pts/0"));
    assert_non_null(strstr(s.seen, "33 99"));
    /* ^C reaches the command in the foreground through the pty, and the
     * shell survives it.  The command says when it runs ("waiting", which
     * the echo of the typed line does not contain), reads a line and
     * answers it: from then on it is in the foreground, and only ^C can
     * end it before its 30 s sleep does. */
    type(&s, "sh -c 'echo wait\"\"ing; read line; echo \"got-$line\"; exec sleep 30'\n");
    if (!expect(&s, "waiting", 10000))
        fail_msg("the command did not start: %s", s.seen);
    type(&s, "x\n");
    if (!expect(&s, "got-x", 10000))
        fail_msg("the command did not read its line: %s", s.seen);
    type(&s, "\x03");
    /* 130: the command died of SIGINT */
    type(&s, "echo \"status=$?\"\n");
    if (!expect(&s, "status=130", 10000))
        fail_msg("^C did not interrupt the command: %s", s.seen);
    type(&s, "exit 5\n");
    assert_int_equal(finish(&s, 10000), 5);
    end_session(&s);
}

static void test_terminal_restored(void **state)
{
    struct ctx *c = *state;
    struct session s;
    char *cmd[] = {"sh", "-c", "echo started; read line; exit 0", NULL};
    start(c, &s, cmd);
    assert_true(expect(&s, "started", 10000));
    /* While the command runs, sbx has our terminal in raw mode (it set it
     * before relaying the first output) ... */
    struct termios t;
    assert_int_equal(tcgetattr(s.slave, &t), 0);
    if (t.c_lflag & (ICANON | ECHO))
        fail_msg("sbx left the terminal in canonical mode while the command ran");
    type(&s, "\n");
    assert_int_equal(finish(&s, 10000), 0);
    /* ... and put it back when it ended.  (Its session ended with it, and
     * with the session our descriptor: the terminal is opened again.) */
    int fd = open(s.slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(tcgetattr(fd, &t), 0);
    close(fd);
    assert_true(t.c_lflag & ICANON);
    assert_true(t.c_lflag & ECHO);
    end_session(&s);
}

static void test_no_tiocsti_on_callers_terminal(void **state)
{
    struct ctx *c = *state;
    struct session s;
    /* TIOCSTI needs the terminal to be the caller's controlling one: the
     * command must be in a session of its own, not in the one of the
     * sandbox's init (which is the caller's: pid 1 shows it as 0). */
    char *cmd[] = {"sh", "-c",
                   "if [ \"$(cut -d' ' -f6 /proc/self/stat)\" = \"$(cut -d' ' -f6 /proc/1/stat)\" ]; "
                   "then echo same-session; else echo own-session; fi", NULL};
    start(c, &s, cmd);
    assert_int_equal(finish(&s, 10000), 0);
    assert_non_null(strstr(s.seen, "own-session"));
    end_session(&s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: run_tty SBX\n");
        return 2;
    }
    const char *why = run_missing_feature();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    struct ctx c = {.sbx = argv[1]};
    char state[256];
    run_private_state(state, sizeof state);
    run_mkdtemp("tty", c.ws, sizeof c.ws);
    if (!c.ws[0] || !state[0])
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_interactive_shell, &c),
        cmocka_unit_test_prestate(test_terminal_restored, &c),
        cmocka_unit_test_prestate(test_no_tiocsti_on_callers_terminal, &c),
    };
    int failures = cmocka_run_group_tests_name("run_tty", tests, NULL, NULL);
    run_rmrf(c.ws);
    run_rmrf(state);
    return failures ? 1 : 0;
}
