/*
 * rules_parse.c — reading rule files into a struct chaff_rules (rules.h),
 * the public load/free/count calls, and site-scope matching.
 *
 * How.  A file is first checked as a whole (valid UTF-8, no control
 * characters but tab and CR, size cap) so that the line parser can assume
 * clean text.  Then each line is one statement: a comment (which may be a
 * header field or an inline example), a directive that changes the state
 * carried down the file (@category, @lang, @site, @where, @maxlen,
 * @strength), or a rule.  `=` and `+` patterns are turned into key space
 * here with norm_key(), so the compiled database and the scanned lines
 * live in one space; `~` regexes are kept as written because folding
 * would change escapes such as \S and \D, and instead every non-ASCII
 * literal in them must already be in key form.
 *
 * Why this way.  Authors get the first mistake of a file as
 * file:line:col: message with the column (in characters, counted in Unicode
 * code points from 1) pointing at the offending token, which is what
 * editors jump to; nothing is silently ignored.  Every array is grown one
 * element at a time with its count bumped before the element is filled,
 * so chaff_rules_free() can release a set that failed half-way.
 *
 * Limits (hard, like Lua's): RULE_MAX_LINE bytes per line, 16 MiB per
 * file, RULE_MAX_FILES files, 1,000,000 rules, 65,535 categories, folder
 * nesting of 32.  Site suffixes ("example.*") are matched without a public
 * suffix list: any suffix after the name counts.
 */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hs/hs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "lang.h"
#include "normalize.h"
#include "rules_cache.h"
#include "rules_db.h"
#include "rules_regex.h"

#define RULE_MAX_RULES 1000000u
#define RULE_MAX_FILE_BYTES ((size_t)16 << 20)
#define RULE_MAX_CATEGORIES 65535u
#define RULE_MAX_SITES 1000000u
#define RULE_MAX_EXAMPLES 1000000u
#define RULE_MAX_DEPTH 32
#define RULE_MAX_NUMBER 65535u

/* Per-file parser state.  The directive fields are what @category resets. */
struct parse {
    struct chaff_rules *r;
    chaff_error *err;
    const char *path;
    uint32_t file;
    uint32_t line;
    const char *ls; /* first byte of the current line, for columns */
    bool have_category;
    bool seen_statement;
    bool hdr_seen[4];
    uint16_t category;
    uint32_t langs;
    uint32_t site;
    uint8_t where;
    uint16_t where_n;
    uint16_t maxlen;
    uint8_t strong;
    struct buf tmp;              /* unescaped pattern text */
    struct buf key;              /* its key */
    chaff_test_fail_fn on_error; /* every error (--check-rules), or NULL */
    void *error_ud;
    unsigned n_errors;
    uint32_t *bad_lines; /* every-error mode: lines check_text rejected */
    uint32_t n_bad;
};

/* keep in sync with struct rule_file and rules/README.md (header) */
static const char *const header_keys[4] = {"title", "version", "license", "description"};

/* ---- errors -------------------------------------------------------------- */

static unsigned column_of(const char *ls, const char *at)
{
    unsigned col = 1;
    for (const char *q = ls; q < at; q++)
        if (((unsigned char)*q & 0xc0) != 0x80)
            col++;
    return col;
}

static void copy_path(char dst[512], const char *path)
{
    size_t n = strlen(path);
    if (n > 511)
        n = 511;
    memcpy(dst, path, n);
    dst[n] = '\0';
}

