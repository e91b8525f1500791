/*
 * match.c — scanning one line's key against the compiled rules (rules.h).
 *
 * How.  One hs_scan() per key over the database of phrase and regex rules
 * built by rules_compile.c, then one lookup of the whole key among the
 * exact rules (a hash table, rules.h).  Phrases arrive as bare literals,
 * so each report is checked here: a phrase counts only when its word edges
 * hold.  A phrase edge is checked when the phrase's
 * first (last) character is a letter or digit of a script written with
 * spaces; the neighbouring character of the key must then not be one, so
 * `share` is not found in `shareholders` while `分享到` is found inside
 * `分享到微信朋友圈`.  Each rule is reported at most once per call through
 * a generation-stamped array sized to the rule count, which costs nothing
 * to clear between lines.
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
 * a megabyte per thread); a key seen again is answered from the table, ids
 * in the order the scan reported them, without scanning.  The report set
 * depends on the key alone (rules are immutable), so a memo answer is the
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
 * databases are compiled for at most AVX2 (rules_compile.c), so the scan
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
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "alloc.h"

/* The AVX2 build of hs_scan in a fat Vectorscan runtime (see "Which
 * scan" above); not part of the documented API, hence weak. */
extern hs_error_t avx2_hs_scan(const hs_database_t *db, const char *data, unsigned length,
                               unsigned flags, hs_scratch_t *scratch,
                               match_event_handler on_event, void *context)
    __attribute__((weak));

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
    uint8_t len;  /* key length; 0 = empty (an empty key is never scanned) */
    uint8_t n_ids;
    char key[MEMO_KEY];
};

struct memo_set {
    struct memo_entry e[2];
    uint8_t recent; /* way used last: the other one is replaced */
};

struct match_scratch {
    hs_scratch_t *hs;
    scan_fn scan;    /* pick_scan() */
    uint32_t *stamp; /* stamp[id] == gen: id reported in this call */
    uint32_t *plen;  /* plen[id]: strlen of rule id's pattern */
    uint32_t gen;
    uint32_t n;
    struct memo_set *memo; /* MEMO_SETS sets */
};

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
        s->plen = chaff_xmalloc((size_t)r->n * sizeof *s->plen);
        s->memo = chaff_xcalloc(MEMO_SETS, sizeof *s->memo);
        if (!s->stamp || !s->plen || !s->memo) {
            match_scratch_free(s);
            return CHAFF_E_NOMEM;
        }
        for (uint32_t i = 0; i < r->n; i++) {
            size_t n = strlen(r->v[i].pat);
            s->plen[i] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
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
    chaff_xfree(s->plen);
    chaff_xfree(s->memo);
    chaff_xfree(s);
}

/* A letter or digit of a script written with spaces between words.  Han,
 * kana, Hangul (whose particles attach to the word), Thai and the other
 * scripts written without spaces never form word edges. */
static bool spaced_word_char(uint32_t c)
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
    case USCRIPT_YI:
        return false;
    default:
        return true;
    }
}

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
    struct match_scratch *s;
    const char *key;
    size_t len;
    match_fn fn;
    void *ud;
    uint32_t ids[MEMO_IDS]; /* reported so far, for the memo */
    uint32_t n_ids;         /* may exceed MEMO_IDS: then not remembered */
};

/* Does the literal rule ru (pattern length plen) really match the key at
 * [from, to)? */
static bool literal_ok(const struct rule *ru, size_t plen, const char *key, size_t len, size_t to)
{
    if (ru->match == RM_EXACT)
        return to == len && plen == len;
    if (NEVER(plen > to))
        return false;
    size_t from = to - plen;
    if (from > 0 && spaced_word_char(cp_at(ru->pat, 0, plen)) &&
        spaced_word_char(cp_before(key, from)))
        return false;
    if (to < len && spaced_word_char(cp_before(ru->pat, plen)) &&
        spaced_word_char(cp_at(key, to, len)))
        return false;
    return true;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ud)
{
    (void)from;
    (void)flags;
    struct scan_ctx *c = ud;
    if (NEVER(id >= c->s->n) || c->s->stamp[id] == c->s->gen)
        return 0;
    const struct rule *ru = &c->r->v[id];
    if (ru->match != RM_REGEX && !literal_ok(ru, c->s->plen[id], c->key, c->len, (size_t)to))
        return 0;
    c->s->stamp[id] = c->s->gen;
    if (c->n_ids < MEMO_IDS)
        c->ids[c->n_ids] = id;
    c->n_ids++;
    c->fn(c->ud, id);
    return 0;
}

/* FNV-1a over 8-byte words: keys are short, and a bad spread only costs
 * memo misses, never a wrong answer (entries compare whole keys). */
static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, key + i, len - i);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 32;
    return h;
}

chaff_status match_key(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                       size_t len, match_fn fn, void *ud)
{
    if (!r || r->n == 0)
        return CHAFF_OK;
    if (!s || (r->db && !s->hs) || NEVER(s->n != r->n))
        return CHAFF_E_INVAL;
    if (len > UINT_MAX)
        return CHAFF_E_TOOBIG;
    if (++s->gen == 0) {
        /* wrapped: forget every old stamp */
        memset(s->stamp, 0, (size_t)s->n * sizeof *s->stamp);
        s->gen = 1;
    }
    struct scan_ctx c = {.r = r, .s = s, .key = key ? key : "", .len = len, .fn = fn, .ud = ud};
    struct memo_set *set = NULL;
    uint64_t h = 0;
    if (len > 0 && len <= MEMO_KEY) {
        h = key_hash(c.key, len);
        set = &s->memo[h & (MEMO_SETS - 1)];
        for (unsigned way = 0; way < 2; way++) {
            const struct memo_entry *e = &set->e[way];
            if (e->hash == h && e->len == len && memcmp(e->key, c.key, len) == 0) {
                set->recent = (uint8_t)way;
                for (unsigned k = 0; k < e->n_ids; k++)
                    fn(ud, e->ids[k]);
                return CHAFF_OK;
            }
        }
    }
    if (r->db) {
        hs_error_t he = s->scan(r->db, c.key, (unsigned)len, 0, s->hs, on_match, &c);
        if (he != HS_SUCCESS)
            return CHAFF_E_MATCHER;
    }
    /* exact rules: the whole key, looked up (they end where the key ends,
     * so they come after every phrase and regex hit) */
    if (r->exact_cap && len <= UINT32_MAX) {
        uint32_t cap = r->exact_cap;
        for (uint32_t slot = rules_key_hash(c.key, len) & (cap - 1);; slot = (slot + 1) & (cap - 1)) {
            uint32_t id = r->exact_slot[slot];
            if (id == UINT32_MAX)
                break;
            if (s->plen[id] != len || memcmp(r->v[id].pat, c.key, len) != 0)
                continue;
            for (; id != UINT32_MAX; id = r->exact_next[id]) {
                if (c.n_ids < MEMO_IDS)
                    c.ids[c.n_ids] = id;
                c.n_ids++;
                fn(ud, id);
            }
            break;
        }
    }
    if (set && c.n_ids <= MEMO_IDS) {
        unsigned way = set->recent ^ 1u;
        struct memo_entry *e = &set->e[way];
        e->hash = h;
        e->len = (uint8_t)len;
        e->n_ids = (uint8_t)c.n_ids;
        memcpy(e->ids, c.ids, c.n_ids * sizeof *c.ids);
        memcpy(e->key, c.key, len);
        set->recent = (uint8_t)way;
    }
    return CHAFF_OK;
}
