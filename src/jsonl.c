/*
 * jsonl.c — one JSON Lines record: locate and decode the text field, and
 * splice cleaned text back (see jsonl.h).
 *
 * How.  A single left-to-right pass over the line, no tree and no
 * allocation per value.  The top-level object is walked member by member;
 * only its keys are compared with the fields' paths (a dotted path such as
 * metadata.text walks into the object under "metadata"), and every other
 * value is
 * validated and skipped by an iterative skipper whose container stack is a
 * fixed array of JSONL_MAX_DEPTH bytes, so hostile nesting costs neither
 * recursion nor memory.  Strings are the bulk of a record, so they are
 * scanned eight bytes at a time (a SWAR test for '"', '\\' and bytes below
 * 0x20, the only bytes that end a run of plain string content); runs of
 * plain bytes are copied whole, with a UTF-8 check that falls back to a
 * byte loop only where a byte has its high bit set.
 *
 * Why this way.  The text field is all chaff needs; the rest of the line
 * must come out exactly as it went in, so the parser records the value's
 * byte span instead of rebuilding the object, and the splice is three
 * copies.  Validation stays strict (RFC 8259) because a line we cannot
 * parse with certainty is safer passed through unchanged than rewritten.
 *
 * Limits.  Nesting is capped at JSONL_MAX_DEPTH; string sizes are bounded
 * only by the caps of the caller's buffers.  Numbers are checked against
 * the JSON grammar, never converted.  Ill-formed UTF-8 and lone surrogate
 * escapes are not errors: they decode to U+FFFD (one per maximal
 * ill-formed subpart, as Unicode recommends).
 */
#include "jsonl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

/* ---- byte tests ---------------------------------------------------------- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Nonzero iff some byte of w is zero / below n (n <= 128).  Exact as a
 * boolean; see FIRST_BYTE for which bits are set. */
static inline uint64_t has_zero(uint64_t w) { return (w - ONES) & ~w & HIGHS; }

static inline uint64_t has_less(uint64_t w, unsigned n) { return (w - ONES * n) & ~w & HIGHS; }

/* Nonzero iff one of the eight bytes in w ends a run of plain string
 * content: '"', '\\' or a control character.  Keep in sync with
 * str_stop(). */
static inline uint64_t str_special(uint64_t w)
{
    return has_zero(w ^ (ONES * '"')) | has_zero(w ^ (ONES * '\\')) | has_less(w, 0x20);
}

