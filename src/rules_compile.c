/*
 * rules_compile.c — a parsed rule set into the cheapest forms that mean
 * the same, and those into a database file (rules_db.c).
 *
 * Forms (enum rule_form).  `=` rules are exact keys, looked up in a hash
 * table.  `~` regexes anchored at both ends whose language is finite and
 * small (at most EXPAND_MAX keys) join them as keys (rules_regex.c, which
 * also says why that is exact over match keys).  `+` phrases go to one
 * Vectorscan literal database (hs_compile_lit_multi); the two details a
 * literal cannot say are checked by match.c on each report, which is
 * cheap because a literal's match is exactly as long as the pattern: its
 * word edges, whose need is worked out here per phrase.  A regex anchored
 * at the start whose matches all begin with one of at most HEADS_MAX
 * known prefixes of three or more characters (`^(read more|related)…`)
 * never reaches Vectorscan: the prefixes go into a second table, and
 * match.c runs the regex's exact program on a key that begins with one.
 * The remaining regexes are compiled with UTF-8, caseless and
 * single-match into one database per @maxlen tier (tier_max), so a long
 * line scans only the tiers whose rules could fire on it.  A regex whose estimated compile
 * cost is high (rules_regex.c: \p{L} inside a bounded repeat is the usual
 * culprit, 20 s for one shipped pattern) is compiled as a cheaper
 * superset, its costly bounded repeats unbounded, and each report is
 * confirmed by the regex's exact program (RF_VERIFIED, match.c).
 *
 * Regexes are compiled without HS_FLAG_UCP, which keeps \b usable and
 * compiles several times faster; \w, \d and \b are therefore ASCII, \s is
 * exact because keys hold only ASCII spaces, and \p{L} or \p{Han} give
 * Unicode classes.  Before anything else a bounded repeat whose upper
 * bound is RELAX_MIN or more is read as unbounded (rules_relax), the
 * meaning every compiled rule set has had: a length cap that large is the
 * line-length guard's job.
 *
 * Budgets.  Vectorscan cannot be interrupted once it compiles, and one
 * rule with 300 alternatives took 508 s and 935 MB.  So every regex is
 * checked first: at most RX_MAX_LEN bytes, RX_MAX_ALT alternatives, and an
 * estimated cost of what is compiled (after the verified form) of at most
 * RX_MAX_COST; past a limit it is an error at its file:line:col, in our
 * words (so are Vectorscan's own errors, see translate()).
 *
 * Time.  The tiers compile in threads of their own.  Measured on this
 * kind of machine, shared with other work: the 7,873 shipped rules in
 * 5.4 to 6.2 s of CPU (it was 43 s and more as one database), of which
 * 1,077 anchored regexes take none (match.c runs them).
 */
#include "rules.h"

#include <hs/hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/utf8.h>

#include "alloc.h"
#include "buf.h"
#include "rules_db.h"
#include "rules_regex.h"

#define EXPAND_MAX 256    /* keys of one regex's expansion */
#define HEADS_MAX 256     /* heads of one anchored regex … */
#define HEADS_SHORT_MAX 0 /* … of them short (rx_heads) */
#define RELAX_MIN 41      /* a repeat bound this large is the length guard's job */
#define N_TIERS 3
static const uint32_t tier_max[N_TIERS] = {80, 300, UINT32_MAX}; /* @maxlen (0 = any) */

/* keep in sync with rules/README.md (Regular expressions) */
#define REGEX_FLAGS (HS_FLAG_UTF8 | HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH)

/*
 * Bounded repeats are what make UTF-8 regexes expensive to compile: each
 * counted step of `.{0,250}` becomes automaton states for every UTF-8 code
 * point length (one rule of that shape took 147 s).  A line a regex rule
 * can fire on is already bounded by its @maxlen guard, so a repeat whose
 * upper bound is RELAX_MIN or more is compiled unbounded: {m,n} becomes
 * {m,} ({0,n} as *, {1,n} as +).  Escapes and character classes are left
 * alone.  Returns a new string (caller frees) or NULL when out of memory.
 */
