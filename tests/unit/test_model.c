/*
 * test_model.c — reading and evaluating the line model (model.c).
 *
 * A small hand-written model checks the tree walk (x <= threshold goes
 * left), the base, scoring a chunk of vectors, the Saabas explanation and
 * the threshold;
 * malformed files give file:line:col errors; the model built into the
 * library parses and names only features the code computes.
 */
#include "unit.h"

#include "embed.h"
#include "linefeat.h"
#include "model.h"

static const char small[] = "chaff-line-model 1 test\n"
                            "! a comment\n"
                            "threshold 0.5 relative 0.25 floor 0.1\n"
                            "trees 3 inputs 2 base 0.25\n"
                            "input elen_log\n"
                            "input terminal\n"
                            "tree 3\n"
                            "node 0 4.5 1 2 0\n"
                            "leaf -1\n"
                            "leaf 1\n"
                            "tree 1\n"
                            "leaf 0.5\n"
                            "tree 3\n"
                            "node 1 0.5 1 2 0.25\n"
                            "leaf -2\n"
                            "leaf 2\n"
                            "end\n";

static int index_of(const char *name)
{
    for (unsigned k = 0; k < feat_count; k++)
        if (strcmp(feat_names[k], name) == 0)
            return (int)k;
    return -1;
}

static void test_parse_and_score(void **state)
{
    (void)state;
    struct model *m;
    chaff_error err;
    assert_int_equal(model_parse(&m, "small", small, sizeof small - 1, &err), CHAFF_OK);
    assert_true(model_threshold(m) == 0.5);
    assert_true(model_relative(m) == 0.25);
    assert_true(model_floor(m) == 0.1);
    assert_string_equal(model_ident(m), "chaff-line-model 1 test");
    float x[2][MODEL_INPUTS_MAX];
    memset(x, 0, sizeof x);
    int e = index_of("elen_log"), t = index_of("terminal");
    assert_true(e >= 0 && t >= 0);
    x[0][e] = 4.5f; /* on the threshold: left */
    assert_true(model_score(m, x[0]) == 0.25 - 1 + 0.5 - 2);
    x[0][e] = 4.6f;
    x[0][t] = 1;
    assert_true(model_score(m, x[0]) == 0.25 + 1 + 0.5 + 2);
    /* several vectors at once give what each gives alone */
    x[1][e] = 1;
    double raw[2];
    model_scores(m, &x[0][0], MODEL_INPUTS_MAX, 2, raw);
    assert_true(raw[0] == model_score(m, x[0]));
    assert_true(raw[1] == model_score(m, x[1]));
    assert_true(model_prob(0) == 0.5);
    /* explanation: terminal moved the third tree from 0.25 to 2 */
    unsigned idx[3];
    double c[3];
    assert_int_equal(model_explain(m, x[0], 3, idx, c), 2);
    assert_int_equal(idx[0], (unsigned)t);
    assert_true(c[0] == 1.75);
    assert_int_equal(idx[1], (unsigned)e);
    assert_true(c[1] == 1);
    model_free(m);
}

/* A threshold between two floats decides as the trainer's double did. */
static void test_threshold_rounding(void **state)
{
    (void)state;
    static const char text[] = "chaff-line-model 1\n"
                               "threshold 0.5 relative 0 floor 0\n"
                               "trees 1 inputs 1 base 0\n"
                               "input stop_sh\n"
                               "tree 3\n"
                               "node 0 0.30000000000000004 1 2 0\n"
                               "leaf -1\n"
                               "leaf 1\n"
                               "end\n";
    struct model *m;
    assert_int_equal(model_parse(&m, "t", text, sizeof text - 1, NULL), CHAFF_OK);
    float x[MODEL_INPUTS_MAX];
    memset(x, 0, sizeof x);
    int k = index_of("stop_sh");
    x[k] = 0.3f; /* 0.300000011920929 > 0.30000000000000004: right */
    assert_true(model_score(m, x) == 1);
    x[k] = 0.29999998f;
    assert_true(model_score(m, x) == -1);
    model_free(m);
}

static void expect_error(const char *text, unsigned line, const char *msg_part)
{
    struct model *m = (struct model *)1;
    chaff_error err;
    assert_int_equal(model_parse(&m, "bad.model", text, strlen(text), &err), CHAFF_E_DATA);
    assert_null(m);
    assert_string_equal(err.file, "bad.model");
    if (err.line != line || !strstr(err.msg, msg_part))
        fail_msg("got %u:%u: %s; want line %u with '%s'", err.line, err.col, err.msg, line,
                 msg_part);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("chaff-line-model 2\n", 1, "newer");
    expect_error("not a model\n", 1, "expected 'chaff-line-model'");
    expect_error("chaff-line-model 1\nthreshold 1.5 relative 0 floor 0\n", 2, "between 0 and 1");
    expect_error("chaff-line-model 1\nthreshold 0.5 relative 1 floor 0\n", 2, "relative must be");
    expect_error("chaff-line-model 1\nthreshold 0.5 relative 0.5 floor 0.6\n", 2, "floor");
    expect_error("chaff-line-model 1\nthreshold 0.5\n", 2, "expected 'relative'");
    expect_error("chaff-line-model 1\nthreshold 0.5 relative 0 floor 0\ntrees 1 inputs 1 base 0\n"
                 "input no_such_feature\n",
                 4, "unknown feature 'no_such_feature'");
    /* a node pointing backwards could loop */
    expect_error("chaff-line-model 1\nthreshold 0.5 relative 0 floor 0\ntrees 1 inputs 1 base 0\n"
                 "input elen_log\ntree 2\nnode 0 1 0 1 0\n",
                 6, "left child follow it");
    expect_error("chaff-line-model 1\nthreshold 0.5 relative 0 floor 0\ntrees 1 inputs 1 base 0\n"
                 "input elen_log\ntree 1\nleaf x\n",
                 6, "bad number 'x'");
    char cut[sizeof small];
    memcpy(cut, small, sizeof small);
    *strstr(cut, "end\n") = '\0';
    expect_error(cut, 17, "expected 'end'");
    char trailing[sizeof small + 8];
    snprintf(trailing, sizeof trailing, "%sleaf 1\n", small);
    expect_error(trailing, 18, "text after 'end'");
}

static void test_builtin(void **state)
{
    (void)state;
    /* the model compiled in parses and reads the features the code has */
    assert_non_null(embed_model[0].name);
    struct model *m;
    chaff_error err;
    chaff_status st =
        model_parse(&m, embed_model[0].name, embed_model[0].data, embed_model[0].len, &err);
    if (st)
        fail_msg("%s:%u:%u: %s", err.file, err.line, err.col, err.msg);
    model_free(m);
    assert_non_null(model_builtin());
    assert_ptr_equal(model_builtin(), model_builtin());
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_and_score),
    cmocka_unit_test(test_threshold_rounding),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_builtin),
};

UNIT_MAIN(tests)
