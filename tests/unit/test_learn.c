/*
 * test_learn.c — lines repeated across a site's pages (src/learn.c): a line
 * counts once per page, pages without a site are not counted, the counts
 * written out and merged back give the same rules, the rule file holds only
 * lines on enough of a site's pages and escapes what the rule language
 * would read as a comment, malformed counts are refused, and the table
 * stays within its cap while the frequent lines survive.  Hosts reach a
 * rule file only as host names: lowercased, IDNA-checked, and never with a
 * control character, space or slash that would let a URL write rules.
 */
#include "unit.h"

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "doc.h"
#include "learn.h"
#include "segment.h"

struct pg {
    struct arena arena;
    struct seg_scratch seg;
    struct doc d;
};

/* Segment text as one page. */
static struct doc *page(struct pg *p, const char *text)
{
    arena_reset(&p->arena);
    memset(&p->d, 0, sizeof p->d);
    p->d.arena = &p->arena;
    assert_int_equal(seg_doc(&p->d, &p->seg, text, strlen(text)), CHAFF_OK);
    return &p->d;
}

static void pg_init(struct pg *p)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena, 0);
    seg_scratch_init(&p->seg);
}

static void pg_free(struct pg *p)
{
    arena_free(&p->arena);
    seg_scratch_free(&p->seg);
}

/* The counts as text, in b (buf_free it). */
static char *counts_of(struct learn *l, struct buf *b)
{
    buf_init(b, 0);
    assert_int_equal(learn_write_counts(l, b), CHAFF_OK);
    return b->p;
}

static void test_counts(void **state)
{
    (void)state;
    struct pg p;
    pg_init(&p);
    struct learn *l = learn_new(0);
    assert_non_null(l);
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text, "Share this\nSHARE  THIS\nArticle number %d is here.\n", i);
        assert_int_equal(learn_page(l, "news.example.com", NULL, 0, false, page(&p, text)),
                         CHAFF_OK);
    }
    /* no site: not counted */
    assert_int_equal(learn_page(l, "", NULL, 0, false, page(&p, "Share this\n")), CHAFF_OK);
    assert_int_equal(learn_page(l, NULL, NULL, 0, false, page(&p, "Share this\n")), CHAFF_OK);
    assert_int_equal(learn_page(l, "b.example", NULL, 0, false, page(&p, "Share this\n")),
                     CHAFF_OK);
    struct buf cb, cb2;
    char *c = counts_of(l, &cb);
    assert_string_equal(c, "#chaff-learn-counts 1\n"
                           "P\tb.example\t1\n"
                           "P\tnews.example.com\t3\n"
                           "L\tb.example\t1\tshare this\n"
                           "L\tnews.example.com\t3\tshare this\n"
                           "L\tnews.example.com\t1\tarticle number 0 is here.\n"
                           "L\tnews.example.com\t1\tarticle number 1 is here.\n"
                           "L\tnews.example.com\t1\tarticle number 2 is here.\n");
    /* merged into a new learner, the counts come out the same; twice, doubled */
    struct learn *m = learn_new(0);
    char msg[128];
    for (int round = 0; round < 2; round++)
        for (char *s = c, *e; *s; s = e + 1) {
            e = strchr(s, '\n');
            assert_int_equal(learn_merge_line(m, s, (size_t)(e - s), msg), CHAFF_OK);
        }
    char *c2 = counts_of(m, &cb2);
    assert_non_null(strstr(c2, "P\tnews.example.com\t6\n"));
    assert_non_null(strstr(c2, "L\tnews.example.com\t6\tshare this\n"));
    buf_free(&cb2);
    buf_free(&cb);
    learn_free(m);
    learn_free(l);
    pg_free(&p);
}