char *rules_relax(const char *pat)
{
    size_t n = strlen(pat);
    char *out = chaff_xmalloc(n + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    int in_class = 0;
    for (size_t i = 0; i < n; i++) {
        char c = pat[i];
        if (c == '\\' && i + 1 < n) {
            out[w++] = c;
            out[w++] = pat[++i];
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = 0;
            out[w++] = c;
            continue;
        }
        if (c == '[') {
            in_class = 1;
            out[w++] = c;
            if (i + 1 < n && pat[i + 1] == '^')
                out[w++] = pat[++i];
            if (i + 1 < n && pat[i + 1] == ']')
                out[w++] = pat[++i]; /* a leading ] is literal */
            continue;
        }
        if (c == '{') {
            size_t j = i + 1;
            unsigned long lo = 0, hi = 0;
            int have_lo = 0, have_hi = 0;
            while (j < n && pat[j] >= '0' && pat[j] <= '9' && lo < 100000) {
                lo = lo * 10 + (unsigned long)(pat[j++] - '0');
                have_lo = 1;
            }
            if (have_lo && j < n && pat[j] == ',') {
                j++;
                while (j < n && pat[j] >= '0' && pat[j] <= '9' && hi < 100000) {
                    hi = hi * 10 + (unsigned long)(pat[j++] - '0');
                    have_hi = 1;
                }
                if (have_hi && j < n && pat[j] == '}' && hi >= RELAX_MIN) {
                    if (lo == 0)
                        out[w++] = '*';
                    else if (lo == 1)
                        out[w++] = '+';
                    else
                        w += (size_t)sprintf(out + w, "{%lu,}", lo);
                    i = j;
                    continue;
                }
            }
        }
        out[w++] = c;
    }
    out[w] = '\0';
    return out;
}

/* FNV-1a of a key; shared with match.c and classify.c. */
uint32_t rules_key_hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

/* ---- errors in our words ------------------------------------------------- */

/* The column (in code points, from 1) of byte at of the pattern of rule
 * ru, whose pattern starts at column ru->col. */
static unsigned col_at(const struct rule *ru, size_t at)
{
    unsigned col = ru->col;
    for (size_t i = 0; i < at && ru->pat[i]; i++)
        if (((unsigned char)ru->pat[i] & 0xc0) != 0x80)
            col++;
    return col;
}

static void fill_err(chaff_error *e, const struct chaff_rules *r, const struct rule *ru,
                     unsigned col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void fill_err(chaff_error *e, const struct chaff_rules *r, const struct rule *ru,
                     unsigned col, const char *fmt, ...)
{
    memset(e, 0, sizeof *e);
    const char *path = ru->file < r->n_files ? r->files[ru->file].path : "";
    snprintf(e->file, sizeof e->file, "%s", path ? path : "");
    e->line = ru->line;
    e->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

/*
 * Vectorscan's error for a regex, in our words (its own wording, with
 * flag names and indexes, means nothing to a rule author): the message,
 * and the byte of the compiled text it points at (or SIZE_MAX).  keep in
 * sync with the messages of Vectorscan 5.4 (strings in libhs).
 */
static const char *translate(const char *msg, size_t *at)
{
    static const struct {
        const char *theirs, *ours;
    } table[] = {
        {"Pattern matches empty buffer", "regex matches the empty line"},
        {"Missing close parenthesis for group", "missing ')' for the group opened here"},
        {"Unterminated character class", "unterminated character class"},
        {"Unescaped \\ at end of input", "'\\' at the end of the regex"},
        {"Zero-width assertions are not supported", "look-around is not available"},
        {"Back-references are unsupported", "back-references are not available"},
        {"Atomic groups are unsupported", "atomic groups are not available"},
        {"Possessive quantifiers are not supported", "possessive quantifiers are not available"},
        {"Embedded start anchors not supported", "'^' is available only at the start"},
        {"Embedded end anchors not supported", "'$' is available only at the end"},
        {"Embedded anchors not supported", "'^' and '$' are available only at the ends"},
        {"Bounded repeat is too large", "a counted repeat that large is not available"},
        {"Pattern is too large", "regex too large to compile"},
        {"Pattern too large", "regex too large to compile"},
        {"Resource limit", "regex too large to compile"},
        {"Invalid range in character class", "range out of order in a character class"},
        {"Range out of order in character class", "range out of order in a character class"},
        {"Invalid repeat", "a repeat with nothing to repeat"},
        {"Unknown property", "unknown Unicode property"},
        {"Malformed property", "malformed \\p{...} property"},
        {"Invalid POSIX named class", "unknown POSIX class"},
        {"Value in \\x{...} sequence is too large", "\\x{...} beyond U+10FFFF"},
        {"Expression is not valid UTF-8", "invalid utf-8"},
        {"Conditional", "conditional groups are not available"},
        {"Subpattern reference", "subroutine calls are not available"},
        {"Pattern recursion", "recursion is not available"},
        {"Callout", "callouts are not available"},
        {"Unsupported control verb", "control verbs are not available"},
        {"Embedded code", "embedded code is not available"},
        {"Parse error", "cannot read the regex here"},
    };
    *at = SIZE_MAX;
    if (!msg)
        return "not a regex chaff can compile";
    const char *idx = strstr(msg, "index ");
    if (idx) {
        char *end;
        unsigned long v = strtoul(idx + 6, &end, 10);
        if (end != idx + 6)
            *at = v;
    }
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strncmp(msg, table[i].theirs, strlen(table[i].theirs)) == 0)
            return table[i].ours;
    return "not a regex chaff can compile";
}

/* ---- planning ------------------------------------------------------------ */

/* What is compiled for one rule. */
struct plan {
    char *text;  /* a regex's compiled text (owned), NULL otherwise */
    char *exact; /* a verified regex: its exact text (owned) */
    uint32_t tier;
};

/* The exact-key table being built. */
struct table {
    uint32_t *slot;
    uint32_t cap;
    struct exact_entry *v;
    uint32_t n, vcap;
    struct buf keys;
};

static chaff_status table_add(struct table *t, const char *key, size_t len, uint32_t rule)
{
    if (t->n == t->vcap) {
        uint32_t cap = t->vcap ? t->vcap * 2 : 256;
        struct exact_entry *v = chaff_xrealloc(t->v, (size_t)cap * sizeof *v);
        if (!v)
            return CHAFF_E_NOMEM;
        t->v = v;
        t->vcap = cap;
    }
    size_t at = t->keys.len;
    if (buf_add(&t->keys, key, len) || at > UINT32_MAX || len > UINT32_MAX)
        return t->keys.err ? t->keys.err : CHAFF_E_TOOBIG;
    t->v[t->n++] = (struct exact_entry){(uint32_t)at, (uint32_t)len, rule, UINT32_MAX};
    return CHAFF_OK;
}

/* Bytes of the first cps code points of s[0..len) (all of it when shorter). */
size_t rules_head_len(const char *s, size_t len, unsigned cps)
{
    size_t at = 0;
    for (unsigned k = 0; k < cps && at < len; k++) {
        unsigned c = (unsigned char)s[at];
        size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        at = at + n <= len ? at + n : len;
    }
    return at;
}

/* Hash the entries (added in rule id order) into slots; the entries of one
 * key are chained in id order, so a lookup reports rules in id order.
 * With by_head, entries are hashed and chained by the first RULES_HEAD
 * code points of their keys (the heads table: a key finds every prefix
 * that shares its first characters). */
static chaff_status table_index(struct table *t, bool by_head)
{
    if (!t->n)
        return CHAFF_OK;
    uint32_t cap = 16;
    while (cap < 2 * t->n)
        cap *= 2;
    t->slot = chaff_xmalloc((size_t)cap * sizeof *t->slot);
    uint32_t *tail = chaff_xmalloc((size_t)cap * sizeof *tail);
    if (!t->slot || !tail) {
        chaff_xfree(tail);
        return CHAFF_E_NOMEM;
    }
    memset(t->slot, 0xff, (size_t)cap * sizeof *t->slot);
    t->cap = cap;
    for (uint32_t i = 0; i < t->n; i++) {
        const char *k = t->keys.p + t->v[i].key;
        size_t len = t->v[i].len;
        if (by_head)
            len = rules_head_len(k, len, RULES_HEAD);
        for (uint32_t s = rules_key_hash(k, len) & (cap - 1);; s = (s + 1) & (cap - 1)) {
            uint32_t head = t->slot[s];
            if (head == UINT32_MAX) {
                t->slot[s] = tail[s] = i;
                break;
            }
            const char *hk = t->keys.p + t->v[head].key;
            size_t hl = by_head ? rules_head_len(hk, t->v[head].len, RULES_HEAD) : t->v[head].len;
            if (hl != len || memcmp(hk, k, len) != 0)
                continue;
            /* the same key again: the same rule twice adds nothing */
            if (by_head || t->v[tail[s]].rule != t->v[i].rule) {
                t->v[tail[s]].next = i;
                tail[s] = i;
            }
            break;
        }
    }
    chaff_xfree(tail);
    return CHAFF_OK;
}

static void table_free(struct table *t)
{
    chaff_xfree(t->slot);
    chaff_xfree(t->v);
    buf_free(&t->keys);
}

struct expand_ctx {
    struct table *t;
    uint32_t rule;
};

static chaff_status add_expanded(void *ud, const char *key, size_t len)
{
    struct expand_ctx *c = ud;
    return table_add(c->t, key, len, c->rule);
}

/* The code point at s[at] and the one ending at s[len]. */
static uint32_t first_cp(const char *s, size_t len)
{
    UChar32 c;
    int32_t i = 0;
    U8_NEXT((const uint8_t *)s, i, (int32_t)(len < 4 ? len : 4), c);
    return c < 0 ? 0xfffd : (uint32_t)c;
}

static uint32_t last_cp(const char *s, size_t len)
{
    size_t b = len - 1;
    while (b > 0 && ((unsigned char)s[b] & 0xc0) == 0x80 && len - b < 4)
        b--;
    return first_cp(s + b, len - b);
}

/* Report every error through on_error (and keep going), or only the first
 * into err (and stop). */
struct errs {
    chaff_error *err;
    chaff_test_fail_fn on_error;
    void *ud;
    unsigned n;
};

static chaff_status report(struct errs *e, const chaff_error *one)
{
    e->n++;
    if (e->on_error) {
        e->on_error(e->ud, one);
        return CHAFF_OK;
    }
    if (e->err)
        *e->err = *one;
    return CHAFF_E_RULES;
}

static chaff_status nomem_err(chaff_error *err)
{
    if (err) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "out of memory");
    }
    return CHAFF_E_NOMEM;
}

