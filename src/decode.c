/*
 * decode.c — bytes in any charset to clean UTF-8 (see decode.h).
 *
 * What.  Every document passes through dec_to_utf8() once, before
 * normalization, so everything downstream may assume valid UTF-8 with \n
 * line ends and no control characters but tab.
 *
 * How.  The charset is chosen in this order:
 *   1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE), removed;
 *   2. the declared name, through a small alias table that maps web labels
 *      to the superset iconv converters browsers use (WHATWG Encoding
 *      Standard): GBK and GB2312 read as GB18030, Shift_JIS as CP932 (so
 *      0x5C stays a backslash, not a yen sign), EUC-KR as CP949, Big5 as
 *      BIG5-HKSCS, ISO-8859-1 and US-ASCII as windows-1252; other names go
 *      to iconv as they are;
 *   3. UTF-8, when the input is valid or mostly valid UTF-8 (below);
 *   4. ICU's detector (ucsdet) on the first 64 KiB: its best answer of
 *      confidence 10 or more that iconv knows, mapped through the same
 *      alias table (a UTF-8 answer is passed over when the text has no
 *      valid multi-byte sequence: ICU then only means "mostly ASCII",
 *      and so are UTF-16/32 answers at ICU's baseline confidence of 10);
 *      windows-1252 when no answer qualifies.
 * UTF-8 input takes the built-in path: one loop that validates and copies,
 * skipping eight ASCII bytes at a time, taking runs of well-formed 2- and
 * 3-byte characters in tight inner loops, and copying clean runs with one
 * memcpy each (about 500 MB/s on mixed Latin/CJK/Cyrillic text here).
 * Other charsets go through iconv in 16 KiB output chunks (the single- and
 * double-byte ones without state by a table of iconv's own answers, see
 * "charsets read by table"), and each chunk passes through the same loop,
 * which removes controls, folds CR/CRLF to \n and would catch any
 * ill-formed output, so "valid UTF-8 out" holds whatever the converter
 * does.
 *
 * The "mostly UTF-8" rule.  Scraped pages that are UTF-8 often carry a few
 * stray bytes (a cut-off character, a windows-1252 quote pasted into a
 * template).  Re-reading such a page as a legacy charset would garble all
 * its good text, so without a declared charset the input is taken as UTF-8
 * when at least 20 valid multi-byte sequences stand for every invalid one
 * (about 95% of non-ASCII sequences valid).  Legacy text almost never gets
 * there by accident: in GBK or Shift_JIS most two-byte characters are not
 * valid UTF-8, in single-byte charsets almost none are.  An incomplete
 * sequence at the very end (text cut at a byte limit) is not held against
 * the input when other valid multi-byte sequences exist or when the cut
 * sequence is a lead byte with its continuation bytes so far; a lone lead
 * byte at the end (Latin-1 "caf\xE9") is.  The validating pass copies
 * as it goes and gives up early, once 64 invalid sequences have been seen
 * and they outnumber a quarter of the valid ones, since that input is far
 * from the rule; then the copy is rolled back and detection decides.
 * Invalid bytes in text taken as UTF-8 become one U+FFFD per maximal
 * subpart (Unicode's recommended practice, as in ICU and browsers).
 *
 * Why.  iconv is the fastest converter for legacy charsets here (see
 * DESIGN.md), and a table of its answers faster still; for UTF-8 itself,
 * iconv and ICU are both slower than a plain validating copy, and neither
 * removes controls or folds line ends.
 *
 * Limits.  After an invalid sequence in a legacy charset one byte (one
 * code unit in UTF-16/32) is skipped and conversion resumes, so a broken
 * two-byte character may yield a stray character besides its U+FFFD.
 * Detection sees only the first 64 KiB.  Short texts in Cyrillic may be
 * told apart wrongly (KOI8-R vs windows-1251): declare the charset when it
 * is known.  dec_to_utf8() opens and closes its own detector and
 * converter; a record stream goes through dec_convert() with one struct
 * dec_cache per thread instead, since opening ICU's detector (dozens of
 * recognizers) and an iconv converter costs far more than converting a
 * record of a few hundred bytes.
 */
#include "decode.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/ucsdet.h>

#include "alloc.h"
#include "utf8.h"

#define DEC_SNIFF_MAX ((size_t)64 * 1024) /* bytes shown to the detector */
#define DEC_CHUNK 16384                   /* iconv output chunk */
#define DEC_MIN_CONFIDENCE 10             /* below this, detection is inconclusive */
#define DEC_FALLBACK "windows-1252"

static const char fffd[3] = {'\xEF', '\xBF', '\xBD'};

/* Counters and carried state of one conversion. */
struct dec_state {
    uint64_t n_invalid;
    uint64_t n_controls;
    uint64_t n_valid_mb; /* valid multi-byte sequences */
    size_t cut_len;      /* bytes of a sequence cut short by the end */
    bool after_cr;       /* last chunk ended in CR: skip a leading LF */
    bool sniff;          /* give up early when the input is clearly not UTF-8 */
    bool abandoned;      /* gave up (sniff only) */
    bool count_only;     /* count as a copy would, write nothing */
};