static void test_rules(void **state)
{
    (void)state;
    struct pg p;
    pg_init(&p);
    struct learn *l = learn_new(0);
    for (int i = 0; i < 10; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s%sThe story of day %d, told in full.\n",
                 i < 9 ? "Subscribe now\n" : "", i < 4 ? "Rarely seen\n" : "", "Wow ! Deals\n", i);
        assert_int_equal(learn_page(l, "a.example", NULL, 0, false, page(&p, text)), CHAFF_OK);
    }
    for (int i = 0; i < 3; i++) /* too few pages to learn from */
        assert_int_equal(learn_page(l, "b.example", NULL, 0, false, page(&p, "Subscribe now\n")),
                         CHAFF_OK);
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(learn_write_rules(l, 5, 0.5, &b), CHAFF_OK);
    const char *body = strstr(b.p, "\n@category learned\n");
    assert_non_null(body);
    assert_string_equal(body, "\n@category learned\n@lang any\n@site a.example\n"
                              "! 10 pages; after each rule, the pages it was on\n"
                              "= wow \\! deals ! 10\n"
                              "= subscribe now ! 9\n");
    assert_null(strstr(b.p, "b.example"));
    assert_null(strstr(b.p, "rarely seen"));
    buf_free(&b);
    learn_free(l);
    pg_free(&p);
}

static void test_bad_counts(void **state)
{
    (void)state;
    struct learn *l = learn_new(0);
    char msg[128];
    static const char *const bad[] = {
        "X\ta.example\t1",        "P\ta.example",    "P\t\t3",
        "P\ta.example\tthree",    "L\ta.example\t2", "L\ta.example\t2\tx",
        "P\ta.example\t1\textra",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = '\0';
        if (learn_merge_line(l, bad[i], strlen(bad[i]), msg) != CHAFF_E_DATA)
            fail_msg("accepted '%s'", bad[i]);
        assert_string_equal(msg, "not a line of chaff learn --counts");
    }
    /* comments, blank lines and CRLF are fine */
    assert_int_equal(learn_merge_line(l, "#x", 2, msg), CHAFF_OK);
    assert_int_equal(learn_merge_line(l, "", 0, msg), CHAFF_OK);
    assert_int_equal(learn_merge_line(l, "P\ta.example\t4\r", strlen("P\ta.example\t4\r"), msg),
                     CHAFF_OK);
    learn_free(l);
}

static void test_cap(void **state)
{
    (void)state;
    struct pg p;
    pg_init(&p);
    struct learn *l = learn_new(16);
    for (int i = 0; i < 200; i++) {
        char text[256];
        snprintf(text, sizeof text, "Menu home\nFooter links\nUnique line %d of the corpus\n", i);
        assert_int_equal(learn_page(l, "a.example", NULL, 0, false, page(&p, text)), CHAFF_OK);
    }
    struct buf cb;
    char *c = counts_of(l, &cb);
    size_t lines = 0;
    for (char *s = c; (s = strchr(s, '\n')); s++)
        lines++;
    assert_true(lines <= 2 + 16); /* header, one site, at most the cap */
    assert_non_null(strstr(c, "\t200\tmenu home\n"));
    assert_non_null(strstr(c, "\t200\tfooter links\n"));
    buf_free(&cb);
    learn_free(l);
    pg_free(&p);
}

/* What learn_host() makes of s: its form, or NULL when refused. */
static const char *host_of(const char *s, char out[LEARN_HOST_MAX + 1])
{
    return learn_host(s, strlen(s), out) ? out : NULL;
}

