/*
 * test_segment.c — line features and document splitting (segment.c).
 *
 * Features: effective length (Han and kana weigh three), words of spaced
 * scripts, terminal punctuation of many scripts with closers after it,
 * sentence breaks, bullets and numbered items, separator tokens between
 * navigation items (spaced and unspaced), a leading separator, left-over
 * placeholders, URLs, the dominant script and the script histogram; runs
 * counted whole give what the general step gives.
 * seg_doc: line splitting with blank lines and without a final newline,
 * both forms per line, non-blank indices, the key limit, and failures.
 */
#include "unit.h"

#include <pthread.h>
#include <unicode/uchar.h>

#include "alloc.h"
#include "arena.h"
#include "doc.h"
#include "segment.h"

static struct seg_feat feat(const char *s)
{
    struct seg_feat f;
    seg_features(s, strlen(s), &f, NULL);
    return f;
}

static void test_lengths_and_words(void **state)
{
    (void)state;
    struct seg_feat f = feat("The quick brown fox");
    assert_int_equal(f.n_chars, 19);
    assert_int_equal(f.n_letters, 16);
    assert_int_equal(f.n_words, 4);
    assert_int_equal(f.n_cjk, 0);
    assert_int_equal(f.elen, 19);
    assert_int_equal(f.script, SCRIPT_LATIN);

    /* 看不清换一张: six Han characters weigh 18, and make no "words" */
    f = feat("\xe7\x9c\x8b\xe4\xb8\x8d\xe6\xb8\x85\xe6\x8d\xa2\xe4\xb8\x80\xe5\xbc\xa0");
    assert_int_equal(f.n_chars, 6);
    assert_int_equal(f.n_cjk, 6);
    assert_int_equal(f.elen, 18);
    assert_int_equal(f.n_words, 0);
    assert_int_equal(f.script, SCRIPT_HAN);

    /* ひらがな: kana weighs three too */
    f = feat("\xe3\x81\xb2\xe3\x82\x89\xe3\x81\x8c\xe3\x81\xaa");
    assert_int_equal(f.n_cjk, 4);
    assert_int_equal(f.elen, 12);
    assert_int_equal(f.script, SCRIPT_KANA);

    /* Hangul is spaced: counted once, in words */
    f = feat(
        "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94 \xec\x84\xb8\xec\x83\x81");
    assert_int_equal(f.n_chars, 8);
    assert_int_equal(f.n_cjk, 0);
    assert_int_equal(f.elen, 8);
    assert_int_equal(f.n_words, 2);
    assert_int_equal(f.script, SCRIPT_HANGUL);

    /* mixed: Hello 世界 42 -> two words (the Han token is not one) */
    f = feat("Hello \xe4\xb8\x96\xe7\x95\x8c 42");
    assert_int_equal(f.n_words, 2);
    assert_int_equal(f.n_cjk, 2);
    assert_int_equal(f.n_digits, 2);
    assert_int_equal(f.elen, 11 + 4);

    f = feat("a1! \xe2\x80\x94 ?");
    assert_int_equal(f.n_letters, 1);
    assert_int_equal(f.n_digits, 1);
    assert_int_equal(f.n_punct, 3);
    assert_int_equal(f.n_words, 1);
    assert_int_equal(f.n_chars, 7);

    /* combining marks are not characters */
    f = feat("e\xcc\x81t\xc3\xa9");
    assert_int_equal(f.n_chars, 3);
    assert_int_equal(f.n_letters, 3);

    f = feat("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80");
    assert_int_equal(f.script, SCRIPT_CYRILLIC);
    assert_int_equal(f.n_words, 2);
    f = feat("12345 678");
    assert_int_equal(f.script, SCRIPT_OTHER);
    assert_int_equal(f.n_words, 2);
}

