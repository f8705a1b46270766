/* The pseudo-terminal between the caller's terminal and an interactive
 * command: the command gets a terminal of its own (its controlling tty, in
 * its own session), so TIOCSTI and job control act on that pty and never on
 * the caller's terminal; sbx copies bytes both ways and the window size. */
#ifndef SBX_MODES_CONFINE_LINUX_PTY_RELAY_H
#define SBX_MODES_CONFINE_LINUX_PTY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "util/error.h"

#define SBX_PTY_BUF 4096

struct sbx_pty {
    int master;          /* sbx's side, non-blocking */
    bool raw;            /* the caller's terminal is in raw mode */
    struct termios saved;
    /* caller's stdin -> master, buffered so a command that doesn't read
     * can't block the relay of its output */
    char in[SBX_PTY_BUF];
    size_t in_len;
    bool stdin_eof;
    bool master_eof;     /* the command side is gone (EIO/EOF) */
};

/* Whether a pty is used: when stdin and stdout are both terminals. */
bool sbx_pty_wanted(void);

/* Inside the sandbox (after its private devpts is mounted, so the command
 * sees its terminal as /dev/pts/N and ttyname() works): open a pty whose
 * termios and window size copy the caller's terminal (stdin). */
int sbx_pty_create(int *master, int *slave, struct sbx_error *err);

/* Pass the master from the sandbox to sbx over a unix socketpair. */
int sbx_pty_send_master(int sock, int master, struct sbx_error *err);
/* Receive it: *master = -1 when the sandbox closed the socket first (it
 * failed and reported why on its report pipe). */
int sbx_pty_recv_master(int sock, int *master, struct sbx_error *err);

/* Start relaying through master (made non-blocking). */
int sbx_pty_init(struct sbx_pty *p, int master, struct sbx_error *err);

/* Put the caller's terminal in raw mode (restored by sbx_pty_close): keys
 * like ^C and ^Z go to the command's pty, which turns them into signals
 * for the command. */
int sbx_pty_make_raw(struct sbx_pty *p, struct sbx_error *err);

/* Copy the caller's window size to the pty (at start and on SIGWINCH). */
void sbx_pty_sync_winsize(struct sbx_pty *p);

/* One step of the relay: read what is ready on stdin / the master (per the
 * poll results) and write it on.  Returns 0 or a negative SBX_E* code. */
int sbx_pty_on_stdin(struct sbx_pty *p, struct sbx_error *err);
int sbx_pty_on_master_out(struct sbx_pty *p, struct sbx_error *err); /* POLLOUT: flush in[] */
int sbx_pty_on_master_in(struct sbx_pty *p, struct sbx_error *err);  /* POLLIN/HUP: output */

void sbx_pty_close(struct sbx_pty *p);

#endif