/* Fill err (when not NULL) with path:line:col: msg; returns CHAFF_E_RULES. */
static chaff_status fail_at(chaff_error *err, const char *path, unsigned line, unsigned col,
                            const char *fmt, va_list ap)
{
    if (err) {
        memset(err, 0, sizeof *err);
        copy_path(err->file, path ? path : "");
        err->line = line;
        err->col = col;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return CHAFF_E_RULES;
}

static chaff_status perr(struct parse *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Error at byte `at` of the current line. */
static chaff_status perr(struct parse *p, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    chaff_status st = fail_at(p->err, p->path, p->line, column_of(p->ls, at), fmt, ap);
    va_end(ap);
    return st;
}

static chaff_status ferr(chaff_error *err, const char *path, chaff_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Error about a whole file (line and column 0) with status st. */
static chaff_status ferr(chaff_error *err, const char *path, chaff_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_at(err, path, 0, 0, fmt, ap);
    va_end(ap);
    return st;
}

/* A token for a message: at most 48 bytes, cut on a character boundary. */
static void tok(char out[64], const char *s, size_t n)
{
    size_t k = n;
    if (k > 48) {
        k = 48;
        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
            k--;
    }
    memcpy(out, s, k);
    snprintf(out + k, 64 - k, "%s", k < n ? "..." : "");
}

static chaff_status nomem(struct parse *p)
{
    if (p->err) {
        memset(p->err, 0, sizeof *p->err);
        copy_path(p->err->file, p->path);
        snprintf(p->err->msg, sizeof p->err->msg, "out of memory");
    }
    return CHAFF_E_NOMEM;
}

/* ---- growing arrays ------------------------------------------------------ */

/* Make room for element n of *v (elements of size sz): capacity is the
 * next power of two at or above 8, so the capacity needs no field. */
static bool grow(void **v, uint32_t n, size_t sz)
{
    if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
        return true;
    size_t cap = n == 0 ? 8 : (size_t)n * 2;
    void *q = chaff_xrealloc(*v, cap * sz);
    if (!q)
        return false;
    *v = q;
    return true;
}

/* ---- text checks --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t k = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    if (k == 0 || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong forms, surrogates and code points past U+10FFFF */
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return k;
}

/* Report the error p->err holds (every-error mode); CHAFF_OK to go on. */
static chaff_status report_err(struct parse *p)
{
    p->n_errors++;
    p->on_error(p->error_ud, p->err);
    return CHAFF_OK;
}

/* Whole-file check so the line parser sees valid UTF-8 without control
 * characters (tab and CR aside).  In every-error mode each bad line is
 * reported once and remembered, and parse_lines skips it. */
static chaff_status check_text(struct parse *p, const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    p->line = 1;
    p->ls = text;
    uint32_t reported = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        if (c == '\n') {
            p->line++;
            p->ls = text + i + 1;
            i++;
            continue;
        }
        chaff_status st = CHAFF_OK;
        size_t k = 1;
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            st = perr(p, text + i, "control character U+%04X", c);
        else if ((k = utf8_len(u + i, len - i)) == 0)
            st = perr(p, text + i, "invalid utf-8");
        if (st && !p->on_error)
            return st;
        if (st) {
            if (reported != p->line) {
                reported = p->line;
                report_err(p);
                if (!grow((void **)&p->bad_lines, p->n_bad, sizeof *p->bad_lines))
                    return nomem(p);
                p->bad_lines[p->n_bad++] = p->line;
            }
            k = 1;
        }
        i += k;
    }
    return CHAFF_OK;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static const char *skip_ws(const char *s, const char *e)
{
    while (s < e && is_ws(*s))
        s++;
    return s;
}

static const char *rtrim(const char *s, const char *e)
{
    while (e > s && is_ws(e[-1]))
        e--;
    return e;
}

/* End of the token starting at s (up to white space). */
static const char *tok_end(const char *s, const char *e)
{
    while (s < e && !is_ws(*s))
        s++;
    return s;
}

static bool word_is(const char *s, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(e - s) == n && memcmp(s, w, n) == 0;
}

/* Decimal in [lo, hi] spanning exactly s..e. */
static chaff_status parse_number(struct parse *p, const char *s, const char *e, unsigned lo,
                                 unsigned hi, uint16_t *out)
{
    char t[64];
    unsigned long v = 0;
    const char *q = s;
    while (q < e && *q >= '0' && *q <= '9' && v <= hi)
        v = v * 10 + (unsigned long)(*q++ - '0');
    if (q == s || q != e || v < lo || v > hi) {
        tok(t, s, (size_t)(e - s));
        return perr(p, s, "bad number '%s' (expected %u to %u)", t, lo, hi);
    }
    *out = (uint16_t)v;
    return CHAFF_OK;
}

/* ---- tables: categories, sites, files ------------------------------------ */

static chaff_status intern_category(struct parse *p, const char *s, size_t n, uint16_t *out)
{
    struct chaff_rules *r = p->r;
    for (uint32_t i = 0; i < r->n_categories; i++)
        if (strlen(r->categories[i]) == n && memcmp(r->categories[i], s, n) == 0) {
            *out = (uint16_t)i;
            return CHAFF_OK;
        }
    if (r->n_categories >= RULE_MAX_CATEGORIES)
        return perr(p, s, "too many categories (limit %u)", RULE_MAX_CATEGORIES);
    if (!grow((void **)&r->categories, r->n_categories, sizeof *r->categories))
        return nomem(p);
    uint32_t i = r->n_categories++;
    r->categories[i] = chaff_xstrndup(s, n);
    if (!r->categories[i])
        return nomem(p);
    *out = (uint16_t)i;
    return CHAFF_OK;
}

/* Appends an empty site set; *out is its index. */
static chaff_status new_site(struct chaff_rules *r, uint32_t *out)
{
    if (!grow((void **)&r->sites, r->n_sites, sizeof *r->sites))
        return CHAFF_E_NOMEM;
    *out = r->n_sites;
    memset(&r->sites[r->n_sites++], 0, sizeof *r->sites);
    return CHAFF_OK;
}

/* Is s..e a host scope: labels of letters, digits, '-', '_' or non-ASCII,
 * optionally ending in ".*"? */
static bool valid_scope(const char *s, const char *e)
{
    if (e - s >= 2 && e[-1] == '*' && e[-2] == '.')
        e -= 2;
    if (s == e || *s == '.' || e[-1] == '.')
        return false;
    for (const char *q = s; q < e; q++) {
        unsigned char c = (unsigned char)*q;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c >= 0x80 || (c == '.' && q[1] != '.');
        if (!ok)
            return false;
    }
    return true;
}

static chaff_status directive_site(struct parse *p, const char *s, const char *e)
{
    char t[64];
    if (s == e)
        return perr(p, s, "missing argument to @site");
    if (word_is(s, tok_end(s, e), "*")) {
        const char *more = skip_ws(s + 1, e);
        if (more < e) {
            tok(t, more, (size_t)(tok_end(more, e) - more));
            return perr(p, more, "unexpected '%s' after '@site *'", t);
        }
        p->site = 0;
        return CHAFF_OK;
    }
    /* validate everything before allocating: the set is built in one go */
    uint32_t n = 0;
    for (const char *q = s; q < e; q = skip_ws(q, e)) {
        const char *te = tok_end(q, e);
        const char *h = *q == '~' ? q + 1 : q;
        if (!valid_scope(h, te)) {
            tok(t, q, (size_t)(te - q));
            return perr(p, q, "bad site scope '%s'", t);
        }
        n++;
        q = te;
    }
    struct chaff_rules *r = p->r;
    if (r->n_sites >= RULE_MAX_SITES)
        return perr(p, s, "too many @site scopes (limit %u)", RULE_MAX_SITES);
    uint32_t id;
    if (new_site(r, &id))
        return nomem(p);
    struct site_set *ss = &r->sites[id];
    ss->names = chaff_xcalloc(n, sizeof *ss->names);
    if (!ss->names)
        return nomem(p);
    for (const char *q = s; q < e; q = skip_ws(q, e)) {
        const char *te = tok_end(q, e);
        char *name = chaff_xstrndup(q, (size_t)(te - q));
        if (!name)
            return nomem(p);
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + 32);
        ss->names[ss->n++] = name;
        q = te;
    }
    p->site = id;
    return CHAFF_OK;
}

/* ---- directives ---------------------------------------------------------- */

static void reset_section(struct parse *p)
{
    p->site = 0;
    p->where = RW_ANY;
    p->where_n = RULE_DEFAULT_WHERE_N;
    p->maxlen = RULE_DEFAULT_MAXLEN;
    p->strong = 1;
}

static chaff_status directive(struct parse *p, const char *s, const char *e)
{
    char t[64];
    const char *ne = tok_end(s, e);
    const char *a = skip_ws(ne, e); /* arguments */
    const char *ae = tok_end(a, e); /* end of the first argument */

    if (word_is(s, ne, "@category")) {
        if (a == e)
            return perr(p, a, "missing argument to @category");
        for (const char *q = a; q < ae; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-')) {
                tok(t, a, (size_t)(ae - a));
                return perr(p, a, "bad category name '%s' (use a-z, 0-9 and '-')", t);
            }
        if (skip_ws(ae, e) < e) {
            const char *x = skip_ws(ae, e);
            tok(t, x, (size_t)(tok_end(x, e) - x));
            return perr(p, x, "unexpected '%s' after the category name", t);
        }
        chaff_status st = intern_category(p, a, (size_t)(ae - a), &p->category);
        if (st)
            return st;
        p->have_category = true;
        reset_section(p);
        return CHAFF_OK;
    }
    if (word_is(s, ne, "@lang")) {
        if (a == e)
            return perr(p, a, "missing argument to @lang");
        uint32_t m = 0;
        for (const char *q = a;;) {
            const char *ce = q;
            while (ce < e && *ce != ',' && !is_ws(*ce))
                ce++;
            if (ce == q)
                return perr(p, q, "missing language code");
            uint32_t one = lang_from_code(q, (size_t)(ce - q));
            if (!one) {
                tok(t, q, (size_t)(ce - q));
                return perr(p, q, "unknown language code '%s'", t);
            }
            m |= one;
            q = skip_ws(ce, e);
            if (q == e)
                break;
            if (*q != ',') {
                tok(t, q, (size_t)(tok_end(q, e) - q));
                return perr(p, q, "expected ',' before '%s'", t);
            }
            q = skip_ws(q + 1, e);
        }
        p->langs = m;
        return CHAFF_OK;
    }
    if (word_is(s, ne, "@site"))
        return directive_site(p, a, e);
    if (word_is(s, ne, "@where")) {
        if (a == e)
            return perr(p, a, "missing argument to @where");
        uint8_t w;
        if (word_is(a, ae, "head"))
            w = RW_HEAD;
        else if (word_is(a, ae, "tail"))
            w = RW_TAIL;
        else if (word_is(a, ae, "any"))
            w = RW_ANY;
        else {
            tok(t, a, (size_t)(ae - a));
            return perr(p, a, "bad @where '%s' (expected head, tail or any)", t);
        }
        uint16_t n = RULE_DEFAULT_WHERE_N;
        const char *x = skip_ws(ae, e);
        if (x < e && w != RW_ANY) {
            const char *xe = tok_end(x, e);
            chaff_status st = parse_number(p, x, xe, 1, RULE_MAX_NUMBER, &n);
            if (st)
                return st;
            x = skip_ws(xe, e);
        }
        if (x < e) {
            tok(t, x, (size_t)(tok_end(x, e) - x));
            return perr(p, x, "unexpected '%s' after @where", t);
        }
        p->where = w;
        p->where_n = n;
        return CHAFF_OK;
    }
    if (word_is(s, ne, "@maxlen")) {
        if (a == e)
            return perr(p, a, "missing argument to @maxlen");
        if (skip_ws(ae, e) < e) {
            const char *x = skip_ws(ae, e);
            tok(t, x, (size_t)(tok_end(x, e) - x));
            return perr(p, x, "unexpected '%s' after @maxlen", t);
        }
        return parse_number(p, a, ae, 0, RULE_MAX_NUMBER, &p->maxlen);
    }
    if (word_is(s, ne, "@strength")) {
        if (a == e)
            return perr(p, a, "missing argument to @strength");
        if (word_is(a, e, "strong"))
            p->strong = 1;
        else if (word_is(a, e, "weak"))
            p->strong = 0;
        else {
            tok(t, a, (size_t)(e - a));
            return perr(p, a, "bad @strength '%s' (expected strong or weak)", t);
        }
        return CHAFF_OK;
    }
    tok(t, s, (size_t)(ne - s));
    return perr(p, s, "unknown directive '%s'", t);
}

/* ---- rules --------------------------------------------------------------- */

/* Appends a zeroed rule carrying the current guards; *out is its id. */
static chaff_status new_rule(struct parse *p, const char *at, uint32_t *out)
{
    struct chaff_rules *r = p->r;
    if (r->n >= RULE_MAX_RULES)
        return perr(p, at, "too many rules (limit %u)", RULE_MAX_RULES);
    if (!grow((void **)&r->v, r->n, sizeof *r->v))
        return nomem(p);
    uint32_t id = r->n++;
    struct rule *ru = &r->v[id];
    memset(ru, 0, sizeof *ru);
    ru->id = id;
    ru->file = p->file;
    ru->line = p->line;
    ru->category = p->category;
    ru->where = p->where;
    ru->strong = p->strong;
    ru->where_n = p->where_n;
    ru->maxlen = p->maxlen;
    ru->langs = p->langs;
    ru->site = p->site;
    ru->pair = id;
    *out = id;
    return CHAFF_OK;
}

/* Every non-ASCII character of a regex must already be in key form,
 * since lines are matched by their keys. */
static chaff_status check_regex(struct parse *p, const char *s, const char *e)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0, n = (size_t)(e - s); i < n;) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_len(u + i, n - i);
        if (NEVER(k == 0))
            return perr(p, s + i, "invalid utf-8");
        buf_reset(&p->key);
        if (norm_key(s + i, k, &p->key))
            return p->key.err == CHAFF_E_NOMEM ? nomem(p) : perr(p, s + i, "cannot normalize");
        if (p->key.len != k || memcmp(p->key.p, s + i, k) != 0) {
            char ch[8];
            memcpy(ch, s + i, k);
            ch[k] = '\0';
            if (p->key.len == 0)
                return perr(p, s + i, "regex character '%s' is not in key form (write ' ')", ch);
            char want[64];
            tok(want, p->key.p, p->key.len);
            return perr(p, s + i, "regex character '%s' is not in key form (write '%s')", ch, want);
        }
        i += k;
    }
    return CHAFF_OK;
}

