/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the records sbx reads back from files, which the
 * setuid launcher parses as root (plants_cache.h: the search's record;
 * placeholders.h: the placeholders' record).  The input is the file's
 * text, given to both parsers.
 *
 * Beyond "no crash, no undefined behaviour, no leak" (a record is input
 * from a file, read by a setuid program):
 *   P1  a search record that parses is one a search could have made: the
 *       options match the ones asked for, its first directory is the root
 *       (""), no other is, every path is relative without an empty, "." or
 *       ".." component, every hit's last component is a protected name
 *       (.git or the deny list), and the gaps are in range;
 *   P2  formatted again and parsed again it gives the same record (the
 *       format's escaping round-trips any name);
 *   P3  a placeholders' record that parses has an absolute root without a
 *       newline, at most SBX_PLACEHOLDERS_MAX entries, each a name of the
 *       list, none twice; formatted and parsed again it is the same.
 * Any broken invariant aborts, so libFuzzer keeps the input as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/confine/linux/placeholders.h"
#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/plants_cache.h"

#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                   \
        }                                                              \
    } while (0)

static void check_rel(const char *rel, int hit)
{
    if (!*rel) {
        CHECK(!hit);
        return;
    }
    const char *last = rel;
    for (const char *c = rel;; c++) {
        if (*c && *c != '/')
            continue;
        size_t len = (size_t)(c - last);
        CHECK(len > 0);
        CHECK(!(len == 1 && last[0] == '.'));
        CHECK(!(len == 2 && last[0] == '.' && last[1] == '.'));
        if (!*c)
            break;
        last = c + 1;
    }
    if (hit)
        CHECK(strcmp(last, ".git") == 0 || sbx_plants_name_listed(last));
}

static void same_plants(const struct sbx_plants *a, const struct sbx_plants *b)
{
    CHECK(a->n_dirs == b->n_dirs && a->n_hits == b->n_hits);
    for (size_t i = 0; i < a->n_dirs; i++) {
        CHECK(strcmp(a->dirs[i].rel, b->dirs[i].rel) == 0);
        CHECK(a->dirs[i].dev == b->dirs[i].dev && a->dirs[i].ino == b->dirs[i].ino);
        CHECK(a->dirs[i].ctime_sec == b->dirs[i].ctime_sec &&
              a->dirs[i].ctime_nsec == b->dirs[i].ctime_nsec);
    }
    for (size_t i = 0; i < a->n_hits; i++)
        CHECK(strcmp(a->hits[i].rel, b->hits[i].rel) == 0 && a->hits[i].type == b->hits[i].type);
    for (int g = 0; g < SBX_PLANTS_N_GAPS; g++)
        CHECK(a->gap[g] == b->gap[g]);
}

static void search_record(const char *text)
{
    static const char *const allow[] = {".envrc", ".vscode"};
    const struct sbx_plants_opts opts[] = {
        {.root = "/ws"},
        {.root = "/home/u/a b", .allow_git = true, .allow_names = allow, .n_allow_names = 2,
         .max_found = 10},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        struct sbx_plants rec;
        if (sbx_plants_record_parse(text, &opts[k], &rec) != 0) {
            CHECK(rec.n_dirs == 0 && rec.n_hits == 0 && !rec.dirs && !rec.hits);
            continue;
        }
        CHECK(rec.n_dirs > 0 && rec.dirs[0].rel[0] == '\0');
        for (size_t i = 0; i < rec.n_dirs; i++) {
            check_rel(rec.dirs[i].rel, 0);
            CHECK(i == 0 || rec.dirs[i].rel[0]);
        }
        for (size_t i = 0; i < rec.n_hits; i++)
            check_rel(rec.hits[i].rel, 1);
        char *again = sbx_plants_record_format(&opts[k], &rec);
        CHECK(again);
        struct sbx_plants back;
        CHECK(sbx_plants_record_parse(again, &opts[k], &back) == 0);
        same_plants(&rec, &back);
        free(again);
        sbx_plants_free(&back);
        sbx_plants_free(&rec);
    }
}

static void placeholder_record(const char *text, size_t len)
{
    struct sbx_placeholder_record rec;
    if (sbx_placeholder_record_parse(text, len, &rec) != 0)
        return;
    CHECK(rec.root[0] == '/' && !strchr(rec.root, '\n'));
    CHECK(rec.n <= SBX_PLACEHOLDERS_MAX);
    for (size_t i = 0; i < rec.n; i++) {
        CHECK(sbx_placeholder_name(rec.e[i].bit) != NULL);
        for (size_t j = 0; j < i; j++)
            CHECK(rec.e[i].bit != rec.e[j].bit);
    }
    static char buf[8192];
    int n = sbx_placeholder_record_format(&rec, buf, sizeof buf);
    CHECK(n > 0);
    struct sbx_placeholder_record back;
    CHECK(sbx_placeholder_record_parse(buf, (size_t)n, &back) == 0);
    CHECK(strcmp(back.root, rec.root) == 0 && back.n == rec.n);
    for (size_t i = 0; i < rec.n; i++)
        CHECK(back.e[i].bit == rec.e[i].bit && back.e[i].dev == rec.e[i].dev &&
              back.e[i].ino == rec.e[i].ino);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    search_record(text);
    placeholder_record(text, size);
    free(text);
    return 0;
}
