/* Which variable names look like credentials (modes/common/env_secrets.h):
 * a table of names, each with the answer written out. */
#include "helpers.h"
#include "modes/common/env_secrets.h"

static void test_secret_names(void **state)
{
    (void)state;
    static const struct {
        const char *entry;
        bool secret;
    } table[] = {
        {"GITHUB_TOKEN=x", true},       {"GH_TOKEN", true},
        {"NPM_TOKEN=", true},           {"token", true},
        {"AWS_SECRET_ACCESS_KEY=a", true}, {"AWS_REGION=eu", true},
        {"aws_profile=x", true},        {"AZURE_CLIENT_ID=1", true},
        {"OPENAI_API_KEY=sk", true},    {"ANTHROPIC_API_KEY", true},
        {"SIGNING_PASSPHRASE=p", true}, {"PGPASSWORD=p", true},
        {"MYSQL_PWD_PASSWD=p", true},   {"GOOGLE_APPLICATION_CREDENTIALS=/k", true},
        {"DOCKER_CREDENTIAL_HELPER", true}, {"SSH_AUTH_SOCK=/run/a", true},
        {"SSH_AGENT_PID=12", true},     {"GPG_AGENT_INFO=x", true},
        {"MONKEY=1", true}, /* a false alarm the rule accepts: --env MONKEY */
        {"PATH=/bin", false},           {"HOME=/root", false},
        {"GIT_AUTHOR_NAME=a", false},   {"LANG=C", false},
        {"SSH_AUTH=1", false},          {"SSH_CONNECTION=a b", false},
        {"TERM=xterm", false},          {"AWS=1", false},
        {"=C:=C:\\\\", false},          {"EDITOR=vi", false},
        {"A=TOKEN", false}, /* the value is not the name */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (sbx_env_is_secret(table[i].entry) != table[i].secret)
            fail_msg("%s: expected %s", table[i].entry,
                     table[i].secret ? "a credential" : "not a credential");
}

static void test_names_valid(void **state)
{
    (void)state;
    static const char *const good[] = {"A", "_X", "abc_1", "GITHUB_TOKEN=v", "N=a=b"};
    static const char *const bad[] = {"", "=x", "1A", "A-B", "A B=c", "Ä=1", "A.B"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!sbx_env_name_valid(good[i], 255))
            fail_msg("'%s' should be a valid name", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sbx_env_name_valid(bad[i], 255))
            fail_msg("'%s' should not be a valid name", bad[i]);
    assert_false(sbx_env_name_valid("ABCDEF", 5));
    assert_int_equal(sbx_env_name_len("AB=CD=E"), 2);
    assert_int_equal(sbx_env_name_len("=C:=C:\\\\"), 3);
    assert_int_equal(sbx_env_name_len("NOVALUE"), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_names),
        cmocka_unit_test(test_names_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
