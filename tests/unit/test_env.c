/* SPDX-License-Identifier: MIT */
/* Which variable names look like credentials (modes/common/env_secrets.h):
 * a table of names, each with the answer written out; and the variables
 * that point tools at the sandbox's cache (modes/common/cache_env.h). */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "modes/common/cache_env.h"
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

static const char *find(const struct sbx_cache_env *e, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=')
            return e->v[i] + len + 1;
    return NULL;
}

static void test_cache_env(void **state)
{
    (void)state;
    struct sbx_cache_env e = {0};
    struct sbx_error err = {0};
    assert_int_equal(sbx_cache_env_build("/c", NULL, &e, &err), 0);
    static const char *const want[][2] = {
        {"XDG_CACHE_HOME", "/c"},        {"npm_config_cache", "/c/npm"},
        {"PIP_CACHE_DIR", "/c/pip"},     {"CARGO_HOME", "/c/cargo"},
        {"GOMODCACHE", "/c/go/mod"},     {"GOCACHE", "/c/go/build"},
        {"GRADLE_USER_HOME", "/c/gradle"}, {"YARN_CACHE_FOLDER", "/c/yarn"},
        {"MAVEN_OPTS", "-Dmaven.repo.local=/c/maven/repository"},
    };
    assert_int_equal(e.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *v = find(&e, want[i][0]);
        if (!v || strcmp(v, want[i][1]) != 0)
            fail_msg("%s: %s, expected %s", want[i][0], v ? v : "(unset)", want[i][1]);
        char entry[128];
        snprintf(entry, sizeof entry, "%s=whatever", want[i][0]);
        assert_true(sbx_cache_env_sets(entry));
    }
    sbx_cache_env_free(&e);
    assert_int_equal(e.n, 0);
    /* The caller's Maven options stay, the repository's comes last. */
    assert_int_equal(sbx_cache_env_build("/c", "-Xmx1g -Dmaven.repo.local=/home/u/.m2", &e, &err),
                     0);
    assert_string_equal(find(&e, "MAVEN_OPTS"),
                        "-Xmx1g -Dmaven.repo.local=/home/u/.m2 "
                        "-Dmaven.repo.local=/c/maven/repository");
    sbx_cache_env_free(&e);
    assert_false(sbx_cache_env_sets("XDG_CACHE_HOMEX=1"));
    assert_false(sbx_cache_env_sets("XDG_CACHE"));
    assert_false(sbx_cache_env_sets("HOME=/h"));
}

static void test_cache_env_refused(void **state)
{
    (void)state;
    struct sbx_cache_env e = {0};
    struct sbx_error err = {0};
    static const char *const bad[] = {"relative", "/with space", "/with\ttab", "/new\nline",
                                      "/a=b", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sbx_cache_env_build(bad[i], NULL, &e, &err), -SBX_EINVAL);
        assert_int_equal(e.n, 0);
    }
    assert_int_equal(sbx_cache_env_build(NULL, NULL, &e, &err), -SBX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_names),
        cmocka_unit_test(test_names_valid),
        cmocka_unit_test(test_cache_env),
        cmocka_unit_test(test_cache_env_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