/*
 * Decide the form of regex rule i and what is compiled for it; errors for
 * the limits go to e; warnings about cost to warn.  pl->text is NULL when
 * the rule went into the table.
 */
static chaff_status plan_regex(const struct chaff_rules *r, struct rule *ru, struct plan *pl,
                               struct table *t, struct table *ht, struct errs *e,
                               const struct rules_build_opts *o)
{
    chaff_error one;
    if (ru->plen > RX_MAX_LEN) {
        fill_err(&one, r, ru, ru->col, "regex longer than %u bytes", RX_MAX_LEN);
        return report(e, &one);
    }
    char *relaxed = rules_relax(ru->pat);
    if (!relaxed)
        return CHAFF_E_NOMEM;
    struct rx_info in;
    chaff_status st = rx_analyse(relaxed, &in);
    if (st) {
        chaff_xfree(relaxed);
        return st;
    }
    if (in.alternations > RX_MAX_ALT) {
        chaff_xfree(relaxed);
        fill_err(&one, r, ru, ru->col, "regex with %u alternatives (at most %u)",
                 in.alternations + 1, RX_MAX_ALT + 1);
        return report(e, &one);
    }
    /* a finite full-line regex: its keys */
    uint32_t n_keys = 0;
    uint32_t before = t->n;
    struct expand_ctx ec = {t, ru->id};
    if (!in.unknown && (st = rx_expand(relaxed, EXPAND_MAX, add_expanded, &ec, &n_keys)))
        goto out;
    if (n_keys > 0) {
        /* Vectorscan must accept it as a regex, as it did when compiled */
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *ce = NULL;
        if (hs_expression_info(relaxed, REGEX_FLAGS, &info, &ce) == HS_SUCCESS) {
            free(info); /* Vectorscan allocates with malloc */
            ru->form = RF_TABLE;
            goto out;
        }
        if (ce)
            hs_free_compile_error(ce);
        t->n = before; /* compile it, and let Vectorscan say what is wrong */
    }
    /* anchored at the start: found by its heads and run by its program,
     * when Vectorscan accepts it as it is (a costly one is checked through
     * its cheaper superset, which is just as strict about syntax) */
    uint32_t n_heads = 0, n_short = 0, hbefore = ht->n;
    struct expand_ctx hc = {ht, ru->id};
    if (!in.unknown && (st = rx_heads(relaxed, HEADS_MAX, add_expanded, &hc, &n_heads, &n_short)))
        goto out;
    if (n_short > HEADS_SHORT_MAX) {
        /* it would run on most lines (`^[a-z .'-]{2,40} / …`): Vectorscan's
         * automaton does that far better than the program */
        ht->n = hbefore;
        n_heads = 0;
    }
    if (n_heads > 0) {
        struct rx_prog *prog = NULL;
        chaff_status ps = rx_prog_new(relaxed, &prog);
        rx_prog_free(prog);
        char *pre = NULL;
        if (ps == CHAFF_OK && in.cost >= RX_VERIFY_COST && (st = rx_prefilter(relaxed, &pre)))
            goto out;
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *ce = NULL;
        if (ps == CHAFF_OK &&
            hs_expression_info(pre ? pre : relaxed, REGEX_FLAGS, &info, &ce) == HS_SUCCESS) {
            free(info); /* Vectorscan allocates with malloc */
            chaff_xfree(pre);
            ru->form = RF_ANCHORED;
            goto out;
        }
        chaff_xfree(pre);
        if (ce)
            hs_free_compile_error(ce);
        if (ps == CHAFF_E_NOMEM) {
            st = ps;
            goto out;
        }
        ht->n = hbefore;
    }
    if (o && o->warn && in.first_any) {
        fill_err(&one, r, ru, col_at(ru, in.first_at),
                 "slow to scan: it may start at almost any character ('%.*s' first)",
                 (int)(in.first_end - in.first_at > 60 ? 60 : in.first_end - in.first_at),
                 relaxed + in.first_at);
        o->warn(o->warn_ud, &one);
    }
    ru->form = RF_REGEX;
    uint64_t compiled_cost = in.cost;
    if (in.cost >= RX_VERIFY_COST) {
        char *pre = NULL;
        struct rx_prog *prog = NULL;
        if ((st = rx_prefilter(relaxed, &pre)))
            goto out;
        chaff_status ps = pre ? rx_prog_new(relaxed, &prog) : CHAFF_E_RULES;
        rx_prog_free(prog);
        if (ps == CHAFF_E_NOMEM) {
            chaff_xfree(pre);
            st = ps;
            goto out;
        }
        struct rx_info pin;
        if (ps == CHAFF_OK && (st = rx_analyse(pre, &pin)) == CHAFF_OK && pin.cost < in.cost) {
            if (o && o->warn && in.cost >= RX_WARN_COST) {
                fill_err(&one, r, ru, col_at(ru, in.cost_at),
                         "slow to compile as written ('%.*s' repeats %u positions up to %u "
                         "times): compiled as a cheaper pattern whose matches are checked",
                         (int)(in.cost_end - in.cost_at > 60 ? 60 : in.cost_end - in.cost_at),
                         relaxed + in.cost_at, in.cost_class, in.cost_times);
                o->warn(o->warn_ud, &one);
            }
            ru->form = RF_VERIFIED;
            pl->exact = relaxed;
            relaxed = pre;
            pre = NULL;
            compiled_cost = pin.cost;
        }
        chaff_xfree(pre);
        if (st)
            goto out;
    }
    if (compiled_cost > RX_MAX_COST) {
        fill_err(&one, r, ru, col_at(ru, in.cost_at),
                 "regex too costly to compile ('%.*s' repeats %u positions up to %u times; "
                 "estimate %llu, at most %u)",
                 (int)(in.cost_end - in.cost_at > 60 ? 60 : in.cost_end - in.cost_at),
                 (pl->exact ? pl->exact : relaxed) + in.cost_at, in.cost_class, in.cost_times,
                 (unsigned long long)compiled_cost, RX_MAX_COST);
        st = report(e, &one);
        goto out;
    }
    if (o && o->warn && ru->form == RF_REGEX && in.cost >= RX_WARN_COST) {
        fill_err(&one, r, ru, col_at(ru, in.cost_at),
                 "slow to compile ('%.*s' repeats %u positions up to %u times)",
                 (int)(in.cost_end - in.cost_at > 60 ? 60 : in.cost_end - in.cost_at),
                 relaxed + in.cost_at, in.cost_class, in.cost_times);
        o->warn(o->warn_ud, &one);
    }
    uint32_t ml = ru->maxlen ? ru->maxlen : UINT32_MAX;
    pl->tier = 0;
    while (pl->tier + 1 < N_TIERS && ml > tier_max[pl->tier])
        pl->tier++;
    pl->text = relaxed;
    relaxed = NULL;
out:
    chaff_xfree(relaxed);
    return st;
}

