/*
 * match.c — scanning one line's key against the compiled rules (rules.h).
 *
 * How.  Each part of a set (the shipped rules, the user's) has a literal
 * database of phrases, up to three regex databases by @maxlen tier, a
 * hash table of exact keys and one of the prefixes of anchored regexes
 * (rules_compile.c).  A key is scanned by the literal database and by
 * every tier whose rules could fire on a line of its length, looked up in
 * the exact table, and its first one and two characters looked up among
 * the prefixes: each anchored regex with a prefix the key begins with is
 * run by its exact program (rx_match).  Phrases arrive as bare
 * literals, so each report is checked here: a phrase counts only when its
 * word edges hold.  A phrase edge is checked when the phrase's first
 * (last) character is a letter or digit of a script written with spaces
 * (worked out per phrase when compiling); the neighbouring character of
 * the key must then not be one, so `share` is not found in `shareholders`
 * while `分享到` is found inside `分享到微信朋友圈`.  A report of a verified
 * regex (a cheaper superset was compiled) is confirmed by running its
 * exact program over the key.
 *
 * Order.  A rule's hit is placed at the end of its first match (a table
 * key at the end of the key), and the hits of one key are reported by
 * that end, then scanned forms before `=` rules, then id: the order one
 * database of every phrase and regex followed by the exact lookup gave,
 * so which rule explains a line does not depend on how the rules were
 * split into databases.  Each rule is reported at most once per call
 * through a generation-stamped array sized to the rule count, which costs
 * nothing to clear between lines.
 *
 * Why.  Vectorscan cannot express these edges cheaply (see rules_compile.c)
 * and a literal's match always has the pattern's length, so the start of
 * the match is known without start-of-match tracking.
 *
 * Memo.  Chrome repeats: the same share row, menu or cookie notice comes
 * back on every page of a site, and a short line with hits is the dearest
 * kind to scan (about a microsecond: each candidate literal is confirmed
 * and its edges checked).  Each scratch therefore remembers the reported
 * rule ids of recent short keys in a small two-way set-associative table
 * (MEMO_SETS x 2 entries of at most MEMO_KEY bytes and MEMO_IDS ids, about
 * a megabyte per thread); a key seen again, for a line long enough to
 * scan the same tiers, is answered from the table, ids in the order the
 * scan reported them, without scanning.  The report set depends on the key
 * and those tiers alone (rules are immutable), so a memo answer is the
 * scan's answer.  Long keys (article text, rarely repeated) and keys with
 * many hits are always scanned.
 *
 * Which scan.  Vectorscan 5.4.9 (Debian's libhs) is a fat runtime: hs_scan
 * dispatches to code built for the CPU it runs on, and its AVX-512 build
 * of the single-byte accelerator loses matches after the first 64 bytes
 * of a buffer unless the byte sits at the last position of a 64-byte
 * block (a one-byte literal such as `~ \|` compiled with SINGLEMATCH,
 * and every engine that skips ahead to one byte, like `[^|]+` before a
 * `|`).  Which key matched then depended on the key's address modulo 64,
 * so the same record was cleaned differently under -j1 and -j2.  The
 * databases are compiled for at most AVX2 (rules_db.c), so the scan
 * calls the runtime's AVX2 entry point, avx2_hs_scan, whenever the CPU
 * has AVX2 and the library exports it (a weak reference: NULL where it
 * does not), and hs_scan otherwise.  Measured on every offset of keys of
 * 1 to 300 bytes, the AVX2 build finds every match (tests/unit/
 * test_match.c, test_offsets).
 *
 * Limits.  A key is at most UINT_MAX bytes (hs_scan takes an unsigned
 * length); longer keys fail with CHAFF_E_TOOBIG.
 */
#include "rules.h"

#include <hs/hs.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "alloc.h"
#include "hash.h"
#include "rules_regex.h"

/* The AVX2 build of hs_scan in a fat Vectorscan runtime (see "Which
 * scan" above); not part of the documented API, hence weak. */
