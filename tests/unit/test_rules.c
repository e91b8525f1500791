/*
 * test_rules.c — rule file parsing (rules_parse.c) and compiling
 * (rules_compile.c): every statement form and directive, state carried
 * down a file and reset by @category, languages from folders, header and
 * examples, comments and escapes, a table of malformed files with their
 * exact positions and messages, and allocation failures.
 */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "lang.h"
#include "rules.h"

/* Parse text as "t.rules" into a fresh set; the caller frees *r. */
static chaff_status parse(struct chaff_rules *r, const char *text, chaff_error *err)
{
    memset(r, 0, sizeof *r);
    memset(err, 0, sizeof *err);
    return rules_parse_text(r, "t.rules", text, strlen(text), LANG_ALL, err);
}

/* Free the contents of a set parsed into caller storage. */
static void release(struct chaff_rules *r)
{
    struct chaff_rules *heap = chaff_xmalloc(sizeof *heap);
    assert_non_null(heap);
    *heap = *r;
    chaff_rules_free(heap);
    memset(r, 0, sizeof *r);
}

static void test_statement_forms(void **state)
{
    (void)state;
    struct chaff_rules r;
    chaff_error err;
    const char *text = "@category share\n"
                       "= Share\n"
                       "+ Share  This\n"
                       "~ ^foo\\s+bar\n"
                       "keep = About us\n"
                       "next 3 + related\n"
                       "para = Comments\n"
                       "rest + read more\n"
                       "before = 您的位置：首页\n"
                       "block + a message from: .. = remind me later.\n";
    assert_int_equal(parse(&r, text, &err), CHAFF_OK);
    assert_int_equal(r.n, 10);
    assert_int_equal(r.n_statements, 9);
    assert_int_equal(r.n_files, 1);
    assert_string_equal(r.files[0].path, "t.rules");

    assert_int_equal(r.v[0].match, RM_EXACT);
    assert_string_equal(r.v[0].pat, "share");
    assert_int_equal(r.v[0].action, RA_DROP);
    assert_int_equal(r.v[0].line, 2);
    assert_int_equal(r.v[0].col, 3);
    assert_int_equal(r.v[1].match, RM_PHRASE);
    assert_string_equal(r.v[1].pat, "share this"); /* folded, spaces collapsed */
    assert_int_equal(r.v[2].match, RM_REGEX);
    assert_string_equal(r.v[2].pat, "^foo\\s+bar"); /* regexes are not folded */
    assert_int_equal(r.v[3].action, RA_KEEP);
    assert_string_equal(r.v[3].pat, "about us");
    assert_int_equal(r.v[3].col, 8);
    assert_int_equal(r.v[4].action, RA_NEXT);
    assert_int_equal(r.v[4].n, 3);
    assert_int_equal(r.v[5].action, RA_PARA);
    assert_int_equal(r.v[6].action, RA_REST);
    assert_int_equal(r.v[7].action, RA_BEFORE);
    assert_string_equal(r.v[7].pat, "您的位置:首页"); /* full-width colon folded */

    assert_int_equal(r.v[8].action, RA_BLOCK);
    assert_int_equal(r.v[9].action, RA_BLOCK_END);
    assert_int_equal(r.v[8].pair, 9);
    assert_int_equal(r.v[9].pair, 8);
    assert_int_equal(r.v[8].n, RULE_DEFAULT_SPAN);
    assert_string_equal(r.v[8].pat, "a message from:");
    assert_string_equal(r.v[9].pat, "remind me later.");
    assert_int_equal(r.v[9].match, RM_EXACT);
    assert_int_equal(r.v[9].col, 30);
    for (uint32_t i = 0; i < r.n; i++) {
        assert_int_equal(r.v[i].id, i);
        assert_string_equal(r.categories[r.v[i].category], "share");
    }

    assert_int_equal(rules_compile(&r, &err), CHAFF_OK);
    assert_int_equal(r.n_parts, 1);
    assert_non_null(r.scratch_proto);
    /* the cheapest forms: `=` by key, the phrases as literals,
     * `^foo\s+bar` (anchored, its keys begin with "foo ") run by its
     * program when a key begins so */
    assert_int_equal(r.v[0].form, RF_TABLE);
    assert_int_equal(r.v[1].form, RF_LITERAL);
    assert_int_equal(r.v[2].form, RF_ANCHORED);
    release(&r);
}