/* ---- compiling ----------------------------------------------------------- */

struct job {
    const char **expr;
    const unsigned *flags;
    const unsigned *ids;
    const size_t *lens; /* literal database */
    unsigned n;
    int literal;
    const hs_platform_info_t *plat;
    hs_database_t *db;
    hs_compile_error_t *ce;
    hs_error_t he;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    if (j->literal)
        j->he = hs_compile_lit_multi(j->expr, j->flags, j->ids, j->lens, j->n, HS_MODE_BLOCK,
                                     j->plat, &j->db, &j->ce);
    else
        j->he = hs_compile_multi(j->expr, j->flags, j->ids, j->n, HS_MODE_BLOCK, j->plat, &j->db,
                                 &j->ce);
    return NULL;
}

/* Vectorscan's error for job j, at the rule it names, into e. */
static chaff_status job_error(const struct chaff_rules *r, const struct job *j,
                              const struct plan *plans, struct errs *e, chaff_error *err)
{
    if (j->he == HS_NOMEM)
        return nomem_err(err);
    int at = j->ce ? j->ce->expression : -1;
    if (at < 0 || (unsigned)at >= j->n) {
        if (err) {
            memset(err, 0, sizeof *err);
            snprintf(err->msg, sizeof err->msg, "cannot compile the rules (matcher error %d)",
                     (int)j->he);
        }
        return CHAFF_E_MATCHER;
    }
    const struct rule *ru = &r->v[j->ids[at]];
    size_t idx;
    const char *msg = translate(j->ce ? j->ce->message : NULL, &idx);
    /* an index into the compiled text points into the pattern as written
     * only when the two are the same text */
    const char *text = plans[ru->id].text;
    unsigned col = ru->col;
    if (idx != SIZE_MAX && text && strcmp(text, ru->pat) == 0 && idx < ru->plen)
        col = col_at(ru, idx);
    chaff_error one;
    fill_err(&one, r, ru, col, "bad %s: %s", ru->match == RM_REGEX ? "regex" : "pattern", msg);
    return report(e, &one);
}

