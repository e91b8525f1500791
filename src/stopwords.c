/*
 * stopwords.c — function words per language, and a line's language.
 *
 * The lists (rules/<lang>/stopwords.txt, embedded by scripts/embed.sh) are
 * read once, on first use, into one open-addressing table that maps a
 * word's hash to the word and the mask of languages whose list holds it
 * ("a" is English, Spanish, Italian and Portuguese).  The table is built
 * under pthread_once and only read afterwards, so threads share it.
 *
 * A line's words are taken from its match key, which is already
 * casefolded and NFKC: a word is a run of letters (any script a language
 * of lang.c is written in; stray combining marks skipped), an apostrophe allowed
 * between two letters; each Han or kana character is looked up alone,
 * since Chinese and Japanese are not written with spaces and their
 * function words ("的", "の") are single characters.  Greek words lose
 * their accents (the Greek list is written without most of them).  Words
 * longer than SW_WORD_MAX bytes are no function words and are skipped.
 *
 * Cost: one pass over the key with a hash per word; no allocation.
 */
#include "stopwords.h"

#include <pthread.h>
#include <string.h>

#include "embed.h"
#include "lang.h"
#include "normalize.h"
#include "utf8.h"

#define SW_WORD_MAX 48
#define SW_CAP 16384 /* a power of two, more than twice the words of all lists */

struct sw_entry {
    const char *w; /* in the embedded list; NULL = empty slot */
    uint32_t len;
    uint32_t mask;
};

/* Most words looked up are not function words.  A word first tests one bit
 * of an 8 KB filter (bit h >> 16 of its hash; a few thousand words set
 * about one bit in fifteen), which stays in the first-level cache where
 * the table does not, so most words leave without a probe.  A probe reads
 * the 4-byte tag of a slot (its word's hash, 0 = empty) in a 64 KB array,
 * and only a tag that matches sends it to the entry and the word. */
#define SW_FILTER_BITS 65536
static uint64_t sw_filter[SW_FILTER_BITS / 64];
static uint32_t sw_tag[SW_CAP];
static struct sw_entry sw_table[SW_CAP];
static pthread_once_t sw_once = PTHREAD_ONCE_INIT;

/* Han and kana characters are looked up one at a time, and few of them
 * are function words: a bit per code point of U+3000 .. U+9FFF says which
 * one a list holds, so the others are counted without a hash. */
#define SW_CJK_FIRST 0x3000u
#define SW_CJK_N (0xa000u - SW_CJK_FIRST)
static uint64_t sw_cjk[SW_CJK_N / 64];

/* May a list hold the one character c?  Only when its bit is set, for c
 * in sw_cjk's range; outside it, nothing is known. */
static inline bool sw_cjk_may(uint32_t c)
{
    return c - SW_CJK_FIRST >= SW_CJK_N ||
           (sw_cjk[(c - SW_CJK_FIRST) / 64] >> ((c - SW_CJK_FIRST) % 64) & 1);
}

/* A word's hash is made as sw_tally_key gathers it, a byte at a time
 * (sw_step: a rotate and an xor, so the chain through a word's bytes is
 * short), and mixed once when the word ends (sw_tag_of); a tag is never 0
 * (sw_tag). */
#define SW_HASH_INIT 0u

static inline uint64_t sw_step(uint64_t h, unsigned char b) { return ((h << 7) | (h >> 57)) ^ b; }

static inline uint32_t sw_tag_of(uint64_t h)
{
    uint32_t t = (uint32_t)(((h ^ (h >> 29)) * 0x9e3779b97f4a7c15ull) >> 32);
    return t ? t : 1;
}

static uint32_t sw_hash(const char *w, size_t len)
{
    uint64_t h = SW_HASH_INIT;
    for (size_t i = 0; i < len; i++)
        h = sw_step(h, (unsigned char)w[i]);
    return sw_tag_of(h);
}

