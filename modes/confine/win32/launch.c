/* SPDX-License-Identifier: MIT */
#include "modes/confine/win32/launch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "modes/common/win32/winutil.h"

const char *const sbx_offline_env[] = {
    "HTTP_PROXY=http://127.0.0.1:9",  "HTTPS_PROXY=http://127.0.0.1:9",
    "ALL_PROXY=http://127.0.0.1:9",   "http_proxy=http://127.0.0.1:9",
    "https_proxy=http://127.0.0.1:9", "all_proxy=http://127.0.0.1:9",
    "NO_PROXY=",                      "no_proxy=",
    "npm_config_offline=true",        "PIP_NO_INDEX=1",
    "CARGO_NET_OFFLINE=true",         "GOPROXY=off",
    "GOFLAGS=-mod=mod",               "NUGET_OFFLINE=1",
    "SBX_NET=off",
};
const size_t sbx_offline_env_len = sizeof sbx_offline_env / sizeof sbx_offline_env[0];

void sbx_run_vars_make(struct sbx_run_vars *v, const wchar_t *temp, bool net)
{
    char utemp[MAX_PATH * 6];
    sbx_utf8_buf(temp, utemp, sizeof utemp);
    snprintf(v->temp[0], sizeof v->temp[0], "TEMP=%s", utemp);
    snprintf(v->temp[1], sizeof v->temp[1], "TMP=%s", utemp);
    size_t max = sizeof v->set / sizeof v->set[0];
    v->n = 0;
    v->set[v->n++] = v->temp[0];
    v->set[v->n++] = v->temp[1];
    v->set[v->n++] = net ? "SBX_NET=on" : "SBX_NET=off";
    for (size_t i = 0; !net && i < sbx_offline_env_len && v->n < max; i++)
        v->set[v->n++] = sbx_offline_env[i];
}

/* --- command line ---------------------------------------------------------- */

static void put(wchar_t *buf, size_t *n, wchar_t c)
{
    if (buf)
        buf[*n] = c;
    (*n)++;
}

/* Append one argument, quoted per the MSVC runtime rules. */
static void quote(const wchar_t *a, wchar_t *buf, size_t *n)
{
    bool needs = !a[0] || wcspbrk(a, L" \t\n\v\"") != NULL;
    if (!needs) {
        for (; *a; a++)
            put(buf, n, *a);
        return;
    }
    put(buf, n, L'"');
    for (;;) {
        size_t bs = 0;
        while (*a == L'\\') {
            a++;
            bs++;
        }
        if (!*a) {
            for (size_t i = 0; i < bs * 2; i++) /* before the closing quote */
                put(buf, n, L'\\');
            break;
        }
        if (*a == L'"') {
            for (size_t i = 0; i < bs * 2 + 1; i++)
                put(buf, n, L'\\');
        } else {
            for (size_t i = 0; i < bs; i++)
                put(buf, n, L'\\');
        }
        put(buf, n, *a++);
    }
    put(buf, n, L'"');
}

int sbx_cmdline_build(char *const *argv, wchar_t **out, struct sbx_error *err)
{
    *out = NULL;
    if (!argv || !argv[0])
        return sbx_err_set(err, SBX_EINVAL, "no command to run");
    size_t argc = 0;
    while (argv[argc])
        argc++;
    wchar_t **w = calloc(argc, sizeof *w);
    if (!w)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < argc && !rc; i++)
        if (!(w[i] = sbx_wide(argv[i])))
            rc = sbx_err_set(err, SBX_EINVAL, "argument %lu is not valid UTF-8",
                             (unsigned long)i);
    if (!rc) {
        size_t n = 0;
        for (size_t i = 0; i < argc; i++) {
            if (i)
                n++;
            quote(w[i], NULL, &n);
        }
        wchar_t *buf = malloc((n + 1) * sizeof *buf);
        if (!buf) {
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        } else {
            n = 0;
            for (size_t i = 0; i < argc; i++) {
                if (i)
                    put(buf, &n, L' ');
                quote(w[i], buf, &n);
            }
            buf[n] = L'\0';
            if (n >= 32767) {
                free(buf);
                rc = sbx_err_set(err, SBX_EINVAL, "the command line is longer than Windows "
                                 "allows (32767 characters)");
            } else {
                *out = buf;
            }
        }
    }
    for (size_t i = 0; i < argc; i++)
        free(w[i]);
    free(w);
    return rc;
}

