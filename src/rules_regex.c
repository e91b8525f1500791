/*
 * rules_regex.c — a `~` regex read into a small tree, for three uses by
 * rules_compile.c (see rules_regex.h): expansion into exact keys, the
 * compile-cost estimate that the limits and --check-rules use, the "first
 * character can be anything" test, the prefixes that dispatch an anchored
 * regex, the cheaper superset of a costly one, and the exact program
 * (a Pike VM) that match.c runs for both.
 *
 * How.  A recursive-descent parser turns the pattern into nodes: a set of
 * characters (enumerated when it has at most SET_MAX members, else
 * "wide" with a weight), a sequence, an alternation, a repeat {min,max},
 * and the anchors ^ $ \b.  Characters are taken as Vectorscan takes them
 * with HS_FLAG_UTF8 | HS_FLAG_CASELESS and without HS_FLAG_UCP, and over
 * match keys only: a key is case folded and holds no white space but
 * single ASCII spaces, so `\s` can only be ' ', `\w` only [a-z0-9_], and
 * an enumerated character stands for its case fold.
 *
 * The cost model.  Vectorscan unrolls a bounded repeat into one copy of
 * its body per count, and a UTF-8 class costs automaton states for each
 * of its byte ranges: \p{L} has about 650 ranges, `.` or [^)] a handful.
 * So a node costs its weight (positions) times the upper bound of every
 * repeat around it (the lower bound for unbounded ones).  Measured on
 * this kind of machine, single patterns: ^\p{L}{1,5}y (3,300 positions)
 * compiles in 1.1 s, ^\p{L}{3,20}y (13,000) in 5.5 s, ^[\p{L} ]{3,30}y
 * (20,000) in 16 s, and ^((w1|…|w300) ?){2,5}$ (300 words of about 6
 * letters: 9,500) in 12 s; while ^.{0,30}y (120) takes 20 ms.  Sets that
 * are wide but simple (`.`, [^x], \S, \p{Cyrillic}) are cheap, which
 * the weights reflect.  The estimate only ranks and bounds; it is not a
 * time.
 *
 * Limits.  Nesting deeper than RX_MAX_DEPTH, and anything not modelled,
 * makes the regex "unknown": never expanded, costed as a wide class.
 */
#include "rules_regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uset.h>
#include <unicode/ustring.h>

#include "alloc.h"
#include "buf.h"
#include "utf8.h"

#define SET_MAX 64          /* members of an enumerated set */
#define RX_MAX_DEPTH 200    /* nested groups and repeats */
#define W_ANY 4             /* weight of `.`, [^…] and the negated escapes */
#define W_PROPERTY 200      /* weight of a \p{…} ICU cannot count */
#define EXPAND_MAX_LEN 4096 /* bytes of one expanded key */
#define INF UINT32_MAX

enum kind { N_SET, N_CAT, N_ALT, N_REP, N_BOL, N_EOL, N_ASSERT, N_EMPTY };

struct node {
    uint8_t kind;
    bool wide;           /* N_SET: not enumerated */
    USet *u;             /* N_SET, when building a program: its members … */
    USet *lit;           /* … and the characters and ranges written out, which
                            are closed over case when the set is complete
                            (properties and negated escapes are not: their
                            closure would take ICU milliseconds and change
                            nothing the shipped rules use); both made only
                            for a set the program tests as a set (wide) */
    uint32_t lit0, nlit; /* N_SET: ranges written out while lit is not made,
                            rx.lits[lit0 .. lit0 + nlit) */
    uint32_t weight;     /* N_SET: positions per character */
    uint32_t cp0, ncp;   /* N_SET: members in rx.cp[cp0 .. cp0+ncp) */
    uint32_t min, max;   /* N_REP */
    int32_t child, next;
    size_t at, end; /* source span */
};

struct rx {
    const char *s;
    size_t len, i;
    bool want_sets; /* build node.u for the exact program */
    bool uncased;   /* a property whose members depend on case: the
                       program cannot model caseless matching of it */
    struct node *v;
    uint32_t n, cap;
    uint32_t *cp;
    uint32_t ncp, cpcap;
    struct lit_range {
        uint32_t lo, hi;
    } * lits; /* node.lit0 */
    uint32_t nlits, litcap;
    bool nomem, unknown;
    uint32_t alternations;
    int depth;
};

static int32_t new_node(struct rx *p, uint8_t kind, size_t at)
{
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 64;
        struct node *v = chaff_xrealloc(p->v, (size_t)cap * sizeof *v);
        if (!v) {
            p->nomem = true;
            return -1;
        }
        p->v = v;
        p->cap = cap;
    }
    struct node *n = &p->v[p->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->child = n->next = -1;
    n->at = at;
    n->end = at;
    return (int32_t)p->n++;
}

/* The ICU sets of set node k, made when a program is built, with the
 * ranges written out so far.  Most sets of a pattern are a character or
 * two, which the program tests by its list of members: only a set that
 * turns out wide needs them, and making them for every set made the
 * program of a regex cost tens of microseconds. */
static void uset_of(struct rx *p, int32_t k)
{
    struct node *n = &p->v[k];
    if (!p->want_sets || n->u)
        return;
    n->u = uset_openEmpty();
    n->lit = uset_openEmpty();
    if (!n->u || !n->lit) {
        p->nomem = true;
        return;
    }
    for (uint32_t j = n->lit0; j < n->lit0 + n->nlit; j++)
        uset_addRange(n->lit, (UChar32)p->lits[j].lo, (UChar32)p->lits[j].hi);
}

/* The characters lo..hi are written out in set node k, which must be the
 * last set created (its ranges are the tail of p->lits). */
static void lit_add(struct rx *p, int32_t k, uint32_t lo, uint32_t hi)
{
    struct node *n = &p->v[k];
    if (!p->want_sets)
        return;
    if (n->lit) {
        uset_addRange(n->lit, (UChar32)lo, (UChar32)hi);
        return;
    }
    if (p->nlits == p->litcap) {
        uint32_t cap = p->litcap ? p->litcap * 2 : 64;
        struct lit_range *v = chaff_xrealloc(p->lits, (size_t)cap * sizeof *v);
        if (!v) {
            p->nomem = true;
            return;
        }
        p->lits = v;
        p->litcap = cap;
    }
    if (!n->nlit)
        n->lit0 = p->nlits;
    p->lits[p->nlits++] = (struct lit_range){lo, hi};
    n->nlit++;
}

/* Add code point c (as its case fold) to the set node k, which must be
 * the last set created (its members are the tail of p->cp). */
static void set_add(struct rx *p, int32_t k, uint32_t c)
{
    struct node *n = &p->v[k];
    lit_add(p, k, c, c);
    if (n->wide)
        return;
    c = (uint32_t)u_foldCase((UChar32)c, U_FOLD_CASE_DEFAULT);
    for (uint32_t j = 0; j < n->ncp; j++)
        if (p->cp[n->cp0 + j] == c)
            return;
    if (n->ncp == SET_MAX) {
        n->wide = true;
        return;
    }
    if (p->ncp == p->cpcap) {
        uint32_t cap = p->cpcap ? p->cpcap * 2 : 256;
        uint32_t *v = chaff_xrealloc(p->cp, (size_t)cap * sizeof *v);
        if (!v) {
            p->nomem = true;
            return;
        }
        p->cp = v;
        p->cpcap = cap;
    }
    p->cp[p->ncp++] = c;
    n->ncp++;
}

static void set_range(struct rx *p, int32_t k, uint32_t lo, uint32_t hi)
{
    lit_add(p, k, lo, hi);
    if (hi - lo >= SET_MAX) {
        p->v[k].wide = true;
        p->v[k].weight += 2; /* one range: a few UTF-8 byte paths */
        return;
    }
    for (uint32_t c = lo; c <= hi && !p->v[k].wide; c++)
        set_add(p, k, c);
}

/* The weight of a set: one position per ASCII part and per non-ASCII
 * member (each is its own byte path), unless already wide. */