static void sw_add(const char *w, size_t len, uint32_t mask)
{
    if (!len || len > SW_WORD_MAX)
        return;
    uint32_t h = sw_hash(w, len);
    for (uint32_t s = h & (SW_CAP - 1);; s = (s + 1) & (SW_CAP - 1)) {
        struct sw_entry *e = &sw_table[s];
        if (!e->w) {
            sw_tag[s] = h;
            sw_filter[(h >> 16) / 64] |= 1ull << ((h >> 16) % 64);
            e->w = w;
            e->len = (uint32_t)len;
            e->mask = mask;
            return;
        }
        if (e->len == len && memcmp(e->w, w, len) == 0) {
            e->mask |= mask;
            return;
        }
    }
}

/* Mark in sw_cjk the word w[0..len) when it is one character of its range. */
static void sw_mark_cjk(const char *w, size_t len)
{
    size_t i = 0;
    uint32_t c = norm_next(w, len, &i);
    if (i == len && c - SW_CJK_FIRST < SW_CJK_N)
        sw_cjk[(c - SW_CJK_FIRST) / 64] |= 1ull << ((c - SW_CJK_FIRST) % 64);
}

/* The language of "rules/<lang>/stopwords.txt": the name of its folder. */
static uint32_t file_lang(const char *name)
{
    const char *end = strrchr(name, '/');
    if (!end)
        return 0;
    const char *start = end;
    while (start > name && start[-1] != '/')
        start--;
    return lang_from_code(start, (size_t)(end - start));
}

static void sw_init(void)
{
    size_t used = 0;
    for (const struct embed_file *f = embed_stopwords; f->name; f++) {
        uint32_t mask = file_lang(f->name);
        if (!mask || mask == LANG_ALL)
            continue;
        for (const char *p = f->data, *end = f->data + f->len; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)((nl ? nl : end) - p);
            if (n && p[0] != '!' && used * 2 < SW_CAP) {
                sw_add(p, n, mask);
                sw_mark_cjk(p, n);
                used++;
            }
            p = nl ? nl + 1 : end;
        }
    }
}

/* Do a[0..len) and b[0..len) hold the same bytes?  A function word is a
 * few bytes: a loop here costs less than a call to memcmp. */
static inline int sw_same(const char *a, const char *b, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (a[k] != b[k])
            return 0;
    return 1;
}

/* sw_lookup once the table is built, for a word whose sw_hash is h. */
static inline uint32_t sw_find(const char *w, size_t len, uint32_t h)
{
    if (!len || len > SW_WORD_MAX)
        return 0;
    if (!(sw_filter[(h >> 16) / 64] & (1ull << ((h >> 16) % 64))))
        return 0;
    for (uint32_t s = h & (SW_CAP - 1);; s = (s + 1) & (SW_CAP - 1)) {
        uint32_t tag = sw_tag[s];
        if (!tag)
            return 0;
        const struct sw_entry *e = &sw_table[s];
        if (tag == h && e->len == len && sw_same(e->w, w, len))
            return e->mask;
    }
}

uint32_t sw_lookup(const char *w, size_t len)
{
    pthread_once(&sw_once, sw_init);
    return sw_find(w, len, sw_hash(w, len));
}

/* Greek vowels with tonos or dialytika, lowercase (a key is casefolded),
 * and the letter without them. */
static uint32_t greek_base(uint32_t c)
{
    switch (c) {
    case 0x3ac: return 0x3b1; /* ά */
    case 0x3ad: return 0x3b5; /* έ */
    case 0x3ae: return 0x3b7; /* ή */
    case 0x3af:
    case 0x3ca:
    case 0x390: return 0x3b9; /* ί ϊ ΐ */
    case 0x3cc: return 0x3bf; /* ό */
    case 0x3cd:
    case 0x3cb:
    case 0x3b0: return 0x3c5; /* ύ ϋ ΰ */
    case 0x3ce: return 0x3c9; /* ώ */
    }
    return c;
}

/* Count the word w[0..len), whose running sw_step hash is h. */
static void tally_word(struct sw_tally *t, const char *w, size_t len, uint64_t h)
{
    if (t->n_words < UINT16_MAX)
        t->n_words++;
    uint32_t m = sw_find(w, len, sw_tag_of(h)); /* sw_tally_key built the table */
    if (!m)
        return;
    if (t->n_stop < UINT16_MAX)
        t->n_stop++;
    for (; m; m &= m - 1) {
        unsigned k = (unsigned)__builtin_ctz(m);
        if (t->per_lang[k] < UINT16_MAX)
            t->per_lang[k]++;
    }
}

