/*
 * test_classify.c — keep/drop decisions and their reasons (classify.c).
 *
 * Documents go through the real pipeline: seg_doc, then cls_doc with no
 * rules or with a small rule set loaded through chaff_rules_load from a
 * temporary file.  Without rules: long sentence-like lines are kept, a
 * short line takes its neighbours' class, a heading before a paragraph
 * stays, menus of bullet items and separator navigation go, a repeated
 * caption goes, short clusters at the head and tail go only when chrome
 * touches them.  With rules: strong drops, weak hits weighed by context,
 * keep rules, next/para/rest/before/block ranges, site scoping, the
 * removal budget backing off for generic rules but not for site rules,
 * and the rules-only / heuristics-only flags.
 */
#include "unit.h"

#include <unistd.h>

#include "alloc.h"
#include "classify.h"
#include "doc.h"
#include "lang.h"
#include "rules.h"
#include "segment.h"

/* Ten distinct article paragraphs: long and sentence-like. */
#define P0                                                                                         \
    "The city council voted on Tuesday evening to extend the tram line across the river, ending "  \
    "a debate that had divided residents of the old harbour district for more than a decade."
#define P1                                                                                         \
    "Supporters of the plan argued that the new link would cut travel times for thousands of "     \
    "commuters who now cross the bridge by car every single morning."
#define P2                                                                                         \
    "Opponents warned that the construction work would close the market square for at least two "  \
    "summers and drive away the small traders who depend on it."
#define P3                                                                                         \
    "The mayor said the first trams could run by the end of next year if the national government " \
    "approves the loan that the council requested in the spring."
#define P4                                                                                         \
    "Engineers from the transport authority will begin surveying the riverbank next month, "       \
    "starting with the stretch between the ferry terminal and the old customs house."
#define P5                                                                                         \
    "A group of residents has already announced that it will challenge the decision in court, "    \
    "arguing that the public consultation was too short to be meaningful."
#define P6                                                                                         \
    "Local businesses along the planned route were divided, with cafe owners hoping for more "     \
    "customers and shopkeepers fearing that the works would keep buyers away."
#define P7                                                                                         \
    "The council will publish a detailed timetable for the works in January, together with a "     \
    "plan for temporary bus services while the bridge is closed to cars."
#define P8                                                                                         \
    "Historians noted that the harbour district had been served by trams once before, until the "  \
    "old line was torn up in the nineteen sixties to make room for cars."
#define P9                                                                                         \
    "Whatever the outcome in court, the vote marks the largest investment in public transport "    \
    "that the city has made since the opening of its underground railway."
#define CAPTION                                                                                    \
    "Passengers wait for a tram at the central station during the evening rush hour, when delays " \
    "on the old line regularly stretch to half an hour."

struct cx {
    struct arena arena;
    struct seg_scratch seg;
    struct doc d;
    chaff_rules *r;
    struct match_scratch *ms;
    const char *host;
    char path[64];
};

static void cx_init(struct cx *c, const char *rules_text)
{
    memset(c, 0, sizeof *c);
    arena_init(&c->arena, 0);
    seg_scratch_init(&c->seg);
    if (!rules_text)
        return;
    snprintf(c->path, sizeof c->path, "/tmp/chaff-classify-XXXXXX.rules");
    int fd = mkstemps(c->path, 6);
    assert_true(fd >= 0);
    size_t n = strlen(rules_text);
    assert_int_equal(write(fd, rules_text, n), (ssize_t)n);
    close(fd);
    const char *paths[] = {c->path};
    chaff_error err;
    chaff_status st = chaff_rules_load(&c->r, paths, 1, &err);
    unlink(c->path);
    if (st)
        fail_msg("rules: %u:%u: %s (%s)", err.line, err.col, err.msg, chaff_strerror(st));
    assert_int_equal(match_scratch_new(c->r, &c->ms), CHAFF_OK);
}

static void cx_free(struct cx *c)
{
    match_scratch_free(c->ms);
    chaff_rules_free(c->r);
    arena_free(&c->arena);
    seg_scratch_free(&c->seg);
}

/* Segment and classify text as one whole document. */
static struct doc *run(struct cx *c, const char *text, unsigned flags)
{
    arena_reset(&c->arena);
    memset(&c->d, 0, sizeof c->d);
    c->d.arena = &c->arena;
    c->d.at_head = c->d.at_tail = true;
    c->d.host = c->host;
    assert_int_equal(seg_doc(&c->d, &c->seg, text, strlen(text)), CHAFF_OK);
    c->d.langs = lang_detect_mask(c->d.script_hist);
    struct cls_params p = {.budget = 0.5, .flags = flags};
    assert_int_equal(cls_doc(&c->d, c->r, c->ms, &p), CHAFF_OK);
    return &c->d;
}

/* The first line whose text starts with prefix. */
static const struct line *line_at(const struct doc *d, const char *prefix)
{
    size_t n = strlen(prefix);
    for (uint32_t i = 0; i < d->n_lines; i++)
        if (d->lines[i].len >= n && memcmp(d->lines[i].text, prefix, n) == 0)
            return &d->lines[i];
    fail_msg("no line starts with '%s'", prefix);
    return NULL;
}