extern hs_error_t avx2_hs_scan(const hs_database_t *db, const char *data, unsigned length,
                               unsigned flags, hs_scratch_t *scratch, match_event_handler on_event,
                               void *context) __attribute__((weak));

typedef hs_error_t (*scan_fn)(const hs_database_t *, const char *, unsigned, unsigned,
                              hs_scratch_t *, match_event_handler, void *);

/* hs_scan, or its AVX2 build where the CPU and the library have one. */
static scan_fn pick_scan(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (avx2_hs_scan && __builtin_cpu_supports("avx2"))
        return avx2_hs_scan;
#endif
    return hs_scan;
}

#define MEMO_SETS 2048 /* power of two */
#define MEMO_KEY 176   /* longest key remembered, bytes */
#define MEMO_IDS 7     /* most ids remembered for one key */

struct memo_entry {
    uint64_t hash;
    uint32_t ids[MEMO_IDS];
    uint32_t tiers; /* the databases the scan went through */
    uint8_t len;    /* key length; 0 = empty (an empty key is never scanned) */
    uint8_t n_ids;
    char key[MEMO_KEY];
};

struct memo_set {
    struct memo_entry e[2];
    uint8_t recent; /* way used last: the other one is replaced */
};

/* A hit waiting to be reported: sorted by ord, then id. */
struct hit {
    uint64_t ord; /* end << 1 | (an `=` rule) */
    uint32_t id;
};

struct match_scratch {
    hs_scratch_t *hs;
    scan_fn scan;    /* pick_scan() */
    uint32_t *stamp; /* stamp[id] == gen: id reported in this call */
    uint32_t *tried; /* tried[id] == gen: its program ran in this call */
    uint32_t gen;
    uint32_t n;
    struct hit *hits; /* this call's hits, up to n */
    uint32_t n_hits;
    struct memo_set *memo; /* MEMO_SETS sets */
    struct rx_work work;   /* for rx_match */
};

/* ---- rules and word edges -------------------------------------------- */

bool rules_word_char(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!(U_GET_GC_MASK((UChar32)c) & (U_GC_L_MASK | U_GC_N_MASK)))
        return false;
    UErrorCode e = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript((UChar32)c, &e);
    if (U_FAILURE(e))
        return true;
    switch (sc) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_KATAKANA_OR_HIRAGANA:
    case USCRIPT_BOPOMOFO:
    case USCRIPT_HANGUL:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
    case USCRIPT_TIBETAN:
    case USCRIPT_YI: return false;
    default: return true;
    }
}

/* The heads table's chains, one after another, in the form match_line
 * reads them: a key finds a dozen or more prefixes under one head, and
 * following the chain through the entries and their keys missed the cache
 * at every step.  A record holds the eight bytes of its prefix that
 * follow the head, so most prefixes are turned away without their key
 * being read; those that pass are compared whole, as before. */
struct head_rec {
    uint64_t after; /* bytes hl .. hl+8 of the prefix, hl = its chain's head length */
    uint64_t mask;  /* the bytes of `after` the prefix has */
    uint32_t len, key, rule;
};

struct heads_scan {
    uint32_t *at, *n;     /* by a chain's first entry: its records rec[at .. at+n) */
    struct head_rec *rec; /* every entry, chain by chain */
};

/* Bytes s[from .. from+8) that lie below len, little-endian, zero padded. */
static uint64_t bytes8(const char *s, size_t from, size_t len)
{
    uint64_t v = 0;
    for (size_t k = 0; k < 8 && from + k < len; k++)
        v |= (uint64_t)(unsigned char)s[from + k] << (8 * k);
    return v;
}

static void heads_scan_free(struct heads_scan *h)
{
    if (!h)
        return;
    chaff_xfree(h->at);
    chaff_xfree(h->n);
    chaff_xfree(h->rec);
    chaff_xfree(h);
}

/* Lay out the chains of table t into *out; *out stays NULL (and
 * match_line follows the table itself) when a chain does not end within
 * the table's entries.  CHAFF_E_NOMEM. */
