/*
 * fuzz_pipeline.c — libFuzzer target for the whole pipeline: decode,
 * normalize, segment, the shipped rules through the matcher, classify
 * with the line model, and emit, under every framing (src/filter.c down).
 *
 * The first input byte chooses the run: its low three bits the framing
 * (text, lines, nul, jsonl, warc; 5 is text read as WARC when it opens
 * as WARC, with two jobs then; 6 and 7 are text again), the next bits
 * --explain, --no-model, --rules-only and --keep-comments; the second
 * byte the size of the pieces the rest is fed in.  The rest is the input.
 * It is cleaned twice: fed as its first piece and then the rest, and fed
 * piece by piece (with two worker threads for the record framings).
 * Every call must succeed, both runs must write the same bytes and count
 * the same, and the bytes counted out must be the bytes written (JSONL:
 * at most).  In lines, nul and jsonl framing, records in are records out:
 * the output holds one delimiter per input record.  Any violation traps.
 *
 * The rules are loaded once per process: the folder $CHAFF_FUZZ_RULES
 * (default rules/, from the top of the checkout, where make runs) with the
 * database $CHAFF_FUZZ_RULES_DB when set (make passes the one it built),
 * else compiled, into $CHAFF_CACHE_DIR when set (make sets a temporary
 * one) and never into the user's cache.  The target also runs as a corpus
 * replay test (tests/fuzz/replay.c supplies main()).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chaff.h"
#include "fuzz.h"

static int collect(void *ud, const char *p, size_t n) { return buf_add(ud, p, n) != CHAFF_OK; }

static void count_warning(void *ud, const char *msg)
{
    (void)msg;
    ++*(unsigned *)ud;
}

/* The shipped rules, loaded at the first input and kept: loading them
 * costs far more than one run. */
static const chaff_rules *shipped_rules(void)
{
    static chaff_rules *rules;
    if (!rules) {
        const char *dir = getenv("CHAFF_FUZZ_RULES"), *db = getenv("CHAFF_FUZZ_RULES_DB");
        chaff_rules_config rc;
        chaff_rules_config_init(&rc);
        rc.shipped = dir && *dir ? dir : "rules";
        rc.shipped_db = db && *db ? db : NULL;
        if (!getenv("CHAFF_CACHE_DIR"))
            rc.cache_dir = ""; /* never the user's cache: compile in memory */
        chaff_error err;
        memset(&err, 0, sizeof err);
        CHECK(chaff_rules_open(&rules, &rc, &err) == CHAFF_OK);
    }
    return rules;
}

struct run {
    struct buf out;
    chaff_stats st;
    unsigned warnings;
};

/* Feed data in pieces of step bytes, or (rest) the first piece and then
 * all the rest at once.  Lines and nul framing sniff the input's charset
 * from the first piece fed (one charset for all its records), so both
 * ways start with the same piece. */
static void run(const chaff_options *base, unsigned jobs, const uint8_t *data, size_t size,
                size_t step, int rest, struct run *r)
{
    chaff_options o = *base;
    o.jobs = jobs;
    o.warn = count_warning;
    o.warn_ud = &r->warnings;
    chaff_filter *f;
    CHECK(chaff_filter_new(&f, shipped_rules(), &o, collect, &r->out) == CHAFF_OK);
    for (size_t i = 0; i < size;) {
        size_t k = size - i < step || (rest && i) ? size - i : step;
        CHECK(chaff_filter_feed(f, data + i, k) == CHAFF_OK);
        i += k;
    }
    CHECK(chaff_filter_finish(f) == CHAFF_OK);
    r->st = *chaff_filter_stats(f);
    chaff_filter_free(f);
}

/* Records in a record-framed input: delimiters, and a last record
 * without one. */
static size_t records_of(const uint8_t *p, size_t n, uint8_t delim)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == delim;
    return k + (n && p[n - 1] != delim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const chaff_framing framings[8] = {
        CHAFF_FRAME_TEXT, CHAFF_FRAME_LINES, CHAFF_FRAME_NUL,  CHAFF_FRAME_JSONL,
        CHAFF_FRAME_WARC, CHAFF_FRAME_TEXT,  CHAFF_FRAME_TEXT, CHAFF_FRAME_TEXT,
    };
    if (size < 2)
        return 0;
    chaff_options o;
    chaff_options_init(&o);
    o.framing = framings[data[0] & 7];
    if ((data[0] & 7) == 5) /* text that may be WARC (as the command reads its input) */
        o.flags |= CHAFF_SNIFF_WARC;
    o.max_doc = 1 << 12; /* windows and over-cap records within reach */
    o.flags |= (data[0] & 0x08 ? CHAFF_EXPLAIN : 0) | (data[0] & 0x10 ? CHAFF_NO_MODEL : 0) |
               (data[0] & 0x20 ? CHAFF_NO_HEURISTICS : 0) |
               (data[0] & 0x40 ? CHAFF_KEEP_COMMENTS : 0);
    size_t step = 1 + (size_t)data[1] * 7;
    data += 2;
    size -= 2;

    struct run a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    buf_init(&a.out, 0);
    buf_init(&b.out, 0);
    run(&o, 1, data, size, step, 1, &a);
    run(&o, o.framing == CHAFF_FRAME_TEXT && !(o.flags & CHAFF_SNIFF_WARC) ? 1 : 2, data, size,
        step, 0, &b);
    CHECK(a.out.len == b.out.len && (!a.out.len || memcmp(a.out.p, b.out.p, a.out.len) == 0));
    CHECK(a.st.records == b.st.records && a.st.records_error == b.st.records_error);
    CHECK(a.st.bytes_in == b.st.bytes_in && a.st.bytes_out == b.st.bytes_out);
    CHECK(a.st.lines_in == b.st.lines_in && a.st.lines_out == b.st.lines_out);
    CHECK(a.warnings == b.warnings);
    /* JSONL writes an empty line back without counting it */
    CHECK(o.framing == CHAFF_FRAME_JSONL ? a.st.bytes_out <= a.out.len
                                         : a.st.bytes_out == a.out.len);
    if (!(o.flags & CHAFF_EXPLAIN) &&
        (o.framing == CHAFF_FRAME_LINES || o.framing == CHAFF_FRAME_JSONL ||
         o.framing == CHAFF_FRAME_NUL)) {
        uint8_t delim = o.framing == CHAFF_FRAME_NUL ? 0 : '\n';
        CHECK(records_of((const uint8_t *)a.out.p, a.out.len, delim) ==
              records_of(data, size, delim));
    }
    buf_free(&a.out);
    buf_free(&b.out);
    return 0;
}