/* The rule line (1-based, in the rule file) behind a decision. */
static unsigned rule_line(const struct cx *c, const struct line *L)
{
    assert_true(L->rule >= 0);
    return c->r->v[L->rule].line;
}

static void expect(const struct doc *d, const char *prefix, int keep, unsigned why, int line)
{
    const struct line *L = line_at(d, prefix);
    if (L->keep != keep || L->why != why)
        fail_msg("line %d: '%.30s': %s/%s, expected %s/%s", line, prefix, L->keep ? "keep" : "drop",
                 cls_reason_name(L->why), keep ? "keep" : "drop", cls_reason_name(why));
}
#define KEEP(d, p, why) expect(d, p, 1, why, __LINE__)
#define DROP(d, p, why) expect(d, p, 0, why, __LINE__)

static void test_article_and_context(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    struct doc *d = run(&c, P0 "\n\n" P1 "\nSee the chart below\n" P2 "\n\n" P3 "\n", 0);
    KEEP(d, "The city council", R_GOOD);
    KEEP(d, "Supporters", R_GOOD);
    KEEP(d, "See the chart below", R_CONTEXT); /* short, between two GOOD */
    KEEP(d, "Opponents", R_GOOD);
    assert_false(d->budget_backoff);
    assert_int_equal(d->n_dropped_heur + d->n_dropped_rule, 0);
    /* blank lines are neither kept nor counted */
    assert_int_equal(d->lines[1].why, R_BLANK);
    assert_false(d->lines[1].keep);

    /* short lines between bad ones go */
    d = run(&c, P0 "\n" P1 "\nHome | News | World\nShort thing here\nAbout | Contact | Jobs\n", 0);
    DROP(d, "Home | News", R_NAV);
    DROP(d, "Short thing", R_CONTEXT);
    DROP(d, "About | Contact", R_NAV);
    assert_int_equal(d->n_dropped_heur, 3);
    assert_int_equal(d->n_dropped_rule, 0);

    /* nothing decided anywhere: short lines are kept */
    d = run(&c, "Hello\nWorld\n", 0);
    KEEP(d, "Hello", R_CONTEXT);
    KEEP(d, "World", R_CONTEXT);
    cx_free(&c);
}

static void test_heading_list_nav(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    struct doc *d = run(&c,
                        "* Home\n* World\n* Business\n* Sport\n"
                        "Home \xc2\xbb World \xc2\xbb Europe\n"
                        "[image]\n"
                        "Tram line to cross the river\n" P0 "\n" P1 "\n" P2 "\n",
                        0);
    DROP(d, "* Home", R_LIST);
    DROP(d, "* Sport", R_LIST);
    assert_int_equal(line_at(d, "* World")->fig, 4);
    DROP(d, "Home \xc2\xbb", R_NAV);
    DROP(d, "[image]", R_PLACEHOLDER);
    KEEP(d, "Tram line", R_HEADING);
    KEEP(d, "The city council", R_GOOD);
    /* numbered items are a menu too; one item alone is not */
    d = run(&c, "1. Home\n2. News\n" P0 "\n" P1 "\n* Note on sources\n", 0);
    DROP(d, "1. Home", R_LIST);
    DROP(d, "2. News", R_LIST);
    assert_int_not_equal(line_at(d, "* Note")->why, R_LIST);
    cx_free(&c);
}

static void test_bullet_menu_dropped(void **state)
{
    (void)state;
    /* a menu of U+2022 items goes, whichever heuristic names it: U+2022
     * is both a bullet and a separator, so separator-nav may claim the
     * lines before list-run sees them */
    struct cx c;
    cx_init(&c, NULL);
    struct doc *d =
        run(&c, "\xe2\x80\xa2 Home\n\xe2\x80\xa2 World\n\xe2\x80\xa2 Sport\n" P0 "\n" P1 "\n", 0);
    static const char *const menu[] = {"\xe2\x80\xa2 Home", "\xe2\x80\xa2 World",
                                       "\xe2\x80\xa2 Sport"};
    for (size_t i = 0; i < sizeof menu / sizeof menu[0]; i++) {
        const struct line *L = line_at(d, menu[i]);
        if (L->keep || (L->why != R_LIST && L->why != R_NAV))
            fail_msg("'%s': %s/%s, expected a drop by list-run or separator-nav", menu[i],
                     L->keep ? "keep" : "drop", cls_reason_name(L->why));
    }
    assert_true(line_at(d, P0)->keep);
    assert_true(line_at(d, P1)->keep);
    cx_free(&c);
}

static void test_repeats(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    struct doc *d = run(&c, P0 "\n" CAPTION "\n" P1 "\n" P2 "\n" CAPTION "\n" P3 "\n", 0);
    /* the first copy is the caption; the echo goes */
    const struct line *first = line_at(d, "Passengers");
    assert_true(first->keep);
    assert_int_equal(first->why, R_GOOD);
    const struct line *echo = NULL;
    for (uint32_t i = 0; i < d->n_lines; i++)
        if (&d->lines[i] != first && d->lines[i].len &&
            memcmp(d->lines[i].text, "Passengers", 10) == 0)
            echo = &d->lines[i];
    assert_non_null(echo);
    assert_false(echo->keep);
    assert_int_equal(echo->why, R_REPEAT);
    assert_int_equal(echo->fig, first->nb);
    cx_free(&c);
}