/* MATCH at s..e (already trimmed, non-empty) into rule id. */
static chaff_status parse_match(struct parse *p, const char *s, const char *e, uint32_t id)
{
    char sign = *s;
    if (sign != '=' && sign != '+' && sign != '~') {
        char t[64];
        tok(t, s, (size_t)(tok_end(s, e) - s));
        return perr(p, s, "expected '=', '+' or '~' before '%s'", t);
    }
    const char *t0 = skip_ws(s + 1, e);
    if (t0 == e)
        return perr(p, s, "empty pattern after '%c'", sign);
    struct rule *ru = &p->r->v[id];
    ru->col = column_of(p->ls, t0);
    if (sign == '~') {
        chaff_status st = check_regex(p, t0, e);
        if (st)
            return st;
        ru->match = RM_REGEX;
        ru->pat = chaff_xstrndup(t0, (size_t)(e - t0));
        return ru->pat ? CHAFF_OK : nomem(p);
    }
    ru->match = sign == '=' ? RM_EXACT : RM_PHRASE;
    /* `\!` is a literal '!' (the only escape; other backslashes are text) */
    buf_reset(&p->tmp);
    for (const char *q = t0; q < e; q++) {
        if (q[0] == '\\' && q + 1 < e && q[1] == '!')
            q++;
        buf_addc(&p->tmp, *q);
    }
    buf_reset(&p->key);
    if (p->tmp.err || norm_key(p->tmp.p, p->tmp.len, &p->key))
        return (p->tmp.err ? p->tmp.err : p->key.err) == CHAFF_E_NOMEM
                   ? nomem(p)
                   : perr(p, t0, "pattern too long after normalization");
    if (p->key.len == 0)
        return perr(p, t0, "pattern is empty after normalization");
    ru->pat = chaff_xstrndup(p->key.p, p->key.len);
    return ru->pat ? CHAFF_OK : nomem(p);
}

/* keep in sync with enum rule_action and rules/README.md (statements) */
static const struct {
    const char *word;
    uint8_t action;
} keywords[] = {
    {"keep", RA_KEEP}, {"next", RA_NEXT},     {"para", RA_PARA},
    {"rest", RA_REST}, {"before", RA_BEFORE}, {"block", RA_BLOCK},
};

static chaff_status statement(struct parse *p, const char *s, const char *e)
{
    char t[64];
    uint8_t action = RA_DROP;
    uint16_t n = 0;
    const char *m = s; /* the MATCH */
    const char *kw = NULL;
    if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
        const char *we = tok_end(s, e);
        size_t k = 0;
        while (k < sizeof keywords / sizeof keywords[0] && !word_is(s, we, keywords[k].word))
            k++;
        if (k == sizeof keywords / sizeof keywords[0]) {
            tok(t, s, (size_t)(we - s));
            return perr(p, s, "unknown keyword '%s'", t);
        }
        kw = keywords[k].word;
        action = keywords[k].action;
        m = skip_ws(we, e);
        if (action == RA_NEXT) {
            if (m == e)
                return perr(p, m, "missing number after 'next'");
            const char *ne = tok_end(m, e);
            chaff_status st = parse_number(p, m, ne, 1, RULE_MAX_NUMBER, &n);
            if (st)
                return st;
            m = skip_ws(ne, e);
        }
        if (m == e)
            return perr(p, m, "missing pattern after '%s'", kw);
    }
    if (*m != '=' && *m != '+' && *m != '~') {
        tok(t, m, (size_t)(tok_end(m, e) - m));
        return perr(p, m, "expected '=', '+' or '~' before '%s'", t);
    }
    if (!p->have_category)
        return perr(p, s, "rule before any @category");

    const char *me = e, *b = NULL, *be = e;
    if (action == RA_BLOCK) {
        const char *q = m;
        while (q + 4 <= e && memcmp(q, " .. ", 4) != 0)
            q++;
        if (q + 4 > e)
            return perr(p, s, "'block' needs ' .. ' between its start and end");
        me = rtrim(m, q);
        b = skip_ws(q + 4, e);
        if (me == m)
            return perr(p, m, "missing pattern before ' .. '");
        if (b == e)
            return perr(p, q + 1, "missing pattern after ' .. '");
    }

    uint32_t id;
    chaff_status st = new_rule(p, s, &id);
    if (st)
        return st;
    p->r->v[id].action = action;
    p->r->v[id].n = action == RA_BLOCK ? RULE_DEFAULT_SPAN : n;
    if ((st = parse_match(p, m, me, id)) != CHAFF_OK)
        return st;
    if (b) {
        uint32_t end;
        if ((st = new_rule(p, b, &end)) != CHAFF_OK)
            return st;
        struct rule *re = &p->r->v[end];
        re->action = RA_BLOCK_END;
        re->n = RULE_DEFAULT_SPAN;
        re->pair = id;
        p->r->v[id].pair = end;
        if ((st = parse_match(p, b, be, end)) != CHAFF_OK)
            return st;
    }
    p->r->n_statements++;
    return CHAFF_OK;
}

