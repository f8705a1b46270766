/* SPDX-License-Identifier: MIT */
/* Windows Firewall through COM (INetFwPolicy2, INetFwRule3).  The one
 * translation unit that instantiates the firewall GUIDs. */
#define COBJMACROS
#include <windows.h>
#include <initguid.h>
#include <netfw.h>
#include <oleauto.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "modes/common/win32/winutil.h"
#include "modes/os/win32/firewall.h"

struct sbx_fw {
    INetFwPolicy2 *policy;
    INetFwRules *rules;
    bool com_init; /* this object initialised COM and uninitialises it */
};

static BSTR bstr(const char *utf8)
{
    wchar_t *w = sbx_wide(utf8);
    BSTR b = w ? SysAllocString(w) : NULL;
    free(w);
    return b;
}

void sbx_fw_close(struct sbx_fw *fw)
{
    if (!fw)
        return;
    if (fw->rules)
        INetFwRules_Release(fw->rules);
    if (fw->policy)
        INetFwPolicy2_Release(fw->policy);
    if (fw->com_init)
        CoUninitialize();
    free(fw);
}

static int check_local_policy(struct sbx_fw *fw, struct sbx_error *err)
{
    NET_FW_MODIFY_STATE st = NET_FW_MODIFY_STATE_OK;
    HRESULT hr = INetFwPolicy2_get_LocalPolicyModifyState(fw->policy, &st);
    if (FAILED(hr))
        return sbx_win_hr(err, SBX_EIO, hr, "asking whether local firewall rules take effect");
    if (st == NET_FW_MODIFY_STATE_GP_OVERRIDE)
        return sbx_err_set(err, SBX_ENOTSUP,
                           "Group Policy overrides the local firewall rules on this machine, so "
                           "sbx's rule would not block the offline account; ask the domain "
                           "administrator, or use the online account knowingly");
    const struct {
        NET_FW_PROFILE_TYPE2 type;
        const char *name;
    } prof[] = {{NET_FW_PROFILE2_DOMAIN, "Domain"},
                {NET_FW_PROFILE2_PRIVATE, "Private"},
                {NET_FW_PROFILE2_PUBLIC, "Public"}};
    for (size_t i = 0; i < sizeof prof / sizeof prof[0]; i++) {
        VARIANT_BOOL on = VARIANT_FALSE;
        hr = INetFwPolicy2_get_FirewallEnabled(fw->policy, prof[i].type, &on);
        if (FAILED(hr))
            return sbx_win_hr(err, SBX_EIO, hr, "asking whether the firewall is on (%s profile)",
                              prof[i].name);
        if (on != VARIANT_TRUE)
            return sbx_err_set(err, SBX_ENOTSUP,
                               "Windows Firewall is off for the %s profile, so the offline "
                               "account would reach the network; turn it on (Windows Security "
                               "> Firewall) and run sbx setup again",
                               prof[i].name);
    }
    return 0;
}

int sbx_fw_open(bool require_local, struct sbx_fw **out, struct sbx_error *err)
{
    *out = NULL;
    struct sbx_fw *fw = calloc(1, sizeof *fw);
    if (!fw)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    HRESULT hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    if (SUCCEEDED(hr))
        fw->com_init = true;
    else if (hr != RPC_E_CHANGED_MODE) {
        free(fw);
        return sbx_win_hr(err, SBX_EIO, hr, "initialising COM for the firewall");
    }
    int rc = 0;
    hr = CoCreateInstance(&CLSID_NetFwPolicy2, NULL, CLSCTX_INPROC_SERVER, &IID_INetFwPolicy2,
                          (void **)&fw->policy);
    if (FAILED(hr)) {
        rc = sbx_win_hr(err, 0, hr, "opening the Windows Firewall policy");
        goto fail;
    }
    hr = INetFwPolicy2_get_Rules(fw->policy, &fw->rules);
    if (FAILED(hr) || !fw->rules) {
        rc = sbx_win_hr(err, 0, hr, "listing the Windows Firewall rules");
        goto fail;
    }
    if (require_local && (rc = check_local_policy(fw, err)) != 0)
        goto fail;
    *out = fw;
    return 0;
fail:
    sbx_fw_close(fw);
    return rc;
}

/* Call fn for each rule of sbx's group; fn returns <0 to fail, >0 to stop. */
typedef int (*rule_fn)(void *ctx, INetFwRule *rule, const char *name, struct sbx_error *err);