/* --- environment ----------------------------------------------------------- */

static size_t key_len(const wchar_t *kv)
{
    /* "=C:=C:\dir" entries start with '=': the key runs to the second '='. */
    const wchar_t *eq = wcschr(kv + (kv[0] == L'=' ? 1 : 0), L'=');
    return eq ? (size_t)(eq - kv) : wcslen(kv);
}

static int key_cmp(const wchar_t *a, size_t na, const wchar_t *b, size_t nb)
{
    int r = CompareStringOrdinal(a, (int)na, b, (int)nb, TRUE);
    return r - CSTR_EQUAL;
}

static int env_sort(const void *pa, const void *pb)
{
    const wchar_t *a = *(const wchar_t *const *)pa, *b = *(const wchar_t *const *)pb;
    int r = key_cmp(a, key_len(a), b, key_len(b));
    return r ? r : wcscmp(a, b);
}

int sbx_env_block_build(const wchar_t *base, const char *const *set, size_t n_set,
                        wchar_t **out, struct sbx_error *err)
{
    *out = NULL;
    size_t n_base = 0;
    for (const wchar_t *p = base; p && *p; p += wcslen(p) + 1)
        n_base++;
    const wchar_t **vars = calloc(n_base + n_set + 1, sizeof *vars);
    wchar_t **owned = calloc(n_set + 1, sizeof *owned);
    int rc = 0;
    size_t n = 0;
    if (!vars || !owned) {
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        goto out;
    }
    for (const wchar_t *p = base; p && *p; p += wcslen(p) + 1)
        vars[n++] = p;
    for (size_t i = 0; i < n_set; i++) {
        if (!(owned[i] = sbx_wide(set[i])) || !wcschr(owned[i] + 1, L'=')) {
            rc = sbx_err_set(err, SBX_EINVAL, "bad environment entry '%s'", set[i]);
            goto out;
        }
        size_t kl = key_len(owned[i]);
        /* drop what it replaces (keys compare case-insensitively) */
        size_t j = 0;
        for (size_t k = 0; k < n; k++)
            if (key_cmp(vars[k], key_len(vars[k]), owned[i], kl) != 0)
                vars[j++] = vars[k];
        n = j;
        if (owned[i][kl + 1] != L'\0')
            vars[n++] = owned[i];
    }
    qsort(vars, n, sizeof *vars, env_sort);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += wcslen(vars[i]) + 1;
    wchar_t *block = malloc((total + 1) * sizeof *block);
    if (!block) {
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        goto out;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = wcslen(vars[i]) + 1;
        memcpy(block + o, vars[i], l * sizeof *block);
        o += l;
    }
    block[o++] = L'\0';
    if (o == 1)
        block[o++] = L'\0'; /* an empty block is two NULs */
    *out = block;
out:
    for (size_t i = 0; owned && i < n_set; i++)
        free(owned[i]);
    free(owned);
    free(vars);
    return rc;
}

/* --- finding the program --------------------------------------------------- */