/* ---- comments ------------------------------------------------------------ */

static chaff_status comment(struct parse *p, const char *s, const char *e)
{
    const char *k = skip_ws(s + 1, e);
    const char *ke = k;
    while (ke < e && ((*ke >= 'a' && *ke <= 'z') || *ke == '-'))
        ke++;
    if (ke == k || ke == e || *ke != ':')
        return CHAFF_OK;
    const char *v = skip_ws(ke + 1, e);
    bool drop = word_is(k, ke, "test-drop");
    if (drop || word_is(k, ke, "test-keep")) {
        if (v == e)
            return perr(p, ke + 1, "empty example");
        struct chaff_rules *r = p->r;
        if (r->n_examples >= RULE_MAX_EXAMPLES)
            return perr(p, k, "too many examples (limit %u)", RULE_MAX_EXAMPLES);
        if (!grow((void **)&r->examples, r->n_examples, sizeof *r->examples))
            return nomem(p);
        struct rule_example *ex = &r->examples[r->n_examples++];
        memset(ex, 0, sizeof *ex);
        ex->file = p->file;
        ex->line = p->line;
        ex->col = column_of(p->ls, v);
        ex->expect_drop = drop;
        ex->langs = p->langs;
        ex->site = p->site;
        ex->text = chaff_xstrndup(v, (size_t)(e - v));
        return ex->text ? CHAFF_OK : nomem(p);
    }
    for (int h = 0; h < 4; h++) {
        if (!word_is(k, ke, header_keys[h]))
            continue;
        if (p->seen_statement)
            return perr(p, k, "header '%s' after the first statement", header_keys[h]);
        if (p->hdr_seen[h])
            return perr(p, k, "duplicate header key '%s'", header_keys[h]);
        p->hdr_seen[h] = true;
        struct rule_file *f = &p->r->files[p->file];
        char **slot = h == 0   ? &f->title
                      : h == 1 ? &f->version
                      : h == 2 ? &f->license
                               : &f->description;
        *slot = chaff_xstrndup(v, (size_t)(e - v));
        return *slot ? CHAFF_OK : nomem(p);
    }
    return CHAFF_OK;
}

/* ---- one file ------------------------------------------------------------ */

/* Where a trailing comment starts in s..e (white space, '!', white space
 * or end), or e when there is none.  `\!` never starts one because it is
 * not preceded by white space. */
static const char *trailing_comment(const char *s, const char *e)
{
    for (const char *q = s + 1; q < e; q++)
        if (*q == '!' && is_ws(q[-1]) && (q + 1 == e || is_ws(q[1])))
            return q;
    return e;
}

static chaff_status parse_lines(struct parse *p, const char *text, size_t len)
{
    const char *end = text + len;
    const char *ls = text;
    uint32_t next_bad = 0;
    /* a byte-order mark is not part of the first line */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        ls += 3;
    for (p->line = 1; ls < end; p->line++) {
        const char *le = memchr(ls, '\n', (size_t)(end - ls));
        if (!le)
            le = end;
        p->ls = ls;
        const char *next = le < end ? le + 1 : end;
        if (next_bad < p->n_bad && p->bad_lines[next_bad] == p->line) {
            next_bad++; /* reported by check_text */
            ls = next;
            continue;
        }
        /* what a failed statement leaves behind is taken back, so the set
         * stays whole when parsing goes on after an error */
        uint32_t n_before = p->r->n;
        chaff_status st = CHAFF_OK;
        if ((size_t)(le - ls) > RULE_MAX_LINE) {
            st = perr(p, ls, "statement longer than %d bytes", RULE_MAX_LINE);
        } else {
            const char *s = skip_ws(ls, le);
            const char *e = rtrim(s, le);
            if (s == e) {
                /* blank */
            } else if (*s == '!') {
                st = comment(p, s, e);
            } else {
                e = rtrim(s, trailing_comment(s, e));
                p->seen_statement = true;
                st = *s == '@' ? directive(p, s, e) : statement(p, s, e);
            }
        }
        if (st == CHAFF_E_RULES && p->on_error) {
            for (uint32_t i = n_before; i < p->r->n; i++)
                chaff_xfree(p->r->v[i].pat);
            p->r->n = n_before;
            report_err(p);
        } else if (st) {
            return st;
        }
        ls = next;
    }
    return CHAFF_OK;
}

chaff_status rules_parse_all(struct chaff_rules *r, const char *path, const char *text, size_t len,
                             uint32_t default_langs, chaff_error *err, chaff_test_fail_fn on_error,
                             void *ud, unsigned *n_errors)
{
    struct parse p;
    chaff_error scratch;
    memset(&p, 0, sizeof p);
    p.r = r;
    p.err = on_error ? &scratch : err;
    p.path = path;
    p.langs = default_langs ? default_langs : LANG_ALL;
    p.on_error = on_error;
    p.error_ud = ud;
    reset_section(&p);

    chaff_status st = CHAFF_OK;
    if (r->n_files >= RULE_MAX_FILES)
        st = ferr(p.err, path, CHAFF_E_RULES, "too many rule files (limit %d)", RULE_MAX_FILES);
    else if (len > RULE_MAX_FILE_BYTES)
        st = ferr(p.err, path, CHAFF_E_RULES, "file larger than 16 MiB");
    if (st) {
        if (on_error) {
            report_err(&p);
            st = CHAFF_E_RULES;
        }
        goto out;
    }
    if (r->n_sites == 0) {
        uint32_t generic;
        if (new_site(r, &generic))
            return nomem(&p);
    }
    if (!grow((void **)&r->files, r->n_files, sizeof *r->files))
        return nomem(&p);
    p.file = r->n_files++;
    memset(&r->files[p.file], 0, sizeof r->files[p.file]);
    r->files[p.file].path = chaff_xstrdup(path);
    if (!r->files[p.file].path)
        return nomem(&p);
    /* the file is its own input unless the loader says otherwise */
    r->files[p.file].rel = (uint32_t)strlen(path);
    if (r->n_roots == 0)
        r->n_roots = 1;

    st = check_text(&p, text, len);
    if (st == CHAFF_OK) {
        buf_init(&p.tmp, RULE_MAX_LINE + 1);
        buf_init(&p.key, (size_t)RULE_MAX_LINE * 18); /* NFKC can expand 18-fold */
        st = parse_lines(&p, text, len);
        buf_free(&p.tmp);
        buf_free(&p.key);
    }
    if (st == CHAFF_OK && p.n_errors)
        st = CHAFF_E_RULES;
out:
    chaff_xfree(p.bad_lines);
    if (st == CHAFF_E_NOMEM && on_error && err)
        *err = scratch;
    if (n_errors)
        *n_errors += p.n_errors;
    return st;
}

