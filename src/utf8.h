/*
 * utf8.h — the one UTF-8 well-formedness check, shared by decode.c (input
 * text) and jsonl.c (JSON strings), and the one encoder of a code point.
 */
#ifndef CHAFF_UTF8_H
#define CHAFF_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed sequence at s[0..n) (s[0] >= 0x80), or 0 when
 * it is ill-formed: then *bad is the length of its maximal subpart (the
 * bytes one U+FFFD stands for) and *cut says whether the end of the buffer
 * cut a sequence that was well-formed so far.  Table 3-7 of the Unicode
 * Standard: no overlongs, no surrogates, nothing above U+10FFFF.
 */
static inline size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad, bool *cut)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t need;
    *cut = false;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n) {
            *bad = k;
            *cut = true;
            return 0;
        }
        unsigned b = s[k];
        if (b < lo || b > hi) {
            *bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/* The UTF-8 of code point c (at most U+10FFFF) into o[0..4); returns its
 * length. */
static inline size_t utf8_put(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

#endif
