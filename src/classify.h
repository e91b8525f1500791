/*
 * classify.h — keep or drop every line of a document, with a reason.
 */
#ifndef CHAFF_CLASSIFY_H
#define CHAFF_CLASSIFY_H

#include "doc.h"
#include "rules.h"

struct model;

/* Tunable thresholds; the defaults are in classify.c. */
struct cls_params {
    double budget;             /* max share of long sentence-like text generic
                                  decisions may remove before backing off */
    unsigned flags;            /* CHAFF_NO_HEURISTICS, CHAFF_NO_RULES, CHAFF_KEEP_COMMENTS */
    const struct model *model; /* the line model; NULL = the hand-written heuristics decide */
};

/* Match every line of d against r (may be NULL) and decide each line:
 * fills line.init/cls/keep/why/rule and the doc counters.  Uses d->arena
 * for hit lists.  CHAFF_E_NOMEM or a matcher error. */
chaff_status cls_doc(struct doc *d, const struct chaff_rules *r, struct match_scratch *ms,
                     const struct cls_params *p);

/* Lowercase host of url (scheme://[user@]host[:port]/...) into out (size
 * n); empty string when there is none.  Returns out. */
char *cls_host(const char *url, char *out, size_t n);

/* Is a line of these features long, sentence-like text?  (The class the
 * heuristics call GOOD before context.) */
int cls_long_sentence_like(const struct seg_feat *f);
/* A long run of capitalised words without a sentence end (a tag cloud)? */
int cls_title_case_run(const struct seg_feat *f);
/* The shape of a short line that carries a date or a time (a comment's
 * meta line), or 0: runs of digits, words and spaces each one symbol. */
uint32_t cls_meta_shape(const struct line *L);
/* cls_meta_shape(L) != 0, found without making the shape: it stops as
 * soon as the answer is known. */
int cls_meta_dated(const struct line *L);

/* What the rules settle for certain, once cls_doc has run the rules and
 * heuristics: -1 a drop (a site-scoped rule; a strong rule's own match or
 * a line inside its next/para/block range, which the heuristics did not
 * give back), +1 a keep rule, 0 nothing (the line model decides: the
 * open-ended rest/before ranges and weak hits are only its evidence). */
int cls_rule_certain(const struct line *L);

/* Reason names for --explain and --stats ("context", "short-cluster@tail"). */
const char *cls_reason_name(unsigned why);

#endif
