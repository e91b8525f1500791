/*
 * learn.c — lines repeated across a site's pages (see learn.h).
 *
 * Sites are kept in an array found through a small hash table by host.
 * Lines are entries of one open-addressing table keyed by a 64-bit hash of
 * (site, match key), with the key text itself kept once in a byte buffer
 * so that collisions are told apart and the rule can be written.  A page
 * counts each of its lines once: its line hashes are sorted and repeats
 * skipped.  A page is counted once per URL: a set of 64-bit URL hashes
 * (open addressing, 0 meaning empty) tells a recrawl from a new page; two
 * URLs sharing a hash (about one chance in 10^6 among four million) make
 * the second look like a recrawl.  The set stops growing at the same cap
 * as the lines: past it a new URL is counted but not remembered.  When
 * the table holds more than its cap, every entry counted
 * `floor` times or fewer goes and floor rises (lossy counting): memory is
 * bounded by the cap, not by the corpus, and what survives is what recurs.
 *
 * A host becomes an @site line of a rule file, so it is checked before it
 * is counted (learn_host): a URL is data from the crawl, and a host that
 * carried a newline once wrote rules of its own into the file.  Hosts are
 * lowercased and held to what the rule parser takes as a site name; one
 * with non-ASCII letters must pass ICU's UTS #46 (IDNA) checks and is
 * written in its mapped Unicode form.  The hyphen checks of UTS #46 are
 * not applied: real hosts such as "r3---sn-x.example" break them.
 */
#include "learn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uidna.h>

#include "alloc.h"
#include "decode.h"
#include "hash.h"

struct site {
    char *host;
    uint64_t pages;
};

struct entry {
    uint64_t h; /* 0: empty slot */
    uint32_t site;
    uint32_t count;
    size_t off; /* key text at keys.p + off */
    uint32_t len;
};

struct learn {
    struct site *sites;
    uint32_t n_sites, cap_sites;
    uint32_t *site_slot; /* site index + 1, or 0 */
    uint32_t site_cap;
    struct entry *e;
    size_t cap, n, max;
    uint32_t floor; /* entries counted this often or less were dropped */
    struct buf keys;
    uint64_t *page; /* scratch: one page's line hashes and line numbers */
    size_t page_cap;
    uint64_t *urls; /* hashes of the URLs counted; 0: empty slot */
    size_t urls_cap, n_urls;
    uint64_t n_pages;  /* pages counted, all sites */
    uint64_t n_seen;   /* pages given, counted or not */
    bool last_counted; /* the page of the previous learn_page() call was */
};

/* file-local, reachable from the unit tests */
STATIC bool learn_sentence_like(const char *k, size_t n);

static uint64_t line_hash(uint32_t site, const char *key, size_t n)
{
    uint64_t h = hash64(HASH64_INIT ^ ((uint64_t)site * 0x9e3779b97f4a7c15ull), key, n);
    return h ? h : 1;
}

struct learn *learn_new(size_t max_entries)
{
    struct learn *l = chaff_xcalloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->max = max_entries ? max_entries : LEARN_MAX_DEFAULT;
    buf_init(&l->keys, 0);
    return l;
}

void learn_free(struct learn *l)
{
    if (!l)
        return;
    for (uint32_t i = 0; i < l->n_sites; i++)
        chaff_xfree(l->sites[i].host);
    chaff_xfree(l->sites);
    chaff_xfree(l->site_slot);
    chaff_xfree(l->e);
    chaff_xfree(l->page);
    chaff_xfree(l->urls);
    buf_free(&l->keys);
    chaff_xfree(l);
}

