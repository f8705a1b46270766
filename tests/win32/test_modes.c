/* SPDX-License-Identifier: MIT */
/* The Windows modes' resources for a configuration (keys, trustees, reuse of
 * the capability SID), mode selection by privilege, and the driver's
 * answers that need no privilege. */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "modes/mode.h"
#include "modes/common/win32/resources.h"
#include "modes/common/win32/sid.h"

static char ws[MAX_PATH * 3];

static int setup(void **state)
{
    (void)state;
    char tmp[MAX_PATH];
    GetTempPathA(MAX_PATH, tmp);
    snprintf(ws, sizeof ws, "%ssbx-modes-%lu", tmp, (unsigned long)GetCurrentProcessId());
    CreateDirectoryA(ws, NULL);
    char git[MAX_PATH * 3 + 8];
    snprintf(git, sizeof git, "%s\\.git", ws);
    CreateDirectoryA(git, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char git[MAX_PATH * 3 + 8];
    snprintf(git, sizeof git, "%s\\.git", ws);
    RemoveDirectoryA(git);
    RemoveDirectoryA(ws);
    return 0;
}

static const struct sbx_resource *find(const struct sbx_resource_list *l, enum sbx_rkind k,
                                       const char *key)
{
    long i = sbx_rlist_find(l, k, key);
    if (i < 0)
        fail_msg("no %s resource '%s'", sbx_rkind_name(k), key);
    return &l->items[i];
}

static void test_unelevated_desired(void **state)
{
    (void)state;
    const struct sbx_mode_ops *m = sbx_mode_get(SBX_MODE_UNELEVATED);
    assert_non_null(m);
    assert_string_equal(m->platform, "win32");
    const char *wss[] = {ws};
    struct sbx_config cfg = {.mode = SBX_MODE_UNELEVATED, .workspaces = wss, .n_workspaces = 1};
    struct sbx_resource_list out = {0};
    struct sbx_error err = {0};
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_MACHINE, &out, &err), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_USER, &out, &err), 0);
    char capkey[4096];
    snprintf(capkey, sizeof capkey, "capability:%s", ws);
    const struct sbx_resource *cap = find(&out, SBX_R_CAPABILITY_SID, capkey);
    assert_string_equal(cap->path, ws);
    struct sbx_sid sid;
    assert_int_equal(sbx_sid_parse(cap->principal, &sid, NULL), 0);
    assert_true(sbx_sid_is_capability_shape(&sid));
    char key[4096];
    snprintf(key, sizeof key, "%s|(A;OICI;0x1301bf;;;%s)", ws, cap->principal);
    const struct sbx_resource *g = find(&out, SBX_R_ACL_ENTRY, key);
    assert_string_equal(g->principal, cap->principal);
    assert_string_equal(g->path, ws);
    snprintf(key, sizeof key, "%s\\.git|(D;OICI;0xd0156;;;%s)", ws, cap->principal);
    find(&out, SBX_R_ACL_ENTRY, key);
    find(&out, SBX_R_MODE, "unelevated");
    find(&out, SBX_R_WORKSPACE, ws);

    /* the capability SID is reused from the ledger, so plans are stable */
    struct sbx_resource_list again = {0};
    cfg.current = &out;
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_USER, &again, &err), 0);
    assert_int_equal(again.len, out.len);
    for (size_t i = 0; i < out.len; i++)
        assert_true(sbx_rlist_find(&again, out.items[i].kind, out.items[i].key) >= 0);
    sbx_rlist_free(&again);

    /* two workspaces: a capability SID each, each granted on its own
     * workspace only (issue 17 item 9) */
    char ws2[MAX_PATH * 3 + 8];
    snprintf(ws2, sizeof ws2, "%s-2", ws);
    const char *two[] = {ws, ws2};
    cfg.workspaces = two;
    cfg.n_workspaces = 2;
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_USER, &again, &err), 0);
    char c1[SBX_SID_STR_MAX], c2[SBX_SID_STR_MAX];
    assert_int_equal(sbx_winres_capability_of(&again, ws, c1, sizeof c1), 0);
    assert_int_equal(sbx_winres_capability_of(&again, ws2, c2, sizeof c2), 0);
    assert_string_equal(c1, cap->principal); /* reused */
    assert_string_not_equal(c1, c2);
    snprintf(key, sizeof key, "%s|(A;OICI;0x1301bf;;;%s)", ws2, c2);
    find(&again, SBX_R_ACL_ENTRY, key);
    snprintf(key, sizeof key, "%s|(A;OICI;0x1301bf;;;%s)", ws2, c1);
    assert_true(sbx_rlist_find(&again, SBX_R_ACL_ENTRY, key) < 0);
    sbx_rlist_free(&again);

    /* a ledger from before (one "capability" per user): the desired set
     * has none of it, so the plan removes it and its ACEs */
    struct sbx_resource_list legacy = {0};
    assert_int_equal(sbx_rlist_add(&legacy, SBX_R_CAPABILITY_SID, "capability", NULL,
                                   "S-1-5-21-7-7-7-7", NULL, NULL, "unelevated"),
                     0);
    cfg.current = &legacy;
    cfg.workspaces = wss;
    cfg.n_workspaces = 1;
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_USER, &again, &err), 0);
    assert_true(sbx_rlist_find(&again, SBX_R_CAPABILITY_SID, "capability") < 0);
    assert_int_equal(sbx_winres_capability_of(&again, ws, c1, sizeof c1), 0);
    assert_string_not_equal(c1, "S-1-5-21-7-7-7-7");
    sbx_rlist_free(&again);
    sbx_rlist_free(&legacy);
    sbx_rlist_free(&out);
}

