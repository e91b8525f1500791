/*
 * segment.h — split a UTF-8 document into lines with both forms and their
 * features (see doc.h).
 */
#ifndef CHAFF_SEGMENT_H
#define CHAFF_SEGMENT_H

#include "doc.h"

/* Per-thread scratch for seg_doc (normalization buffers). */
struct seg_scratch {
    struct buf out, key;
};
void seg_scratch_init(struct seg_scratch *s);
void seg_scratch_free(struct seg_scratch *s);

/* Fill d->lines from text[0..len) (valid UTF-8 with \n line ends, as
 * decode.c writes it): output form, key, features, non-blank index, and
 * d->script_hist.  Lines live in d->arena.  CHAFF_E_NOMEM/TOOBIG. */
chaff_status seg_doc(struct doc *d, struct seg_scratch *s, const char *text, size_t len);

/* Features of one output-form line. */
void seg_features(const char *s, size_t len, struct seg_feat *f, uint32_t hist[SCRIPT_COUNT]);

#endif