static void test_terminal(void **state)
{
    (void)state;
    const char *yes[] = {
        "It ends here.",
        "Wow!",
        "Why?",
        "Wait\xe2\x80\xa6",                                  /* … */
        "\xe5\x8f\xa5\xe5\xad\x90\xe3\x80\x82",              /* 句子。 */
        "\xe5\xa5\xbd\xef\xbc\x81",                          /* 好！ */
        "\xe5\x90\x97\xef\xbc\x9f",                          /* 吗？ */
        "\xd9\x87\xd9\x84 \xd8\xb0\xd9\x84\xd9\x83\xd8\x9f", /* هل ذلك؟ */
        "\xe0\xa4\xb5\xe0\xa4\xbe\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xaf\xe0\xa5\xa4", /* वाक्य। */
        "He said \"yes.\"",                                                         /* ." */
        "(See above.)",
        "\xe2\x80\x9cQuoted.\xe2\x80\x9d",                  /* “Quoted.” */
        "\xe6\x96\x87\xe7\xab\xa0\xe3\x80\x82\xe3\x80\x8d", /* 文章。」 */
        "\xe6\x96\x87\xe3\x80\x82\xe3\x80\x8f\xef\xbc\x89", /* 文。』） */
        "Ends with spaces.   ",
        "Semicolon;",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        struct seg_feat f = feat(yes[i]);
        if (!f.terminal)
            fail_msg("not terminal: %s", yes[i]);
    }
    const char *no[] = {
        "No stop",
        "Trailing comma,",
        "Title:",
        "Home | News",
        "\"quoted\"",
        "(aside)",
        "\xe6\x96\x87\xe7\xab\xa0\xe3\x80\x8d", /* 文章」 */
        "",
        "...x",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        struct seg_feat f = feat(no[i]);
        if (f.terminal)
            fail_msg("terminal: %s", no[i]);
    }
}

static void test_stops(void **state)
{
    (void)state;
    assert_int_equal(feat("One. Two! Three? four").n_stops, 3);
    assert_int_equal(feat("One. two").n_stops, 1); /* any letter after the break */
    assert_int_equal(feat("Mr.Smith and e.g. 3.5").n_stops, 0);
    /* 你好。世界。: a stop between two CJK sentences, none at the end */
    assert_int_equal(
        feat("\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82\xe4\xb8\x96\xe7\x95\x8c\xe3\x80\x82").n_stops,
        1);
}

static void test_bullets(void **state)
{
    (void)state;
    assert_int_equal(feat("\xe2\x80\xa2 Home").bullet, 1); /* • */
    assert_int_equal(feat("* Item").bullet, 1);
    assert_int_equal(feat("- Item").bullet, 1);
    assert_int_equal(feat("o Nested item").bullet, 1);
    assert_int_equal(feat("\xc2\xb7 Dot").bullet, 1); /* · */
    /* CJK pages put U+30FB (and its half-width form, and U+2027 in
     * Traditional Chinese) before list items */
    assert_int_equal(feat("\xe3\x83\xbb 张馨予称发自拍照因登错微博").bullet, 1);
    assert_int_equal(feat("\xef\xbd\xa5 \xe6\x96\xb0\xe8\x81\x9e").bullet, 1);
    assert_int_equal(feat("\xe2\x80\xa7 \xe6\x96\xb0\xe8\x81\x9e").bullet, 1);
    assert_int_equal(feat("\xe3\x83\xbb\xe3\x83\xbb\xe3\x83\xbb").bullet, 0);
    assert_int_equal(feat("\xe2\x80\xa2").bullet, 1); /* a lone bullet */
    assert_int_equal(feat("1. First").bullet, 2);
    assert_int_equal(feat("12) Twelfth").bullet, 2);
    assert_int_equal(feat("999. Last").bullet, 2);
    assert_int_equal(feat("1999. A year").bullet, 0); /* four digits: a year */
    assert_int_equal(feat("2024 was a year").bullet, 0);
    assert_int_equal(feat("3.5 percent").bullet, 0);
    assert_int_equal(feat("-5 degrees").bullet, 0);
    assert_int_equal(feat("\xe2\x80\xa2Home").bullet, 0); /* no space after */
    assert_int_equal(feat("on the road").bullet, 0);
    assert_int_equal(feat("Hello").bullet, 0);
}

