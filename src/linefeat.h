/*
 * linefeat.h — the line model's inputs: one vector of numbers per
 * non-blank line, from the line itself, its rule hits, what the hand-written
 * heuristics made of it, its place in the page, its neighbours and the page
 * as a whole.
 *
 * The names (feat_names) are what a model file refers to, so a model
 * trained on an older list is refused rather than misread.  The trainer
 * reads the vectors chaff itself writes (--dump-features), so there is no
 * second implementation to keep in sync.
 */
#ifndef CHAFF_LINEFEAT_H
#define CHAFF_LINEFEAT_H

#include "doc.h"
#include "rules.h"

/* What feat_line reads of a line for itself and for its neighbours. */
struct feat_line_cache {
    float elen_log, stop_sh, indent_log;
    uint8_t terminal, bullet, long_sent, h_kept, rule, seps, dated;
};

/* Per-document state for feat_line: the non-blank lines in order and a few
 * figures per line, in d->arena. */
struct feat_ctx {
    const struct doc *d;
    const struct chaff_rules *r;
    uint32_t *nb; /* index of the k-th non-blank line */
    uint32_t n_nb;
    struct feat_line_cache *lc; /* per non-blank line */
    uint32_t *dated_pre;        /* dated lines before the k-th, n_nb + 1 entries */
    uint16_t *block;            /* non-blank lines of the line's block (blank-line separated) */
    uint16_t *block_pos;        /* the line's place in it */
    uint16_t *dist_prev, *dist_next; /* non-blank lines to the nearest sentence line */
    uint16_t *reps;                  /* lines of the page with the same key */
    uint8_t *rep_later;              /* a copy stands above */
    uint16_t *bullet_run, *shape_run, *indent_run;
    uint64_t *text_before;               /* sentence text (effective length) before the line */
    uint32_t *cat_above, *cat_below;     /* rule categories that named a line above / below */
    uint16_t *rules_above, *rules_below; /* lines a rule named above / below */
    float page[16];                      /* page figures, the same for every line */
    int16_t cat_index[64];               /* rule category -> feature slot, -1 = "other" */
};

/* The features, in order (F_* in linefeat.c). */
extern const char *const feat_names[];
extern const unsigned feat_count;

/* Prepare ctx for d (after classification by rules and heuristics, with
 * line.h_why set).  CHAFF_E_NOMEM. */
chaff_status feat_prepare(struct feat_ctx *ctx, const struct doc *d, const struct chaff_rules *r);

/* The vector of the k-th non-blank line into x[feat_count]. */
void feat_line(const struct feat_ctx *ctx, uint32_t k, float *x);

#endif
