/*
 * decode.h — bytes in any charset to clean UTF-8 (pipeline stage 2).
 *
 * One call turns one document into valid UTF-8 with no NUL, no C0/C1
 * control other than tab and newline, and \n line ends.  The charset comes
 * from a byte-order mark, else from the caller (a WARC/HTTP header, a JSON
 * field, --from), else from the bytes: valid UTF-8 stays UTF-8, anything
 * else goes to ICU's charset detector.  Conversion is by iconv.  Nothing is
 * ever dropped silently: every invalid or unconvertible sequence becomes
 * U+FFFD and is counted.  See decode.c for the exact rules.
 */
#ifndef CHAFF_DECODE_H
#define CHAFF_DECODE_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct dec_info {
    char charset[40]; /* charset the text was read as: "UTF-8", or a name
                         such as "GB18030", "Big5", "Shift_JIS", "EUC-KR",
                         "windows-1251", "KOI8-R", "ISO-8859-2"; for a
                         declared name outside the alias table, the name as
                         given */
    char decoder[40]; /* converter actually used: "UTF-8" (built in) or an
                         iconv name, sometimes a superset of charset as the
                         web uses it (CP932 for Shift_JIS, CP949 for EUC-KR,
                         BIG5-HKSCS for Big5, GB18030 for GBK) */
    int detected;     /* 1 when chosen by ICU detection (including the
                         windows-1252 fallback), 0 when declared or UTF-8 */
    int confidence;   /* ICU's confidence 0..100 when detected, else 0 */
    int hinted;       /* 1 when read in the stream's charset (dec_convert_hinted) */
    int had_bom;
    uint64_t n_invalid;  /* invalid sequences replaced by U+FFFD */
    uint64_t n_controls; /* NUL and C0/C1 control characters removed */
};

/*
 * Converters and the charset detector kept open between documents by one
 * thread: opening them costs far more than converting a short record.
 * Reusing them changes no result (each conversion starts from the
 * converter's initial state, and detection looks at the text alone).
 */
#define DEC_CACHE_CONV 4  /* open iconv converters kept */
#define DEC_CACHE_NAMES 8 /* decoder names iconv was found not to know */
struct dec_table;         /* decode.c: what iconv gave for each byte and pair */
struct dec_cache {
    void *det; /* UCharsetDetector *, opened on first detection */
    struct {
        iconv_t cd; /* NULL when the slot is empty */
        char name[40];
        uint64_t used;         /* for least-recently-used eviction */
        struct dec_table *tab; /* for a charset read by table, made on first use */
    } conv[DEC_CACHE_CONV];
    char unknown[DEC_CACHE_NAMES][40];
    unsigned n_unknown;
    uint64_t clock;
    /* the last declared charset name and what it resolved to: a stream
     * declares the same one for every record */
    char from[40], canon[40], decoder[40];
    bool from_ok; /* from holds a name (which may have resolved to none) */
    bool from_known;
};

#ifdef UNIT_TESTING
/* 0: every legacy charset goes through iconv alone (tests compare). */
extern int dec_tables_on;
#endif

/* An empty cache; a zero-filled struct dec_cache is one too. */
void dec_cache_init(struct dec_cache *c);
/* Close everything c holds; c may be reused after dec_cache_init. */
void dec_cache_free(struct dec_cache *c);

/*
 * dec_to_utf8() with the converters and detector of c (one thread's; not
 * shared).  Same contract and results as dec_to_utf8().
 */
chaff_status dec_convert(struct dec_cache *c, const char *in, size_t len, const char *from,
                         struct buf *out, struct dec_info *info);

/*
 * The charset of a stream of records, judged once on a sample of it (its
 * first block; at most the first 64 KiB, whole lines when there is a line
 * end): hint receives a charset name for dec_convert_hinted(), or "" when
 * the sample is UTF-8 or detection is inconclusive.  Short records are
 * detected badly and slowly one by one; the stream as a whole is not.
 */
chaff_status dec_sniff(struct dec_cache *c, const char *in, size_t len, char hint[40]);

/*
 * dec_convert() with no declared charset for one record of a stream that
 * dec_sniff() judged: a BOM or (mostly) valid UTF-8 wins as always; other
 * bytes are read as hint without detection when that leaves no invalid
 * sequence, else detection decides as in dec_convert().  hint NULL or "":
 * dec_convert(c, in, len, NULL, out, info).
 */
chaff_status dec_convert_hinted(struct dec_cache *c, const char *in, size_t len, const char *hint,
                                struct buf *out, struct dec_info *info);

/*
 * dec_convert() (hint NULL) or dec_convert_hinted() (from NULL) that
 * leaves text already clean where it is: when in[0..len) has no BOM, is
 * read as UTF-8 and holds nothing the conversion would change (no invalid
 * sequence, no control but tab and newline, no CR), *text = in and
 * nothing is appended to out; else the text is appended to out as those
 * functions do and *text points at it there.  Either way *text[0..*text_len)
 * is the clean UTF-8 they would write, valid until in or out changes.
 * Same errors as dec_convert().
 */
chaff_status dec_text(struct dec_cache *c, const char *in, size_t len, const char *from,
                      const char *hint, struct buf *out, struct dec_info *info, const char **text,
                      size_t *text_len);

/*
 * Convert in[0..len) to UTF-8, appending to out (caller owns out and its
 * storage; info is filled when not NULL).
 * - A BOM (UTF-8, UTF-16LE, UTF-16BE) is honoured and removed; it wins over
 *   a declared charset, as in the WHATWG Encoding Standard.
 * - from != NULL: that charset (any name iconv accepts; web aliases such as
 *   "gbk", "sjis", "cp1251", "latin1" work).  An unknown name returns
 *   CHAFF_E_CHARSET and appends nothing.
 * - from == NULL: UTF-8 when the input is valid or mostly valid UTF-8 (see
 *   decode.c), else ICU's detector on the first 64 KiB picks the charset,
 *   and windows-1252 when detection is inconclusive.
 * - Every invalid or unconvertible sequence becomes U+FFFD (counted in
 *   n_invalid) and conversion goes on after it.
 * - NUL, C0 controls other than \t and \n, DEL and C1 controls are removed
 *   (counted in n_controls); CRLF and lone CR become \n.
 * The output is always valid UTF-8.  Returns CHAFF_OK, CHAFF_E_CHARSET,
 * CHAFF_E_NOMEM, or CHAFF_E_TOOBIG when out reaches its cap.  On any error
 * out->len is restored (nothing appended); buffer errors stay in out->err.
 * Thread-safe: each call opens its own detector and converter (see
 * dec_convert() for a thread's long-lived ones).
 */
chaff_status dec_to_utf8(const char *in, size_t len, const char *from, struct buf *out,
                         struct dec_info *info);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF),
 * else 0.  NUL and controls are valid here. */
int dec_valid_utf8(const char *s, size_t len);

#endif
