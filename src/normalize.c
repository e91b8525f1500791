/*
 * normalize.c — output form (trim + NFC) and match key (NFKC_Casefold,
 * white space collapsed); see normalize.h.
 *
 * Cost is what matters here: every line of every document passes through
 * both functions.  ASCII lines (most of the web by bytes) are handled with
 * byte loops.  For other lines, NFC is skipped when every code point is
 * NFC_Quick_Check=Yes with canonical combining classes in order — true for
 * nearly all real text — so ICU's UTF-16 normalizer runs only on the rare
 * line that needs it.
 *
 * The key of a non-ASCII line is NFKC_Casefold, which changes most
 * scripts (case, width, compatibility forms), so it cannot be skipped; but
 * it need not go through UTF-16.  Normalization works segment by segment:
 * where a code point has a normalization boundary before it (ICU's
 * unorm2_hasBoundaryBefore), the text before and the text from it on are
 * normalized independently.  When every code point of a line has one, the
 * key is the concatenation of each code point's own NFKC_Casefold, which a
 * table gives: nk_table holds, for every BMP code point, the boundary flag
 * and the UTF-8 of its mapping, filled from ICU itself one block of 128
 * code points at a time on first use (so the table is ICU's answer, never
 * a hand-made copy).  Lines with a code point outside the BMP, without a
 * boundary (a combining mark), or with a long mapping take the ICU path
 * as before.  Blocks are claimed with an atomic state so threads share the
 * table without locks; a thread that finds a block being filled takes the
 * ICU path for that line.
 * Short lines use stack buffers; long ones allocate once per call.
 */
#include "normalize.h"

#include <stdatomic.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "alloc.h"
#include "utf8.h"

#define STACK_UNITS 1024

/* ---- the NFKC_Casefold table ------------------------------------------- */

#define NK_BLOCK 128                   /* code points filled at once */
#define NK_BLOCKS (0x10000 / NK_BLOCK) /* the BMP */
#define NK_MAP_MAX 14                  /* longest mapping kept, UTF-8 bytes */

/* boundary before; map holds the mapping; the mapping is one white-space
 * code point (norm_is_space); it holds one among others; the code point
 * is NFC_Quick_Check=Yes with canonical combining class 0 (nfc_quick_yes) */
enum { NK_BB = 1, NK_FAST = 2, NK_WS = 4, NK_HAS_WS = 8, NK_NFC_0 = 16 };
enum { NK_EMPTY = 0, NK_FILLING, NK_READY };

struct nk_entry {
    uint8_t flags;
    uint8_t len; /* bytes of map */
    char map[NK_MAP_MAX];
};

static struct nk_entry nk_table[0x10000];
static atomic_uchar nk_state[NK_BLOCKS];
/* 1 when NFKC_Casefold leaves every code point of the block as it is, with
 * a boundary before it and no white space (most CJK blocks): written with
 * the block, before nk_state says it is ready */
static uint8_t nk_same[NK_BLOCKS];

/* Fill block b of nk_table from ICU.  A code point ICU cannot answer for
 * stays without NK_FAST, and lines holding it take the ICU path. */
static void nk_fill(const UNormalizer2 *cf, uint32_t b)
{
    nk_same[b] = 1;
    for (uint32_t c = b * NK_BLOCK; c < (b + 1) * NK_BLOCK; c++) {
        struct nk_entry *e = &nk_table[c];
        e->flags = 0;
        e->len = 0;
        if (c >= 0xd800 && c <= 0xdfff)
            continue; /* surrogates: never in valid UTF-8 */
        if (unorm2_hasBoundaryBefore(cf, (UChar32)c))
            e->flags |= NK_BB;
        if (u_getIntPropertyValue((UChar32)c, UCHAR_NFC_QUICK_CHECK) == UNORM_YES &&
            u_getCombiningClass((UChar32)c) == 0)
            e->flags |= NK_NFC_0;
        UChar in[1] = {(UChar)c}, res[8];
        UErrorCode err = U_ZERO_ERROR;
        int32_t n = unorm2_normalize(cf, in, 1, res, 8, &err);
        if (U_FAILURE(err))
            continue;
        char u8[4 * 8];
        int32_t n8 = 0;
        u_strToUTF8(u8, (int32_t)sizeof u8, &n8, res, n, &err);
        if (U_FAILURE(err) || n8 > NK_MAP_MAX)
            continue;
        memcpy(e->map, u8, (size_t)n8);
        e->len = (uint8_t)n8;
        e->flags |= NK_FAST;
        /* white space in the mapping, as collapse_space finds it */
        unsigned cps = 0, spaces = 0;
        for (size_t k = 0; k < (size_t)n8; cps++)
            spaces += norm_is_space(norm_next(u8, (size_t)n8, &k)) ? 1u : 0u;
        if (spaces)
            e->flags |= cps == 1 ? NK_WS : NK_HAS_WS;
    }
    for (uint32_t c = b * NK_BLOCK; c < (b + 1) * NK_BLOCK && nk_same[b]; c++) {
        const struct nk_entry *e = &nk_table[c];
        char u8[4];
        size_t n8 = utf8_put(u8, c);
        if ((e->flags & (NK_BB | NK_FAST | NK_WS | NK_HAS_WS)) != (NK_BB | NK_FAST) ||
            e->len != n8 || memcmp(e->map, u8, n8) != 0)
            nk_same[b] = 0;
    }
}

