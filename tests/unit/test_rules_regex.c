/*
 * test_rules_regex.c — what chaff knows about a regex (rules_regex.c):
 * finite expansions into keys, the prefixes an anchored regex's matches
 * begin with, the cost estimate, the cheaper superset of a costly regex,
 * and the exact program, checked against Vectorscan itself on random
 * keys: whether it matches, and where its first match ends.
 */
#include <stdlib.h>

static void libc_free(void *p) { free(p); }

#include "unit.h"

#include <hs/hs.h>

#include "alloc.h"
#include "rules_regex.h"

struct keys {
    char v[64][64];
    unsigned n;
};

static chaff_status collect(void *ud, const char *key, size_t len)
{
    struct keys *k = ud;
    if (k->n < 64 && len < 64) {
        memcpy(k->v[k->n], key, len);
        k->v[k->n][len] = '\0';
    }
    k->n++;
    return CHAFF_OK;
}

static bool has(const struct keys *k, const char *s)
{
    for (unsigned i = 0; i < k->n && i < 64; i++)
        if (strcmp(k->v[i], s) == 0)
            return true;
    return false;
}

static void test_expand(void **state)
{
    (void)state;
    struct keys k;
    uint32_t n;
    memset(&k, 0, sizeof k);
    assert_int_equal(rx_expand("^(a|b)c$", 256, collect, &k, &n), CHAFF_OK);
    assert_int_equal(n, 2);
    assert_true(has(&k, "ac") && has(&k, "bc"));
    memset(&k, 0, sizeof k);
    /* caseless: the key is folded; \s can only be a space in a key */
    assert_int_equal(rx_expand("^Ab\\s?[XY]$", 256, collect, &k, &n), CHAFF_OK);
    assert_int_equal(n, 4);
    assert_true(has(&k, "abx") && has(&k, "ab y"));
    memset(&k, 0, sizeof k);
    assert_int_equal(rx_expand("^x\\d{1,2}$", 256, collect, &k, &n), CHAFF_OK);
    assert_int_equal(n, 110);
    memset(&k, 0, sizeof k);
    assert_int_equal(rx_expand("^(ф|φ)(о|ο)$|^(ab)$", 256, collect, &k, &n), CHAFF_OK);
    assert_int_equal(n, 5);
    assert_true(has(&k, "фο") && has(&k, "ab"));
    /* not finite, not anchored, too many, or not modelled: no keys */
    static const char *const none[] = {"^a+$",    "^ab",    "ab$",      "^\\w{1,4}$", "^(?i)ab$",
                                       "^a\\bb$", "^[^a]$", "^\\p{L}$", "^a{2,1}$"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        memset(&k, 0, sizeof k);
        assert_int_equal(rx_expand(none[i], 256, collect, &k, &n), CHAFF_OK);
        if (n != 0)
            fail_msg("%s: %u keys", none[i], n);
        assert_int_equal(k.n, 0);
    }
}

static void test_heads(void **state)
{
    (void)state;
    struct keys k;
    uint32_t n, n_short;
    memset(&k, 0, sizeof k);
    assert_int_equal(rx_heads("^(related|read more|ab)\\b", 256, collect, &k, &n, &n_short),
                     CHAFF_OK);
    assert_int_equal(n, 3);
    assert_int_equal(n_short, 0);
    assert_true(has(&k, "related") && has(&k, "read mor") && has(&k, "ab"));
    /* a wide set cuts a head short */
    memset(&k, 0, sizeof k);
    assert_int_equal(rx_heads("^\\d\\S+ x$", 256, collect, &k, &n, &n_short), CHAFF_OK);
    assert_int_equal(n, 10);
    assert_int_equal(n_short, 10);
    /* no anchor, or a wide first character: no heads */
    assert_int_equal(rx_heads("related", 256, collect, &k, &n, &n_short), CHAFF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rx_heads("^.x", 256, collect, &k, &n, &n_short), CHAFF_OK);
    assert_int_equal(n, 0);
    /* repeats nested in repeats: without a budget the walk takes time
     * exponential in the depth (this one would not end for hours); with it
     * the search gives up at once and the pattern has no heads */
    assert_int_equal(
        rx_heads("^((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)x", 256, collect, &k, &n, &n_short),
        CHAFF_OK);
    assert_int_equal(n, 0);
    /* a shallow nesting still has its heads */
    memset(&k, 0, sizeof k);
    assert_int_equal(rx_heads("^((ab)+)+c", 256, collect, &k, &n, &n_short), CHAFF_OK);
    assert_true(n > 0 && has(&k, "abc") && has(&k, "ababc"));
}

static void test_cost_and_prefilter(void **state)
{
    (void)state;
    struct rx_info in;
    assert_int_equal(rx_analyse("^([\\p{L} ]{3,30}\\. )?news$", &in), CHAFF_OK);
    assert_true(in.cost > RX_VERIFY_COST);
    assert_int_equal(in.cost_times, 30);
    assert_int_equal(in.cost_at, 2);
    assert_false(in.first_any);
    assert_int_equal(rx_analyse("[^ (0-9]+ x", &in), CHAFF_OK);
    assert_true(in.first_any);
    assert_int_equal(rx_analyse("^(a|b|c)", &in), CHAFF_OK);
    assert_int_equal(in.alternations, 2);
    char *pre = NULL;
    assert_int_equal(rx_prefilter("^([\\p{L} ]{3,30}\\. )?news$", &pre), CHAFF_OK);
    assert_string_equal(pre, "^(.{3,}\\. )?news$");
    chaff_xfree(pre);
    assert_int_equal(rx_prefilter("^a\\d{1,2}$", &pre), CHAFF_OK);
    assert_null(pre); /* nothing costly to relax */
}