static void test_directives_and_reset(void **state)
{
    (void)state;
    struct chaff_rules r;
    chaff_error err;
    const char *text = "@lang en, de\n"
                       "@category login\n"
                       "= a\n"
                       "@site example.com ~m.example.com Example.*\n"
                       "@where head 5\n"
                       "@maxlen 0\n"
                       "@strength weak\n"
                       "= b\n"
                       "@where tail\n"
                       "= c\n"
                       "@category share\n"
                       "= d\n"
                       "@site example.org\n"
                       "@site *\n"
                       "@category login\n"
                       "= e\n";
    assert_int_equal(parse(&r, text, &err), CHAFF_OK);
    assert_int_equal(r.n, 5);
    uint32_t en_de = lang_from_code("en", 2) | lang_from_code("de", 2);
    /* defaults */
    assert_int_equal(r.v[0].langs, en_de);
    assert_int_equal(r.v[0].site, 0);
    assert_int_equal(r.v[0].where, RW_ANY);
    assert_int_equal(r.v[0].where_n, RULE_DEFAULT_WHERE_N);
    assert_int_equal(r.v[0].maxlen, RULE_DEFAULT_MAXLEN);
    assert_int_equal(r.v[0].strong, 1);
    /* everything set */
    assert_int_not_equal(r.v[1].site, 0);
    const struct site_set *ss = &r.sites[r.v[1].site];
    assert_int_equal(ss->n, 3);
    assert_string_equal(ss->names[0], "example.com");
    assert_string_equal(ss->names[1], "~m.example.com");
    assert_string_equal(ss->names[2], "example.*"); /* lowercased */
    assert_int_equal(r.v[1].where, RW_HEAD);
    assert_int_equal(r.v[1].where_n, 5);
    assert_int_equal(r.v[1].maxlen, 0);
    assert_int_equal(r.v[1].strong, 0);
    assert_int_equal(r.v[2].where, RW_TAIL);
    assert_int_equal(r.v[2].where_n, RULE_DEFAULT_WHERE_N);
    /* @category resets site, where, maxlen, strength but not lang */
    assert_int_equal(r.v[3].site, 0);
    assert_int_equal(r.v[3].where, RW_ANY);
    assert_int_equal(r.v[3].maxlen, RULE_DEFAULT_MAXLEN);
    assert_int_equal(r.v[3].strong, 1);
    assert_int_equal(r.v[3].langs, en_de);
    /* categories are interned */
    assert_int_equal(r.n_categories, 2);
    assert_int_equal(r.v[4].category, r.v[0].category);
    assert_int_equal(r.v[4].site, 0);
    assert_int_equal(r.sites[0].n, 0);
    release(&r);
}