static void test_echoes(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* the article again as one blob (structured data, a print copy) */
    struct doc *d = run(&c, P0 "\n" P1 "\n" P2 "\n" P3 "\n\n" P1 " " P2 " " P3 "\n", 0);
    const struct line *blob = &d->lines[d->n_lines - 1];
    assert_false(blob->keep);
    assert_int_equal(blob->why, R_REPEAT);
    KEEP(d, "Supporters", R_GOOD);
    KEEP(d, "The mayor", R_GOOD);
    /* a near copy of one line: the caption printed again without credit */
    d = run(&c, P0 "\n" P1 "\n" P2 " (Photo: Jane Doe/Agency)\n" P3 "\n" P2 "\n", 0);
    blob = &d->lines[d->n_lines - 1];
    assert_false(blob->keep);
    assert_int_equal(blob->why, R_REPEAT);
    assert_int_equal(blob->fig, 2);
    /* a looser variant of one line is content: rows of a plan differ in a
     * few figures */
    d = run(&c,
            P0
            "\nDay 1: porridge oats with 1 cup of milk, 2 boiled eggs, a slice of wholegrain toast "
            "and 100 g of fresh berries.\nDay 2: porridge oats with 2 cups of milk, 3 boiled eggs, "
            "a slice of wholegrain toast and 150 g of fresh berries.\n" P1 "\n",
            0);
    KEEP(d, "Day 2", R_GOOD);
    cx_free(&c);
}

static void test_threads(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* comments after the article: each record opens with a dated meta
     * line of one shape, whatever the name */
    const char *doc =
        P0 "\n" P1 "\n" P2 "\n\n"
           "+12 #1 Anna 26.11.2011 16:14\nWhat a decision, the tram is long overdue in our part of "
           "town.\n"
           "-3 #2 Old Harbour Resident 26.11.2011 17:05\n" P7 "\n"
           "+5 #3 Ivan 26.11.2011 17:38\nI will believe it when I see the first tram cross the "
           "bridge.\n"
           "+1 #4 Mari 26.11.2011 18:41\nWho is going to pay for the loan in the end? We are.\n";
    struct doc *d = run(&c, doc, 0);
    KEEP(d, "The city council", R_GOOD);
    KEEP(d, "Opponents", R_GOOD);
    DROP(d, "+12 #1 Anna", R_THREAD);
    DROP(d, "The council will", R_THREAD); /* a long comment too */
    DROP(d, "Who is going", R_THREAD);
    assert_false(d->budget_backoff);
    /* the same dated lines as a schedule inside the article, with more
     * article text after them than before: content */
    doc = P0 "\n"
             "June 23, 2020 at 7:30 pm\nThe first public hearing takes place in the town hall.\n"
             "July 14, 2020 at 7:30 pm\nThe second hearing moves to the harbour district library.\n"
             "August 8, 2020 at 6:00 pm\nThe council votes on the final route of the line.\n" P1
             "\n" P2 "\n" P3 "\n" P4 "\n";
    d = run(&c, doc, 0);
    KEEP(d, "July 14", R_CONTEXT);
    KEEP(d, "The council votes", R_NEAR);
    /* or records opened by the same words: a rubric over each teaser */
    doc = P0 "\n" P1 "\n" P2 "\n"
             "//Politics\nVoters in the north will choose a new governor on Sunday after a short "
             "campaign.\n"
             "//Economy\nThe central bank kept its rates unchanged for the third month in a row.\n"
             "//Politics\nThe opposition asked for a recount in two districts of the capital.\n"
             "//Politics\nParliament will debate the budget for next year in its last session.\n"
             "//Politics\nThe mayor of the port city resigned after a dispute with the council.\n";
    d = run(&c, doc, 0);
    KEEP(d, "Opponents", R_GOOD);
    DROP(d, "The central bank", R_THREAD);
    DROP(d, "The mayor of the port", R_THREAD);
    /* numbered headings of a list article are not meta lines */
    doc = P0 "\n1. Plan the route 2020\n" P1 "\n2. Find the money 2021\n" P2
             "\n3. Build the bridge 2022\n" P3 "\n";
    d = run(&c, doc, 0);
    KEEP(d, "The mayor", R_GOOD);
    cx_free(&c);
}