static chaff_status heads_scan_new(const struct key_table *t, struct heads_scan **out)
{
    *out = NULL;
    size_t total = 0;
    for (uint32_t s = 0; s < t->cap; s++) {
        uint32_t steps = 0, e = t->slot[s];
        for (; e != UINT32_MAX && e < t->n && steps <= t->n; e = t->v[e].next)
            steps++;
        if (e != UINT32_MAX)
            return CHAFF_OK; /* a loop, or an entry out of range */
        total += steps;
    }
    struct heads_scan *h = chaff_xcalloc(1, sizeof *h);
    if (!h)
        return CHAFF_E_NOMEM;
    size_t n1 = t->n ? t->n : 1;
    h->at = chaff_xcalloc(n1, sizeof *h->at);
    h->n = chaff_xcalloc(n1, sizeof *h->n);
    h->rec = chaff_xcalloc(total ? total : 1, sizeof *h->rec);
    if (!h->at || !h->n || !h->rec) {
        heads_scan_free(h);
        return CHAFF_E_NOMEM;
    }
    uint32_t m = 0;
    for (uint32_t s = 0; s < t->cap; s++) {
        uint32_t e0 = t->slot[s];
        if (e0 == UINT32_MAX)
            continue;
        size_t hl = rules_head_len(t->keys + t->v[e0].key, t->v[e0].len, RULES_HEAD);
        h->at[e0] = m;
        for (uint32_t e = e0; e != UINT32_MAX; e = t->v[e].next) {
            const struct exact_entry *x = &t->v[e];
            size_t k = x->len > hl ? x->len - hl : 0;
            struct head_rec *rc = &h->rec[m++];
            rc->after = bytes8(t->keys + x->key, hl, x->len);
            rc->mask = k >= 8 ? UINT64_MAX : (1ull << (8 * k)) - 1;
            rc->len = x->len;
            rc->key = x->key;
            rc->rule = x->rule;
        }
        h->n[e0] = m - h->at[e0];
    }
    *out = h;
    return CHAFF_OK;
}

chaff_status rules_finish(struct chaff_rules *r)
{
    for (uint32_t k = 0; k < r->n_parts; k++) {
        struct rules_part *p = &r->part[k];
        bool any = false;
        for (uint32_t i = 0; i < p->n && !any; i++)
            any = r->v[p->first + i].form == RF_VERIFIED || r->v[p->first + i].form == RF_ANCHORED;
        if (any && !p->progs &&
            !(p->progs = chaff_xcalloc(p->n, sizeof(_Atomic(struct rx_prog *)))))
            return CHAFF_E_NOMEM;
        if (p->heads.cap && !p->heads_scan) {
            struct heads_scan *h = NULL;
            if (heads_scan_new(&p->heads, &h))
                return CHAFF_E_NOMEM;
            p->heads_scan = h;
        }
        for (uint32_t j = 0; j < p->n_hs; j++) {
            hs_scratch_t *proto = r->scratch_proto;
            hs_error_t he = hs_alloc_scratch(p->hs[j].db, &proto);
            if (he != HS_SUCCESS)
                return he == HS_NOMEM ? CHAFF_E_NOMEM : CHAFF_E_MATCHER;
            r->scratch_proto = proto;
        }
    }
    return CHAFF_OK;
}

void rules_free_progs(struct rules_part *p)
{
    _Atomic(struct rx_prog *) *v = p->progs;
    for (uint32_t i = 0; v && i < p->n; i++)
        rx_prog_free(atomic_load_explicit(&v[i], memory_order_relaxed));
    chaff_xfree(p->progs);
    p->progs = NULL;
    heads_scan_free((struct heads_scan *)p->heads_scan);
    p->heads_scan = NULL;
}

/* The exact program of rule id (local) of part p, made on first use: a
 * parse of its pattern, a few microseconds, so a run pays only for the
 * regexes its lines reach.  Threads that race to make one keep the first
 * that is published. */
