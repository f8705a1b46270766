/* SPDX-License-Identifier: MIT */
/* The Windows escape probe: run inside `sbx run`, it tries what a confined
 * command must not manage and counts what it managed.
 *
 *   sbx-escape-probe.exe WORKSPACE OUTSIDE [STATE_DIR] [--expect-offline]
 *
 * Exit status: 0 when confined (every forbidden action failed and the
 * workspace was writable), else the number of escapes (or 100 when the
 * workspace itself was not writable, i.e. the sandbox is broken the other
 * way).  One line per check on stdout. */
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int escapes;

static bool try_write(const char *dir, const char *leaf)
{
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path, "%s\\%s", dir, leaf);
    HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                           NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    DWORD n;
    WriteFile(h, "escape\n", 7, &n, NULL);
    CloseHandle(h);
    DeleteFileA(path);
    return true;
}

static void must_fail(bool managed, const char *what)
{
    printf("%s %s\n", managed ? "ESCAPE " : "blocked", what);
    if (managed)
        escapes++;
}

static bool try_connect(void)
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return false;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    bool ok = false;
    if (s != INVALID_SOCKET) {
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons(443);
        inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);
        ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
        closesocket(s);
    }
    WSACleanup();
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s WORKSPACE OUTSIDE [STATE_DIR] [--expect-offline]\n", argv[0]);
        return 125;
    }
    const char *ws = argv[1], *outside = argv[2];
    const char *state = argc > 3 && strcmp(argv[3], "--expect-offline") ? argv[3] : NULL;
    bool offline = strcmp(argv[argc - 1], "--expect-offline") == 0;

    if (!try_write(ws, "sbx-probe-inside.txt")) {
        printf("BROKEN  the workspace %s is not writable\n", ws);
        return 100;
    }
    printf("ok      write inside the workspace\n");
    must_fail(try_write(outside, "sbx-probe-outside.txt"), "write outside the workspace");
    char git[MAX_PATH * 2];
    snprintf(git, sizeof git, "%s\\.git", ws);
    if (GetFileAttributesA(git) != INVALID_FILE_ATTRIBUTES) {
        must_fail(try_write(git, "sbx-probe-hook"), "write into .git");
        char renamed[MAX_PATH * 2];
        snprintf(renamed, sizeof renamed, "%s\\.git-moved", ws);
        bool moved = MoveFileA(git, renamed);
        if (moved)
            MoveFileA(renamed, git);
        must_fail(moved, "rename .git");
    }
    if (state)
        must_fail(try_write(state, "sbx-probe-state.txt"), "write into sbx's state directory");
    char profile[MAX_PATH];
    if (GetEnvironmentVariableA("USERPROFILE", profile, MAX_PATH))
        must_fail(try_write(profile, "sbx-probe-profile.txt"), "write into the user profile");
    char windir[MAX_PATH];
    GetWindowsDirectoryA(windir, MAX_PATH);
    must_fail(try_write(windir, "sbx-probe-windows.txt"), "write into the Windows folder");
    if (offline)
        must_fail(try_connect(), "connect to 1.1.1.1:443");
    printf("%d escape(s)\n", escapes);
    return escapes;
}
