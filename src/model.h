/*
 * model.h — the line model: gradient-boosted decision trees read from a
 * small text file (model/line.model, compiled into the library; another may
 * be loaded with chaff_options.model) and evaluated per line.
 *
 * The trees score a line from its features (linefeat.h); the score is a
 * probability that the line is content.  A model names the features it
 * reads: a file written for another feature list is refused.
 */
#ifndef CHAFF_MODEL_H
#define CHAFF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

struct model;

/* The longest input vector (feat_count, checked in linefeat.c). */
#define MODEL_INPUTS_MAX 256

/* The stride model_scores is fastest with (MODEL_INPUTS_MAX floats). */
#define MODEL_STRIDE MODEL_INPUTS_MAX

/* Parse a model from text[0..len) (name is used in messages).  On error
 * returns CHAFF_E_DATA (or CHAFF_E_NOMEM) and fills err with
 * name:line:col: message.  The caller frees *out with model_free(). */
chaff_status model_parse(struct model **out, const char *name, const char *text, size_t len,
                         chaff_error *err);
void model_free(struct model *m);

/* The model compiled into the library (model/line.model at build time),
 * parsed once on first use; NULL when it does not parse (which the build's
 * tests rule out).  Shared, never freed. */
const struct model *model_builtin(void);

/* Raw scores (log-odds) of n input vectors, the k-th at x + k * stride
 * (feat_names order), into out[0..n).  Eight lines at a time when stride
 * is MODEL_STRIDE (see model.c); the same scores at any stride. */
void model_scores(const struct model *m, const float *x, size_t stride, uint32_t n, double *out);

/* The raw score of one input vector. */
double model_score(const struct model *m, const float *x);

/* The features that moved the score of x most, by the change along each
 * tree's path (Saabas): up to n indices into feat_names with their
 * contributions (log-odds), largest magnitude first.  Returns how many
 * were written. */
unsigned model_explain(const struct model *m, const float *x, unsigned n, unsigned *idx,
                       double *contrib);

/* The probability log-odds mean.  A line is kept when its probability
 * reaches the threshold, or (when relative is not 0)
 * the relative share of the best probability among the page's lines the model decides: on a page
 * where nothing looks like an article (a listing, a shop, a photo post),
 * the lines that look most like content stay. */
double model_prob(double raw);
double model_threshold(const struct model *m);
double model_relative(const struct model *m);
/* A line below the floor is not kept by the relative share (a menu alone
 * on its page is still a menu). */
double model_floor(const struct model *m);
/* The model's identification line ("chaff-line-model 1 …"), for --version. */
const char *model_ident(const struct model *m);

#endif