chaff_status rules_parse_text(struct chaff_rules *r, const char *path, const char *text, size_t len,
                              uint32_t default_langs, chaff_error *err)
{
    return rules_parse_all(r, path, text, len, default_langs, err, NULL, NULL, NULL);
}

/* ---- sites --------------------------------------------------------------- */

/* Does one scope name (without '~') admit host? */
static bool scope_match(const char *name, const char *host, size_t hl)
{
    size_t nl = strlen(name);
    if (nl >= 2 && name[nl - 1] == '*' && name[nl - 2] == '.') {
        /* "example.*": the label sequence "example." at a label start of
         * host, followed by a non-empty suffix */
        size_t stem = nl - 1; /* "example." */
        for (size_t i = 0; i + stem < hl; i++) {
            if ((i == 0 || host[i - 1] == '.') && memcmp(host + i, name, stem) == 0)
                return true;
            while (i < hl && host[i] != '.')
                i++;
        }
        return false;
    }
    if (hl == nl)
        return memcmp(host, name, nl) == 0;
    return hl > nl && host[hl - nl - 1] == '.' && memcmp(host + hl - nl, name, nl) == 0;
}

bool rules_site_match(const struct chaff_rules *r, uint32_t site, const char *host)
{
    if (site == 0)
        return true;
    if (!r || !host || site >= r->n_sites)
        return false;
    size_t hl = strlen(host);
    if (hl > 0 && host[hl - 1] == '.')
        hl--; /* "example.com." is example.com */
    const struct site_set *ss = &r->sites[site];
    bool any_include = false, included = false;
    for (uint32_t i = 0; i < ss->n; i++) {
        const char *name = ss->names[i];
        if (name[0] == '~') {
            if (scope_match(name + 1, host, hl))
                return false; /* exclusion wins */
        } else {
            any_include = true;
            included = included || scope_match(name, host, hl);
        }
    }
    /* only exclusions: every other host */
    return any_include ? included : true;
}

/* ---- loading ------------------------------------------------------------- */

struct path_list {
    char **v;
    uint32_t n;
};

static void path_list_free(struct path_list *pl)
{
    for (uint32_t i = 0; i < pl->n; i++)
        chaff_xfree(pl->v[i]);
    chaff_xfree(pl->v);
}

