/*
 * model.c — reading and evaluating the line model (model.h).
 *
 * The file is text, one statement a line, so it diffs and reviews like a
 * rule file and needs no parser library:
 *
 *   chaff-line-model 1                      format version; the rest of the line names it
 *   ! a comment                             (training data, its hash, the command)
 *   threshold 0.3 relative 0.4 floor 0.05   keep a line whose probability reaches 0.3,
 *                                           or 0.4 times the page's best and 0.05
 *   trees 60 inputs 160 base -1.7           then the inputs, then the trees
 *   input len_log                           one per input, in the model's order
 *   tree 31                                 a tree of 31 nodes, root first
 *   node 4 2.5 1 2 -0.01                    input index, threshold, left, right, value
 *   leaf 0.125                              a leaf's value
 *   end
 *
 * A node sends x to `left` when x[input] <= threshold (the trainer's rule),
 * else to `right`; node numbers are within the tree, in pre-order (the left
 * child is the next node, the right one later), so a tree cannot loop.
 * The leaf values of every tree add to the base to give log-odds.  An
 * internal node's value is the mean of the values below it, which is what
 * the Saabas explanation walks.
 *
 * At load, each input name is looked up among the features the code
 * computes (linefeat.h) and the node's input index is replaced by the
 * position in the vector the code builds, so evaluation is a plain tree
 * walk.  model_scores walks eight lines at a time through every tree, each
 * for the tree's full depth with no branch on the path (struct flat_node):
 * a walk that stops at its leaf mispredicts about once per tree, which
 * cost more than the steps the flat walk takes past the leaf.  The forest
 * is a few kilobytes and stays in the cache.  Errors name file:line:col.
 */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "embed.h"
#include "linefeat.h"

#define MODEL_VERSION 1
#define MODEL_MAX_NODES (1u << 22) /* a bound on hostile files */

/* A node in 8 bytes, trees in pre-order: the left child follows its
 * parent, the right one is `right` nodes from the tree's root.  x goes
 * left when x <= thr; thr is the trainer's threshold rounded down to a
 * float, which for float x decides exactly as the double did.  A leaf has
 * feat -1 and its value in thr. */
struct node {
    float thr;
    int16_t feat; /* index into the input vector; -1 = leaf */
    uint16_t right;
};

/* The same trees laid out for scoring many lines at once (model_scores):
 * a leaf is a node with a NaN threshold (x <= NaN never holds) whose right
 * child is itself, so every line walks a tree for the tree's full depth,
 * choosing each next node with a conditional move rather than a branch
 * (a walk that stops at its leaf mispredicts about once per tree); the
 * leaf reached, and so the score, is the one the walk above reaches.  The
 * leaf's value stays in nodes[]. */
struct flat_node {
    float thr;
    uint16_t feat;
    uint16_t right;
};

struct forest {
    uint32_t n_inputs;
    uint32_t n_trees;
    double base;
    uint32_t *tree; /* first node of each tree */
    struct node *nodes;
    float *value; /* every node's value (a leaf's, or the mean below), for explain */
    uint32_t n_nodes, cap_nodes;
    struct flat_node *flat; /* n_nodes, by node as in nodes */
    uint8_t *depth;         /* each tree's deepest leaf (edges from the root) */
    bool flat_ok;           /* every depth is below 255: flat walks reach their leaves */
};

/* The largest float not above d. */
static float float_down(double d)
{
    float f = (float)d;
    if ((double)f > d)
        f = nextafterf(f, -INFINITY);
    return f;
}

struct model {
    char ident[128];
    double threshold;
    double relative;
    double floor;
    struct forest st;
};

/* Position of name in the input vector (feat_names), or -1. */
static int input_index(const char *name, size_t len)
{
    for (unsigned k = 0; k < feat_count; k++)
        if (strlen(feat_names[k]) == len && memcmp(feat_names[k], name, len) == 0)
            return (int)k;
    return -1;
}

struct parser {
    const char *name;
    const char *p, *end;
    const char *line_start;
    unsigned line;
    chaff_error *err;
};

static chaff_status fail(struct parser *ps, const char *at, const char *fmt, const char *arg)
{
    if (ps->err) {
        memset(ps->err, 0, sizeof *ps->err);
        snprintf(ps->err->file, sizeof ps->err->file, "%s", ps->name);
        ps->err->line = ps->line;
        ps->err->col = (unsigned)(at - ps->line_start) + 1;
        snprintf(ps->err->msg, sizeof ps->err->msg, fmt, arg ? arg : "");
    }
    return CHAFF_E_DATA;
}