static void test_teasers(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* after the article, other stories: a title and an excerpt that the
     * site cut to one length */
#define T1                                                                                         \
    "The new ferry timetable adds two early crossings on weekdays, but passengers on the island "  \
    "say the last boat still leaves far too soon in the evening..."
#define T2                                                                                         \
    "Teachers and the regional government agreed on a budget that restores music lessons in "      \
    "primary schools, ending a dispute that lasted the whole winter..."
#define T3                                                                                         \
    "A court ruled that the hospital may not charge staff for parking at night, a decision the "   \
    "unions hope will be followed by other public employers soon..."
#define T4                                                                                         \
    "Night buses will run every twenty minutes on Fridays and Saturdays from March, after a "      \
    "trial last year drew more riders than the city had expected..."
    const char *doc = P0 "\n" P1 "\n" P2 "\nHarbour ferry fares\n" T1 "\nSchool budget\n" T2
                         "\nHospital parking\n" T3 "\nNight buses\n" T4 "\n";
    struct doc *d = run(&c, doc, 0);
    KEEP(d, "Opponents", R_GOOD);
    DROP(d, "Harbour ferry", R_TEASERS);
    DROP(d, "Teachers and", R_TEASERS);
    DROP(d, "Night buses will", R_TEASERS);
    assert_false(d->budget_backoff);
    /* three are not yet a list */
    doc = P0 "\n" P1 "\n" P2 "\nHarbour ferry fares\n" T1 "\nSchool budget\n" T2
             "\nHospital parking\n" T3 "\nNight buses\n" P0 "\n";
    d = run(&c, doc, 0);
    KEEP(d, "Teachers and", R_GOOD);
    /* nor paragraphs of one length without titles between them */
    doc = P0 "\n" P1 "\n" P2 "\n" T1 "\n" T2 "\n" T3 "\n" T4 "\n";
    d = run(&c, doc, 0);
    KEEP(d, "Teachers and", R_GOOD);
#undef T1
#undef T2
#undef T3
#undef T4
    cx_free(&c);
}

static void test_colon_lists(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* the article introduces a list of short lines at its end; the menu
     * below is still chrome */
    const char *tail = "June 9 -- Harbour Hall, Westport\nJune 12 -- City Arena, Northam\n"
                       "June 14 -- Riverside Stage, Eastbury\n\n"
                       "• Facebook\n• Twitter\n• Email\n• Subscribe\n";
    char doc[4096];
    snprintf(doc, sizeof doc, "%s\n%s\n%s\nThe dates of the tour:\n%s", P0, P1, P2, tail);
    struct doc *d = run(&c, doc, 0);
    KEEP(d, "The dates of the tour", R_COLON_LIST);
    KEEP(d, "June 12", R_COLON_LIST);
    KEEP(d, "June 14", R_COLON_LIST);
    DROP(d, "• Twitter", R_NAV);
    /* sentence-long bulleted items are the article's own list; short ones
     * after them are a menu again */
    snprintf(doc, sizeof doc,
             "%s\n%s\nThe plan has three parts:\n"
             "• a new tram bridge next to the old road bridge in the harbour\n"
             "• four stops on the island with step-free access to every platform\n"
             "• a depot for twelve trams on the site of the former bus garage\n"
             "• Home\n• News\n• Contact\n",
             P0, P1);
    d = run(&c, doc, 0);
    KEEP(d, "The plan has three parts", R_COLON_LIST);
    KEEP(d, "• four stops", R_COLON_LIST);
    assert_false(line_at(d, "• News")->keep);
    /* without the colon line after article text, context decides */
    snprintf(doc, sizeof doc, "%s\n%s\n%s\nThe dates of the tour\n%s", P0, P1, P2, tail);
    d = run(&c, doc, 0);
    assert_false(line_at(d, "June 12")->keep);
    cx_free(&c);
}

static void test_title_case_runs(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* a tag cloud or a menu printed as one long line: nearly every word
     * capitalised, no sentence end; a sentence of the same length stays */
    const char *cloud =
        "Afghanistan Barack Obama Economy Elections Erdogan Hamas Health Iran Israel "
        "Jerusalem Middle East Opinion Politics Premium Science Sport Syria Technology "
        "Turkey United Nations Washington World News Video Podcasts Magazine Newsletters "
        "Crosswords Obituaries Weather Travel Food Books Real Estate";
    char doc[2048];
    snprintf(doc, sizeof doc, P0 "\n" P1 "\nHome | News | World\n%s\n", cloud);
    struct doc *d = run(&c, doc, 0);
    const struct line *L = line_at(d, "Afghanistan");
    assert_true(L->f.n_upper >= 25);
    assert_int_equal(L->f.n_lower, 0);
    assert_int_not_equal(L->init, LC_GOOD);
    assert_false(L->keep);
    KEEP(d, "The city council", R_GOOD);
    /* German capitalises nouns: a long sentence keeps its class */
    d = run(&c,
            "Die Stadtverwaltung hat am Dienstag beschlossen, die Strassenbahn über den Fluss zu "
            "verlängern, und damit einen Streit beendet, der die Bewohner des alten Hafenviertels "
            "seit mehr als zehn Jahren entzweit hatte.\n" P1 "\n",
            0);
    KEEP(d, "Die Stadtverwaltung", R_GOOD);
    cx_free(&c);
}

