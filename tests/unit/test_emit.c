/*
 * test_emit.c — unit tests of the kept-text writer (src/emit.c).
 *
 * A sink that writes through must put out exactly what a sink appending
 * to a buffer does, in every mode (plain, one line, JSON), with the
 * record's bytes before the text (pre) once and first, in pieces no
 * larger than about the stage, JSON escapes never cut inside a character
 * however long the line; nothing at all when no line is kept.
 */
#include "unit.h"

#include "arena.h"
#include "emit.h"
#include "jsonl.h"
#include "segment.h"

/* A write callback that keeps what it is given and the largest piece. */
struct got {
    struct buf b;
    size_t calls, largest;
    int fail; /* 1: the next write fails */
};

static int got_write(void *ud, const char *p, size_t n)
{
    struct got *g = ud;
    if (g->fail)
        return 1;
    g->calls++;
    if (n > g->largest)
        g->largest = n;
    buf_add(&g->b, p, n);
    return 0;
}

struct emd {
    struct arena arena;
    struct seg_scratch s;
    struct doc d;
};

/* Segment text into x->d and keep the lines keep[i] says (1 keeps; the
 * rest are dropped, past the end of keep all are kept). */
static void emd_doc(struct emd *x, const char *text, size_t len, const char *keep)
{
    arena_init(&x->arena, 0);
    seg_scratch_init(&x->s);
    memset(&x->d, 0, sizeof x->d);
    x->d.arena = &x->arena;
    assert_int_equal(seg_doc(&x->d, &x->s, text, len), CHAFF_OK);
    size_t nk = keep ? strlen(keep) : 0;
    for (uint32_t i = 0; i < x->d.n_lines; i++)
        x->d.lines[i].keep = i < nk ? keep[i] == '1' : 1;
}

static void emd_free(struct emd *x)
{
    arena_free(&x->arena);
    seg_scratch_free(&x->s);
}

/* The document through a buffer sink and a write-through sink, in mode,
 * with pre "PRE" and raw "END" after: the same bytes. */
static void same_both_ways(const struct doc *d, enum emit_mode mode, struct got *g)
{
    struct buf want, stage;
    buf_init(&want, 0);
    buf_init(&stage, 0);
    buf_init(&g->b, 0);
    g->calls = g->largest = 0;
    g->fail = 0;
    struct emit_sink k;
    struct emit_state es = {0};
    emit_sink_init(&k, &want, NULL, NULL, NULL);
    k.mode = mode;
    k.pre = "PRE";
    k.pre_len = 3;
    assert_int_equal(emit_text(d, &es, &k), CHAFF_OK);
    assert_int_equal(emit_raw(&k, "END", 3), CHAFF_OK);
    assert_int_equal(k.n_out, want.len);

    es = (struct emit_state){0};
    emit_sink_init(&k, NULL, got_write, g, &stage);
    k.mode = mode;
    k.pre = "PRE";
    k.pre_len = 3;
    assert_int_equal(emit_text(d, &es, &k), CHAFF_OK);
    assert_int_equal(emit_raw(&k, "END", 3), CHAFF_OK);
    assert_int_equal(emit_flush(&k), CHAFF_OK);
    assert_int_equal(k.n_out, want.len);
    assert_int_equal(g->b.len, want.len);
    assert_memory_equal(g->b.p, want.p, want.len);
    assert_memory_equal(g->b.p, "PRE", 3);
    buf_free(&want);
    buf_free(&stage);
}

static void test_modes_match(void **state)
{
    (void)state;
    const char *t = "Kept \"quoted\" line with a back\\slash\n"
                    "dropped\n"
                    "\n"
                    "\n"
                    "after a blank run \xe2\x80\xa8 (U+2028)\n"
                    "\xe5\x9b\xbd\xe5\xae\xb6\n"
                    "last";
    struct emd x;
    emd_doc(&x, t, strlen(t), "1011111");
    struct got g;
    const enum emit_mode modes[] = {EMIT_PLAIN, EMIT_ONE_LINE, EMIT_JSON};
    for (size_t m = 0; m < 3; m++) {
        same_both_ways(&x.d, modes[m], &g);
        buf_free(&g.b);
    }
    /* the modes themselves */
    struct buf b;
    buf_init(&b, 0);
    struct emit_sink k;
    struct emit_state es = {0};
    emit_sink_init(&k, &b, NULL, NULL, NULL);
    k.mode = EMIT_ONE_LINE;
    assert_int_equal(emit_text(&x.d, &es, &k), CHAFF_OK);
    assert_null(memchr(b.p, '\n', b.len));
    assert_non_null(strstr(b.p, "back\\slash  after a blank run"));
    buf_reset(&b);
    es = (struct emit_state){0};
    emit_sink_init(&k, &b, NULL, NULL, NULL);
    k.mode = EMIT_JSON;
    assert_int_equal(emit_text(&x.d, &es, &k), CHAFF_OK);
    assert_non_null(strstr(b.p, "Kept \\\"quoted\\\" line with a back\\\\slash\\n\\nafter"));
    assert_non_null(strstr(b.p, "\\u2028"));
    buf_free(&b);
    emd_free(&x);
}

/* A line far longer than the stage: written in pieces of about the
 * stage, its JSON escapes and characters never cut. */
static void test_long_line(void **state)
{
    (void)state;
    size_t n = 5 * EMIT_STAGE + 7;
    char *t = malloc(n + 1);
    assert_non_null(t);
    /* "é\"" repeated: two-byte characters and a quote to escape */
    for (size_t i = 0; i < n; i++)
        t[i] = "\xc3\xa9\"x"[i % 4];
    n -= n % 4;
    t[n] = '\0';
    struct emd x;
    emd_doc(&x, t, n, NULL);
    struct got g;
    same_both_ways(&x.d, EMIT_JSON, &g);
    assert_true(g.calls > 5);
    assert_true(g.largest <= 2 * EMIT_STAGE);
    buf_free(&g.b);
    same_both_ways(&x.d, EMIT_PLAIN, &g);
    buf_free(&g.b);
    emd_free(&x);
    free(t);
}

/* No line kept: nothing put out, pre neither; a write that fails is a
 * sticky CHAFF_E_WRITE. */
static void test_nothing_and_failure(void **state)
{
    (void)state;
    const char *t = "one\ntwo\n";
    struct emd x;
    emd_doc(&x, t, strlen(t), "00");
    struct buf stage;
    buf_init(&stage, 0);
    struct got g = {0};
    buf_init(&g.b, 0);
    struct emit_sink k;
    struct emit_state es = {0};
    emit_sink_init(&k, NULL, got_write, &g, &stage);
    k.pre = "PRE";
    k.pre_len = 3;
    assert_int_equal(emit_text(&x.d, &es, &k), CHAFF_OK);
    assert_false(k.started);
    assert_int_equal(emit_flush(&k), CHAFF_OK);
    assert_int_equal(k.n_out, 0);
    assert_int_equal(g.calls, 0);

    x.d.lines[0].keep = 1;
    es = (struct emit_state){0};
    emit_sink_init(&k, NULL, got_write, &g, &stage);
    g.fail = 1;
    assert_int_equal(emit_text(&x.d, &es, &k), CHAFF_OK); /* staged */
    assert_int_equal(emit_flush(&k), CHAFF_E_WRITE);
    assert_int_equal(emit_raw(&k, "x", 1), CHAFF_E_WRITE);
    buf_free(&stage);
    buf_free(&g.b);
    emd_free(&x);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_modes_match),
    cmocka_unit_test(test_long_line),
    cmocka_unit_test(test_nothing_and_failure),
};

UNIT_MAIN(tests)