static void test_separators(void **state)
{
    (void)state;
    struct seg_feat f = feat("Home | News | World");
    assert_int_equal(f.n_seps, 2);
    assert_false(f.terminal);
    assert_false(f.sep_lead);
    assert_int_equal(feat("Home \xc2\xbb News \xc2\xbb World \xc2\xbb Asia").n_seps, 3); /* » */
    assert_int_equal(feat("Home > News").n_seps, 1);
    /* 国际- 国内-社会: separators touch CJK on one side */
    f = feat("\xe5\x9b\xbd\xe9\x99\x85- \xe5\x9b\xbd\xe5\x86\x85-\xe7\xa4\xbe\xe4\xbc\x9a");
    assert_int_equal(f.n_seps, 2);
    /* not separators: inside words and numbers, or with nothing after */
    assert_int_equal(feat("and/or well-known 2020/10/05").n_seps, 0);
    assert_int_equal(feat("A sentence ends -").n_seps, 0);
    assert_int_equal(feat("x || y").n_seps, 1); /* one run, one separator */
    /* leading separator */
    assert_int_equal(feat("/ Outlet").sep_lead, 1);
    assert_int_equal(feat("\xc2\xbb More").sep_lead, 1);
    assert_int_equal(feat("| Sport").sep_lead, 1);
    assert_int_equal(feat("/Outlet").sep_lead, 0);
    assert_int_equal(feat("Outlet /").sep_lead, 0);
}

static void test_placeholders_and_urls(void **state)
{
    (void)state;
    assert_int_equal(feat("[image]").bracketed, 1);
    assert_int_equal(feat("[Photo: AP]").bracketed, 1);
    assert_int_equal(feat("IFRAME: x").bracketed, 1);
    assert_int_equal(feat("IMAGE: photo.jpg").bracketed, 1);
    assert_int_equal(feat("[1] A footnote").bracketed, 0);
    assert_int_equal(feat("An image of it").bracketed, 0);
    assert_int_equal(feat("see https://example.org/x").url, 1);
    assert_int_equal(feat("http://a").url, 1);
    assert_int_equal(feat("www.example.com").url, 1);
    assert_int_equal(feat("no link here").url, 0);
    assert_int_equal(feat("https:/broken").url, 0);
}

static void test_histogram(void **state)
{
    (void)state;
    uint32_t hist[SCRIPT_COUNT] = {0};
    struct seg_feat f;
    const char *a = "abc \xe4\xb8\x96\xe7\x95\x8c";
    const char *b = "\xd0\xb4\xd0\xb0 de 12";
    seg_features(a, strlen(a), &f, hist);
    seg_features(b, strlen(b), &f, hist);
    assert_int_equal(hist[SCRIPT_LATIN], 5);
    assert_int_equal(hist[SCRIPT_HAN], 2);
    assert_int_equal(hist[SCRIPT_CYRILLIC], 2);
    assert_int_equal(hist[SCRIPT_OTHER], 0);  /* digits are not letters */
    assert_int_equal(f.script, SCRIPT_LATIN); /* a tie goes to the lower script number */
}

struct segd {
    struct arena arena;
    struct seg_scratch s;
    struct doc d;
};

static chaff_status seg(struct segd *x, const char *text, size_t len)
{
    memset(&x->d, 0, sizeof x->d);
    x->d.arena = &x->arena;
    return seg_doc(&x->d, &x->s, text, len);
}

static void segd_init(struct segd *x, size_t cap)
{
    arena_init(&x->arena, cap);
    seg_scratch_init(&x->s);
}

static void segd_free(struct segd *x)
{
    arena_free(&x->arena);
    seg_scratch_free(&x->s);
}

/* A line's output form is len bytes, not NUL-terminated. */
static void assert_line(const struct line *L, const char *want)
{
    assert_int_equal(L->len, strlen(want));
    assert_memory_equal(L->len ? L->text : "", want, strlen(want));
}