/* ---- the exact program against Vectorscan ------------------------------- */

/* Characters a key may hold: folded, and only ASCII spaces. */
static const char *const alphabet[] = {
    "a", "b", "c", "e", "r", "s",  "x",  "z",  "0", "1", "7", " ", " ",
    ".", ",", ":", "/", "|", "-",  "(",  ")",  "»", "а", "б", "в", "е",
    "о", "ф", "α", "ο", "ί", "中", "文", "の", "é", "ß", "_", "@", "'",
};

static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                 void *ud)
{
    (void)id;
    (void)from;
    (void)flags;
    *(unsigned long long *)ud = to;
    return 1; /* the first report is all a single-match pattern gives */
}

static void test_program_vs_vectorscan(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "^(read more|related|rel)",
        "^(read more|related):?$",
        "ab|ba",
        "^a[bc]+s$",
        "\\d{2,3}",
        "^\\d+ ?(comments|comment)$",
        "[^ ]+ [^ ]+ \\(x\\)$",
        "^[\\p{L} ]{3,6}\\. x",
        "\\p{Han}{2}",
        "^(а|б)\\S* ?/ ?(e|r)$",
        "x\\b",
        "\\bre",
        "^.{1,5}»",
        "(ab|a)(c|bc)",
        "[a-z]{2}\\d",
        "^(ф|φ)(о|ο)",
        "\\.$",
        "^(\\d+ )?(a|b)( ?[|] ?(a|b))*$",
        "([а-е] ){2,}",
        "^_{3,}$",
        "^(https?://)?[a-z0-9-]+(\\.[a-z0-9-]+)+(/\\S*)?$",
        "ί|é|ß",
        /* sets that turn wide after members are written out (an escape, a
         * long range, a negation): the program makes their ICU sets only
         * then, with every member written before, closed over case */
        "^[ÉB\\p{Greek}]x",
        "^[Zé\\d\\p{Han}]+$",
        "[^ÉA-C]x",
        "^[Б\\x{100}-\\x{17f}a]",
        "(^|[É\\S])z$",
        "[Éa-z0-9_.,:/|()»-]{3}$",
    };
    hs_platform_info_t plat;
    assert_int_equal(hs_populate_platform(&plat), HS_SUCCESS);
    unsigned seed = 12345;
    struct rx_work w;
    memset(&w, 0, sizeof w);
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        hs_database_t *db = NULL;
        hs_compile_error_t *ce = NULL;
        if (hs_compile(pats[i], HS_FLAG_UTF8 | HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH,
                       HS_MODE_BLOCK, &plat, &db, &ce) != HS_SUCCESS)
            fail_msg("%s: %s", pats[i], ce ? ce->message : "?");
        hs_scratch_t *sc = NULL;
        assert_int_equal(hs_alloc_scratch(db, &sc), HS_SUCCESS);
        struct rx_prog *g = NULL;
        assert_int_equal(rx_prog_new(pats[i], &g), CHAFF_OK);
        /* keys that match some of the patterns, then random ones */
        static const char *const extra[] = {
            "abcs",   "12 comments", "1 comment", "x y (x)",    "abc. x", "ab b. x",
            "аq/e",   "б / r",       "___",       "a | b|a",    "5 a",    "www.ex-1.com/a",
            "ex.com", "中文中",      "rel x",     "read more:", "ab bc"};
        unsigned matched = 0;
        for (int t = 0; t < 4000 + (int)(sizeof extra / sizeof extra[0]); t++) {
            char key[64];
            size_t len = 0;
            if (t >= 4000) {
                len = strlen(extra[t - 4000]);
                memcpy(key, extra[t - 4000], len);
                goto check;
            }
            int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
            for (int c = 0; c < n; c++) {
                const char *a = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) %
                                         (sizeof alphabet / sizeof alphabet[0])];
                if (len + strlen(a) >= sizeof key)
                    break;
                memcpy(key + len, a, strlen(a));
                len += strlen(a);
            }
            /* now and then a key that begins like the pattern */
            if (t % 5 == 0 && pats[i][0] == '^' && pats[i][1] == '(') {
                char tmp[64];
                size_t k = 0;
                for (const char *q = pats[i] + 2; *q && *q != '|' && *q != ')' && k < 20; q++)
                    tmp[k++] = *q;
                if (k + len < sizeof key) {
                    memmove(key + k, key, len);
                    memcpy(key, tmp, k);
                    len += k;
                }
            }
        check:;
            unsigned long long hs_end = 0;
            hs_error_t he = hs_scan(db, key, (unsigned)len, 0, sc, on_hs, &hs_end);
            bool hs_hit = he == HS_SCAN_TERMINATED;
            bool ok = false;
            size_t end = 0;
            assert_int_equal(rx_match(g, key, len, &w, &ok, &end), CHAFF_OK);
            if (ok != hs_hit || (ok && end != hs_end))
                fail_msg("%s on '%.*s': program %d at %zu, Vectorscan %d at %llu", pats[i],
                         (int)len, key, ok, end, hs_hit, hs_end);
            matched += ok;
        }
        /* the keys were not all misses */
        if (!matched)
            print_message("%s: no key matched\n", pats[i]);
        rx_prog_free(g);
        hs_free_scratch(sc);
        hs_free_database(db);
    }
    rx_work_free(&w);
    (void)libc_free;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_expand),
    cmocka_unit_test(test_heads),
    cmocka_unit_test(test_cost_and_prefilter),
    cmocka_unit_test(test_program_vs_vectorscan),
};

UNIT_MAIN(tests)