static uint32_t set_weight(const struct rx *p, const struct node *n)
{
    if (n->wide)
        return n->weight ? n->weight : W_ANY;
    uint32_t w = 0;
    bool ascii = false;
    for (uint32_t j = 0; j < n->ncp; j++) {
        if (p->cp[n->cp0 + j] < 0x80)
            ascii = true;
        else
            w++;
    }
    return w + (ascii ? 1 : 0) + (w == 0 && !ascii ? 1 : 0);
}

/* Decode the UTF-8 character at p->s[p->i] and advance. */
static uint32_t next_cp(struct rx *p)
{
    const unsigned char *u = (const unsigned char *)p->s;
    uint32_t c = u[p->i++];
    if (c < 0x80)
        return c;
    unsigned k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    c &= 0x3fu >> k;
    while (k-- > 0 && p->i < p->len && (u[p->i] & 0xc0) == 0x80)
        c = (c << 6) | (u[p->i++] & 0x3f);
    return c;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The number of code point ranges of the ICU set [\p{name}] (or
 * [\P{name}]), the weight of a property class; W_PROPERTY when ICU does
 * not know the name.  With into, the set's members (complemented when
 * negated) are added to it; *bad when ICU cannot read the name. */
static uint32_t property_weight(const char *name, size_t n, USet *into, bool negated, bool *bad)
{
    UChar pat[96];
    if (n > 80) {
        *bad = true;
        return W_PROPERTY;
    }
    int32_t k = 0;
    static const char pre[] = "[\\p{";
    for (const char *q = pre; *q; q++)
        pat[k++] = (UChar)*q;
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)name[j];
        if (c >= 0x80)
            return W_PROPERTY;
        pat[k++] = c;
    }
    pat[k++] = '}';
    pat[k++] = ']';
    UErrorCode e = U_ZERO_ERROR;
    USet *set = uset_openPattern(pat, k, &e);
    if (U_FAILURE(e) || !set) {
        if (set)
            uset_close(set);
        *bad = true;
        return W_PROPERTY;
    }
    int32_t items = uset_getItemCount(set);
    if (into) {
        if (negated)
            uset_complement(set);
        uset_addAll(into, set);
    }
    uset_close(set);
    return items > 0 ? (uint32_t)items : 1;
}

enum esc { ESC_UNKNOWN, ESC_CHAR, ESC_SET, ESC_ASSERT };

/*
 * An escape after '\' at p->i.  ESC_CHAR: one character, in *cp (not
 * added); ESC_SET: a class, added to set node k; ESC_ASSERT: \b \B \A \z
 * \Z, in *assert; ESC_UNKNOWN: not modelled.
 */
