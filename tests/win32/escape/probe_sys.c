/* SPDX-License-Identifier: MIT */
/* The probe's other attempts: registry, scheduled tasks, services, other
 * processes and their pipes, privileges, the desktop and clipboard, the
 * network (counted when the run is offline), and the positives: what must
 * work inside (writing the workspace and TEMP, git, a build). */
#include "probe.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <icmpapi.h>

#include <stdio.h>
#include <string.h>

/* --- registry --------------------------------------------------------------- */

static bool reg_key(HKEY root, const char *path)
{
    HKEY k;
    if (RegCreateKeyExA(root, path, 0, NULL, 0, KEY_WRITE, NULL, &k, NULL) != ERROR_SUCCESS)
        return false;
    RegCloseKey(k);
    RegDeleteKeyA(root, path);
    return true;
}

static bool reg_value(HKEY root, const char *path)
{
    HKEY k;
    if (RegOpenKeyExA(root, path, 0, KEY_SET_VALUE, &k) != ERROR_SUCCESS)
        return false;
    bool ok = RegSetValueExA(k, "sbx-probe", 0, REG_SZ, (const BYTE *)"cmd", 4) == ERROR_SUCCESS;
    if (ok)
        RegDeleteValueA(k, "sbx-probe");
    RegCloseKey(k);
    return ok;
}

#define RUN_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\Run"

static bool hkcu_key(struct probe *p) { (void)p; return reg_key(HKEY_CURRENT_USER, "Software\\sbx-probe"); }
static bool hkcu_run(struct probe *p) { (void)p; return reg_value(HKEY_CURRENT_USER, RUN_KEY); }
static bool hkcu_env(struct probe *p) { (void)p; return reg_value(HKEY_CURRENT_USER, "Environment"); }
static bool hklm_key(struct probe *p) { (void)p; return reg_key(HKEY_LOCAL_MACHINE, "Software\\sbx-probe"); }
static bool hklm_run(struct probe *p) { (void)p; return reg_value(HKEY_LOCAL_MACHINE, RUN_KEY); }

/* --- tasks, services, processes ----------------------------------------------- */

static bool run_quiet(const char *cmdline, DWORD *code)
{
    STARTUPINFOA si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    PROCESS_INFORMATION pi;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", cmdline);
    if (!CreateProcessA(NULL, buf, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi))
        return false;
    WaitForSingleObject(pi.hProcess, 60000);
    GetExitCodeProcess(pi.hProcess, code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return true;
}

static bool scheduled_task(struct probe *p)
{
    DWORD code = 1;
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "schtasks.exe /Create /F /TN sbx-probe-%lu /TR cmd.exe /SC ONCE /ST 23:59",
             GetCurrentProcessId());
    if (!run_quiet(cmd, &code)) {
        snprintf(p->why, sizeof p->why, "schtasks.exe did not start");
        return false;
    }
    if (code != 0)
        return false;
    snprintf(cmd, sizeof cmd, "schtasks.exe /Delete /F /TN sbx-probe-%lu", GetCurrentProcessId());
    run_quiet(cmd, &code);
    return true;
}