static void test_header_examples_comments(void **state)
{
    (void)state;
    struct chaff_rules r;
    chaff_error err;
    const char *text = "\xef\xbb\xbf! title: Login widgets\n"
                       "!version:1\n"
                       "! license: CC0-1.0\n"
                       "! description: what it is for\n"
                       "! a plain comment: with a colon\n"
                       "\n"
                       "@category login   ! trailing comment on a directive\n"
                       "@lang zh\n"
                       "+ wow \\! amazing ! comment\n"
                       "= a!b\n"
                       "= back\\slash\n"
                       "= trailing !\n"
                       "~ ^a\\!b$ !\n"
                       "! test-drop: 登录密码\n"
                       "@site example.com\n"
                       "  !   test-keep:   他说登录密码被盗后报了警。  \n"
                       "! title: later titles are only comments inside the body? no: error\n";
    /* the last line is an error; parse all but it first */
    size_t len = strlen(text) - strlen("! title: later titles are only comments inside the "
                                       "body? no: error\n");
    memset(&r, 0, sizeof r);
    assert_int_equal(rules_parse_text(&r, "zh/t.rules", text, len, LANG_ALL, &err), CHAFF_OK);
    assert_string_equal(r.files[0].title, "Login widgets");
    assert_string_equal(r.files[0].version, "1");
    assert_string_equal(r.files[0].license, "CC0-1.0");
    assert_string_equal(r.files[0].description, "what it is for");
    assert_int_equal(r.n, 5);
    assert_string_equal(r.v[0].pat, "wow ! amazing");
    assert_string_equal(r.v[1].pat, "a!b");
    assert_string_equal(r.v[2].pat, "back\\slash");
    assert_string_equal(r.v[3].pat, "trailing");
    assert_string_equal(r.v[4].pat, "^a\\!b$");
    assert_int_equal(r.n_examples, 2);
    assert_true(r.examples[0].expect_drop);
    assert_string_equal(r.examples[0].text, "登录密码");
    assert_int_equal(r.examples[0].line, 14);
    assert_int_equal(r.examples[0].col, 14);
    assert_int_equal(r.examples[0].langs, lang_from_code("zh", 2));
    assert_int_equal(r.examples[0].site, 0);
    assert_false(r.examples[1].expect_drop);
    assert_string_equal(r.examples[1].text, "他说登录密码被盗后报了警。");
    assert_int_equal(r.examples[1].col, 20);
    assert_int_not_equal(r.examples[1].site, 0);
    release(&r);

    assert_int_equal(parse(&r, text, &err), CHAFF_E_RULES);
    assert_int_equal(err.line, 17);
    assert_int_equal(err.col, 3);
    assert_string_equal(err.msg, "header 'title' after the first statement");
    release(&r);
}

