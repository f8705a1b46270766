/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer for --json output: one document per
 * command, strings escaped per RFC 8259. */
#ifndef SBX_CLI_JSON_H
#define SBX_CLI_JSON_H

#include <stdbool.h>
#include <stdio.h>

struct json {
    FILE *out;
    int depth;
    bool need_comma[32];
    bool after_key;
};

void json_init(struct json *j, FILE *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Finish the document with a newline. */
void json_end(struct json *j);

/* key + value shorthands */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, long long v);
void json_kv_bool(struct json *j, const char *key, bool v);

#endif
