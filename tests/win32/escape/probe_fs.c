/* SPDX-License-Identifier: MIT */
/* The probe's file-system attempts: outside the workspace, other drives and
 * machine folders, other users' places, links and path spellings, and the
 * protected .git.  Each returns true when the action succeeded, and undoes
 * it where it can (outside a sandbox, on the baseline run, they succeed). */
#include "probe.h"

#include <winioctl.h>
#include <aclapi.h>
#include <sddl.h>
#include <shlobj.h>

#include <stdio.h>
#include <string.h>

void probe_path(char *out, size_t len, const char *dir, const char *leaf)
{
    snprintf(out, len, "%s\\%s", dir, leaf);
}

bool probe_write(const char *path, DWORD disposition)
{
    HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, disposition, FILE_ATTRIBUTE_NORMAL,
                           NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    DWORD n = 0;
    BOOL ok = WriteFile(h, "sbx-probe\n", 10, &n, NULL);
    CloseHandle(h);
    return ok && n == 10;
}

bool probe_put(const char *path, const char *text)
{
    HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                           NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    DWORD n = 0, len = (DWORD)strlen(text);
    BOOL ok = WriteFile(h, text, len, &n, NULL);
    CloseHandle(h);
    return ok && n == len;
}

/* path written (a new file, or a stream) and removed again. */
static bool written_and_removed(const char *path, DWORD disposition)
{
    if (!probe_write(path, disposition))
        return false;
    DeleteFileA(path);
    return true;
}

/* A new file in dir, written and removed again. */
static bool create_in(const char *dir, const char *leaf)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, dir, leaf);
    return written_and_removed(path, CREATE_NEW);
}

static bool toggled_hidden(const char *path)
{
    if (!SetFileAttributesA(path, FILE_ATTRIBUTE_HIDDEN))
        return false;
    SetFileAttributesA(path, FILE_ATTRIBUTE_NORMAL);
    return true;
}

/* A hard link to target, made and written through (append). */
static bool linked_and_appended(const char *link, const char *target)
{
    if (!CreateHardLinkA(link, target, NULL))
        return false;
    HANDLE h = CreateFileA(link, FILE_APPEND_DATA, 0, NULL, OPEN_EXISTING, 0, NULL);
    DeleteFileA(link);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    CloseHandle(h);
    return true;
}

/* A directory symbolic link to target, and a new file made through it. */
static bool symlinked_and_created(struct probe *p, const char *link, const char *target,
                                  const char *leaf)
{
    if (!CreateSymbolicLinkA(link, target,
                             SYMBOLIC_LINK_FLAG_DIRECTORY |
                                 SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE)) {
        snprintf(p->why, sizeof p->why, "no symbolic link (error %lu)", GetLastError());
        return false;
    }
    bool ok = create_in(link, leaf);
    RemoveDirectoryA(link);
    return ok;
}

static bool mkdir_in(const char *dir, const char *leaf)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, dir, leaf);
    if (!CreateDirectoryA(path, NULL))
        return false;
    RemoveDirectoryA(path);
    return true;
}

static bool open_for(const char *path, DWORD access)
{
    HANDLE h = CreateFileA(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    CloseHandle(h);
    return true;
}

static bool moved_and_back(const char *from, const char *to)
{
    if (!MoveFileA(from, to))
        return false;
    MoveFileA(to, from);
    return true;
}

/* --- outside the workspace ------------------------------------------------ */

static bool write_outside(struct probe *p) { return create_in(p->outside, "sbx-probe-new.txt"); }

static bool append_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt");
    return open_for(path, FILE_APPEND_DATA);
}

static bool truncate_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt");
    if (!probe_write(path, TRUNCATE_EXISTING))
        return false;
    probe_put(path, "victim\n");
    return true;
}

static bool delete_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim-del.txt");
    if (!DeleteFileA(path))
        return false;
    probe_put(path, "victim\n");
    return true;
}

static bool rename_outside(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    probe_path(a, sizeof a, p->outside, "victim.txt");
    probe_path(b, sizeof b, p->outside, "victim-moved.txt");
    return moved_and_back(a, b);
}

static bool mkdir_outside(struct probe *p) { return mkdir_in(p->outside, "sbx-probe-dir"); }

static bool rmdir_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "emptydir");
    if (!RemoveDirectoryA(path))
        return false;
    CreateDirectoryA(path, NULL);
    return true;
}

static bool attributes_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt");
    return toggled_hidden(path);
}

