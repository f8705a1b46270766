/* SPDX-License-Identifier: MIT */
/* The firewall rule as data (pure). */
#include "modes/os/win32/firewall.h"

#include <stdio.h>
#include <string.h>

int sbx_fw_block_spec(const char *name, const char *sid, bool outbound,
                      struct sbx_fw_rule_spec *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = sbx_sid_canonical(sid, out->account_sid, sizeof out->account_sid, err);
    if (rc)
        return sbx_err_wrap(err, "firewall rule for %s", name);
    if (!name || !name[0] || strlen(name) > 64 || strpbrk(name, "|\r\n"))
        return sbx_err_set(err, SBX_EINVAL, "bad account name for a firewall rule: '%s'",
                           name ? name : "");
    const char *dir = outbound ? "outbound" : "inbound";
    snprintf(out->name, sizeof out->name, "sbx: block %s of %s (%s)", dir, name,
             out->account_sid);
    snprintf(out->description, sizeof out->description,
             "Added by sbx: the sandbox account %s reaches no network (%s). Removed by sbx "
             "cleanup.",
             name, dir);
    snprintf(out->group, sizeof out->group, "%s", SBX_FW_GROUP);
    out->outbound = outbound;
    out->block = true;
    out->profiles = 0x7fffffffL; /* NET_FW_PROFILE2_ALL */
    out->protocol = SBX_FW_PROTOCOL_ANY;
    snprintf(out->remote_addresses, sizeof out->remote_addresses, "%s", SBX_FW_REMOTE_ALL);
    snprintf(out->local_users, sizeof out->local_users, "O:LSD:(A;;CC;;;%s)", out->account_sid);
    return 0;
}

int sbx_fw_spec_render(const struct sbx_fw_rule_spec *s, char *out, size_t len)
{
    int n = snprintf(out, len,
                     "name=%s\ngroup=%s\ndirection=%s\naction=%s\nprofiles=0x%lx\n"
                     "protocol=%ld\nremote=%s\nusers=%s\n",
                     s->name, s->group, s->outbound ? "out" : "in", s->block ? "block" : "allow",
                     (unsigned long)s->profiles, s->protocol, s->remote_addresses,
                     s->local_users);
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

void sbx_fw_spec_fields(const struct sbx_fw_rule_spec *s, struct sbx_fw_rule_fields *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", s->name);
    snprintf(out->group, sizeof out->group, "%s", s->group);
    snprintf(out->remote_addresses, sizeof out->remote_addresses, "%s", s->remote_addresses);
    snprintf(out->local_users, sizeof out->local_users, "%s", s->local_users);
    out->outbound = s->outbound;
    out->block = s->block;
    out->enabled = true;
    out->profiles = s->profiles;
    out->protocol = s->protocol;
}

const char *sbx_fw_fields_diff(const struct sbx_fw_rule_fields *want,
                               const struct sbx_fw_rule_fields *got)
{
    char a[SBX_SID_STR_MAX], b[SBX_SID_STR_MAX];
    if (strcmp(want->name, got->name) != 0)
        return "name";
    if (strcmp(want->group, got->group) != 0)
        return "grouping";
    if (want->outbound != got->outbound)
        return "direction";
    if (want->block != got->block)
        return "action";
    if (want->enabled != got->enabled)
        return "enabled";
    /* NET_FW_PROFILE2_ALL may read back as the three profiles' bits */
    if (want->profiles != got->profiles &&
        !(want->profiles == 0x7fffffffL && (got->profiles & 7L) == 7L))
        return "profiles";
    if (want->protocol != got->protocol)
        return "protocol";
    if (_stricmp(want->remote_addresses, got->remote_addresses) != 0)
        return "remote addresses";
    /* the users list compares by the SID it names (Windows may reformat
     * the SDDL around it) */
    if (sbx_fw_users_sid(want->local_users, a, sizeof a) != 0 ||
        sbx_fw_users_sid(got->local_users, b, sizeof b) != 0 || strcmp(a, b) != 0)
        return "local users";
    return NULL;
}
