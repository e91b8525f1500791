/*
 * test_normalize.c — the two forms of a line (normalize.c).
 *
 * Output form: trimmed of ASCII and Unicode white space at both ends
 * (inner white space kept), NFC, ASCII passed through byte for byte.
 * Match key: NFKC_Casefold with white-space runs collapsed and trimmed, so
 * case, width and compatibility forms compare alike.  Lines longer than the
 * 1024-unit stack buffers take the heap path; allocation failures and the
 * buffer cap surface as CHAFF_E_NOMEM / CHAFF_E_TOOBIG.
 */
#include "unit.h"

#include "alloc.h"
#include "buf.h"
#include "normalize.h"
#include "utf8.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#define NBSP "\xc2\xa0"     /* U+00A0 */
#define IDSP "\xe3\x80\x80" /* U+3000 ideographic space */
#define EMSP "\xe2\x80\x83" /* U+2003 em space */
#define ZWSP "\xe2\x80\x8b" /* U+200B zero width space */
#define BOM "\xef\xbb\xbf"  /* U+FEFF */
#define ACUTE "\xcc\x81"    /* U+0301 combining acute */
#define E_ACUTE "\xc3\xa9"  /* U+00E9 é */

/* Output form / key of s as a NUL-terminated string in *b (reset first). */
static const char *out_of(struct buf *b, const char *s)
{
    buf_reset(b);
    assert_int_equal(norm_output(s, strlen(s), b), CHAFF_OK);
    return b->p ? b->p : "";
}

static const char *key_of(struct buf *b, const char *s)
{
    buf_reset(b);
    assert_int_equal(norm_key(s, strlen(s), b), CHAFF_OK);
    return b->p ? b->p : "";
}

static void test_output_trims_unicode_space(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_string_equal(out_of(&b, "  \t Hello,\tworld!\t  "), "Hello,\tworld!");
    assert_string_equal(out_of(&b, NBSP IDSP "text" EMSP ZWSP BOM), "text");
    assert_string_equal(out_of(&b, BOM ZWSP NBSP "文章" IDSP), "文章");
    /* inner white space of every kind stays as it is */
    assert_string_equal(out_of(&b, NBSP "a" NBSP "b" IDSP "c" ZWSP "d  e" NBSP),
                        "a" NBSP "b" IDSP "c" ZWSP "d  e");
    /* nothing but white space: empty */
    assert_string_equal(out_of(&b, NBSP IDSP EMSP ZWSP BOM " \t"), "");
    assert_int_equal(b.len, 0);
    assert_string_equal(out_of(&b, ""), "");
    /* the output form is NFC, not NFKC: width and case stay */
    assert_string_equal(out_of(&b, "\xef\xbc\xb3HARE\xef\xbc\x9f"), "\xef\xbc\xb3HARE\xef\xbc\x9f");
    buf_free(&b);
}

static void test_output_nfc(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_string_equal(out_of(&b, "caf"
                                   "e" ACUTE),
                        "caf" E_ACUTE);
    assert_string_equal(out_of(&b, "  e" ACUTE "  "), E_ACUTE);
    /* Hangul jamo compose into a syllable: U+1100 U+1161 -> U+AC00 */
    assert_string_equal(out_of(&b, "\xe1\x84\x80\xe1\x85\xa1"), "\xea\xb0\x80");
    /* marks with quick-check Yes but out of canonical order are reordered:
     * U+05B1 (ccc 11) before U+05B0 (ccc 10) */
    assert_string_equal(out_of(&b, "\xd7\x90\xd6\xb1\xd6\xb0"), "\xd7\x90\xd6\xb0\xd6\xb1");
    /* already NFC text passes unchanged */
    const char *nfc = "Привет, мир! 你好，世界。 " E_ACUTE "t" E_ACUTE;
    assert_string_equal(out_of(&b, nfc), nfc);
    /* ASCII fast path: byte for byte, including controls inside */
    const char *ascii = "A-z 0~9 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}";
    assert_string_equal(out_of(&b, ascii), ascii);
    buf_free(&b);
}

