/*
 * buf.c — growable byte buffer (see buf.h).
 *
 * Growth doubles, so appends are amortised O(1); the cap turns hostile
 * input (a line of gigabytes) into CHAFF_E_TOOBIG instead of exhausting
 * memory.
 */
#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

void buf_init(struct buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : (size_t)-1 / 2;
}

void buf_free(struct buf *b)
{
    chaff_xfree(b->p);
    size_t max = b->max;
    memset(b, 0, sizeof *b);
    b->max = max;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = CHAFF_OK;
    if (b->p)
        b->p[0] = '\0';
}

chaff_status buf_reserve(struct buf *b, size_t n)
{
    if (b->err)
        return b->err;
    if (n > b->max - b->len) {
        b->err = CHAFF_E_TOOBIG;
        return b->err;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return CHAFF_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 4 ? need : cap * 2;
    char *p = chaff_xrealloc(b->p, cap);
    if (!p) {
        b->err = CHAFF_E_NOMEM;
        return b->err;
    }
    b->p = p;
    b->cap = cap;
    return CHAFF_OK;
}

chaff_status buf_add(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n))
        return b->err;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return CHAFF_OK;
}

chaff_status buf_addc(struct buf *b, char c) { return buf_add(b, &c, 1); }

chaff_status buf_adds(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

chaff_status buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (!b->err)
            b->err = CHAFF_E_INVAL;
        return b->err;
    }
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    if (buf_reserve(b, (size_t)n))
        return b->err;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CHAFF_OK;
}