/* The next word of the current line: [*w, *w + *n); 0 at the line's end. */
static int word(struct parser *ps, const char **w, size_t *n)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
    if (ps->p >= ps->end || *ps->p == '\n')
        return 0;
    *w = ps->p;
    while (ps->p < ps->end && *ps->p != ' ' && *ps->p != '\t' && *ps->p != '\n' && *ps->p != '\r')
        ps->p++;
    *n = (size_t)(ps->p - *w);
    return 1;
}

static int is_word(const char *w, size_t n, const char *s)
{
    return strlen(s) == n && !memcmp(w, s, n);
}

static chaff_status number(struct parser *ps, double *v)
{
    const char *w;
    size_t n;
    if (!word(ps, &w, &n))
        return fail(ps, ps->p, "expected a number%s", "");
    char tmp[64];
    if (n >= sizeof tmp)
        return fail(ps, w, "number too long%s", "");
    memcpy(tmp, w, n);
    tmp[n] = '\0';
    char *e;
    errno = 0;
    *v = strtod(tmp, &e);
    if (*e || errno || !isfinite(*v))
        return fail(ps, w, "bad number '%s'", tmp);
    return CHAFF_OK;
}

static chaff_status count(struct parser *ps, uint32_t *v, uint32_t max)
{
    const char *at = ps->p;
    double d;
    chaff_status st = number(ps, &d);
    if (st)
        return st;
    if (d < 0 || d > max || d != floor(d))
        return fail(ps, at, "bad count%s", "");
    *v = (uint32_t)d;
    return CHAFF_OK;
}

static chaff_status keyword(struct parser *ps, const char *kw)
{
    const char *w;
    size_t n;
    if (!word(ps, &w, &n) || !is_word(w, n, kw))
        return fail(ps, ps->p, "expected '%s'", kw);
    return CHAFF_OK;
}

static chaff_status end_of_line(struct parser *ps)
{
    const char *w;
    size_t n;
    if (word(ps, &w, &n))
        return fail(ps, w, "unexpected text at the end of the line%s", "");
    if (ps->p < ps->end)
        ps->p++; /* the newline */
    ps->line++;
    ps->line_start = ps->p;
    return CHAFF_OK;
}

/* Skip blank lines and '!' comments. */
static void skip_comments(struct parser *ps)
{
    for (;;) {
        const char *q = ps->p;
        while (q < ps->end && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < ps->end && (*q == '\n' || *q == '!')) {
            const char *nl = memchr(q, '\n', (size_t)(ps->end - q));
            ps->p = nl ? nl + 1 : ps->end;
            ps->line++;
            ps->line_start = ps->p;
            continue;
        }
        return;
    }
}