static chaff_status path_push(struct path_list *pl, char *path, chaff_error *err)
{
    if (pl->n >= RULE_MAX_FILES) {
        chaff_status st =
            ferr(err, path, CHAFF_E_RULES, "too many rule files (limit %d)", RULE_MAX_FILES);
        chaff_xfree(path);
        return st;
    }
    if (!grow((void **)&pl->v, pl->n, sizeof *pl->v)) {
        chaff_xfree(path);
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    }
    pl->v[pl->n++] = path;
    return CHAFF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static chaff_status io_err(chaff_error *err, const char *path, const char *what, int e)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s", strerror(e));
    if (msg[0] >= 'A' && msg[0] <= 'Z')
        msg[0] = (char)(msg[0] + 32);
    return ferr(err, path, CHAFF_E_IO, "cannot %s: %s", what, msg);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

/* Adds path (a file) or the *.rules files under it (a folder, walked in
 * name order, dot entries skipped) to pl. */
static chaff_status collect(const char *path, int depth, bool top, struct path_list *pl,
                            chaff_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return io_err(err, path, "open", errno);
    if (!S_ISDIR(sb.st_mode)) {
        if (!top && (!S_ISREG(sb.st_mode) || !ends_with(path, ".rules")))
            return CHAFF_OK;
        char *copy = chaff_xstrdup(path);
        if (!copy)
            return ferr(err, path, CHAFF_E_NOMEM, "out of memory");
        return path_push(pl, copy, err);
    }
    if (depth >= RULE_MAX_DEPTH)
        return ferr(err, path, CHAFF_E_RULES, "folders nested deeper than %d", RULE_MAX_DEPTH);
    DIR *d = opendir(path);
    if (!d)
        return io_err(err, path, "open", errno);
    struct path_list names = {NULL, 0};
    chaff_status st = CHAFF_OK;
    struct dirent *de;
    while (st == CHAFF_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        struct buf b;
        buf_init(&b, 0);
        buf_adds(&b, path);
        if (b.len > 0 && b.p[b.len - 1] != '/')
            buf_addc(&b, '/');
        buf_adds(&b, de->d_name);
        if (b.err) {
            buf_free(&b);
            st = ferr(err, path, CHAFF_E_NOMEM, "out of memory");
            break;
        }
        if (names.n >= RULE_MAX_FILES * 4u) {
            buf_free(&b);
            st = ferr(err, path, CHAFF_E_RULES, "too many entries in folder");
            break;
        }
        st = path_push(&names, b.p, err);
    }
    closedir(d);
    if (st == CHAFF_OK && names.n > 0)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (uint32_t i = 0; st == CHAFF_OK && i < names.n; i++)
        st = collect(names.v[i], depth + 1, false, pl, err);
    path_list_free(&names);
    return st;
}

/* The language of a file's parent folder ("rules/en/x.rules" -> en), or
 * LANG_ALL when the folder is not a language code. */
static uint32_t folder_langs(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return LANG_ALL;
    const char *b = slash;
    while (b > path && b[-1] != '/')
        b--;
    if (b == slash)
        return LANG_ALL;
    for (const char *q = b; q < slash; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
            return LANG_ALL;
    uint32_t m = lang_from_code(b, (size_t)(slash - b));
    return m ? m : LANG_ALL;
}

static chaff_status read_file(const char *path, struct buf *b, chaff_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return io_err(err, path, "open", errno);
    chaff_status st = CHAFF_OK;
    for (;;) {
        if (buf_reserve(b, 65536)) {
            st = b->err == CHAFF_E_TOOBIG
                     ? ferr(err, path, CHAFF_E_RULES, "file larger than 16 MiB")
                     : ferr(err, path, CHAFF_E_NOMEM, "out of memory");
            break;
        }
        ssize_t got = read(fd, b->p + b->len, 65536);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = io_err(err, path, "read", errno);
            break;
        }
        if (got == 0)
            break;
        b->len += (size_t)got;
    }
    close(fd);
    return st;
}

/* ---- sources ------------------------------------------------------------ */

/* The rule files under a list of inputs, read, and the digest that names
 * what a database built from them must match. */
struct sources {
    const char *const *inputs;
    uint32_t n_inputs;
    struct path_list files; /* paths as opened */
    uint32_t *root;         /* per file: its input */
    uint32_t *rel;          /* per file: bytes of path before its part below the input */
    struct buf *text;       /* per file: its bytes (read when needed) */
    bool have_text;
    uint8_t digest[B2B_OUT];
};

static void sources_free(struct sources *s)
{
    for (uint32_t i = 0; s->text && i < s->files.n; i++)
        buf_free(&s->text[i]);
    chaff_xfree(s->text);
    chaff_xfree(s->root);
    chaff_xfree(s->rel);
    path_list_free(&s->files);
    memset(s, 0, sizeof *s);
}

/* The start of a digest over rule sources: the format and versions a
 * database depends on. */
static void digest_start(struct b2b *h, const char *what, uint32_t n_inputs)
{
    b2b_init(h, B2B_OUT, NULL, 0);
    b2b_update(h, what, strlen(what) + 1);
    uint32_t v32 = RDB_VERSION;
    b2b_update(h, &v32, sizeof v32);
    b2b_update(h, CHAFF_VERSION_STRING, sizeof CHAFF_VERSION_STRING);
    const char *hv = hs_version();
    b2b_update(h, hv, strlen(hv) + 1);
    uint64_t cpu = rdb_cpu_features();
    b2b_update(h, &cpu, sizeof cpu);
    b2b_update(h, &n_inputs, sizeof n_inputs);
}

/* Read every file and compute the digest of the sources from their bytes:
 * per file its input's index, its path below that input, the language of
 * its folder, its size and its bytes.  Not the inputs' own paths: a
 * database stays valid when the rules folder moves (make builds it from
 * rules/, the binary finds them under PREFIX/share/chaff/rules). */
static chaff_status sources_load_text(struct sources *s, chaff_error *err)
{
    struct b2b h;
    digest_start(&h, "chaff rule sources", s->n_inputs);
    for (uint32_t i = 0; i < s->files.n; i++) {
        const char *path = s->files.v[i];
        buf_free(&s->text[i]);
        buf_init(&s->text[i], RULE_MAX_FILE_BYTES + 65536);
        chaff_status st = read_file(path, &s->text[i], err);
        if (st)
            return st;
        const char *below = path + s->rel[i];
        uint32_t langs = folder_langs(path);
        uint64_t size = s->text[i].len;
        b2b_update(&h, &s->root[i], sizeof s->root[i]);
        b2b_update(&h, below, strlen(below) + 1);
        b2b_update(&h, &langs, sizeof langs);
        b2b_update(&h, &size, sizeof size);
        if (size)
            b2b_update(&h, s->text[i].p, (size_t)size);
    }
    b2b_final(&h, s->digest);
    s->have_text = true;
    return CHAFF_OK;
}

/*
 * Collect the files under inputs and work out their digest.  When cache
 * holds a "seen" record for the files as they are now (the same paths,
 * devices, inodes, sizes, modification and change times), the digest is
 * taken from it and no file is read; otherwise they are read
 * (sources_load_text) and the record made.
 */
static chaff_status sources_read(const char *const *inputs, size_t n, struct sources *s,
                                 const struct rcache *cache, chaff_error *err)
{
    memset(s, 0, sizeof *s);
    s->inputs = inputs;
    s->n_inputs = (uint32_t)n;
    chaff_status st = CHAFF_OK;
    uint32_t *root = NULL;
    for (size_t i = 0; st == CHAFF_OK && i < n; i++) {
        uint32_t before = s->files.n;
        st = collect(inputs[i], 0, true, &s->files, err);
        if (st)
            break;
        uint32_t *v = chaff_xrealloc(root, ((size_t)s->files.n + 1) * sizeof *v);
        if (!v) {
            st = ferr(err, "", CHAFF_E_NOMEM, "out of memory");
            break;
        }
        root = v;
        for (uint32_t k = before; k < s->files.n; k++)
            root[k] = (uint32_t)i;
    }
    s->root = root;
    if (st)
        return st;
    uint32_t nf = s->files.n;
    s->rel = chaff_xcalloc(nf ? nf : 1, sizeof *s->rel);
    s->text = chaff_xcalloc(nf ? nf : 1, sizeof *s->text);
    if (!s->rel || !s->text || (nf && !s->root))
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    /* the question a "seen" record answers: what the files are now */
    struct b2b h;
    digest_start(&h, "chaff rule files", s->n_inputs);
    bool known = cache->dirfd >= 0;
    for (uint32_t i = 0; i < nf; i++) {
        const char *path = s->files.v[i];
        const char *in = inputs[s->root[i]];
        size_t il = strlen(in);
        /* collect() joins an input folder and a name with one '/' */
        if (strcmp(path, in) == 0)
            s->rel[i] = (uint32_t)strlen(path);
        else
            s->rel[i] = (uint32_t)(il + (il > 0 && in[il - 1] != '/' ? 1 : 0));
        buf_init(&s->text[i], RULE_MAX_FILE_BYTES + 65536);
        struct stat sb;
        struct file_id id;
        if (known && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            file_id_of(&sb, &id);
            const char *below = path + s->rel[i];
            uint32_t langs = folder_langs(path);
            b2b_update(&h, &s->root[i], sizeof s->root[i]);
            b2b_update(&h, below, strlen(below) + 1);
            b2b_update(&h, &langs, sizeof langs);
            b2b_update(&h, &id, sizeof id);
        } else {
            known = false; /* a pipe, or no cache: read it */
        }
    }
    uint8_t question[B2B_OUT];
    b2b_final(&h, question);
    if (known && rcache_seen_get(cache, question, sizeof question, s->digest))
        return CHAFF_OK;
    if ((st = sources_load_text(s, err)) != CHAFF_OK)
        return st;
    if (known)
        rcache_seen_put(cache, question, sizeof question, s->digest);
    return CHAFF_OK;
}

/* Parse every source into r (empty); with on_error, every error. */
static chaff_status sources_parse(struct sources *s, struct chaff_rules *r, chaff_error *err,
                                  chaff_test_fail_fn on_error, void *ud, unsigned *n_errors)
{
    chaff_status st = CHAFF_OK;
    if (!s->have_text && (st = sources_load_text(s, err)) != CHAFF_OK)
        return st;
    for (uint32_t i = 0; i < s->files.n; i++) {
        const struct buf *t = &s->text[i];
        chaff_status fs = rules_parse_all(r, s->files.v[i], t->p ? t->p : "", t->len,
                                          folder_langs(s->files.v[i]), err, on_error, ud, n_errors);
        if (fs == CHAFF_E_RULES && on_error) {
            st = fs;
            /* a file rejected as a whole adds no entry */
            if (r->n_files <= i)
                continue;
        } else if (fs) {
            return fs;
        }
        if (r->n_files > i) {
            r->files[r->n_files - 1].root = s->root[i];
            r->files[r->n_files - 1].rel = s->rel[i];
        }
    }
    r->n_roots = s->n_inputs;
    if (st == CHAFF_OK && r->n_sites == 0 && new_site(r, &(uint32_t){0}))
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    return st;
}

/* ---- loading ---------------------------------------------------------------- */

/* What loading says on the way (chaff_rules_config.notice), at most once
 * per kind of message. */
struct say {
    const chaff_rules_config *c;
    unsigned said;
};

enum { SAID_STORE = 1 };

static void say(struct say *sy, unsigned once, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct say *sy, unsigned once, const char *fmt, ...)
{
    if (!sy->c->notice || (once && (sy->said & once)))
        return;
    sy->said |= once;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sy->c->notice(sy->c->notice_ud, msg);
}

static void warn_costly(void *ud, const chaff_error *w)
{
    struct say *sy = ud;
    say(sy, 0, "%s:%u:%u: warning: %s", w->file, w->line, w->col, w->msg);
}

/* The sources named in a notice: the input, or how many. */
static void describe(const struct sources *s, char *out, size_t n)
{
    if (s->n_inputs == 1)
        snprintf(out, n, "%s", s->inputs[0]);
    else
        snprintf(out, n, "%u files", s->files.n);
}

/* The question of a database file's "seen" record: the file as it is now
 * and the tag it ends in. */
static void db_question(const void *image, size_t len, const struct file_id *id, uint8_t q[B2B_OUT])
{
    struct b2b h;
    b2b_init(&h, B2B_OUT, NULL, 0);
    static const char tag[] = "chaff database checked";
    b2b_update(&h, tag, sizeof tag);
    b2b_update(&h, id, sizeof *id);
    b2b_update(&h, rdb_tag(image, len), B2B_OUT);
    b2b_final(&h, q);
}

/* Load a mapped database file into r: its tag is computed only when no
 * "seen" record says this very file checked out before (and the record is
 * made when it does now).  rdb_load's status. */
static chaff_status load_mapped(struct chaff_rules *r, void *image, size_t len,
                                const struct file_id *id, struct rdb_load *how,
                                const struct rcache *cache, char why[160])
{
    uint8_t q[B2B_OUT], seen[B2B_OUT];
    bool known = false;
    if (cache->dirfd >= 0 && len >= B2B_OUT) {
        db_question(image, len, id, q);
        known = rcache_seen_get(cache, q, sizeof q, seen) &&
                memcmp(seen, rdb_tag(image, len), B2B_OUT) == 0;
    }
    how->tag_seen = known ? seen : NULL;
    chaff_status st = rdb_load(r, image, len, 1, NULL, how, why);
    how->tag_seen = NULL;
    /* on success the part holds the image, still mapped */
    if (st == CHAFF_OK && !known && cache->dirfd >= 0)
        rcache_seen_put(cache, q, sizeof q, rdb_tag(image, len));
    return st;
}

/* The cache file name of a database built from sources with digest d. */
static void cache_name(const uint8_t *d, char name[64])
{
    snprintf(name, 64, "rules-%02x%02x%02x%02x%02x%02x%02x%02x.db", d[0], d[1], d[2], d[3], d[4],
             d[5], d[6], d[7]);
}

/*
 * Load one part from its sources: from the prebuilt database when it
 * matches them, else from the cache, else compile (saying so) into the
 * cache.  prebuilt may be NULL.
 */
static chaff_status load_part(struct chaff_rules *r, struct sources *src, const char *prebuilt,
                              struct rcache *cache, struct say *sy, chaff_error *err)
{
    char why[160], reason[400] = "first run";
    void *image = NULL;
    size_t len = 0;
    struct file_id id;
    struct rdb_load how = {.source = src->digest, .roots = src->inputs, .n_roots = src->n_inputs};
    if (prebuilt) {
        bool absent;
        if (rdb_map_path(prebuilt, &image, &len, &absent, &id, why) == CHAFF_OK) {
            chaff_status st = load_mapped(r, image, len, &id, &how, cache, why);
            if (st != CHAFF_E_RULES)
                return st == CHAFF_OK ? st : ferr(err, prebuilt, st, "out of memory");
        }
        if (!absent)
            snprintf(reason, sizeof reason, "%s: %s", prebuilt, why);
    }
    char name[64];
    cache_name(src->digest, name);
    how.key = cache->key;
    int lock = -1;
    if (cache->dirfd >= 0) {
        for (int attempt = 0; attempt < 2; attempt++) {
            if (rcache_map(cache, name, &image, &len, &id, why) == CHAFF_OK) {
                chaff_status st = load_mapped(r, image, len, &id, &how, cache, why);
                if (st != CHAFF_E_RULES) {
                    rcache_unlock(lock);
                    return st == CHAFF_OK ? st : ferr(err, "", st, "out of memory");
                }
                snprintf(reason, sizeof reason, "the cached database %s", why);
            } else if (why[0]) {
                snprintf(reason, sizeof reason, "the cached database: %s", why);
            }
            if (lock >= 0)
                break;
            /* compile under the lock; who waited for it loads what the
             * holder wrote */
            bool waited = false;
            lock = rcache_lock(cache, name, &waited);
            if (!waited)
                break;
        }
    }
    /* compile, from the bytes as they are now */
    struct chaff_rules *set = chaff_xcalloc(1, sizeof *set);
    if (!set) {
        rcache_unlock(lock);
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    }
    chaff_status st = src->have_text ? CHAFF_OK : sources_load_text(src, err);
    if (st == CHAFF_OK) {
        cache_name(src->digest, name);
        st = sources_parse(src, set, err, NULL, NULL, NULL);
    }
    if (st == CHAFF_OK) {
        char from[600];
        describe(src, from, sizeof from);
        if (cache->dirfd >= 0)
            say(sy, 0, "compiling %u rules from %s into %s/%s (%s)", set->n_statements, from,
                cache->path, name, reason);
        else if (cache->why[0])
            say(sy, 0, "compiling %u rules from %s (not cached: the cache folder %s: %s)",
                set->n_statements, from, cache->path[0] ? cache->path : "", cache->why);
        /* else the cache was turned off (CHAFF_CACHE_DIR=): compiling at
         * every run is what was asked for, and golden tests rely on it
         * saying nothing */
        struct rules_build_opts o = {
            src->digest, cache->dirfd >= 0 ? cache->key : NULL, NULL, NULL, NULL, NULL};
        void *heap = NULL;
        st = rules_build(set, &o, &image, &len, &heap, err);
        if (st == CHAFF_OK && cache->dirfd >= 0 &&
            rcache_store(cache, name, image, len, why) != CHAFF_OK)
            say(sy, SAID_STORE, "cannot write the rules cache in %s: %s; compiling every run",
                cache->path, why);
        if (st == CHAFF_OK) {
            how.key = cache->dirfd >= 0 ? cache->key : NULL;
            how.source = src->digest;
            how.roots = NULL; /* the paths are as parsed */
            st = rdb_load(r, image, len, 0, heap, &how, why);
            if (st == CHAFF_E_RULES)
                st = ferr(err, "", CHAFF_E_MATCHER, "rules database: %s", why);
        }
    }
    chaff_rules_free(set);
    rcache_unlock(lock);
    return st;
}

void chaff_rules_config_init(chaff_rules_config *c)
{
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
}

/* --check-rules: parse every source and plan every regex, reporting every
 * error and every costly pattern; CHAFF_E_RULES when there was an error. */
static chaff_status check_all(struct sources *src, const chaff_rules_config *c, struct say *sy,
                              chaff_error *err)
{
    struct chaff_rules *set = chaff_xcalloc(1, sizeof *set);
    if (!set)
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    unsigned n_errors = 0;
    chaff_status st = sources_parse(src, set, err, c->on_error, c->error_ud, &n_errors);
    if (st == CHAFF_OK || st == CHAFF_E_RULES) {
        struct rules_build_opts o = {NULL, NULL, c->on_error, c->error_ud, warn_costly, sy};
        chaff_status bs = rules_plan(set, &o, err);
        if (bs == CHAFF_E_NOMEM)
            st = bs;
        else if (bs)
            st = CHAFF_E_RULES;
    }
    chaff_rules_free(set);
    if (st == CHAFF_E_RULES && err) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "errors in the rules (each reported)");
    }
    return st;
}