static inline bool str_stop(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

static inline uint64_t load8(const unsigned char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* The lowest flagged byte of a mask from the tests above is exact (a
 * borrow only runs towards higher bytes), so on little-endian machines
 * the first byte that needs attention is found without a byte loop. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_BYTE(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif

/* Index of the first byte at or after i that ends plain string content,
 * or len. */
static inline size_t find_stop(const unsigned char *s, size_t i, size_t len)
{
    while (len - i >= 8) {
        uint64_t m = str_special(load8(s + i));
        if (m) {
#ifdef FIRST_BYTE
            return i + FIRST_BYTE(m);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < len && !str_stop(s[i]))
        i++;
    return i;
}

/* Like find_stop(), but also stopping at bytes >= 0x80, which need a
 * UTF-8 check. */
static inline size_t find_stop_or_high(const unsigned char *s, size_t i, size_t len)
{
    while (len - i >= 8) {
        uint64_t w = load8(s + i);
        uint64_t m = str_special(w) | (w & HIGHS);
        if (m) {
#ifdef FIRST_BYTE
            return i + FIRST_BYTE(m);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < len && s[i] < 0x80 && !str_stop(s[i]))
        i++;
    return i;
}

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The four hex digits at s, or -1. */
static long hex4(const unsigned char *s)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hex_val(s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* ---- UTF-8 ----------------------------------------------------------------- */

static const char k_fffd[] = "\xEF\xBF\xBD";

/* Length (1..4) of the well-formed sequence at s[0..n), n >= 1, or 0 with
 * *bad the length of the maximal ill-formed subpart (one U+FFFD): utf8_seq()
 * with ASCII and the common two- and three-byte forms inline, so most
 * non-ASCII text (Latin, Cyrillic, CJK) never takes the call. */
static inline size_t utf8_len(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (n >= 2 && (s[1] & 0xC0) == 0x80)
            return 2;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
        if (n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80)
            return 3;
    }
    if (c < 0x80)
        return 1;
    bool cut;
    return utf8_seq(s, n, bad, &cut);
}

static void add_cp(struct buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_add(b, u, n);
}

/* ---- the parser ------------------------------------------------------------ */

struct jp {
    const unsigned char *s;
    size_t len;
    size_t i;  /* next byte */
    char *msg; /* 128 bytes */
};

/* Report what was expected at byte `at` (or the end of the line). */
static chaff_status jp_fail_at(struct jp *p, const char *what, size_t at)
{
    if (at >= p->len)
        snprintf(p->msg, 128, "unexpected end of line at byte %zu", p->len + 1);
    else
        snprintf(p->msg, 128, "%s at byte %zu", what, at + 1);
    return CHAFF_E_DATA;
}

static chaff_status jp_fail(struct jp *p, const char *what) { return jp_fail_at(p, what, p->i); }

static inline void skip_ws(struct jp *p)
{
    while (p->i < p->len && is_ws(p->s[p->i]))
        p->i++;
}

static chaff_status scan_body(struct jp *p, size_t open, size_t i, struct buf *out, size_t cut_at,
                              bool *cut);

/*
 * The string starting at p->i ('"'): validate it, leave p->i after the
 * closing quote and, when out is not NULL, append its decoded value.
 * Skipping (out NULL) rejects exactly what decoding rejects, so whether a
 * line is valid never depends on the field asked for.
 */
static chaff_status scan_string(struct jp *p, struct buf *out)
{
    bool cut;
    return scan_body(p, p->i, p->i + 1, out, SIZE_MAX, &cut);
}

/*
 * The body of scan_string(): the string opened at `open`, from byte i on.
 * When out is not NULL and has reached cut_at bytes right after a newline
 * was decoded, stop there: p->i is the next byte to decode and *cut is
 * set (else p->i is after the closing quote).  The cut lies between two
 * escapes or after one, so decoding on from p->i gives the same bytes.
 */
static chaff_status scan_body(struct jp *p, size_t open, size_t i, struct buf *out, size_t cut_at,
                              bool *cut)
{
    const unsigned char *s = p->s;
    size_t len = p->len;
    *cut = false;
    for (;;) {
        if (out) {
            /* Scan and check UTF-8 in one pass; bytes are copied a run at
             * a time, the run ending at a stop byte or an ill-formed
             * sequence. */
            size_t run = i;
            for (;;) {
                i = find_stop_or_high(s, i, len);
                if (i >= len || s[i] < 0x80)
                    break;
                size_t bad = 0;
                size_t k = utf8_len(s + i, len - i, &bad);
                if (k) {
                    i += k;
                    continue;
                }
                buf_add(out, s + run, i - run);
                buf_add(out, k_fffd, 3);
                i += bad;
                run = i;
            }
            buf_add(out, s + run, i - run);
        } else {
            i = find_stop(s, i, len);
        }
        if (i >= len) {
            p->i = i;
            return jp_fail_at(p, "unterminated string", open);
        }
        unsigned char c = s[i];
        if (c == '"') {
            p->i = i + 1;
            return CHAFF_OK;
        }
        if (c != '\\') {
            p->i = i;
            return jp_fail(p, "control character in string");
        }
        if (i + 1 >= len) {
            p->i = len;
            return jp_fail_at(p, "unterminated string", open);
        }
        char e;
        switch (s[i + 1]) {
        case '"': e = '"'; break;
        case '\\': e = '\\'; break;
        case '/': e = '/'; break;
        case 'b': e = '\b'; break;
        case 'f': e = '\f'; break;
        case 'n': e = '\n'; break;
        case 'r': e = '\r'; break;
        case 't': e = '\t'; break;
        case 'u': e = 'u'; break;
        default: p->i = i; return jp_fail(p, "invalid escape");
        }
        if (e != 'u') {
            i += 2;
            if (!out)
                continue;
            buf_addc(out, e);
            if (e == '\n' && out->len >= cut_at) {
                p->i = i;
                *cut = true;
                return CHAFF_OK;
            }
            continue;
        }
        if (len - i < 6) {
            p->i = len;
            return jp_fail_at(p, "unterminated string", open);
        }
        long cp = hex4(s + i + 2);
        if (cp < 0) {
            p->i = i;
            return jp_fail(p, "invalid \\u escape");
        }
        i += 6;
        if (!out)
            continue;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* A high surrogate pairs only with an escaped low one right
             * after it; anything else leaves it lone.  A following escape
             * that is not a low surrogate is decoded on its own. */
            long lo = -1;
            if (len - i >= 6 && s[i] == '\\' && s[i + 1] == 'u')
                lo = hex4(s + i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        add_cp(out, (unsigned long)cp);
        if (cp == '\n' && out->len >= cut_at) {
            p->i = i;
            *cut = true;
            return CHAFF_OK;
        }
    }
}

static chaff_status skip_number(struct jp *p)
{
    const unsigned char *s = p->s;
    size_t len = p->len, start = p->i, i = p->i;
    if (s[i] == '-')
        i++;
    if (i < len && s[i] == '0') {
        i++;
    } else if (i < len && s[i] >= '1' && s[i] <= '9') {
        while (i < len && is_digit(s[i]))
            i++;
    } else {
        return jp_fail_at(p, "invalid number", start);
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i]))
            return jp_fail_at(p, "invalid number", start);
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return jp_fail_at(p, "invalid number", start);
        while (i < len && is_digit(s[i]))
            i++;
    }
    p->i = i;
    return CHAFF_OK;
}

static chaff_status skip_literal(struct jp *p, const char *word, size_t n)
{
    if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0)
        return jp_fail(p, "invalid literal");
    p->i += n;
    return CHAFF_OK;
}

/*
 * Validate and skip one value at p->i, which sits inside containers
 * `depth` deep.  Iterative: kind[] remembers, per open container, whether
 * it is an object ('{') or an array ('[').
 */
static chaff_status skip_value(struct jp *p, size_t depth)
{
    unsigned char kind[JSONL_MAX_DEPTH];
    size_t n = 0;
    chaff_status st;

value:
    skip_ws(p);
    if (p->i >= p->len)
        return jp_fail(p, "expected value");
    switch (p->s[p->i]) {
    case '"':
        if ((st = scan_string(p, NULL)))
            return st;
        goto after_value;
    case '{':
    case '[':
        if (depth + n >= JSONL_MAX_DEPTH) {
            snprintf(p->msg, 128, "nesting deeper than %d at byte %zu", JSONL_MAX_DEPTH, p->i + 1);
            return CHAFF_E_DATA;
        }
        kind[n++] = p->s[p->i++];
        skip_ws(p);
        if (p->i < p->len && p->s[p->i] == (kind[n - 1] == '{' ? '}' : ']')) {
            p->i++;
            n--;
            goto after_value;
        }
        if (kind[n - 1] == '{')
            goto key;
        goto value;
    case 't':
        if ((st = skip_literal(p, "true", 4)))
            return st;
        goto after_value;
    case 'f':
        if ((st = skip_literal(p, "false", 5)))
            return st;
        goto after_value;
    case 'n':
        if ((st = skip_literal(p, "null", 4)))
            return st;
        goto after_value;
    default:
        if (p->s[p->i] == '-' || is_digit(p->s[p->i])) {
            if ((st = skip_number(p)))
                return st;
            goto after_value;
        }
        return jp_fail(p, "expected value");
    }

key:
    /* p->i is past white space, inside an object, before a member. */
    if (p->i >= p->len || p->s[p->i] != '"')
        return jp_fail(p, "expected string key");
    if ((st = scan_string(p, NULL)))
        return st;
    skip_ws(p);
    if (p->i >= p->len || p->s[p->i] != ':')
        return jp_fail(p, "expected ':'");
    p->i++;
    goto value;

after_value:
    if (n == 0)
        return CHAFF_OK;
    skip_ws(p);
    if (p->i < p->len && p->s[p->i] == ',') {
        p->i++;
        skip_ws(p);
        if (kind[n - 1] == '{')
            goto key;
        goto value;
    }
    if (kind[n - 1] == '{') {
        if (p->i < p->len && p->s[p->i] == '}') {
            p->i++;
            n--;
            goto after_value;
        }
        return jp_fail(p, "expected ',' or '}'");
    }
    if (p->i < p->len && p->s[p->i] == ']') {
        p->i++;
        n--;
        goto after_value;
    }
    return jp_fail(p, "expected ',' or ']'");
}

/* True when the key whose raw inside is s[a..b) decodes to name[0..n).
 * Plain ASCII keys compare in place; others are decoded into *scratch. */
static chaff_status key_is(struct jp *p, size_t a, size_t b, const char *name, size_t n,
                           struct buf *scratch, bool *is)
{
    bool plain = true;
    for (size_t k = a; k < b; k++) {
        if (p->s[k] == '\\' || p->s[k] >= 0x80) {
            plain = false;
            break;
        }
    }
    if (plain) {
        *is = b - a == n && memcmp(p->s + a, name, n) == 0;
        return CHAFF_OK;
    }
    /* No escape is longer than six bytes per decoded byte, so a longer key
     * cannot match; this also bounds what *scratch ever holds. */
    if (b - a > 6 * n) {
        *is = false;
        return CHAFF_OK;
    }
    buf_reset(scratch);
    struct jp q = *p;
    q.i = a - 1;
    chaff_status st = scan_string(&q, scratch);
    if (st == CHAFF_OK && scratch->err)
        st = scratch->err;
    if (st) {
        snprintf(p->msg, 128, "out of memory");
        return st;
    }
    *is = scratch->len == n && memcmp(scratch->p, name, n) == 0;
    return CHAFF_OK;
}

/* Name the error of an output buffer for msg. */
static chaff_status buf_fail(struct jp *p, chaff_status st, const char *what)
{
    snprintf(p->msg, 128, "%s %s", what, st == CHAFF_E_NOMEM ? "out of memory" : "too large");
    return st;
}

/* What one parse looks for: a dotted path per member wanted, where its
 * decoded string goes, and where each buffer stood on entry. */
struct walk {
    const char *const *path;
    size_t plen[JSONL_N];
    struct buf *const *to;
    size_t to0[JSONL_N];
    struct jsonl_rec *rec;
    struct buf *scratch;
};

/* keep in sync with enum jsonl_want */
static const char *const k_want_name[JSONL_N] = {"text field", "url field", "lang field",
                                                 "id field", "annotate field"};

/* A key named member k again: a duplicated key's last value wins (as jq
 * and most readers take it), so what an earlier one gave is forgotten. */
static void forget(struct walk *wk, unsigned k)
{
    struct buf *b = wk->to[k];
    if (b) {
        b->len = wk->to0[k];
        if (b->p)
            b->p[b->len] = '\0';
    }
    memset(&wk->rec->m[k], 0, sizeof wk->rec->m[k]);
}

/*
 * The object at p->i ('{'), `depth` containers deep counting itself; seg[k]
 * is where the part of path k still to match starts (SIZE_MAX: path k is
 * not looked for in this object).  A key equal to a path's next segment
 * either ends the path (its value is the member wanted) or, when more
 * segments follow and the value is an object, is walked into.  Recursion
 * follows the paths' dots, never the data, so the data's nesting costs no
 * stack.
 */
static chaff_status walk_object(struct jp *p, struct walk *wk, size_t depth,
                                const size_t seg[JSONL_N])
{
    const unsigned char *s = p->s;
    chaff_status st;
    p->i++;
    skip_ws(p);
    if (p->i < p->len && s[p->i] == '}') {
        if (depth == 1) {
            wk->rec->obj_end = p->i;
            wk->rec->obj_empty = 1;
        }
        p->i++;
        return CHAFF_OK;
    }
    for (;;) {
        if (p->i >= p->len || s[p->i] != '"')
            return jp_fail(p, "expected string key");
        size_t ka = p->i + 1;
        if ((st = scan_string(p, NULL)))
            return st;
        size_t kb = p->i - 1;
        size_t child[JSONL_N];
        unsigned ends = 0; /* bit k: path k ends at this key */
        bool descend = false;
        for (unsigned k = 0; k < JSONL_N; k++) {
            child[k] = SIZE_MAX;
            if (seg[k] == SIZE_MAX)
                continue;
            const char *name = wk->path[k] + seg[k];
            const char *dot = memchr(name, '.', wk->plen[k] - seg[k]);
            size_t n = dot ? (size_t)(dot - name) : wk->plen[k] - seg[k];
            bool is = false;
            if ((st = key_is(p, ka, kb, name, n, wk->scratch, &is)))
                return st;
            if (!is)
                continue;
            forget(wk, k);
            if (dot) {
                child[k] = seg[k] + n + 1;
                descend = true;
            } else {
                ends |= 1u << k;
            }
        }
        skip_ws(p);
        if (p->i >= p->len || s[p->i] != ':')
            return jp_fail(p, "expected ':'");
        p->i++;
        skip_ws(p);
        size_t vs = p->i;
        bool is_str = p->i < p->len && s[p->i] == '"';
        bool is_obj = p->i < p->len && s[p->i] == '{';
        int into = -1; /* the first path ending here that wants the string */
        for (unsigned k = 0; is_str && into < 0 && k < JSONL_N; k++)
            if ((ends >> k & 1) && wk->to[k])
                into = (int)k;
        if (into >= 0) {
            struct buf *b = wk->to[into];
            size_t t0 = b->len;
            if ((st = scan_string(p, b)))
                return st;
            if (b->err)
                return buf_fail(p, b->err, k_want_name[into]);
            for (unsigned k = (unsigned)into + 1; k < JSONL_N; k++) {
                if (!(ends >> k & 1) || !wk->to[k])
                    continue;
                buf_add(wk->to[k], b->p ? b->p + t0 : "", b->len - t0);
                if (wk->to[k]->err)
                    return buf_fail(p, wk->to[k]->err, k_want_name[k]);
            }
        } else if (descend && is_obj) {
            if (depth >= JSONL_MAX_DEPTH) {
                snprintf(p->msg, 128, "nesting deeper than %d at byte %zu", JSONL_MAX_DEPTH,
                         p->i + 1);
                return CHAFF_E_DATA;
            }
            if ((st = walk_object(p, wk, depth + 1, child)))
                return st;
        } else if ((st = skip_value(p, depth))) {
            return st;
        }
        for (unsigned k = 0; k < JSONL_N; k++)
            if (ends >> k & 1)
                wk->rec->m[k] =
                    (struct jsonl_member){vs, p->i, is_str ? JSONL_STRING : JSONL_OTHER};
        skip_ws(p);
        if (p->i < p->len && s[p->i] == ',') {
            p->i++;
            skip_ws(p);
            continue;
        }
        if (p->i < p->len && s[p->i] == '}') {
            if (depth == 1)
                wk->rec->obj_end = p->i;
            p->i++;
            return CHAFF_OK;
        }
        return jp_fail(p, "expected ',' or '}'");
    }
}

/* The body of jsonl_parse_paths(); the wrapper undoes partial output on
 * error. */
static chaff_status parse_object(struct jp *p, struct walk *wk)
{
    const unsigned char *s = p->s;
    size_t seg[JSONL_N];
    for (unsigned k = 0; k < JSONL_N; k++)
        seg[k] = wk->path[k] ? 0 : SIZE_MAX;

    if (p->len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        p->i = 3;
    skip_ws(p);
    if (p->i >= p->len) {
        snprintf(p->msg, 128, "empty line");
        return CHAFF_E_DATA;
    }
    if (s[p->i] != '{')
        return jp_fail(p, "expected '{'");
    chaff_status st = walk_object(p, wk, 1, seg);
    if (st)
        return st;
    skip_ws(p);
    if (p->i < p->len) {
        snprintf(p->msg, 128, "trailing characters after the object at byte %zu", p->i + 1);
        return CHAFF_E_DATA;
    }
    return CHAFF_OK;
}

chaff_status jsonl_parse_paths(const char *line, size_t len, const char *const path[JSONL_N],
                               struct buf *const to[JSONL_N], struct jsonl_rec *rec, char msg[128])
{
    struct jp p = {(const unsigned char *)line, len, 0, msg};
    struct buf scratch;
    struct walk wk = {.path = path, .to = to, .rec = rec, .scratch = &scratch};
    for (unsigned k = 0; k < JSONL_N; k++) {
        wk.plen[k] = path[k] ? strlen(path[k]) : 0;
        wk.to0[k] = to[k] ? to[k]->len : 0;
    }
    memset(rec, 0, sizeof *rec);
    buf_init(&scratch, 0);
    chaff_status st = parse_object(&p, &wk);
    buf_free(&scratch);
    if (st) {
        for (unsigned k = 0; k < JSONL_N; k++)
            forget(&wk, k);
        return st;
    }
    const struct jsonl_member *t = &rec->m[JSONL_TEXT];
    rec->val_start = t->start;
    rec->val_end = t->end;
    rec->has_text = t->kind == JSONL_STRING;
    rec->text_is_null = t->kind == JSONL_OTHER;
    rec->has_url = rec->m[JSONL_URL].kind == JSONL_STRING;
    return CHAFF_OK;
}

chaff_status jsonl_string_part(const char *line, size_t len, const struct jsonl_member *m,
                               size_t *at, size_t want, struct buf *out)
{
    if (m->kind != JSONL_STRING || m->end > len || m->end - m->start < 2 || *at >= m->end)
        return CHAFF_E_INVAL;
    char msg[128];
    /* the string is known good: only its span is scanned */
    struct jp p = {(const unsigned char *)line, m->end, 0, msg};
    size_t to = out->len > SIZE_MAX - want ? SIZE_MAX : out->len + want;
    bool cut;
    chaff_status st = scan_body(&p, m->start, *at ? *at : m->start + 1, out, to, &cut);
    if (st)
        return st;
    if (out->err)
        return out->err;
    *at = cut ? p.i : m->end;
    return CHAFF_OK;
}

chaff_status jsonl_parse(const char *line, size_t len, const char *field, const char *url_field,
                         struct jsonl_rec *rec, struct buf *text, struct buf *url, char msg[128])
{
    const char *path[JSONL_N] = {field, url_field, NULL, NULL, NULL};
    struct buf *const to[JSONL_N] = {text, url, NULL, NULL, NULL};
    return jsonl_parse_paths(line, len, path, to, rec, msg);
}

/* ---- the splice ------------------------------------------------------------ */

chaff_status jsonl_encode(struct buf *b, const char *clean, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)clean;
    size_t i = 0, run = 0;

    if (buf_reserve(b, n))
        return b->err;
    for (;;) {
        i = find_stop_or_high(s, i, n);
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t bad = 0;
            size_t k = utf8_len(s + i, n - i, &bad);
            if (k == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
                /* U+2028/U+2029 are legal in JSON but end lines in
                 * JavaScript and in some line readers. */
                buf_add(b, s + run, i - run);
                buf_add(b, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
                i += 3;
                run = i;
            } else if (k) {
                i += k;
            } else {
                buf_add(b, s + run, i - run);
                buf_add(b, k_fffd, 3);
                i += bad;
                run = i;
            }
            continue;
        }
        buf_add(b, s + run, i - run);
        switch (c) {
        case '"': buf_add(b, "\\\"", 2); break;
        case '\\': buf_add(b, "\\\\", 2); break;
        case '\n': buf_add(b, "\\n", 2); break;
        case '\r': buf_add(b, "\\r", 2); break;
        case '\t': buf_add(b, "\\t", 2); break;
        case '\b': buf_add(b, "\\b", 2); break;
        case '\f': buf_add(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_add(b, u, 6);
        }
        }
        i++;
        run = i;
    }
    buf_add(b, s + run, n - run);
    return b->err;
}

/* jsonl_splice(); *mark (when not NULL) receives the offset in out just
 * after the opening quote of the text's value. */
static chaff_status splice(const char *line, size_t len, const struct jsonl_rec *rec,
                           const char *clean, size_t clean_len, struct buf *out, size_t *mark)
{
    if (!rec->has_text)
        return buf_add(out, line, len);
    if (NEVER(rec->val_start >= rec->val_end || rec->val_end > len))
        return CHAFF_E_INVAL;
    /* Most cleaned text needs no escapes beyond those the input had, so
     * this usually is the only growth. */
    if (buf_reserve(out, len - (rec->val_end - rec->val_start) + clean_len + 2))
        return out->err;
    buf_add(out, line, rec->val_start);
    buf_addc(out, '"');
    if (mark)
        *mark = out->len;
    jsonl_encode(out, clean, clean_len);
    buf_addc(out, '"');
    return buf_add(out, line + rec->val_end, len - rec->val_end);
}

chaff_status jsonl_splice(const char *line, size_t len, const struct jsonl_rec *rec,
                          const char *clean, size_t clean_len, struct buf *out)
{
    return splice(line, len, rec, clean, clean_len, out, NULL);
}

/* line[*at..ts) and the cleaned text as a JSON string; *at to te; *mark
 * as in splice(). */
static void put_text(struct buf *out, const char *line, size_t *at, size_t ts, size_t te,
                     const char *clean, size_t clean_len, size_t *mark)
{
    buf_add(out, line + *at, ts - *at);
    buf_addc(out, '"');
    if (mark)
        *mark = out->len;
    jsonl_encode(out, clean, clean_len);
    buf_addc(out, '"');
    *at = te;
}

/* jsonl_splice_annot(), with *mark as in splice(). */
static chaff_status splice_annot(const char *line, size_t len, const struct jsonl_rec *rec,
                                 const char *clean, size_t clean_len, const char *key,
                                 const char *annot, size_t annot_len, struct buf *out, size_t *mark)
{
    if (!key)
        return splice(line, len, rec, clean, clean_len, out, mark);
    /* where the annotation goes: over the member's old value, or a new
     * member before the object's closing brace */
    const struct jsonl_member *a = &rec->m[JSONL_ANNOT];
    bool replace = a->kind != JSONL_ABSENT;
    size_t as = replace ? a->start : rec->obj_end, ae = replace ? a->end : rec->obj_end;
    if (NEVER(ae > len || as > ae || (!replace && (as >= len || line[as] != '}'))))
        return CHAFF_E_INVAL;
    size_t ts = rec->has_text ? rec->val_start : 0, te = rec->has_text ? rec->val_end : 0;
    if (rec->has_text && ts < ae && as < te) /* the text inside the annotation member */
        return splice(line, len, rec, clean, clean_len, out, mark);
    size_t at = 0;
    bool text_first = rec->has_text && ts < as;
    if (text_first)
        put_text(out, line, &at, ts, te, clean, clean_len, mark);
    buf_add(out, line + at, as - at);
    if (!replace) {
        buf_adds(out, rec->obj_empty ? "\"" : ",\"");
        jsonl_encode(out, key, strlen(key));
        buf_adds(out, "\":");
    }
    buf_add(out, annot, annot_len);
    at = ae;
    if (rec->has_text && !text_first)
        put_text(out, line, &at, ts, te, clean, clean_len, mark);
    return buf_add(out, line + at, len - at);
}

chaff_status jsonl_splice_annot(const char *line, size_t len, const struct jsonl_rec *rec,
                                const char *clean, size_t clean_len, const char *key,
                                const char *annot, size_t annot_len, struct buf *out)
{
    return splice_annot(line, len, rec, clean, clean_len, key, annot, annot_len, out, NULL);
}

chaff_status jsonl_splice_frame(const char *line, size_t len, const struct jsonl_rec *rec,
                                const char *key, const char *annot, size_t annot_len,
                                struct buf *out, size_t *text_at)
{
    size_t start = out->len, mark = SIZE_MAX;
    chaff_status st = splice_annot(line, len, rec, "", 0, key, annot, annot_len, out, &mark);
    *text_at = mark == SIZE_MAX ? SIZE_MAX : mark - start;
    return st;
}