static bool service_create(struct probe *p)
{
    (void)p;
    SC_HANDLE m = OpenSCManagerA(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
    if (!m)
        return false;
    char name[64];
    snprintf(name, sizeof name, "sbx-probe-%lu", GetCurrentProcessId());
    SC_HANDLE s = CreateServiceA(m, name, name, DELETE, SERVICE_WIN32_OWN_PROCESS,
                                 SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE,
                                 "C:\\Windows\\System32\\cmd.exe", NULL, NULL, NULL, NULL, NULL);
    if (s) {
        DeleteService(s);
        CloseServiceHandle(s);
    }
    CloseServiceHandle(m);
    return s != NULL;
}

static bool service_manager_all(struct probe *p)
{
    (void)p;
    SC_HANDLE m = OpenSCManagerA(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (m)
        CloseServiceHandle(m);
    return m != NULL;
}

static bool open_caller(struct probe *p, DWORD access)
{
    if (!p->caller_pid) {
        snprintf(p->why, sizeof p->why, "no --caller-pid");
        return false;
    }
    HANDLE h = OpenProcess(access, FALSE, p->caller_pid);
    if (h)
        CloseHandle(h);
    return h != NULL;
}

static bool process_write_caller(struct probe *p)
{
    return open_caller(p, PROCESS_VM_WRITE | PROCESS_VM_OPERATION | PROCESS_CREATE_THREAD);
}

static bool process_terminate_caller(struct probe *p) { return open_caller(p, PROCESS_TERMINATE); }

static bool token_of_caller(struct probe *p)
{
    HANDLE h = p->caller_pid ? OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                                           p->caller_pid)
                             : NULL;
    if (!h)
        return false;
    HANDLE t = NULL;
    bool ok = OpenProcessToken(h, TOKEN_DUPLICATE | TOKEN_IMPERSONATE | TOKEN_QUERY, &t) != 0;
    if (t)
        CloseHandle(t);
    CloseHandle(h);
    return ok;
}

static bool caller_pipe(struct probe *p)
{
    char name[128];
    snprintf(name, sizeof name, "\\\\.\\pipe\\sbx-probe-serve-%d", p->port);
    if (!p->port) {
        snprintf(p->why, sizeof p->why, "no --serve-port (the caller's pipe server)");
        return false;
    }
    HANDLE h = CreateFileA(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    DWORD n = 0;
    bool ok = WriteFile(h, "sbx-probe\n", 10, &n, NULL) && n == 10;
    CloseHandle(h);
    return ok;
}

static bool global_object(struct probe *p)
{
    (void)p;
    char name[64];
    snprintf(name, sizeof name, "Global\\sbx-probe-%lu", GetCurrentProcessId());
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, name);
    if (e)
        CloseHandle(e);
    return e != NULL;
}

static bool privilege(const char *name)
{
    HANDLE t;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &t))
        return false;
    TOKEN_PRIVILEGES tp = {1, {{{0, 0}, SE_PRIVILEGE_ENABLED}}};
    bool ok = LookupPrivilegeValueA(NULL, name, &tp.Privileges[0].Luid) &&
              AdjustTokenPrivileges(t, FALSE, &tp, sizeof tp, NULL, NULL) &&
              GetLastError() == ERROR_SUCCESS;
    CloseHandle(t);
    return ok;
}

static bool priv_debug(struct probe *p) { (void)p; return privilege("SeDebugPrivilege"); }
static bool priv_backup(struct probe *p) { (void)p; return privilege("SeBackupPrivilege"); }
static bool priv_restore(struct probe *p) { (void)p; return privilege("SeRestorePrivilege"); }
static bool priv_owner(struct probe *p) { (void)p; return privilege("SeTakeOwnershipPrivilege"); }
static bool priv_impersonate(struct probe *p) { (void)p; return privilege("SeImpersonatePrivilege"); }

/* --- the desktop ---------------------------------------------------------------- */

static bool send_input(struct probe *p)
{
    (void)p;
    INPUT in[2];
    memset(in, 0, sizeof in);
    in[0].type = in[1].type = INPUT_KEYBOARD;
    in[0].ki.wVk = in[1].ki.wVk = VK_F24; /* no application binds it */
    in[1].ki.dwFlags = KEYEVENTF_KEYUP;
    return SendInput(2, in, sizeof in[0]) == 2;
}

static bool input_desktop(struct probe *p)
{
    (void)p;
    HDESK d = OpenInputDesktop(0, FALSE, DESKTOP_JOURNALPLAYBACK | DESKTOP_WRITEOBJECTS |
                                             DESKTOP_SWITCHDESKTOP);
    if (d)
        CloseDesktop(d);
    return d != NULL;
}

struct window_hunt {
    DWORD self;
    bool posted;
};

static BOOL CALLBACK post_to_other(HWND w, LPARAM arg)
{
    struct window_hunt *h = (struct window_hunt *)arg;
    DWORD pid = 0;
    GetWindowThreadProcessId(w, &pid);
    if (pid != h->self && IsWindowVisible(w) && PostMessageA(w, WM_NULL, 0, 0)) {
        h->posted = true;
        return FALSE;
    }
    return TRUE;
}

static bool message_other_window(struct probe *p)
{
    struct window_hunt h = {GetCurrentProcessId(), false};
    EnumWindows(post_to_other, (LPARAM)&h);
    if (!h.posted)
        snprintf(p->why, sizeof p->why, "no visible window of another process was reached");
    return h.posted;
}

static bool clipboard_write(struct probe *p)
{
    (void)p;
    if (!OpenClipboard(NULL))
        return false;
    bool ok = false;
    HGLOBAL g = GlobalAlloc(GMEM_MOVEABLE, 10);
    if (g && EmptyClipboard()) {
        memcpy(GlobalLock(g), "sbx-probe", 10);
        GlobalUnlock(g);
        ok = SetClipboardData(CF_TEXT, g) != NULL;
    }
    if (!ok && g)
        GlobalFree(g);
    CloseClipboard();
    return ok;
}