static chaff_status parse_trees(struct parser *ps, struct model *m)
{
    chaff_status st;
    skip_comments(ps);
    struct forest *sg = &m->st;
    uint32_t n_in;
    if ((st = keyword(ps, "trees")) || (st = count(ps, &sg->n_trees, 100000)) ||
        (st = keyword(ps, "inputs")) || (st = count(ps, &n_in, 4096)) ||
        (st = keyword(ps, "base")) || (st = number(ps, &sg->base)) || (st = end_of_line(ps)))
        return st;
    int32_t *map = chaff_xmalloc((size_t)(n_in ? n_in : 1) * sizeof *map);
    sg->tree = chaff_xmalloc((size_t)(sg->n_trees ? sg->n_trees : 1) * sizeof *sg->tree);
    if (!map || !sg->tree) {
        chaff_xfree(map);
        return CHAFF_E_NOMEM;
    }
    sg->n_inputs = n_in;
    for (uint32_t i = 0; i < n_in; i++) {
        skip_comments(ps);
        const char *w;
        size_t n;
        if ((st = keyword(ps, "input")))
            goto out;
        if (!word(ps, &w, &n)) {
            st = fail(ps, ps->p, "expected a feature name%s", "");
            goto out;
        }
        int k = input_index(w, n);
        if (k < 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(n < 60 ? n : 60), w);
            st = fail(ps, w, "unknown feature '%s' (a model for another version of chaff?)", name);
            goto out;
        }
        map[i] = k;
        if ((st = end_of_line(ps)))
            goto out;
    }
    for (uint32_t t = 0; t < sg->n_trees; t++) {
        skip_comments(ps);
        uint32_t n_nodes;
        if ((st = keyword(ps, "tree")) || (st = count(ps, &n_nodes, 65535)) ||
            (st = end_of_line(ps)))
            goto out;
        if (!n_nodes) {
            st = fail(ps, ps->line_start, "a tree without nodes%s", "");
            goto out;
        }
        if (sg->n_nodes + n_nodes > MODEL_MAX_NODES) {
            st = fail(ps, ps->line_start, "too many nodes%s", "");
            goto out;
        }
        if (sg->n_nodes + n_nodes > sg->cap_nodes) {
            uint32_t cap = sg->cap_nodes ? sg->cap_nodes : 1024;
            while (cap < sg->n_nodes + n_nodes)
                cap *= 2;
            struct node *v = chaff_xrealloc(sg->nodes, (size_t)cap * sizeof *v);
            if (v)
                sg->nodes = v;
            float *val = chaff_xrealloc(sg->value, (size_t)cap * sizeof *val);
            if (val)
                sg->value = val;
            if (!v || !val) {
                st = CHAFF_E_NOMEM;
                goto out;
            }
            sg->cap_nodes = cap;
        }
        uint32_t first = sg->n_nodes;
        sg->tree[t] = first;
        for (uint32_t j = 0; j < n_nodes; j++) {
            skip_comments(ps);
            struct node *nd = &sg->nodes[first + j];
            const char *w, *at = ps->p;
            size_t n;
            double v;
            if (!word(ps, &w, &n)) {
                st = fail(ps, at, "expected 'node' or 'leaf'%s", "");
                goto out;
            }
            int leaf = 0;
            if (is_word(w, n, "leaf")) {
                leaf = 1;
                nd->feat = -1;
                nd->right = 0;
            } else if (is_word(w, n, "node")) {
                uint32_t f, l, r;
                double thr;
                if ((st = count(ps, &f, n_in ? n_in - 1 : 0)) || (st = number(ps, &thr)) ||
                    (st = count(ps, &l, n_nodes - 1)) || (st = count(ps, &r, n_nodes - 1)))
                    goto out;
                if (f >= n_in || l != j + 1 || r <= l) {
                    st = fail(ps, at,
                              "a node must name an input, its left child follow it and its "
                              "right one come later%s",
                              "");
                    goto out;
                }
                nd->feat = (int16_t)map[f];
                nd->thr = float_down(thr);
                nd->right = (uint16_t)r;
            } else {
                st = fail(ps, at, "expected 'node' or 'leaf'%s", "");
                goto out;
            }
            if ((st = number(ps, &v)) || (st = end_of_line(ps)))
                goto out;
            sg->value[first + j] = (float)v;
            if (leaf)
                nd->thr = (float)v;
        }
        sg->n_nodes += n_nodes;
    }
out:
    chaff_xfree(map);
    return st;
}

/* Fill sg->flat and sg->depth from the parsed trees.  A child comes after
 * its parent (the parser checks it), so by the time a node is reached its
 * depth is final: the longest way to it from the root, should a hostile
 * file give a node two parents, so that no walk of `depth` steps can stop
 * short of a leaf. */
static chaff_status flatten(struct forest *sg)
{
    sg->flat = chaff_xmalloc((size_t)(sg->n_nodes ? sg->n_nodes : 1) * sizeof *sg->flat);
    sg->depth = chaff_xmalloc((size_t)(sg->n_trees ? sg->n_trees : 1) * sizeof *sg->depth);
    uint8_t *d = chaff_xcalloc(sg->n_nodes ? sg->n_nodes : 1, 1);
    if (!sg->flat || !sg->depth || !d) {
        chaff_xfree(d);
        return CHAFF_E_NOMEM;
    }
    for (uint32_t t = 0; t < sg->n_trees; t++) {
        uint32_t first = sg->tree[t], end = t + 1 < sg->n_trees ? sg->tree[t + 1] : sg->n_nodes;
        uint32_t deepest = 0;
        for (uint32_t j = first; j < end; j++) {
            const struct node *nd = &sg->nodes[j];
            struct flat_node *f = &sg->flat[j];
            uint16_t self = (uint16_t)(j - first);
            if (nd->feat < 0) {
                f->thr = NAN;
                f->feat = 0;
                f->right = self;
                if (d[j] > deepest)
                    deepest = d[j];
                continue;
            }
            f->thr = nd->thr;
            f->feat = (uint16_t)nd->feat;
            f->right = nd->right;
            /* a tree of up to 65535 nodes can be deeper than 255: depth
             * 255 marks it, and such a model is walked line by line */
            uint8_t cd = d[j] == 255 ? 255 : (uint8_t)(d[j] + 1);
            if (d[j + 1] < cd)
                d[j + 1] = cd;
            if (d[first + nd->right] < cd)
                d[first + nd->right] = cd;
        }
        sg->depth[t] = (uint8_t)deepest;
    }
    sg->flat_ok = true;
    for (uint32_t t = 0; t < sg->n_trees; t++)
        sg->flat_ok = sg->flat_ok && sg->depth[t] < 255;
    chaff_xfree(d);
    return CHAFF_OK;
}