static void test_neutral_lines(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* a plan printed twice with one long line in common: the second copy
     * goes, and the short lines around it still take the class of the
     * text they stand in */
#define ROW                                                                                        \
    "Asparagus and eggs: one cup of asparagus, two poached eggs and half a cup of sweet potato, "  \
    "with a teaspoon of olive oil."
    const char *doc = P0 "\nPlan A\nBefore the workout\n" ROW "\nEat an hour before\n" P1
                         "\nPlan B\nBefore the run\n" ROW "\nTake it an hour before\n" P2 "\n";
#undef ROW
    struct doc *d = run(&c, doc, 0);
    const struct line *second = NULL;
    for (uint32_t i = 0; i < d->n_lines; i++)
        if (d->lines[i].len && memcmp(d->lines[i].text, "Asparagus", 9) == 0)
            second = &d->lines[i];
    assert_non_null(second);
    assert_false(second->keep);
    assert_int_equal(second->why, R_REPEAT);
    KEEP(d, "Plan B", R_CONTEXT);
    KEEP(d, "Before the run", R_CONTEXT);
    KEEP(d, "Take it an hour", R_CONTEXT); /* right after the echo */
    /* a rule drawn across the page is a non-word line; it parts sections
     * (a company's boilerplate under the release goes) and says nothing
     * of the short lines beside it */
    d = run(&c,
            P0
            "\n" P1 "\n" P2 "\n" P3 "\n" P4 "\nThat was all\n"
            "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
            "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
            "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
            "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
            "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
            "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
            "\n" P9 "\n",
            0);
    DROP(d, "\xe2\x94\x81", R_NONWORD);
    KEEP(d, "That was all", R_CONTEXT);
    KEEP(d, "The mayor", R_GOOD);
    DROP(d, "Whatever the outcome", R_OFFMAIN);
    cx_free(&c);
}

static void test_shaped_lists(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* tour dates under a title with no colon: five or more lines of one
     * look (a letter first, then '–', ',' and '@') right after the text */
    const char *dates = "June 9 \xe2\x80\x93 Westport, ME @ Harbour Hall\n"
                        "June 12 \xe2\x80\x93 Northam, NH @ City Arena\n"
                        "June 14 \xe2\x80\x93 Eastbury, VT @ Riverside Stage (Open Air)\n"
                        "June 17 \xe2\x80\x93 Southgate, MA @ The Forum\n"
                        "June 20 \xe2\x80\x93 Lakeside, NY @ Pavilion at the Lake\n"
                        "June 22 \xe2\x80\x93 Hillcrest, PA @ Music Hall\n";
    char doc[4096];
    snprintf(doc, sizeof doc,
             "%s\n%s\n%s\nThe tour dates\n%s\n\xe2\x80\xa2 Facebook\n\xe2\x80\xa2 Twitter\n", P0,
             P1, P2, dates);
    struct doc *d = run(&c, doc, 0);
    KEEP(d, "The tour dates", R_SHAPED_LIST);
    KEEP(d, "June 9 ", R_SHAPED_LIST);
    KEEP(d, "June 22", R_SHAPED_LIST);
    assert_int_equal(line_at(d, "June 14")->fig, 6);
    assert_false(line_at(d, "\xe2\x80\xa2 Twitter")->keep);
    /* a title with punctuation of its own */
    snprintf(doc, sizeof doc, "%s\n%s\n%s\nTour dates (2020)\n%s\n\xe2\x80\xa2 Facebook\n", P0, P1,
             P2, dates);
    d = run(&c, doc, 0);
    KEEP(d, "Tour dates (2020)", R_SHAPED_LIST);
    KEEP(d, "June 20", R_SHAPED_LIST);
    /* the same lines far from the article's text are left to context */
    snprintf(doc, sizeof doc,
             "%s\n%s\n%s\n\xe2\x80\xa2 Home\n\xe2\x80\xa2 News\n\xe2\x80\xa2 Sport\n%s", P0, P1, P2,
             dates);
    d = run(&c, doc, 0);
    assert_false(line_at(d, "June 12")->keep);
    /* teaser titles after the text share no look */
    d = run(&c,
            P0 "\n" P1 "\nMore stories\nCouncil votes on budget, again\nWhy the bridge "
               "closed: a timeline\nFive cafes worth the trip\nThe mayor's week (in pictures)\n"
               "Letters: trams, taxes and trees\nWhat's on this weekend?\n\xe2\x80\xa2 Home\n",
            0);
    for (uint32_t i = 0; i < d->n_lines; i++)
        assert_int_not_equal(d->lines[i].why, R_SHAPED_LIST);
    cx_free(&c);
}

static void test_bullet_runs(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* teasers as a bulleted run: a headline run into its excerpt, no
     * sentence end; the article's own bulleted sentences stay */
    const char *doc = P0 "\n" P1 "\nThe plan in brief.\n"
                         "* The new bridge will carry two tram tracks and a cycle lane, and it "
                         "will open to traffic in the spring of the year after next.\n"
                         "* Four stops on the island will have step-free access to every platform, "
                         "with lifts at both ends of each one.\n"
                         "* A depot for twelve trams will be built on the site of the former bus "
                         "garage, which closed more than ten years ago.\n"
                         "* The old road bridge will close to cars for two summers while the "
                         "tracks are laid, and buses will take a detour.\n"
                         "* Residents of the harbour district will be offered free season tickets "
                         "for the first year of the new service.\n" P2 "\nMORE FROM THE CITY\n"
                         "* Mayor opens winter market early! Stalls from twenty countries line the "
                         "square as the season starts a week ahead of plan\n"
                         "* Is this the busiest bus stop in the country? Commuters queue for an "
                         "hour at the stop outside the station every morning\n"
                         "* Ferry fares to rise again: why? The operator blames the price of fuel "
                         "for the third rise in a year as passengers protest\n"
                         "* Harbour cafe wins national award! Owners say the secret is the fish "
                         "that comes straight off the boats each morning\n"
                         "* Library to stay open late. Students welcome the move as exams approach "
                         "and the reading rooms fill up after six\n"
                         "* Old customs house for sale? The listed building by the ferry terminal "
                         "could become flats or a hotel, agents say\n";
    struct doc *d = run(&c, doc, 0);
    KEEP(d, "* The new bridge", R_GOOD);
    KEEP(d, "* Residents of the harbour", R_GOOD);
    DROP(d, "* Mayor opens", R_LIST);
    DROP(d, "* Old customs house", R_LIST);
    assert_int_equal(line_at(d, "* Ferry fares")->fig, 6);
    KEEP(d, "Opponents", R_GOOD);
    cx_free(&c);
}