static void test_elevated_desired(void **state)
{
    (void)state;
    const struct sbx_mode_ops *m = sbx_mode_get(SBX_MODE_ELEVATED);
    assert_non_null(m);
    const char *wss[] = {ws};
    struct sbx_config cfg = {.mode = SBX_MODE_ELEVATED, .workspaces = wss, .n_workspaces = 1,
                             .state_dir = "C:\\ProgramData\\sbx"};
    struct sbx_resource_list out = {0};
    struct sbx_error err = {0};
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_MACHINE, &out, &err), 0);
    find(&out, SBX_R_MODE, "elevated");
    find(&out, SBX_R_GROUP, "group:SbxUsers");
    const struct sbx_resource *off = find(&out, SBX_R_ACCOUNT, "account:SbxOffline");
    assert_string_equal(off->name, "SbxOffline");
    assert_null(off->principal); /* the OS assigns it */
    find(&out, SBX_R_ACCOUNT, "account:SbxOnline");
    find(&out, SBX_R_MEMBERSHIP, "member:SbxUsers/SbxOffline");
    find(&out, SBX_R_MEMBERSHIP, "member:SbxUsers/SbxOnline");
    find(&out, SBX_R_FIREWALL_RULE, "firewall:block-outbound:SbxOffline");
    find(&out, SBX_R_FIREWALL_RULE, "firewall:block-inbound:SbxOffline");
    size_t creds = 0;
    for (size_t i = 0; i < out.len; i++)
        if (out.items[i].kind == SBX_R_CREDENTIAL) {
            creds++;
            assert_non_null(strstr(out.items[i].path, "C:\\ProgramData\\sbx\\credentials\\"));
        }
    assert_int_equal(creds, 2);
    assert_true(sbx_rlist_find(&out, SBX_R_ACL_ENTRY, "x") < 0);
    sbx_rlist_free(&out);

    assert_int_equal(m->desired(&cfg, SBX_SCOPE_USER, &out, &err), 0);
    char key[4096];
    snprintf(key, sizeof key, "%s|(A;OICI;0x1301bf;;;group:SbxUsers)", ws);
    const struct sbx_resource *g = find(&out, SBX_R_ACL_ENTRY, key);
    assert_null(g->principal);
    char trustee[64];
    assert_int_equal(sbx_detail_get(g->detail, "trustee", trustee, sizeof trustee), 0);
    assert_string_equal(trustee, "SbxUsers");
    snprintf(key, sizeof key, "%s\\.git|(D;OICI;0xd0156;;;group:SbxUsers)", ws);
    find(&out, SBX_R_ACL_ENTRY, key);
    /* OWNER RIGHTS on the workspace: what the account makes it can't
     * re-ACL (issue 17 item 9); its trustee is known up front */
    snprintf(key, sizeof key, "%s|(A;OICIIO;0x1301bf;;;S-1-3-4)", ws);
    const struct sbx_resource *o = find(&out, SBX_R_ACL_ENTRY, key);
    assert_string_equal(o->principal, "S-1-3-4");
    struct sbx_ace_spec ospec;
    assert_int_equal(sbx_winres_ace_spec(o, o->principal, &ospec, &err), 0);
    assert_int_equal(ospec.flags, SBX_ACE_OI | SBX_ACE_CI | SBX_ACE_IO);
    assert_int_equal(ospec.mask & (WRITE_DAC | WRITE_OWNER), 0);
    sbx_rlist_free(&out);

    /* another user can't be given a DPAPI credential */
    const char *users[] = {"somebody-else"};
    cfg.users = users;
    cfg.n_users = 1;
    assert_int_equal(m->desired(&cfg, SBX_SCOPE_MACHINE, &out, &err), -SBX_ENOTSUP);
    assert_non_null(strstr(err.msg, "somebody-else"));
    sbx_rlist_free(&out);
}