static chaff_status prog_of(const struct chaff_rules *r, const struct rules_part *p, uint32_t id,
                            const struct rx_prog **out)
{
    _Atomic(struct rx_prog *) *slot = (_Atomic(struct rx_prog *) *)p->progs + id;
    struct rx_prog *g = atomic_load_explicit(slot, memory_order_acquire);
    if (!g) {
        char *exact = rules_relax(r->v[p->first + id].pat);
        if (!exact)
            return CHAFF_E_NOMEM;
        chaff_status st = rx_prog_new(exact, &g);
        chaff_xfree(exact);
        if (st)
            return st == CHAFF_E_NOMEM ? st : CHAFF_E_MATCHER;
        struct rx_prog *none = NULL;
        if (!atomic_compare_exchange_strong_explicit(slot, &none, g, memory_order_acq_rel,
                                                     memory_order_acquire)) {
            rx_prog_free(g);
            g = none;
        }
    }
    *out = g;
    return CHAFF_OK;
}

/* ---- scratch ---------------------------------------------------------- */

chaff_status match_scratch_new(const struct chaff_rules *r, struct match_scratch **out)
{
    *out = NULL;
    struct match_scratch *s = chaff_xcalloc(1, sizeof *s);
    if (!s)
        return CHAFF_E_NOMEM;
    s->scan = pick_scan();
    if (r && r->n > 0) {
        s->n = r->n;
        s->stamp = chaff_xcalloc(r->n, sizeof *s->stamp);
        s->tried = chaff_xcalloc(r->n, sizeof *s->tried);
        s->hits = chaff_xmalloc((size_t)r->n * sizeof *s->hits);
        s->memo = chaff_xcalloc(MEMO_SETS, sizeof *s->memo);
        if (!s->stamp || !s->tried || !s->hits || !s->memo) {
            match_scratch_free(s);
            return CHAFF_E_NOMEM;
        }
        hs_error_t he = r->scratch_proto ? hs_clone_scratch(r->scratch_proto, &s->hs) : HS_SUCCESS;
        if (he != HS_SUCCESS) {
            s->hs = NULL;
            match_scratch_free(s);
            return he == HS_NOMEM ? CHAFF_E_NOMEM : CHAFF_E_MATCHER;
        }
    }
    *out = s;
    return CHAFF_OK;
}

void match_scratch_free(struct match_scratch *s)
{
    if (!s)
        return;
    if (s->hs)
        hs_free_scratch(s->hs);
    chaff_xfree(s->stamp);
    chaff_xfree(s->tried);
    chaff_xfree(s->hits);
    chaff_xfree(s->memo);
    rx_work_free(&s->work);
    chaff_xfree(s);
}

/* ---- scanning --------------------------------------------------------- */

/* The code point ending just before s[at] (at > 0); s is valid UTF-8. */
static uint32_t cp_before(const char *s, size_t at)
{
    size_t b = at - 1;
    while (b > 0 && ((unsigned char)s[b] & 0xc0) == 0x80 && at - b < 4)
        b--;
    UChar32 c;
    int32_t i = 0;
    U8_NEXT((const uint8_t *)s + b, i, (int32_t)(at - b), c);
    return c < 0 ? 0xfffd : (uint32_t)c;
}

/* The code point starting at s[at] (at < len). */
static uint32_t cp_at(const char *s, size_t at, size_t len)
{
    UChar32 c;
    int32_t i = 0;
    size_t n = len - at < 4 ? len - at : 4;
    U8_NEXT((const uint8_t *)s + at, i, (int32_t)n, c);
    return c < 0 ? 0xfffd : (uint32_t)c;
}

struct scan_ctx {
    const struct chaff_rules *r;
    const struct rules_part *p;
    struct match_scratch *s;
    const char *key;
    size_t len;
    chaff_status err;
};

