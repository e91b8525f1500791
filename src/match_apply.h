/*
 * match_apply.h — what a rule hit means for a line: guards and verdict.
 *
 * The classifier and the inline-example runner (chaff_rules_test) both go
 * through these two functions, so an example is judged exactly as a line
 * of a document would be.
 */
#ifndef CHAFF_MATCH_APPLY_H
#define CHAFF_MATCH_APPLY_H

#include <stdbool.h>

#include "doc.h"
#include "rules.h"

struct apply_ctx {
    uint32_t langs;        /* the document's languages */
    const char *host;      /* lowercase host, or NULL */
    uint32_t n_nonblank;   /* for tail positions */
    bool at_head, at_tail; /* head/tail guards may hold in this window */
    bool any_position;     /* examples: position guards count as met */
};

/* Do ru's guards (language, site, position, length) hold for a line with
 * features f at non-blank index nb? */
bool apply_guard(const struct chaff_rules *r, const struct rule *ru, const struct seg_feat *f,
                 uint32_t nb, const struct apply_ctx *ax);

/* The strongest meaning of a line's (guarded) hits; -1 where none. */
struct hit_verdict {
    int32_t site_drop; /* a site-scoped rule that drops */
    int32_t keep;      /* a keep rule */
    int32_t strong;    /* a generic strong rule that drops (any action) */
    int32_t weak;      /* a weak rule */
};
void apply_verdict(const struct chaff_rules *r, const uint32_t *hits, uint32_t n,
                   struct hit_verdict *v);

#endif
