/* SPDX-License-Identifier: MIT */
/* The firewall rule as data (pure). */
#include "modes/os/win32/firewall.h"

#include <stdio.h>
#include <string.h>

int sbx_fw_block_spec(const char *name, const char *sid, struct sbx_fw_rule_spec *out,
                      struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = sbx_sid_canonical(sid, out->account_sid, sizeof out->account_sid, err);
    if (rc)
        return sbx_err_wrap(err, "firewall rule for %s", name);
    if (!name || !name[0] || strlen(name) > 64 || strpbrk(name, "|\r\n"))
        return sbx_err_set(err, SBX_EINVAL, "bad account name for a firewall rule: '%s'",
                           name ? name : "");
    snprintf(out->name, sizeof out->name, "sbx: block outbound of %s (%s)", name,
             out->account_sid);
    snprintf(out->description, sizeof out->description,
             "Added by sbx: the sandbox account %s reaches no network. Removed by sbx cleanup.",
             name);
    snprintf(out->group, sizeof out->group, "%s", SBX_FW_GROUP);
    out->outbound = true;
    out->block = true;
    out->profiles = 0x7fffffffL; /* NET_FW_PROFILE2_ALL */
    snprintf(out->remote_addresses, sizeof out->remote_addresses, "%s",
             SBX_FW_REMOTE_NOT_LOOPBACK);
    snprintf(out->local_users, sizeof out->local_users, "O:LSD:(A;;CC;;;%s)", out->account_sid);
    return 0;
}

int sbx_fw_spec_render(const struct sbx_fw_rule_spec *s, char *out, size_t len)
{
    int n = snprintf(out, len,
                     "name=%s\ngroup=%s\ndirection=%s\naction=%s\nprofiles=0x%lx\n"
                     "remote=%s\nusers=%s\n",
                     s->name, s->group, s->outbound ? "out" : "in", s->block ? "block" : "allow",
                     (unsigned long)s->profiles, s->remote_addresses, s->local_users);
    return n < 0 || (size_t)n >= len ? -SBX_EINVAL : 0;
}

int sbx_fw_users_sid(const char *users, char *sid, size_t len)
{
    static const char pre[] = "O:LSD:(A;;CC;;;";
    size_t n = users ? strlen(users) : 0;
    if (n <= sizeof pre || strncmp(users, pre, sizeof pre - 1) != 0 || users[n - 1] != ')')
        return -SBX_EINVAL;
    size_t sl = n - (sizeof pre - 1) - 1;
    if (sl >= len || sl >= SBX_SID_STR_MAX)
        return -SBX_EINVAL;
    char tmp[SBX_SID_STR_MAX];
    memcpy(tmp, users + sizeof pre - 1, sl);
    tmp[sl] = '\0';
    return sbx_sid_canonical(tmp, sid, len, NULL);
}
