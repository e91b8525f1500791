/*
 * test_match.c — scanning keys against compiled rules (match.c) and
 * site scopes (rules_site_match): exact vs phrase vs regex, word edges in
 * spaced and unspaced scripts, key-space equivalence, one report per rule,
 * block start/end pairs, the empty rule set, and allocation failures.
 */
#include "unit.h"

#include "alloc.h"
#include "buf.h"
#include "lang.h"
#include "normalize.h"
#include "rules.h"

struct fixture {
    struct chaff_rules *r;
    struct match_scratch *s;
};

static struct fixture build(const char *text)
{
    struct fixture f;
    chaff_error err;
    f.r = chaff_xcalloc(1, sizeof *f.r);
    assert_non_null(f.r);
    chaff_status st = rules_parse_text(f.r, "t.rules", text, strlen(text), LANG_ALL, &err);
    if (st == CHAFF_OK)
        st = rules_compile(f.r, &err);
    if (st)
        fail_msg("%u:%u: %s", err.line, err.col, err.msg);
    assert_int_equal(match_scratch_new(f.r, &f.s), CHAFF_OK);
    return f;
}

static void teardown(struct fixture *f)
{
    match_scratch_free(f->s);
    chaff_rules_free(f->r);
}

struct hits {
    uint32_t id[64];
    uint32_t n;
};

static void add_hit(void *ud, uint32_t id)
{
    struct hits *h = ud;
    assert_true(h->n < 64);
    h->id[h->n++] = id;
}

/* Rule ids hit by the key of line, as a bit mask (ids < 32). */
static uint32_t hit_mask(struct fixture *f, const char *line)
{
    struct buf key;
    buf_init(&key, 0);
    assert_int_equal(norm_key(line, strlen(line), &key), CHAFF_OK);
    struct hits h = {{0}, 0};
    assert_int_equal(match_key(f->r, f->s, key.p ? key.p : "", key.len, add_hit, &h), CHAFF_OK);
    buf_free(&key);
    uint32_t m = 0;
    for (uint32_t i = 0; i < h.n; i++) {
        assert_true(h.id[i] < 32);
        assert_false(m & (1u << h.id[i])); /* reported once */
        m |= 1u << h.id[i];
    }
    return m;
}

static void test_exact_phrase_regex(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n"
                             "= share\n"            /* 0 */
                             "+ share\n"            /* 1 */
                             "~ ^sh(a|o)re\\b\n"    /* 2 */
                             "+ read more\n"        /* 3 */
                             "~ \\d{3} comments$\n" /* 4 */
                             "+ a.b\n");            /* 5 */
    assert_int_equal(hit_mask(&f, "Share"), 0x7);
    assert_int_equal(hit_mask(&f, "  SHARE  "), 0x7);
    assert_int_equal(hit_mask(&f, "share this"), 0x6);
    assert_int_equal(hit_mask(&f, "please share"), 0x2);
    assert_int_equal(hit_mask(&f, "shore up"), 0x4);
    assert_int_equal(hit_mask(&f, "Read   More »"), 0x8);
    assert_int_equal(hit_mask(&f, "read moreover"), 0);
    assert_int_equal(hit_mask(&f, "see 123 comments"), 0x10);
    assert_int_equal(hit_mask(&f, "see 123 comments later"), 0);
    assert_int_equal(hit_mask(&f, "a.b"), 0x20);
    assert_int_equal(hit_mask(&f, "axb"), 0); /* literal '.' is not a wildcard */
    assert_int_equal(hit_mask(&f, ""), 0);
    assert_int_equal(hit_mask(&f, "sharesharex"), 0);
    teardown(&f);
}

/* Exact rules are looked up by the whole key: several rules of one
 * pattern all report, in id order, after the phrase and regex hits; a set
 * of exact rules alone needs no database; the memo replays the same. */