STATIC chaff_status dec_copy_utf8(struct dec_state *st, const char *src, size_t n, struct buf *out);
STATIC int dec_mostly_utf8(uint64_t n_valid_mb, uint64_t n_invalid, size_t cut_len);
STATIC int dec_resolve(const char *name, char canon[40], char decoder[40]);
STATIC size_t dec_clean_prefix(const char *src, size_t n, uint64_t *n_valid_mb);

/* ---- UTF-8 ------------------------------------------------------------- */

/* SWAR masks: a word whose bytes are all ASCII printables takes the fast
 * path (Hacker's Delight "has less than" and "has zero byte"). */
#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

static inline int word_plain(uint64_t w)
{
    uint64_t del = w ^ (0x7Full * ONES);
    uint64_t ctl = (w - 0x20ull * ONES) & ~w; /* a byte < 0x20 */
    uint64_t zdel = (del - ONES) & ~del;      /* a byte == 0x7F */
    return ((w | ctl | zdel) & HIGH) == 0;
}

int dec_valid_utf8(const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0;
    while (i < len) {
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & HIGH)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t bad;
        bool cut;
        size_t k = utf8_seq(s + i, len - i, &bad, &cut);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

/*
 * Append src[0..n) to out as clean UTF-8: ill-formed sequences become
 * U+FFFD, controls are dropped, CR and CRLF become LF (a CR at the end of
 * one chunk and a LF at the start of the next count as one CRLF).  Clean
 * runs are copied whole.  In sniff mode returns early with st->abandoned
 * set once the input is clearly not UTF-8; the caller rolls back.
 * Returns out->err.
 */
STATIC chaff_status dec_copy_utf8(struct dec_state *st, const char *src, size_t n, struct buf *out)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0, run = 0;
    /* a local count: stores through st could alias s and slow every load */
    uint64_t n_valid = 0;
    const bool write = !st->count_only;
    if (st->after_cr) {
        st->after_cr = false;
        if (n && s[0] == '\n')
            i = run = 1;
    }
    while (i < n) {
        /* the clean run from i on is copied with the rest of the run */
        uint64_t nv;
        i += dec_clean_prefix(src + i, n - i, &nv);
        n_valid += nv;
        if (i == n)
            break;
        unsigned c = s[i];
        if (c < 0x80) { /* CR, DEL or another C0 control */
            if (write)
                buf_add(out, s + run, i - run);
            i++;
            if (c == '\r') {
                if (write)
                    buf_addc(out, '\n');
                if (i < n && s[i] == '\n')
                    i++;
                else if (i == n)
                    st->after_cr = true;
            } else {
                st->n_controls++;
            }
            run = i;
            if (out->err)
                goto done;
            continue;
        }
        size_t bad;
        bool cut;
        size_t k = utf8_seq(s + i, n - i, &bad, &cut);
        if (k) {
            n_valid++;
            if (c == 0xC2 && s[i + 1] < 0xA0) { /* C1 control U+0080..U+009F */
                if (write)
                    buf_add(out, s + run, i - run);
                st->n_controls++;
                run = i + 2;
            }
            i += k;
            continue;
        }
        if (write) {
            buf_add(out, s + run, i - run);
            buf_add(out, fffd, 3);
        }
        st->n_invalid++;
        if (cut)
            st->cut_len = bad;
        i += bad;
        run = i;
        if (out->err)
            goto done;
        if (st->sniff && st->n_invalid >= 64 && st->n_invalid * 4 > st->n_valid_mb + n_valid) {
            st->abandoned = true;
            goto done;
        }
    }
    if (write)
        buf_add(out, s + run, n - run);
done:
    st->n_valid_mb += n_valid;
    return out->err;
}

/*
 * The "mostly UTF-8" rule of the header comment: 1 when text with n_valid_mb
 * valid multi-byte sequences and n_invalid invalid ones, the last of them
 * possibly a sequence of cut_len bytes cut short by the end of the input, is
 * to be read as UTF-8.  A cut lead byte alone (as in Latin-1 "caf\xE9") is
 * no evidence of UTF-8 unless the rest of the text is.
 */
STATIC int dec_mostly_utf8(uint64_t n_valid_mb, uint64_t n_invalid, size_t cut_len)
{
    uint64_t bad = n_invalid;
    if (cut_len > 0 && bad > 0 && (n_valid_mb > 0 || cut_len >= 2))
        bad--;
    return bad == 0 || n_valid_mb / 20 >= bad;
}

/* ---- charset names ----------------------------------------------------- */

/* Web labels (WHATWG) and ICU detector names, compared after lowercasing
 * and dropping everything but letters and digits.  Keep in step with the
 * list in the header comment.  Names not here go to iconv as given. */