static enum esc escape(struct rx *p, int32_t k, bool in_class, uint32_t *cp, char *assert)
{
    if (p->i >= p->len)
        return ESC_UNKNOWN;
    char c = p->s[p->i];
    if ((unsigned char)c >= 0x80) {
        *cp = next_cp(p);
        return ESC_CHAR;
    }
    p->i++;
    switch (c) {
    case 'd': set_range(p, k, '0', '9'); return ESC_SET;
    case 'w':
        set_range(p, k, 'a', 'z');
        set_range(p, k, 'A', 'Z');
        set_range(p, k, '0', '9');
        set_add(p, k, '_');
        return ESC_SET;
    case 's':
        /* over keys only ' ' can occur; the program gets the whole class */
        set_add(p, k, ' ');
        for (const char *w = "\t\n\v\f\r"; *w; w++)
            lit_add(p, k, (uint32_t)*w, (uint32_t)*w);
        return ESC_SET;
    case 'D':
    case 'W':
    case 'S':
    case 'N':
        p->v[k].wide = true;
        p->v[k].weight += W_ANY;
        uset_of(p, k);
        if (p->v[k].u) {
            /* the complement of \d, \w, \s (ASCII: no HS_FLAG_UCP), or of \n */
            USet *t = uset_openEmpty();
            if (!t) {
                p->nomem = true;
                return ESC_SET;
            }
            if (c == 'D')
                uset_addRange(t, '0', '9');
            else if (c == 'W') {
                uset_addRange(t, '0', '9');
                uset_addRange(t, 'a', 'z');
                uset_addRange(t, 'A', 'Z');
                uset_add(t, '_');
            } else if (c == 'S') {
                for (const char *w = " \t\n\v\f\r"; *w; w++)
                    uset_add(t, (UChar32)*w);
            } else {
                uset_add(t, '\n');
            }
            uset_complement(t);
            uset_addAll(p->v[k].u, t);
            uset_close(t);
        }
        return ESC_SET;
    case 'p':
    case 'P': {
        const char *name = p->s + p->i;
        size_t n = 1;
        if (p->i < p->len && p->s[p->i] == '{') {
            const char *close = memchr(p->s + p->i, '}', p->len - p->i);
            if (!close)
                return ESC_UNKNOWN;
            name = p->s + p->i + 1;
            n = (size_t)(close - name);
            p->i = (size_t)(close - p->s) + 1;
        } else if (p->i < p->len) {
            p->i++;
        } else {
            return ESC_UNKNOWN;
        }
        bool negated = c == 'P';
        if (n > 0 && name[0] == '^') {
            name++;
            n--;
            negated = !negated;
        }
        /* properties whose members depend on case: caseless matching of
         * them is not modelled */
        static const char *const cased[] = {"Lu",
                                            "Ll",
                                            "Lt",
                                            "LC",
                                            "L&",
                                            "Upper",
                                            "Lower",
                                            "Uppercase",
                                            "Lowercase",
                                            "Titlecase_Letter",
                                            "Uppercase_Letter",
                                            "Lowercase_Letter"};
        for (size_t j = 0; j < sizeof cased / sizeof cased[0]; j++)
            if (strlen(cased[j]) == n && memcmp(cased[j], name, n) == 0)
                p->uncased = true;
        p->v[k].wide = true;
        uset_of(p, k);
        bool bad = false;
        p->v[k].weight += property_weight(name, n, p->v[k].u, negated, &bad);
        if (bad)
            p->unknown = true;
        return ESC_SET;
    }
    case 'x': {
        uint32_t v = 0;
        if (p->i < p->len && p->s[p->i] == '{') {
            size_t j = p->i + 1;
            int digits = 0;
            while (j < p->len && hexval(p->s[j]) >= 0 && digits < 8) {
                v = v * 16 + (uint32_t)hexval(p->s[j++]);
                digits++;
            }
            if (j >= p->len || p->s[j] != '}' || digits == 0 || v > 0x10ffff)
                return ESC_UNKNOWN;
            p->i = j + 1;
        } else {
            int digits = 0;
            while (p->i < p->len && digits < 2 && hexval(p->s[p->i]) >= 0) {
                v = v * 16 + (uint32_t)hexval(p->s[p->i++]);
                digits++;
            }
        }
        *cp = v;
        return ESC_CHAR;
    }
    case 't': *cp = '\t'; return ESC_CHAR;
    case 'n': *cp = '\n'; return ESC_CHAR;
    case 'r': *cp = '\r'; return ESC_CHAR;
    case 'f': *cp = '\f'; return ESC_CHAR;
    case 'e': *cp = 0x1b; return ESC_CHAR;
    case 'a': *cp = 0x07; return ESC_CHAR;
    case 'b':
        if (in_class) {
            *cp = 0x08;
            return ESC_CHAR;
        }
        *assert = c;
        return ESC_ASSERT;
    case 'B':
    case 'A':
    case 'z':
    case 'Z':
        if (in_class)
            return ESC_UNKNOWN;
        *assert = c;
        return ESC_ASSERT;
    default: break;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return ESC_UNKNOWN; /* \h, \v, \R, \Q, \cX, back-references, octal */
    *cp = (unsigned char)c; /* an escaped punctuation mark */
    return ESC_CHAR;
}

/* The set node k is complete: when the program will test it as a set
 * (wide, or negated, which makes it wide), close its members over case
 * (the regexes are caseless) and complement a negated class. */
static void finish_set(struct rx *p, int32_t k, bool negated)
{
    if (!p->v[k].wide && !negated)
        return;
    uset_of(p, k);
    USet *u = p->v[k].u;
    if (!u)
        return;
    uset_closeOver(p->v[k].lit, USET_CASE_INSENSITIVE);
    uset_addAll(u, p->v[k].lit);
    if (negated)
        uset_complement(u);
    uset_freeze(u);
}

/* A bracketed class; p->i is just after '['. */
static int32_t parse_class(struct rx *p, size_t at)
{
    int32_t k = new_node(p, N_SET, at);
    if (k < 0)
        return -1;
    p->v[k].cp0 = p->ncp;
    bool negated = false;
    if (p->i < p->len && p->s[p->i] == '^') {
        negated = true;
        p->i++;
    }
    for (bool first = true;; first = false) {
        if (p->i >= p->len) {
            p->unknown = true; /* unterminated: Vectorscan will say so */
            break;
        }
        char c = p->s[p->i];
        if (c == ']' && !first) {
            p->i++;
            break;
        }
        if (c == '[' && p->i + 1 < p->len && p->s[p->i + 1] == ':') {
            p->unknown = true; /* a POSIX class */
            p->v[k].wide = true;
            const char *close = strstr(p->s + p->i, ":]");
            p->i = close ? (size_t)(close - p->s) + 2 : p->len;
            continue;
        }
        uint32_t lo = 0;
        char a = 0;
        if (c == '\\') {
            p->i++;
            enum esc e = escape(p, k, true, &lo, &a);
            if (e == ESC_SET)
                continue;
            if (e != ESC_CHAR) {
                p->unknown = true;
                p->v[k].wide = true;
                continue;
            }
        } else {
            lo = next_cp(p);
        }
        /* lo alone, or the start of a range lo-hi */
        if (p->i + 1 >= p->len || p->s[p->i] != '-' || p->s[p->i + 1] == ']') {
            set_add(p, k, lo);
            continue;
        }
        p->i++; /* '-' */
        uint32_t hi = 0;
        if (p->s[p->i] == '\\') {
            p->i++;
            if (escape(p, k, true, &hi, &a) != ESC_CHAR) {
                p->unknown = true;
                p->v[k].wide = true;
                continue;
            }
        } else {
            hi = next_cp(p);
        }
        if (hi < lo) {
            p->unknown = true;
            continue;
        }
        set_range(p, k, lo, hi);
    }
    struct node *n = &p->v[k];
    n->end = p->i;
    finish_set(p, k, negated);
    if (negated) {
        n->wide = true;
        n->weight += W_ANY;
    }
    if (n->wide && n->weight == 0)
        n->weight = W_ANY;
    if (!n->wide)
        n->weight = set_weight(p, n);
    return k;
}

static int32_t parse_alt(struct rx *p);

static int32_t parse_atom(struct rx *p)
{
    size_t at = p->i;
    char c = p->s[p->i];
    if (c == '(') {
        p->i++;
        if (p->i < p->len && p->s[p->i] == '?') {
            if (p->i + 1 < p->len && p->s[p->i + 1] == ':') {
                p->i += 2;
            } else {
                p->unknown = true; /* look-around, inline flags, named groups */
                p->i++;
            }
        }
        if (++p->depth > RX_MAX_DEPTH) {
            p->unknown = true;
            p->i = p->len;
            return new_node(p, N_EMPTY, at);
        }
        int32_t k = parse_alt(p);
        p->depth--;
        if (p->i < p->len && p->s[p->i] == ')')
            p->i++;
        else
            p->unknown = true;
        if (k >= 0)
            p->v[k].end = p->i;
        return k;
    }
    if (c == '^' || c == '$') {
        p->i++;
        return new_node(p, c == '^' ? N_BOL : N_EOL, at);
    }
    int32_t k = new_node(p, N_SET, at);
    if (k < 0)
        return -1;
    p->v[k].cp0 = p->ncp;
    if (c == '[') {
        p->i++;
        p->n--; /* parse_class makes its own node */
        return parse_class(p, at);
    }
    if (c == '.') {
        p->i++;
        p->v[k].wide = true;
        p->v[k].weight = W_ANY;
        uset_of(p, k);
        if (p->v[k].u) {
            uset_add(p->v[k].u, '\n');
            uset_complement(p->v[k].u); /* any character but a newline */
        }
    } else if (c == '\\') {
        p->i++;
        char a = 0;
        uint32_t one = 0;
        enum esc e = escape(p, k, false, &one, &a);
        if (e == ESC_CHAR) {
            set_add(p, k, one);
        } else if (e == ESC_UNKNOWN) {
            p->unknown = true;
            p->v[k].wide = true;
            p->v[k].weight = W_ANY;
        } else if (e == ESC_ASSERT) {
            p->v[k].kind = a == 'A' ? N_BOL : (a == 'z' || a == 'Z') ? N_EOL : N_ASSERT;
        }
    } else {
        set_add(p, k, next_cp(p));
    }
    struct node *n = &p->v[k];
    n->end = p->i;
    if (n->kind == N_SET && c != '.')
        finish_set(p, k, false);
    else if (n->u)
        uset_freeze(n->u);
    if (n->kind == N_SET && n->weight == 0)
        n->weight = set_weight(p, n);
    return k;
}

/* A quantifier at p->i, if any: sets *min and *max and advances. */
static bool quantifier(struct rx *p, uint32_t *min, uint32_t *max)
{
    char c = p->s[p->i];
    if (c == '*' || c == '+' || c == '?') {
        *min = c == '+' ? 1 : 0;
        *max = c == '?' ? 1 : INF;
        p->i++;
    } else if (c == '{') {
        size_t j = p->i + 1;
        uint64_t lo = 0, hi = 0;
        bool have_lo = false, have_hi = false, comma = false;
        while (j < p->len && p->s[j] >= '0' && p->s[j] <= '9' && lo < INF) {
            lo = lo * 10 + (uint64_t)(p->s[j++] - '0');
            have_lo = true;
        }
        if (j < p->len && p->s[j] == ',') {
            comma = true;
            j++;
            while (j < p->len && p->s[j] >= '0' && p->s[j] <= '9' && hi < INF) {
                hi = hi * 10 + (uint64_t)(p->s[j++] - '0');
                have_hi = true;
            }
        }
        if (!have_lo || j >= p->len || p->s[j] != '}' || lo >= INF || hi >= INF)
            return false; /* a literal '{' */
        *min = (uint32_t)lo;
        *max = !comma ? (uint32_t)lo : have_hi ? (uint32_t)hi : INF;
        if (*max < *min)
            p->unknown = true; /* Vectorscan rejects it */
        p->i = j + 1;
    } else {
        return false;
    }
    if (p->i < p->len && (p->s[p->i] == '?' || p->s[p->i] == '+'))
        p->i++; /* lazy or possessive: the same set of lines matches */
    return true;
}

static int32_t parse_piece(struct rx *p)
{
    size_t at = p->i;
    int32_t k = parse_atom(p);
    uint32_t min, max;
    while (k >= 0 && p->i < p->len && quantifier(p, &min, &max)) {
        int32_t r = new_node(p, N_REP, at);
        if (r < 0)
            return -1;
        p->v[r].child = k;
        p->v[r].min = min;
        p->v[r].max = max;
        p->v[r].end = p->i;
        k = r;
    }
    return k;
}

static int32_t parse_cat(struct rx *p)
{
    int32_t cat = new_node(p, N_CAT, p->i);
    if (cat < 0)
        return -1;
    int32_t last = -1;
    while (p->i < p->len && p->s[p->i] != '|' && p->s[p->i] != ')') {
        int32_t k = parse_piece(p);
        if (k < 0)
            return -1;
        if (last < 0)
            p->v[cat].child = k;
        else
            p->v[last].next = k;
        last = k;
    }
    p->v[cat].end = p->i;
    return cat;
}

static int32_t parse_alt(struct rx *p)
{
    size_t at = p->i;
    int32_t first = parse_cat(p);
    if (first < 0 || p->i >= p->len || p->s[p->i] != '|')
        return first;
    int32_t alt = new_node(p, N_ALT, at);
    if (alt < 0)
        return -1;
    p->v[alt].child = first;
    int32_t last = first;
    while (p->i < p->len && p->s[p->i] == '|') {
        p->i++;
        p->alternations++;
        int32_t k = parse_cat(p);
        if (k < 0)
            return -1;
        p->v[last].next = k;
        last = k;
    }
    p->v[alt].end = p->i;
    return alt;
}

static int32_t parse(struct rx *p, const char *pat, bool want_sets)
{
    memset(p, 0, sizeof *p);
    p->want_sets = want_sets;
    p->s = pat;
    p->len = strlen(pat);
    int32_t root = parse_alt(p);
    while (root >= 0 && p->i < p->len) {
        p->unknown = true; /* an unbalanced ')': Vectorscan will say so */
        p->i++;
        int32_t more = parse_alt(p);
        if (more < 0)
            root = -1;
    }
    return root;
}

static void release(struct rx *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (p->v[i].u)
            uset_close(p->v[i].u);
    for (uint32_t i = 0; i < p->n; i++)
        if (p->v[i].lit)
            uset_close(p->v[i].lit);
    chaff_xfree(p->v);
    chaff_xfree(p->cp);
    chaff_xfree(p->lits);
}

/* ---- cost ----------------------------------------------------------- */

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / 4 / a)
        return UINT64_MAX / 4;
    return a * b;
}