/* Write text to dir/rel, creating folders. */
static void put_file(const char *dir, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *q = path + strlen(dir) + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(path, 0700);
            *q = '/';
        }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_folders(void **state)
{
    (void)state;
    char dir[] = "/tmp/chaff-rules-XXXXXX";
    assert_non_null(mkdtemp(dir));
    put_file(dir, "en/b.rules", "@category x\n= one\n+ two\n");
    put_file(dir, "en/a.rules", "@category x\n= three\n");
    put_file(dir, "misc/c.rules", "@category y\n@lang ru\n= four\n");
    put_file(dir, "misc/notes.txt", "not rules\n");
    put_file(dir, "en/.hidden.rules", "garbage\n");
    put_file(dir, "single.rules", "@category z\nblock = s .. = e\n");

    char single[512];
    snprintf(single, sizeof single, "%s/single.rules", dir);
    const char *paths[] = {dir};
    chaff_rules *r = NULL;
    chaff_error err;
    assert_int_equal(chaff_rules_load(&r, paths, 1, &err), CHAFF_OK);
    assert_non_null(r);
    assert_int_equal(chaff_rules_files(r), 4);
    assert_int_equal(chaff_rules_count(r), 5);
    /* sorted: en/a, en/b, misc/c, single */
    assert_non_null(strstr(r->files[0].path, "/en/a.rules"));
    assert_non_null(strstr(r->files[1].path, "/en/b.rules"));
    assert_non_null(strstr(r->files[2].path, "/misc/c.rules"));
    assert_string_equal(r->v[0].pat, "three");
    assert_int_equal(r->v[0].langs, lang_from_code("en", 2));
    assert_int_equal(r->v[1].langs, lang_from_code("en", 2));
    assert_int_equal(r->v[3].langs, lang_from_code("ru", 2));
    assert_int_equal(r->v[4].langs, LANG_ALL); /* folder is not a language */
    assert_non_null(r->scratch_proto);
    chaff_rules_free(r);

    /* an explicit file, and no paths at all */
    const char *one[] = {single};
    assert_int_equal(chaff_rules_load(&r, one, 1, &err), CHAFF_OK);
    assert_int_equal(chaff_rules_count(r), 1);
    assert_int_equal(r->n, 2);
    chaff_rules_free(r);
    assert_int_equal(chaff_rules_load(&r, NULL, 0, &err), CHAFF_OK);
    assert_int_equal(chaff_rules_count(r), 0);
    assert_null(r->scratch_proto);
    assert_int_equal(r->n_sites, 1);
    chaff_rules_free(r);

    /* errors name the file */
    put_file(dir, "zz/bad.rules", "@category x\n@catgory y\n");
    r = (chaff_rules *)1;
    assert_int_equal(chaff_rules_load(&r, paths, 1, &err), CHAFF_E_RULES);
    assert_null(r);
    assert_non_null(strstr(err.file, "/zz/bad.rules"));
    assert_int_equal(err.line, 2);
    assert_string_equal(err.msg, "unknown directive '@catgory'");

    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    const char *m[] = {missing};
    assert_int_equal(chaff_rules_load(&r, m, 1, &err), CHAFF_E_IO);
    assert_int_equal(err.line, 0);
    assert_string_equal(err.msg, "cannot open: no such file or directory");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- malformed files ---------------------------------------------------- */

static const struct {
    const char *text;
    const char *want; /* "line:col: message" */
} bad[] = {
    {"@catgory x\n", "1:1: unknown directive '@catgory'"},
    {"@category c\nkep = foo\n", "2:1: unknown keyword 'kep'"},
    {"@category c\nnext 3\n", "2:7: missing pattern after 'next'"},
    {"@category c\n=\n", "2:1: empty pattern after '='"},
    {"@category c\nnext x = a\n", "2:6: bad number 'x' (expected 1 to 65535)"},
    {"@category c\nnext 0 = a\n", "2:6: bad number '0' (expected 1 to 65535)"},
    {"@category c\nblock + a + b\n", "2:1: 'block' needs ' .. ' between its start and end"},
    {"@category c\nblock + a .. ~\n", "2:14: empty pattern after '~'"},
    {"@category c\n@site exa$mple.com\n", "2:7: bad site scope 'exa$mple.com'"},
    {"@site a.com ~\n", "1:13: bad site scope '~'"},
    {"@site * example.com\n", "1:9: unexpected 'example.com' after '@site *'"},
    {"@category c\n@where middle\n", "2:8: bad @where 'middle' (expected head, tail or any)"},
    {"@where head 0\n", "1:13: bad number '0' (expected 1 to 65535)"},
    {"@where any 5\n", "1:12: unexpected '5' after @where"},
    {"@lang en,xx\n", "1:10: unknown language code 'xx'"},
    {"@lang\n", "1:6: missing argument to @lang"},
    {"! title: a\n! title: b\n", "2:3: duplicate header key 'title'"},
    {"@category c\n! version: 2\n", "2:3: header 'version' after the first statement"},
    {"= foo\n", "1:1: rule before any @category"},
    {"@category c\n= \xe3\x80\x80\n", "2:3: pattern is empty after normalization"},
    {"@category c\n~ 登录？\n", "2:5: regex character '？' is not in key form (write '?')"},
    {"@category c\n~ ABC Ｘ\n", "2:7: regex character 'Ｘ' is not in key form (write 'x')"},
    {"@category c\n~ ^straße$\n", "2:8: regex character 'ß' is not in key form (write 'ss')"},
    {"@category Bad\n", "1:11: bad category name 'Bad' (use a-z, 0-9 and '-')"},
    {"@category a b\n", "1:13: unexpected 'b' after the category name"},
    {"@maxlen 70000\n", "1:9: bad number '70000' (expected 0 to 65535)"},
    {"@strength medium\n", "1:11: bad @strength 'medium' (expected strong or weak)"},
    {"@category c\n\"foo\"\n", "2:1: expected '=', '+' or '~' before '\"foo\"'"},
    {"@category c\nkeep foo\n", "2:6: expected '=', '+' or '~' before 'foo'"},
    {"! fine\na\xff\n", "2:2: invalid utf-8"},
    {"\xc0\xaf\n", "1:1: invalid utf-8"},
    {"@category c\n= a\x01"
     "b\n",
     "2:4: control character U+0001"},
    {"@category c\n! test-drop:\n", "2:13: empty example"},
    /* Vectorscan rejects these at compile time; the position is the rule's */
    {"@category c\n= ok\n~ (?<=a)b\n", "3:3: bad regex: look-around is not available"},
    {"@category c\n~ a*\n", "2:3: bad regex: regex matches the empty line"},
    {"@category c\n~ x(a\n", "2:4: bad regex: missing ')' for the group opened here"},
    {"@category c\n~ ab[c\n", "2:5: bad regex: unterminated character class"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct chaff_rules r;
        chaff_error err;
        chaff_status st = parse(&r, bad[i].text, &err);
        if (st == CHAFF_OK)
            st = rules_compile(&r, &err);
        char got[400];
        snprintf(got, sizeof got, "%u:%u: %s", err.line, err.col, err.msg);
        if (st != CHAFF_E_RULES || strcmp(got, bad[i].want) != 0)
            fail_msg("case %zu: status %d, got \"%s\", want \"%s\"", i, (int)st, got, bad[i].want);
        assert_string_equal(err.file, "t.rules");
        release(&r);
    }
}

static void test_long_statement(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    buf_adds(&b, "@category c\n= ");
    for (int i = 0; i < RULE_MAX_LINE - 2; i++)
        buf_addc(&b, 'a');
    buf_addc(&b, '\n');
    struct chaff_rules r;
    chaff_error err;
    assert_int_equal(parse(&r, b.p, &err), CHAFF_OK); /* exactly the limit */
    assert_int_equal(strlen(r.v[0].pat), RULE_MAX_LINE - 2);
    release(&r);
    b.len--;
    buf_adds(&b, "a\n");
    assert_int_equal(parse(&r, b.p, &err), CHAFF_E_RULES);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 1);
    assert_string_equal(err.msg, "statement longer than 4096 bytes");
    release(&r);
    buf_free(&b);
}