static const struct dec_alias {
    const char *keys; /* space-separated */
    const char *canon;
    const char *decoder;
} aliases[] = {
    {"utf8 unicode11utf8 unicode20utf8 xunicode20utf8", "UTF-8", "UTF-8"},
    {"utf16le", "UTF-16LE", "UTF-16LE"},
    {"utf16be", "UTF-16BE", "UTF-16BE"},
    {"gbk cp936 ms936 windows936 gb2312 csgb2312 euccn xgbk chinese gb231280 "
     "isoir58 csiso58gb231280",
     "GBK", "GB18030"},
    {"gb18030", "GB18030", "GB18030"},
    {"big5 csbig5 cnbig5 xxbig5 cp950", "Big5", "BIG5-HKSCS"},
    {"big5hkscs", "Big5-HKSCS", "BIG5-HKSCS"},
    {"shiftjis sjis mskanji xsjis windows31j cp932 ms932 csshiftjis "
     "cswindows31j",
     "Shift_JIS", "CP932"},
    {"eucjp xeucjp cseucpkdfmtjapanese", "EUC-JP", "EUC-JP"},
    {"euckr cseuckr cp949 windows949 xwindows949 uhc ksc5601 ksc56011987 "
     "ksc56011989 csksc56011987 isoir149 korean",
     "EUC-KR", "CP949"},
    {"koi8r koi8 koi cskoi8r", "KOI8-R", "KOI8-R"},
    {"koi8u koi8ru", "KOI8-U", "KOI8-U"},
    {"iso88591 latin1 l1 cp819 ibm819 csisolatin1 isoir100 iso885911987", "ISO-8859-1",
     "WINDOWS-1252"},
    {"usascii ascii ansix341968 iso646us csascii us", "US-ASCII", "WINDOWS-1252"},
    {"iso88598i csiso88598i logical", "ISO-8859-8-I", "ISO-8859-8"},
    {"ibm424rtl ibm424ltr", "IBM424", "IBM424"},
    {"ibm420rtl ibm420ltr", "IBM420", "IBM420"},
};

/* Is key one of the space-separated words in keys? */
static int has_key(const char *keys, const char *key, size_t klen)
{
    const char *p = keys;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n == klen && memcmp(p, key, n) == 0)
            return 1;
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static void copy_name(char dst[40], const char *src)
{
    size_t n = strlen(src);
    if (n > 39)
        n = 39;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * Map a charset name to the canonical name reported in dec_info.charset
 * and the iconv converter that reads it.  Returns 0 for a name no converter
 * could have (empty, too long, or with iconv's "//" suffixes).
 */
STATIC int dec_resolve(const char *name, char canon[40], char decoder[40])
{
    size_t len = strlen(name);
    if (len == 0 || len > 39 || strchr(name, '/'))
        return 0;
    char key[40];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 'A' && c <= 'Z')
            key[k++] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            key[k++] = (char)c;
    }
    key[k] = '\0';
    for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++) {
        if (has_key(aliases[a].keys, key, k)) {
            copy_name(canon, aliases[a].canon);
            copy_name(decoder, aliases[a].decoder);
            return 1;
        }
    }
    /* windows-125N under its usual spellings (cp1251, x-cp1251, win1251) */
    const char *digits = NULL;
    if (k == 11 && memcmp(key, "windows125", 10) == 0)
        digits = key + 7;
    else if (k == 6 && memcmp(key, "cp125", 5) == 0)
        digits = key + 2;
    else if (k == 7 && (memcmp(key, "xcp125", 6) == 0 || memcmp(key, "win125", 6) == 0))
        digits = key + 3;
    if (digits && digits[3] >= '0' && digits[3] <= '8') {
        char w[16] = "windows-";
        memcpy(w + 8, digits, 4);
        w[12] = '\0';
        copy_name(canon, w);
        memcpy(w, "WINDOWS", 7);
        copy_name(decoder, w);
        return 1;
    }
    /* ISO-8859-N: the one spelling iconv and ICU share */
    if (k >= 8 && k <= 10 && memcmp(key, "iso8859", 7) == 0) {
        char w[16] = "ISO-8859-";
        memcpy(w + 9, key + 7, k - 7);
        w[9 + k - 7] = '\0';
        copy_name(canon, w);
        copy_name(decoder, w);
        return 1;
    }
    copy_name(canon, name);
    copy_name(decoder, name);
    return 1;
}

/* dec_resolve(name, …), answered from c when name is the one resolved
 * last. */
static int resolve_cached(struct dec_cache *c, const char *name, char canon[40], char decoder[40])
{
    size_t n = strlen(name);
    if (!c->from_ok || n >= sizeof c->from || memcmp(c->from, name, n + 1) != 0) {
        c->from_known = dec_resolve(name, c->canon, c->decoder) != 0;
        c->from_ok = n < sizeof c->from;
        if (c->from_ok)
            memcpy(c->from, name, n + 1);
    }
    memcpy(canon, c->canon, 40);
    memcpy(decoder, c->decoder, 40);
    return c->from_known;
}