static void test_key_folds(void **state)
{
    (void)state;
    struct buf b, c;
    buf_init(&b, 0);
    buf_init(&c, 0);
    assert_string_equal(key_of(&b, "Share This"), "share this");
    assert_string_equal(key_of(&b, "Stra\xc3\x9f"
                                   "e"),
                        "strasse"); /* ß -> ss */
    assert_string_equal(key_of(&b, "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91"),
                        "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1"); /* ΣΟΦΙΑ -> σοφια */
    /* full-width ASCII */
    assert_string_equal(key_of(&b, "\xef\xbc\xb3\xef\xbc\xa8\xef\xbc\xa1\xef\xbc\xb2\xef\xbc\xa5"),
                        "share");
    assert_string_equal(key_of(&b, "\xef\xbc\x9f"), "?");
    /* white-space runs collapse, ends are trimmed */
    assert_string_equal(key_of(&b, "  A \t\t B  "), "a b");
    assert_string_equal(key_of(&b, NBSP NBSP "Read" NBSP NBSP NBSP "more" IDSP IDSP), "read more");
    assert_string_equal(key_of(&b, "x" IDSP " " NBSP "y"), "x y");
    assert_string_equal(key_of(&b, "a" ZWSP "b"), "ab"); /* default-ignorable */
    assert_string_equal(key_of(&b, NBSP IDSP), "");
    assert_string_equal(key_of(&b, ""), "");
    /* decomposed and composed forms give one key */
    assert_string_equal(key_of(&b, "CAF"
                                   "E" ACUTE),
                        "caf" E_ACUTE);
    /* 看不清？换一张 and 看不清?换一张 */
    const char *full =
        "\xe7\x9c\x8b\xe4\xb8\x8d\xe6\xb8\x85\xef\xbc\x9f\xe6\x8d\xa2\xe4\xb8\x80\xe5\xbc\xa0";
    const char *half = "\xe7\x9c\x8b\xe4\xb8\x8d\xe6\xb8\x85?\xe6\x8d\xa2\xe4\xb8\x80\xe5\xbc\xa0";
    key_of(&b, full);
    key_of(&c, half);
    assert_string_equal(b.p, c.p);
    assert_string_equal(b.p, half);
    buf_free(&b);
    buf_free(&c);
}

static void test_key_appends(void **state)
{
    (void)state;
    /* the key is appended: what is in the buffer already is untouched */
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_adds(&b, "x  "), CHAFF_OK);
    assert_int_equal(norm_key("  A  B ", 7, &b), CHAFF_OK);
    assert_string_equal(b.p, "x  a b");
    assert_int_equal(norm_key(NBSP "C" NBSP NBSP "D", strlen(NBSP "C" NBSP NBSP "D"), &b),
                     CHAFF_OK);
    assert_string_equal(b.p, "x  a bc d");
    assert_int_equal(b.len, strlen("x  a bc d"));
    buf_free(&b);
}

/* A line of n copies of unit. */
static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

static void test_long_lines(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    /* around the 1024-unit stack buffers: e + U+0301 is two units in and
     * one out; 3000 of them overflow both buffers */
    size_t sizes[] = {511, 512, 513, 1023, 1024, 1025, 3000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        char *in = repeat("e" ACUTE, n);
        char *want = repeat(E_ACUTE, n);
        assert_string_equal(out_of(&b, in), want);
        assert_int_equal(b.len, 2 * n);
        assert_string_equal(key_of(&b, in), want);
        free(in);
        free(want);
    }
    /* output longer than the input in UTF-16 units: U+FB03 ﬃ folds to ffi */
    char *lig = repeat("\xef\xac\x83", 2000);
    char *ffi = repeat("ffi", 2000);
    assert_string_equal(key_of(&b, lig), ffi);
    free(lig);
    free(ffi);
    /* full-width letters with NBSP between them: heap path and collapse */
    char *wide = repeat("\xef\xbc\xa1" NBSP NBSP, 1500);
    char *narrow = repeat("a ", 1500);
    narrow[strlen(narrow) - 1] = '\0';
    assert_string_equal(key_of(&b, wide), narrow);
    free(wide);
    free(narrow);
    buf_free(&b);
}