/* A letter follows: an apostrophe that waited (*apos) joins the word
 * w[0..*wl), whose hash is *wh, before it. */
static inline void word_apos(char *w, size_t *wl, uint64_t *wh, int *apos)
{
    if (*apos && *wl < SW_WORD_MAX) {
        w[(*wl)++] = '\'';
        *wh = sw_step(*wh, '\'');
    }
    *apos = 0;
}

/* The word w[0..*wl) ends: counted unless it is too long or not in the
 * script looked up, and a new one starts. */
static inline void word_end(struct sw_tally *t, const char *w, size_t *wl, uint64_t *wh,
                            int *too_long, int *apos, int wanted)
{
    if (*wl && !*too_long && wanted)
        tally_word(t, w, *wl, *wh);
    *wl = 0;
    *wh = SW_HASH_INIT;
    *too_long = *apos = 0;
}

void sw_tally_key(const char *key, size_t len, unsigned script, struct sw_tally *t)
{
    int cjk_line = script == SCRIPT_HAN || script == SCRIPT_KANA;
    memset(t, 0, sizeof *t);
    pthread_once(&sw_once, sw_init);
    char w[SW_WORD_MAX + 4];
    size_t wl = 0;
    uint64_t wh = SW_HASH_INIT; /* sw_step over w[0..wl) */
    int too_long = 0, apos = 0; /* an apostrophe waits for the next letter */
    int wanted = 0;             /* the word is in the script looked up */
    for (size_t i = 0; i <= len;) {
        uint32_t c = 0;
        if (i < len) {
            unsigned char b = (unsigned char)key[i];
            if (b >= 'a' && b <= 'z') {
                /* the common case, a Latin letter of a key (keys are
                 * casefolded): straight into the word */
                if (!wl)
                    wanted = script == SCRIPT_OTHER || script == SCRIPT_LATIN;
                word_apos(w, &wl, &wh, &apos);
                /* and the rest of the run of them */
                do {
                    if (wl < SW_WORD_MAX) {
                        w[wl++] = (char)b;
                        wh = sw_step(wh, b);
                    } else {
                        too_long = 1;
                    }
                } while (++i < len && (b = (unsigned char)key[i]) >= 'a' && b <= 'z');
                continue;
            }
            if (b < 0x80 && !(b >= 'A' && b <= 'Z')) {
                /* the next common case, an ASCII byte that is no letter:
                 * what the general steps below do with it, without
                 * asking for its script */
                i++;
                if (b == '\'' && wl && !apos) {
                    apos = 1;
                    continue;
                }
                word_end(t, w, &wl, &wh, &too_long, &apos, wanted);
                continue;
            }
            if (b < 0x80) {
                c = b;
                i++;
            } else {
                c = norm_next(key, len, &i);
            }
        } else {
            i++; /* the end: flush the last word */
        }
        enum lang_script s = c ? lang_script_of(c) : SCRIPT_OTHER;
        if (c >= 0x300 && c < 0x370 && wl)
            continue; /* a combining mark: keys are NFC, so only a stray one */
        if (s == SCRIPT_HAN || s == SCRIPT_KANA) {
            word_end(t, w, &wl, &wh, &too_long, &apos, wanted);
            if (!cjk_line && script != SCRIPT_OTHER)
                continue; /* not looked up on a line of another script */
            if (!sw_cjk_may(c)) {
                if (t->n_words < UINT16_MAX)
                    t->n_words++; /* what tally_word does with a word no list holds */
            } else {
                char one[4];
                size_t n = utf8_put(one, c);
                uint64_t h1 = SW_HASH_INIT;
                for (size_t k = 0; k < n; k++)
                    h1 = sw_step(h1, (unsigned char)one[k]);
                tally_word(t, one, n, h1);
            }
            continue;
        }
        if (s != SCRIPT_OTHER) {
            if (!wl)
                wanted = script == SCRIPT_OTHER || (unsigned)s == script;
            if (s == SCRIPT_GREEK)
                c = greek_base(c);
            word_apos(w, &wl, &wh, &apos);
            if (wl + 4 <= SW_WORD_MAX) {
                size_t n = utf8_put(w + wl, c);
                for (size_t k = 0; k < n; k++)
                    wh = sw_step(wh, (unsigned char)w[wl + k]);
                wl += n;
            } else
                too_long = 1;
            continue;
        }
        if ((c == '\'' || c == 0x2019) && wl && !apos) {
            apos = 1;
            continue;
        }
        word_end(t, w, &wl, &wh, &too_long, &apos, wanted);
    }
}

