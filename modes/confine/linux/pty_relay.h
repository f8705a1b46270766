/* SPDX-License-Identifier: MIT */
/* The pseudo-terminal between the caller's terminal and an interactive
 * command: the command gets a terminal of its own (its controlling tty, in
 * its own session), so TIOCSTI and job control act on that pty and never on
 * the caller's terminal; sbx copies bytes both ways and the window size. */
#ifndef SBX_MODES_CONFINE_LINUX_PTY_RELAY_H
#define SBX_MODES_CONFINE_LINUX_PTY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "util/error.h"

#define SBX_PTY_BUF 4096

struct sbx_pty {
    int master;          /* sbx's side, non-blocking */
    /* The caller's terminal: in_fd is read for keystrokes (0 when stdin
     * is a terminal, else -1: nothing is typed into the pty); out_fd gets
     * what the command writes to its terminal (1, else 2, else 0: the
     * terminal the caller sees); term_fd is where the window size comes
     * from (the first terminal among 0-2). */
    int in_fd, out_fd, term_fd;
    bool raw;            /* the caller's terminal (in_fd) is in raw mode */
    struct termios saved;
    /* caller's stdin -> master, buffered so a command that doesn't read
     * can't block the relay of its output */
    char in[SBX_PTY_BUF];
    size_t in_len;
    bool stdin_eof;
    bool master_eof;     /* the command side is gone (EIO/EOF) */
};

/* Which of the caller's fds 0-2 the run's pty serves: bit i for fd i, 0
 * for none (no pty at all); the others are pipes (stdio_relay.h).  Those
 * that are terminals -- but stdin only while sbx is in its terminal's
 * foreground process group: `sbx run ... &` that read the terminal or put
 * it in raw mode would be stopped (SIGTTIN, SIGTTOU).  Such a background
 * run's stdin is empty instead (*stdin_empty), where reading the terminal
 * directly would have stopped the command. */
unsigned sbx_pty_ttys(bool *stdin_empty);

/* The caller's terminal settings and window size, taken by sbx from the
 * first terminal among fds 0-2 (the sandbox's init holds none of the
 * caller's descriptors to look at). */
struct sbx_pty_term {
    bool have_termios, have_winsize;
    struct termios termios;
    struct winsize winsize;
};
void sbx_pty_term_get(unsigned ttys, struct sbx_pty_term *t);

/* Open a pty whose termios and window size copy term: inside the sandbox
 * (after its private devpts is mounted, so the command sees its terminal
 * as /dev/pts/N and ttyname() works), or in sbx for the elevated mode.
 * Both fds are close-on-exec and above 2 (fds 0-2 may be free slots then,
 * which the command's stdio fills later). */
int sbx_pty_create(const struct sbx_pty_term *term, int *master, int *slave,
                   struct sbx_error *err);

/* Pass the master from the sandbox to sbx over a unix socketpair. */
int sbx_pty_send_master(int sock, int master, struct sbx_error *err);
/* Receive it: *master = -1 when the sandbox closed the socket first (it
 * failed and reported why on its report pipe). */
int sbx_pty_recv_master(int sock, int *master, struct sbx_error *err);

/* Start relaying through master (made non-blocking) for the caller's
 * terminals ttys (sbx_pty_ttys, not 0). */
int sbx_pty_init(struct sbx_pty *p, int master, unsigned ttys, struct sbx_error *err);

/* Put the caller's terminal in raw mode when stdin is one (restored by
 * sbx_pty_close): keys like ^C and ^Z go to the command's pty, which turns
 * them into signals for the command.  Without a terminal as stdin nothing
 * is typed into the pty, and ^C at the caller's terminal reaches sbx,
 * which passes SIGINT on. */
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