static void test_nomem_and_cap(void **state)
{
    (void)state;
    struct buf b;
    char *in = repeat("e" ACUTE, 2000);
    /* each allocation on the heap path in turn: UTF-16 input, UTF-16
     * result, the output buffer */
    for (long k = 0; k < 3; k++) {
        buf_init(&b, 0);
        alloc_fail_after(k);
        assert_int_equal(norm_output(in, strlen(in), &b), CHAFF_E_NOMEM);
        alloc_fail_after(-1);
        assert_int_equal(b.err, CHAFF_E_NOMEM);
        buf_free(&b);
        buf_init(&b, 0);
        alloc_fail_after(k);
        assert_int_equal(norm_key(in, strlen(in), &b), CHAFF_E_NOMEM);
        alloc_fail_after(-1);
        buf_free(&b);
    }
    /* ASCII fast paths */
    buf_init(&b, 0);
    alloc_fail_after(0);
    assert_int_equal(norm_output("plain", 5, &b), CHAFF_E_NOMEM);
    alloc_fail_after(-1);
    buf_free(&b);
    buf_init(&b, 0);
    alloc_fail_after(0);
    assert_int_equal(norm_key("Plain", 5, &b), CHAFF_E_NOMEM);
    alloc_fail_after(-1);
    buf_free(&b);
    /* the cap */
    buf_init(&b, 100);
    assert_int_equal(norm_output(in, strlen(in), &b), CHAFF_E_TOOBIG);
    buf_free(&b);
    buf_init(&b, 4);
    assert_int_equal(norm_key("Hello", 5, &b), CHAFF_E_TOOBIG);
    buf_free(&b);
    free(in);
}

static void test_space_and_decode(void **state)
{
    (void)state;
    uint32_t spaces[] = {' ',    '\t',   '\n',   '\r',   0xa0,   0x1680, 0x2000, 0x2003, 0x200a,
                         0x200b, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff, 0x85};
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        assert_true(norm_is_space(spaces[i]));
    uint32_t not_spaces[] = {'a', '_', 0, 0x200c, 0x200d, 0x2060, 0x3001, 0xff01};
    for (size_t i = 0; i < sizeof not_spaces / sizeof not_spaces[0]; i++)
        assert_false(norm_is_space(not_spaces[i]));

    const char s[] = "a\xc3\xa9\xe4\xb8\x80\xf0\x9f\x98\x80";
    size_t i = 0, n = sizeof s - 1;
    assert_int_equal(norm_next(s, n, &i), 'a');
    assert_int_equal(norm_next(s, n, &i), 0xe9);
    assert_int_equal(i, 3);
    assert_int_equal(norm_next(s, n, &i), 0x4e00);
    assert_int_equal(norm_next(s, n, &i), 0x1f600);
    assert_int_equal(i, n);
    /* invalid bytes: U+FFFD, one byte at a time; a truncated sequence */
    const char bad[] = "\xff\x80\xc3";
    i = 0;
    assert_int_equal(norm_next(bad, 3, &i), 0xfffd);
    assert_int_equal(i, 1);
    assert_int_equal(norm_next(bad, 3, &i), 0xfffd);
    assert_int_equal(i, 2);
    assert_int_equal(norm_next(bad, 3, &i), 0xfffd);
    assert_int_equal(i, 3);
    const char lead_then_ascii[] = "\xe4"
                                   "ab";
    i = 0;
    assert_int_equal(norm_next(lead_then_ascii, 3, &i), 0xfffd);
    assert_int_equal(i, 1);
}

/* The key by ICU alone, the way norm_key worked before its table: the
 * whole line through UTF-16 NFKC_Casefold, then white space collapsed. */
static void key_by_icu(const char *s, struct buf *out)
{
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *cf = unorm2_getNFKCCasefoldInstance(&e);
    static UChar in[4096], res[4 * 4096];
    static char u8[16 * 4096];
    int32_t n_in = 0, n8 = 0;
    u_strFromUTF8WithSub(in, 4096, &n_in, s, -1, 0xfffd, NULL, &e);
    int32_t n = unorm2_normalize(cf, in, n_in, res, 4 * 4096, &e);
    u_strToUTF8WithSub(u8, (int32_t)sizeof u8, &n8, res, n, 0xfffd, NULL, &e);
    assert_true(U_SUCCESS(e));
    buf_reset(out);
    int pending = 0;
    for (size_t i = 0; i < (size_t)n8;) {
        size_t k = i;
        uint32_t c = norm_next(u8, (size_t)n8, &k);
        if (norm_is_space(c)) {
            pending = out->len > 0;
        } else {
            if (pending)
                buf_addc(out, ' ');
            pending = 0;
            buf_add(out, u8 + i, k - i);
        }
        i = k;
    }
}

