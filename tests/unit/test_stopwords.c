/*
 * test_stopwords.c — function words and a line's language (stopwords.c).
 *
 * The embedded lists answer lookups in key form (casefolded, Greek without
 * accents); a line's tally counts words of its own script only, and Han
 * and kana characters one by one as sw_lookup() finds them; sw_doc
 * gives each line of a page its language: from its own function words,
 * from the page's running text when it has none, and the caller's --lang
 * when given.
 */
#include "unit.h"

#include "arena.h"
#include "doc.h"
#include "lang.h"
#include "segment.h"
#include "stopwords.h"
#include "utf8.h"

static uint32_t L_(const char *code) { return lang_from_code(code, strlen(code)); }

static void test_lookup(void **state)
{
    (void)state;
    assert_true(sw_lookup("the", 3) & L_("en"));
    assert_true(sw_lookup("und", 3) & L_("de"));
    assert_true(sw_lookup("dass", 4) & L_("de")); /* "daß" folded as keys fold it */
    /* "a" is a function word of several languages at once */
    uint32_t a = sw_lookup("a", 1);
    assert_true((a & L_("en")) && (a & L_("es")) && (a & L_("pt")));
    assert_int_equal(sw_lookup("tram", 4), 0);
    assert_int_equal(sw_lookup("", 0), 0);
    assert_true(sw_lookup("的", strlen("的")) & L_("zh"));
    assert_true(sw_lookup("и", strlen("и")) & L_("ru"));
}

static void test_tally(void **state)
{
    (void)state;
    struct sw_tally t;
    const char *en = "the council voted on tuesday to extend the tram line";
    sw_tally_key(en, strlen(en), SCRIPT_LATIN, &t);
    assert_int_equal(t.n_words, 10);
    assert_int_equal(t.n_stop, 4); /* the, on, to, the */
    unsigned k_en = (unsigned)__builtin_ctz(L_("en"));
    assert_int_equal(t.per_lang[k_en], 4);
    /* an apostrophe inside a word */
    const char *c = "don't stop";
    sw_tally_key(c, strlen(c), SCRIPT_LATIN, &t);
    assert_int_equal(t.n_words, 2);
    assert_int_equal(t.n_stop, 1);
    /* Greek with accents matches the list written without them */
    const char *el = "αλλά και η κυβέρνηση";
    sw_tally_key(el, strlen(el), SCRIPT_GREEK, &t);
    assert_true(t.per_lang[__builtin_ctz(L_("el"))] >= 2);
    /* on a Greek line, a Latin "c" (13°c) is not looked up */
    const char *mixed = "αθήνα: 13°c";
    sw_tally_key(mixed, strlen(mixed), SCRIPT_GREEK, &t);
    assert_int_equal(t.n_stop, 0);
    sw_tally_key(mixed, strlen(mixed), SCRIPT_OTHER, &t);
    assert_true(t.n_stop >= 1);
    /* unspaced Chinese: each character is looked up */
    const char *zh = "我们的城市";
    sw_tally_key(zh, strlen(zh), SCRIPT_HAN, &t);
    assert_int_equal(t.n_words, 5);
    assert_true(t.per_lang[__builtin_ctz(L_("zh"))] >= 1);
}

/* Han and kana characters no list holds are counted without a lookup: a
 * tally of random characters (every one of U+3000 .. U+9FFF that some list
 * holds among them, and others) must equal the sum of sw_lookup() over
 * them, character by character, on a Han line and on a line of no script. */