static void test_first_section(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* two sections of about the same text: the first is the article, so
     * a short section that is small beside it goes (it would stay beside
     * the second alone) */
#define MENU "\n• Home\n• World\n• Business\n• Sport\n• Culture\n• Contact\n"
    const char *doc = P0 "\n" P1 "\n" P2 MENU P3 "\n" P4 "\n" P6 MENU P7 "\n";
#undef MENU
    struct doc *d = run(&c, doc, 0);
    KEEP(d, "The city council", R_GOOD);
    KEEP(d, "The mayor", R_GOOD);
    DROP(d, "The council will", R_OFFMAIN);
    assert_false(d->budget_backoff);
    cx_free(&c);
}

static void test_clusters_without_rules(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
    /* a head line and a tail line with no chrome near them stay */
    struct doc *d = run(&c, "By Jane Doe\n" P0 "\n" P1 "\n" P2 "\n(Reuters)\n", 0);
    KEEP(d, "By Jane Doe", R_CONTEXT);
    KEEP(d, "(Reuters)", R_TAIL_CLEAN);
    cx_free(&c);
}

static const char RULES[] = "! title: test rules\n"
                            "@category share\n"
                            "= share on facebook\n" /* 3 */
                            "@strength weak\n"
                            "+ subscribe\n"     /* 5 */
                            "+ sign in\n"       /* 6 */
                            "+ editor's pick\n" /* 7 */
                            "@category nav\n"
                            "keep = home | news | world\n"                       /* 9 */
                            "= home | news | world\n"                            /* 10 */
                            "next 2 = related stories\n"                         /* 11 */
                            "para = advertisement\n"                             /* 12 */
                            "rest = more from the city desk\n"                   /* 13 */
                            "before + you are here:\n"                           /* 14 */
                            "block = a message from us: .. = remind me later.\n" /* 15 */
                            "rest = photo gallery\n"                             /* 16 */
                            "@site example.com\n"
                            "= share this story\n"        /* 18 */
                            "rest = site footer starts\n" /* 19 */
                            "= protected line\n"          /* 20 */
                            "@site *\n"
                            "keep = protected line\n"; /* 22 */

static void test_strong_weak_keep(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, RULES);
    struct doc *d = run(&c,
                        P0 "\nShare on Facebook\n" P1 "\nSubscribe now\n" P2 "\n"
                           "Home | News | World\n" P3 "\n",
                        0);
    DROP(d, "Share on", R_RULE);
    assert_int_equal(rule_line(&c, line_at(d, "Share on")), 3);
    /* a weak hit between article paragraphs stays */
    KEEP(d, "Subscribe now", R_CONTEXT);
    /* the keep rule beats the heuristic (and the strong rule for the same line) */
    KEEP(d, "Home | News", R_KEEP_RULE);
    assert_int_equal(rule_line(&c, line_at(d, "Home | News")), 9);
    assert_int_equal(d->n_dropped_rule, 1);

    /* the same weak hit in chrome context goes */
    d = run(&c, P0 "\n" P1 "\nAbout | Contact | Jobs\nSubscribe now\n", 0);
    DROP(d, "Subscribe now", R_WEAK);
    assert_int_equal(rule_line(&c, line_at(d, "Subscribe now")), 5);

    /* head and tail clusters that a weak hit touches go whole */
    d = run(&c, "Welcome back\nSign in\n" P0 "\n" P1 "\n" P2 "\nEditor's pick\nMore news\n", 0);
    DROP(d, "Welcome back", R_HEAD);
    DROP(d, "Sign in", R_HEAD);
    DROP(d, "Editor's pick", R_TAIL);
    DROP(d, "More news", R_TAIL);
    KEEP(d, "The city council", R_GOOD);
    KEEP(d, "Opponents", R_GOOD);

    /* flags: rules only keeps what heuristics would drop; no rules ignores hits */
    d = run(&c, P0 "\nShare on Facebook\nAbout | Contact | Jobs\n" P1 "\n", CHAFF_NO_HEURISTICS);
    DROP(d, "Share on", R_RULE);
    assert_true(line_at(d, "About")->keep);
    d = run(&c, P0 "\nShare on Facebook\n" P1 "\n", CHAFF_NO_RULES);
    KEEP(d, "Share on", R_CONTEXT);
    cx_free(&c);
}