/* What dec_resolve("UTF-8") gives, without the alias table. */
static void utf8_names(char canon[40], char decoder[40])
{
    copy_name(canon, "UTF-8");
    copy_name(decoder, "UTF-8");
}

static int is_utf8_decoder(const char *decoder) { return strcmp(decoder, "UTF-8") == 0; }

/* Code unit of the converter: how far to skip past an invalid sequence. */
static size_t unit_of(const char *decoder)
{
    char key[40];
    size_t k = 0;
    for (const char *p = decoder; *p && k < sizeof key - 1; p++)
        if (*p != '-' && *p != '_')
            key[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    key[k] = '\0';
    if (strncmp(key, "UTF16", 5) == 0 || strncmp(key, "UCS2", 4) == 0 ||
        strncmp(key, "UNICODE", 7) == 0)
        return 2;
    if (strncmp(key, "UTF32", 5) == 0 || strncmp(key, "UCS4", 4) == 0)
        return 4;
    return 1;
}

/* Open a converter from decoder to UTF-8: CHAFF_E_CHARSET when iconv does
 * not know the name, CHAFF_E_NOMEM when it cannot allocate. */
static chaff_status open_iconv(const char *decoder, iconv_t *cd)
{
    *cd = iconv_open("UTF-8", decoder);
    if (*cd == (iconv_t)-1)
        return errno == ENOMEM ? CHAFF_E_NOMEM : CHAFF_E_CHARSET;
    return CHAFF_OK;
}

/* ---- conversion -------------------------------------------------------- */

/* Convert through iconv; every EILSEQ skips one code unit and every
 * incomplete tail ends the input, each as one counted U+FFFD. */
static chaff_status conv_iconv(iconv_t cd, size_t unit, const char *in, size_t len,
                               struct dec_state *st, struct buf *out)
{
    char chunk[DEC_CHUNK];
    char *ip = (char *)(uintptr_t)in; /* iconv's prototype is not const */
    size_t il = len;
    bool flushed = false;
    iconv(cd, NULL, NULL, NULL, NULL);
    while (!flushed) {
        char *op = chunk;
        size_t ol = sizeof chunk;
        size_t r;
        if (il > 0) {
            r = iconv(cd, &ip, &il, &op, &ol);
        } else {
            /* end of input: let stateful charsets write what they hold */
            r = iconv(cd, NULL, NULL, &op, &ol);
            if (r != (size_t)-1)
                flushed = true;
        }
        int e = r == (size_t)-1 ? errno : 0;
        if (op > chunk && dec_copy_utf8(st, chunk, (size_t)(op - chunk), out))
            return out->err;
        if (e == 0 || e == E2BIG)
            continue;
        if (il == 0) /* a flush that cannot complete: nothing is left to lose */
            break;
        if (e != EILSEQ && e != EINVAL)
            return CHAFF_E_CHARSET;
        st->after_cr = false;
        st->n_invalid++;
        if (buf_add(out, fffd, 3))
            return out->err;
        size_t skip = e == EINVAL ? il : unit < il ? unit : il;
        ip += skip;
        il -= skip;
    }
    return out->err;
}

/* ---- the per-thread cache ---------------------------------------------- */

void dec_cache_init(struct dec_cache *c) { memset(c, 0, sizeof *c); }

static void table_free(struct dec_table *t);

void dec_cache_free(struct dec_cache *c)
{
    if (c->det)
        ucsdet_close(c->det);
    for (size_t i = 0; i < DEC_CACHE_CONV; i++) {
        if (c->conv[i].cd)
            iconv_close(c->conv[i].cd);
        table_free(c->conv[i].tab);
    }
    dec_cache_init(c);
}

/*
 * A converter from decoder to UTF-8, opened once and kept in c: *slot is
 * its slot in c->conv, and slots are reused least recently used first
 * (with the table of the converter they held).  CHAFF_E_CHARSET when iconv does not
 * know the name (remembered, so an unknown name costs one iconv_open),
 * CHAFF_E_NOMEM when it cannot allocate.
 */
static chaff_status cache_iconv(struct dec_cache *c, const char *decoder, size_t *slot)
{
    size_t victim = 0;
    c->clock++;
    for (size_t i = 0; i < DEC_CACHE_CONV; i++) {
        if (c->conv[i].cd != NULL && strcmp(c->conv[i].name, decoder) == 0) {
            c->conv[i].used = c->clock;
            *slot = i;
            return CHAFF_OK;
        }
        if (c->conv[i].used < c->conv[victim].used)
            victim = i;
    }
    for (unsigned i = 0; i < c->n_unknown && i < DEC_CACHE_NAMES; i++)
        if (strcmp(c->unknown[i], decoder) == 0)
            return CHAFF_E_CHARSET;
    iconv_t cd;
    chaff_status s = open_iconv(decoder, &cd);
    if (s == CHAFF_E_CHARSET)
        copy_name(c->unknown[c->n_unknown++ % DEC_CACHE_NAMES], decoder);
    if (s)
        return s;
    if (c->conv[victim].cd)
        iconv_close(c->conv[victim].cd);
    table_free(c->conv[victim].tab);
    c->conv[victim].tab = NULL;
    c->conv[victim].cd = cd;
    copy_name(c->conv[victim].name, decoder);
    c->conv[victim].used = c->clock;
    *slot = victim;
    return CHAFF_OK;
}

/* ---- charsets read by table ------------------------------------------- */

/*
 * The single- and double-byte charsets iconv reads without state (each
 * character's bytes convert alone as they do in a stream) are read by a
 * table of what iconv itself gives: for every byte alone, and for each pair
 * that starts with a byte iconv calls incomplete, on the pair's first
 * appearance.  A byte or pair that gives other than one character (an
 * invalid or longer sequence, a pair that makes two characters) stops the
 * table, and iconv converts the rest of the text from there, so the output
 * is iconv's whatever the input.  Reading by table takes a few instructions
 * a byte where iconv took about fifty; the tables cost 256 conversions per
 * charset, and one per pair seen.
 */
#ifdef UNIT_TESTING
int dec_tables_on = 1;
#else
enum { dec_tables_on = 1 };
#endif

/* An entry: the character's UTF-8 in the order of its bytes in memory
 * (the low 32 bits, as memcpy stores them) and its length in bits 32-34;
 * or one of these. */
#define TAB_ASK 0u                   /* pair[]: not asked yet */
#define TAB_LEAD ((uint64_t)1 << 40) /* single[]: iconv wants more bytes */
#define TAB_NONE ((uint64_t)1 << 41) /* not one character */

struct dec_table {
    uint64_t single[256]; /* each byte: its character, TAB_LEAD or TAB_NONE */
    uint64_t *pair[256];  /* by lead byte: the pair's character, TAB_ASK or TAB_NONE */
};

static void table_free(struct dec_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < 256; i++)
        chaff_xfree(t->pair[i]);
    chaff_xfree(t);
}