static void test_seg_doc_lines(void **state)
{
    (void)state;
    struct segd x;
    segd_init(&x, 0);
    const char *t = "  First line.  \n\n"
                    "\xc2\xa0\xe3\x80\x80\n"
                    "SECOND  Line\n"
                    "last";
    assert_int_equal(seg(&x, t, strlen(t)), CHAFF_OK);
    struct doc *d = &x.d;
    assert_int_equal(d->n_lines, 5);
    assert_int_equal(d->n_nonblank, 3);
    assert_line(&d->lines[0], "First line.");
    assert_int_equal(d->lines[0].len, 11);
    assert_string_equal(d->lines[0].key, "first line.");
    assert_int_equal(d->lines[0].nb, 0);
    assert_true(d->lines[0].f.terminal);
    assert_int_equal(d->lines[0].rule, -1);
    /* blank and white-space-only lines: empty text, no key */
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(d->lines[i].len, 0);
        assert_line(&d->lines[i], "");
        assert_null(d->lines[i].key);
    }
    assert_line(&d->lines[3], "SECOND  Line");
    assert_string_equal(d->lines[3].key, "second line");
    assert_int_equal(d->lines[3].key_len, 11);
    assert_int_equal(d->lines[3].nb, 1);
    /* no final newline: the last line is still a line */
    assert_line(&d->lines[4], "last");
    assert_int_equal(d->lines[4].nb, 2);
    assert_int_equal(d->script_hist[SCRIPT_LATIN], 9 + 10 + 4);

    /* a final newline adds no empty line; blank runs are lines */
    arena_reset(&x.arena);
    assert_int_equal(seg(&x, "a\n", 2), CHAFF_OK);
    assert_int_equal(x.d.n_lines, 1);
    assert_int_equal(seg(&x, "\n\n", 2), CHAFF_OK);
    assert_int_equal(x.d.n_lines, 2);
    assert_int_equal(x.d.n_nonblank, 0);
    assert_int_equal(seg(&x, "", 0), CHAFF_OK);
    assert_int_equal(x.d.n_lines, 0);
    assert_non_null(x.d.lines);
    /* a CR left at a line end is white space */
    assert_int_equal(seg(&x, "a\r\nb\r", 5), CHAFF_OK);
    assert_int_equal(x.d.n_lines, 2);
    assert_line(&x.d.lines[0], "a");
    assert_line(&x.d.lines[1], "b");
    /* the histogram restarts per document */
    assert_int_equal(x.d.script_hist[SCRIPT_LATIN], 2);
    segd_free(&x);
}

static void test_seg_doc_key_limit(void **state)
{
    (void)state;
    struct segd x;
    segd_init(&x, 0);
    size_t n = DOC_KEY_MAX + 1;
    char *t = malloc(2 * n + 4);
    assert_non_null(t);
    memset(t, 'x', n); /* line 0: one byte over the key limit */
    t[n] = '\n';
    memset(t + n + 1, 'y', n - 1); /* line 1: exactly at the limit */
    t[2 * n] = '\0';
    assert_int_equal(seg(&x, t, 2 * n), CHAFF_OK);
    assert_int_equal(x.d.n_lines, 2);
    assert_int_equal(x.d.lines[0].len, n);
    assert_null(x.d.lines[0].key);
    assert_int_equal(x.d.lines[0].f.n_chars, n); /* features all the same */
    assert_non_null(x.d.lines[1].key);
    assert_int_equal(x.d.lines[1].key_len, DOC_KEY_MAX);
    free(t);
    segd_free(&x);
}

static void test_seg_doc_failures(void **state)
{
    (void)state;
    struct segd x;
    const char *t = "one line\ntwo line\n";
    /* the arena's cap */
    segd_init(&x, 64);
    assert_int_equal(seg(&x, t, strlen(t)), CHAFF_E_NOMEM);
    segd_free(&x);
    /* every allocation in turn fails cleanly */
    for (long k = 0; k < 4; k++) {
        segd_init(&x, 0);
        alloc_fail_after(k);
        chaff_status st = seg(&x, t, strlen(t));
        alloc_fail_after(-1);
        assert_true(st == CHAFF_E_NOMEM || st == CHAFF_OK);
        if (k == 0)
            assert_int_equal(st, CHAFF_E_NOMEM);
        segd_free(&x);
    }
    /* the scratch buffers' cap, met by a line normalisation changes */
    segd_init(&x, 0);
    x.s.out.max = 4;
    const char *nfd = "cafe\xcc\x81 au lait\n";
    assert_int_equal(seg(&x, nfd, strlen(nfd)), CHAFF_E_TOOBIG);
    segd_free(&x);
}

