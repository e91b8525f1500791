/*
 * fuzz_learn.c — libFuzzer target for counts files of chaff learn
 * (learn_merge_line() in src/learn.c).
 *
 * Every line of the input is merged: a line is taken or refused with a
 * message, never anything else.  What was taken, written out as counts and
 * merged into a fresh learner, must write out the same counts again, and
 * the rule file written from it must be valid text.  Any violation traps.
 * The target also runs as a corpus replay test (tests/fuzz/replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "learn.h"

static void merge_all(struct learn *l, const char *p, size_t n)
{
    while (n) {
        const char *e = memchr(p, '\n', n);
        size_t k = e ? (size_t)(e - p) : n;
        char msg[128] = "";
        chaff_status st = learn_merge_line(l, p, k, msg);
        CHECK(st == CHAFF_OK || (st == CHAFF_E_DATA && msg[0]));
        p += e ? k + 1 : k;
        n -= e ? k + 1 : k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct learn *a = learn_new(0), *b = learn_new(0);
    CHECK(a && b);
    merge_all(a, (const char *)data, size);
    struct buf ca, cb, rules;
    buf_init(&ca, 0);
    buf_init(&cb, 0);
    buf_init(&rules, 0);
    CHECK(learn_write_counts(a, &ca) == CHAFF_OK);
    merge_all(b, ca.p, ca.len);
    CHECK(learn_write_counts(b, &cb) == CHAFF_OK);
    CHECK(ca.len == cb.len && memcmp(ca.p, cb.p, ca.len) == 0);
    CHECK(learn_write_rules(b, 1, 0.01, &rules) == CHAFF_OK);
    CHECK(strlen(rules.p) == rules.len);
    buf_free(&ca);
    buf_free(&cb);
    buf_free(&rules);
    learn_free(a);
    learn_free(b);
    return 0;
}