/* The entry of BMP code point c, or NULL when its block is being filled by
 * another thread right now. */
static const struct nk_entry *nk_lookup(const UNormalizer2 *cf, uint32_t c)
{
    uint32_t b = c / NK_BLOCK;
    unsigned char st = atomic_load_explicit(&nk_state[b], memory_order_acquire);
    if (st == NK_READY)
        return &nk_table[c];
    unsigned char expect = NK_EMPTY;
    if (st == NK_EMPTY &&
        atomic_compare_exchange_strong_explicit(&nk_state[b], &expect, NK_FILLING,
                                                memory_order_acquire, memory_order_relaxed)) {
        nk_fill(cf, b);
        atomic_store_explicit(&nk_state[b], NK_READY, memory_order_release);
        return &nk_table[c];
    }
    return NULL;
}

/* ASCII white space as norm_is_space() sees it. */
static int ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Eight ASCII bytes (one word, first byte lowest) with A-Z lowercased. */
static uint64_t ascii_lower(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    /* no byte is over 0x7f, so no sum carries into the next byte */
    uint64_t ge_a = v + ones * (0x80 - 'A'), gt_z = v + ones * (0x80 - 'Z' - 1);
    return v | ((ge_a & ~gt_z & high) >> 2);
}

/* Can the eight ASCII bytes v go to the key as they are (lowercased)?
 * Yes when they hold no byte below 0x20 and no two spaces side by side,
 * and do not start with a space when one was pending or nothing was
 * written yet (space_before): then the key has each byte where the text
 * has it.  Returns -1 for no, else the bytes to keep: 8, or 7 when the
 * last byte is a space, which is then pending (it is written only if a
 * byte other than white space follows). */
static int ascii_run(uint64_t v, int space_before)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t ctl = ~(v + ones * (0x80 - 0x20)) & high; /* bytes below 0x20 */
    uint64_t x = v ^ (ones * ' ');
    uint64_t sp = ~(x + ones * 0x7f) & high; /* spaces; x has no byte over 0x7f */
    if (ctl || (sp & (sp << 8)) || (space_before && (sp & 0x80)))
        return -1;
    return (sp >> 56) ? 7 : 8;
}

/* One byte of an ASCII key into p[*w]: lower case; white space (of a
 * key begun at from) waits as one pending space, written before the next
 * byte that is not white space, as collapse_space would. */