/* Every allocation of parse and compile may fail: the result is then
 * CHAFF_E_NOMEM and nothing leaks (the sanitizer and valgrind runs check
 * that part). */
static void test_nomem(void **state)
{
    (void)state;
    const char *text = "! title: t\n@category a\n@lang en\n@site x.com ~y.x.com\n"
                       "= one\n+ two words\n~ ^thr(ee|ice)\nblock = s .. + e\n"
                       "! test-drop: one\n@category b\nnext 2 + f\n";
    long i;
    for (i = 0; i < 1000; i++) {
        struct chaff_rules r;
        chaff_error err;
        alloc_fail_after(i);
        chaff_status st = parse(&r, text, &err);
        if (st == CHAFF_OK)
            st = rules_compile(&r, &err);
        alloc_fail_after(-1);
        release(&r);
        if (st == CHAFF_OK)
            break;
        assert_int_equal(st, CHAFF_E_NOMEM);
    }
    assert_true(i > 10 && i < 1000);
}

static void test_many_rules_compile_time(void **state)
{
    (void)state;
    /* 2,000 mixed rules compile (about 0.1 s in an optimised build; the time
     * is printed, not asserted, because valgrind runs are 40 times slower) */
    struct buf b;
    buf_init(&b, 0);
    buf_adds(&b, "@category c\n");
    static const char *const words[] = {"share",  "login",      "подписаться", "分享到",
                                        "cookie", "newsletter", "微信",        "follow"};
    for (int i = 0; i < 2000; i++) {
        const char *w1 = words[i % 8], *w2 = words[(i / 8) % 8];
        if (i % 10 < 4)
            buf_addf(&b, "= %s %s %d\n", w1, w2, i);
        else if (i % 10 < 9)
            buf_addf(&b, "+ %s %d %s\n", w1, i, w2);
        else
            buf_addf(&b, "~ ^%s\\s+%d\n", w1, i);
    }
    struct chaff_rules r;
    chaff_error err;
    assert_int_equal(parse(&r, b.p, &err), CHAFF_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(rules_compile(&r, &err), CHAFF_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    print_message("compile of 2000 rules: %.0f ms\n", ms);
    assert_true(r.n_parts == 1 && r.part[0].n_hs > 0 && ms >= 0);
    /* compiling again replaces the database */
    assert_int_equal(rules_compile(&r, &err), CHAFF_OK);
    release(&r);
    buf_free(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_statement_forms),
    cmocka_unit_test(test_directives_and_reset),
    cmocka_unit_test(test_header_examples_comments),
    cmocka_unit_test(test_load_folders),
    cmocka_unit_test(test_malformed),
    cmocka_unit_test(test_long_statement),
    cmocka_unit_test(test_nomem),
    cmocka_unit_test(test_many_rules_compile_time),
};

UNIT_MAIN(tests)