static void test_ranges(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, RULES);
    /* next 2: the blank line is not counted */
    struct doc *d = run(&c, P0 "\n" P1 "\nRelated stories\n\n" P2 "\n" P3 "\n" P4 "\n", 0);
    DROP(d, "Related stories", R_RULE);
    DROP(d, "Opponents", R_RULE_RANGE);
    DROP(d, "The mayor", R_RULE_RANGE);
    KEEP(d, "Engineers", R_GOOD);
    assert_int_equal(rule_line(&c, line_at(d, "The mayor")), 11);
    assert_int_equal(d->n_dropped_rule, 3);
    assert_false(d->budget_backoff);

    /* para: to the next blank line */
    d = run(&c,
            P0 "\n" P1 "\nAdvertisement\nBuy our product today at a great price\nCall now\n\n" P2
               "\n" P3 "\n",
            0);
    DROP(d, "Advertisement", R_RULE);
    DROP(d, "Buy our", R_RULE_RANGE);
    DROP(d, "Call now", R_RULE_RANGE);
    KEEP(d, "Opponents", R_GOOD);

    /* rest: to the end */
    d = run(&c, P0 "\n" P1 "\n" P2 "\nMore from the city desk\n" P3 "\n" P4 "\n", 0);
    DROP(d, "More from", R_RULE);
    DROP(d, "The mayor", R_RULE_RANGE);
    DROP(d, "Engineers", R_RULE_RANGE);
    KEEP(d, "Opponents", R_GOOD);
    assert_false(d->budget_backoff);

    /* before: everything up to the marker */
    d = run(&c,
            "Welcome to the site\n" P9 "\nYou are here: Home > City\n" P0 "\n" P1 "\n" P2 "\n" P3
            "\n",
            0);
    DROP(d, "Welcome", R_RULE_RANGE);
    DROP(d, "Whatever", R_RULE_RANGE);
    DROP(d, "You are here", R_RULE);
    KEEP(d, "The city council", R_GOOD);

    /* block: from start to end, both included */
    d = run(&c,
            P0 "\nA message from us:\n" P5 "\nDonate now\nRemind me later.\n" P1 "\n" P2 "\n" P3
               "\n",
            0);
    DROP(d, "A message", R_RULE);
    DROP(d, "A group of residents", R_RULE_RANGE);
    DROP(d, "Donate now", R_RULE_RANGE);
    DROP(d, "Remind me later.", R_RULE_RANGE);
    KEEP(d, "Supporters", R_GOOD);
    assert_int_equal(rule_line(&c, line_at(d, "Remind")), 15);
    /* a block without its end drops the start line only */
    d = run(&c, P0 "\nA message from us:\n" P5 "\n" P1 "\n" P2 "\n", 0);
    DROP(d, "A message", R_RULE);
    KEEP(d, "A group of residents", R_GOOD);
    cx_free(&c);
}

static void test_sites(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, RULES);
    const char *doc = P0 "\nShare this story\n" P1 "\nProtected line\n" P2 "\n";
    c.host = "news.example.com";
    struct doc *d = run(&c, doc, 0);
    DROP(d, "Share this story", R_RULE);
    assert_int_equal(rule_line(&c, line_at(d, "Share this")), 18);
    /* a site drop beats a generic keep */
    DROP(d, "Protected line", R_RULE);
    c.host = "example.org";
    d = run(&c, doc, 0);
    KEEP(d, "Share this story", R_CONTEXT);
    KEEP(d, "Protected line", R_KEEP_RULE);
    c.host = NULL;
    d = run(&c, doc, 0);
    KEEP(d, "Share this story", R_CONTEXT);
    cx_free(&c);
}

static void test_budget(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, RULES);
    /* a rest marker with too little text above it is a sidebar link:
     * only its own line goes, the range is not applied */
    const char *doc = P0 "\nPhoto gallery\n" P1 "\n" P2 "\n" P3 "\n" P4 "\n" P5 "\n" P6 "\n" P7
                         "\n" P8 "\n" P9 "\n";
    struct doc *d = run(&c, doc, 0);
    assert_false(d->budget_backoff);
    DROP(d, "Photo gallery", R_RULE);
    KEEP(d, "Supporters", R_GOOD);
    KEEP(d, "Whatever", R_GOOD);

    /* past that text, a rest rule that would delete most of the article
     * is undone as a whole range by the budget, which says so */
    doc = P0 "\n" P1 "\n" P2 "\nPhoto gallery\n" P3 "\n" P4 "\n" P5 "\n" P6 "\n" P7 "\n" P8 "\n" P9
             "\n";
    d = run(&c, doc, 0);
    assert_true(d->budget_backoff);
    DROP(d, "Photo gallery", R_RULE);
    KEEP(d, "The city council", R_GOOD);
    KEEP(d, "The mayor", R_BUDGET);
    KEEP(d, "Whatever", R_BUDGET);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < d->n_lines; i++)
        kept += d->lines[i].keep;
    assert_int_equal(kept, 10);
    assert_int_equal(d->n_dropped_rule, 1);

    /* a rest range over a small share of the text stands */
    doc = P0 "\n" P1 "\n" P2 "\n" P3 "\n" P4 "\n" P5 "\n" P6 "\n" P7 "\nPhoto gallery\n" P8 "\n" P9
             "\n";
    d = run(&c, doc, 0);
    assert_false(d->budget_backoff);
    DROP(d, "Historians", R_RULE_RANGE);
    DROP(d, "Whatever", R_RULE_RANGE);
    KEEP(d, "The council will", R_GOOD);

    /* a site-scoped rule is not generic: it stands */
    c.host = "example.com";
    d = run(&c, P0 "\nSite footer starts\n" P1 "\n" P2 "\n" P3 "\n", 0);
    DROP(d, "Site footer", R_RULE);
    DROP(d, "Supporters", R_RULE_RANGE);
    DROP(d, "The mayor", R_RULE_RANGE);
    KEEP(d, "The city council", R_GOOD);
    cx_free(&c);
}

