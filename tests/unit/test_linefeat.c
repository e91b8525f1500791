/*
 * test_linefeat.c — the line model's input vectors (linefeat.c).
 *
 * A small page goes through seg_doc and cls_doc (heuristics, no model),
 * then feat_prepare: each feature is looked up by name and checked against
 * what the line says (lengths, bullets, indentation, function words,
 * repeats, blank lines, neighbours at the page's edges, the heuristics'
 * verdict).
 */
#include "unit.h"

#include <math.h>

#include "arena.h"
#include "classify.h"
#include "doc.h"
#include "lang.h"
#include "linefeat.h"
#include "model.h"
#include "segment.h"
#include "stopwords.h"

static int fi(const char *name)
{
    for (unsigned k = 0; k < feat_count; k++)
        if (strcmp(feat_names[k], name) == 0)
            return (int)k;
    fail_msg("no feature '%s'", name);
    return -1;
}

static const char page[] =
    "Home | News | Sport | Weather\n"
    "\n"
    "   The council voted on Tuesday evening to extend the tram line across the river, "
    "ending a debate that had divided residents for more than a decade.\n"
    "Supporters of the plan argued that the new link would cut travel times for the "
    "thousands of commuters who cross the bridge every single morning.\n"
    "\n"
    "* Share on Facebook\n"
    "* Share on Twitter\n"
    "Price: $19.99\n"
    "Home | News | Sport | Weather\n";

struct fx {
    struct arena a;
    struct seg_scratch ss;
    struct doc d;
    struct feat_ctx ctx;
    float x[7][MODEL_INPUTS_MAX];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    arena_init(&f->a, 0);
    seg_scratch_init(&f->ss);
    f->d.arena = &f->a;
    f->d.at_head = f->d.at_tail = true;
    assert_int_equal(seg_doc(&f->d, &f->ss, page, sizeof page - 1), CHAFF_OK);
    f->d.langs = lang_detect_mask(f->d.script_hist);
    struct cls_params p = {.budget = 0.5};
    assert_int_equal(cls_doc(&f->d, NULL, NULL, &p), CHAFF_OK);
    assert_int_equal(feat_prepare(&f->ctx, &f->d, NULL), CHAFF_OK);
    assert_int_equal(f->ctx.n_nb, 7);
    for (uint32_t k = 0; k < 7; k++)
        feat_line(&f->ctx, k, f->x[k]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    seg_scratch_free(&f->ss);
    arena_free(&f->a);
    free(f);
    return 0;
}

#define X(k, name) (f->x[k][fi(name)])

static void test_own(void **state)
{
    struct fx *f = *state;
    /* the menu: separators, no sentence */
    assert_true(X(0, "seps_log") > 1.5f);
    assert_true(X(0, "terminal") == 0);
    assert_true(X(0, "long_sent") == 0);
    /* the paragraph: indented by three spaces, sentence-like, English
     * function words, a blank line before it */
    assert_true(fabsf(X(1, "indent_log") - 2.0f) < 1e-6f); /* log2(1 + 3) */
    assert_true(X(1, "long_sent") == 1);
    assert_true(X(1, "terminal") == 1);
    assert_true(X(1, "stop_sh") > 0.2f && X(1, "stop_sh") < 0.6f);
    assert_true(X(1, "blank_before") == 1);
    assert_true(X(2, "blank_before") == 0);
    assert_true(X(2, "blank_after") == 1);
    /* bullets, and a run of two of them */
    assert_true(X(3, "bullet") == 1);
    assert_true(fabsf(X(3, "bullet_run_log") - log2f(3)) < 1e-6f);
    assert_true(X(5, "currency") == 1);
    assert_true(X(4, "currency") == 0);
    /* the menu again at the end: a repeat */
    assert_true(X(6, "rep_later") == 1);
    assert_true(X(0, "rep_later") == 0);
    assert_true(X(0, "reps_log") == 1.0f); /* log2(1 + (2 - 1)) */
    /* the page's block structure */
    assert_true(fabsf(X(1, "block_log") - log2f(3)) < 1e-6f);
    assert_true(X(2, "block_pos") == 1);
}

static void test_neighbours_and_page(void **state)
{
    struct fx *f = *state;
    assert_true(X(0, "p1_exists") == 0);
    assert_true(X(0, "p2_exists") == 0);
    assert_true(X(0, "n1_exists") == 1);
    assert_true(X(0, "n1_long_sent") == 1);
    assert_true(X(0, "n1_blank") == 1); /* a blank line between the menu and the text */
    assert_true(X(2, "p1_blank") == 0);
    assert_true(X(6, "n1_exists") == 0);
    assert_true(X(5, "n2_exists") == 0);
    /* page figures are the same on every line */
    for (uint32_t k = 1; k < 7; k++) {
        assert_true(X(k, "pg_lines_log") == X(0, "pg_lines_log"));
        assert_true(X(k, "pg_bullet_sh") == X(0, "pg_bullet_sh"));
    }
    assert_true(fabsf(X(0, "pg_lines_log") - 3.0f) < 1e-6f); /* log2(1 + 7) */
    /* the heuristics' verdict is read as features */
    assert_true(X(1, "h_keep") == 1);
    assert_true(X(0, "h_keep") == 0);
    assert_true(X(1, "h_init_good") == 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_own, setup, teardown),
    cmocka_unit_test_setup_teardown(test_neighbours_and_page, setup, teardown),
};

UNIT_MAIN(tests)