int sbx_exe_find(const char *argv0, wchar_t *out, size_t len, struct sbx_error *err)
{
    wchar_t *name = sbx_wide(argv0);
    if (!name)
        return sbx_err_set(err, SBX_EINVAL, "command '%s' is not valid UTF-8", argv0);
    int rc = -SBX_ENOENT;
    const wchar_t *dot = wcsrchr(name, L'.');
    const wchar_t *slash = wcspbrk(name, L"\\/");
    bool has_ext = dot && (!slash || dot > wcsrchr(name, L'\\'));
    /* Extensions to try: none when it has one, else PATHEXT's .exe/.com
     * (batch files need cmd.exe: run `cmd /c x.bat`). */
    const wchar_t *exts[] = {NULL, L".exe", L".com"};
    for (size_t i = has_ext ? 0 : 1; i < (has_ext ? 1 : 3) && rc; i++) {
        DWORD n = SearchPathW(NULL, name, exts[i], (DWORD)len, out, NULL);
        if (n > 0 && n < len) {
            DWORD attr = GetFileAttributesW(out);
            if (attr != INVALID_FILE_ATTRIBUTES && !(attr & FILE_ATTRIBUTE_DIRECTORY))
                rc = 0;
        }
    }
    free(name);
    if (rc)
        return sbx_err_set(err, SBX_ENOENT, "command not found: %s (looked in PATH%s)", argv0,
                           has_ext ? "" : " for .exe and .com");
    return 0;
}

/* --- running --------------------------------------------------------------- */

static BOOL WINAPI ignore_ctrl(DWORD type)
{
    /* The console delivers Ctrl+C to the command too; sbx just waits for
     * the command to end and passes its status on. */
    return type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT;
}

static HANDLE make_job(struct sbx_error *err)
{
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (!job) {
        sbx_win_err(err, SBX_EIO, GetLastError(), "creating the job object");
        return NULL;
    }
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
    memset(&li, 0, sizeof li);
    li.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li)) {
        sbx_win_err(err, SBX_EIO, GetLastError(), "setting kill-on-close on the job object");
        CloseHandle(job);
        return NULL;
    }
    return job;
}

/* Inheritable duplicates of the standard handles that exist. */
static int std_handles(HANDLE dup[3], HANDLE list[3], DWORD *n_list, struct sbx_error *err)
{
    const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    *n_list = 0;
    for (int i = 0; i < 3; i++) {
        dup[i] = NULL;
        HANDLE h = GetStdHandle(which[i]);
        if (!h || h == INVALID_HANDLE_VALUE)
            continue;
        if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup[i], 0, TRUE,
                             DUPLICATE_SAME_ACCESS))
            return sbx_win_err(err, SBX_EIO, GetLastError(), "passing standard handle %d", i);
        list[(*n_list)++] = dup[i];
    }
    return 0;
}

/* --- the logon's standard handles: pipes relayed ------------------------------ */

/* A pump is the thread's own (it frees it): stdin's may outlive the run,
 * sitting in a read of our console until the next line arrives. */
struct pump {
    HANDLE from, to;
    bool close_to; /* the write end of the child's stdin: EOF for the child */
};

static DWORD WINAPI pump_run(void *arg)
{
    struct pump *p = arg;
    char buf[8192];
    DWORD got = 0, put = 0;
    while (ReadFile(p->from, buf, sizeof buf, &got, NULL) && got > 0)
        if (!WriteFile(p->to, buf, got, &put, NULL))
            break;
    if (p->close_to)
        CloseHandle(p->to);
    free(p);
    return 0;
}

struct relay {
    HANDLE child[3];  /* what the child gets: stdin read end, stdout / stderr write ends */
    HANDLE ours[3];   /* our ends: stdin write end, stdout / stderr read ends (until a
                       * pump owns stdin's) */
    HANDLE threads[3];
};

static void relay_close(struct relay *r)
{
    for (int i = 0; i < 3; i++) {
        if (r->threads[i]) {
            if (i == 0)
                CancelSynchronousIo(r->threads[i]);
            /* the outputs end when the command's tree (killed with its
             * job) has closed the pipes: everything it wrote is passed on */
            WaitForSingleObject(r->threads[i], i == 0 ? 1000 : 5000);
            CloseHandle(r->threads[i]);
        }
        if (r->child[i])
            CloseHandle(r->child[i]);
        if (r->ours[i])
            CloseHandle(r->ours[i]);
        r->threads[i] = r->child[i] = r->ours[i] = NULL;
    }
}