/* Decoders (dec_resolve's names) whose iconv converter keeps no state
 * between characters. */
static bool table_charset(const char *decoder)
{
    static const char *const names[] = {"GB18030", "BIG5-HKSCS", "CP932",  "CP949",  "EUC-JP",
                                        "KOI8-R",  "KOI8-U",     "IBM424", "IBM420", "ISO-8859-8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(decoder, names[i]) == 0)
            return true;
    if (strncmp(decoder, "WINDOWS-125", 11) == 0 && decoder[11] >= '0' && decoder[11] <= '8' &&
        !decoder[12])
        return true;
    return strncmp(decoder, "ISO-8859-", 9) == 0 && decoder[9] >= '1' && decoder[9] <= '9' &&
           (!decoder[10] || (decoder[10] >= '0' && decoder[10] <= '6' && !decoder[11]));
}

/* What iconv makes of the n bytes at u alone: the entry of its one
 * character, TAB_LEAD when they are the start of a longer sequence, else
 * TAB_NONE. */
static uint64_t ask_iconv(iconv_t cd, const unsigned char *u, size_t n)
{
    char res[16];
    char *ip = (char *)(uintptr_t)u, *op = res;
    size_t il = n, ol = sizeof res;
    iconv(cd, NULL, NULL, NULL, NULL);
    size_t r = iconv(cd, &ip, &il, &op, &ol);
    int e = r == (size_t)-1 ? errno : 0;
    iconv(cd, NULL, NULL, NULL, NULL);
    if (e == EINVAL && il == n)
        return TAB_LEAD;
    size_t got = (size_t)(op - res);
    if (e || il || got == 0)
        return TAB_NONE;
    const unsigned char *o = (const unsigned char *)res;
    size_t bad = 0;
    bool cut = false;
    if (got != (o[0] < 0x80 ? 1 : utf8_seq(o, got, &bad, &cut)))
        return TAB_NONE; /* more than one character */
    uint32_t bytes = 0;
    memcpy(&bytes, res, got);
    return bytes | (uint64_t)got << 32;
}

/* The table of the converter in slot i of c, made on first use;
 * CHAFF_E_NOMEM when it cannot be. */
static chaff_status table_of(struct dec_cache *c, size_t i, struct dec_table **out)
{
    struct dec_table *t = c->conv[i].tab;
    if (!t) {
        t = chaff_xcalloc(1, sizeof *t);
        if (!t)
            return CHAFF_E_NOMEM;
        for (unsigned b = 0; b < 256; b++) {
            unsigned char one = (unsigned char)b;
            t->single[b] = ask_iconv(c->conv[i].cd, &one, 1);
        }
        c->conv[i].tab = t;
    }
    *out = t;
    return CHAFF_OK;
}

/* Convert in[0..len) by the table t of converter cd, through the same
 * chunked copy as conv_iconv; *done is how far it got (len, or the first
 * byte the table does not give, or whose row there was no memory for). */
static chaff_status conv_table(struct dec_table *t, iconv_t cd, const char *in, size_t len,
                               struct dec_state *st, struct buf *out, size_t *done)
{
    char chunk[DEC_CHUNK];
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0;
    for (;;) {
        size_t n = 0, from = i;
        while (i < len && n + 4 <= sizeof chunk) {
            uint64_t v = t->single[u[i]];
            size_t k = 1;
            if (v == TAB_LEAD) {
                if (i + 1 >= len)
                    break;
                uint64_t *row = t->pair[u[i]];
                if (!row && !(row = t->pair[u[i]] = chaff_xcalloc(256, sizeof *row)))
                    break; /* no memory for the row: iconv reads on */
                v = row[u[i + 1]];
                if (v == TAB_ASK) {
                    v = ask_iconv(cd, u + i, 2);
                    if (v == TAB_LEAD)
                        v = TAB_NONE; /* a longer sequence: iconv reads it */
                    row[u[i + 1]] = v;
                }
                k = 2;
            }
            if (v >> 40)
                break; /* TAB_NONE, or TAB_LEAD from a pair */
            uint32_t bytes = (uint32_t)v;
            memcpy(chunk + n, &bytes, 4); /* the length below says how many count */
            n += (size_t)(v >> 32);
            i += k;
        }
        if (n && dec_copy_utf8(st, chunk, n, out))
            return out->err;
        if (i == from || i == len)
            break;
    }
    *done = i;
    return out->err;
}

static chaff_status conv_named(struct dec_cache *c, const char *decoder, const char *in, size_t len,
                               struct dec_state *st, struct buf *out)
{
    if (is_utf8_decoder(decoder))
        return dec_copy_utf8(st, in, len, out);
    size_t slot = 0;
    chaff_status s = cache_iconv(c, decoder, &slot);
    if (s)
        return s;
    iconv_t cd = c->conv[slot].cd;
    size_t done = 0;
    if (dec_tables_on && len && table_charset(decoder)) {
        struct dec_table *t = NULL;
        /* without memory for the table, iconv reads it all */
        if (table_of(c, slot, &t) == CHAFF_OK) {
            s = conv_table(t, cd, in, len, st, out, &done);
            if (s || done == len)
                return s;
        }
    }
    /* in may be NULL when empty, and NULL + 0 is undefined */
    return conv_iconv(cd, unit_of(decoder), done ? in + done : in, len - done, st, out);
}

/* Can iconv read decoder?  CHAFF_E_NOMEM when it could not tell. */
static chaff_status iconv_knows(struct dec_cache *c, const char *decoder)
{
    if (is_utf8_decoder(decoder))
        return CHAFF_OK;
    size_t slot;
    return cache_iconv(c, decoder, &slot);
}

/*
 * Ask ICU which charset in[0..len) is in: the best match of confidence
 * DEC_MIN_CONFIDENCE or more whose name iconv knows, passing over UTF-8
 * when utf8_ok is 0 (the text has no valid multi-byte sequence, so ICU's
 * UTF-8 answer only means "mostly ASCII").  Fills canon/decoder and
 * *confidence; windows-1252 with confidence 0 when nothing qualifies.
 * Only an allocation failure is an error.
 */
static chaff_status detect(struct dec_cache *c, const char *in, size_t len, int utf8_ok,
                           char canon[40], char decoder[40], int *confidence)
{
    UErrorCode ec = U_ZERO_ERROR;
    chaff_status s = CHAFF_OK;
    bool found = false;
    if (!c->det) {
        c->det = ucsdet_open(&ec);
        if (U_FAILURE(ec)) {
            /* no detector (ICU without its data): the fallback, as when
             * nothing qualifies */
            c->det = NULL;
            if (ec == U_MEMORY_ALLOCATION_ERROR)
                return CHAFF_E_NOMEM;
            *confidence = 0;
            dec_resolve(DEC_FALLBACK, canon, decoder);
            return CHAFF_OK;
        }
    }
    UCharsetDetector *d = c->det;
    ucsdet_setText(d, in, (int32_t)(len > DEC_SNIFF_MAX ? DEC_SNIFF_MAX : len), &ec);
    int32_t n_match = 0;
    const UCharsetMatch **m = ucsdet_detectAll(d, &n_match, &ec);
    for (int32_t i = 0; U_SUCCESS(ec) && m && i < n_match && !found; i++) {
        const char *name = ucsdet_getName(m[i], &ec);
        int32_t conf = ucsdet_getConfidence(m[i], &ec);
        /* matches come best first: the rest are weaker still */
        if (U_FAILURE(ec) || !name || conf < DEC_MIN_CONFIDENCE)
            break;
        if (!dec_resolve(name, canon, decoder))
            continue;
        if (!utf8_ok && is_utf8_decoder(decoder))
            continue;
        /* ICU lists UTF-16/32 at 10 for any input: that is no evidence */
        if (unit_of(decoder) > 1 && conf <= DEC_MIN_CONFIDENCE)
            continue;
        s = iconv_knows(c, decoder);
        if (s == CHAFF_E_NOMEM)
            break;
        if (s == CHAFF_OK) {
            found = true;
            *confidence = (int)conf;
        }
        s = CHAFF_OK;
    }
    if (ec == U_MEMORY_ALLOCATION_ERROR)
        return CHAFF_E_NOMEM;
    if (s)
        return s;
    if (!found) {
        *confidence = 0;
        dec_resolve(DEC_FALLBACK, canon, decoder);
    }
    return CHAFF_OK;
}

chaff_status dec_to_utf8(const char *in, size_t len, const char *from, struct buf *out,
                         struct dec_info *info)
{
    struct dec_cache c;
    dec_cache_init(&c);
    chaff_status s = dec_convert(&c, in, len, from, out, info);
    dec_cache_free(&c);
    return s;
}

chaff_status dec_sniff(struct dec_cache *c, const char *in, size_t len, char hint[40])
{
    hint[0] = '\0';
    if (len > DEC_SNIFF_MAX)
        len = DEC_SNIFF_MAX;
    /* a sample cut anywhere may end inside a character: judge whole lines
     * when there is one */
    size_t n = len;
    while (n > 0 && in[n - 1] != '\n' && in[n - 1] != '\0')
        n--;
    if (n == 0)
        n = len;
    if (!n || dec_valid_utf8(in, n))
        return CHAFF_OK;
    char canon[40], decoder[40];
    int conf = 0;
    chaff_status s = detect(c, in, n, 1, canon, decoder, &conf);
    if (s || conf == 0 || is_utf8_decoder(decoder))
        return s; /* inconclusive or UTF-8: each record is judged alone */
    copy_name(hint, canon);
    return CHAFF_OK;
}

static chaff_status convert(struct dec_cache *c, const char *in, size_t len, const char *from,
                            const char *hint, struct buf *out, struct dec_info *info,
                            const char **view);

chaff_status dec_convert(struct dec_cache *c, const char *in, size_t len, const char *from,
                         struct buf *out, struct dec_info *info)
{
    return convert(c, in, len, from, NULL, out, info, NULL);
}

chaff_status dec_convert_hinted(struct dec_cache *c, const char *in, size_t len, const char *hint,
                                struct buf *out, struct dec_info *info)
{
    return convert(c, in, len, NULL, hint && *hint ? hint : NULL, out, info, NULL);
}

chaff_status dec_text(struct dec_cache *c, const char *in, size_t len, const char *from,
                      const char *hint, struct buf *out, struct dec_info *info, const char **text,
                      size_t *text_len)
{
    size_t start = out->len;
    const char *view = NULL;
    chaff_status s = convert(c, in, len, from, hint && *hint ? hint : NULL, out, info, &view);
    if (s)
        return s;
    if (view) {
        *text = view;
        *text_len = len;
    } else {
        *text = out->p ? out->p + start : "";
        *text_len = out->len - start;
    }
    return CHAFF_OK;
}

/*
 * How much of s[0..n) dec_copy_utf8() copies unchanged from its start (it
 * finds its clean runs with this): the length of the prefix that is
 * well-formed UTF-8 with no control but tab and newline, no CR, DEL or C1
 * control, and no sequence cut by the end.  *n_valid_mb receives the
 * multi-byte sequences in that prefix.
 */
STATIC size_t dec_clean_prefix(const char *src, size_t n, uint64_t *n_valid_mb)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0;
    uint64_t n_valid = 0;
    while (i < n) {
        unsigned c = s[i];
        if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t') {
            i++;
            while (n - i >= 8) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (!word_plain(w))
                    break;
                i += 8;
            }
            continue;
        }
        /* Well-formed 3- and 2-byte sequences whose lead byte puts no range
         * on the second byte (all of CJK, kana, Hangul, Cyrillic, Greek,
         * accented Latin) are the common case: take runs of them first. */
        if (c >= 0xE1 && c != 0xED && c <= 0xEF && n - i >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            do {
                n_valid++;
                i += 3;
            } while (n - i >= 3 && s[i] >= 0xE1 && s[i] != 0xED && s[i] <= 0xEF &&
                     (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80);
            continue;
        }
        if (c >= 0xC3 && c <= 0xDF && n - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            /* alphabetic scripts mix in spaces and punctuation: keep them
             * in the run rather than leaving it at every word */
            n_valid++;
            i += 2;
            while (n - i >= 2) {
                unsigned d = s[i];
                if (d >= 0x20 && d < 0x7F) {
                    i++;
                } else if (d >= 0xC3 && d <= 0xDF && (s[i + 1] & 0xC0) == 0x80) {
                    n_valid++;
                    i += 2;
                } else {
                    break;
                }
            }
            continue;
        }
        if (c < 0x80 || (c == 0xC2 && n - i >= 2 && (unsigned char)s[i + 1] < 0xA0))
            break; /* a control, DEL or a C1 control: dec_copy_utf8() drops it */
        size_t bad;
        bool cut;
        size_t k = utf8_seq(s + i, n - i, &bad, &cut);
        if (!k)
            break;
        n_valid++;
        i += k;
    }
    *n_valid_mb = n_valid;
    return i;
}