static chaff_status build(const struct chaff_rules *r0, const struct rules_build_opts *o,
                          bool plan_only, void **image, size_t *image_len, void **heap,
                          chaff_error *err)
{
    *image = *heap = NULL;
    *image_len = 0;
    if (err)
        memset(err, 0, sizeof *err);
    struct errs e = {err, o ? o->on_error : NULL, o ? o->error_ud : NULL, 0};
    chaff_status st = CHAFF_OK;
    /* a shallow copy whose rules carry their forms */
    struct chaff_rules r = *r0;
    r.v = chaff_xcalloc(r0->n ? r0->n : 1, sizeof *r.v);
    struct plan *plans = chaff_xcalloc(r0->n ? r0->n : 1, sizeof *plans);
    struct table t = {0}, ht = {0};
    buf_init(&t.keys, 0);
    buf_init(&ht.keys, 0);
    const char **expr = chaff_xcalloc(r0->n ? r0->n : 1, sizeof *expr);
    unsigned *ids = chaff_xcalloc(r0->n ? r0->n : 1, sizeof *ids);
    unsigned *flags = chaff_xcalloc(r0->n ? r0->n : 1, sizeof *flags);
    size_t *lens = chaff_xcalloc(r0->n ? r0->n : 1, sizeof *lens);
    struct job jobs[1 + N_TIERS];
    memset(jobs, 0, sizeof jobs);
    if (!r.v || !plans || !expr || !ids || !flags || !lens) {
        st = nomem_err(err);
        goto out;
    }
    if (r0->n)
        memcpy(r.v, r0->v, (size_t)r0->n * sizeof *r.v);
    r.scan_chars = r.scan_bytes = 0;
    for (uint32_t i = 0; i < r.n; i++) {
        struct rule *ru = &r.v[i];
        if (NEVER(!ru->pat)) {
            st = CHAFF_E_INVAL;
            goto out;
        }
        ru->plen = (uint32_t)strlen(ru->pat);
        ru->edges = 0;
        if (ru->match == RM_EXACT) {
            if (ru->plen > r.scan_bytes)
                r.scan_bytes = ru->plen;
        } else if (!ru->maxlen) {
            r.scan_chars = UINT32_MAX;
        } else if (ru->maxlen > r.scan_chars) {
            r.scan_chars = ru->maxlen;
        }
        if (ru->match == RM_EXACT) {
            ru->form = RF_TABLE;
            if (table_add(&t, ru->pat, ru->plen, i) != CHAFF_OK) {
                st = nomem_err(err);
                goto out;
            }
        } else if (ru->match == RM_PHRASE) {
            ru->form = RF_LITERAL;
            ru->edges = (uint8_t)((rules_word_char(first_cp(ru->pat, ru->plen)) ? 1 : 0) |
                                  (rules_word_char(last_cp(ru->pat, ru->plen)) ? 2 : 0));
        } else {
            st = plan_regex(&r, ru, &plans[i], &t, &ht, &e, o);
            if (st == CHAFF_E_NOMEM || st == CHAFF_E_TOOBIG) {
                st = nomem_err(err);
                goto out;
            }
            if (st)
                goto out;
        }
    }
    if (plan_only) {
        /* what Vectorscan makes of each regex, one by one: every syntax
         * error, where the compile of a tier would stop at the first */
        for (uint32_t i = 0; i < r.n; i++) {
            if (!plans[i].text)
                continue;
            hs_expr_info_t *info = NULL;
            hs_compile_error_t *ce = NULL;
            hs_error_t he = hs_expression_info(plans[i].text, REGEX_FLAGS, &info, &ce);
            free(info); /* Vectorscan allocates with malloc */
            if (he != HS_SUCCESS) {
                unsigned id = i;
                if (ce)
                    ce->expression = 0; /* the one expression of this call */
                struct job one = {NULL, NULL, &id, NULL, 1, 0, NULL, NULL, ce, he};
                chaff_status js = job_error(&r, &one, plans, &e, err);
                if (ce)
                    hs_free_compile_error(ce);
                if (js == CHAFF_E_NOMEM) {
                    st = js;
                    goto out;
                }
            }
        }
        st = e.n ? CHAFF_E_RULES : CHAFF_OK;
        goto out;
    }
    if (e.n) {
        st = CHAFF_E_RULES;
        goto out;
    }
    if (table_index(&t, false) != CHAFF_OK || table_index(&ht, true) != CHAFF_OK) {
        st = nomem_err(err);
        goto out;
    }

    /* the jobs: phrases as literals, then the regex tiers */
    hs_platform_info_t plat;
    const hs_platform_info_t *platp = NULL;
    if (hs_populate_platform(&plat) == HS_SUCCESS) {
        plat.cpu_features = rdb_cpu_features();
        plat.tune = HS_TUNE_FAMILY_GENERIC;
        platp = &plat;
    }
    unsigned m = 0, n_jobs = 0;
    for (int pass = -1; pass < N_TIERS; pass++) {
        unsigned start = m;
        for (uint32_t i = 0; i < r.n; i++) {
            const struct rule *ru = &r.v[i];
            if (pass < 0 ? ru->form != RF_LITERAL
                         : (ru->form != RF_REGEX && ru->form != RF_VERIFIED) ||
                               plans[i].tier != (uint32_t)pass)
                continue;
            expr[m] = pass < 0 ? ru->pat : plans[i].text;
            lens[m] = ru->plen;
            /* a phrase must report every occurrence: match.c may reject
             * one for its word edges */
            flags[m] = pass < 0 ? 0 : REGEX_FLAGS;
            ids[m] = i;
            m++;
        }
        if (m == start)
            continue;
        jobs[n_jobs] =
            (struct job){expr + start, flags + start, ids + start, lens + start, m - start,
                         pass < 0,     platp,         NULL,        NULL,         HS_SUCCESS};
        n_jobs++;
    }
    /* compile them side by side */
    pthread_t th[1 + N_TIERS];
    bool started[1 + N_TIERS] = {false};
    for (unsigned k = 1; k < n_jobs; k++)
        started[k] = pthread_create(&th[k], NULL, run_job, &jobs[k]) == 0;
    if (n_jobs)
        run_job(&jobs[0]);
    for (unsigned k = 1; k < n_jobs; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            run_job(&jobs[k]);
    }
    for (unsigned k = 0; k < n_jobs; k++)
        if (jobs[k].he != HS_SUCCESS) {
            chaff_status js = job_error(&r, &jobs[k], plans, &e, err);
            if (js == CHAFF_E_NOMEM || js == CHAFF_E_MATCHER) {
                st = js;
                goto out;
            }
        }
    if (e.n) {
        st = CHAFF_E_RULES;
        goto out;
    }

    uint8_t zero[B2B_OUT] = {0};
    struct rdb_input in = {.r = &r,
                           .table = {{t.slot, t.cap, t.v, t.n, t.keys.p ? t.keys.p : "", 0},
                                     {ht.slot, ht.cap, ht.v, ht.n, ht.keys.p ? ht.keys.p : "", 0}},
                           .keys_len = {t.keys.len, ht.keys.len},
                           .cpu_features = platp ? plat.cpu_features : 0,
                           .source = o && o->source ? o->source : zero,
                           .key = o ? o->key : NULL};
    for (unsigned k = 0; k < n_jobs; k++) {
        in.hs[k] = jobs[k].db;
        in.hs_literal[k] = (uint8_t)jobs[k].literal;
        uint32_t mc = 0;
        for (unsigned q = 0; q < jobs[k].n; q++) {
            const struct rule *ru = &r.v[jobs[k].ids[q]];
            uint32_t ml = ru->maxlen ? ru->maxlen : UINT32_MAX;
            if (ml > mc)
                mc = ml;
        }
        in.hs_max_chars[k] = mc;
    }
    in.n_hs = n_jobs;
    st = rdb_write(&in, image, image_len, heap);
    if (st == CHAFF_E_NOMEM)
        nomem_err(err);
    else if (st && err)
        snprintf(err->msg, sizeof err->msg, "cannot write the rules database: %s",
                 chaff_strerror(st));
out:
    for (unsigned k = 0; k < 1 + N_TIERS; k++) {
        if (jobs[k].db)
            hs_free_database(jobs[k].db);
        if (jobs[k].ce)
            hs_free_compile_error(jobs[k].ce);
    }
    for (uint32_t i = 0; plans && i < r0->n; i++) {
        chaff_xfree(plans[i].text);
        chaff_xfree(plans[i].exact);
    }
    chaff_xfree(plans);
    chaff_xfree(expr);
    chaff_xfree(ids);
    chaff_xfree(flags);
    chaff_xfree(lens);
    table_free(&t);
    table_free(&ht);
    chaff_xfree(r.v);
    return st;
}

