/*
 * emit.h — write a classified document: kept text or the explain listing.
 */
#ifndef CHAFF_EMIT_H
#define CHAFF_EMIT_H

#include <stdbool.h>

#include "doc.h"
#include "rules.h"

struct model;

/* Carries blank-line state across the windows of one document. */
struct emit_state {
    bool any;           /* something was written */
    bool pending_blank; /* a blank line is owed before the next kept line */
};

/* Append the kept lines of d to out: in order, output form, blank-line
 * runs collapsed to one, no leading or trailing blank line.  Lines are
 * joined with '\n'; no newline after the last one (the framing adds it). */
chaff_status emit_text(const struct doc *d, struct emit_state *es, struct buf *out);

/* Append the explain listing of d: one line per input line,
 * "keep|drop <TAB> reason and figures <TAB> text".  A line the model m
 * decided shows its score and the three features that moved it most.
 * Uses d->arena. */
chaff_status emit_explain(const struct doc *d, const struct chaff_rules *r, const struct model *m,
                          struct buf *out);

/* Append the line model's input for d (--dump-features, make train): a
 * header row "#line, keep, p, <feature names>, text", then per non-blank
 * line its index, the decision, the model's score (-1 when it did not
 * score the line), its features and its text with tabs made spaces,
 * tab-separated. */
chaff_status emit_features(const struct doc *d, const struct chaff_rules *r, struct buf *out);

/* Path of a rule file as shown to people: from its "rules/" folder on. */
const char *emit_rule_path(const char *path);

#endif