static void test_exact_lookup(void **state)
{
    (void)state;
    struct fixture f = build("@category a\n= share this\n" /* 0 */
                             "@category b\n+ share\n"      /* 1 */
                             "@category c\n= share this\n" /* 2 */
                             "= contact\n");               /* 3 */
    for (int round = 0; round < 2; round++) {
        struct buf key;
        buf_init(&key, 0);
        assert_int_equal(norm_key("Share  this", 11, &key), CHAFF_OK);
        struct hits h = {{0}, 0};
        assert_int_equal(match_key(f.r, f.s, key.p, key.len, add_hit, &h), CHAFF_OK);
        assert_int_equal(h.n, 3);
        assert_int_equal(h.id[0], 1);
        assert_int_equal(h.id[1], 0);
        assert_int_equal(h.id[2], 2);
        buf_free(&key);
    }
    assert_int_equal(hit_mask(&f, "Contact"), 0x8);
    assert_int_equal(hit_mask(&f, "Contact us"), 0);
    teardown(&f);

    f = build("@category c\n= contact\n= about us\n");
    assert_int_equal(f.r->part[0].n_hs, 0); /* exact rules only: no Vectorscan database */
    assert_int_equal(hit_mask(&f, "About Us"), 0x2);
    assert_int_equal(hit_mask(&f, "about"), 0);
    teardown(&f);
}

static void test_word_edges(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n"
                             "+ share\n"    /* 0 */
                             "+ привет\n"   /* 1 */
                             "+ 分享到\n"   /* 2 */
                             "+ 2024\n"     /* 3 */
                             "+ ログイン\n" /* 4 */
                             "+ :share\n"   /* 5: edge ':' needs no boundary */
                             "+ café\n");   /* 6 */
    assert_int_equal(hit_mask(&f, "shareholders"), 0);
    assert_int_equal(hit_mask(&f, "reshare"), 0);
    assert_int_equal(hit_mask(&f, "share-this"), 0x1);
    assert_int_equal(hit_mask(&f, "(share)"), 0x1);
    assert_int_equal(hit_mask(&f, "shareholders may share"), 0x1); /* second occurrence */
    assert_int_equal(hit_mask(&f, "partagé share"), 0x1);
    assert_int_equal(hit_mask(&f, "sharé"), 0);           /* é is a letter */
    assert_int_equal(hit_mask(&f, "分享share按钮"), 0x1); /* Han is no word edge */
    assert_int_equal(hit_mask(&f, "ну привет мир"), 0x2);
    assert_int_equal(hit_mask(&f, "приветствие"), 0);
    assert_int_equal(hit_mask(&f, "分享到微信朋友圈"), 0x4);
    assert_int_equal(hit_mask(&f, "点击分享到"), 0x4);
    assert_int_equal(hit_mask(&f, "in 2024."), 0x8);
    assert_int_equal(hit_mask(&f, "in 20245"), 0);
    assert_int_equal(hit_mask(&f, "ログインする"), 0x10);
    assert_int_equal(hit_mask(&f, "x:shared"), 0);
    assert_int_equal(hit_mask(&f, "x:share"), 0x20 | 0x1);
    assert_int_equal(hit_mask(&f, "Café au lait"), 0x40);
    assert_int_equal(hit_mask(&f, "cafés"), 0);
    teardown(&f);
}

static void test_key_space(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n"
                             "= 看不清？换一张\n"
                             "= 看不清?换一张 x\n"
                             "+ ＳＨＡＲＥ\n"
                             "~ ^strasse\\s+\\p{L}+$\n");
    assert_int_equal(hit_mask(&f, "看不清?换一张"), 0x1);
    assert_int_equal(hit_mask(&f, "看不清？换一张"), 0x1);
    assert_int_equal(hit_mask(&f, "看不清？换一张\u3000X"), 0x2);
    assert_int_equal(hit_mask(&f, "Share this"), 0x4);
    assert_int_equal(hit_mask(&f, "ｓｈａｒｅ"), 0x4);
    assert_int_equal(hit_mask(&f, "STRASSE Über"), 0x8);
    assert_int_equal(hit_mask(&f, "Straße über"), 0x8);
    teardown(&f);
}