chaff_status model_parse(struct model **out, const char *name, const char *text, size_t len,
                         chaff_error *err)
{
    *out = NULL;
    struct model *m = chaff_xmalloc(sizeof *m);
    if (!m)
        return CHAFF_E_NOMEM;
    memset(m, 0, sizeof *m);
    struct parser ps = {
        .name = name, .p = text, .end = text + len, .line_start = text, .line = 1, .err = err};
    chaff_status st;
    const char *w;
    size_t n;
    uint32_t version;
    if ((st = keyword(&ps, "chaff-line-model")) || (st = count(&ps, &version, 1000)))
        goto fail;
    if (version != MODEL_VERSION) {
        st = fail(&ps, ps.line_start, "model format %s is not the one this chaff reads (1)",
                  version > MODEL_VERSION ? "newer" : "older");
        goto fail;
    }
    {
        const char *nl = memchr(ps.line_start, '\n', len);
        size_t l = (size_t)((nl ? nl : ps.end) - ps.line_start);
        snprintf(m->ident, sizeof m->ident, "%.*s", (int)(l < 120 ? l : 120), ps.line_start);
        ps.p = nl ? nl + 1 : ps.end;
        ps.line++;
        ps.line_start = ps.p;
    }
    skip_comments(&ps);
    if ((st = keyword(&ps, "threshold")) || (st = number(&ps, &m->threshold)))
        goto fail;
    if (!(m->threshold > 0 && m->threshold < 1)) {
        st = fail(&ps, ps.line_start, "the threshold must be between 0 and 1%s", "");
        goto fail;
    }
    if ((st = keyword(&ps, "relative")) || (st = number(&ps, &m->relative)) ||
        (st = keyword(&ps, "floor")) || (st = number(&ps, &m->floor)))
        goto fail;
    if (!(m->relative >= 0 && m->relative < 1 && m->floor >= 0 && m->floor <= m->threshold)) {
        st = fail(&ps, ps.line_start, "relative must be in [0, 1) and floor in [0, threshold]%s",
                  "");
        goto fail;
    }
    if ((st = end_of_line(&ps)))
        goto fail;
    if ((st = parse_trees(&ps, m)) || (st = flatten(&m->st)))
        goto fail;
    skip_comments(&ps);
    if ((st = keyword(&ps, "end")))
        goto fail;
    if ((st = end_of_line(&ps)))
        goto fail;
    skip_comments(&ps);
    if (word(&ps, &w, &n)) {
        st = fail(&ps, w, "text after 'end'%s", "");
        goto fail;
    }
    *out = m;
    return CHAFF_OK;
fail:
    model_free(m);
    return st;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    chaff_xfree(m->st.tree);
    chaff_xfree(m->st.nodes);
    chaff_xfree(m->st.value);
    chaff_xfree(m->st.flat);
    chaff_xfree(m->st.depth);
    chaff_xfree(m);
}

static struct model *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_load(void)
{
    if (embed_model[0].name && embed_model[0].len)
        (void)model_parse(&builtin, embed_model[0].name, embed_model[0].data, embed_model[0].len,
                          NULL);
}

const struct model *model_builtin(void)
{
    pthread_once(&builtin_once, builtin_load);
    return builtin;
}

/* Lines walked together (score_lanes). */
#define LANES 8

/* The node after node i (f) for input x: i + 1 when x <= f->thr, else
 * f->right.  Compilers turn this choice into a branch, which is what the
 * flat layout is for, so on x86-64 it is a compare and a conditional move
 * (comiss sets the carry when thr < x or either is NaN: "above or equal"
 * is exactly x <= thr). */
static inline uint32_t next_node(const struct flat_node *f, uint32_t i, const float *x)
{
#if defined(__x86_64__) && defined(__GNUC__)
    uint32_t to = f->right, left = i + 1;
    __asm__("comiss %[x], %[thr]\n\tcmovae %[left], %[to]"
            : [to] "+r"(to)
            : [x] "m"(*x), [thr] "x"(f->thr), [left] "r"(left)
            : "cc");
    return to;
#else
    return *x <= f->thr ? i + 1 : f->right;
#endif
}