static inline void key_byte(char *p, size_t *w, size_t from, int *pending, unsigned char c)
{
    if (ascii_space(c)) {
        *pending = *w > from;
        return;
    }
    if (*pending)
        p[(*w)++] = ' ';
    *pending = 0;
    p[(*w)++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* The key of the ASCII text s[0..len) into p at *w, lower case, white
 * space collapsed as collapse_space would collapse it in a key begun at
 * from; *pending is a space waiting for the next byte that is none.  p
 * has room for len + *pending bytes and the eight the last chunk writes. */
static void ascii_key(const char *s, size_t len, char *p, size_t *w, size_t from, int *pending)
{
    size_t i = 0;
    /* Eight bytes at a time while they hold no control byte and no
     * white space but single spaces that need no collapsing (see
     * ascii_run); the rest, and every byte of a chunk that does not
     * qualify, one at a time below. */
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        int n = ascii_run(v, *pending || *w == from);
        if (n < 0) {
            for (size_t k = i; k < i + 8; k++)
                key_byte(p, w, from, pending, (unsigned char)s[k]);
            continue;
        }
        if (*pending)
            p[(*w)++] = ' ';
        v = ascii_lower(v);
        memcpy(p + *w, &v, 8);
        *w += (size_t)n;
        *pending = n < 8;
    }
    for (; i < len; i++)
        key_byte(p, w, from, pending, (unsigned char)s[i]);
}

/*
 * Append NFKC_Casefold(s[0..len)) to out by nk_table when every code point
 * of s is in the BMP, has a boundary before it and a short mapping; return
 * 1.  Otherwise return 0 with out as it was (the caller takes the ICU
 * path), and also on a buffer error (out->err says so).  White space is
 * collapsed on the way, as collapse_space would collapse it, and
 * *collapsed set, unless a mapping holds white space among other code
 * points: from there on the mappings go out as they are, *collapsed is 0
 * and the caller collapses the whole (collapsing the part already
 * collapsed again changes nothing).
 */
static int key_by_table(const UNormalizer2 *cf, const char *s, size_t len, struct buf *out,
                        int *collapsed)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = out->len;
    int pending = 0, fused = 1;
    for (size_t i = 0; i < len;) {
        uint32_t c = u[i];
        size_t n;
        if (c < 0x80 && fused) {
            /* a run of ASCII: what the table says of each byte (lower
             * case; white space one pending space), without asking it */
            size_t r = i + 1;
            while (r < len && u[r] < 0x80)
                r++;
            if (out->cap - out->len <= r - i + 9 && buf_reserve(out, r - i + 9))
                goto slow;
            size_t w = out->len;
            ascii_key(s + i, r - i, out->p, &w, start, &pending);
            out->len = w;
            i = r;
            continue;
        }
        if (c < 0x80) {
            n = 1;
        } else if (c >= 0xc2 && c <= 0xdf && i + 1 < len && (u[i + 1] & 0xc0) == 0x80) {
            c = ((c & 0x1f) << 6) | (u[i + 1] & 0x3fu);
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef && i + 2 < len && (u[i + 1] & 0xc0) == 0x80 &&
                   (u[i + 2] & 0xc0) == 0x80) {
            c = ((c & 0x0f) << 12) | ((u[i + 1] & 0x3fu) << 6) | (u[i + 2] & 0x3fu);
            n = 3;
            if (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))
                goto slow; /* overlong or surrogate: not valid UTF-8 */
        } else {
            goto slow; /* outside the BMP, or not valid UTF-8 */
        }
        const struct nk_entry *e = nk_lookup(cf, c);
        if (!e || (e->flags & (NK_BB | NK_FAST)) != (NK_BB | NK_FAST))
            goto slow;
        if (n == 3 && fused && nk_same[c / NK_BLOCK]) {
            /* a run of three-byte characters the key keeps as they are
             * (Han, kana, Hangul syllables): copied whole */
            size_t r = i + 3;
            while (r + 2 < len && (u[r] & 0xf0) == 0xe0 && (u[r + 1] & 0xc0) == 0x80 &&
                   (u[r + 2] & 0xc0) == 0x80) {
                uint32_t d =
                    ((u[r] & 0x0fu) << 12) | ((u[r + 1] & 0x3fu) << 6) | (u[r + 2] & 0x3fu);
                if (d < 0x800 || (d >= 0xd800 && d <= 0xdfff) || !nk_lookup(cf, d) ||
                    !nk_same[d / NK_BLOCK])
                    break;
                r += 3;
            }
            if (out->cap - out->len <= r - i + 1 && buf_reserve(out, r - i + 1))
                goto slow;
            if (pending)
                out->p[out->len++] = ' ';
            pending = 0;
            memcpy(out->p + out->len, s + i, r - i);
            out->len += r - i;
            i = r;
            continue;
        }
        i += n;
        if (fused) {
            if (e->flags & NK_WS) {
                pending = out->len > start;
                continue;
            }
            if (e->flags & NK_HAS_WS)
                fused = 0;
            if (!e->len)
                continue; /* nothing written: a pending space still waits */
            if (pending) {
                if (out->cap - out->len <= 1 && buf_reserve(out, 1))
                    goto slow;
                out->p[out->len++] = ' ';
                pending = 0;
            }
        }
        if (out->cap - out->len <= e->len && buf_reserve(out, e->len))
            goto slow;
        /* the whole map field when it fits: a copy of fixed size is a
         * couple of moves, where one of e->len bytes is a call */
        if (out->cap - out->len > sizeof e->map)
            memcpy(out->p + out->len, e->map, sizeof e->map);
        else
            memcpy(out->p + out->len, e->map, e->len);
        out->len += e->len;
    }
    if (out->p)
        out->p[out->len] = '\0';
    *collapsed = fused;
    return 1;