static void test_ace_spec_from_resource(void **state)
{
    (void)state;
    struct sbx_resource_list l = {0};
    assert_int_equal(sbx_winres_ace(&l, "C:\\w", SBX_WINRES_DENY, NULL, "SbxUsers", "elevated",
                                    NULL),
                     0);
    struct sbx_ace_spec a;
    assert_int_equal(sbx_winres_ace_spec(&l.items[0], "S-1-5-21-7-8-9-1003", &a, NULL), 0);
    char sddl[256];
    sbx_ace_to_sddl(&a, sddl, sizeof sddl);
    assert_string_equal(sddl, "(D;OICI;0xd0156;;;S-1-5-21-7-8-9-1003)");
    sbx_rlist_free(&l);
}

static void test_selection(void **state)
{
    (void)state;
    assert_int_equal(sbx_mode_select_setup(SBX_PRIV_ADMIN), SBX_MODE_ELEVATED);
    assert_int_equal(sbx_mode_select_setup(SBX_PRIV_USER), SBX_MODE_UNELEVATED);
    struct sbx_mode_facts f = {.privilege = SBX_PRIV_USER, .elevated_installed = true,
                               .elevated_healthy = true, .caller_authorized = true};
    assert_int_equal(sbx_mode_select_run(&f), SBX_MODE_ELEVATED);
    f.caller_authorized = false;
    assert_int_equal(sbx_mode_select_run(&f), SBX_MODE_UNELEVATED);
}

static void test_driver(void **state)
{
    (void)state;
    struct sbx_os *os = NULL;
    struct sbx_error err = {0};
    assert_int_equal(sbx_os_open_native(&os, &err), 0);
    assert_string_equal(os->ops->name, "win32");
    enum sbx_privilege p = (enum sbx_privilege)7;
    assert_int_equal(sbx_os_privilege(os, &p, &err), 0);
    assert_true(p == SBX_PRIV_USER || p == SBX_PRIV_ADMIN);
    /* nothing recorded: deleting an account never created is a no-op, and a
     * kind the driver has no objects of is refused by name */
    struct sbx_resource r = {.kind = SBX_R_ACCOUNT, .key = "account:SbxOffline",
                             .name = "SbxOffline"};
    assert_int_equal(sbx_os_apply(os, SBX_ACT_DELETE, &r, &err), 0);
    struct sbx_resource f = {.kind = SBX_R_INSTALLED_FILE, .key = "launcher"};
    assert_int_equal(sbx_os_apply(os, SBX_ACT_CREATE, &f, &err), -SBX_ENOTSUP);
    assert_non_null(strstr(err.msg, "launcher"));
    sbx_os_destroy(os);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unelevated_desired),
        cmocka_unit_test(test_elevated_desired),
        cmocka_unit_test(test_ace_spec_from_resource),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_driver),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