/* norm_key(s[0..k)) into got must equal ICU's key, made into want. */
static void check_key(const char *s, size_t k, struct buf *got, struct buf *want)
{
    buf_reset(got);
    assert_int_equal(norm_key(s, k, got), CHAFF_OK);
    key_by_icu(s, want);
    if (got->len != want->len || memcmp(got->p, want->p, got->len) != 0)
        fail_msg("key of '%s' differs from ICU's: '%s' vs '%s'", s, got->p, want->p);
}

/* The table-driven key equals ICU's for every BMP code point between
 * letters, for random strings mixing scripts, combining marks,
 * compatibility forms, Hangul jamo and white space, and for lines of
 * ASCII runs among other characters. */
static void test_key_table_matches_icu(void **state)
{
    (void)state;
    struct buf got, want;
    buf_init(&got, 0);
    buf_init(&want, 0);
    char s[64];
    for (uint32_t c = 0x80; c < 0x10000; c++) {
        if (c >= 0xd800 && c <= 0xdfff)
            continue;
        size_t k = 0;
        s[k++] = 'A';
        k += utf8_put(s + k, c);
        s[k++] = 'b';
        k += utf8_put(s + k, c);
        s[k] = '\0';
        check_key(s, k, &got, &want);
    }
    static const uint32_t pool[] = {
        'a',    'Z',    ' ',    0xa0,   0x3000, 0xc9,   0xdf,   0x301,   0x308,   0x3b1,  0x3a3,
        0x3c2,  0x410,  0x439,  0x419,  0x306,  0x4e00, 0x3042, 0x304b,  0x3099,  0x309b, 0x30ab,
        0xff76, 0xff9e, 0x1100, 0x1161, 0x11a8, 0xac00, 0xfb01, 0x2460,  0x3392,  0xfdfa, 0x1e9e,
        0x130,  0x0928, 0x093c, 0x0915, 0x094d, 0x200d, 0xff01, 0x1f600, 0x20000, 0x2028};
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int t = 0; t < 20000; t++) {
        size_t k = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int n = 1 + (int)(x % 10);
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            k += utf8_put(s + k, pool[x % (sizeof pool / sizeof pool[0])]);
        }
        s[k] = '\0';
        check_key(s, k, &got, &want);
    }
    /* runs of ASCII between other characters, long enough for the eight-
     * byte steps: upper case, single and repeated white space, controls */
    static const char *const piece[] = {
        "Hello World", "ABCDEFGHIJKLMNOP", " ",    "  ",       "\t",           " x  y ",
        "1234567890",  "a\x01b",           "\r\n", "é",        "\xc2\xa0",     "\xe3\x80\x80",
        "Ä",           "\xef\xac\x81",     "ǅ",    "\xcc\x81", "\xe2\x80\xa8", "ÉTÉ Été"};
    char m[512];
    for (int t = 0; t < 20000; t++) {
        size_t k = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int n = 1 + (int)(x % 24);
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *q = piece[x % (sizeof piece / sizeof piece[0])];
            memcpy(m + k, q, strlen(q));
            k += strlen(q);
        }
        m[k] = '\0';
        check_key(m, k, &got, &want);
    }
    buf_free(&got);
    buf_free(&want);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_output_trims_unicode_space),
    cmocka_unit_test(test_output_nfc),
    cmocka_unit_test(test_key_folds),
    cmocka_unit_test(test_key_appends),
    cmocka_unit_test(test_long_lines),
    cmocka_unit_test(test_nomem_and_cap),
    cmocka_unit_test(test_key_table_matches_icu),
    cmocka_unit_test(test_space_and_decode),
};

UNIT_MAIN(tests)