/* The index of site host, added when new; UINT32_MAX on no memory. */
static uint32_t site_of(struct learn *l, const char *host, size_t n)
{
    if ((l->n_sites + 1) * 2 > l->site_cap) {
        uint32_t cap = l->site_cap ? l->site_cap * 2 : 64;
        uint32_t *slot = chaff_xcalloc(cap, sizeof *slot);
        if (!slot)
            return UINT32_MAX;
        for (uint32_t i = 0; i < l->n_sites; i++) {
            const char *h = l->sites[i].host;
            uint32_t k = (uint32_t)hash64(HASH64_INIT, h, strlen(h)) & (cap - 1);
            while (slot[k])
                k = (k + 1) & (cap - 1);
            slot[k] = i + 1;
        }
        chaff_xfree(l->site_slot);
        l->site_slot = slot;
        l->site_cap = cap;
    }
    uint32_t k = (uint32_t)hash64(HASH64_INIT, host, n) & (l->site_cap - 1);
    for (; l->site_slot[k]; k = (k + 1) & (l->site_cap - 1)) {
        const char *h = l->sites[l->site_slot[k] - 1].host;
        if (strlen(h) == n && memcmp(h, host, n) == 0)
            return l->site_slot[k] - 1;
    }
    if (l->n_sites == l->cap_sites) {
        uint32_t cap = l->cap_sites ? l->cap_sites * 2 : 16;
        struct site *s = chaff_xrealloc(l->sites, (size_t)cap * sizeof *s);
        if (!s)
            return UINT32_MAX;
        l->sites = s;
        l->cap_sites = cap;
    }
    char *copy = chaff_xmalloc(n + 1);
    if (!copy)
        return UINT32_MAX;
    memcpy(copy, host, n);
    copy[n] = '\0';
    l->sites[l->n_sites] = (struct site){copy, 0};
    l->site_slot[k] = ++l->n_sites;
    return l->n_sites - 1;
}

/* Place e in table t of capacity cap (a power of two). */
static void place(struct entry *t, size_t cap, const struct entry *e)
{
    size_t k = (size_t)e->h & (cap - 1);
    while (t[k].h)
        k = (k + 1) & (cap - 1);
    t[k] = *e;
}

/* Rebuild the table at capacity cap, keeping entries counted more than
 * floor times and their key text only. */
static chaff_status rebuild(struct learn *l, size_t cap)
{
    struct entry *t = chaff_xcalloc(cap, sizeof *t);
    if (!t)
        return CHAFF_E_NOMEM;
    struct buf keys;
    buf_init(&keys, 0);
    size_t n = 0;
    for (size_t i = 0; i < l->cap; i++) {
        struct entry e = l->e[i];
        if (!e.h || e.count <= l->floor)
            continue;
        size_t off = keys.len;
        buf_add(&keys, l->keys.p + e.off, e.len);
        e.off = off;
        place(t, cap, &e);
        n++;
    }
    if (keys.err) {
        chaff_xfree(t);
        buf_free(&keys);
        return keys.err;
    }
    chaff_xfree(l->e);
    buf_free(&l->keys);
    l->e = t;
    l->cap = cap;
    l->n = n;
    l->keys = keys;
    return CHAFF_OK;
}

/* Add count to (site, key) whose hash is h. */
static chaff_status add(struct learn *l, uint32_t site, const char *key, size_t n, uint64_t h,
                        uint32_t count)
{
    if ((l->n + 1) * 10 > l->cap * 7) {
        chaff_status st = rebuild(l, l->cap ? l->cap * 2 : 1024);
        if (st)
            return st;
    }
    size_t k = (size_t)h & (l->cap - 1);
    for (; l->e[k].h; k = (k + 1) & (l->cap - 1)) {
        struct entry *e = &l->e[k];
        if (e->h == h && e->site == site && e->len == n &&
            memcmp(l->keys.p + e->off, key, n) == 0) {
            e->count = e->count > UINT32_MAX - count ? UINT32_MAX : e->count + count;
            return CHAFF_OK;
        }
    }
    size_t off = l->keys.len;
    if (buf_add(&l->keys, key, n))
        return l->keys.err;
    l->e[k] = (struct entry){h, site, count, off, (uint32_t)n};
    l->n++;
    /* over the cap: the rarest go until a quarter of the room is free */
    if (l->n > l->max)
        do {
            l->floor++;
            chaff_status st = rebuild(l, l->cap);
            if (st)
                return st;
        } while (l->n > l->max * 3 / 4);
    return CHAFF_OK;
}