static void test_once_and_blocks(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n"
                             "+ share\n"
                             "~ a\n"
                             "block + start here .. = the end\n"
                             "+ 分享\n");
    struct buf key;
    buf_init(&key, 0);
    const char *line = "share share a a a 分享 分享分享";
    assert_int_equal(norm_key(line, strlen(line), &key), CHAFF_OK);
    for (int round = 0; round < 3; round++) { /* stamps must not leak between calls */
        struct hits h = {{0}, 0};
        assert_int_equal(match_key(f.r, f.s, key.p, key.len, add_hit, &h), CHAFF_OK);
        assert_int_equal(h.n, 3);
    }
    buf_free(&key);
    assert_int_equal(f.r->v[2].action, RA_BLOCK);
    assert_int_equal(f.r->v[3].action, RA_BLOCK_END);
    assert_int_equal(hit_mask(&f, "Please start here now"), 0x4 | 0x2); /* "~ a" too */
    assert_int_equal(hit_mask(&f, "The End"), 0x8);
    assert_int_equal(hit_mask(&f, "not the end"), 0);
    teardown(&f);
}

static void test_empty_set(void **state)
{
    (void)state;
    struct chaff_rules *r = NULL;
    chaff_error err;
    assert_int_equal(chaff_rules_load(&r, NULL, 0, &err), CHAFF_OK);
    assert_null(r->scratch_proto);
    struct match_scratch *s = NULL;
    assert_int_equal(match_scratch_new(r, &s), CHAFF_OK);
    struct hits h = {{0}, 0};
    assert_int_equal(match_key(r, s, "share", 5, add_hit, &h), CHAFF_OK);
    assert_int_equal(h.n, 0);
    match_scratch_free(s);
    match_scratch_free(NULL);
    chaff_rules_free(r);
    chaff_rules_free(NULL);
}

static void test_scratch_nomem(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n+ share\n");
    struct match_scratch *s = NULL;
    alloc_fail_after(0);
    assert_int_equal(match_scratch_new(f.r, &s), CHAFF_E_NOMEM);
    assert_null(s);
    alloc_fail_after(1);
    assert_int_equal(match_scratch_new(f.r, &s), CHAFF_E_NOMEM);
    assert_null(s);
    alloc_fail_after(-1);
    /* a second scratch works alongside the first */
    assert_int_equal(match_scratch_new(f.r, &s), CHAFF_OK);
    struct hits h = {{0}, 0};
    assert_int_equal(match_key(f.r, s, "share it", 8, add_hit, &h), CHAFF_OK);
    assert_int_equal(h.n, 1);
    match_scratch_free(s);
    teardown(&f);
}

static void test_sites(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n"
                             "@site example.com ~sub.example.com\n= a\n"
                             "@site example.*\n= b\n"
                             "@site ~m.news.org ~blog.news.org\n= c\n"
                             "@site a.com b.org\n= d\n");
    static const struct {
        uint32_t rule;
        const char *host;
        bool want;
    } cases[] = {
        {0, "example.com", true},
        {0, "www.example.com", true},
        {0, "sub.example.com", false},
        {0, "x.sub.example.com", false},
        {0, "notexample.com", false},
        {0, "example.com.evil.net", false},
        {0, "example.org", false},
        {0, "example.com.", true},
        {0, NULL, false},
        {1, "example.co.uk", true},
        {1, "news.example.co.uk", true},
        {1, "example.com", true},
        {1, "myexample.com", false},
        {1, "example", false},
        {1, "www.example", false},
        {2, "news.org", true},
        {2, "m.news.org", false},
        {2, "blog.news.org", false},
        {2, "other.net", true},
        {2, NULL, false},
        {3, "a.com", true},
        {3, "x.b.org", true},
        {3, "c.com", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t site = f.r->v[cases[i].rule].site;
        assert_int_not_equal(site, 0);
        if (rules_site_match(f.r, site, cases[i].host) != cases[i].want)
            fail_msg("case %zu: rule %u host %s: want %d", i, cases[i].rule,
                     cases[i].host ? cases[i].host : "(null)", cases[i].want);
    }
    assert_true(rules_site_match(f.r, 0, NULL));
    assert_true(rules_site_match(f.r, 0, "anything.net"));
    assert_false(rules_site_match(f.r, 999, "example.com"));
    teardown(&f);
}

