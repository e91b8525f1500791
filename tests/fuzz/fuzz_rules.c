/*
 * fuzz_rules.c — libFuzzer target for the rule parser, compiler and
 * matcher (rules_parse.c, rules_compile.c, match.c).
 *
 * The input is the text of one rule file.  It must either parse into a
 * consistent set (every rule has a key pattern, block rules are paired,
 * indexes are in range) or fail with a positioned message; never crash or
 * leak.  Small sets are also compiled, and then the input itself is
 * scanned as a key, so the matcher's edge checks see arbitrary text.  The
 * target also runs as a corpus replay test (tests/fuzz/replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "fuzz.h"
#include "lang.h"
#include "rules.h"

/* compiling is the slow part: keep each input cheap */
#define FUZZ_MAX_COMPILE 64

static void count_hit(void *ud, uint32_t id)
{
    (void)id;
    (*(uint32_t *)ud)++;
}

static void check_set(const struct chaff_rules *r)
{
    CHECK(r->n_files == 1 && r->n_sites >= 1 && r->sites[0].n == 0);
    for (uint32_t i = 0; i < r->n; i++) {
        const struct rule *ru = &r->v[i];
        CHECK(ru->id == i && ru->pat && ru->pat[0]);
        CHECK(ru->category < r->n_categories && ru->site < r->n_sites);
        CHECK(ru->line >= 1 && ru->col >= 1 && ru->match <= RM_REGEX);
        if (ru->action == RA_BLOCK)
            CHECK(ru->pair == i + 1 && r->v[ru->pair].action == RA_BLOCK_END &&
                  r->v[ru->pair].pair == i);
    }
    for (uint32_t i = 0; i < r->n_examples; i++)
        CHECK(r->examples[i].text && r->examples[i].site < r->n_sites);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chaff_rules *r = chaff_xcalloc(1, sizeof *r);
    if (!r)
        return 0;
    chaff_error err;
    memset(&err, 0, sizeof err);
    chaff_status st = rules_parse_text(r, "fuzz.rules", (const char *)data, size, LANG_ALL, &err);
    if (st != CHAFF_OK) {
        CHECK(st == CHAFF_E_RULES && err.msg[0] && strcmp(err.file, "fuzz.rules") == 0);
        chaff_rules_free(r);
        return 0;
    }
    check_set(r);
    if (r->n <= FUZZ_MAX_COMPILE) {
        st = rules_compile(r, &err);
        CHECK(st == CHAFF_OK || (st == CHAFF_E_RULES && err.line >= 1 && err.msg[0]));
        if (st == CHAFF_OK) {
            struct match_scratch *ms = NULL;
            if (match_scratch_new(r, &ms) == CHAFF_OK) {
                uint32_t hits = 0;
                CHECK(match_key(r, ms, (const char *)data, size, count_hit, &hits) == CHAFF_OK);
                CHECK(hits <= r->n);
                match_scratch_free(ms);
            }
        }
    }
    chaff_rules_free(r);
    return 0;
}