static int relay_open(struct relay *r, struct sbx_error *err)
{
    memset(r, 0, sizeof *r);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    for (int i = 0; i < 3; i++) {
        HANDLE rd, wr;
        if (!CreatePipe(&rd, &wr, &sa, 0))
            return sbx_win_err(err, SBX_EIO, GetLastError(), "creating the pipe for standard "
                               "handle %d", i);
        r->child[i] = i == 0 ? rd : wr;
        r->ours[i] = i == 0 ? wr : rd;
        if (!SetHandleInformation(r->ours[i], HANDLE_FLAG_INHERIT, 0))
            return sbx_win_err(err, SBX_EIO, GetLastError(), "keeping our end of a pipe");
    }
    return 0;
}

/* After the child started: our handles <-> the pipes. */
static int relay_start(struct relay *r, struct sbx_error *err)
{
    const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    for (int i = 0; i < 3; i++) {
        /* the child holds its ends now; ours must not keep them open */
        CloseHandle(r->child[i]);
        r->child[i] = NULL;
        HANDLE std = GetStdHandle(which[i]);
        if (!std || std == INVALID_HANDLE_VALUE) {
            if (i == 0) { /* no input: the child reads EOF */
                CloseHandle(r->ours[0]);
                r->ours[0] = NULL;
            }
            continue;
        }
        struct pump *p = malloc(sizeof *p);
        if (!p)
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        p->from = i == 0 ? std : r->ours[i];
        p->to = i == 0 ? r->ours[i] : std;
        p->close_to = i == 0;
        r->threads[i] = CreateThread(NULL, 0, pump_run, p, 0, NULL);
        if (!r->threads[i]) {
            free(p);
            return sbx_win_err(err, SBX_EIO, GetLastError(), "relaying standard handle %d", i);
        }
        if (i == 0)
            r->ours[0] = NULL; /* the pump closes it */
    }
    return 0;
}

static int start_status(DWORD e, const struct sbx_launch *l, int *status, struct sbx_error *err)
{
    char *app = sbx_utf8(l->app);
    int rc;
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
        *status = SBX_STATUS_NOT_FOUND;
        rc = sbx_win_err(err, SBX_ENOENT, e, "starting %s", app ? app : "the command");
    } else if (e == ERROR_ACCESS_DENIED || e == ERROR_BAD_EXE_FORMAT ||
               e == ERROR_EXE_MACHINE_TYPE_MISMATCH) {
        *status = SBX_STATUS_CANT_RUN;
        rc = sbx_win_err(err, SBX_EPERM, e, "starting %s", app ? app : "the command");
    } else {
        rc = sbx_win_err(err, SBX_EIO, e, "starting %s", app ? app : "the command");
    }
    free(app);
    return rc;
}