/* Lines that are NFC already are not copied: their output form points
 * into the text; only a line normalisation changes gets a copy. */
static void test_seg_doc_spans(void **state)
{
    (void)state;
    struct segd x;
    segd_init(&x, 0);
    const char *t = "  plain line  \n"
                    "\xc2\xa0"
                    "caf\xc3\xa9 \xe5\x9b\xbd\xe5\xae\xb6\xe3\x80\x80\n"
                    "cafe\xcc\x81\n"
                    "a\xcc\x81\xcc\xa3 marks out of order\n";
    size_t n = strlen(t);
    assert_int_equal(seg(&x, t, n), CHAFF_OK);
    struct doc *d = &x.d;
    assert_int_equal(d->n_lines, 4);
    assert_line(&d->lines[0], "plain line");
    assert_ptr_equal(d->lines[0].text, t + 2);
    assert_line(&d->lines[1], "caf\xc3\xa9 \xe5\x9b\xbd\xe5\xae\xb6");
    assert_ptr_equal(d->lines[1].text, t + 17);
    /* decomposed: composed in a copy */
    assert_line(&d->lines[2], "caf\xc3\xa9");
    assert_true(d->lines[2].text < t || d->lines[2].text >= t + n);
    /* combining marks reordered (ccc 230 before 220) */
    assert_line(&d->lines[3], "\xe1\xba\xa1\xcc\x81 marks out of order");
    assert_true(d->lines[3].text < t || d->lines[3].text >= t + n);
    assert_string_equal(d->lines[0].key, "plain line");
    segd_free(&x);
}

/* n_seps and n_stops are 16-bit fields: a very long line saturates them
 * at UINT16_MAX instead of wrapping (70000 would wrap to 4464), and counts
 * below the limit are exact. */
/* Runs of ASCII words and of Han characters are counted whole, and a
 * space before an ASCII word in one step; the features must be those of
 * the general step taken for every character (seg_fast_runs = 0), field
 * for field: random lines of ASCII words in both cases, digits, single and
 * double spaces, tabs, terminal and separator marks, bullets, Han, kana,
 * CJK punctuation, combining and format characters, white space past
 * ASCII, and a lead byte cut short at the end. */