/* Does node k hold a wide set? */
static bool has_wide(const struct rx *p, int32_t k)
{
    const struct node *n = &p->v[k];
    if (n->kind == N_SET)
        return n->wide;
    for (int32_t c = n->child; c >= 0; c = p->v[c].next)
        if (has_wide(p, c))
            return true;
    return false;
}

/* Positions of node k, unrolled; the costliest repeat goes to info. */
static uint64_t cost(const struct rx *p, int32_t k, struct rx_info *info, uint64_t *worst)
{
    const struct node *n = &p->v[k];
    switch (n->kind) {
    case N_SET: return n->weight;
    case N_CAT:
    case N_ALT: {
        uint64_t sum = 0;
        for (int32_t c = n->child; c >= 0; c = p->v[c].next) {
            sum += cost(p, c, info, worst);
            if (sum > UINT64_MAX / 4)
                sum = UINT64_MAX / 4;
        }
        return sum;
    }
    case N_REP: {
        uint64_t body = cost(p, n->child, info, worst);
        uint32_t times = n->max != INF ? n->max : n->min > 1 ? n->min : 1;
        if (n->max == INF)
            info->loops++;
        if (n->max > 1 && has_wide(p, n->child))
            info->wide_repeat = true;
        uint64_t total = sat_mul(body, times);
        if (times > 1 && total > *worst) {
            *worst = total;
            info->cost_at = n->at;
            info->cost_end = n->end;
            info->cost_class = body > UINT32_MAX ? UINT32_MAX : (uint32_t)body;
            info->cost_times = times;
        }
        return total;
    }
    default: return 0;
    }
}

/* Can node k match the empty string?  *any: its first character may be
 * a wide set (recorded in info). */
static bool first_any(const struct rx *p, int32_t k, bool *any, struct rx_info *info)
{
    const struct node *n = &p->v[k];
    switch (n->kind) {
    case N_SET:
        if (n->wide && !*any) {
            *any = true;
            info->first_at = n->at;
            info->first_end = n->end;
        }
        return false;
    case N_CAT:
        for (int32_t c = n->child; c >= 0; c = p->v[c].next) {
            if (p->v[c].kind == N_BOL)
                return false; /* this branch is anchored */
            if (!first_any(p, c, any, info))
                return false;
        }
        return true;
    case N_ALT: {
        bool empty = false;
        for (int32_t c = n->child; c >= 0; c = p->v[c].next)
            empty |= first_any(p, c, any, info);
        return empty;
    }
    case N_REP: {
        bool before = *any;
        bool empty = first_any(p, n->child, any, info);
        if (*any && !before) {
            info->first_at = n->at;
            info->first_end = n->end;
        }
        return empty || n->min == 0;
    }
    case N_BOL: return false;
    default: return true;
    }
}

chaff_status rx_analyse(const char *pat, struct rx_info *info)
{
    memset(info, 0, sizeof *info);
    struct rx p;
    int32_t root = parse(&p, pat, false);
    if (p.nomem || root < 0) {
        release(&p);
        return CHAFF_E_NOMEM;
    }
    info->alternations = p.alternations;
    info->unknown = p.unknown;
    uint64_t worst = 0;
    info->cost = cost(&p, root, info, &worst);
    bool any = false;
    first_any(&p, root, &any, info);
    info->first_any = any;
    release(&p);
    return CHAFF_OK;
}

/* ---- expansion ------------------------------------------------------ */

/* A set of strings: entries (offset, length) into one byte buffer. */
struct sset {
    uint32_t *off, *len;
    uint32_t n, cap;
    struct buf bytes;
};

static void sset_init(struct sset *s)
{
    memset(s, 0, sizeof *s);
    buf_init(&s->bytes, 0);
}

static void sset_free(struct sset *s)
{
    chaff_xfree(s->off);
    chaff_xfree(s->len);
    buf_free(&s->bytes);
}

static bool sset_add(struct sset *s, const char *a, size_t an, const char *b, size_t bn)
{
    if (an + bn > EXPAND_MAX_LEN)
        return false;
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 16;
        uint32_t *o = chaff_xrealloc(s->off, (size_t)cap * sizeof *o);
        if (o)
            s->off = o;
        uint32_t *l = chaff_xrealloc(s->len, (size_t)cap * sizeof *l);
        if (l)
            s->len = l;
        if (!o || !l)
            return false;
        s->cap = cap;
    }
    size_t at = s->bytes.len;
    buf_add(&s->bytes, a, an);
    buf_add(&s->bytes, b, bn);
    if (s->bytes.err || at > UINT32_MAX)
        return false;
    s->off[s->n] = (uint32_t)at;
    s->len[s->n] = (uint32_t)(an + bn);
    s->n++;
    return true;
}

/* out = a × b (every string of a followed by every string of b). */
static bool product(const struct sset *a, const struct sset *b, uint32_t max, struct sset *out)
{
    if ((uint64_t)a->n * b->n > max)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = 0; j < b->n; j++)
            if (!sset_add(out, a->bytes.p + a->off[i], a->len[i], b->bytes.p + b->off[j],
                          b->len[j]))
                return false;
    return true;
}

static bool expand(const struct rx *p, int32_t k, uint32_t max, struct sset *out);

/* out = the strings of the sequence of nodes from k on (siblings). */
static bool expand_seq(const struct rx *p, int32_t k, uint32_t max, struct sset *out)
{
    struct sset acc;
    sset_init(&acc);
    bool ok = sset_add(&acc, "", 0, "", 0);
    for (; ok && k >= 0; k = p->v[k].next) {
        struct sset one, next;
        sset_init(&one);
        sset_init(&next);
        ok = expand(p, k, max, &one) && product(&acc, &one, max, &next);
        sset_free(&one);
        sset_free(&acc);
        acc = next;
    }
    if (ok)
        for (uint32_t i = 0; ok && i < acc.n; i++)
            ok = sset_add(out, acc.bytes.p + acc.off[i], acc.len[i], "", 0) && out->n <= max;
    sset_free(&acc);
    return ok;
}