chaff_status chaff_rules_open(chaff_rules **out, const chaff_rules_config *c, chaff_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!out || !c || c->size < sizeof *c || (c->n_paths && !c->paths))
        return CHAFF_E_INVAL;
    *out = NULL;
    bool check = (c->flags & CHAFF_RULES_CHECK) != 0;
    if (check && !c->on_error)
        return CHAFF_E_INVAL;
    struct say sy = {c, 0};
    struct rcache cache;
    rcache_open(&cache, c->cache_dir);
    struct chaff_rules *r = chaff_xcalloc(1, sizeof *r);
    if (!r) {
        rcache_close(&cache);
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    }
    chaff_status st = CHAFF_OK;
    struct sources src;
    memset(&src, 0, sizeof src);
    if (c->db) {
        /* a database file named by the caller: no sources to match */
        void *image = NULL;
        size_t len;
        bool absent;
        char why[160];
        struct file_id fid;
        st = rdb_map_path(c->db, &image, &len, &absent, &fid, why);
        if (st == CHAFF_E_IO) {
            st = ferr(err, c->db, CHAFF_E_IO, "cannot open: %s", why);
        } else if (st) {
            st = ferr(err, c->db, CHAFF_E_RULES, "not used: %s", why);
        } else {
            struct rdb_load how = {0};
            st = load_mapped(r, image, len, &fid, &how, &cache, why);
            if (st == CHAFF_E_RULES)
                st = ferr(err, c->db, CHAFF_E_RULES, "not usable: %s", why);
            else if (st)
                st = ferr(err, c->db, st, "out of memory");
        }
    } else if (c->shipped) {
        const char *in[1] = {c->shipped};
        st = sources_read(in, 1, &src, &cache, err);
        if (st == CHAFF_OK && check)
            st = check_all(&src, c, &sy, err);
        if (st == CHAFF_OK) {
            char dflt[1100];
            const char *prebuilt = c->shipped_db;
            if (!prebuilt) {
                snprintf(dflt, sizeof dflt, "%s/../rules.db", c->shipped);
                prebuilt = dflt;
            }
            st = load_part(r, &src, prebuilt, &cache, &sy, err);
        }
        sources_free(&src);
    }
    if (st == CHAFF_OK && c->n_paths) {
        st = sources_read(c->paths, c->n_paths, &src, &cache, err);
        if (st == CHAFF_OK && check)
            st = check_all(&src, c, &sy, err);
        if (st == CHAFF_OK)
            st = load_part(r, &src, NULL, &cache, &sy, err);
        sources_free(&src);
    }
    rcache_close(&cache);
    if (st == CHAFF_OK && r->n_sites == 0 && new_site(r, &(uint32_t){0}))
        st = ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    if (st == CHAFF_OK && (st = rules_finish(r)) != CHAFF_OK)
        st =
            ferr(err, "", st, st == CHAFF_E_NOMEM ? "out of memory" : "cannot prepare the matcher");
    if (st) {
        chaff_rules_free(r);
        return st;
    }
    *out = r;
    return CHAFF_OK;
}