/* The key of ../shared/repro/nondet-key.bin: a record that -j1 and -j2
 * cleaned differently, because Vectorscan's AVX-512 scan missed the `|`
 * bytes after its first 64 bytes unless they ended a 64-byte block. */
static const char nondet_key[] = "\xcf\x97\xe2\x81\x91\xef\xbf\xbf\xe3\x83\xaf\xe0\xa4\xb5\xe2\x80"
                                 "\xa1\xcf\x8e\x69\x6a\x22\xd9\xbb\xef\xbf\xbb\xe3\x81\x9e\xcc\xbf"
                                 "\xe0\xa4\x9c\xe0\xa4\xbc\xe7\x97\xbd\xd9\x88\xd7\x86\xcf\xa9\xdb"
                                 "\x8c\xe9\x8c\xaa\xe0\xa4\xbc\xf3\xac\xb5\xa9\xe0\xa4\x97\xf3\xa7"
                                 "\xaf\x92\x7c\xc3\x97\xd7\x8d\xe2\x81\x90\x7c\xcf\xa9\xce\x80\xcf"
                                 "\x88";

/* The same key at every address modulo 64 gets the same hits, and they
 * are the right ones (match.c, "Which scan"). */
static void test_offsets(void **state)
{
    (void)state;
    struct fixture f = build("@category c\n"
                             "~ \\|\n"                       /* 0: one byte, SINGLEMATCH */
                             "~ ^[^|]+( ?\\| ?[^|]+){2,}$\n" /* 1: the shipped any/nav rule */
                             "+ |\n"                         /* 2 */
                             "~ \\|[^|]+\\|\n");             /* 3 */
    static _Alignas(64) char buf[4096];
    /* the reproducer's key */
    size_t klen = sizeof nondet_key - 1;
    for (size_t off = 0; off < 64; off++) {
        memset(buf, 0, 4096);
        memcpy(buf + off, nondet_key, klen);
        struct hits h = {{0}, 0};
        assert_int_equal(match_key(f.r, f.s, buf + off, klen, add_hit, &h), CHAFF_OK);
        uint32_t m = 0;
        for (uint32_t i = 0; i < h.n; i++)
            m |= 1u << h.id[i];
        if (m != 0xf)
            fail_msg("offset %zu: hits 0x%x, want 0xf", off, m);
    }
    /* one '|' at every position of keys of 1 to 160 bytes, at every
     * offset: rule 0 and rule 2 always hit */
    for (size_t len = 1; len <= 160; len++)
        for (size_t pos = 0; pos < len; pos++)
            for (size_t off = 0; off < 64; off += 7) {
                memset(buf, 'a', 4096);
                buf[off + pos] = '|';
                struct hits h = {{0}, 0};
                assert_int_equal(match_key(f.r, f.s, buf + off, len, add_hit, &h), CHAFF_OK);
                uint32_t m = 0;
                for (uint32_t i = 0; i < h.n; i++)
                    m |= 1u << h.id[i];
                if (m != 0x5)
                    fail_msg("len %zu pos %zu offset %zu: hits 0x%x, want 0x5", len, pos, off, m);
            }
    teardown(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_exact_phrase_regex),
    cmocka_unit_test(test_word_edges),
    cmocka_unit_test(test_key_space),
    cmocka_unit_test(test_once_and_blocks),
    cmocka_unit_test(test_empty_set),
    cmocka_unit_test(test_scratch_nomem),
    cmocka_unit_test(test_sites),
    cmocka_unit_test(test_exact_lookup),
    cmocka_unit_test(test_offsets),
};

UNIT_MAIN(tests)