static bool timestamps_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt");
    HANDLE h = CreateFileA(path, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0,
                           NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    FILETIME t = {0x12345678, 0x01d00000};
    BOOL ok = SetFileTime(h, NULL, NULL, &t);
    CloseHandle(h);
    return ok;
}

static bool write_dacl_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt");
    return open_for(path, WRITE_DAC);
}

static bool write_owner_outside(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt");
    return open_for(path, WRITE_OWNER);
}

static bool move_outside_in(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    probe_path(a, sizeof a, p->outside, "victim.txt");
    probe_path(b, sizeof b, p->ws, "sbx-probe-stolen.txt");
    return moved_and_back(a, b);
}

static bool move_inside_out(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    probe_path(a, sizeof a, p->ws, "sbx-probe-move.txt");
    probe_path(b, sizeof b, p->outside, "sbx-probe-planted.txt");
    if (!probe_put(a, "planted\n"))
        return false;
    bool ok = MoveFileA(a, b) != 0;
    DeleteFileA(ok ? b : a);
    return ok;
}

static bool hardlink_to_outside(struct probe *p)
{
    char link[MAX_PATH * 2], target[MAX_PATH * 2];
    probe_path(link, sizeof link, p->ws, "sbx-probe-link.txt");
    probe_path(target, sizeof target, p->outside, "victim.txt");
    return linked_and_appended(link, target);
}

static bool hardlink_from_outside(struct probe *p)
{
    char link[MAX_PATH * 2], target[MAX_PATH * 2];
    probe_path(target, sizeof target, p->ws, "sbx-probe-own.txt");
    probe_path(link, sizeof link, p->outside, "sbx-probe-link.txt");
    if (!probe_put(target, "own\n"))
        return false;
    bool ok = CreateHardLinkA(link, target, NULL) != 0;
    DeleteFileA(link);
    DeleteFileA(target);
    return ok;
}

static bool symlink_to_outside(struct probe *p)
{
    char link[MAX_PATH * 2];
    probe_path(link, sizeof link, p->ws, "sbx-probe-symlink");
    return symlinked_and_created(p, link, p->outside, "sbx-probe-via-symlink.txt");
}

/* A mount point (junction) reparse buffer, as ntifs.h defines it. */
struct mount_point {
    DWORD tag;
    WORD data_len, reserved;
    WORD sub_off, sub_len, print_off, print_len;
    WCHAR path[1024];
};

static bool make_junction(const char *link, const char *target)
{
    if (!CreateDirectoryA(link, NULL))
        return false;
    wchar_t wt[MAX_PATH * 2], sub[MAX_PATH * 2 + 8];
    MultiByteToWideChar(CP_UTF8, 0, target, -1, wt, MAX_PATH * 2);
    swprintf(sub, MAX_PATH * 2 + 8, L"\\??\\%ls", wt);
    struct mount_point mp;
    memset(&mp, 0, sizeof mp);
    size_t sl = wcslen(sub), pl = wcslen(wt);
    mp.tag = IO_REPARSE_TAG_MOUNT_POINT;
    mp.sub_off = 0;
    mp.sub_len = (WORD)(sl * 2);
    mp.print_off = (WORD)(sl * 2 + 2);
    mp.print_len = (WORD)(pl * 2);
    memcpy(mp.path, sub, sl * 2);
    memcpy(mp.path + sl + 1, wt, pl * 2);
    mp.data_len = (WORD)(8 + (sl + 1 + pl + 1) * 2);
    HANDLE h = CreateFileA(link, GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
    DWORD got = 0;
    BOOL ok = h != INVALID_HANDLE_VALUE &&
              DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, &mp, mp.data_len + 8, NULL, 0, &got,
                              NULL);
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    if (!ok)
        RemoveDirectoryA(link);
    return ok;
}

static bool junction_to_outside(struct probe *p)
{
    char link[MAX_PATH * 2];
    probe_path(link, sizeof link, p->ws, "sbx-probe-junction");
    if (!make_junction(link, p->outside))
        return false;
    bool ok = create_in(link, "sbx-probe-via-junction.txt");
    RemoveDirectoryA(link);
    return ok;
}

static bool ads_outside_file(struct probe *p)
{
    char path[MAX_PATH * 2];
    probe_path(path, sizeof path, p->outside, "victim.txt:sbx-probe");
    return written_and_removed(path, CREATE_ALWAYS);
}