static int cmp_u64_pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* ASCII host bytes a rule file's @site takes: letters (lowercased before
 * the check), digits, '-', '_' and '.'; bytes from 0x80 are UTF-8, checked
 * by ICU.  Keep in sync with valid_scope() in rules_parse.c. */
static int host_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c >= 0x80;
}

/* Labels of 1 to 63 bytes between dots, none at either end. */
static int host_labels(const char *s, size_t n)
{
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '.') {
            if (++label > 63)
                return 0;
        } else if (label == 0) {
            return 0;
        } else {
            label = 0;
        }
    }
    return label > 0;
}

/* The UTS #46 errors that make a host unusable (see the file comment). */
#define HOST_IDNA_ERRORS                                                                           \
    (~(uint32_t)(UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4))

size_t learn_host(const char *host, size_t n, char out[LEARN_HOST_MAX + 1])
{
    if (!host || n == 0 || n > LEARN_HOST_MAX)
        return 0;
    int ascii = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (!host_byte((unsigned char)out[i]))
            return 0; /* controls, spaces, '/', '@', ':', '[' ... */
        ascii &= c < 0x80;
    }
    out[n] = '\0';
    if (!host_labels(out, n) || (!ascii && !dec_valid_utf8(out, n)))
        return 0;
    UErrorCode err = U_ZERO_ERROR;
    UIDNA *idna =
        uidna_openUTS46(UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII |
                            UIDNA_NONTRANSITIONAL_TO_UNICODE,
                        &err);
    if (U_FAILURE(err))
        return 0;
    /* toASCII checks what a resolver would get (lengths, Punycode of
     * xn-- labels); the Unicode form is what is written for a non-ASCII
     * host, an ASCII one staying as the URL had it */
    char ace[LEARN_HOST_MAX + 1], uni[LEARN_HOST_MAX + 1];
    UIDNAInfo info = UIDNA_INFO_INITIALIZER;
    int32_t k =
        uidna_nameToASCII_UTF8(idna, out, (int32_t)n, ace, (int32_t)sizeof ace, &info, &err);
    size_t len =
        U_SUCCESS(err) && !(info.errors & HOST_IDNA_ERRORS) && k > 0 && (size_t)k < sizeof ace ? n
                                                                                               : 0;
    if (len && !ascii) {
        UIDNAInfo uinfo = UIDNA_INFO_INITIALIZER;
        k = uidna_nameToUnicodeUTF8(idna, out, (int32_t)n, uni, (int32_t)sizeof uni, &uinfo, &err);
        len =
            U_SUCCESS(err) && !(uinfo.errors & HOST_IDNA_ERRORS) && k > 0 && (size_t)k < sizeof uni
                ? (size_t)k
                : 0;
        for (size_t i = 0; i < len; i++)
            if (!host_byte((unsigned char)uni[i]))
                len = 0; /* mapped to something a rule file cannot hold */
        if (len && host_labels(uni, len)) {
            memcpy(out, uni, len);
            out[len] = '\0';
        } else {
            len = 0;
        }
    }
    uidna_close(idna);
    if (!len)
        out[0] = '\0';
    return len;
}

/* Remember URL hash h; 0 when it was remembered before (a recrawl), else
 * 1 (also when the set is full and h is new: the page counts). */