static void test_tally_cjk(void **state)
{
    (void)state;
    uint32_t stop[4096], n_stop = 0;
    for (uint32_t c = 0x3000; c < 0xa000 && n_stop < 4096; c++) {
        char u[4];
        if (sw_lookup(u, utf8_put(u, c)))
            stop[n_stop++] = c;
    }
    assert_true(n_stop >= 10); /* the Chinese and Japanese lists hold single characters */
    unsigned seed = 77;
    char key[600];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0;
        uint16_t want_words = 0, want_stop = 0, want_lang[SW_MAX_LANG] = {0};
        seed = seed * 1103515245u + 12345u;
        int n = 1 + (int)((seed >> 16) % 150);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8;
            uint32_t c = r % 2 ? stop[(r / 2) % n_stop] : 0x3040 + (r / 2) % (0xa000 - 0x3040);
            enum lang_script sc = lang_script_of(c);
            if (sc != SCRIPT_HAN && sc != SCRIPT_KANA && sc != SCRIPT_OTHER)
                continue; /* Hangul jamo between the blocks make words of several */
            char *u = key + len;
            len += utf8_put(u, c);
            if (sc == SCRIPT_OTHER)
                continue; /* a sign between the blocks: no word */
            want_words++;
            uint32_t m = sw_lookup(u, 3);
            want_stop = (uint16_t)(want_stop + (m != 0));
            for (; m; m &= m - 1)
                want_lang[__builtin_ctz(m)]++;
        }
        for (unsigned script = SCRIPT_OTHER; script <= SCRIPT_HAN; script += SCRIPT_HAN) {
            struct sw_tally t;
            sw_tally_key(key, len, script, &t);
            assert_int_equal(t.n_words, want_words);
            assert_int_equal(t.n_stop, want_stop);
            assert_memory_equal(t.per_lang, want_lang, sizeof want_lang);
        }
    }
}

/* Segment text and settle its lines' languages. */
static void langs_of(const char *text, uint32_t given, uint32_t *masks, uint32_t n)
{
    struct arena a;
    arena_init(&a, 0);
    struct seg_scratch ss;
    seg_scratch_init(&ss);
    struct doc d;
    memset(&d, 0, sizeof d);
    d.arena = &a;
    assert_int_equal(seg_doc(&d, &ss, text, strlen(text)), CHAFF_OK);
    d.langs = given ? given : lang_detect_mask(d.script_hist);
    d.langs_given = given != 0;
    sw_doc(&d);
    assert_int_equal(d.n_lines, n);
    for (uint32_t i = 0; i < n; i++)
        masks[i] = d.lines[i].lang_mask;
    seg_scratch_free(&ss);
    arena_free(&a);
}

static void test_doc(void **state)
{
    (void)state;
    uint32_t m[5];
    /* an English page: a headline without function words is English,
     * not Spanish or Polish, because the page's text is English */
    langs_of("Nifty gadgets roundup\n"
             "The council voted on Tuesday to extend the tram line across the river.\n"
             "It was the first vote of the year and the mayor said it would pass.\n"
             "El consejo votó el martes para ampliar la línea de tranvía.\n"
             "Facebook Twitter",
             0, m, 5);
    assert_int_equal(m[0], L_("en"));
    assert_int_equal(m[1], L_("en"));
    assert_int_equal(m[3], L_("es"));
    assert_int_equal(m[4], L_("en"));
    /* a Greek page: a source line mostly in Latin letters is still Greek
     * (the page's language among the scripts it uses) */
    uint32_t g[3];
    langs_of("Η κυβέρνηση και οι βουλευτές συζήτησαν το νομοσχέδιο για την παιδεία.\n"
             "Οι βουλευτές της αντιπολίτευσης είπαν ότι θα το καταψηφίσουν.\n"
             "Πηγή: Express.gr",
             0, g, 3);
    assert_int_equal(g[0], L_("el"));
    assert_true(g[2] & L_("el"));
    /* --lang: every line is in the given languages */
    langs_of("El consejo votó el martes.\nThe council voted.", L_("de"), m, 2);
    assert_int_equal(m[0], L_("de"));
    assert_int_equal(m[1], L_("de"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lookup),
    cmocka_unit_test(test_tally),
    cmocka_unit_test(test_tally_cjk),
    cmocka_unit_test(test_doc),
};

UNIT_MAIN(tests)
