/*
 * normalize.h — the two forms of a line: output form and match key.
 *
 * Output form: the line as chaff writes it — Unicode white space trimmed at
 * both ends (U+00A0, U+3000, U+2000..U+200A, tabs, and the invisible
 * U+200B/U+FEFF), then NFC.  White space inside the line is left as it is.
 * Match key: NFKC_Casefold of the line, every white-space run collapsed to
 * one ASCII space, trimmed.  Rule patterns are turned into keys the same
 * way, so matching is insensitive to case, width and compatibility forms.
 *
 * Both append to a caller-owned struct buf.  ASCII-only input takes a fast
 * path that never converts to UTF-16; other input is checked with the NFC
 * quick-check property and only lines that need it are normalized through
 * ICU.  Input must be valid UTF-8 (decode.c guarantees it).
 */
#ifndef CHAFF_NORMALIZE_H
#define CHAFF_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the output form of s[0..len) to out: trimmed (norm_trim), then
 * NFC unless norm_is_nfc says it is already.  CHAFF_E_NOMEM/TOOBIG. */
chaff_status norm_output(const char *s, size_t len, struct buf *out);

/* The bounds [*b, *e) of s[0..len) without white space (norm_is_space) at
 * either end. */
void norm_trim(const char *s, size_t len, size_t *b, size_t *e);

/* 1 when s[0..len) is certainly NFC, so that its output form is itself
 * (every code point NFC_Quick_Check=Yes, combining classes in order: exact
 * when it says 1); 0 means maybe, normalise to know. */
int norm_is_nfc(const char *s, size_t len);

/* Append the match key of s[0..len) to out.  CHAFF_E_NOMEM/TOOBIG. */
chaff_status norm_key(const char *s, size_t len, struct buf *out);

/* Is code point c white space for trimming and collapsing? */
int norm_is_space(uint32_t c);

/* Decode one code point from s[*i..len), advancing *i; s must be valid
 * UTF-8 (invalid bytes decode as U+FFFD and advance by one).  Inline: every
 * pass over a line's text calls it for each non-ASCII character. */
static inline uint32_t norm_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = *i;
    uint32_t c = u[k];
    if (c < 0x80) {
        *i = k + 1;
        return c;
    }
    int n = c >= 0xf8 ? -1 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    if (n < 0 || k + (size_t)n >= len) {
        *i = k + 1;
        return 0xfffd;
    }
    c &= n == 1 ? 0x1f : n == 2 ? 0x0f : 0x07;
    for (int j = 1; j <= n; j++) {
        unsigned char b = u[k + (size_t)j];
        if ((b & 0xc0) != 0x80) {
            *i = k + 1;
            return 0xfffd;
        }
        c = (c << 6) | (b & 0x3f);
    }
    *i = k + (size_t)n + 1;
    return c;
}

#endif
