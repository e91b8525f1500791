/*
 * fuzz_decode.c — libFuzzer target for the decode stage (src/decode.c).
 *
 * Whatever the bytes, dec_to_utf8() must succeed and write valid UTF-8
 * with no control character but tab and newline and no CR.  Input that is
 * valid UTF-8 (and starts with no UTF-16 BOM) must be taken as UTF-8 with
 * nothing replaced, and when it also holds no control or CR it must come
 * out unchanged apart from a UTF-8 BOM.  Declared UTF-8 must match a plain
 * byte-at-a-time reference of the same rules, which keeps the fast paths
 * of the real loop honest.  A second run declares a charset
 * picked by the first byte, so iconv's converters and the recovery after
 * their errors are fuzzed as well (and the charsets read by table must
 * give what iconv alone gives), and a third reads the second half of the
input with the charset dec_sniff() found in the first half.  Any violation
traps.  The target also
 * runs as a corpus replay test (tests/fuzz/replay.c supplies main()).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "decode.h"
#include "fuzz.h"

/* The output contract: valid UTF-8, no C0 but \t and \n, no DEL, no C1. */
static void check_clean(const struct buf *out)
{
    const unsigned char *s = (const unsigned char *)out->p;
    CHECK(dec_valid_utf8(out->p, out->len));
    for (size_t i = 0; i < out->len; i++) {
        CHECK(s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n');
        CHECK(s[i] != 0x7F);
        CHECK(!(s[i] == 0xC2 && i + 1 < out->len && s[i + 1] < 0xA0));
    }
}

static int has_control(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7F ||
            (s[i] == 0xC2 && i + 1 < n && s[i + 1] < 0xA0))
            return 1;
    }
    return 0;
}

/* The UTF-8 rules written the slow, obvious way: one U+FFFD per maximal
 * subpart (Unicode Table 3-7), controls but \t and \n dropped, CR and
 * CRLF to LF. */
static void reference_utf8(const uint8_t *s, size_t n, struct buf *o)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == '\r') {
            buf_addc(o, '\n');
            i++;
            if (i < n && s[i] == '\n')
                i++;
            continue;
        }
        if (c < 0x80) {
            if ((c >= 0x20 && c != 0x7F) || c == '\t' || c == '\n')
                buf_addc(o, (char)c);
            i++;
            continue;
        }
        size_t need;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3;
        else
            need = 0;
        size_t k = 1;
        for (; k <= need && i + k < n; k++) {
            uint8_t b = s[i + k];
            if ((b & 0xC0) != 0x80)
                break;
            if (k == 1 && ((c == 0xE0 && b < 0xA0) || (c == 0xED && b > 0x9F) ||
                           (c == 0xF0 && b < 0x90) || (c == 0xF4 && b > 0x8F)))
                break;
        }
        if (need == 0 || k <= need) {
            buf_add(o, "\xEF\xBF\xBD", 3);
            i += k;
            continue;
        }
        if (!(c == 0xC2 && s[i + 1] < 0xA0))
            buf_add(o, s + i, need + 1);
        i += need + 1;
    }
}

static const char *const declared[] = {
    "UTF-8",        "gbk",        "big5",     "sjis",     "euc-kr", "koi8-r",
    "windows-1251", "iso-8859-7", "UTF-16LE", "UTF-16BE", "latin1", "ISO-2022-JP",
    "GB18030",      "EUC-JP",     "UTF-32LE", "cp1252",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct buf out;
    struct dec_info info;
    buf_init(&out, 0);

    CHECK(dec_to_utf8(in, size, NULL, &out, &info) == CHAFF_OK);
    check_clean(&out);
    int utf16_bom =
        size >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF));
    size_t skip = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (!utf16_bom && dec_valid_utf8(in, size)) {
        CHECK(info.n_invalid == 0 && strcmp(info.charset, "UTF-8") == 0);
        if (!has_control(data, size))
            CHECK(out.len == size - skip &&
                  (size == skip || memcmp(out.p, in + skip, out.len) == 0));
    }

    if (!utf16_bom) {
        struct buf ref;
        buf_init(&ref, 0);
        reference_utf8(data + skip, size - skip, &ref);
        buf_reset(&out);
        CHECK(dec_to_utf8(in, size, "UTF-8", &out, &info) == CHAFF_OK);
        CHECK(ref.err == CHAFF_OK && out.len == ref.len &&
              (out.len == 0 || memcmp(out.p, ref.p, out.len) == 0));
        buf_free(&ref);
    }

    if (size > 0) {
        const char *from = declared[data[0] % (sizeof declared / sizeof declared[0])];
        buf_reset(&out);
        CHECK(dec_to_utf8(in + 1, size - 1, from, &out, &info) == CHAFF_OK);
        check_clean(&out);
        /* the same read by iconv alone, without the tables */
        struct buf alone;
        struct dec_info ai;
        buf_init(&alone, 0);
        dec_tables_on = 0;
        CHECK(dec_to_utf8(in + 1, size - 1, from, &alone, &ai) == CHAFF_OK);
        dec_tables_on = 1;
        CHECK(alone.len == out.len && (out.len == 0 || memcmp(alone.p, out.p, out.len) == 0));
        CHECK(ai.n_invalid == info.n_invalid);
        buf_free(&alone);
    }

    /* a stream sniffed on its first half, its second half read with the
     * hint: clean output, UTF-8 still UTF-8, and a record read in the hint
     * only when that left nothing invalid */
    struct dec_cache c;
    dec_cache_init(&c);
    char hint[40];
    CHECK(dec_sniff(&c, in, size / 2, hint) == CHAFF_OK);
    CHECK(memchr(hint, '\0', sizeof hint) != NULL);
    buf_reset(&out);
    CHECK(dec_convert_hinted(&c, in + size / 2, size - size / 2, hint, &out, &info) == CHAFF_OK);
    check_clean(&out);
    CHECK(!info.hinted || (hint[0] && strcmp(info.charset, hint) == 0 && info.n_invalid == 0));
    if (!utf16_bom && dec_valid_utf8(in + size / 2, size - size / 2) &&
        !(size - size / 2 >= 2 && ((data[size / 2] == 0xFF && data[size / 2 + 1] == 0xFE) ||
                                   (data[size / 2] == 0xFE && data[size / 2 + 1] == 0xFF))))
        CHECK(strcmp(info.charset, "UTF-8") == 0);
    dec_cache_free(&c);
    buf_free(&out);
    return 0;
}
