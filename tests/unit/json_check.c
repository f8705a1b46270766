/* SPDX-License-Identifier: MIT */
#include "json_check.h"

#include <ctype.h>
#include <string.h>

static void ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static bool value(const char **p, int depth);

static bool string(const char **p)
{
    if (**p != '"')
        return false;
    (*p)++;
    while (**p && **p != '"') {
        if ((unsigned char)**p < 0x20)
            return false;
        if (**p == '\\') {
            (*p)++;
            if (**p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)(*p)[i]))
                        return false;
                *p += 4;
            } else if (!strchr("\"\\/bfnrt", **p) || !**p) {
                return false;
            }
        }
        (*p)++;
    }
    if (**p != '"')
        return false;
    (*p)++;
    return true;
}

static bool number(const char **p)
{
    const char *s = *p;
    if (**p == '-')
        (*p)++;
    if (**p == '0')
        (*p)++;
    else if (isdigit((unsigned char)**p))
        while (isdigit((unsigned char)**p))
            (*p)++;
    else
        return false;
    if (**p == '.') {
        (*p)++;
        if (!isdigit((unsigned char)**p))
            return false;
        while (isdigit((unsigned char)**p))
            (*p)++;
    }
    if (**p == 'e' || **p == 'E') {
        (*p)++;
        if (**p == '+' || **p == '-')
            (*p)++;
        if (!isdigit((unsigned char)**p))
            return false;
        while (isdigit((unsigned char)**p))
            (*p)++;
    }
    return *p > s;
}

static bool container(const char **p, char close, bool object, int depth)
{
    (*p)++;
    ws(p);
    if (**p == close) {
        (*p)++;
        return true;
    }
    for (;;) {
        ws(p);
        if (object) {
            if (!string(p))
                return false;
            ws(p);
            if (**p != ':')
                return false;
            (*p)++;
        }
        if (!value(p, depth + 1))
            return false;
        ws(p);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == close) {
            (*p)++;
            return true;
        }
        return false;
    }
}

static bool value(const char **p, int depth)
{
    if (depth > 64)
        return false;
    ws(p);
    switch (**p) {
    case '{': return container(p, '}', true, depth);
    case '[': return container(p, ']', false, depth);
    case '"': return string(p);
    case 't': return strncmp(*p, "true", 4) == 0 && (*p += 4);
    case 'f': return strncmp(*p, "false", 5) == 0 && (*p += 5);
    case 'n': return strncmp(*p, "null", 4) == 0 && (*p += 4);
    default: return number(p);
    }
}

bool json_valid(const char *s)
{
    if (!s)
        return false;
    const char *p = s;
    if (!value(&p, 0))
        return false;
    ws(&p);
    return *p == '\0';
}