static int for_each_sbx_rule(struct sbx_fw *fw, rule_fn fn, void *ctx, struct sbx_error *err)
{
    IUnknown *unk = NULL;
    IEnumVARIANT *en = NULL;
    HRESULT hr = INetFwRules_get__NewEnum(fw->rules, &unk);
    if (hr == E_NOTIMPL)
        return sbx_win_hr(err, SBX_ENOTSUP, hr, "this system's firewall cannot list its rules");
    if (FAILED(hr) || !unk)
        return sbx_win_hr(err, SBX_EIO, hr, "enumerating the firewall rules");
    hr = IUnknown_QueryInterface(unk, &IID_IEnumVARIANT, (void **)&en);
    IUnknown_Release(unk);
    if (FAILED(hr))
        return sbx_win_hr(err, SBX_EIO, hr, "enumerating the firewall rules");
    int rc = 0;
    for (;;) {
        VARIANT v;
        ULONG got = 0;
        VariantInit(&v);
        if (IEnumVARIANT_Next(en, 1, &v, &got) != S_OK || got == 0)
            break;
        INetFwRule *rule = NULL;
        if (V_VT(&v) == VT_DISPATCH && V_DISPATCH(&v) &&
            SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&v), &IID_INetFwRule, (void **)&rule))) {
            BSTR group = NULL, name = NULL;
            INetFwRule_get_Grouping(rule, &group);
            INetFwRule_get_Name(rule, &name);
            char *g = group ? sbx_utf8(group) : NULL;
            char *n = name ? sbx_utf8(name) : NULL;
            if (g && n && strcmp(g, SBX_FW_GROUP) == 0)
                rc = fn(ctx, rule, n, err);
            free(g);
            free(n);
            SysFreeString(group);
            SysFreeString(name);
            INetFwRule_Release(rule);
        }
        VariantClear(&v);
        if (rc != 0)
            break;
    }
    IEnumVARIANT_Release(en);
    return rc < 0 ? rc : 0;
}

static char *rule_users(INetFwRule *rule)
{
    INetFwRule3 *r3 = NULL;
    char *out = NULL;
    if (SUCCEEDED(INetFwRule_QueryInterface(rule, &IID_INetFwRule3, (void **)&r3))) {
        BSTR users = NULL;
        if (SUCCEEDED(INetFwRule3_get_LocalUserAuthorizedList(r3, &users)) && users)
            out = sbx_utf8(users);
        SysFreeString(users);
        INetFwRule3_Release(r3);
    }
    return out;
}

/* One string property, read back: S_OK and a value, or an error. */
static int get_str(HRESULT hr, BSTR b, char *out, size_t len, const char *what,
                   struct sbx_error *err)
{
    int rc = 0;
    out[0] = '\0';
    if (hr != S_OK)
        rc = sbx_win_hr(err, SBX_EIO, hr, "reading the firewall rule's %s back", what);
    else if (b && sbx_utf8_buf(b, out, len))
        rc = sbx_err_set(err, SBX_EINVAL, "the firewall rule's %s is too long", what);
    SysFreeString(b);
    return rc;
}

/* Every field sbx sets, as the rule object holds it. */
static int rule_read(INetFwRule3 *r, struct sbx_fw_rule_fields *f, struct sbx_error *err)
{
    memset(f, 0, sizeof *f);
    BSTR b = NULL;
    HRESULT hr = INetFwRule3_get_Name(r, &b);
    int rc = get_str(hr, b, f->name, sizeof f->name, "name", err);
    if (rc)
        return rc;
    b = NULL;
    hr = INetFwRule3_get_Grouping(r, &b);
    if ((rc = get_str(hr, b, f->group, sizeof f->group, "grouping", err)) != 0)
        return rc;
    b = NULL;
    hr = INetFwRule3_get_RemoteAddresses(r, &b);
    if ((rc = get_str(hr, b, f->remote_addresses, sizeof f->remote_addresses,
                      "remote addresses", err)) != 0)
        return rc;
    b = NULL;
    hr = INetFwRule3_get_LocalUserAuthorizedList(r, &b);
    if ((rc = get_str(hr, b, f->local_users, sizeof f->local_users, "local users", err)) != 0)
        return rc;
    NET_FW_RULE_DIRECTION dir = NET_FW_RULE_DIR_IN;
    NET_FW_ACTION act = NET_FW_ACTION_ALLOW;
    VARIANT_BOOL on = VARIANT_FALSE;
    const char *what = "direction";
    if ((hr = INetFwRule3_get_Direction(r, &dir)) != S_OK ||
        (what = "action", hr = INetFwRule3_get_Action(r, &act)) != S_OK ||
        (what = "enabled flag", hr = INetFwRule3_get_Enabled(r, &on)) != S_OK ||
        (what = "profiles", hr = INetFwRule3_get_Profiles(r, &f->profiles)) != S_OK ||
        (what = "protocol", hr = INetFwRule3_get_Protocol(r, &f->protocol)) != S_OK)
        return sbx_win_hr(err, SBX_EIO, hr, "reading the firewall rule's %s back", what);
    f->outbound = dir == NET_FW_RULE_DIR_OUT;
    f->block = act == NET_FW_ACTION_BLOCK;
    f->enabled = on == VARIANT_TRUE;
    return 0;
}

