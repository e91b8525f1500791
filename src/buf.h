/*
 * buf.h — growable byte buffer with a cap and a sticky error (sqlite3_str).
 *
 * Appends after the first failure are no-ops, so a caller can append many
 * pieces and check once.  The contents are always NUL-terminated when
 * b->p is not NULL (the terminator is not counted in len).
 */
#ifndef CHAFF_BUF_H
#define CHAFF_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "chaff.h"

struct buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max;       /* hard cap on len; appends past it fail TOOBIG */
    chaff_status err; /* sticky: first failure */
};

/* Empty buffer that may grow to max bytes (0 = SIZE_MAX/2). */
void buf_init(struct buf *b, size_t max);
/* Release the storage; b may be reused after buf_init. */
void buf_free(struct buf *b);
/* Length to 0, error cleared, storage kept. */
void buf_reset(struct buf *b);
/* Make room for n more bytes; returns b->err. */
chaff_status buf_reserve(struct buf *b, size_t n);
chaff_status buf_add(struct buf *b, const void *p, size_t n);
chaff_status buf_addc(struct buf *b, char c);
chaff_status buf_adds(struct buf *b, const char *s);
chaff_status buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