slow:
    out->len = start;
    if (out->p)
        out->p[start] = '\0';
    return 0;
}

int norm_is_space(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff || c == 0x85;
}

void norm_trim(const char *s, size_t len, size_t *b, size_t *e)
{
    size_t i = 0;
    while (i < len) {
        size_t k = i;
        if (!norm_is_space(norm_next(s, len, &k)))
            break;
        i = k;
    }
    size_t j = len;
    while (j > i) {
        size_t k = j - 1;
        while (k > i && ((unsigned char)s[k] & 0xc0) == 0x80)
            k--;
        size_t t = k;
        if (!norm_is_space(norm_next(s, len, &t)))
            break;
        j = k;
    }
    *b = i;
    *e = j;
}

/* True when s is certainly NFC: quick-check Yes for every code point and
 * combining classes non-decreasing within each run of marks. */
static int nfc_quick_yes(const char *s, size_t len)
{
    uint8_t last_ccc = 0;
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *cf = NULL; /* nk_table's, asked for on the first code point that needs it */
    int cf_asked = 0;
    for (size_t i = 0; i < len;) {
        if ((unsigned char)s[i] < 0x80) { /* a run of ASCII, eight bytes at a time */
            uint64_t w;
            while (len - i >= 8 && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull)))
                i += 8;
            while (i < len && (unsigned char)s[i] < 0x80)
                i++;
            last_ccc = 0;
            continue;
        }
        uint32_t c = norm_next(s, len, &i);
        /* Below U+0300 and in the big CJK/Hangul blocks every code point is
         * NFC_QC=Yes with ccc 0; skip the property look-ups there. */
        if (c < 0x300 || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7a3)) {
            last_ccc = 0;
            continue;
        }
        /* elsewhere in the BMP the table has ICU's answer for the common
         * case (Yes, class 0), made once per block of code points */
        if (c < 0x10000 && !cf_asked) {
            cf_asked = 1;
            cf = unorm2_getNFKCCasefoldInstance(&err);
            if (U_FAILURE(err))
                cf = NULL;
        }
        if (c < 0x10000 && cf) {
            const struct nk_entry *e = nk_lookup(cf, c);
            if (e && (e->flags & NK_NFC_0)) {
                last_ccc = 0;
                continue;
            }
        }
        if (u_getIntPropertyValue((UChar32)c, UCHAR_NFC_QUICK_CHECK) != UNORM_YES)
            return 0;
        uint8_t ccc = u_getCombiningClass((UChar32)c);
        if (ccc && last_ccc > ccc)
            return 0;
        last_ccc = ccc;
    }
    return 1;
}