struct probe_ctx {
    const struct sbx_fw_rule_spec *spec;
    int state;
};

static int probe_one(void *vctx, INetFwRule *rule, const char *name, struct sbx_error *err)
{
    struct probe_ctx *c = vctx;
    if (strcmp(name, c->spec->name) != 0)
        return 0;
    /* a name-only spec (removal) asks whether it is there at all */
    if (!c->spec->account_sid[0]) {
        c->state = 1;
        return 1;
    }
    INetFwRule3 *r3 = NULL;
    struct sbx_fw_rule_fields want, got;
    struct sbx_error ignored = {0};
    c->state = 2;
    if (SUCCEEDED(INetFwRule_QueryInterface(rule, &IID_INetFwRule3, (void **)&r3))) {
        sbx_fw_spec_fields(c->spec, &want);
        if (rule_read(r3, &got, &ignored) == 0 && !sbx_fw_fields_diff(&want, &got))
            c->state = 1;
        INetFwRule3_Release(r3);
    }
    (void)err;
    return 1;
}

int sbx_fw_rule_probe(struct sbx_fw *fw, const struct sbx_fw_rule_spec *spec, int *state,
                      struct sbx_error *err)
{
    struct probe_ctx c = {spec, 0};
    int rc = for_each_sbx_rule(fw, probe_one, &c, err);
    *state = c.state;
    return rc;
}

int sbx_fw_rule_remove(struct sbx_fw *fw, const char *name, struct sbx_error *err)
{
    /* Remove only a rule of sbx's group: look first, then remove by name
     * (the name carries the account SID, so it is sbx's alone). */
    struct sbx_fw_rule_spec probe_spec;
    memset(&probe_spec, 0, sizeof probe_spec);
    snprintf(probe_spec.name, sizeof probe_spec.name, "%s", name);
    for (int round = 0; round < 16; round++) {
        int state = 0;
        int rc = sbx_fw_rule_probe(fw, &probe_spec, &state, err);
        if (rc)
            return rc;
        if (state == 0)
            return 0;
        BSTR b = bstr(name);
        HRESULT hr = INetFwRules_Remove(fw->rules, b);
        SysFreeString(b);
        if (hr != S_OK)
            return sbx_win_hr(err, SBX_EIO, hr, "removing the firewall rule '%s'", name);
    }
    return sbx_err_set(err, SBX_EIO, "the firewall rule '%s' keeps coming back", name);
}

/* The rule object with every field of spec set; each setter must answer
 * S_OK (S_FALSE, a partial success, is a failure here). */
static int rule_build(const struct sbx_fw_rule_spec *spec, INetFwRule3 **out,
                      struct sbx_error *err)
{
    *out = NULL;
    INetFwRule3 *r = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_NetFwRule, NULL, CLSCTX_INPROC_SERVER,
                                  &IID_INetFwRule3, (void **)&r);
    if (hr != S_OK || !r)
        return sbx_win_hr(err, SBX_ENOTSUP, hr,
                          "creating a firewall rule object (INetFwRule3 needs Windows 8 or "
                          "later)");
    int rc = 0;
    BSTR name = bstr(spec->name), desc = bstr(spec->description), group = bstr(spec->group),
         remote = bstr(spec->remote_addresses), users = bstr(spec->local_users);
    const char *what = "name";
    if (!name || !desc || !group || !remote || !users)
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    else if ((hr = INetFwRule3_put_Name(r, name)) != S_OK ||
             (what = "description", hr = INetFwRule3_put_Description(r, desc)) != S_OK ||
             (what = "grouping", hr = INetFwRule3_put_Grouping(r, group)) != S_OK ||
             (what = "direction",
              hr = INetFwRule3_put_Direction(r, spec->outbound ? NET_FW_RULE_DIR_OUT
                                                                : NET_FW_RULE_DIR_IN)) != S_OK ||
             (what = "action", hr = INetFwRule3_put_Action(r, spec->block ? NET_FW_ACTION_BLOCK
                                                                          : NET_FW_ACTION_ALLOW)) !=
                 S_OK ||
             (what = "profiles", hr = INetFwRule3_put_Profiles(r, spec->profiles)) != S_OK ||
             (what = "protocol", hr = INetFwRule3_put_Protocol(r, spec->protocol)) != S_OK ||
             (what = "remote addresses", hr = INetFwRule3_put_RemoteAddresses(r, remote)) !=
                 S_OK ||
             (what = "local users", hr = INetFwRule3_put_LocalUserAuthorizedList(r, users)) !=
                 S_OK ||
             (what = "enabled flag", hr = INetFwRule3_put_Enabled(r, VARIANT_TRUE)) != S_OK)
        rc = sbx_win_hr(err, SBX_EIO, hr, "firewall rule '%s': setting its %s", spec->name,
                        what);
    SysFreeString(name);
    SysFreeString(desc);
    SysFreeString(group);
    SysFreeString(remote);
    SysFreeString(users);
    if (rc)
        INetFwRule3_Release(r);
    else
        *out = r;
    return rc;
}