static void add_hit(struct match_scratch *s, uint32_t id, uint64_t end, int exact)
{
    if (s->stamp[id] == s->gen)
        return;
    s->stamp[id] = s->gen;
    s->hits[s->n_hits++] = (struct hit){end << 1 | (uint64_t)(exact != 0), id};
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
    (void)from;
    (void)flags;
    struct scan_ctx *c = ud;
    if (NEVER(id >= c->p->n))
        return 0;
    uint32_t gid = c->p->first + id;
    if (c->s->stamp[gid] == c->s->gen)
        return 0;
    const struct rule *ru = &c->r->v[gid];
    if (ru->form == RF_LITERAL) {
        /* a phrase: its word edges */
        if (NEVER(ru->plen > to) || NEVER(to > c->len))
            return 0;
        size_t at = (size_t)to - ru->plen;
        if ((ru->edges & 1) && at > 0 && rules_word_char(cp_before(c->key, at)))
            return 0;
        if ((ru->edges & 2) && to < c->len && rules_word_char(cp_at(c->key, (size_t)to, c->len)))
            return 0;
    } else if (ru->form == RF_VERIFIED) {
        /* a superset matched: does the regex itself, and where first? */
        const struct rx_prog *g = NULL;
        bool ok = false;
        size_t end = 0;
        chaff_status st = NEVER(!c->p->progs) ? CHAFF_E_MATCHER : prog_of(c->r, c->p, id, &g);
        if (st == CHAFF_OK)
            st = rx_match(g, c->key, c->len, &c->s->work, &ok, &end);
        if (st) {
            c->err = st;
            return 1; /* stop the scan */
        }
        if (!ok)
            return 0;
        to = end;
    }
    add_hit(c->s, gid, to, 0);
    return 0;
}

/* FNV-1a over 8-byte words: keys are short, and a bad spread only costs
 * memo misses, never a wrong answer (entries compare whole keys). */
static uint64_t key_hash(const char *key, size_t len) { return hash_key(key, len); }

/* Make the hashes of want (MH_*) of key[0..len) that kh lacks. */
static void hashes_need(struct match_hint *kh, const char *key, size_t len, unsigned want)
{
    want &= ~kh->have;
    if (want & MH_MEMO)
        kh->memo = key_hash(key, len);
    if (want & MH_WHOLE)
        kh->whole = rules_key_hash(key, len);
    if (want & MH_HEADS)
        for (unsigned w = 0; w < 2; w++) {
            size_t hl = rules_head_len(key, len, w ? RULES_HEAD : 1);
            kh->head_len[w] = (uint32_t)hl;
            kh->head[w] = rules_key_hash(key, hl);
        }
    kh->have |= want;
}

/* Which databases a line of n_chars characters is scanned with: bit
 * (part * RULES_MAX_DB + k).  n_chars 0: every one. */
static uint32_t tiers_for(const struct chaff_rules *r, uint32_t n_chars)
{
    uint32_t m = 0;
    for (uint32_t k = 0; k < r->n_parts && k < 8; k++)
        for (uint32_t j = 0; j < r->part[k].n_hs; j++)
            if (n_chars <= r->part[k].hs[j].max_chars)
                m |= 1u << (k * RULES_MAX_DB + j);
    return m;
}

/* The first entry of key[0..len), whose rules_key_hash is h, in table t,
 * or UINT32_MAX. */
static uint32_t lookup(const struct key_table *t, const char *key, size_t len, uint32_t h)
{
    uint32_t cap = t->cap;
    for (uint32_t slot = h & (cap - 1);; slot = (slot + 1) & (cap - 1)) {
        uint32_t e = t->slot[slot];
        if (e == UINT32_MAX || (t->v[e].len == len && memcmp(t->keys + t->v[e].key, key, len) == 0))
            return e;
    }
}

/* The first entry of the heads table whose prefix begins with the head
 * key[0..hl) (hl: one or RULES_HEAD code points; h its rules_key_hash), or
 * UINT32_MAX. */
static uint32_t lookup_head(const struct key_table *t, const char *key, size_t hl, uint32_t h)
{
    if (!t->cap)
        return UINT32_MAX;
    uint32_t cap = t->cap;
    for (uint32_t slot = h & (cap - 1);; slot = (slot + 1) & (cap - 1)) {
        uint32_t e = t->slot[slot];
        if (e == UINT32_MAX)
            return e;
        const char *k = t->keys + t->v[e].key;
        if (rules_head_len(k, t->v[e].len, RULES_HEAD) == hl && memcmp(k, key, hl) == 0)
            return e;
    }
}