static int url_new(struct learn *l, uint64_t h)
{
    if ((l->n_urls + 1) * 2 > l->urls_cap && l->n_urls < l->max) {
        size_t cap = l->urls_cap ? l->urls_cap * 2 : 1024;
        uint64_t *t = chaff_xcalloc(cap, sizeof *t);
        if (t) { /* no memory: the set stays as it is, and fuller */
            for (size_t i = 0; i < l->urls_cap; i++)
                if (l->urls[i]) {
                    size_t k = (size_t)l->urls[i] & (cap - 1);
                    while (t[k])
                        k = (k + 1) & (cap - 1);
                    t[k] = l->urls[i];
                }
            chaff_xfree(l->urls);
            l->urls = t;
            l->urls_cap = cap;
        }
    }
    if (!l->urls_cap)
        return 1;
    size_t k = (size_t)h & (l->urls_cap - 1);
    for (; l->urls[k]; k = (k + 1) & (l->urls_cap - 1))
        if (l->urls[k] == h)
            return 0;
    /* full (the cap, or no memory to grow): counted, not remembered */
    if (l->n_urls >= l->max || (l->n_urls + 1) * 10 > l->urls_cap * 9)
        return 1;
    l->urls[k] = h;
    l->n_urls++;
    return 1;
}

uint64_t learn_n_pages(const struct learn *l) { return l->n_pages; }

uint64_t learn_n_seen(const struct learn *l) { return l->n_seen; }

chaff_status learn_page(struct learn *l, const char *host, const char *url, size_t url_len,
                        bool more, const struct doc *d)
{
    if (more && !l->last_counted)
        return CHAFF_OK; /* the rest of a page not counted */
    if (!more) {
        l->last_counted = false;
        l->n_seen++;
    }
    if (!host || !*host)
        return CHAFF_OK;
    char name[LEARN_HOST_MAX + 1];
    size_t hn = learn_host(host, strlen(host), name);
    if (!hn)
        return CHAFF_E_DATA; /* not counted: the caller says so */
    uint32_t site = site_of(l, name, hn);
    if (site == UINT32_MAX)
        return CHAFF_E_NOMEM;
    if (!more) {
        if (url) {
            /* the fragment never reaches the server: one page */
            const char *hash = memchr(url, '#', url_len);
            size_t n = hash ? (size_t)(hash - url) : url_len;
            uint64_t h = hash64(HASH64_INIT, url, n);
            if (!url_new(l, h ? h : 1))
                return CHAFF_OK; /* a recrawl: counted the first time */
        }
        l->sites[site].pages++;
        l->n_pages++;
        l->last_counted = true;
    }
    if ((size_t)d->n_lines * 2 > l->page_cap) {
        size_t cap = (size_t)d->n_lines * 2 + 64;
        uint64_t *p = chaff_xrealloc(l->page, cap * sizeof *p);
        if (!p)
            return CHAFF_E_NOMEM;
        l->page = p;
        l->page_cap = cap;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        if (!L->key || L->key_len < 2 || L->key_len > LEARN_KEY_MAX)
            continue;
        l->page[2 * n] = line_hash(site, L->key, L->key_len);
        l->page[2 * n + 1] = i;
        n++;
    }
    qsort(l->page, n, 2 * sizeof *l->page, cmp_u64_pair);
    for (size_t k = 0; k < n; k++) {
        if (k && l->page[2 * k] == l->page[2 * (k - 1)])
            continue; /* once per page */
        const struct line *L = &d->lines[l->page[2 * k + 1]];
        chaff_status st = add(l, site, L->key, L->key_len, l->page[2 * k], 1);
        if (st)
            return st;
    }
    return CHAFF_OK;
}

/* The next tab-separated field of s[*at..n) in [*f, *f + *fn); 0 at the end. */
static int field(const char *s, size_t n, size_t *at, const char **f, size_t *fn)
{
    if (*at > n)
        return 0;
    const char *b = s + *at, *t = memchr(b, '\t', n - *at);
    *f = b;
    *fn = t ? (size_t)(t - b) : n - *at;
    *at += *fn + 1;
    return 1;
}

static int number(const char *s, size_t n, uint64_t *v)
{
    if (!n || n > 19)
        return 0;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return 1;
}