static void test_host(void **state)
{
    (void)state;
    char o[LEARN_HOST_MAX + 1];
    assert_string_equal(host_of("News.Example.COM", o), "news.example.com");
    assert_string_equal(host_of("r3---sn-x.example", o), "r3---sn-x.example");
    assert_string_equal(host_of("a_b.example", o), "a_b.example");
    assert_string_equal(host_of("192.0.2.1", o), "192.0.2.1");
    assert_string_equal(host_of("xn--bcher-kva.example", o), "xn--bcher-kva.example");
    assert_string_equal(host_of("b\xc3\xbc"
                                "cher.example",
                                o),
                        "b\xc3\xbc"
                        "cher.example");
    /* UTS #46 maps: an upper-case U-umlaut and a full-width letter */
    assert_string_equal(host_of("B\xc3\x9c"
                                "cher.example",
                                o),
                        "b\xc3\xbc"
                        "cher.example");
    assert_string_equal(host_of("\xef\xbd\x81.example", o), "a.example");
    static const char *const bad[] = {
        "",
        "evil.example\n@category learned\n+ the\n@site evil.example",
        "a b.example",
        "a\tb.example",
        "a/b.example",
        "u@a.example",
        "a.example:80",
        "[2001:db8::1]",
        "a..example",
        ".a.example",
        "a.example.",
        "a\x7f.example",
        "a\xc3.example",         /* not UTF-8 */
        "a\xe2\x80\xa8.example", /* U+2028 LINE SEPARATOR */
        ("a\xc2\xa0"
         "b.example"),     /* NO-BREAK SPACE, mapped to a space */
        "xn--zz-.example", /* bad Punycode */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", /* 64 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (host_of(bad[i], o))
            fail_msg("host '%s' accepted as '%s'", bad[i], o);
    char longer[300];
    memset(longer, 'a', sizeof longer);
    for (size_t i = 10; i < sizeof longer; i += 10)
        longer[i] = '.';
    longer[sizeof longer - 1] = '\0';
    assert_null(host_of(longer, o));

    /* a page whose host is refused is not counted, and no rule names it */
    struct pg p;
    pg_init(&p);
    struct learn *l = learn_new(0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(learn_page(l, bad[1], NULL, 0, false, page(&p, "Subscribe now\n")),
                         CHAFF_E_DATA);
        assert_int_equal(learn_page(l, "Site.Example", NULL, 0, false, page(&p, "Subscribe now\n")),
                         CHAFF_OK);
    }
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(learn_write_rules(l, 5, 0.5, &b), CHAFF_OK);
    assert_null(strstr(b.p, "+ the"));
    assert_null(strstr(b.p, "evil"));
    assert_non_null(strstr(b.p, "\n@site site.example\n! 6 pages;"));
    buf_free(&b);
    /* counts files are held to the same */
    char msg[128];
    static const char *const bad_counts[] = {"P\ta b.example\t3", "P\ta/b\t3",
                                             "L\ta\x01.example\t3\tsome line"};
    for (size_t i = 0; i < sizeof bad_counts / sizeof bad_counts[0]; i++) {
        msg[0] = '\0';
        assert_int_equal(learn_merge_line(l, bad_counts[i], strlen(bad_counts[i]), msg),
                         CHAFF_E_DATA);
        assert_string_equal(msg, "a site name that is not a host name");
    }
    assert_int_equal(learn_merge_line(l, "P\tSITE.example\t4", 16, msg), CHAFF_OK);
    assert_non_null(strstr(counts_of(l, &b), "P\tsite.example\t10\n"));
    buf_free(&b);
    learn_free(l);
    pg_free(&p);
}

/* learn_page() with the page's own URL. */
static chaff_status learn_url(struct learn *l, struct pg *p, const char *url, bool more,
                              const char *text)
{
    return learn_page(l, "a.example", url, strlen(url), more, page(p, text));
}

/* A page crawled twice under one URL (fragment aside) counts once, for the
 * site and for its lines; the further piece of a page is no new page; past
 * the cap URLs are counted without being remembered. */
static void test_recrawl(void **state)
{
    (void)state;
    struct pg p;
    pg_init(&p);
    struct learn *l = learn_new(0);
    assert_int_equal(learn_url(l, &p, "https://a.example/1", false, "Menu\nStory one.\n"), 0);
    assert_int_equal(learn_url(l, &p, "https://a.example/1", false, "Menu\nStory one.\n"), 0);
    assert_int_equal(learn_url(l, &p, "https://a.example/1#c", false, "Menu\nStory one.\n"), 0);
    assert_int_equal(learn_url(l, &p, "https://a.example/1", true, "Footer\n"), 0);
    assert_int_equal(learn_url(l, &p, "https://a.example/2", false, "Menu\nStory two.\n"), 0);
    assert_int_equal(learn_url(l, &p, "https://a.example/2", true, "Footer\n"), 0);
    /* no URL of its own (--url): every page counts */
    assert_int_equal(learn_page(l, "a.example", NULL, 0, false, page(&p, "Menu\n")), 0);
    assert_int_equal(learn_page(l, "a.example", NULL, 0, false, page(&p, "Menu\n")), 0);
    assert_int_equal(learn_n_pages(l), 4);
    struct buf cb;
    assert_string_equal(counts_of(l, &cb), "#chaff-learn-counts 1\n"
                                           "P\ta.example\t4\n"
                                           "L\ta.example\t4\tmenu\n"
                                           "L\ta.example\t1\tfooter\n"
                                           "L\ta.example\t1\tstory one.\n"
                                           "L\ta.example\t1\tstory two.\n");
    buf_free(&cb);
    learn_free(l);
    /* a cap of 4: the fifth URL and on are not remembered */
    l = learn_new(4);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 6; i++) {
            char url[64];
            snprintf(url, sizeof url, "https://a.example/%d", i);
            assert_int_equal(learn_url(l, &p, url, false, "Menu\n"), 0);
        }
    assert_int_equal(learn_n_pages(l), 6 + 2);
    learn_free(l);
    pg_free(&p);
}

