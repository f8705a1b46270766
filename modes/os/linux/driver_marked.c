/* SPDX-License-Identifier: MIT */
/* Finding sbx's objects by their markers, for a cleanup whose ledger is
 * lost or damaged: accounts whose comment carries the marker, groups named
 * sbx...users (and their members), and, next to the marked accounts' homes,
 * the launcher directory with its two files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "util/cleanup.h"
#include "util/limits.h"

static int add(struct sbx_resource_list *out, enum sbx_rkind kind, const char *key,
               const char *name, const char *principal, const char *path, const char *detail,
               const char *os_id, struct sbx_error *err)
{
    if (sbx_rlist_add(out, kind, key, name, principal, path, detail, "elevated"))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    if (os_id && sbx_resource_set_field(&out->items[out->len - 1].os_id, os_id))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    return 0;
}

/* One root-owned regular file at path, by the hash of what is there now:
 * the marker is the place. */
static int add_file(struct sbx_resource_list *out, const char *path, bool conf,
                    struct sbx_error *err)
{
    struct sbx_resource here = {.kind = SBX_R_INSTALLED_FILE, .key = (char *)path,
                                .path = (char *)path};
    if (sbx_rlist_find_object(out, &here) >= 0)
        return 0;
    sbx_autofd int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    char hash[65];
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
        sbx_drv_sha256_file(fd, hash, err) != 0)
        return 0;
    return add(out, SBX_R_INSTALLED_FILE, path, NULL, NULL, path,
               conf ? "generate=launch-conf\n" : "source=unknown\n", hash, err);
}

/* <elevated>/sbx-launch and its configuration, when they are root's, and
 * the copies of them an interrupted replacement kept (NAME.before-HASH,
 * see driver_files.c). */
static int add_files(struct sbx_resource_list *out, const char *dir, struct sbx_error *err)
{
    static const char *const names[] = {SBX_LAUNCH_NAME, SBX_LAUNCH_CONF_NAME};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int rc = add_file(out, path, i == 1, err);
        if (rc)
            return rc;
    }
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;
    while (d && rc == 0 && (e = readdir(d)) != NULL) {
        for (size_t i = 0; i < 2 && rc == 0; i++) {
            size_t len = strlen(names[i]);
            if (strncmp(e->d_name, names[i], len) != 0 ||
                strncmp(e->d_name + len, ".before-", 8) != 0)
                continue;
            char path[PATH_MAX + NAME_MAX + 2];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            rc = add_file(out, path, i == 1, err);
        }
    }
    if (d)
        closedir(d);
    if (rc)
        return rc;
    const char *sub[] = {"/home", ""};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX + 8];
        snprintf(path, sizeof path, "%s%s", dir, sub[i]);
        if (sbx_rlist_find(out, SBX_R_DIRECTORY, path) >= 0)
            continue;
        int rc = add(out, SBX_R_DIRECTORY, path, NULL, NULL, path, "mode=0755\n", "made", err);
        if (rc)
            return rc;
    }
    return 0;
}

int sbx_drv_accounts_find_marked(struct sbx_resource_list *out, struct sbx_error *err)
{
    int rc = 0;
    char buf[SBX_PWENT_BUF_MAX];
    struct passwd pw, *res;
    setpwent();
    while (rc == 0 && getpwent_r(&pw, buf, sizeof buf, &res) == 0 && res) {
        if (!sbx_drv_gecos_marked(pw.pw_gecos) || pw.pw_uid == 0)
            continue;
        char uid[16], detail[PATH_MAX + 32];
        snprintf(uid, sizeof uid, "%u", (unsigned)pw.pw_uid);
        snprintf(detail, sizeof detail, "home=%s\n", pw.pw_dir);
        rc = add(out, SBX_R_ACCOUNT, pw.pw_name, pw.pw_name, uid, pw.pw_dir, detail, uid, err);
        /* homes live in <elevated>/home/<name> */
        char dir[PATH_MAX];
        /* A home too long for a path is none of sbx's (it makes them below
         * PATH_MAX): no directory of sbx's to look in then. */
        if (snprintf(dir, sizeof dir, "%s", pw.pw_dir) >= (int)sizeof dir)
            dir[0] = '\0';
        for (int up = 0; rc == 0 && up < 2; up++) {
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir) {
                dir[0] = '\0';
                break;
            }
            *slash = '\0';
        }
        if (rc == 0 && dir[0] && sbx_path_root_owned(dir, NULL) == 0)
            rc = add_files(out, dir, err);
    }
    endpwent();
    char gbuf[SBX_GRENT_MEMBERS_BUF_MAX];
    struct group gr, *gres;
    setgrent();
    while (rc == 0 && getgrent_r(&gr, gbuf, sizeof gbuf, &gres) == 0 && gres) {
        if (!sbx_drv_group_name_marked(gr.gr_name))
            continue;
        char gid[16];
        snprintf(gid, sizeof gid, "%u", (unsigned)gr.gr_gid);
        rc = add(out, SBX_R_GROUP, gr.gr_name, gr.gr_name, gid, NULL, NULL, gid, err);
        for (char **m = gr.gr_mem; rc == 0 && m && *m; m++) {
            char key[160], detail[200];
            snprintf(key, sizeof key, "%s:%s", gr.gr_name, *m);
            snprintf(detail, sizeof detail, "group=%s\nmember=%s\n", gr.gr_name, *m);
            rc = add(out, SBX_R_MEMBERSHIP, key, NULL, gid, NULL, detail, NULL, err);
        }
    }
    endgrent();
    return rc;
}
