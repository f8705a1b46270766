/* SPDX-License-Identifier: MIT */
/* The firewall of the elevated mode: one nft table of sbx's own (libnftables)
 * whose output chain rejects every packet a socket of the offline account
 * sends, loopback included, except to the loopback ports left open for a
 * local proxy.  The online account is not mentioned, so it is untouched.
 *
 * The table's comment carries sbx's marker and the resource key: a table
 * without the marker is never replaced or removed, and removing a resource
 * whose table has since been replaced by a newer one (other ports) leaves
 * the newer one alone.
 *
 * Changing the ports is a plan of two operations on the one table: create
 * the new rule (the table rewritten), then delete the old one.  Until the
 * old one is deleted, the table also names it, in the comment of an empty
 * chain `replaced` (no hook, no effect), so that undoing the creation
 * writes the old rule back instead of leaving the offline account
 * unfenced; deleting the old rule drops that chain. */
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "modes/os/linux/nft_dyn.h"
#include "util/cleanup.h"

/* sbx_autoptr(nft) struct nft_ctx *ctx: one context per operation, freed
 * on every way out of it. */
SBX_DEFINE_AUTOPTR(nft, struct nft_ctx *, nft_ctx_free)

static int nft_open(struct nft_ctx **ctx, struct sbx_error *err)
{
    *ctx = NULL;
    int rc = sbx_nft_load(err);
    if (rc)
        return rc;
    *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!*ctx || nft_ctx_buffer_output(*ctx) || nft_ctx_buffer_error(*ctx))
        return sbx_err_set(err, SBX_EIO, "libnftables: cannot create a context");
    /* Numbers, not names: uids are compared as numbers below. */
    nft_ctx_output_set_flags(*ctx, NFT_CTX_OUTPUT_NUMERIC_ALL);
    return 0;
}

static int nft_run(struct nft_ctx *ctx, const char *cmd, const char *what,
                   struct sbx_error *err)
{
    if (nft_run_cmd_from_buffer(ctx, cmd) == 0)
        return 0;
    const char *e = nft_ctx_get_error_buffer(ctx);
    char first[300];
    snprintf(first, sizeof first, "%s", e ? e : "");
    first[strcspn(first, "\n")] = '\0';
    return sbx_err_set(err, SBX_EIO, "nftables: %s failed: %s (run sbx as root)", what, first);
}

static bool table_name_ok(const char *t)
{
    if (strncmp(t, "sbx", 3) != 0 || strlen(t) > 32)
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

/* What the table's listing says: present, its comment and the listing. */
struct table_state {
    bool present;
    char comment[256];
    char replaced[256]; /* the key of the rule this one replaced, or "" */
    char *listing; /* malloc'd; NULL when absent */
};

static void table_state_free(struct table_state *s)
{
    free(s->listing);
}

static int table_read(struct nft_ctx *ctx, const char *table, struct table_state *s,
                      struct sbx_error *err)
{
    memset(s, 0, sizeof *s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "list table inet %s", table);
    if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
        const char *e = nft_ctx_get_error_buffer(ctx);
        if (e && (strstr(e, "No such file") || strstr(e, "does not exist")))
            return 0;
        return nft_run(ctx, cmd, "listing the sbx table", err);
    }
    const char *out = nft_ctx_get_output_buffer(ctx);
    if (!(s->listing = strdup(out ? out : "")))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    s->present = true;
    const char *c = strstr(s->listing, "comment \"");
    if (c) {
        c += strlen("comment \"");
        size_t len = strcspn(c, "\"");
        snprintf(s->comment, sizeof s->comment, "%.*s", (int)len, c);
    }
    const char *chain = strstr(s->listing, "chain replaced {");
    if (chain && (c = strstr(chain, "comment \""))) {
        c += strlen("comment \"");
        size_t len = strcspn(c, "\"");
        snprintf(s->replaced, sizeof s->replaced, "%.*s", (int)len, c);
    }
    return 0;
}

struct fw_desc {
    char table[64], account[64], ports[128];
    char comment[256];
    char replaced[256]; /* "": none */
};

static int fw_desc(const struct sbx_resource *r, struct fw_desc *d, struct sbx_error *err)
{
    memset(d, 0, sizeof *d);
    if (sbx_detail_get(r->detail, "table", d->table, sizeof d->table) != 0 ||
        sbx_detail_get(r->detail, "account", d->account, sizeof d->account) != 0 ||
        !table_name_ok(d->table))
        return sbx_err_set(err, SBX_EINVAL,
                           "firewall rule %s: table (sbx...) or account missing", r->key);
    sbx_detail_get(r->detail, "ports", d->ports, sizeof d->ports);
    for (const char *p = d->ports; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == ','))
            return sbx_err_set(err, SBX_EINVAL, "firewall rule %s: bad port list", r->key);
    /* nft keeps 128 bytes of a comment: the marker, a space and the key. */
    if (strlen(r->key) > 115 || strpbrk(r->key, "\" "))
        return sbx_err_set(err, SBX_EINVAL, "firewall rule %s: bad key (too long?)", r->key);
    snprintf(d->comment, sizeof d->comment, "%s %s", SBX_MARKER, r->key);
    return 0;
}

