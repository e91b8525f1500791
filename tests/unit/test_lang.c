/*
 * test_lang.c — language codes and script-based guessing (lang.c): codes
 * with region or script suffixes and in any case, lists, the code of a
 * mask, the share thresholds of lang_detect_mask (Japanese needs kana),
 * and the script of code points across the blocks the table names.
 */
#include "unit.h"

#include "lang.h"

#define CODE(s) lang_from_code(s, strlen(s))

static void test_codes(void **state)
{
    (void)state;
    uint32_t en = CODE("en"), zh = CODE("zh"), de = CODE("de"), ja = CODE("ja");
    assert_int_not_equal(en, 0);
    assert_int_not_equal(zh, 0);
    /* one bit each, all different */
    assert_int_equal(en & (en - 1), 0);
    assert_int_equal(zh & (zh - 1), 0);
    assert_int_not_equal(en, zh);
    assert_int_not_equal(en, de);
    assert_int_not_equal(zh, ja);
    /* region and script suffixes are ignored, case does not matter */
    assert_int_equal(CODE("zh-TW"), zh);
    assert_int_equal(CODE("zh-tw"), zh);
    assert_int_equal(CODE("zh_Hant"), zh);
    assert_int_equal(CODE("EN"), en);
    assert_int_equal(CODE("en-GB"), en);
    assert_int_equal(lang_from_code("en,de", 2), en); /* only len bytes are read */
    assert_int_equal(CODE("any"), LANG_ALL);
    /* unknown codes */
    assert_int_equal(CODE(""), 0);
    assert_int_equal(CODE("e"), 0);
    assert_int_equal(CODE("eng"), 0);
    assert_int_equal(CODE("xx"), 0);
    assert_int_equal(CODE("-en"), 0);
    /* every language of rules/README.md is known */
    const char *all[] = {"en", "zh", "ja", "ko", "ru", "uk", "de", "fr", "es", "pt", "it", "ar",
                         "pl", "el", "nl", "tr", "cs", "sv", "id", "vi", "fa", "he", "hi", "th"};
    uint32_t seen = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        uint32_t m = CODE(all[i]);
        assert_int_not_equal(m, 0);
        assert_int_equal(seen & m, 0);
        seen |= m;
        assert_string_equal(lang_code(m), all[i]);
    }
}

/* A record's languages: ISO 639-1 or 639-3, codes without rules left out
 * and the first of them named. */
static void test_record(void **state)
{
    (void)state;
    uint32_t en = CODE("en"), es = CODE("es"), zh = CODE("zh"), de = CODE("de");
    char bad[16];
    assert_int_equal(lang_from_iso3("eng", 3), en);
    assert_int_equal(lang_from_iso3("SPA", 3), es);
    assert_int_equal(lang_from_iso3("cmn", 3), zh);
    assert_int_equal(lang_from_iso3("ger", 3), de);
    assert_int_equal(lang_from_iso3("cat", 3), 0);
    assert_int_equal(lang_from_iso3("en", 2), 0);
    assert_int_equal(lang_from_record("eng,spa", 7, bad), en | es);
    assert_string_equal(bad, "");
    assert_int_equal(lang_from_record("en-GB, de", 9, bad), en | de);
    assert_int_equal(lang_from_record("cat,eng", 7, bad), en);
    assert_string_equal(bad, "cat");
    assert_int_equal(lang_from_record("xx-YY,tlh", 9, bad), 0);
    assert_string_equal(bad, "xx-YY");
    assert_int_equal(lang_from_record("any", 3, bad), 0); /* a rule word, not a language */
    assert_string_equal(bad, "any");
    assert_int_equal(lang_from_record("english-language-code", 21, bad), 0);
    assert_string_equal(bad, "english-languag"); /* cut to 15 bytes */
    assert_int_equal(lang_from_record("", 0, bad), 0);
    assert_string_equal(bad, "");
    assert_int_equal(lang_from_record("zho,", 4, bad), zh); /* only len bytes are read */
}

static void test_list_and_code(void **state)
{
    (void)state;
    uint32_t en = CODE("en"), zh = CODE("zh"), de = CODE("de");
    assert_int_equal(lang_from_list("en"), en);
    assert_int_equal(lang_from_list("en,de"), en | de);
    assert_int_equal(lang_from_list("de,zh-TW,en"), en | de | zh);
    assert_int_equal(lang_from_list("en,xx"), 0);
    assert_int_equal(lang_from_list("xx,en"), 0);
    assert_int_equal(lang_from_list(""), 0);
    assert_int_equal(lang_from_list("any"), LANG_ALL);
    assert_string_equal(lang_code(en), "en");
    assert_string_equal(lang_code(de | zh), "zh"); /* the lowest bit */
    assert_string_equal(lang_code(LANG_ALL), "any");
    assert_string_equal(lang_code(0), "any");
}