int sbx_launch_run(const struct sbx_launch *l, int *status, struct sbx_error *err)
{
    HANDLE job = make_job(err);
    if (!job)
        return -SBX_EIO;
    HANDLE dup[3] = {NULL, NULL, NULL}, list[3];
    DWORD n_list = 0;
    LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
    PROCESS_INFORMATION pi = {0};
    /* A logon always relays; a token run when asked (sbx-runner.exe has
     * no console to share). */
    bool relayed = !l->token || l->relay_stdio;
    struct relay relay;
    memset(&relay, 0, sizeof relay);
    int rc = relayed ? relay_open(&relay, err) : std_handles(dup, list, &n_list, err);
    if (rc)
        goto out;
    if (relayed && l->token) {
        for (int i = 0; i < 3; i++)
            list[i] = dup[i] = relay.child[i];
        n_list = 3;
    }
    DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT;
    if (l->no_window || !l->token)
        flags |= CREATE_NO_WINDOW;
    BOOL ok;
    DWORD e = 0;
    if (l->token) {
        STARTUPINFOEXW si;
        memset(&si, 0, sizeof si);
        si.StartupInfo.cb = sizeof si;
        si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
        si.StartupInfo.lpDesktop = (LPWSTR)l->desktop;
        si.StartupInfo.hStdInput = dup[0];
        si.StartupInfo.hStdOutput = dup[1];
        si.StartupInfo.hStdError = dup[2];
        if (n_list > 0) {
            SIZE_T size = 0;
            InitializeProcThreadAttributeList(NULL, 1, 0, &size);
            attrs = malloc(size);
            if (!attrs || !InitializeProcThreadAttributeList(attrs, 1, 0, &size) ||
                !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
                                           n_list * sizeof(HANDLE), NULL, NULL)) {
                rc = sbx_win_err(err, SBX_EIO, GetLastError(), "limiting inherited handles");
                free(attrs);
                attrs = NULL;
                goto out;
            }
            si.lpAttributeList = attrs;
            flags |= EXTENDED_STARTUPINFO_PRESENT;
        }
        ok = CreateProcessAsUserW(l->token, l->app, l->cmdline, NULL, NULL, n_list > 0, flags,
                                  (LPVOID)l->env, l->cwd, &si.StartupInfo, &pi);
    } else {
        /* Secondary logon duplicates the handles named in si itself; it
         * takes no attribute list.  They are pipes: a console handle of
         * ours means nothing in the account's process. */
        STARTUPINFOW si;
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        si.dwFlags = STARTF_USESTDHANDLES;
        si.lpDesktop = (LPWSTR)l->desktop;
        si.hStdInput = relay.child[0];
        si.hStdOutput = relay.child[1];
        si.hStdError = relay.child[2];
        ok = CreateProcessWithLogonW(l->user, L".", l->password, LOGON_WITH_PROFILE, l->app,
                                     l->cmdline, flags, (LPVOID)l->env, l->cwd, &si, &pi);
    }
    if (!ok) {
        e = GetLastError();
        rc = start_status(e, l, status, err);
        goto out;
    }
    if (!AssignProcessToJobObject(job, pi.hProcess)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "putting the command in its job object");
        TerminateProcess(pi.hProcess, 1);
        goto out;
    }
    if (relayed && (rc = relay_start(&relay, err)) != 0) {
        TerminateProcess(pi.hProcess, 1);
        goto out;
    }
    SetConsoleCtrlHandler(ignore_ctrl, TRUE);
    ResumeThread(pi.hThread);
    DWORD wait_ms = l->timeout_sec ? l->timeout_sec * 1000u : INFINITE;
    DWORD w = WaitForSingleObject(pi.hProcess, wait_ms);
    if (w == WAIT_TIMEOUT) {
        TerminateJobObject(job, SBX_STATUS_TIMEOUT);
        WaitForSingleObject(pi.hProcess, 5000);
        *status = SBX_STATUS_TIMEOUT;
    } else if (w == WAIT_OBJECT_0) {
        DWORD code = 0;
        GetExitCodeProcess(pi.hProcess, &code);
        *status = (int)code;
        /* what the command left running goes with it */
        TerminateJobObject(job, code);
    } else {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "waiting for the command");
        TerminateJobObject(job, 1);
    }
    SetConsoleCtrlHandler(ignore_ctrl, FALSE);
out:
    relay_close(&relay);
    if (pi.hThread)
        CloseHandle(pi.hThread);
    if (pi.hProcess)
        CloseHandle(pi.hProcess);
    if (attrs) {
        DeleteProcThreadAttributeList(attrs);
        free(attrs);
    }
    for (int i = 0; i < 3; i++)
        if (dup[i] && !relayed)
            CloseHandle(dup[i]);
    CloseHandle(job);
    return rc;
}