static bool ads_outside_dir(struct probe *p)
{
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path, "%s:sbx-probe", p->outside);
    return written_and_removed(path, CREATE_ALWAYS);
}

static bool short_name_outside(struct probe *p)
{
    char s[MAX_PATH * 2];
    DWORD n = GetShortPathNameA(p->outside, s, sizeof s);
    if (n == 0 || n >= sizeof s || _stricmp(s, p->outside) == 0) {
        snprintf(p->why, sizeof p->why, "%s has no 8.3 name", p->outside);
        return false;
    }
    return create_in(s, "sbx-probe-short.txt");
}

static bool long_prefix_outside(struct probe *p)
{
    char d[MAX_PATH * 2];
    snprintf(d, sizeof d, "\\\\?\\%s", p->outside);
    return create_in(d, "sbx-probe-long.txt");
}

static bool device_prefix_outside(struct probe *p)
{
    char d[MAX_PATH * 2];
    snprintf(d, sizeof d, "\\\\.\\%s", p->outside);
    return create_in(d, "sbx-probe-device.txt");
}

static bool forward_slashes_outside(struct probe *p)
{
    char d[MAX_PATH * 2];
    snprintf(d, sizeof d, "%s", p->outside);
    for (char *c = d; *c; c++)
        if (*c == '\\')
            *c = '/';
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path, "%s/sbx-probe-slash.txt", d);
    return written_and_removed(path, CREATE_NEW);
}

/* --- machine folders and drive roots -------------------------------------- */

static bool system_drive_root(struct probe *p)
{
    (void)p;
    char root[8];
    GetWindowsDirectoryA(root, 4);
    root[3] = '\0';
    return mkdir_in(root, "sbx-probe-root");
}

static bool other_drive_roots(struct probe *p)
{
    char sys[MAX_PATH];
    GetWindowsDirectoryA(sys, MAX_PATH);
    DWORD drives = GetLogicalDrives();
    int tried = 0;
    for (int i = 0; i < 26; i++) {
        char root[4] = {(char)('A' + i), ':', '\\', '\0'};
        if (!(drives & (1u << i)) || root[0] == sys[0] || GetDriveTypeA(root) != DRIVE_FIXED)
            continue;
        tried++;
        if (mkdir_in(root, "sbx-probe-root") || create_in(root, "sbx-probe-root.txt"))
            return true;
    }
    if (!tried)
        snprintf(p->why, sizeof p->why, "no fixed drive besides the system drive");
    return false;
}

static bool known_folder_write(struct probe *p, int csidl, const char *sub, bool dir)
{
    char base[MAX_PATH], path[MAX_PATH * 2];
    if (FAILED(SHGetFolderPathA(NULL, csidl, NULL, SHGFP_TYPE_CURRENT, base))) {
        snprintf(p->why, sizeof p->why, "folder %d unknown", csidl);
        return false;
    }
    snprintf(path, sizeof path, "%s%s%s", base, sub[0] ? "\\" : "", sub);
    return dir ? mkdir_in(path, "sbx-probe-dir") : create_in(path, "sbx-probe.txt");
}

static bool programdata(struct probe *p) { return known_folder_write(p, CSIDL_COMMON_APPDATA, "", true); }

static bool programdata_sbx(struct probe *p)
{
    char base[MAX_PATH], path[MAX_PATH * 2];
    if (FAILED(SHGetFolderPathA(NULL, CSIDL_COMMON_APPDATA, NULL, SHGFP_TYPE_CURRENT, base))) {
        snprintf(p->why, sizeof p->why, "ProgramData unknown");
        return false;
    }
    probe_path(path, sizeof path, base, "sbx");
    if (GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES)
        return create_in(path, "sbx-probe.txt");
    /* absent: making it is the attack (an elevated sbx would adopt it) */
    return mkdir_in(base, "sbx");
}

static bool state_dir(struct probe *p) { return create_in(p->state, "sbx-probe-state.txt"); }
static bool users_public(struct probe *p) { return known_folder_write(p, CSIDL_COMMON_DOCUMENTS, "..", false); }
static bool caller_temp(struct probe *p) { return create_in(p->caller_temp, "sbx-probe-temp.txt"); }
static bool windows_temp(struct probe *p) { return known_folder_write(p, CSIDL_WINDOWS, "Temp", false); }
static bool windows_tasks(struct probe *p) { return known_folder_write(p, CSIDL_WINDOWS, "Tasks", false); }
static bool windows_tracing(struct probe *p) { return known_folder_write(p, CSIDL_WINDOWS, "Tracing", false); }
static bool windows_dir(struct probe *p) { return known_folder_write(p, CSIDL_WINDOWS, "", false); }
static bool system32(struct probe *p) { return known_folder_write(p, CSIDL_SYSTEM, "", false); }
static bool program_files(struct probe *p) { return known_folder_write(p, CSIDL_PROGRAM_FILES, "", true); }
static bool caller_profile(struct probe *p) { return create_in(p->caller_profile, "sbx-probe-profile.txt"); }