static chaff_status convert(struct dec_cache *c, const char *in, size_t len, const char *from,
                            const char *hint, struct buf *out, struct dec_info *info,
                            const char **view)
{
    struct dec_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (out->err)
        return out->err;
    if (!in)
        len = 0;

    char canon[40], decoder[40];
    if (from) {
        if (!resolve_cached(c, from, canon, decoder))
            return CHAFF_E_CHARSET;
        /* know the name is good before anything is appended */
        chaff_status s = iconv_knows(c, decoder);
        if (s)
            return s;
    }

    const unsigned char *u = (const unsigned char *)in;
    const char *bom = NULL;
    size_t skip = 0;
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        bom = "UTF-8";
        skip = 3;
    } else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        bom = "UTF-16LE";
        skip = 2;
    } else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
        bom = "UTF-16BE";
        skip = 2;
    }
    if (bom) {
        info->had_bom = 1;
        in += skip;
        len -= skip;
        int known = dec_resolve(bom, canon, decoder);
        if (NEVER(!known)) /* bom is one of the names above */
            return CHAFF_E_CHARSET;
    }

    /* Text that is UTF-8 already and would be copied unchanged is left
     * where it is (view): no second copy of a document.  Otherwise the
     * clean prefix found is copied and the copy goes on from its end, the
     * same as copying from the start. */
    struct dec_state st = {0};
    size_t clean = 0;
    if (view && !bom && (!from || is_utf8_decoder(decoder))) {
        clean = dec_clean_prefix(in, len, &st.n_valid_mb);
        if (clean == len) {
            *view = in ? in : "";
            utf8_names(canon, decoder);
            copy_name(info->charset, canon);
            copy_name(info->decoder, decoder);
            return CHAFF_OK;
        }
    }

    size_t start = out->len;
    /* UTF-8 and single-byte output is rarely longer than the input */
    if (len <= out->max - out->len && buf_reserve(out, len))
        return out->err;

    chaff_status s;
    const char *rest = clean ? in + clean : in; /* in may be NULL when empty */
    if (bom || from) {
        s = buf_add(out, in, clean);
        if (!s)
            s = conv_named(c, decoder, rest, len - clean, &st, out);
    } else {
        /* Counted first: text that is not to be read as UTF-8 (the most
         * of it, when it comes here) is then never copied as UTF-8 with a
         * U+FFFD for each of its characters only to be taken back. */
        st.sniff = true;
        struct dec_state probe = st;
        probe.count_only = true;
        (void)dec_copy_utf8(&probe, rest, len - clean, out); /* writes nothing */
        if (!probe.abandoned && dec_mostly_utf8(probe.n_valid_mb, probe.n_invalid, probe.cut_len)) {
            s = buf_add(out, in, clean);
            if (!s)
                s = dec_copy_utf8(&st, rest, len - clean, out);
            utf8_names(canon, decoder);
        } else {
            int utf8_ok = probe.n_valid_mb > 0;
            memset(&st, 0, sizeof st);
            info->detected = 1;
            s = CHAFF_E_CHARSET;
            if (hint && resolve_cached(c, hint, canon, decoder) &&
                iconv_knows(c, decoder) == CHAFF_OK) {
                /* the stream's charset, when it reads the record cleanly */
                s = conv_named(c, decoder, in, len, &st, out);
                info->hinted = 1;
                if (s == CHAFF_OK && st.n_invalid) {
                    info->hinted = 0;
                    out->len = start;
                    if (out->p)
                        out->p[start] = '\0';
                    memset(&st, 0, sizeof st);
                    s = CHAFF_E_CHARSET;
                }
            }
            if (s == CHAFF_E_CHARSET) {
                s = detect(c, in, len, utf8_ok, canon, decoder, &info->confidence);
                if (s == CHAFF_OK)
                    s = conv_named(c, decoder, in, len, &st, out);
            }
        }
    }
    if (s) {
        out->len = start;
        if (out->p)
            out->p[start] = '\0';
        info->confidence = 0;
        return s;
    }
    copy_name(info->charset, canon);
    copy_name(info->decoder, decoder);
    info->n_invalid = st.n_invalid;
    info->n_controls = st.n_controls;
    return CHAFF_OK;
}