#define STEP(j) (i##j = next_node(&fr[i##j], i##j, &x[MODEL_STRIDE * (j) + fr[i##j].feat]))

/* The raw scores of the LANES lines at x, x + MODEL_STRIDE, ... into
 * out[0..LANES): the lines walk every tree together, over the flat layout.
 * Their walks are independent, so the processor overlaps them; the fixed
 * stride puts every lane's input at a constant offset from one base, and
 * the lines' inputs stay in the first-level cache while the trees go by.
 * Each line's leaves add up in tree order, as in the walk of one line. */
static void score_lanes(const struct forest *sg, const float *x, double *out)
{
    double o[LANES];
    for (unsigned j = 0; j < LANES; j++)
        o[j] = sg->base;
    for (uint32_t t = 0; t < sg->n_trees; t++) {
        const struct flat_node *fr = &sg->flat[sg->tree[t]];
        const struct node *root = &sg->nodes[sg->tree[t]];
        uint32_t i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0, i6 = 0, i7 = 0;
        for (unsigned s = sg->depth[t]; s > 0; s--) {
            STEP(0);
            STEP(1);
            STEP(2);
            STEP(3);
            STEP(4);
            STEP(5);
            STEP(6);
            STEP(7);
        }
        o[0] += root[i0].thr;
        o[1] += root[i1].thr;
        o[2] += root[i2].thr;
        o[3] += root[i3].thr;
        o[4] += root[i4].thr;
        o[5] += root[i5].thr;
        o[6] += root[i6].thr;
        o[7] += root[i7].thr;
    }
    for (unsigned j = 0; j < LANES; j++)
        out[j] = o[j];
}

#undef STEP

void model_scores(const struct model *m, const float *x, size_t stride, uint32_t n, double *out)
{
    const struct forest *sg = &m->st;
    uint32_t k = 0;
    if (sg->flat_ok && stride == MODEL_STRIDE)
        for (; k + LANES <= n; k += LANES)
            score_lanes(sg, x + (size_t)k * stride, out + k);
    for (uint32_t j = k; j < n; j++)
        out[j] = sg->base;
    for (uint32_t t = 0; t < sg->n_trees && k < n; t++) {
        const struct node *root = &sg->nodes[sg->tree[t]];
        for (uint32_t j = k; j < n; j++) {
            const float *xk = x + (size_t)j * stride;
            uint32_t i = 0;
            while (root[i].feat >= 0)
                i = xk[root[i].feat] <= root[i].thr ? i + 1 : root[i].right;
            out[j] += root[i].thr;
        }
    }
}

double model_score(const struct model *m, const float *x)
{
    double out;
    model_scores(m, x, 0, 1, &out);
    return out;
}

unsigned model_explain(const struct model *m, const float *x, unsigned n, unsigned *idx,
                       double *contrib)
{
    const struct forest *sg = &m->st;
    unsigned n_in = feat_count;
    double c[512];
    if (n_in > sizeof c / sizeof c[0])
        return 0;
    memset(c, 0, n_in * sizeof c[0]);
    for (uint32_t t = 0; t < sg->n_trees; t++) {
        const struct node *root = &sg->nodes[sg->tree[t]];
        const float *val = &sg->value[sg->tree[t]];
        uint32_t i = 0;
        while (root[i].feat >= 0) {
            uint32_t next = x[root[i].feat] <= root[i].thr ? i + 1 : root[i].right;
            c[root[i].feat] += (double)val[next] - (double)val[i];
            i = next;
        }
    }
    unsigned k = 0;
    for (; k < n; k++) {
        int best = -1;
        for (unsigned j = 0; j < n_in; j++)
            if (c[j] != 0 && (best < 0 || fabs(c[j]) > fabs(c[best])))
                best = (int)j;
        if (best < 0)
            break;
        idx[k] = (unsigned)best;
        contrib[k] = c[best];
        c[best] = 0;
    }
    return k;
}

double model_prob(double raw) { return 1.0 / (1.0 + exp(-raw)); }

double model_threshold(const struct model *m) { return m->threshold; }

double model_relative(const struct model *m) { return m->relative; }

double model_floor(const struct model *m) { return m->floor; }

const char *model_ident(const struct model *m) { return m->ident; }