static bool expand(const struct rx *p, int32_t k, uint32_t max, struct sset *out)
{
    const struct node *n = &p->v[k];
    switch (n->kind) {
    case N_SET: {
        if (n->wide || n->ncp > max)
            return false;
        for (uint32_t j = 0; j < n->ncp; j++) {
            char u[4];
            size_t ul = utf8_put(u, p->cp[n->cp0 + j]);
            if (!sset_add(out, u, ul, "", 0))
                return false;
        }
        return true;
    }
    case N_EMPTY: return sset_add(out, "", 0, "", 0);
    case N_CAT: return expand_seq(p, n->child, max, out);
    case N_ALT:
        for (int32_t c = n->child; c >= 0; c = p->v[c].next)
            if (!expand(p, c, max, out) || out->n > max)
                return false;
        return true;
    case N_REP: {
        if (n->max == INF || n->max > EXPAND_MAX_LEN)
            return false;
        struct sset body, acc;
        sset_init(&body);
        sset_init(&acc);
        bool ok = expand(p, n->child, max, &body) && sset_add(&acc, "", 0, "", 0);
        for (uint32_t t = 0; ok && t <= n->max; t++) {
            if (t >= n->min)
                for (uint32_t i = 0; ok && i < acc.n; i++)
                    ok =
                        sset_add(out, acc.bytes.p + acc.off[i], acc.len[i], "", 0) && out->n <= max;
            if (t == n->max)
                break;
            struct sset next;
            sset_init(&next);
            ok = ok && product(&acc, &body, max, &next);
            sset_free(&acc);
            acc = next;
        }
        sset_free(&body);
        sset_free(&acc);
        return ok;
    }
    default: return false; /* anchors and assertions inside */
    }
}

/* Is k a sequence ^ … $ (and nothing else anchors inside)?  Then *inner
 * is its first node after ^ and *last the $ node. */
static bool anchored_seq(const struct rx *p, int32_t k, int32_t *inner, int32_t *last)
{
    const struct node *n = &p->v[k];
    if (n->kind != N_CAT || n->child < 0 || p->v[n->child].kind != N_BOL)
        return false;
    int32_t c = n->child, end = -1;
    for (; c >= 0; c = p->v[c].next)
        end = c;
    if (end < 0 || p->v[end].kind != N_EOL || end == n->child)
        return false;
    *inner = p->v[n->child].next;
    *last = end;
    return true;
}

struct key_ref {
    const char *p;
    uint32_t len;
};

static int cmp_ref(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

chaff_status rx_expand(const char *pat, uint32_t max, rx_key_fn fn, void *ud, uint32_t *n_keys)
{
    *n_keys = 0;
    struct rx p;
    int32_t root = parse(&p, pat, false);
    if (p.nomem || root < 0) {
        release(&p);
        return CHAFF_E_NOMEM;
    }
    chaff_status st = CHAFF_OK;
    struct sset all;
    sset_init(&all);
    bool ok = !p.unknown;
    /* the branches: the root itself, or each alternative of a root `|` */
    int32_t first = p.v[root].kind == N_ALT ? p.v[root].child : root;
    bool single = p.v[root].kind != N_ALT;
    for (int32_t b = first; ok && b >= 0; b = single ? -1 : p.v[b].next) {
        int32_t inner, last;
        if (!anchored_seq(&p, b, &inner, &last)) {
            ok = false;
            break;
        }
        /* expand the nodes between ^ and $: cut the sequence at $ */
        struct node saved = p.v[last];
        int32_t prev = -1;
        for (int32_t c = inner; c >= 0 && c != last; c = p.v[c].next)
            prev = c;
        if (prev >= 0)
            p.v[prev].next = -1;
        ok = inner == last ? sset_add(&all, "", 0, "", 0) : expand_seq(&p, inner, max, &all);
        if (prev >= 0)
            p.v[prev].next = last;
        p.v[last] = saved;
        ok = ok && all.n <= max;
    }
    if (ok && all.n > 0) {
        struct key_ref *refs = chaff_xcalloc(all.n, sizeof *refs);
        if (!refs) {
            st = CHAFF_E_NOMEM;
        } else {
            for (uint32_t i = 0; i < all.n; i++)
                refs[i] = (struct key_ref){all.bytes.p + all.off[i], all.len[i]};
            qsort(refs, all.n, sizeof *refs, cmp_ref);
            uint32_t n = 0;
            for (uint32_t i = 0; i < all.n && st == CHAFF_OK; i++) {
                if (i > 0 && cmp_ref(&refs[i - 1], &refs[i]) == 0)
                    continue;
                if (refs[i].len == 0)
                    continue; /* an empty key is never scanned */
                st = fn(ud, refs[i].p, refs[i].len);
                n++;
            }
            *n_keys = n;
            chaff_xfree(refs);
        }
    } else if (all.bytes.err == CHAFF_E_NOMEM) {
        st = CHAFF_E_NOMEM;
    }
    sset_free(&all);
    release(&p);
    return st;
}

/* ---- the exact program of a verified regex ---------------------------- */

/*
 * A Thompson NFA over the tree, run as a Pike VM without captures: every
 * state is visited at most once per position, so the run costs at most
 * (characters × instructions) steps whatever the pattern, and it finds the
 * earliest end of any match, which is what Vectorscan reports for a
 * SINGLEMATCH pattern.  Bounded repeats are unrolled, one copy per count;
 * a set is one instruction however many ranges it has.
 */
enum op { OP_SET, OP_SPLIT, OP_JMP, OP_MATCH, OP_BOL, OP_EOL, OP_WORDB, OP_NWORDB };

struct inst {
    uint8_t op;
    uint32_t x, y; /* OP_SET: set; OP_SPLIT: both targets; OP_JMP: target */
};

struct pset {
    uint32_t cp0, ncp; /* enumerated members (folded) in prog.cp … */
    USet *u;           /* … or the whole set */
};

/* A state at position 0 that takes character cp. */
struct first {
    uint32_t cp, pc;
};

struct rx_prog {
    bool anchored;       /* every match starts at the start of the key */
    bool start_ok;       /* the states at position 0 depend on nothing but the
                            key being at its start (no $ or \b on the way) … */
    struct first *first; /* … and are these, by the first character they
                            take (enumerated sets), sorted by it … */
    uint32_t n_first;
    uint32_t *wide; /* … and these, wide sets */
    uint32_t n_wide;
    struct inst *code;
    uint32_t n, cap;
    struct pset *sets;
    uint32_t n_sets;
    uint32_t *cp;
    /* no run state: programs are shared by threads, each run works in the
     * caller's struct rx_work */
};

static bool emit(struct rx_prog *g, uint8_t op, uint32_t x, uint32_t y)
{
    if (g->n == g->cap) {
        if (g->cap >= RX_MAX_PROG)
            return false;
        uint32_t cap = g->cap ? g->cap * 2 : 64;
        struct inst *v = chaff_xrealloc(g->code, (size_t)cap * sizeof *v);
        if (!v)
            return false;
        g->code = v;
        g->cap = cap;
    }
    g->code[g->n++] = (struct inst){op, x, y};
    return true;
}

static bool gen(struct rx_prog *g, const struct rx *p, int32_t k, uint32_t *set_of)
{
    const struct node *n = &p->v[k];
    switch (n->kind) {
    case N_SET: return emit(g, OP_SET, set_of[k], 0);
    case N_CAT:
        for (int32_t c = n->child; c >= 0; c = p->v[c].next)
            if (!gen(g, p, c, set_of))
                return false;
        return true;
    case N_ALT: {
        /* SPLIT a, next; a: child; JMP end; next: SPLIT … ; last child */
        uint32_t jumps[RX_MAX_ALT + 2], n_jumps = 0;
        for (int32_t c = n->child; c >= 0; c = p->v[c].next) {
            if (p->v[c].next < 0) {
                if (!gen(g, p, c, set_of))
                    return false;
                break;
            }
            uint32_t split = g->n;
            if (!emit(g, OP_SPLIT, split + 1, 0) || !gen(g, p, c, set_of))
                return false;
            if (n_jumps == RX_MAX_ALT + 1)
                return false;
            jumps[n_jumps++] = g->n;
            if (!emit(g, OP_JMP, 0, 0))
                return false;
            g->code[split].y = g->n;
        }
        for (uint32_t j = 0; j < n_jumps; j++)
            g->code[jumps[j]].x = g->n;
        return true;
    }
    case N_REP: {
        for (uint32_t t = 0; t < n->min; t++)
            if (!gen(g, p, n->child, set_of))
                return false;
        if (n->max == INF) {
            /* L: SPLIT body, out; body; JMP L */
            uint32_t loop = g->n;
            if (!emit(g, OP_SPLIT, loop + 1, 0) || !gen(g, p, n->child, set_of) ||
                !emit(g, OP_JMP, loop, 0))
                return false;
            g->code[loop].y = g->n;
            return true;
        }
        /* (body (body …)?)? : each optional copy may end the repeat */
        uint32_t splits[64], n_splits = 0;
        for (uint32_t t = n->min; t < n->max; t++) {
            uint32_t split = g->n;
            if (!emit(g, OP_SPLIT, split + 1, 0) || !gen(g, p, n->child, set_of))
                return false;
            if (n_splits < 64) {
                splits[n_splits++] = split;
            } else {
                /* patch the older ones now: they all go to the end */
                for (uint32_t j = 0; j < n_splits; j++)
                    g->code[splits[j]].y = UINT32_MAX;
                splits[0] = split;
                n_splits = 1;
            }
        }
        for (uint32_t j = 0; j < n_splits; j++)
            g->code[splits[j]].y = g->n;
        for (uint32_t i = 0; i < g->n; i++)
            if (g->code[i].op == OP_SPLIT && g->code[i].y == UINT32_MAX)
                g->code[i].y = g->n;
        return true;
    }
    case N_BOL: return emit(g, OP_BOL, 0, 0);
    case N_EOL: return emit(g, OP_EOL, 0, 0);
    case N_ASSERT: return emit(g, (p->s[n->at + 1] == 'b') ? OP_WORDB : OP_NWORDB, 0, 0);
    default: return true;
    }
}

void rx_prog_free(struct rx_prog *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; i < g->n_sets; i++)
        if (g->sets[i].u)
            uset_close(g->sets[i].u);
    chaff_xfree(g->sets);
    chaff_xfree(g->cp);
    chaff_xfree(g->code);
    chaff_xfree(g->first);
    chaff_xfree(g->wide);
    chaff_xfree(g);
}