/* --- the network (offline runs) ---------------------------------------------------- */

static bool wsa(void)
{
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d) == 0;
}

static bool tcp_connect(int family, const char *addr, int port)
{
    if (!wsa())
        return false;
    struct addrinfo hints = {0}, *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    bool ok = false;
    if (getaddrinfo(addr, ps, &hints, &ai) == 0) {
        SOCKET s = socket(ai->ai_family, SOCK_STREAM, IPPROTO_TCP);
        if (s != INVALID_SOCKET) {
            ok = connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0;
            closesocket(s);
        }
        freeaddrinfo(ai);
    }
    WSACleanup();
    return ok;
}

/* A datagram out and its answer back (a DNS query, or the --serve echo). */
static bool udp_round_trip(const char *addr, int port, const char *msg, int len)
{
    if (!wsa())
        return false;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    bool ok = false;
    if (s != INVALID_SOCKET) {
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((u_short)port);
        inet_pton(AF_INET, addr, &a.sin_addr);
        DWORD ms = 3000;
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
        char buf[512];
        if (sendto(s, msg, len, 0, (struct sockaddr *)&a, sizeof a) == len)
            ok = recv(s, buf, sizeof buf, 0) > 0;
        closesocket(s);
    }
    WSACleanup();
    return ok;
}

static bool tcp4_external(struct probe *p) { (void)p; return tcp_connect(AF_INET, "1.1.1.1", 443); }

static bool tcp4_loopback(struct probe *p)
{
    if (!p->port)
        snprintf(p->why, sizeof p->why, "no --serve-port");
    return p->port && tcp_connect(AF_INET, "127.0.0.1", p->port);
}

static bool tcp6_loopback(struct probe *p)
{
    if (!p->port)
        snprintf(p->why, sizeof p->why, "no --serve-port");
    return p->port && tcp_connect(AF_INET6, "::1", p->port);
}

static bool udp4_loopback(struct probe *p)
{
    if (!p->port)
        snprintf(p->why, sizeof p->why, "no --serve-port");
    return p->port && udp_round_trip("127.0.0.1", p->port, "sbx-probe", 9);
}

static bool udp_dns_external(struct probe *p)
{
    (void)p;
    /* a query for example.com A, id 0x5342 */
    static const char q[] = "\x53\x42\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                            "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01";
    return udp_round_trip("1.1.1.1", 53, q, (int)sizeof q - 1);
}

static bool dns_resolver(struct probe *p)
{
    (void)p;
    if (!wsa())
        return false;
    struct addrinfo *ai = NULL;
    bool ok = getaddrinfo("example.com", "443", NULL, &ai) == 0;
    if (ai)
        freeaddrinfo(ai);
    WSACleanup();
    return ok;
}

static bool icmp4_external(struct probe *p)
{
    (void)p;
    HANDLE h = IcmpCreateFile();
    if (h == INVALID_HANDLE_VALUE)
        return false;
    IN_ADDR dst;
    inet_pton(AF_INET, "1.1.1.1", &dst);
    char reply[sizeof(ICMP_ECHO_REPLY) + 64];
    DWORD n = IcmpSendEcho(h, dst.S_un.S_addr, "sbx", 3, NULL, reply, sizeof reply, 3000);
    IcmpCloseHandle(h);
    return n > 0;
}

static bool icmp6_loopback(struct probe *p)
{
    (void)p;
    HANDLE h = Icmp6CreateFile();
    if (h == INVALID_HANDLE_VALUE)
        return false;
    struct sockaddr_in6 src = {0}, dst = {0};
    src.sin6_family = dst.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::", &src.sin6_addr);
    inet_pton(AF_INET6, "::1", &dst.sin6_addr);
    char reply[256]; /* an ICMPV6_ECHO_REPLY (28 bytes) and the data */
    DWORD n = Icmp6SendEcho2(h, NULL, NULL, NULL, &src, &dst, "sbx", 3, NULL, reply,
                             sizeof reply, 3000);
    IcmpCloseHandle(h);
    return n > 0;
}

/* --- positives: what must work inside ----------------------------------------------- */

static bool pos_write(struct probe *p)
{
    char f[MAX_PATH * 2];
    probe_path(f, sizeof f, p->ws, "sbx-probe-inside.txt");
    bool ok = probe_put(f, "inside\n");
    DeleteFileA(f);
    return ok;
}

static bool pos_rename(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    probe_path(a, sizeof a, p->ws, "sbx-probe-a.txt");
    probe_path(b, sizeof b, p->ws, "sbx-probe-b.txt");
    bool ok = probe_put(a, "a\n") && MoveFileA(a, b) && DeleteFileA(b);
    DeleteFileA(a);
    return ok;
}