chaff_status learn_merge_line(struct learn *l, const char *s, size_t n, char msg[128])
{
    if (n && s[n - 1] == '\r')
        n--;
    if (!n || s[0] == '#')
        return CHAFF_OK;
    size_t at = 0, hn, cn, kn = 0, tn;
    const char *tag, *host, *cnt, *key = NULL;
    uint64_t v;
    if (!field(s, n, &at, &tag, &tn) || tn != 1 || (tag[0] != 'P' && tag[0] != 'L') ||
        !field(s, n, &at, &host, &hn) || !hn || !field(s, n, &at, &cnt, &cn) ||
        !number(cnt, cn, &v) || (tag[0] == 'L' && !field(s, n, &at, &key, &kn)) ||
        (tag[0] == 'L' && (kn < 2 || kn > LEARN_KEY_MAX)) || at <= n) {
        snprintf(msg, 128, "not a line of chaff learn --counts");
        return CHAFF_E_DATA;
    }
    /* what goes into a rule file must be text a rule file may hold */
    char name[LEARN_HOST_MAX + 1];
    if (!(hn = learn_host(host, hn, name))) {
        snprintf(msg, 128, "a site name that is not a host name");
        return CHAFF_E_DATA;
    }
    host = name;
    for (size_t i = 0; i < kn; i++)
        if ((unsigned char)key[i] < ' ' || key[i] == 0x7f) {
            snprintf(msg, 128, "a line with a control character");
            return CHAFF_E_DATA;
        }
    if (kn && !dec_valid_utf8(key, kn)) {
        snprintf(msg, 128, "not UTF-8");
        return CHAFF_E_DATA;
    }
    uint32_t site = site_of(l, host, hn);
    if (site == UINT32_MAX)
        return CHAFF_E_NOMEM;
    if (tag[0] == 'P') {
        l->sites[site].pages += v;
        l->n_pages += v;
        return CHAFF_OK;
    }
    return add(l, site, key, kn, line_hash(site, key, kn),
               v > UINT32_MAX ? UINT32_MAX : (uint32_t)v);
}

struct row {
    const char *host, *key;
    uint32_t len, count;
    uint64_t pages;
};

static int cmp_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    if (c)
        return c;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    size_t m = x->len < y->len ? x->len : y->len;
    c = memcmp(x->key, y->key, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cmp_sites(const void *a, const void *b)
{
    return strcmp(((const struct site *)a)->host, ((const struct site *)b)->host);
}

/* The entries as rows sorted by site, most frequent first; *n rows. */
static struct row *rows_of(struct learn *l, size_t *n)
{
    struct row *r = chaff_xmalloc((l->n ? l->n : 1) * sizeof *r);
    if (!r)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < l->cap; i++) {
        const struct entry *e = &l->e[i];
        if (!e->h)
            continue;
        r[k++] = (struct row){l->sites[e->site].host, l->keys.p + e->off, e->len, e->count,
                              l->sites[e->site].pages};
    }
    qsort(r, k, sizeof *r, cmp_rows);
    *n = k;
    return r;
}

chaff_status learn_write_counts(struct learn *l, struct buf *out)
{
    size_t n;
    struct row *r = rows_of(l, &n);
    if (!r)
        return CHAFF_E_NOMEM;
    struct site *s = chaff_xmalloc((l->n_sites ? l->n_sites : 1) * sizeof *s);
    if (!s) {
        chaff_xfree(r);
        return CHAFF_E_NOMEM;
    }
    if (l->n_sites) /* no site yet: sites may be NULL, which memcpy may not get */
        memcpy(s, l->sites, l->n_sites * sizeof *s);
    qsort(s, l->n_sites, sizeof *s, cmp_sites);
    buf_adds(out, "#chaff-learn-counts 1\n");
    for (uint32_t i = 0; i < l->n_sites; i++)
        buf_addf(out, "P\t%s\t%llu\n", s[i].host, (unsigned long long)s[i].pages);
    for (size_t i = 0; i < n; i++) {
        buf_addf(out, "L\t%s\t%u\t", r[i].host, r[i].count);
        buf_add(out, r[i].key, r[i].len);
        buf_addc(out, '\n');
    }
    chaff_xfree(s);
    chaff_xfree(r);
    return out->err;
}

