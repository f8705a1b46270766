/* Automatic mode selection, for every combination of facts. */
#include "helpers.h"
#include "modes/mode.h"

static void test_run_selection_table(void **state)
{
    (void)state;
    for (int priv = 0; priv < 2; priv++)
        for (int inst = 0; inst < 2; inst++)
            for (int healthy = 0; healthy < 2; healthy++)
                for (int auth = 0; auth < 2; auth++) {
                    struct sbx_mode_facts f = {
                        .privilege = priv ? SBX_PRIV_ADMIN : SBX_PRIV_USER,
                        .elevated_installed = inst,
                        .elevated_healthy = healthy,
                        .caller_authorized = auth,
                    };
                    enum sbx_mode_kind want =
                        inst && healthy && auth ? SBX_MODE_ELEVATED : SBX_MODE_UNELEVATED;
                    assert_int_equal(sbx_mode_select_run(&f), want);
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