static void test_fast_runs(void **state)
{
    (void)state;
    /* the assumption the Han run rests on, for the ICU this is built with */
    for (uint32_t c = 0x4e00; c <= 0x9fef; c++)
        assert_int_equal(u_charType((UChar32)c), U_OTHER_LETTER);
    static const char *const piece[] = {"The",      "quick",
                                        "brown",    "FOX",
                                        "a",        "I",
                                        "x1",       "42",
                                        " ",        " ",
                                        " ",        "  ",
                                        "\t",       ".",
                                        "!",        "?",
                                        ",",        ":",
                                        "|",        "/",
                                        "-",        "*",
                                        ">",        "~",
                                        "(",        ")",
                                        "\"",       "'",
                                        "o",        "1.",
                                        "·",        "»",
                                        "•",        "–",
                                        "—",        "…",
                                        "。",       "，",
                                        "！",       "？",
                                        "、",       "「",
                                        "」",       "一",
                                        "中文",     "国际",
                                        "龥",       "鿯",
                                        "鿰",      "㐀",
                                        "あ",       "カ",
                                        "\xcc\x81", "\xe2\x80\x8d",
                                        "\xc2\xa0", "\xe3\x80\x80",
                                        "é",        "Été",
                                        "Ωμέγα",    "Да",
                                        "١٢",       "ﬁ"};
    unsigned seed = 2024;
    char s[1024];
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int n = 1 + (int)((seed >> 16) % 40);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *q = piece[(seed >> 12) % (sizeof piece / sizeof piece[0])];
            memcpy(s + len, q, strlen(q));
            len += strlen(q);
        }
        if (seed & 0x100000)
            s[len++] = (char)0xe4; /* a character cut short */
        struct seg_feat fast, slow;
        uint32_t hf[SCRIPT_COUNT] = {0}, hs[SCRIPT_COUNT] = {0};
        seg_features(s, len, &fast, hf);
        seg_fast_runs = 0;
        seg_features(s, len, &slow, hs);
        seg_fast_runs = 1;
        if (memcmp(&fast, &slow, sizeof fast) != 0 || memcmp(hf, hs, sizeof hf) != 0)
            fail_msg("features of '%.*s' differ from the general step's", (int)len, s);
    }
    /* and figures that do not depend on either */
    struct seg_feat f =
        feat("\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe3\x80\x82\xe4\xb8\x80\xe4\xb8\x80");
    assert_int_equal(f.n_chars, 6);
    assert_int_equal(f.n_cjk, 5);
    assert_int_equal(f.n_letters, 5);
    assert_int_equal(f.n_stops, 1); /* 。 then a Han character */
    assert_int_equal(f.script, SCRIPT_HAN);
    f = feat("One end. Two Words here");
    assert_int_equal(f.n_words, 5);
    assert_int_equal(f.n_stops, 1);
    assert_int_equal(f.n_upper, 3);
    assert_int_equal(f.n_lower, 2);
}

static void test_counts_saturate(void **state)
{
    (void)state;
    size_t n = 70000;
    char *s = malloc(n * 4 + 8);
    assert_non_null(s);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(s + k, "a | ", 4);
        k += 4;
    }
    s[k++] = 'a';
    struct seg_feat f;
    seg_features(s, k, &f, NULL);
    assert_int_equal(f.n_seps, UINT16_MAX);
    seg_features(s, 4 * 1000 + 1, &f, NULL);
    assert_int_equal(f.n_seps, 1000);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(s + k, "Go. ", 4);
        k += 4;
    }
    s[k++] = 'A';
    seg_features(s, k, &f, NULL);
    assert_int_equal(f.n_stops, UINT16_MAX);
    seg_features(s, 4 * 1000 + 1, &f, NULL);
    assert_int_equal(f.n_stops, 1000);
    free(s);
}

/* Features do not depend on which thread asks first: the ASCII class table
 * is constant, so threads starting at once (under -fsanitize=thread this
 * would flag a lazily written table) agree with one another. */
struct feat_job {
    const char *s;
    struct seg_feat f;
};

static void *feat_thread(void *arg)
{
    struct feat_job *j = arg;
    seg_features(j->s, strlen(j->s), &j->f, NULL);
    return NULL;
}

static void test_features_threads(void **state)
{
    (void)state;
    struct feat_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].s = "Home | News | World. Sport / Weather > More";
        assert_int_equal(pthread_create(&th[i], NULL, feat_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 1; i < 4; i++)
        assert_memory_equal(&jobs[i].f, &jobs[0].f, sizeof jobs[0].f);
    assert_int_equal(jobs[0].f.n_seps, 4);
    assert_int_equal(jobs[0].f.n_stops, 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lengths_and_words),
    cmocka_unit_test(test_terminal),
    cmocka_unit_test(test_stops),
    cmocka_unit_test(test_bullets),
    cmocka_unit_test(test_separators),
    cmocka_unit_test(test_placeholders_and_urls),
    cmocka_unit_test(test_histogram),
    cmocka_unit_test(test_seg_doc_lines),
    cmocka_unit_test(test_seg_doc_key_limit),
    cmocka_unit_test(test_seg_doc_failures),
    cmocka_unit_test(test_seg_doc_spans),
    cmocka_unit_test(test_fast_runs),
    cmocka_unit_test(test_counts_saturate),
    cmocka_unit_test(test_features_threads),
};

UNIT_MAIN(tests)