/* Normalize s[0..len) with n2 and append the UTF-8 result to out. */
static chaff_status icu_normalize(const UNormalizer2 *n2, const char *s, size_t len,
                                  struct buf *out)
{
    UChar stack_in[STACK_UNITS], stack_out[STACK_UNITS];
    UChar *in = stack_in, *res = stack_out;
    chaff_status st = CHAFF_OK;
    if (len >= INT32_MAX / 4)
        return out->err = CHAFF_E_TOOBIG;
    int32_t cap_in = STACK_UNITS, n_in = 0;
    UErrorCode e = U_ZERO_ERROR;
    u_strFromUTF8WithSub(in, cap_in, &n_in, s, (int32_t)len, 0xfffd, NULL, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) {
        cap_in = n_in + 1;
        in = chaff_xmalloc((size_t)cap_in * sizeof *in);
        if (!in)
            return out->err = CHAFF_E_NOMEM;
        e = U_ZERO_ERROR;
        u_strFromUTF8WithSub(in, cap_in, &n_in, s, (int32_t)len, 0xfffd, NULL, &e);
    }
    if (U_FAILURE(e)) {
        st = CHAFF_E_INVAL;
        goto done;
    }
    int32_t cap_out = STACK_UNITS;
    e = U_ZERO_ERROR;
    int32_t n_out = unorm2_normalize(n2, in, n_in, res, cap_out, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) {
        cap_out = n_out + 1;
        res = chaff_xmalloc((size_t)cap_out * sizeof *res);
        if (!res) {
            st = CHAFF_E_NOMEM;
            goto done;
        }
        e = U_ZERO_ERROR;
        n_out = unorm2_normalize(n2, in, n_in, res, cap_out, &e);
    }
    if (U_FAILURE(e)) {
        st = CHAFF_E_INVAL;
        goto done;
    }
    /* UTF-16 to UTF-8 straight into out: at most 3 bytes per unit. */
    if ((st = buf_reserve(out, (size_t)n_out * 3)) != CHAFF_OK)
        goto done;
    int32_t n8 = 0;
    e = U_ZERO_ERROR;
    u_strToUTF8WithSub(out->p + out->len, (int32_t)(out->cap - out->len), &n8, res, n_out, 0xfffd,
                       NULL, &e);
    if (U_FAILURE(e)) {
        st = CHAFF_E_INVAL;
        goto done;
    }
    out->len += (size_t)n8;
    out->p[out->len] = '\0';
done:
    if (in != stack_in)
        chaff_xfree(in);
    if (res != stack_out)
        chaff_xfree(res);
    if (st && !out->err)
        out->err = st;
    return st;
}

static int all_ascii(const char *s, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            return 0;
    }
    for (; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

int norm_is_nfc(const char *s, size_t len) { return all_ascii(s, len) || nfc_quick_yes(s, len); }

chaff_status norm_output(const char *s, size_t len, struct buf *out)
{
    size_t b, e;
    norm_trim(s, len, &b, &e);
    s += b;
    len = e - b;
    if (norm_is_nfc(s, len))
        return buf_add(out, s, len);
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&err);
    if (U_FAILURE(err))
        return out->err = CHAFF_E_INVAL;
    return icu_normalize(nfc, s, len, out);
}

/* Collapse white-space runs of out[from..] to one ASCII space, in place,
 * and trim both ends of that part.  The write position never passes the
 * read position: a space is written only for a run of at least one byte. */
static void collapse_space(struct buf *out, size_t from)
{
    char *p = out->p;
    size_t w = from;
    int pending = 0;
    for (size_t r = from; r < out->len;) {
        unsigned char b = (unsigned char)p[r];
        if (b < 0x80) {
            r++;
            if (ascii_space(b)) {
                pending = w > from;
                continue;
            }
            if (pending)
                p[w++] = ' ';
            pending = 0;
            p[w++] = (char)b;
            continue;
        }
        size_t k = r;
        uint32_t c = norm_next(p, out->len, &k);
        if (norm_is_space(c)) {
            pending = w > from;
        } else {
            if (pending)
                p[w++] = ' ';
            pending = 0;
            /* a code point is a few bytes, and often stays where it is */
            if (w == r)
                w = k;
            else
                for (size_t j = r; j < k; j++)
                    p[w++] = p[j];
        }
        r = k;
    }
    out->len = w;
    p[w] = '\0';
}

chaff_status norm_key(const char *s, size_t len, struct buf *out)
{
    size_t from = out->len;
    if (all_ascii(s, len)) {
        /* lower case and collapse in one pass, as collapse_space would */
        if (buf_reserve(out, len))
            return out->err;
        size_t w = from;
        int pending = 0;
        ascii_key(s, len, out->p, &w, from, &pending);
        out->len = w;
        out->p[w] = '\0';
        return CHAFF_OK;
    }
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *cf = unorm2_getNFKCCasefoldInstance(&err);
    if (U_FAILURE(err))
        return out->err = CHAFF_E_INVAL;
    int collapsed = 0;
    if (!key_by_table(cf, s, len, out, &collapsed)) {
        if (out->err)
            return out->err;
        if (icu_normalize(cf, s, len, out))
            return out->err;
    }
    if (out->p && !collapsed)
        collapse_space(out, from);
    return out->err;
}