bool learn_sentence_like(const char *k, size_t n); /* learn.c, STATIC */

static bool sentence(const char *k) { return learn_sentence_like(k, strlen(k)); }

/* A long line of several words that ends as a sentence ends is learned
 * only when on most of a site's pages and on many: likely content else. */
static void test_sentence(void **state)
{
    (void)state;
    const char *cookie =
        "we use cookies to improve your experience on our website, see our policy.";
    const char *quote = "the mayor said the harbour would reopen to ferries by the end of june.";
    assert_true(sentence(cookie));
    assert_true(sentence("\"the mayor said the harbour would reopen to the ferries in june!\""));
    assert_true(
        sentence("the mayor said the harbour would reopen to the ferries in june\xe2\x80\xa6"));
    assert_false(sentence("skip to content"));
    assert_false(sentence("home | news | sport | weather | culture | travel | opinion | contact"));
    assert_false(sentence("ferries.harbour-news.example/very/long/path/with-no-spaces-at-all."));
    assert_false(sentence("the mayor said the harbour would reopen to the ferries."));
    struct pg p;
    pg_init(&p);
    struct learn *l = learn_new(0);
    /* a.example: 10 pages, all with both sentences: too few pages */
    for (int i = 0; i < 10; i++)
        assert_int_equal(learn_page(l, "a.example", NULL, 0, false,
                                    page(&p, "We use cookies to improve your experience on our "
                                             "website, see our policy.\nMenu\n")),
                         CHAFF_OK);
    /* b.example: 25 pages; the notice on 21 (84%), the quote on 19 (76%) */
    for (int i = 0; i < 25; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s%sStory %d.\n",
                 i < 21 ? "We use cookies to improve your experience on our website, see our "
                          "policy.\n"
                        : "",
                 i < 19 ? "The mayor said the harbour would reopen to ferries by the end of "
                          "June.\n"
                        : "",
                 i < 13 ? "Menu\n" : "", i);
        assert_int_equal(learn_page(l, "b.example", NULL, 0, false, page(&p, text)), CHAFF_OK);
    }
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(learn_write_rules(l, 5, 0.5, &b), CHAFF_OK);
    const char *body = strstr(b.p, "\n@category learned\n");
    assert_non_null(body);
    char want[1024];
    snprintf(want, sizeof want,
             "\n@category learned\n@lang any\n@site a.example\n"
             "! 10 pages; after each rule, the pages it was on\n"
             "= menu ! 10\n"
             "\n@category learned\n@lang any\n@site b.example\n"
             "! 25 pages; after each rule, the pages it was on\n"
             "= %s ! 21\n"
             "= menu ! 13\n",
             cookie);
    assert_string_equal(body, want);
    assert_null(strstr(b.p, quote));
    buf_free(&b);
    learn_free(l);
    pg_free(&p);
}

/* No site counted yet: writing counts hands memcpy no NULL (UBSan). */
static void test_empty(void **state)
{
    (void)state;
    struct learn *l = learn_new(0);
    struct buf b;
    assert_string_equal(counts_of(l, &b), "#chaff-learn-counts 1\n");
    buf_free(&b);
    learn_free(l);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_host),       cmocka_unit_test(test_empty),
    cmocka_unit_test(test_counts),     cmocka_unit_test(test_rules),
    cmocka_unit_test(test_bad_counts), cmocka_unit_test(test_cap),
    cmocka_unit_test(test_recrawl),    cmocka_unit_test(test_sentence),
};

UNIT_MAIN(tests)