/* The key as the text of an exact rule: a '!' that would start a trailing
 * comment (white space or the start before it, white space or the end
 * after it) is written "\!". */
static void rule_text(struct buf *out, const char *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (k[i] == '!' && (i == 0 || k[i - 1] == ' ') && (i + 1 == n || k[i + 1] == ' '))
            buf_addc(out, '\\');
        buf_addc(out, k[i]);
    }
}

/* Whether key k[0..n) reads as a sentence (see LEARN_SENTENCE_CHARS):
 * long, of several words, its last character (closing quotes and
 * brackets aside) one that ends a sentence.  A CJK full stop, exclamation
 * or question mark also ends one, and CJK text has no spaces to count
 * words by, so there the length alone decides. */
STATIC bool learn_sentence_like(const char *k, size_t n)
{
    size_t chars = 0, words = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        chars += (c & 0xc0) != 0x80; /* not a UTF-8 continuation byte */
        words += c != ' ' && (i == 0 || k[i - 1] == ' ');
    }
    while (n && k[n - 1] && strchr(")]}\"' ", k[n - 1]))
        n--;
    /* closing quotes: » (C2 BB), ’ and ” (E2 80 99, E2 80 9D) */
    for (;;) {
        if (n >= 2 && memcmp(k + n - 2, "\xc2\xbb", 2) == 0)
            n -= 2;
        else if (n >= 3 && (memcmp(k + n - 3, "\xe2\x80\x99", 3) == 0 ||
                            memcmp(k + n - 3, "\xe2\x80\x9d", 3) == 0))
            n -= 3;
        else
            break;
    }
    if (chars < LEARN_SENTENCE_CHARS || !n)
        return false;
    if (n >= 3 && (memcmp(k + n - 3, "\xe3\x80\x82", 3) == 0 || /* 。 */
                   memcmp(k + n - 3, "\xef\xbc\x81", 3) == 0 || /* ！ */
                   memcmp(k + n - 3, "\xef\xbc\x9f", 3) == 0))  /* ？ */
        return true;
    bool ends = k[n - 1] == '.' || k[n - 1] == '!' || k[n - 1] == '?' ||
                (n >= 3 && memcmp(k + n - 3, "\xe2\x80\xa6", 3) == 0); /* … */
    return ends && words >= LEARN_SENTENCE_WORDS;
}

chaff_status learn_write_rules(struct learn *l, unsigned min_pages, double min_share,
                               struct buf *out)
{
    size_t n;
    struct row *r = rows_of(l, &n);
    if (!r)
        return CHAFF_E_NOMEM;
    buf_adds(out, "! title: Lines repeated across a site's pages\n");
    buf_addf(out,
             "! description: Written by chaff learn: each line found on at least %.0f%% of a "
             "site's pages (and on %u or more), as an exact rule for that site.  Review before "
             "use: a rule drops the whole line it names.\n",
             min_share * 100, min_pages);
    const char *site = NULL;
    for (size_t i = 0; i < n; i++) {
        if (r[i].pages < min_pages || r[i].count < min_pages ||
            (double)r[i].count < min_share * (double)r[i].pages)
            continue;
        if ((r[i].count < LEARN_SENTENCE_PAGES ||
             (double)r[i].count < LEARN_SENTENCE_SHARE * (double)r[i].pages) &&
            learn_sentence_like(r[i].key, r[i].len))
            continue; /* likely content: see LEARN_SENTENCE_CHARS */
        if (!site || strcmp(site, r[i].host) != 0) {
            site = r[i].host;
            buf_addf(out,
                     "\n@category learned\n@lang any\n@site %s\n! %llu pages; after each rule, "
                     "the pages it was on\n",
                     site, (unsigned long long)r[i].pages);
        }
        buf_adds(out, "= ");
        rule_text(out, r[i].key, r[i].len);
        buf_addf(out, " ! %u\n", r[i].count);
    }
    chaff_xfree(r);
    return out->err;
}
