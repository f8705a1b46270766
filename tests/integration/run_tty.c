/* An interactive session through `sbx run` at a terminal: the test is the
 * terminal (a pty it opens), sbx relays to a pty of the sandbox's own.
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
    pid_t pid;
    char slave[128];
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
    assert_int_equal(ptsname_r(s->master, s->slave, sizeof s->slave), 0);
    struct winsize ws = {.ws_row = 33, .ws_col = 99};
    ioctl(s->master, TIOCSWINSZ, &ws);
    char *argv[16] = {(char *)c->sbx, "run", "--workspace", c->ws, "--"};
    int n = 5;
    for (int i = 0; cmd[i] && n < 15; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        setsid();
        int fd = open(s->slave, O_RDWR);
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
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read until `want` shows up (true) or ms pass (false).  Wall-clock: once
 * the terminal hangs up, poll() returns at once every time. */
static bool expect(struct session *s, const char *want, int ms)
{
    long long end = now_ms() + ms;
    do {
        if (strstr(s->seen, want))
            return true;
        struct pollfd pf = {.fd = s->master, .events = POLLIN};
        if (poll(&pf, 1, 20) > 0 && (pf.revents & POLLIN)) {
            ssize_t n = read(s->master, s->seen + s->used, sizeof s->seen - 1 - s->used);
            if (n > 0) {
                s->used += (size_t)n;
                s->seen[s->used] = '\0';
                continue;
            }
        }
        usleep(5000);
    } while (now_ms() < end);
    return strstr(s->seen, want) != NULL;
}

static void type(struct session *s, const char *text)
{
    assert_int_equal(write(s->master, text, strlen(text)), (ssize_t)strlen(text));
}

static int finish(struct session *s, int ms)
{
    int st = 0;
    long long end = now_ms() + ms;
    while (now_ms() < end) {
        expect(s, "\x01never", 20); /* keep draining output */
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            close(s->master);
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    close(s->master);
    return -1;
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
    /* ^C reaches the command through the pty, the shell survives it */
    type(&s, "sleep 30; echo after-sleep\n");
    usleep(300 * 1000);
    type(&s, "\x03");
    type(&s, "echo interrupted-ok\n");
    if (!expect(&s, "interrupted-ok", 5000))
        fail_msg("^C did not interrupt sleep: %s", s.seen);
    type(&s, "exit 5\n");
    assert_int_equal(finish(&s, 10000), 5);
}

static void test_terminal_restored(void **state)
{
    struct ctx *c = *state;
    struct session s;
    char *cmd[] = {"sh", "-c", "echo started; sleep 0.3; exit 0", NULL};
    start(c, &s, cmd);
    assert_true(expect(&s, "started", 10000));
    assert_int_equal(finish(&s, 10000), 0);
    /* sbx put its terminal in raw mode; it must have put it back */
    int fd = open(s.slave, O_RDWR | O_NOCTTY);
    if (fd >= 0) {
        struct termios t;
        assert_int_equal(tcgetattr(fd, &t), 0);
        assert_true(t.c_lflag & ICANON);
        assert_true(t.c_lflag & ECHO);
        close(fd);
    }
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
    assert_true(expect(&s, "-session", 10000));
    assert_non_null(strstr(s.seen, "own-session"));
    assert_int_equal(finish(&s, 10000), 0);
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
    run_mkdtemp("tty", c.ws, sizeof c.ws);
    if (!c.ws[0])
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_interactive_shell, &c),
        cmocka_unit_test_prestate(test_terminal_restored, &c),
        cmocka_unit_test_prestate(test_no_tiocsti_on_callers_terminal, &c),
    };
    int failures = cmocka_run_group_tests_name("run_tty", tests, NULL, NULL);
    run_rmrf(c.ws);
    return failures ? 1 : 0;
}