void sw_doc(struct doc *d)
{
    /* languages of the lang.c table written in each script, read once:
     * a document may be one line (-f lines) */
    uint32_t script_langs[SCRIPT_COUNT];
    lang_script_masks(script_langs);
    uint32_t best_lines[SW_MAX_LANG] = {0};
    uint32_t named = 0; /* languages some line's stop words name alone */
    /* 1. each line's own verdict: the languages with the most stop words */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        L->lang_mask = 0;
        L->n_stop = L->n_sw_words = 0;
        if (!L->len || !L->key)
            continue;
        struct sw_tally t;
        sw_tally_key(L->key, L->key_len, L->f.script, &t);
        L->n_stop = t.n_stop;
        L->n_sw_words = t.n_words;
        uint16_t best = 0;
        uint32_t m = 0;
        for (unsigned k = 0; t.n_stop && k < SW_MAX_LANG; k++) {
            if (t.per_lang[k] > best) {
                best = t.per_lang[k];
                m = 1u << k;
            } else if (best && t.per_lang[k] == best) {
                m |= 1u << k;
            }
        }
        L->lang_mask = m; /* the stop words' verdict; settled below */
        if (m && !(m & (m - 1))) {
            best_lines[__builtin_ctz(m)]++;
            named |= m;
        }
    }
    /* 2. the document's languages: those that a real share of the lines
     * whose stop words name one language alone are written in */
    uint32_t per_script_total[SCRIPT_COUNT] = {0};
    for (int s = 1; s < SCRIPT_COUNT; s++)
        for (uint32_t b = script_langs[s] & named; b; b &= b - 1)
            per_script_total[s] += best_lines[__builtin_ctz(b)];
    uint32_t text = 0;
    for (uint32_t b = named; b; b &= b - 1) {
        unsigned k = (unsigned)__builtin_ctz(b);
        if (best_lines[k] < 2)
            continue;
        for (int s = 1; s < SCRIPT_COUNT; s++)
            if ((script_langs[s] & (1u << k)) && best_lines[k] * 10 >= per_script_total[s])
                text |= 1u << k;
    }
    d->langs_text = text;
    if (d->langs_given) { /* the caller's word: every line is in its languages */
        for (uint32_t i = 0; i < d->n_lines; i++)
            d->lines[i].lang_mask = d->langs;
        d->langs_text = d->langs;
        return;
    }
    /* 3. settle each line */
    const uint32_t ja = lang_from_code("ja", 2);
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len)
            continue;
        uint32_t m = L->lang_mask;
        uint32_t in_script = 0; /* languages written in a script the line uses */
        for (int sc = 1; sc < SCRIPT_COUNT; sc++)
            if (L->f.scripts & (1u << sc))
                in_script |= script_langs[sc];
        if (m && (m & (m - 1)) && (m & text))
            m &= text; /* a tie that the document's language breaks */
        if (!m) {
            /* no stop words: any language of the document in this script */
            m = text & in_script;
            if (!m)
                m = d->langs & (in_script ? in_script : d->langs);
            if (!m)
                m = d->langs;
        }
        /* kana is written only in Japanese, whatever Han characters the
         * line shares with Chinese lists; Han alone says Chinese or
         * Japanese no better than the page does */
        const uint32_t han = script_langs[SCRIPT_HAN];
        if (L->f.scripts & (1u << SCRIPT_KANA))
            m = (m & ~han) | ja;
        else if ((L->f.scripts & (1u << SCRIPT_HAN)) && (text & han))
            m = (m & ~han) | (text & han);
        /* a line mixing scripts ("김민수 기자 minsu@example.com", "Πηγή:
         * Express.gr") is also in the document's languages of each */
        if (L->f.scripts & (L->f.scripts - 1u))
            m |= text & in_script;
        L->lang_mask = m;
    }
}