static bool marked(const char *comment)
{
    return strncmp(comment, SBX_MARKER " ", strlen(SBX_MARKER) + 1) == 0;
}

/* The key a marked comment names. */
static const char *comment_key(const char *comment)
{
    return comment + strlen(SBX_MARKER) + 1;
}

/* The same table and account with the ports another key names. */
static int desc_for_key(const struct fw_desc *base, const char *key, struct fw_desc *out,
                        struct sbx_error *err)
{
    *out = *base;
    const char *p = strstr(key, ":ports=");
    snprintf(out->ports, sizeof out->ports, "%s", p ? p + strlen(":ports=") : "");
    for (const char *c = out->ports; *c; c++)
        if (!((*c >= '0' && *c <= '9') || *c == ','))
            return sbx_err_set(err, SBX_EINVAL, "firewall rule %s: bad port list", key);
    snprintf(out->comment, sizeof out->comment, "%s %s", SBX_MARKER, key);
    out->replaced[0] = '\0';
    return 0;
}

static int build_ruleset(const struct fw_desc *d, unsigned uid, char *buf, size_t len)
{
    char allow[512] = "";
    if (d->ports[0])
        snprintf(allow, sizeof allow,
                 "    meta skuid %u ip daddr 127.0.0.0/8 meta l4proto { tcp, udp } th dport "
                 "{ %s } accept\n"
                 "    meta skuid %u ip6 daddr ::1 meta l4proto { tcp, udp } th dport { %s } "
                 "accept\n",
                 uid, d->ports, uid, d->ports);
    /* add + delete + define: replaces an older sbx table atomically, in
     * one transaction, and works whether it existed or not. */
    int n = snprintf(buf, len,
                     "add table inet %s\n"
                     "delete table inet %s\n"
                     "table inet %s {\n"
                     "  comment \"%s\"\n"
                     "  chain output {\n"
                     "    type filter hook output priority filter - 10; policy accept;\n"
                     "%s"
                     "    meta skuid %u meta l4proto tcp reject with tcp reset\n"
                     "    meta skuid %u reject with icmpx type admin-prohibited\n"
                     "  }\n"
                     "%s%s%s"
                     "}\n",
                     d->table, d->table, d->table, d->comment, allow, uid, uid,
                     d->replaced[0] ? "  chain replaced {\n    comment \"" : "", d->replaced,
                     d->replaced[0] ? "\"\n  }\n" : "");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The rule's description, an nftables context and what the table is now:
 * where every operation on the rule starts. */
static int fw_load(const struct sbx_resource *r, struct fw_desc *d, struct nft_ctx **ctx,
                   struct table_state *s, struct sbx_error *err)
{
    int rc = fw_desc(r, d, err);
    if (rc || (rc = nft_open(ctx, err)))
        return rc;
    return table_read(*ctx, d->table, s, err);
}

/* The offline account's uid, checked to be sbx's. */
static int fenced_uid(const struct sbx_resource *r, const struct fw_desc *d, uid_t *uid,
                      struct sbx_error *err)
{
    char gecos[256];
    if (sbx_drv_user_by_name(d->account, uid, NULL, gecos, sizeof gecos, NULL, 0) != 0)
        return sbx_err_set(err, SBX_ENOENT, "firewall rule %s: no account %s", r->key,
                           d->account);
    if (!sbx_drv_gecos_marked(gecos) || *uid == 0)
        return sbx_err_set(err, SBX_EPERM,
                           "firewall rule %s: account %s is not sbx's; refusing to cut its "
                           "network",
                           r->key, d->account);
    return 0;
}

/* (Re)write the table as d describes, in one nft transaction. */
static int fw_write(const struct sbx_resource *r, struct nft_ctx *ctx, const struct fw_desc *d,
                    uid_t uid, struct sbx_error *err)
{
    char ruleset[2048];
    if (build_ruleset(d, uid, ruleset, sizeof ruleset) != 0)
        return sbx_err_set(err, SBX_EINVAL, "firewall rule %s: ruleset too long", r->key);
    return nft_run(ctx, ruleset, "installing the sbx table", err);
}

static int fw_delete(const struct sbx_resource *r, struct nft_ctx *ctx, const struct fw_desc *d,
                     const struct table_state *s, struct sbx_error *err)
{
    if (!s->present)
        return 0;
    const char *key = comment_key(s->comment), *old = s->replaced;
    struct fw_desc back;
    uid_t uid;
    if (strcmp(key, r->key) == 0) {
        /* Ours.  Undoing a replacement: the rule it replaced comes back. */
        if (old[0] && fenced_uid(r, d, &uid, NULL) == 0) {
            int rc = desc_for_key(d, old, &back, err);
            return rc ? rc : fw_write(r, ctx, &back, uid, err);
        }
        char cmd[128];
        snprintf(cmd, sizeof cmd, "delete table inet %s", d->table);
        return nft_run(ctx, cmd, "removing the sbx table", err);
    }
    if (strcmp(old, r->key) == 0) {
        /* Replaced by a newer rule that still names ours: retire the note. */
        int rc = fenced_uid(r, d, &uid, err);
        if (rc == 0 && (rc = desc_for_key(d, key, &back, err)) == 0)
            rc = fw_write(r, ctx, &back, uid, err);
        return rc;
    }
    return 0; /* replaced by a newer resource of sbx's, already retired */
}

int sbx_drv_nft_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    struct fw_desc d;
    sbx_autoptr(nft) struct nft_ctx *ctx = NULL;
    sbx_cleanup(table_state_free) struct table_state s = {0};
    int rc = fw_load(r, &d, &ctx, &s, err);
    if (rc)
        return rc;
    if (s.present && !marked(s.comment))
        return sbx_err_set(err, SBX_EPERM,
                           "nft table inet %s exists and is not sbx's (no '%s' comment); "
                           "refusing to %s it",
                           d.table, SBX_MARKER, act == SBX_ACT_CREATE ? "replace" : "remove");
    if (act == SBX_ACT_DELETE)
        return fw_delete(r, ctx, &d, &s, err);
    uid_t uid;
    if ((rc = fenced_uid(r, &d, &uid, err)))
        return rc;
    if (s.present) {
        /* Replacing another rule of sbx's: name it until it is deleted.
         * Already ours (asked again after a crash): keep the note. */
        const char *key = comment_key(s.comment);
        snprintf(d.replaced, sizeof d.replaced, "%.200s",
                 strcmp(key, r->key) != 0 ? key : s.replaced);
    }
    if ((rc = fw_write(r, ctx, &d, uid, err)))
        return rc;
    char buf[16];
    snprintf(buf, sizeof buf, "%u", (unsigned)uid);
    if (sbx_resource_set_field(&r->principal, buf) || sbx_resource_set_field(&r->os_id, buf))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    return 0;
}