static int compare(const struct sbx_fw_rule_spec *spec, const struct sbx_fw_rule_fields *got,
                   const char *where, struct sbx_error *err)
{
    struct sbx_fw_rule_fields want;
    sbx_fw_spec_fields(spec, &want);
    const char *diff = sbx_fw_fields_diff(&want, got);
    if (diff)
        return sbx_err_set(err, SBX_EDRIFT,
                           "the firewall rule '%s' %s differs from what sbx set: its %s", spec->name,
                           where, diff);
    return 0;
}

int sbx_fw_rule_build_check(const struct sbx_fw_rule_spec *spec, struct sbx_fw_rule_fields *got,
                            struct sbx_error *err)
{
    bool com = SUCCEEDED(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
    INetFwRule3 *r = NULL;
    int rc = rule_build(spec, &r, err);
    if (!rc)
        rc = rule_read(r, got, err);
    if (!rc)
        rc = compare(spec, got, "as built", err);
    if (r)
        INetFwRule3_Release(r);
    if (com)
        CoUninitialize();
    return rc;
}

/* The rule as the firewall now holds it, read back by name. */
static int read_back(struct sbx_fw *fw, const struct sbx_fw_rule_spec *spec,
                     struct sbx_error *err)
{
    BSTR name = bstr(spec->name);
    INetFwRule *rule = NULL;
    INetFwRule3 *r3 = NULL;
    HRESULT hr = name ? INetFwRules_Item(fw->rules, name, &rule) : E_OUTOFMEMORY;
    SysFreeString(name);
    if (hr != S_OK || !rule)
        return sbx_win_hr(err, SBX_EIO, hr,
                          "reading the firewall rule '%s' back after adding it", spec->name);
    struct sbx_fw_rule_fields got;
    hr = INetFwRule_QueryInterface(rule, &IID_INetFwRule3, (void **)&r3);
    INetFwRule_Release(rule);
    if (hr != S_OK)
        return sbx_win_hr(err, SBX_EIO, hr, "reading the firewall rule '%s' back", spec->name);
    int rc = rule_read(r3, &got, err);
    INetFwRule3_Release(r3);
    return rc ? rc : compare(spec, &got, "as the firewall holds it", err);
}

int sbx_fw_rule_ensure(struct sbx_fw *fw, const struct sbx_fw_rule_spec *spec,
                       struct sbx_error *err)
{
    int state = 0;
    int rc = sbx_fw_rule_probe(fw, spec, &state, err);
    if (rc || state == 1)
        return rc;
    if (state == 2 && (rc = sbx_fw_rule_remove(fw, spec->name, err)) != 0)
        return rc;
    INetFwRule3 *r = NULL;
    if ((rc = rule_build(spec, &r, err)) != 0)
        return rc;
    HRESULT hr = INetFwRules_Add(fw->rules, (INetFwRule *)r);
    INetFwRule3_Release(r);
    if (hr != S_OK)
        return sbx_win_hr(err, SBX_EIO, hr, "firewall rule '%s': adding it", spec->name);
    if ((rc = read_back(fw, spec, err)) != 0) {
        /* a rule that is not what sbx asked for does not stay */
        struct sbx_error ignored = {0};
        sbx_fw_rule_remove(fw, spec->name, &ignored);
    }
    return rc;
}

struct visit_ctx {
    sbx_fw_visit visit;
    void *ctx;
};

static int visit_one(void *vctx, INetFwRule *rule, const char *name, struct sbx_error *err)
{
    struct visit_ctx *c = vctx;
    char *users = rule_users(rule);
    int rc = c->visit(c->ctx, name, users ? users : "", err);
    free(users);
    return rc < 0 ? rc : 0;
}

int sbx_fw_rules_of_group(struct sbx_fw *fw, sbx_fw_visit visit, void *ctx,
                          struct sbx_error *err)
{
    struct visit_ctx c = {visit, ctx};
    return for_each_sbx_rule(fw, visit_one, &c, err);
}
