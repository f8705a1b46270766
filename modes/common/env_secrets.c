/* SPDX-License-Identifier: MIT */
#include "modes/common/env_secrets.h"

#include <string.h>

size_t sbx_env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    /* Windows keeps per-drive directories as "=C:=C:\\...": the name
     * starts after a leading '='. */
    if (eq == entry && entry[0])
        eq = strchr(entry + 1, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Does name[0..len) contain word (upper case)? */
static bool contains(const char *name, size_t len, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= len; i++) {
        size_t k = 0;
        while (k < w && upper(name[i + k]) == word[k])
            k++;
        if (k == w)
            return true;
    }
    return false;
}

static bool starts(const char *name, size_t len, const char *prefix)
{
    size_t p = strlen(prefix);
    if (len < p)
        return false;
    for (size_t k = 0; k < p; k++)
        if (upper(name[k]) != prefix[k])
            return false;
    return true;
}

bool sbx_env_is_secret(const char *entry)
{
    static const char *const words[] = {"TOKEN",      "SECRET",    "KEY",       "PASSWORD",
                                        "PASSWD",     "PASSPHRASE", "CREDENTIAL"};
    static const char *const prefixes[] = {"AWS_", "AZURE_"};
    /* Agents: a socket or pid that signs or decrypts as you. */
    static const char *const exact[] = {"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "SSH_AGENT_PID"};
    size_t len = sbx_env_name_len(entry);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (contains(entry, len, words[i]))
            return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (starts(entry, len, prefixes[i]))
            return true;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (len == strlen(exact[i]) && starts(entry, len, exact[i]))
            return true;
    return false;
}

bool sbx_env_name_valid(const char *name, size_t len_max)
{
    size_t len = sbx_env_name_len(name);
    if (len == 0 || len > len_max || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}