static bool caller_startup(struct probe *p)
{
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path,
             "%s\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup",
             p->caller_profile);
    return create_in(path, "sbx-probe.cmd");
}

/* --- the protected .git ------------------------------------------------------ */

static void git_path(char *out, size_t len, const struct probe *p, const char *leaf)
{
    snprintf(out, len, "%s\\.git%s%s", p->ws, leaf[0] ? "\\" : "", leaf);
}

static bool git_write_hook(struct probe *p)
{
    char d[MAX_PATH * 2];
    git_path(d, sizeof d, p, "hooks");
    return create_in(d, "pre-commit");
}

static bool git_append_config(struct probe *p)
{
    char f[MAX_PATH * 2];
    git_path(f, sizeof f, p, "config");
    return open_for(f, FILE_APPEND_DATA);
}

static bool git_delete_child(struct probe *p)
{
    char f[MAX_PATH * 2];
    git_path(f, sizeof f, p, "victim-del");
    if (!DeleteFileA(f))
        return false;
    probe_put(f, "victim\n");
    return true;
}

static bool git_rename_child(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    git_path(a, sizeof a, p, "config");
    git_path(b, sizeof b, p, "config.moved");
    return moved_and_back(a, b);
}

static bool git_move_child_out(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    git_path(a, sizeof a, p, "HEAD");
    probe_path(b, sizeof b, p->ws, "sbx-probe-HEAD");
    return moved_and_back(a, b);
}

static bool git_rename_dir(struct probe *p)
{
    char a[MAX_PATH * 2], b[MAX_PATH * 2];
    git_path(a, sizeof a, p, "");
    probe_path(b, sizeof b, p->ws, ".git-moved");
    return moved_and_back(a, b);
}

static bool git_ads(struct probe *p)
{
    char f[MAX_PATH * 2];
    git_path(f, sizeof f, p, "config:sbx-probe");
    return written_and_removed(f, CREATE_ALWAYS);
}

static bool git_short_name(struct probe *p)
{
    char d[MAX_PATH * 2], s[MAX_PATH * 2];
    git_path(d, sizeof d, p, "hooks");
    DWORD n = GetShortPathNameA(d, s, sizeof s);
    if (n == 0 || n >= sizeof s || _stricmp(s, d) == 0) {
        snprintf(p->why, sizeof p->why, "%s has no 8.3 name", d);
        return false;
    }
    return create_in(s, "post-checkout");
}

static bool git_hardlink(struct probe *p)
{
    char link[MAX_PATH * 2], target[MAX_PATH * 2];
    probe_path(link, sizeof link, p->ws, "sbx-probe-config-link");
    git_path(target, sizeof target, p, "config");
    return linked_and_appended(link, target);
}

static bool git_symlink(struct probe *p)
{
    char link[MAX_PATH * 2], target[MAX_PATH * 2];
    probe_path(link, sizeof link, p->ws, "sbx-probe-hooks-link");
    git_path(target, sizeof target, p, "hooks");
    return symlinked_and_created(p, link, target, "pre-push");
}

static bool git_attributes(struct probe *p)
{
    char f[MAX_PATH * 2];
    git_path(f, sizeof f, p, "config");
    return toggled_hidden(f);
}

static bool git_forward_slash(struct probe *p)
{
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path, "%s/.git/hooks/post-merge", p->ws);
    return written_and_removed(path, CREATE_NEW);
}

static bool git_dacl(struct probe *p)
{
    char f[MAX_PATH * 2];
    git_path(f, sizeof f, p, "config");
    return open_for(f, WRITE_DAC);
}

/* --- the workspace root and what the command makes ---------------------------- */

static bool workspace_rename(struct probe *p)
{
    char b[MAX_PATH * 2];
    snprintf(b, sizeof b, "%s-moved", p->ws);
    return moved_and_back(p->ws, b);
}

/* Issue 17 item 9: what the command creates must not be re-ACL'd by it
 * for others. */