static chaff_status start_states(struct rx_prog *g);

chaff_status rx_prog_new(const char *pat, struct rx_prog **out)
{
    *out = NULL;
    struct rx p;
    int32_t root = parse(&p, pat, true);
    if (p.nomem || root < 0) {
        release(&p);
        return CHAFF_E_NOMEM;
    }
    if (p.unknown || p.uncased) {
        release(&p);
        return CHAFF_E_RULES;
    }
    chaff_status st = CHAFF_E_NOMEM;
    struct rx_prog *g = chaff_xcalloc(1, sizeof *g);
    uint32_t *set_of = chaff_xcalloc(p.n ? p.n : 1, sizeof *set_of);
    uint32_t n_sets = 0;
    for (uint32_t i = 0; i < p.n; i++)
        n_sets += p.v[i].kind == N_SET;
    if (g)
        g->sets = chaff_xcalloc(n_sets ? n_sets : 1, sizeof *g->sets);
    if (g)
        g->cp = chaff_xcalloc(p.ncp ? p.ncp : 1, sizeof *g->cp);
    if (!g || !set_of || !g->sets || !g->cp)
        goto out;
    if (p.ncp)
        memcpy(g->cp, p.cp, (size_t)p.ncp * sizeof *g->cp);
    for (uint32_t i = 0; i < p.n; i++) {
        struct node *n = &p.v[i];
        if (n->kind != N_SET)
            continue;
        set_of[i] = g->n_sets;
        struct pset *ps = &g->sets[g->n_sets++];
        ps->cp0 = n->cp0;
        ps->ncp = n->ncp;
        if (n->wide) {
            ps->u = n->u; /* the program takes the set */
            n->u = NULL;
            if (!ps->u)
                goto out;
        }
    }
    st = CHAFF_E_RULES; /* too large a program */
    if (!gen(g, &p, root, set_of) || !emit(g, OP_MATCH, 0, 0))
        goto out;
    /* anchored: the root is ^ … or an alternation of such branches */
    g->anchored = true;
    for (int32_t b = p.v[root].kind == N_ALT ? p.v[root].child : root; b >= 0;
         b = p.v[root].kind == N_ALT ? p.v[b].next : -1) {
        const struct node *n = &p.v[b];
        if (n->kind != N_CAT || n->child < 0 || p.v[n->child].kind != N_BOL)
            g->anchored = false;
    }
    st = start_states(g);
    if (st)
        goto out;
    st = CHAFF_OK;
out:
    chaff_xfree(set_of);
    release(&p);
    if (st) {
        rx_prog_free(g);
        return st;
    }
    *out = g;
    return CHAFF_OK;
}

static bool ascii_word(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool member(const struct rx_prog *g, const struct pset *s, uint32_t c)
{
    if (s->u)
        return uset_contains(s->u, (UChar32)c) != 0;
    for (uint32_t j = 0; j < s->ncp; j++)
        if (g->cp[s->cp0 + j] == c)
            return true;
    return false;
}

/* Decode the code point at key[*i], advancing; invalid bytes as U+FFFD. */
static uint32_t key_cp(const char *key, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)key;
    uint32_t c = u[(*i)++];
    if (c < 0x80)
        return c;
    unsigned k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (k == 0)
        return 0xfffd;
    c &= 0x3fu >> k;
    while (k-- > 0) {
        if (*i >= len || (u[*i] & 0xc0) != 0x80)
            return 0xfffd;
        c = (c << 6) | (u[(*i)++] & 0x3f);
    }
    return c;
}

/* Add state pc and everything reachable from it without input to list,
 * at byte position at (between characters prev and next, -1 at an end).
 * *cond: an assertion other than ^ was passed. */
static void add_state(const struct rx_prog *g, uint32_t pc, uint32_t *list, uint32_t *n,
                      uint32_t *mark, uint32_t gen, uint32_t *stack, size_t at, size_t len,
                      int64_t prev, int64_t next, bool *cond, bool *match)
{
    uint32_t top = 0;
    stack[top++] = pc;
    while (top > 0) {
        pc = stack[--top];
        if (pc >= g->n || mark[pc] == gen)
            continue;
        mark[pc] = gen;
        const struct inst *in = &g->code[pc];
        switch (in->op) {
        case OP_JMP: stack[top++] = in->x; break;
        case OP_SPLIT:
            stack[top++] = in->y;
            stack[top++] = in->x;
            break;
        case OP_BOL:
            if (at == 0)
                stack[top++] = pc + 1;
            break;
        case OP_EOL:
            *cond = true;
            if (at == len || (at + 1 == len && next == '\n'))
                stack[top++] = pc + 1;
            break;
        case OP_WORDB:
        case OP_NWORDB: {
            *cond = true;
            bool a = prev >= 0 && ascii_word((uint32_t)prev);
            bool b = next >= 0 && ascii_word((uint32_t)next);
            if ((a != b) == (in->op == OP_WORDB))
                stack[top++] = pc + 1;
            break;
        }
        case OP_MATCH: *match = true; break;
        default: /* OP_SET: a state of the list */ list[(*n)++] = pc; break;
        }
    }
}

static int cmp_first(const void *a, const void *b)
{
    const struct first *x = a, *y = b;
    if (x->cp != y->cp)
        return x->cp < y->cp ? -1 : 1;
    return (x->pc > y->pc) - (x->pc < y->pc);
}

/* The states at position 0, when they do not depend on the key, indexed
 * by the character they take: a key then meets only its own. */
static chaff_status start_states(struct rx_prog *g)
{
    uint32_t *mem = chaff_xcalloc((size_t)g->n * 3, sizeof *mem);
    if (!mem)
        return CHAFF_E_NOMEM;
    uint32_t n = 0;
    bool cond = false, match = false;
    add_state(g, 0, mem, &n, mem + g->n, 1, mem + 2 * (size_t)g->n, 0, 1, -1, -1, &cond, &match);
    chaff_status st = CHAFF_OK;
    if (!cond && !match) {
        uint32_t n_first = 0;
        for (uint32_t k = 0; k < n; k++) {
            const struct pset *ps = &g->sets[g->code[mem[k]].x];
            n_first += ps->u ? 0 : ps->ncp;
        }
        g->first = chaff_xcalloc(n_first ? n_first : 1, sizeof *g->first);
        g->wide = chaff_xcalloc(n ? n : 1, sizeof *g->wide);
        if (!g->first || !g->wide) {
            st = CHAFF_E_NOMEM;
        } else {
            for (uint32_t k = 0; k < n; k++) {
                const struct pset *ps = &g->sets[g->code[mem[k]].x];
                if (ps->u)
                    g->wide[g->n_wide++] = mem[k];
                else
                    for (uint32_t j = 0; j < ps->ncp; j++)
                        g->first[g->n_first++] = (struct first){g->cp[ps->cp0 + j], mem[k]};
            }
            qsort(g->first, g->n_first, sizeof *g->first, cmp_first);
            g->start_ok = true;
        }
    }
    chaff_xfree(mem);
    return st;
}

