/* SPDX-License-Identifier: MIT */
/* Automatic mode selection, for every combination of facts. */
#include "helpers.h"
#include "modes/mode.h"

#define U SBX_MODE_UNELEVATED
#define E SBX_MODE_ELEVATED

/* Every combination of the facts, with the mode written out: the elevated
 * mode only when it is installed, healthy and the caller may use it;
 * privilege alone never decides. */
static void test_run_selection_table(void **state)
{
    (void)state;
    static const struct {
        enum sbx_privilege privilege;
        bool installed, healthy, authorized;
        enum sbx_mode_kind want;
    } table[] = {
        /* privilege      installed healthy authorized  mode */
        {SBX_PRIV_USER,  false, false, false, U},
        {SBX_PRIV_USER,  false, false, true,  U},
        {SBX_PRIV_USER,  false, true,  false, U},
        {SBX_PRIV_USER,  false, true,  true,  U},
        {SBX_PRIV_USER,  true,  false, false, U},
        {SBX_PRIV_USER,  true,  false, true,  U},
        {SBX_PRIV_USER,  true,  true,  false, U},
        {SBX_PRIV_USER,  true,  true,  true,  E},
        {SBX_PRIV_ADMIN, false, false, false, U},
        {SBX_PRIV_ADMIN, false, false, true,  U},
        {SBX_PRIV_ADMIN, false, true,  false, U},
        {SBX_PRIV_ADMIN, false, true,  true,  U},
        {SBX_PRIV_ADMIN, true,  false, false, U},
        {SBX_PRIV_ADMIN, true,  false, true,  U},
        {SBX_PRIV_ADMIN, true,  true,  false, U},
        {SBX_PRIV_ADMIN, true,  true,  true,  E},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct sbx_mode_facts f = {
            .privilege = table[i].privilege,
            .elevated_installed = table[i].installed,
            .elevated_healthy = table[i].healthy,
            .caller_authorized = table[i].authorized,
        };
        enum sbx_mode_kind got = sbx_mode_select_run(&f);
        if (got != table[i].want)
            fail_msg("row %u: got %s, want %s", (unsigned)i, sbx_mode_name(got),
                     sbx_mode_name(table[i].want));
    }
}

static void test_setup_selection(void **state)
{
    (void)state;
    assert_int_equal(sbx_mode_select_setup(SBX_PRIV_ADMIN), SBX_MODE_ELEVATED);
    assert_int_equal(sbx_mode_select_setup(SBX_PRIV_USER), SBX_MODE_UNELEVATED);
}

static void test_mode_names(void **state)
{
    (void)state;
    enum sbx_mode_kind m;
    struct sbx_error err = {0};
    assert_int_equal(sbx_mode_parse("auto", true, &m, &err), 0);
    assert_int_equal(m, SBX_MODE_NONE);
    assert_int_equal(sbx_mode_parse("auto", false, &m, &err), -SBX_EINVAL);
    assert_int_equal(sbx_mode_parse("elevated", false, &m, &err), 0);
    assert_int_equal(m, SBX_MODE_ELEVATED);
    assert_int_equal(sbx_mode_parse("Elevated", true, &m, &err), -SBX_EINVAL);
    assert_string_equal(sbx_mode_name(SBX_MODE_UNELEVATED), "unelevated");
    assert_string_equal(sbx_mode_name(SBX_MODE_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_selection_table),
        cmocka_unit_test(test_setup_selection),
        cmocka_unit_test(test_mode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