/* Anchored rule `rule` (local to p), whose prefix key begins with: unless
 * reported or run already in this call, or its @maxlen rules the line
 * out, run its exact program over the key and report a match. */
static chaff_status try_anchored(const struct chaff_rules *r, const struct rules_part *p,
                                 struct match_scratch *s, uint32_t rule, const char *key,
                                 size_t len, uint32_t n_chars)
{
    uint32_t gid = p->first + rule;
    if (s->stamp[gid] == s->gen || s->tried[gid] == s->gen)
        return CHAFF_OK;
    const struct rule *ru = &r->v[gid];
    if (n_chars && ru->maxlen && n_chars > ru->maxlen)
        return CHAFF_OK; /* its guard would reject it */
    s->tried[gid] = s->gen;
    const struct rx_prog *g = NULL;
    bool ok = false;
    size_t end = 0;
    chaff_status st = prog_of(r, p, rule, &g);
    if (st == CHAFF_OK)
        st = rx_match(g, key, len, &s->work, &ok, &end);
    if (st == CHAFF_OK && ok)
        add_hit(s, gid, end, 0);
    return st;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->ord != y->ord)
        return x->ord < y->ord ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

void match_prefetch(const struct chaff_rules *r, const struct match_scratch *s, const char *key,
                    size_t len, struct match_hint *kh)
{
    kh->have = 0;
    if (!r || r->n == 0 || !s || !s->memo || !key || !len)
        return;
    if (len <= MEMO_KEY) {
        hashes_need(kh, key, len, MH_MEMO);
        const struct memo_set *set = &s->memo[kh->memo & (MEMO_SETS - 1)];
        __builtin_prefetch(&set->e[0]);
        __builtin_prefetch(&set->e[1]);
    }
    for (uint32_t k = 0; k < r->n_parts; k++) {
        const struct rules_part *p = &r->part[k];
        if (p->exact.cap && len <= p->exact.max_len) {
            hashes_need(kh, key, len, MH_WHOLE);
            __builtin_prefetch(&p->exact.slot[kh->whole & (p->exact.cap - 1)]);
        }
        if (p->heads.cap) {
            hashes_need(kh, key, len, MH_HEADS);
            __builtin_prefetch(&p->heads.slot[kh->head[0] & (p->heads.cap - 1)]);
            __builtin_prefetch(&p->heads.slot[kh->head[1] & (p->heads.cap - 1)]);
        }
    }
}

chaff_status match_line(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                        size_t len, uint32_t n_chars, match_fn fn, void *ud)
{
    return match_line_hint(r, s, key, len, n_chars, NULL, fn, ud);
}