void rx_work_free(struct rx_work *w)
{
    chaff_xfree(w->mem);
    memset(w, 0, sizeof *w);
}

chaff_status rx_match(const struct rx_prog *g, const char *key, size_t len, struct rx_work *w,
                      bool *matched, size_t *end)
{
    *matched = false;
    if (w->cap < g->n) {
        uint32_t *mem = chaff_xrealloc(w->mem, (size_t)g->n * 4 * sizeof *mem);
        if (!mem)
            return CHAFF_E_NOMEM;
        w->mem = mem;
        w->cap = g->n;
        memset(mem + 2 * (size_t)g->n, 0, (size_t)g->n * sizeof *mem);
        w->gen = 0;
    }
    /* marks stay between calls: a generation stamp tells this step's */
    uint32_t *cur = w->mem, *nxt = w->mem + w->cap, *mark = w->mem + 2 * (size_t)w->cap,
             *stack = w->mem + 3 * (size_t)w->cap;
    if (w->gen > UINT32_MAX - len - 4) {
        memset(mark, 0, (size_t)w->cap * sizeof *mark);
        w->gen = 0;
    }
    uint32_t n_cur = 0;
    int64_t prev = -1;
    size_t i = 0;
    bool cond = false, match = false;
    w->gen++;
    if (g->start_ok && len > 0) {
        /* the first step from the indexed states at position 0 */
        size_t j = 0;
        uint32_t c = key_cp(key, len, &j);
        int64_t after = -1;
        if (j < len) {
            size_t t = j;
            after = key_cp(key, len, &t);
        }
        uint32_t lo = 0, hi = g->n_first;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (g->first[mid].cp < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < g->n_first && g->first[lo].cp == c; lo++)
            add_state(g, g->first[lo].pc + 1, cur, &n_cur, mark, w->gen, stack, j, len, c, after,
                      &cond, &match);
        for (uint32_t k = 0; k < g->n_wide; k++)
            if (member(g, &g->sets[g->code[g->wide[k]].x], c))
                add_state(g, g->wide[k] + 1, cur, &n_cur, mark, w->gen, stack, j, len, c, after,
                          &cond, &match);
        prev = c;
        i = j;
    }
    for (;;) {
        size_t at = i;
        int64_t next = -1;
        size_t j = i;
        if (j < len)
            next = key_cp(key, len, &j);
        /* a match starts at 0 (unless the step from 0 was taken above),
         * and at every position when the pattern is not anchored */
        if ((at == 0 && !g->start_ok) || (at > 0 && !g->anchored))
            add_state(g, 0, cur, &n_cur, mark, w->gen, stack, at, len, prev, next, &cond, &match);
        else if (at > 0 && n_cur == 0 && !match)
            break; /* anchored, and nothing left alive */
        if (match) {
            *matched = true;
            *end = at;
            return CHAFF_OK;
        }
        if (at >= len)
            break;
        uint32_t n_nxt = 0;
        w->gen++;
        int64_t after = -1;
        if (j < len) {
            size_t t = j;
            after = key_cp(key, len, &t);
        }
        for (uint32_t k = 0; k < n_cur; k++) {
            const struct inst *in = &g->code[cur[k]];
            if (member(g, &g->sets[in->x], (uint32_t)next))
                add_state(g, cur[k] + 1, nxt, &n_nxt, mark, w->gen, stack, j, len, next, after,
                          &cond, &match);
        }
        uint32_t *t = cur;
        cur = nxt;
        nxt = t;
        n_cur = n_nxt;
        prev = next;
        i = j;
    }
    return CHAFF_OK;
}

/* ---- the prefilter of a verified regex -------------------------------- */

/* One change of the text: bytes [at, end) become text. */
struct edit {
    size_t at, end;
    char text[16];
};

static int cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

chaff_status rx_prefilter(const char *pat, char **out)
{
    *out = NULL;
    struct rx p;
    int32_t root = parse(&p, pat, false);
    if (p.nomem || root < 0) {
        release(&p);
        return CHAFF_E_NOMEM;
    }
    /* The edits never overlap: a set is inside the body of any repeat
     * around it, and a quantifier edit starts where its body ends. */
    struct edit *ed = chaff_xcalloc(p.n ? p.n : 1, sizeof *ed);
    if (!ed) {
        release(&p);
        return CHAFF_E_NOMEM;
    }
    uint32_t n_ed = 0;
    struct rx_info scratch;
    for (uint32_t k = 0; k < p.n; k++) {
        const struct node *n = &p.v[k];
        if (n->kind == N_SET && n->wide && n->weight > RX_DOT_WEIGHT && n->end > n->at) {
            /* a large class (\p{L}): any character, as far as a superset
             * goes; the exact program checks the class */
            ed[n_ed++] = (struct edit){n->at, n->end, "."};
            continue;
        }
        if (n->kind != N_REP || n->max == INF || n->max <= n->min || n->max < 2)
            continue; /* `?` and exact counts: nothing to gain */
        uint64_t worst = 0;
        memset(&scratch, 0, sizeof scratch);
        uint64_t body = cost(&p, n->child, &scratch, &worst);
        if (sat_mul(body, n->max) < RX_RELAX_REPEAT)
            continue;
        /* a costly bounded repeat: unbounded */
        struct edit e = {p.v[n->child].end, n->end, ""};
        if (n->min == 0)
            snprintf(e.text, sizeof e.text, "*");
        else if (n->min == 1)
            snprintf(e.text, sizeof e.text, "+");
        else
            snprintf(e.text, sizeof e.text, "{%u,}", n->min);
        ed[n_ed++] = e;
    }
    release(&p);
    if (!n_ed) {
        chaff_xfree(ed);
        return CHAFF_OK;
    }
    qsort(ed, n_ed, sizeof *ed, cmp_edit);
    struct buf b;
    buf_init(&b, 0);
    size_t from = 0;
    for (uint32_t i = 0; i < n_ed; i++) {
        if (ed[i].at < from)
            continue; /* cannot happen (see above); keep the text sound */
        buf_add(&b, pat + from, ed[i].at - from);
        buf_adds(&b, ed[i].text);
        from = ed[i].end;
    }
    buf_add(&b, pat + from, strlen(pat) - from);
    chaff_xfree(ed);
    if (b.err) {
        buf_free(&b);
        return CHAFF_E_NOMEM;
    }
    *out = b.p;
    return CHAFF_OK;
}

/* ---- heads: dispatching an anchored regex on a key's first characters -- */

#define HEAD_CPS 8 /* a head is at most this many code points */

struct head {
    char s[4 * HEAD_CPS];
    uint8_t len, ncp;
    bool done;  /* no more characters can follow in the head … */
    bool ended; /* … because the match ends there ($) */
};

struct hset {
    struct head *v;
    uint32_t n, cap, max;
    bool over;   /* more than max: give up */
    uint8_t cps; /* code points in a head: HEAD_CPS, or 1 when that gives too many */
};