static bool reacl_own_file(struct probe *p)
{
    char f[MAX_PATH * 2];
    probe_path(f, sizeof f, p->ws, "sbx-probe-mine.txt");
    if (!probe_put(f, "mine\n"))
        return false;
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    BOOL present = FALSE, defaulted = FALSE;
    bool ok = false;
    if (ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;FA;;;WD)", SDDL_REVISION_1,
                                                             &sd, NULL) &&
        GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted))
        ok = SetNamedSecurityInfoA(f, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                   dacl, NULL) == ERROR_SUCCESS;
    LocalFree(sd);
    DeleteFileA(f);
    return ok;
}

const struct attempt probe_fs_attempts[] = {
    {"write-outside", FORBIDDEN, write_outside},
    {"append-outside", FORBIDDEN, append_outside},
    {"truncate-outside", FORBIDDEN, truncate_outside},
    {"delete-outside", FORBIDDEN, delete_outside},
    {"rename-outside", FORBIDDEN, rename_outside},
    {"mkdir-outside", FORBIDDEN, mkdir_outside},
    {"rmdir-outside", FORBIDDEN, rmdir_outside},
    {"attributes-outside", FORBIDDEN, attributes_outside},
    {"timestamps-outside", FORBIDDEN, timestamps_outside},
    {"write-dacl-outside", FORBIDDEN, write_dacl_outside},
    {"write-owner-outside", FORBIDDEN, write_owner_outside},
    {"move-outside-file-in", FORBIDDEN, move_outside_in},
    {"move-workspace-file-out", FORBIDDEN, move_inside_out},
    {"hardlink-to-outside-file", FORBIDDEN, hardlink_to_outside},
    {"hardlink-placed-outside", FORBIDDEN, hardlink_from_outside},
    {"symlink-to-outside", FORBIDDEN, symlink_to_outside},
    {"junction-to-outside", FORBIDDEN, junction_to_outside},
    {"ads-outside-file", FORBIDDEN, ads_outside_file},
    {"ads-outside-dir", FORBIDDEN, ads_outside_dir},
    {"short-name-outside", FORBIDDEN, short_name_outside},
    {"long-prefix-outside", FORBIDDEN, long_prefix_outside},
    {"device-prefix-outside", FORBIDDEN, device_prefix_outside},
    {"forward-slashes-outside", FORBIDDEN, forward_slashes_outside},
    {"system-drive-root", FORBIDDEN, system_drive_root},
    {"other-drive-roots", FORBIDDEN, other_drive_roots},
    {"programdata", FORBIDDEN, programdata},
    {"programdata-sbx", FORBIDDEN, programdata_sbx},
    {"state-dir", FORBIDDEN, state_dir},
    {"users-public", FORBIDDEN, users_public},
    {"caller-temp", FORBIDDEN, caller_temp},
    {"windows-temp", FORBIDDEN, windows_temp},
    {"windows-tasks", FORBIDDEN, windows_tasks},
    {"windows-tracing", FORBIDDEN, windows_tracing},
    {"windows-dir", FORBIDDEN, windows_dir},
    {"system32", FORBIDDEN, system32},
    {"program-files", FORBIDDEN, program_files},
    {"caller-profile", FORBIDDEN, caller_profile},
    {"caller-startup-folder", FORBIDDEN, caller_startup},
    {"git-write-hook", FORBIDDEN, git_write_hook},
    {"git-append-config", FORBIDDEN, git_append_config},
    {"git-delete-child", FORBIDDEN, git_delete_child},
    {"git-rename-child", FORBIDDEN, git_rename_child},
    {"git-move-child-out", FORBIDDEN, git_move_child_out},
    {"git-rename-dir", FORBIDDEN, git_rename_dir},
    {"git-ads", FORBIDDEN, git_ads},
    {"git-short-name", FORBIDDEN, git_short_name},
    {"git-hardlink", FORBIDDEN, git_hardlink},
    {"git-symlink-hooks", FORBIDDEN, git_symlink},
    {"git-attributes", FORBIDDEN, git_attributes},
    {"git-forward-slashes", FORBIDDEN, git_forward_slash},
    {"git-write-dacl", FORBIDDEN, git_dacl},
    {"workspace-rename", FORBIDDEN, workspace_rename},
    {"reacl-own-file", FORBIDDEN, reacl_own_file},
};
const size_t probe_fs_count = sizeof probe_fs_attempts / sizeof probe_fs_attempts[0];