static void test_detect(void **state)
{
    (void)state;
    uint32_t en = CODE("en"), de = CODE("de"), zh = CODE("zh"), ja = CODE("ja"), ko = CODE("ko"),
             ru = CODE("ru"), uk = CODE("uk"), ar = CODE("ar");
    uint32_t h[SCRIPT_COUNT];

    memset(h, 0, sizeof h);
    assert_int_equal(lang_detect_mask(h), 0);

    memset(h, 0, sizeof h);
    h[SCRIPT_LATIN] = 100;
    uint32_t m = lang_detect_mask(h);
    assert_true(m & en);
    assert_true(m & de);
    assert_false(m & zh);
    assert_false(m & ru);

    /* Han alone is Chinese, not Japanese */
    memset(h, 0, sizeof h);
    h[SCRIPT_HAN] = 50;
    m = lang_detect_mask(h);
    assert_true(m & zh);
    assert_false(m & ja);
    assert_false(m & en);
    /* kana makes it Japanese too */
    h[SCRIPT_KANA] = 10;
    m = lang_detect_mask(h);
    assert_true(m & ja);
    assert_true(m & zh);

    /* a small Latin share: under 10% and under 30 letters is not English */
    memset(h, 0, sizeof h);
    h[SCRIPT_HAN] = 100;
    h[SCRIPT_LATIN] = 5;
    assert_false(lang_detect_mask(h) & en);
    h[SCRIPT_LATIN] = 12; /* 12 * 10 >= 112 */
    assert_true(lang_detect_mask(h) & en);
    h[SCRIPT_HAN] = 100000;
    h[SCRIPT_LATIN] = 30; /* 30 letters always count */
    assert_true(lang_detect_mask(h) & en);
    h[SCRIPT_LATIN] = 29;
    assert_false(lang_detect_mask(h) & en);

    /* SCRIPT_OTHER takes no share */
    memset(h, 0, sizeof h);
    h[SCRIPT_OTHER] = 1000;
    h[SCRIPT_CYRILLIC] = 3;
    m = lang_detect_mask(h);
    assert_true(m & ru);
    assert_true(m & uk);
    assert_false(m & en);

    memset(h, 0, sizeof h);
    h[SCRIPT_HANGUL] = 5;
    h[SCRIPT_ARABIC] = 5;
    m = lang_detect_mask(h);
    assert_true(m & ko);
    assert_true(m & ar);
}

static void test_script_of(void **state)
{
    (void)state;
    assert_int_equal(lang_script_of('a'), SCRIPT_LATIN);
    assert_int_equal(lang_script_of('Z'), SCRIPT_LATIN);
    assert_int_equal(lang_script_of('1'), SCRIPT_OTHER);
    assert_int_equal(lang_script_of('@'), SCRIPT_OTHER);
    assert_int_equal(lang_script_of(0xe9), SCRIPT_LATIN);   /* é */
    assert_int_equal(lang_script_of(0xd7), SCRIPT_OTHER);   /* × */
    assert_int_equal(lang_script_of(0x1ea1), SCRIPT_LATIN); /* ạ */
    assert_int_equal(lang_script_of(0x3b1), SCRIPT_GREEK);
    assert_int_equal(lang_script_of(0x1f00), SCRIPT_GREEK);
    assert_int_equal(lang_script_of(0x44f), SCRIPT_CYRILLIC);
    assert_int_equal(lang_script_of(0x5e9), SCRIPT_HEBREW);
    assert_int_equal(lang_script_of(0x627), SCRIPT_ARABIC);
    assert_int_equal(lang_script_of(0xfeb3), SCRIPT_ARABIC); /* presentation form */
    assert_int_equal(lang_script_of(0x915), SCRIPT_DEVANAGARI);
    assert_int_equal(lang_script_of(0xe01), SCRIPT_THAI);
    assert_int_equal(lang_script_of(0x3042), SCRIPT_KANA); /* あ */
    assert_int_equal(lang_script_of(0x30a2), SCRIPT_KANA); /* ア */
    assert_int_equal(lang_script_of(0xff71), SCRIPT_KANA); /* half-width ｱ */
    assert_int_equal(lang_script_of(0xac00), SCRIPT_HANGUL);
    assert_int_equal(lang_script_of(0x1100), SCRIPT_HANGUL); /* jamo */
    assert_int_equal(lang_script_of(0x4e00), SCRIPT_HAN);
    assert_int_equal(lang_script_of(0x3400), SCRIPT_HAN);
    assert_int_equal(lang_script_of(0x20000), SCRIPT_HAN);
    assert_int_equal(lang_script_of(0xff33), SCRIPT_LATIN); /* Ｓ */
    assert_int_equal(lang_script_of(0x2603), SCRIPT_OTHER); /* ☃ */
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_codes),     cmocka_unit_test(test_list_and_code),
    cmocka_unit_test(test_record),    cmocka_unit_test(test_detect),
    cmocka_unit_test(test_script_of),
};

UNIT_MAIN(tests)