chaff_status rules_build(const struct chaff_rules *r, const struct rules_build_opts *o,
                         void **image, size_t *image_len, void **heap, chaff_error *err)
{
    return build(r, o, false, image, image_len, heap, err);
}

chaff_status rules_plan(const struct chaff_rules *r, const struct rules_build_opts *o,
                        chaff_error *err)
{
    void *image, *heap;
    size_t len;
    return build(r, o, true, &image, &len, &heap, err);
}

chaff_status rules_compile(struct chaff_rules *r, chaff_error *err)
{
    /* compiling again replaces what an earlier rules_compile made */
    for (uint32_t k = 0; k < r->n_parts; k++)
        if (NEVER(r->part[k].borrowed))
            return CHAFF_E_INVAL;
    rules_drop_parts(r);
    void *image, *heap;
    size_t len;
    chaff_status st = rules_build(r, NULL, &image, &len, &heap, err);
    if (st)
        return st;
    /* load the image into a set of its own, then move its matcher over:
     * r keeps its own rules, files and tables, with the forms chosen */
    struct chaff_rules *tmp = chaff_xcalloc(1, sizeof *tmp);
    if (!tmp) {
        chaff_xfree(heap);
        return nomem_err(err);
    }
    char why[160];
    struct rdb_load how = {0};
    st = rdb_load(tmp, image, len, 0, heap, &how, why);
    if (st == CHAFF_OK)
        st = rules_finish(tmp);
    if (st) {
        chaff_rules_free(tmp);
        if (err && st != CHAFF_E_NOMEM) {
            memset(err, 0, sizeof *err);
            snprintf(err->msg, sizeof err->msg, "rules database: %s", why);
        }
        return st == CHAFF_E_NOMEM ? nomem_err(err) : CHAFF_E_MATCHER;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        r->v[i].form = tmp->v[i].form;
        r->v[i].edges = tmp->v[i].edges;
        r->v[i].plen = tmp->v[i].plen;
    }
    r->scan_chars = tmp->scan_chars;
    r->scan_bytes = tmp->scan_bytes;
    r->part = tmp->part;
    r->n_parts = tmp->n_parts;
    r->part[0].borrowed = 0; /* r's patterns are its own */
    r->scratch_proto = tmp->scratch_proto;
    tmp->part = NULL;
    tmp->n_parts = 0;
    tmp->scratch_proto = NULL;
    /* tmp's rules point into the image r now holds: free only its tables */
    tmp->n = 0;
    chaff_rules_free(tmp);
    return CHAFF_OK;
}