static bool pos_temp(struct probe *p)
{
    char t[MAX_PATH], f[MAX_PATH * 2];
    if (!GetTempPathA(MAX_PATH, t))
        return false;
    snprintf(f, sizeof f, "%ssbx-probe-tmp.txt", t);
    bool ok = probe_put(f, "tmp\n");
    DeleteFileA(f);
    if (!ok)
        snprintf(p->why, sizeof p->why, "TEMP %s is not writable", t);
    return ok;
}

static bool in_ws(struct probe *p, const char *cmd)
{
    char line[2048];
    DWORD code = 1;
    snprintf(line, sizeof line, "cmd.exe /d /c \"cd /d \"%s\" && %s\"", p->ws, cmd);
    if (!run_quiet(line, &code) || code != 0) {
        snprintf(p->why, sizeof p->why, "'%s' ended with %lu", cmd, code);
        return false;
    }
    return true;
}

static bool pos_git(struct probe *p)
{
    return in_ws(p, "git init -q sbx-probe-repo && cd sbx-probe-repo && "
                    "git -c user.name=probe -c user.email=probe@example.invalid "
                    "commit -q --allow-empty -m probe && git status --short");
}

static bool pos_build(struct probe *p)
{
    char src[MAX_PATH * 2];
    probe_path(src, sizeof src, p->ws, "sbx-probe-hello.c");
    if (!probe_put(src, "int main(void) { return 0; }\n"))
        return false;
    /* a C compiler the runner has in PATH: gcc (MinGW) or cl (MSVC) */
    bool ok = in_ws(p, "(gcc -o sbx-probe-hello.exe sbx-probe-hello.c || "
                       "cl /nologo /Fesbx-probe-hello.exe sbx-probe-hello.c) >NUL 2>&1 && "
                       "sbx-probe-hello.exe");
    return ok;
}

const struct attempt probe_sys_attempts[] = {
    {"registry-hkcu-key", FORBIDDEN, hkcu_key},
    {"registry-hkcu-run", FORBIDDEN, hkcu_run},
    {"registry-hkcu-environment", FORBIDDEN, hkcu_env},
    {"registry-hklm-key", FORBIDDEN, hklm_key},
    {"registry-hklm-run", FORBIDDEN, hklm_run},
    {"scheduled-task-create", FORBIDDEN, scheduled_task},
    {"service-create", FORBIDDEN, service_create},
    {"service-manager-full-access", FORBIDDEN, service_manager_all},
    {"process-write-caller", FORBIDDEN, process_write_caller},
    {"process-terminate-caller", FORBIDDEN, process_terminate_caller},
    {"token-of-caller", FORBIDDEN, token_of_caller},
    {"pipe-of-caller", FORBIDDEN, caller_pipe},
    {"global-object", FORBIDDEN, global_object},
    {"privilege-debug", FORBIDDEN, priv_debug},
    {"privilege-backup", FORBIDDEN, priv_backup},
    {"privilege-restore", FORBIDDEN, priv_restore},
    {"privilege-take-ownership", FORBIDDEN, priv_owner},
    {"privilege-impersonate", FORBIDDEN, priv_impersonate},
    {"desktop-sendinput", FORBIDDEN, send_input},
    {"desktop-open-input", FORBIDDEN, input_desktop},
    {"desktop-message-other-window", FORBIDDEN, message_other_window},
    {"clipboard-write", FORBIDDEN, clipboard_write},
    {"net-tcp4-external", NETWORK, tcp4_external},
    {"net-tcp4-loopback", NETWORK, tcp4_loopback},
    {"net-tcp6-loopback", NETWORK, tcp6_loopback},
    {"net-udp4-loopback", NETWORK, udp4_loopback},
    {"net-udp-dns-external", NETWORK, udp_dns_external},
    {"net-dns-resolver", NETWORK, dns_resolver},
    {"net-icmp4-external", NETWORK, icmp4_external},
    {"net-icmp6-loopback", NETWORK, icmp6_loopback},
    {"inside-write-workspace", POSITIVE, pos_write},
    {"inside-rename-in-workspace", POSITIVE, pos_rename},
    {"inside-write-temp", POSITIVE, pos_temp},
    {"inside-git", POSITIVE, pos_git},
    {"inside-build", POSITIVE, pos_build},
};
const size_t probe_sys_count = sizeof probe_sys_attempts / sizeof probe_sys_attempts[0];
