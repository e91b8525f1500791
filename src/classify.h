/*
 * classify.h — keep or drop every line of a document, with a reason.
 */
#ifndef CHAFF_CLASSIFY_H
#define CHAFF_CLASSIFY_H

#include "doc.h"
#include "rules.h"

/* Tunable thresholds; the defaults are in classify.c. */
struct cls_params {
    double budget;          /* max share of long sentence-like text generic
                               decisions may remove before backing off */
    unsigned flags;         /* CHAFF_NO_HEURISTICS, CHAFF_NO_RULES */
};

/* Match every line of d against r (may be NULL) and decide each line:
 * fills line.init/cls/keep/why/rule and the doc counters.  Uses d->arena
 * for hit lists.  CHAFF_E_NOMEM or a matcher error. */
chaff_status cls_doc(struct doc *d, const struct chaff_rules *r, struct match_scratch *ms,
                     const struct cls_params *p);

/* Lowercase host of url (scheme://[user@]host[:port]/...) into out (size
 * n); empty string when there is none.  Returns out. */
char *cls_host(const char *url, char *out, size_t n);

/* Reason names for --explain and --stats ("context", "short-cluster@tail"). */
const char *cls_reason_name(unsigned why);

#endif