static void hset_add(struct hset *h, const struct head *x)
{
    for (uint32_t i = 0; i < h->n; i++)
        if (h->v[i].len == x->len && h->v[i].done == x->done && h->v[i].ended == x->ended &&
            memcmp(h->v[i].s, x->s, x->len) == 0)
            return;
    if (h->n == h->max) {
        h->over = true;
        return;
    }
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 16;
        struct head *v = chaff_xrealloc(h->v, (size_t)cap * sizeof *v);
        if (!v) {
            h->over = true;
            return;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = *x;
}

/* The work one search for a pattern's heads may do, in heads carried
 * through a node (every call of heads() costs one more): repeats nested in
 * repeats multiply the walk (each tries up to HEAD_CPS more copies of its
 * body), so a pattern like a+++++++ would take exponential time.  Past the
 * budget the pattern has no heads and is scanned as a whole, which is
 * always right.  The shipped rules compile alike under 300,000. */
#define HEADS_BUDGET 500000

/* out = the heads of node k following each head of in (a superset: an
 * assertion is passed over, a wide set after one character ends the head
 * there).  false when a head would be empty, the set grows past max or
 * *budget runs out. */
static bool heads(const struct rx *p, int32_t k, const struct hset *in, struct hset *out,
                  uint32_t *budget)
{
    uint32_t cost = 1 + in->n;
    if (*budget < cost)
        return false;
    *budget -= cost;
    const struct node *n = &p->v[k];
    switch (n->kind) {
    case N_SET:
        for (uint32_t i = 0; i < in->n; i++) {
            const struct head *e = &in->v[i];
            if (e->done || e->ncp == in->cps) {
                hset_add(out, e);
                continue;
            }
            if (n->wide) {
                if (e->ncp == 0)
                    return false;
                struct head x = *e;
                x.done = true;
                hset_add(out, &x);
                continue;
            }
            for (uint32_t j = 0; j < n->ncp; j++) {
                struct head x = *e;
                /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): set_add fills p->cp */
                x.len = (uint8_t)(x.len + utf8_put(x.s + x.len, p->cp[n->cp0 + j]));
                x.ncp++;
                hset_add(out, &x);
            }
        }
        return !out->over;
    case N_CAT: {
        struct hset a = {NULL, 0, 0, in->max, false, in->cps}, b;
        for (uint32_t i = 0; i < in->n; i++)
            hset_add(&a, &in->v[i]);
        bool ok = !a.over;
        for (int32_t c = n->child; ok && c >= 0; c = p->v[c].next) {
            b = (struct hset){NULL, 0, 0, in->max, false, in->cps};
            ok = heads(p, c, &a, &b, budget);
            out->over |= b.over;
            chaff_xfree(a.v);
            a = b;
        }
        for (uint32_t i = 0; ok && i < a.n; i++)
            hset_add(out, &a.v[i]);
        chaff_xfree(a.v);
        return ok && !out->over;
    }
    case N_ALT:
        for (int32_t c = n->child; c >= 0; c = p->v[c].next)
            if (!heads(p, c, in, out, budget))
                return false;
        return true;
    case N_REP: {
        /* min copies, then up to HEAD_CPS more (a head never needs more;
         * a nullable body adds nothing by repeating) */
        struct hset a = {NULL, 0, 0, in->max, false, in->cps}, b;
        for (uint32_t i = 0; i < in->n; i++)
            hset_add(&a, &in->v[i]);
        bool ok = !a.over;
        uint32_t upto = n->max == INF ? n->min + in->cps : n->max;
        if (upto > n->min + in->cps)
            upto = n->min + in->cps;
        for (uint32_t t = 0; ok && t <= upto; t++) {
            if (t >= n->min)
                for (uint32_t i = 0; i < a.n; i++)
                    hset_add(out, &a.v[i]);
            if (t == upto)
                break;
            b = (struct hset){NULL, 0, 0, in->max, false, in->cps};
            ok = heads(p, n->child, &a, &b, budget);
            out->over |= b.over;
            chaff_xfree(a.v);
            a = b;
        }
        chaff_xfree(a.v);
        return ok && !out->over;
    }
    case N_EOL:
        for (uint32_t i = 0; i < in->n; i++) {
            struct head x = in->v[i];
            if (!x.done && x.ncp < in->cps)
                x.done = x.ended = true;
            hset_add(out, &x);
        }
        return !out->over;
    case N_BOL: return false; /* one inside: not modelled */
    default:                  /* assertions, empty */
        for (uint32_t i = 0; i < in->n; i++)
            hset_add(out, &in->v[i]);
        return !out->over;
    }
}

/* The heads of the parsed regex p with cps code points each, into all;
 * false when there are none to be had. */
static bool all_heads(const struct rx *p, int32_t root, uint8_t cps, struct hset *all,
                      uint32_t *budget)
{
    bool ok = !p->unknown && !p->uncased;
    int32_t first = p->v[root].kind == N_ALT ? p->v[root].child : root;
    bool single = p->v[root].kind != N_ALT;
    for (int32_t b = first; ok && b >= 0; b = single ? -1 : p->v[b].next) {
        const struct node *n = &p->v[b];
        if (n->kind != N_CAT || n->child < 0 || p->v[n->child].kind != N_BOL)
            return false;
        struct hset start = {NULL, 0, 0, all->max, false, cps}, cur;
        struct head empty;
        memset(&empty, 0, sizeof empty);
        hset_add(&start, &empty);
        for (int32_t c = p->v[n->child].next; ok && c >= 0; c = p->v[c].next) {
            cur = (struct hset){NULL, 0, 0, all->max, false, cps};
            ok = heads(p, c, &start, &cur, budget);
            if (!ok && cur.over)
                all->over = true;
            chaff_xfree(start.v);
            start = cur;
        }
        for (uint32_t i = 0; ok && i < start.n; i++) {
            if (start.v[i].ncp == 0) {
                ok = false; /* a match may begin with anything */
            } else {
                /* a head the regex ends after, short of the length
                 * chosen: the match is the head */
                if (!start.v[i].done && start.v[i].ncp < cps)
                    start.v[i].done = start.v[i].ended = true;
                hset_add(all, &start.v[i]);
            }
        }
        chaff_xfree(start.v);
        ok = ok && !all->over;
    }
    return ok;
}

chaff_status rx_heads(const char *pat, uint32_t max, rx_key_fn fn, void *ud, uint32_t *n_heads,
                      uint32_t *n_short)
{
    *n_heads = *n_short = 0;
    struct rx p;
    int32_t root = parse(&p, pat, false);
    if (p.nomem || root < 0) {
        release(&p);
        return CHAFF_E_NOMEM;
    }
    chaff_status st = CHAFF_OK;
    /* as long as there are not too many: eight characters, else four,
     * two, one */
    static const uint8_t lengths[] = {HEAD_CPS, 4, 2, 1};
    struct hset all = {NULL, 0, 0, max, false, HEAD_CPS};
    bool ok = false;
    uint32_t budget = HEADS_BUDGET; /* for all the lengths tried */
    for (size_t l = 0; l < sizeof lengths && !ok; l++) {
        chaff_xfree(all.v);
        all = (struct hset){NULL, 0, 0, max, false, lengths[l]};
        ok = all_heads(&p, root, lengths[l], &all, &budget);
        if (!ok && !all.over)
            break; /* not for lack of room: no heads at all */
    }
    if (ok) {
        /* short heads, cut before a wide set or by the length chosen, say
         * little about a key: the caller may prefer another form */
        for (uint32_t i = 0; i < all.n; i++)
            if (all.v[i].ncp < RX_HEAD_MIN && !all.v[i].ended)
                (*n_short)++;
        /* a head and a longer one it begins: the shorter covers both */
        for (uint32_t i = 0; i < all.n && st == CHAFF_OK; i++) {
            bool covered = false, dup = false;
            for (uint32_t j = 0; j < all.n; j++) {
                if (j == i)
                    continue;
                if (all.v[j].len < all.v[i].len &&
                    memcmp(all.v[j].s, all.v[i].s, all.v[j].len) == 0)
                    covered = true;
                if (j < i && all.v[j].len == all.v[i].len &&
                    memcmp(all.v[j].s, all.v[i].s, all.v[i].len) == 0)
                    dup = true;
            }
            if (covered || dup)
                continue;
            st = fn(ud, all.v[i].s, all.v[i].len);
            (*n_heads)++;
        }
    }
    chaff_xfree(all.v);
    release(&p);
    return st;
}

bool rx_prog_anchored(const struct rx_prog *g) { return g->anchored; }