chaff_status match_line_hint(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                             size_t len, uint32_t n_chars, const struct match_hint *hint,
                             match_fn fn, void *ud)
{
    if (!r || r->n == 0)
        return CHAFF_OK;
    if (!s || (r->scratch_proto && !s->hs) || NEVER(s->n != r->n))
        return CHAFF_E_INVAL;
    if (len > UINT_MAX)
        return CHAFF_E_TOOBIG;
    if (++s->gen == 0) {
        /* wrapped: forget every old stamp */
        memset(s->stamp, 0, (size_t)s->n * sizeof *s->stamp);
        memset(s->tried, 0, (size_t)s->n * sizeof *s->tried);
        s->gen = 1;
    }
    key = key ? key : "";
    uint32_t tiers = tiers_for(r, n_chars);
    struct memo_set *set = NULL;
    uint64_t h = 0;
    struct match_hint hashes = {0}, *kh = &hashes;
    if (hint)
        hashes = *hint;
    if (len > 0 && len <= MEMO_KEY) {
        hashes_need(kh, key, len, MH_MEMO);
        h = kh->memo;
        set = &s->memo[h & (MEMO_SETS - 1)];
        for (unsigned way = 0; way < 2; way++) {
            const struct memo_entry *e = &set->e[way];
            if (e->hash == h && e->len == len && e->tiers == tiers &&
                memcmp(e->key, key, len) == 0) {
                set->recent = (uint8_t)way;
                for (unsigned k = 0; k < e->n_ids; k++)
                    fn(ud, e->ids[k]);
                return CHAFF_OK;
            }
        }
    }
    s->n_hits = 0;
    for (uint32_t k = 0; k < r->n_parts; k++) {
        const struct rules_part *p = &r->part[k];
        struct scan_ctx c = {r, p, s, key, len, CHAFF_OK};
        for (uint32_t j = 0; j < p->n_hs; j++) {
            if (n_chars > p->hs[j].max_chars)
                continue; /* no rule of this tier can fire on so long a line */
            hs_error_t he = s->scan(p->hs[j].db, key, (unsigned)len, 0, s->hs, on_match, &c);
            if (c.err)
                return c.err;
            if (he != HS_SUCCESS)
                return CHAFF_E_MATCHER;
        }
        /* the table: exact rules and expanded regexes, the whole key */
        uint32_t e = UINT32_MAX;
        if (p->exact.cap && len <= p->exact.max_len) { /* most lines: longer than any */
            hashes_need(kh, key, len, MH_WHOLE);
            e = lookup(&p->exact, key, len, kh->whole);
        }
        for (; e != UINT32_MAX; e = p->exact.v[e].next) {
            uint32_t gid = p->first + p->exact.v[e].rule;
            add_hit(s, gid, len, r->v[gid].match == RM_EXACT);
        }
        /* anchored regexes: those with a prefix the key begins with, run */
        if (p->heads.cap && len > 0) {
            const struct heads_scan *hsn = p->heads_scan;
            hashes_need(kh, key, len, MH_HEADS);
            for (int w = 0; w < 2; w++) {
                if (w == 1 && kh->head_len[1] == kh->head_len[0])
                    break;
                size_t hl = kh->head_len[w];
                e = lookup_head(&p->heads, key, hl, kh->head[w]);
                if (e == UINT32_MAX)
                    continue;
                if (hsn) {
                    uint64_t kb = bytes8(key, hl, len);
                    const struct head_rec *rc = &hsn->rec[hsn->at[e]], *end = rc + hsn->n[e];
                    for (; rc < end; rc++) {
                        if (rc->len > len || ((kb ^ rc->after) & rc->mask) ||
                            memcmp(p->heads.keys + rc->key, key, rc->len) != 0)
                            continue;
                        chaff_status st = try_anchored(r, p, s, rc->rule, key, len, n_chars);
                        if (st)
                            return st;
                    }
                    continue;
                }
                for (; e != UINT32_MAX; e = p->heads.v[e].next) {
                    const struct exact_entry *x = &p->heads.v[e];
                    if (x->len > len || memcmp(p->heads.keys + x->key, key, x->len) != 0)
                        continue;
                    chaff_status st = try_anchored(r, p, s, x->rule, key, len, n_chars);
                    if (st)
                        return st;
                }
            }
        }
    }
    /* report in order (see "Order" above) */
    if (s->n_hits > 16) {
        qsort(s->hits, s->n_hits, sizeof *s->hits, cmp_hit);
    } else {
        for (uint32_t i = 1; i < s->n_hits; i++) {
            struct hit x = s->hits[i];
            uint32_t j = i;
            for (; j > 0 && cmp_hit(&s->hits[j - 1], &x) > 0; j--)
                s->hits[j] = s->hits[j - 1];
            s->hits[j] = x;
        }
    }
    for (uint32_t i = 0; i < s->n_hits; i++)
        fn(ud, s->hits[i].id);
    if (set && s->n_hits <= MEMO_IDS) {
        unsigned way = set->recent ^ 1u;
        struct memo_entry *e = &set->e[way];
        e->hash = h;
        e->len = (uint8_t)len;
        e->tiers = tiers;
        e->n_ids = (uint8_t)s->n_hits;
        for (uint32_t i = 0; i < s->n_hits; i++)
            e->ids[i] = s->hits[i].id;
        memcpy(e->key, key, len);
        set->recent = (uint8_t)way;
    }
    return CHAFF_OK;
}

chaff_status match_key(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                       size_t len, match_fn fn, void *ud)
{
    return match_line(r, s, key, len, 0, fn, ud);
}