int sbx_drv_nft_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err)
{
    struct fw_desc d;
    sbx_autoptr(nft) struct nft_ctx *ctx = NULL;
    sbx_cleanup(table_state_free) struct table_state s = {0};
    int rc = fw_load(r, &d, &ctx, &s, err);
    if (rc)
        return rc;
    if (!s.present) {
        *out = SBX_ABSENT;
        return 0;
    }
    *out = SBX_DIFFERENT;
    if (!marked(s.comment))
        return 0;
    if (strcmp(comment_key(s.comment), r->key) != 0) {
        /* Replaced by another rule of sbx's: still named by it while the
         * replacement is under way, else gone. */
        *out = strcmp(s.replaced, r->key) == 0 ? SBX_PRESENT : SBX_ABSENT;
        return 0;
    }
    if (r->principal) {
        /* The rule must still name the recorded uid. */
        char want[48];
        snprintf(want, sizeof want, "meta skuid %s ", r->principal);
        if (!strstr(s.listing, want))
            return 0;
    }
    *out = SBX_PRESENT;
    return 0;
}

int sbx_drv_nft_find_marked(struct sbx_resource_list *out, struct sbx_error *err)
{
    sbx_autoptr(nft) struct nft_ctx *ctx = NULL;
    int rc = nft_open(&ctx, err);
    if (rc)
        return rc;
    if ((rc = nft_run(ctx, "list tables inet", "listing tables", err)))
        return rc;
    /* Once: getting the output buffer also empties it. */
    const char *listing = nft_ctx_get_output_buffer(ctx);
    sbx_autofree char *tables = strdup(listing ? listing : "");
    if (!tables)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    char *save = NULL;
    for (char *line = strtok_r(tables, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        char name[64];
        if (sscanf(line, "table inet %63s", name) != 1 || !table_name_ok(name))
            continue;
        sbx_cleanup(table_state_free) struct table_state s = {0};
        rc = table_read(ctx, name, &s, err);
        if (rc == 0 && s.present && marked(s.comment)) {
            /* The key is what follows the marker in the comment. */
            const char *key = comment_key(s.comment);
            char detail[256];
            snprintf(detail, sizeof detail, "table=%s\naccount=unknown\n", name);
            if (sbx_rlist_add(out, SBX_R_FIREWALL_RULE, key, name, NULL, NULL, detail, "elevated"))
                rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        }
    }
    return rc;
}
