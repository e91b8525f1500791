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
 * d->script_hist.  Lines live in d->arena; a line's output form points
 * into text when normalisation leaves it as it is (nearly always), so
 * text must outlive d's use.  Output forms are not NUL-terminated.
 * CHAFF_E_NOMEM/TOOBIG. */
chaff_status seg_doc(struct doc *d, struct seg_scratch *s, const char *text, size_t len);

/* Lines by match key: an open-addressing table on key_hash, for finding
 * an earlier line with the same key (repeats).  Holds line indices. */
struct key_index {
    int32_t *slot; /* -1 = empty */
    uint32_t cap;  /* a power of two, at least twice the lines it will hold */
};

/* A table for up to n lines, in arena a.  CHAFF_E_NOMEM. */
chaff_status key_index_init(struct key_index *x, struct arena *a, uint32_t n);

/* The slot of L's key (L->key set): one holding a line with the same key,
 * or the empty one where L belongs (*slot < 0). */
int32_t *key_index_slot(const struct key_index *x, const struct doc *d, const struct line *L);

/* Features of one output-form line. */
void seg_features(const char *s, size_t len, struct seg_feat *f, uint32_t hist[SCRIPT_COUNT]);
#ifdef UNIT_TESTING
/* 0: seg_features takes its general step for every character, without
 * counting runs whole (tests compare the two). */
extern int seg_fast_runs;
#endif

#endif