static void test_budget_sections(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, NULL);
#define MENU "\n• Home\n• World\n• Business\n• Sport\n• Culture\n• Contact\n"
    /* more teaser text after the article than the article holds: the
     * sections after the main one are not lost text, the budget stays */
    const char *doc = P0 "\n" P1 "\n" P2 "\n" P3 MENU P5 MENU P6 MENU P7 MENU P8 MENU P9 "\n";
    struct doc *d = run(&c, doc, 0);
    assert_false(d->budget_backoff);
    KEEP(d, "The city council", R_GOOD);
    KEEP(d, "The mayor", R_GOOD);
    DROP(d, "A group of residents", R_OFFMAIN);
    DROP(d, "Whatever the outcome", R_OFFMAIN);
    /* the same sections before the article: the choice of the main one is
     * in doubt, and the budget gives them back */
    doc = P5 MENU P6 MENU P7 MENU P8 MENU P9 MENU P0 "\n" P1 "\n" P2 "\n" P3 "\n";
    d = run(&c, doc, 0);
    assert_true(d->budget_backoff);
    KEEP(d, "A group of residents", R_BUDGET);
    KEEP(d, "The city council", R_GOOD);
#undef MENU
    cx_free(&c);
}

static void test_host_and_names(void **state)
{
    (void)state;
    char h[64];
    assert_string_equal(cls_host("https://User@News.Example.COM:8080/path?q=1", h, sizeof h),
                        "news.example.com");
    assert_string_equal(cls_host("http://example.com./x", h, sizeof h), "example.com");
    assert_string_equal(cls_host("example.com/page", h, sizeof h), "example.com");
    assert_string_equal(cls_host("https://example.com?x", h, sizeof h), "example.com");
    assert_string_equal(cls_host(NULL, h, sizeof h), "");
    assert_string_equal(cls_host("", h, sizeof h), "");
    assert_string_equal(cls_host("https://averyveryverylonghost.example.com/", h, 8), "averyve");
    assert_string_equal(cls_reason_name(R_TAIL), "short-cluster@tail");
    assert_string_equal(cls_reason_name(R_CONTEXT), "context");
    assert_string_equal(cls_reason_name(R_BUDGET), "budget-backoff");
    assert_string_equal(cls_reason_name(999), "?");
    for (unsigned why = R_BLANK; why <= R_REPEAT; why++)
        assert_string_not_equal(cls_reason_name(why), "?");
}

static void test_nomem(void **state)
{
    (void)state;
    struct cx c;
    cx_init(&c, RULES);
    const char *doc = P0 "\nShare on Facebook\n" P1 "\n";
    /* the hit list grows through chaff_xrealloc; its failure is reported */
    arena_reset(&c.arena);
    memset(&c.d, 0, sizeof c.d);
    c.d.arena = &c.arena;
    assert_int_equal(seg_doc(&c.d, &c.seg, doc, strlen(doc)), CHAFF_OK);
    c.d.langs = LANG_ALL;
    struct cls_params p = {.budget = 0.5, .flags = 0};
    alloc_fail_after(0);
    chaff_status st = cls_doc(&c.d, c.r, c.ms, &p);
    alloc_fail_after(-1);
    assert_int_equal(st, CHAFF_E_NOMEM);
    cx_free(&c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_article_and_context),
    cmocka_unit_test(test_heading_list_nav),
    cmocka_unit_test(test_bullet_menu_dropped),
    cmocka_unit_test(test_repeats),
    cmocka_unit_test(test_echoes),
    cmocka_unit_test(test_threads),
    cmocka_unit_test(test_teasers),
    cmocka_unit_test(test_colon_lists),
    cmocka_unit_test(test_shaped_lists),
    cmocka_unit_test(test_bullet_runs),
    cmocka_unit_test(test_first_section),
    cmocka_unit_test(test_title_case_runs),
    cmocka_unit_test(test_neutral_lines),
    cmocka_unit_test(test_clusters_without_rules),
    cmocka_unit_test(test_strong_weak_keep),
    cmocka_unit_test(test_ranges),
    cmocka_unit_test(test_sites),
    cmocka_unit_test(test_budget),
    cmocka_unit_test(test_budget_sections),
    cmocka_unit_test(test_host_and_names),
    cmocka_unit_test(test_nomem),
};

UNIT_MAIN(tests)