chaff_status chaff_rules_load(chaff_rules **out, const char *const *paths, size_t n_paths,
                              chaff_error *err)
{
    chaff_rules_config c;
    chaff_rules_config_init(&c);
    c.paths = paths;
    c.n_paths = n_paths;
    if (out)
        *out = NULL;
    if (n_paths > 0 && !paths)
        return CHAFF_E_INVAL;
    return chaff_rules_open(out, &c, err);
}

chaff_status chaff_rules_compile(const chaff_rules_config *c, const char *path, chaff_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!c || c->size < sizeof *c || !path || (c->n_paths && !c->paths) || c->db)
        return CHAFF_E_INVAL;
    /* one part from the shipped folder and the paths together */
    const char **in = chaff_xcalloc(c->n_paths + 1, sizeof *in);
    if (!in)
        return ferr(err, "", CHAFF_E_NOMEM, "out of memory");
    size_t n = 0;
    if (c->shipped)
        in[n++] = c->shipped;
    for (size_t i = 0; i < c->n_paths; i++)
        in[n++] = c->paths[i];
    struct sources src;
    struct say sy = {c, 0};
    struct chaff_rules *set = NULL;
    void *image = NULL, *heap = NULL;
    size_t len = 0;
    struct rcache none;
    rcache_open(&none, "");
    chaff_status st = sources_read(in, n, &src, &none, err);
    if (st == CHAFF_OK && (c->flags & CHAFF_RULES_CHECK))
        st = c->on_error ? check_all(&src, c, &sy, err) : CHAFF_E_INVAL;
    if (st == CHAFF_OK && !(set = chaff_xcalloc(1, sizeof *set))) {
        st = CHAFF_E_NOMEM;
        ferr(err, "", st, "out of memory");
    }
    if (st == CHAFF_OK)
        st = sources_parse(&src, set, err, NULL, NULL, NULL);
    if (st == CHAFF_OK) {
        struct rules_build_opts o = {src.digest, NULL, NULL, NULL, NULL, NULL};
        st = rules_build(set, &o, &image, &len, &heap, err);
    }
    if (st == CHAFF_OK) {
        char why[160];
        if ((st = rdb_save(path, image, len, why)) != CHAFF_OK)
            ferr(err, path, st, "cannot write: %s", why);
    }
    chaff_xfree(heap);
    chaff_rules_free(set);
    sources_free(&src);
    chaff_xfree(in);
    return st;
}

void rules_drop_parts(struct chaff_rules *r)
{
    if (r->scratch_proto)
        hs_free_scratch(r->scratch_proto);
    r->scratch_proto = NULL;
    for (uint32_t k = 0; k < r->n_parts; k++) {
        struct rules_part *p = &r->part[k];
        rules_free_progs(p);
        if (p->mapped)
            munmap(p->image, p->image_len);
        else
            chaff_xfree(p->heap);
    }
    chaff_xfree(r->part);
    r->part = NULL;
    r->n_parts = 0;
}

void chaff_rules_free(chaff_rules *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        bool borrowed = false;
        for (uint32_t k = 0; k < r->n_parts; k++)
            if (r->part[k].borrowed && i >= r->part[k].first && i - r->part[k].first < r->part[k].n)
                borrowed = true;
        if (!borrowed)
            chaff_xfree(r->v[i].pat);
    }
    rules_drop_parts(r);
    chaff_xfree(r->v);
    for (uint32_t i = 0; i < r->n_files; i++) {
        struct rule_file *f = &r->files[i];
        chaff_xfree(f->path);
        chaff_xfree(f->title);
        chaff_xfree(f->version);
        chaff_xfree(f->license);
        chaff_xfree(f->description);
    }
    chaff_xfree(r->files);
    for (uint32_t i = 0; i < r->n_categories; i++)
        chaff_xfree(r->categories[i]);
    chaff_xfree(r->categories);
    for (uint32_t i = 0; i < r->n_sites; i++) {
        for (uint32_t k = 0; k < r->sites[i].n; k++)
            chaff_xfree(r->sites[i].names[k]);
        chaff_xfree(r->sites[i].names);
    }
    chaff_xfree(r->sites);
    for (uint32_t i = 0; i < r->n_examples; i++)
        chaff_xfree(r->examples[i].text);
    chaff_xfree(r->examples);
    chaff_xfree(r);
}

size_t chaff_rules_count(const chaff_rules *r) { return r ? r->n_statements : 0; }

size_t chaff_rules_files(const chaff_rules *r) { return r ? r->n_files : 0; }

const char *chaff_rules_file(const chaff_rules *r, size_t i, size_t *n_rules)
{
    if (!r || i >= r->n_files)
        return NULL;
    if (n_rules) {
        size_t n = 0;
        for (uint32_t k = 0; k < r->n; k++)
            n += r->v[k].file == i && r->v[k].action != RA_BLOCK_END;
        *n_rules = n;
    }
    return r->files[i].path;
}
