/*
 * classify.c — decide keep or drop for every line of a document.
 *
 * Three layers, each leaving a reason on the line:
 *
 * 1. Rules.  Every line's key is scanned once; hits are filtered by the
 *    rule's guards (language, site, position, length).  A site-scoped drop
 *    beats everything; a keep rule protects a line from generic rules and
 *    heuristics; strong drops act (on the line, or on a next/para/rest/
 *    before/block range); weak hits are only evidence.
 * 2. Features.  Lines not decided by rules get an initial class from their
 *    own features: GOOD (long and sentence-like), NEAR (short but a
 *    sentence), SHORT, or BAD (navigation with separators, placeholders,
 *    menus of list items, digits-and-symbols, a repeated title).
 * 3. Context, in the spirit of jusText's smoothing: a SHORT line takes the
 *    class of its nearest decided neighbours; a NEAR line is dropped only
 *    between two BAD ones; a short heading right before article text stays;
 *    clusters of short lines at the head and tail that touch chrome go.
 *    The document's edges are neutral rather than bad: plain text has no
 *    markup around it, and a last line such as "(Yonhap)" belongs to the
 *    article unless chrome is near it.
 *
 *    Then lines that echo kept text (the article again as one blob) go,
 *    and sections far smaller than the main one go.
 *
 * A removal budget guards the article: when generic decisions would drop
 * more than a set share of the document's long sentence-like text, drops
 * are undone, least certain first, until the loss is within the share
 * (site-scoped rules still apply) and the document is counted as a
 * back-off.
 *
 * Thresholds are in "effective length" (segment.c), so they hold for
 * unspaced scripts.  Limits: a line is judged once, in one pass over the
 * document, O(lines) apart from the head-window duplicate-title check.
 */
#include "classify.h"

#include <string.h>

#include "alloc.h"
#include "linefeat.h"
#include "match_apply.h"
#include "model.h"
#include "normalize.h"
#include "segment.h"
#include "stopwords.h"

/* Thresholds (effective length, see segment.c). */
#define GOOD_LEN 100        /* long enough to be article text when sentence-like */
#define GOOD_LEN_BARE 250   /* long enough even without sentence punctuation */
#define NEAR_MIN_WORDS 3    /* a short sentence needs this many words … */
#define NEAR_MIN_CJK 6      /* … or this many Han/kana characters */
#define TITLE_RUN_WORDS 8   /* a title-case run: this many cased words … */
#define TITLE_RUN_SHARE 7   /* … of which this many tenths start upper-case */
#define NONWORD_RULE_LEN 40 /* a line of symbols this long is a drawn rule */
#define BULLET_RUN_MIN 5    /* long list items in a run that may be teasers */
#define NAV_ITEM_LEN 24     /* separator-split items no longer than this: a menu */
#define HEADING_MAX 160     /* a heading is at most this long */
#define HEADING_GAP 200     /* short text allowed between a heading and its paragraph */
#define HEADING_SHORTS 3    /* … in at most this many short lines (standfirst, byline, date) */
#define HEADING_BRIDGE 3    /* dropped lines a heading may reach across */
#define TITLE_WINDOW 40     /* the head, where a title's first copy is the title */
#define RANGE_MIN_TEXT 300  /* sentence text a rest/before range must leave standing */
#define ECHO_SHARE 80       /* % of a line's shingles seen in kept text: an echo … */
#define ECHO_CLOSE 95       /* … and this much for a copy of a single line */

const char *cls_reason_name(unsigned why)
{
    static const char *const names[] = {
        [R_NONE] = "none",
        [R_BLANK] = "blank",
        [R_RULE] = "rule",
        [R_RULE_RANGE] = "rule-range",
        [R_KEEP_RULE] = "keep-rule",
        [R_WEAK] = "weak-rule+context",
        [R_GOOD] = "good",
        [R_NEAR] = "near-good",
        [R_CONTEXT] = "context",
        [R_HEADING] = "heading",
        [R_HEAD] = "short-cluster@head",
        [R_TAIL] = "short-cluster@tail",
        [R_HEAD_CLEAN] = "head-clean",
        [R_TAIL_CLEAN] = "tail-clean",
        [R_NAV] = "separator-nav",
        [R_LIST] = "list-run",
        [R_NONWORD] = "non-word",
        [R_PLACEHOLDER] = "placeholder",
        [R_BUDGET] = "budget-backoff",
        [R_LONGLINE] = "long-line",
        [R_OFFMAIN] = "off-main",
        [R_REPEAT] = "repeated",
        [R_THREAD] = "thread",
        [R_TEASERS] = "teasers",
        [R_COLON_LIST] = "colon-list",
        [R_SHAPED_LIST] = "shaped-list",
        [R_MODEL] = "model",
    };
    _Static_assert(sizeof names / sizeof names[0] == R_COUNT, "a reason without a name");
    return why < sizeof names / sizeof names[0] && names[why] ? names[why] : "?";
}

char *cls_host(const char *url, char *out, size_t n)
{
    if (!n)
        return out;
    out[0] = '\0';
    if (!url)
        return out;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (colon && *p != '[')
        end = colon;
    size_t k = 0;
    for (; p < end && k + 1 < n; p++)
        out[k++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    while (k > 0 && out[k - 1] == '.')
        k--;
    out[k] = '\0';
    return out;
}

/* ---- layer 1: rules --------------------------------------------------- */

struct hit_sink {
    uint32_t *v;
    uint32_t n, cap;
    chaff_status err;
};

static void collect_hit(void *ud, uint32_t id)
{
    struct hit_sink *h = ud;
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        uint32_t *v = chaff_xrealloc(h->v, (size_t)cap * sizeof *v);
        if (!v) {
            h->err = CHAFF_E_NOMEM;
            return;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = id;
}

static int has_hit(const struct doc *d, const struct line *L, uint32_t id)
{
    for (uint32_t k = 0; k < L->n_hits; k++)
        if (d->hits[L->hit0 + k] == id)
            return 1;
    return 0;
}

/* Mark line i dropped by rule id (range or own match), unless a keep rule
 * protects it from a generic rule. */
static void rule_drop(struct doc *d, uint32_t i, const struct rule *ru, int own)
{
    struct line *L = &d->lines[i];
    if (L->protect == 1 && ru->site == 0)
        return;
    if (L->init == LC_BAD && L->rule >= 0 && L->why == R_RULE)
        return; /* first rule to claim a line explains it */
    L->init = L->cls = LC_BAD;
    L->why = own ? R_RULE : R_RULE_RANGE;
    L->rule = (int32_t)ru->id;
}

/* text[i]: sentence-like text (effective length) in lines before i;
 * n_lines + 1 entries, in the arena; made once per document by cls_doc. */
static uint64_t *text_prefix(const struct doc *d)
{
    uint64_t *t = arena_alloc(d->arena, (size_t)(d->n_lines + 1) * sizeof *t);
    if (!t)
        return NULL;
    t[0] = 0;
    for (uint32_t j = 0; j < d->n_lines; j++)
        t[j + 1] =
            t[j] +
            (d->lines[j].len && cls_long_sentence_like(&d->lines[j].f) ? d->lines[j].f.elen : 0);
    return t;
}

/* Is line L's key scanned?  Not without a key, nor when no rule can fire
 * on a line this long. */
static int scanned(const struct chaff_rules *r, const struct line *L)
{
    return L->key && L->key_len && !(L->f.n_chars > r->scan_chars && L->key_len > r->scan_bytes);
}

static chaff_status apply_rules(struct doc *d, const struct chaff_rules *r,
                                struct match_scratch *ms, const uint64_t *text)
{
    struct hit_sink hs = {0};
    chaff_status st = CHAFF_OK;
    struct apply_ctx ax = {.langs = d->langs,
                           .host = d->host,
                           .n_nonblank = d->n_nonblank,
                           .at_head = d->at_head,
                           .at_tail = d->at_tail};
    /* the tables the next line's scan will read are asked for before this
     * line's scan, so that their misses overlap it, and the hashes made
     * for that are handed on to its scan */
    struct match_hint cur = {0}, ahead = {0};
    uint32_t next = 0; /* the first line after i that is scanned */
    while (next < d->n_lines && !scanned(r, &d->lines[next]))
        next++;
    if (next < d->n_lines)
        match_prefetch(r, ms, d->lines[next].key, d->lines[next].key_len, &ahead);
    for (uint32_t i = next; i < d->n_lines; i = next) {
        struct line *L = &d->lines[i];
        cur = ahead;
        for (next = i + 1; next < d->n_lines && !scanned(r, &d->lines[next]);)
            next++;
        if (next < d->n_lines)
            match_prefetch(r, ms, d->lines[next].key, d->lines[next].key_len, &ahead);
        uint32_t before = hs.n;
        st = match_line_hint(r, ms, L->key, L->key_len, L->f.n_chars, &cur, collect_hit, &hs);
        if (st)
            goto out;
        if (hs.err) {
            st = hs.err;
            goto out;
        }
        /* keep only hits whose guards hold for this line; a language's
         * rules apply to lines written in it (stopwords.c) */
        ax.langs = L->lang_mask ? L->lang_mask : d->langs;
        uint32_t w = before;
        for (uint32_t k = before; k < hs.n; k++)
            if (apply_guard(r, &r->v[hs.v[k]], &L->f, L->nb, &ax))
                hs.v[w++] = hs.v[k];
        hs.n = w;
        L->hit0 = before;
        L->n_hits = hs.n - before;
    }
    d->hits = hs.n ? arena_alloc(d->arena, (size_t)hs.n * sizeof *d->hits) : NULL;
    if (hs.n && !d->hits) {
        st = CHAFF_E_NOMEM;
        goto out;
    }
    if (hs.n)
        memcpy(d->hits, hs.v, (size_t)hs.n * sizeof *d->hits);
    d->n_hits = hs.n;

    /* Verdict of each line's own hits; keep protection first so ranges
     * below can respect it. */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        struct hit_verdict v;
        /* a page without a hit has d->hits NULL, and NULL + 0 is undefined */
        apply_verdict(r, L->n_hits ? d->hits + L->hit0 : NULL, L->n_hits, &v);
        if (v.site_drop >= 0) {
            L->protect = 2;
            rule_drop(d, i, &r->v[v.site_drop], 1);
        } else if (v.keep >= 0) {
            L->protect = 1;
            L->init = L->cls = LC_GOOD;
            L->why = R_KEEP_RULE;
            L->rule = v.keep;
        }
    }
    /* Actions of strong hits, in document order; a page without a hit
     * has none (and d->hits is NULL). */
    if (!d->n_hits)
        goto out;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        for (uint32_t k = 0; k < L->n_hits; k++) {
            const struct rule *ru = &r->v[d->hits[L->hit0 + k]];
            if (ru->action == RA_KEEP || ru->action == RA_BLOCK_END)
                continue;
            if (!ru->strong) {
                if (L->rule < 0)
                    L->rule = (int32_t)ru->id; /* weak evidence, see layer 3 */
                continue;
            }
            if (L->protect == 1 && ru->site == 0)
                continue; /* a keep rule shields the line, and so its range */
            uint32_t from = i, to = i;
            switch (ru->action) {
            case RA_DROP: break;
            case RA_NEXT: {
                uint32_t left = ru->n;
                for (to = i + 1; to < d->n_lines && left; to++)
                    if (d->lines[to].len)
                        left--;
                to = to > i ? to - 1 : i;
                break;
            }
            case RA_PARA:
                for (to = i; to + 1 < d->n_lines && d->lines[to + 1].len; to++)
                    ;
                break;
            case RA_REST:
            case RA_BEFORE: {
                /* A tail marker ("Related stories", "12 responses to …")
                 * ends the article only once article text has gone by; a
                 * head marker (a breadcrumb) only with text still to come.
                 * Otherwise the marker is a link in a sidebar or byline
                 * and only its own line goes.  A site-scoped rule is the
                 * user's word on that site's layout: its range holds. */
                uint64_t pre = text[i], post = text[d->n_lines] - text[i + 1];
                if (!ru->site && (ru->action == RA_REST ? pre : post) < RANGE_MIN_TEXT)
                    break;
                if (ru->action == RA_REST)
                    to = d->n_lines - 1;
                else
                    from = 0;
                break;
            }
            case RA_BLOCK:
                for (uint32_t j = i + 1;
                     j < d->n_lines && j <= i + (ru->n ? ru->n : RULE_DEFAULT_SPAN); j++)
                    if (has_hit(d, &d->lines[j], ru->pair)) {
                        to = j;
                        break;
                    }
                break;
            default: break;
            }
            for (uint32_t j = from; j <= to; j++)
                if (d->lines[j].len) {
                    rule_drop(d, j, ru, j == i);
                    if (j != i && !d->lines[j].range)
                        d->lines[j].range =
                            ru->action == RA_REST || ru->action == RA_BEFORE ? 2 : 1;
                }
        }
    }
out:
    chaff_xfree(hs.v);
    return st;
}

/* ---- layer 2: features ------------------------------------------------ */

static void repeats(struct doc *d, int after_context);

/* A long run of words nearly all capitalised and no sentence end is a
 * tag cloud or a menu printed as one line ("Israel News Opinion Middle East
 * Diaspora U.S. Politics WORLD NEWS"); sentences, even German ones, have
 * lower-case words between their names. */
int cls_title_case_run(const struct seg_feat *f)
{
    uint32_t cased = (uint32_t)f->n_upper + f->n_lower;
    return !f->terminal && cased >= TITLE_RUN_WORDS && f->n_upper * 10u >= cased * TITLE_RUN_SHARE;
}

int cls_long_sentence_like(const struct seg_feat *f)
{
    if (f->n_letters * 2 < f->n_chars || cls_title_case_run(f))
        return 0;
    if (f->elen >= GOOD_LEN && (f->terminal || f->n_stops))
        return 1;
    return f->elen >= GOOD_LEN_BARE && f->n_seps < 3;
}

static void init_class(struct doc *d)
{
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        const struct seg_feat *f = &L->f;
        if (!L->len) {
            L->init = L->cls = LC_BLANK;
            L->why = R_BLANK;
            continue;
        }
        if (L->init == LC_BAD || L->protect == 1)
            continue; /* decided by a rule */
        if (L->len > DOC_KEY_MAX && cls_long_sentence_like(f)) {
            L->init = LC_GOOD;
            L->why = R_LONGLINE;
        } else if (cls_long_sentence_like(f)) {
            L->init = LC_GOOD;
            L->why = R_GOOD;
        } else if (f->bracketed) {
            L->init = LC_BAD;
            L->why = R_PLACEHOLDER;
        } else if ((f->n_seps >= 2 && !f->terminal && f->elen / (f->n_seps + 1u) <= NAV_ITEM_LEN) ||
                   (f->sep_lead && f->elen < 60 && !f->terminal)) {
            L->init = LC_BAD;
            L->why = R_NAV;
        } else if (f->n_letters == 0 && (f->elen < NONWORD_RULE_LEN || f->n_digits == 0)) {
            L->init = LC_BAD;
            L->why = R_NONWORD;
        } else if (f->terminal && (f->n_words >= NEAR_MIN_WORDS || f->n_cjk >= NEAR_MIN_CJK) &&
                   !f->bullet) {
            L->init = LC_NEAR;
            L->why = R_NEAR;
        } else {
            L->init = LC_SHORT;
            L->why = R_CONTEXT;
        }
        L->cls = L->init;
    }
    /* Runs of two or more short list items are menus. */
    for (uint32_t i = 0; i < d->n_lines;) {
        if (!d->lines[i].f.bullet || d->lines[i].init == LC_GOOD || !d->lines[i].len) {
            i++;
            continue;
        }
        uint32_t j = i, items = 0;
        while (j < d->n_lines &&
               (!d->lines[j].len || (d->lines[j].f.bullet && d->lines[j].init != LC_GOOD))) {
            if (d->lines[j].len)
                items++;
            j++;
        }
        if (items >= 2)
            for (uint32_t k = i; k < j; k++) {
                struct line *L = &d->lines[k];
                if (L->len && L->init != LC_BAD && L->protect != 1) {
                    L->init = L->cls = LC_BAD;
                    L->why = R_LIST;
                    L->fig = items;
                }
            }
        i = j;
    }
    /* Runs of long list items that mostly end without a sentence end are
     * teasers (a headline run into its excerpt) or listings, not the
     * article's own list, whose items are sentences. */
    for (uint32_t i = 0; i < d->n_lines;) {
        const struct line *L = &d->lines[i];
        if (!L->len || !L->f.bullet || L->init != LC_GOOD || L->protect) {
            i++;
            continue;
        }
        uint32_t j = i, items = 0, ended = 0, long_items = 0;
        for (; j < d->n_lines; j++) {
            const struct line *M = &d->lines[j];
            if (!M->len)
                continue;
            if (!M->f.bullet || M->init == LC_BAD || M->protect)
                break;
            items++;
            ended += M->f.terminal;
            long_items += M->init == LC_GOOD;
        }
        if (items >= BULLET_RUN_MIN && ended * 3 <= items && long_items * 2 >= items)
            for (uint32_t k = i; k < j; k++) {
                struct line *M = &d->lines[k];
                if (!M->len)
                    continue;
                M->init = M->cls = LC_BAD;
                M->why = R_LIST;
                M->fig = items;
            }
        i = j;
    }
    repeats(d, 0);
}

/* Lines repeated verbatim: later copies are echoes (captions printed twice,
 * teaser carousels, repeated menus); when the copies stand close together
 * the first one is part of the same widget and goes too.  Hash table of
 * keys in the arena; O(lines). */
#define REPEAT_NEAR 3
static void repeats(struct doc *d, int after_context)
{
    struct key_index x;
    if (key_index_init(&x, d->arena, d->n_nonblank))
        return;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->key || L->key_len < 8 || L->protect)
            continue;
        /* Before context, only sentence-like lines are judged: a short
         * line such as a title is repeated by the page head (title, h1,
         * breadcrumb) and its kept copy is known only after context; and
         * only near the top, since lists in articles repeat short items. */
        if (after_context ? (L->cls == LC_BAD || L->nb >= TITLE_WINDOW || L->init == LC_GOOD)
                          : L->init != LC_GOOD)
            continue;
        int32_t *slot = key_index_slot(&x, d, L);
        if (*slot >= 0) { /* a repeat of line *slot */
            struct line *F = &d->lines[*slot];
            if (after_context) {
                L->cls = LC_BAD;
            } else {
                L->init = L->cls = LC_BAD;
            }
            L->why = R_REPEAT;
            L->fig = F->nb;
            if (!after_context && L->nb - F->nb <= REPEAT_NEAR && F->init != LC_BAD &&
                !F->protect && F->nb >= TITLE_WINDOW / 4) {
                F->init = F->cls = LC_BAD;
                F->why = R_REPEAT;
                F->fig = L->nb;
            }
        }
        *slot = (int32_t)i;
    }
}

/* Lists the article introduces: a line ending in a colon right after
 * article text ("The tour dates:", "You will need:") opens a list of short
 * lines that context alone would drop between the article and the chrome
 * below.  The list runs until a line that is chrome on its own evidence:
 * a rule's, a placeholder, a bulleted menu item, a line without letters,
 * a repeat. */
#define LIST_ITEM_LEN 40 /* a bulleted line shorter than this is a menu item */

static int ends_with_colon(const struct line *L)
{
    const char *t = L->text;
    uint32_t n = L->len;
    if (n >= 1 && t[n - 1] == ':')
        return 1;
    return n >= 3 && (unsigned char)t[n - 3] == 0xEF && (unsigned char)t[n - 2] == 0xBC &&
           (unsigned char)t[n - 1] == 0x9A; /* U+FF1A fullwidth colon */
}

static int list_stop(const struct line *L)
{
    if (L->protect == 1)
        return 0;
    if (L->init == LC_BAD && L->why != R_NAV && L->why != R_LIST)
        return 1; /* a rule, placeholder, non-word line, repeat */
    /* a bulleted line is a menu item when short; a sentence-long bullet
     * is an item of the article's own list */
    return ((L->f.bullet || L->f.sep_lead) && L->f.elen < LIST_ITEM_LEN) || !L->f.n_letters ||
           L->rule >= 0 || cls_long_sentence_like(&L->f);
}

/* Lines of one look (tour dates "June 9 – Tampa, FL @ Arena", a
 * timetable) right after the article's text, or after a short title that
 * follows it, are a list the article gives even without a colon: they
 * start alike (a letter or a digit) and carry the same first three
 * punctuation marks.  Menus and teaser titles rarely share punctuation;
 * bulleted items are left to the menu test. */
#define SHAPED_LIST_MIN 5 /* lines of one look that make a list */

static uint32_t shaped_run(const struct doc *d, uint32_t i, uint32_t *end)
{
    uint32_t shape = d->lines[i].f.shape, n = 0, j;
    for (j = i; j < d->n_lines; j++) {
        const struct line *M = &d->lines[j];
        if (!M->len)
            continue;
        if (!shape || M->f.shape != shape || M->f.bullet || M->init == LC_GOOD || list_stop(M))
            break;
        n++;
    }
    *end = j;
    return n;
}

/* Lines [from, to) that context left standing go as chrome of one kind
 * (a thread, a teaser list); protected lines stay. */
static void drop_range(struct doc *d, uint32_t from, uint32_t to, uint8_t why, uint32_t n)
{
    for (uint32_t k = from; k < to; k++) {
        struct line *M = &d->lines[k];
        if (!M->len || M->cls == LC_BAD || M->protect)
            continue;
        M->cls = LC_BAD;
        M->why = why;
        M->fig = n;
    }
}

/* Lines [from, to) not yet kept are kept as one list of the article. */
static void keep_list(struct doc *d, uint32_t from, uint32_t to, uint8_t why, uint32_t n)
{
    for (uint32_t k = from; k < to; k++) {
        struct line *M = &d->lines[k];
        if (!M->len || M->cls == LC_GOOD)
            continue;
        M->cls = LC_GOOD;
        M->why = why;
        M->fig = n;
    }
}

static void colon_lists(struct doc *d)
{
    int64_t prev = -1; /* the last non-blank line */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len)
            continue;
        int after_text = prev >= 0 && d->lines[prev].cls == LC_GOOD &&
                         (d->lines[prev].why == R_GOOD || d->lines[prev].why == R_NEAR);
        int free_line = L->init != LC_BAD && L->rule < 0;
        prev = i;
        if (!after_text || !free_line)
            continue;
        uint32_t n = 0, j;
        if (ends_with_colon(L)) {
            for (j = i + 1; j < d->n_lines; j++) {
                const struct line *M = &d->lines[j];
                if (!M->len)
                    continue;
                if (list_stop(M))
                    break;
                n++;
            }
            if (n < 2)
                continue;
            keep_list(d, i, j, R_COLON_LIST, n);
        } else {
            if (L->init == LC_GOOD || L->f.bullet)
                continue;
            n = shaped_run(d, i, &j);
            if (n < SHAPED_LIST_MIN) { /* or this line is a title over the list */
                uint32_t first = i + 1;
                while (first < d->n_lines && !d->lines[first].len)
                    first++;
                if (first == d->n_lines || (n = shaped_run(d, first, &j)) < SHAPED_LIST_MIN)
                    continue;
            }
            keep_list(d, i, j, R_SHAPED_LIST, n);
        }
        i = j - 1;
        prev = -1;
    }
}

/* Echoes: a long line whose text is mostly already in kept lines above
 * (the article again as one blob of structured data, a print copy, a
 * summary box repeating the lead).  Text is compared as shingles: every
 * ECHO_W bytes of the line's letters and digits (ASCII lowercased, other
 * bytes as they are), hashed, and one in four kept.  A line with
 * ECHO_SHARE per cent of its shingles in the set is dropped as a repeat of
 * the line that shares most with it; kept lines add theirs.  O(bytes). */
#define ECHO_W 24
#define ECHO_MIN 8 /* shingles a line needs to be judged */

/* A slot: a shingle and the line that brought it, side by side, so a
 * probe that finds its shingle has the line in the same cache line. */
struct echo_slot {
    uint32_t key;  /* shingle hash | 1, or 0 */
    uint32_t line; /* the line that brought it */
};

struct echo_set {
    struct echo_slot *slot;
    uint32_t cap, n;
    uint64_t drop[256]; /* what byte b weighs in a window's hash when it leaves it */
};

#define ECHO_BATCH 64 /* shingles gathered before the set is probed */

/* What a walk has found so far (echo_walk). */
struct echo_tally {
    uint32_t total, hits, last_owner, run, best_run;
};

/* Probe the set with the shingles k[0..nk) of line i, in order, as
 * echo_walk describes, adding to its tally w. */
static void echo_probe(struct echo_set *es, const uint32_t *k, uint32_t nk, uint32_t i,
                       struct echo_tally *w, uint32_t *owner)
{
    uint32_t mask = es->cap - 1;
    /* every slot the batch starts at, asked for at once: the set is
     * larger than the caches on a long page, and the misses overlap */
    for (uint32_t j = 0; j < nk; j++)
        __builtin_prefetch(&es->slot[k[j] & mask]);
    for (uint32_t j = 0; j < nk; j++) {
        w->total++;
        for (uint32_t s = k[j] & mask;; s = (s + 1) & mask) {
            struct echo_slot *e = &es->slot[s];
            if (e->key == 0) {
                if (es->n * 2 < es->cap) {
                    e->key = k[j];
                    e->line = i;
                    es->n++;
                }
                break;
            }
            if (e->key != k[j])
                continue;
            if (e->line != i) {
                w->hits++;
                w->run = e->line == w->last_owner ? w->run + 1 : 1;
                w->last_owner = e->line;
                if (w->run > w->best_run) {
                    w->best_run = w->run;
                    *owner = w->last_owner;
                }
            }
            break;
        }
    }
}

#define ECHO_P 1099511628211ull /* the rolling hash's base */
#define ECHO_CHUNK 256          /* bytes of a line gathered at a time */

/* Walk L's shingles once: count those already brought by another line
 * into *seen (noting the line that brought the longest run of them in
 * *owner) and add the new ones as line i's.  Returns the number of
 * shingles.  The line's letters and digits are gathered (lowercased) a
 * chunk at a time without a branch on which bytes they are, then the
 * window hash rolls over them; the shingles kept (one in four, by their
 * hash) are gathered ECHO_BATCH at a time and then probed in the order
 * found, which is the order a probe per shingle would take. */
static uint32_t echo_walk(struct echo_set *es, const struct line *L, uint32_t i, uint32_t *seen,
                          uint32_t *owner)
{
    /* u[0..ECHO_W): the last ECHO_W bytes taken before this chunk */
    unsigned char u[ECHO_W + ECHO_CHUNK] = {0};
    uint64_t h = 0;
    struct echo_tally w = {0, 0, UINT32_MAX, 0, 0};
    uint32_t batch[ECHO_BATCH], nb = 0;
    uint32_t n = 0; /* bytes taken */
    for (uint32_t b = 0; b < L->len;) {
        uint32_t k = ECHO_W, end = L->len - b > ECHO_CHUNK ? b + ECHO_CHUNK : L->len;
        for (; b < end; b++) {
            unsigned c = (unsigned char)L->text[b], lc = c | 0x20u;
            unsigned letter = lc - 'a' < 26u, digit = c - '0' < 10u;
            u[k] = (unsigned char)(letter ? lc : c);
            k += letter | digit | (c >= 0x80);
        }
        for (uint32_t q = ECHO_W; q < k; q++, n++) {
            uint64_t step = (uint64_t)u[q] + 1 - (n >= ECHO_W ? es->drop[u[q - ECHO_W]] : 0);
            h = h * ECHO_P + step;
            if (n + 1 < ECHO_W)
                continue;
            uint64_t m = h ^ (h >> 29);
            m *= 0xbf58476d1ce4e5b9ull;
            m ^= m >> 32;
            batch[nb] = (uint32_t)(m >> 2) | 1u;
            nb += (m & 3) == 0;
            if (nb == ECHO_BATCH) {
                echo_probe(es, batch, nb, i, &w, owner);
                nb = 0;
            }
        }
        memmove(u, u + k - ECHO_W, ECHO_W);
    }
    echo_probe(es, batch, nb, i, &w, owner);
    *seen = w.hits;
    return w.total;
}

static int echo_judged(const struct line *L)
{
    return L->len >= ECHO_W && L->cls != LC_BAD && !L->protect && L->f.elen >= GOOD_LEN;
}

static void echoes(struct doc *d)
{
    /* lines after the last one that can be judged need not be walked;
     * with none after the first kept line, nothing can echo */
    uint64_t bytes = 0;
    int64_t last = -1, first = -1;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        if (L->len < ECHO_W || L->cls == LC_BAD)
            continue;
        if (first < 0)
            first = i;
        bytes += L->len;
        if (echo_judged(L) && (int64_t)i > first)
            last = i;
    }
    if (last < 0)
        return;
    struct echo_set es = {0};
    es.cap = 64;
    while (es.cap < bytes / 2 && es.cap < (1u << 26))
        es.cap *= 2;
    es.slot = arena_alloc(d->arena, (size_t)es.cap * sizeof *es.slot);
    if (!es.slot)
        return;
    memset(es.slot, 0, (size_t)es.cap * sizeof *es.slot);
    uint64_t pw = 1; /* ECHO_P to the power ECHO_W */
    for (int k = 0; k < ECHO_W; k++)
        pw *= ECHO_P;
    for (unsigned c = 0; c < 256; c++)
        es.drop[c] = pw * (c + 1);
    for (uint32_t i = (uint32_t)first; i <= (uint32_t)last; i++) {
        struct line *L = &d->lines[i];
        if (L->len < ECHO_W || L->cls == LC_BAD)
            continue;
        uint32_t seen = 0, owner = 0;
        uint32_t total = echo_walk(&es, L, i, &seen, &owner);
        if (!echo_judged(L))
            continue;
        /* an echo is a blob of several lines, or a near copy of one
         * (a caption printed again without its credit); a looser
         * variant of one line (a table row, a recipe for another
         * day) is content */
        const struct line *O = &d->lines[owner];
        if (total >= ECHO_MIN && seen * 100 >= total * ECHO_SHARE &&
            (L->len >= 2 * O->len || seen * 100 >= total * ECHO_CLOSE)) {
            L->cls = LC_BAD;
            L->why = R_REPEAT;
            L->fig = O->nb;
        }
    }
}

/* ---- layer 3: context ------------------------------------------------- */

enum { NB_EDGE = 0 };

/* Dropped lines that say nothing of their neighbours: an echo of text
 * found elsewhere in the page, and a rule drawn across it (a long line of
 * '_', '━', '*'), which parts sections of articles and chrome alike. */
static int drawn_rule(const struct line *L)
{
    return L->init == LC_BAD && L->why == R_NONWORD && L->f.elen >= NONWORD_RULE_LEN;
}

static int neutral(const struct line *L)
{
    return (L->init == LC_BAD && L->why == R_REPEAT) || drawn_rule(L);
}

/* Class of the nearest line before (dir -1) or after (dir +1) i whose
 * initial class is GOOD or BAD (and NEAR unless skip_near), skipping
 * neutral lines, or NB_EDGE. */
static uint8_t neighbour(const struct doc *d, uint32_t i, int dir, int skip_near)
{
    for (int64_t j = (int64_t)i + dir; j >= 0 && j < (int64_t)d->n_lines; j += dir) {
        uint8_t c = d->lines[j].init;
        if (neutral(&d->lines[j]))
            continue;
        if (c == LC_GOOD || c == LC_BAD || (c == LC_NEAR && !skip_near))
            return c;
    }
    return NB_EDGE;
}

static int is_weak(const struct line *L)
{
    return L->rule >= 0 && L->init != LC_BAD && !L->protect;
}

/* The class neighbour() would give for line j seen from a line beside it,
 * or NB_EDGE when j is skipped. */
static uint8_t neighbour_class(const struct line *L, int skip_near)
{
    if (neutral(L))
        return NB_EDGE;
    uint8_t c = L->init;
    return c == LC_GOOD || c == LC_BAD || (c == LC_NEAR && !skip_near) ? c : NB_EDGE;
}

static void smooth(struct doc *d)
{
    /* Neighbours from two linear passes, not a scan per line: a page of
     * nothing but short lines made the scans quadratic.  Smoothing writes
     * cls and why of lines whose init is not BAD, which changes neither
     * init nor neutral(), so the classes can be found first.  next[2i+s]
     * is neighbour(d, i, +1, s); without memory the scans are used. */
    uint8_t *next = arena_alloc(d->arena, (size_t)d->n_lines * 2 + 1);
    if (next) {
        uint8_t n1 = NB_EDGE, n0 = NB_EDGE;
        for (uint32_t i = d->n_lines; i-- > 0;) {
            next[2 * (size_t)i + 1] = n1;
            next[2 * (size_t)i] = n0;
            uint8_t c1 = neighbour_class(&d->lines[i], 1), c0 = neighbour_class(&d->lines[i], 0);
            n1 = c1 != NB_EDGE ? c1 : n1;
            n0 = c0 != NB_EDGE ? c0 : n0;
        }
    }
    uint8_t p1 = NB_EDGE, p0 = NB_EDGE; /* neighbour(d, i, -1, 1 and 0) */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        uint8_t prev1 = p1, prev0 = p0;
        uint8_t c1 = neighbour_class(L, 1), c0 = neighbour_class(L, 0);
        p1 = c1 != NB_EDGE ? c1 : p1;
        p0 = c0 != NB_EDGE ? c0 : p0;
        if (L->init != LC_SHORT && L->init != LC_NEAR && !(L->init == LC_GOOD && is_weak(L)))
            continue;
        if (L->protect)
            continue;
        uint8_t p = next ? prev1 : neighbour(d, i, -1, 1);
        uint8_t n = next ? next[2 * (size_t)i + 1] : neighbour(d, i, +1, 1);
        L->nb_prev = p;
        L->nb_next = n;
        if (p == NB_EDGE)
            p = n;
        if (n == NB_EDGE)
            n = p;
        uint8_t to;
        if (L->init == LC_NEAR || L->init == LC_GOOD) {
            to = (p == LC_BAD && n == LC_BAD) ? LC_BAD : LC_GOOD;
        } else if ((p == LC_GOOD && n == LC_GOOD) || (p == NB_EDGE && n == NB_EDGE)) {
            to = LC_GOOD; /* good on both sides, or nothing decided anywhere: keep */
        } else if (p == LC_BAD && n == LC_BAD) {
            to = LC_BAD;
        } else {
            /* mixed: good only when a near-good sentence stands between
             * the line and the bad side (jusText) */
            uint8_t pn = next ? prev0 : neighbour(d, i, -1, 0);
            uint8_t nn = next ? next[2 * (size_t)i] : neighbour(d, i, +1, 0);
            to =
                ((L->nb_prev == LC_BAD && pn == LC_NEAR) || (L->nb_next == LC_BAD && nn == LC_NEAR))
                    ? LC_GOOD
                    : LC_BAD;
        }
        /* a weak rule hit needs good text on both sides to survive */
        if (is_weak(L) && !(p == LC_GOOD && n == LC_GOOD))
            to = LC_BAD;
        L->cls = to;
        if (is_weak(L) && to == LC_BAD)
            L->why = R_WEAK;
        else if (L->init == LC_SHORT || to == LC_BAD)
            L->why = R_CONTEXT;
    }
}

/* A short line that may head the article: no bullet, not a sentence list. */
static int heading_like(const struct line *L)
{
    return (L->init == LC_SHORT || L->init == LC_NEAR) && !L->f.bullet && !L->protect &&
           L->f.elen <= HEADING_MAX && L->f.n_letters >= 1 && !is_weak(L);
}

static void headings(struct doc *d)
{
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (L->cls != LC_BAD || !heading_like(L))
            continue;
        uint32_t gap = 0, shorts = 0, bad = 0;
        for (uint32_t j = i + 1; j < d->n_lines; j++) {
            const struct line *M = &d->lines[j];
            if (!M->len)
                continue;
            if (M->init == LC_BAD) {
                if (drawn_rule(M) || ++bad > HEADING_BRIDGE)
                    break;
                continue;
            }
            if (M->init == LC_GOOD && !is_weak(M)) {
                L->cls = LC_GOOD;
                L->why = R_HEADING;
                break;
            }
            gap += M->f.elen;
            if (!heading_like(M) || gap > HEADING_GAP || ++shorts > HEADING_SHORTS)
                break;
        }
    }
}

/* Does line i carry chrome evidence (a rule hit or a heuristic drop)? */
static int chrome(const struct line *L)
{
    return (L->init == LC_BAD && L->why != R_BLANK) || L->rule >= 0;
}

static void clusters(struct doc *d)
{
    int64_t first = -1, last = -1;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        if (L->cls == LC_GOOD && (L->why == R_GOOD || L->why == R_NEAR || L->why == R_LONGLINE ||
                                  L->why == R_KEEP_RULE)) {
            if (first < 0)
                first = i;
            last = i;
        }
    }
    if (first < 0)
        return;
    /* head: lines before the first article line that context kept */
    int touch = 0;
    for (int64_t i = 0; i < first; i++)
        touch |= chrome(&d->lines[i]);
    for (int64_t i = 0; i < first && touch; i++) {
        struct line *L = &d->lines[i];
        if (L->cls == LC_GOOD && L->why == R_CONTEXT) {
            L->cls = LC_BAD;
            L->why = R_HEAD;
            L->fig = (uint32_t)first;
        }
    }
    /* tail: short lines after the last article line */
    touch = 0;
    uint32_t n = 0;
    for (int64_t i = last + 1; i < (int64_t)d->n_lines; i++) {
        touch |= chrome(&d->lines[i]);
        n += d->lines[i].len ? 1u : 0u;
    }
    for (int64_t i = last + 1; i < (int64_t)d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len)
            continue;
        if (touch && L->cls == LC_GOOD && (L->why == R_CONTEXT || L->why == R_HEADING)) {
            L->cls = LC_BAD;
            L->why = R_TAIL;
            L->fig = n;
        } else if (!touch && L->cls == LC_GOOD && L->why == R_CONTEXT) {
            L->why = R_TAIL_CLEAN;
        }
    }
}

/* Threads: comments and dated teaser lists open every record with a meta
 * line of one shape -- "+12 #3 Anna 26.11.2011 17:38", "November 19, 2019
 * at 6:34 am" -- where an article's paragraphs run on.  A line's shape is
 * its text with runs of digits (with their sign), of words and of spaces
 * each made one symbol; a short line with a date or a time whose shape opens
 * THREAD_MIN records or more (each followed by text), once RANGE_MIN_TEXT
 * of sentence text has gone by, starts a thread that runs to the end of
 * its last record.  Numbered list items are not meta lines. */
#define THREAD_MIN 3
#define THREAD_SPAN 40 /* most lines between two records' meta lines */
#define THREAD_TRIES 8 /* shapes tried before giving up */
#define SECTION_GAP 6  /* dropped lines that separate two sections */

uint32_t cls_meta_shape(const struct line *L)
{
    if (L->f.n_digits < 2)
        return 0; /* two runs of digits or more: see the end */
    uint32_t h = 2166136261u, digit_runs = 0, run = 0;
    int prev = 0, dated = 0; /* 1 digit, 2 letter, 3 space */
    for (uint32_t b = 0; b < L->len; b++) {
        unsigned char c = (unsigned char)L->text[b];
        /* a date or a time: 12:30, 26.11, 11/26, or a year 19xx/20xx */
        if (c >= '0' && c <= '9') {
            run++;
            if (b + 1 < L->len && run <= 2 &&
                (L->text[b + 1] == ':' || L->text[b + 1] == '.' || L->text[b + 1] == '/') &&
                b + 2 < L->len && L->text[b + 2] >= '0' && L->text[b + 2] <= '9')
                dated = 1;
            if (run == 4 && (L->text[b - 3] == '1' || L->text[b - 3] == '2') &&
                (b + 1 == L->len || L->text[b + 1] < '0' || L->text[b + 1] > '9'))
                dated = 1;
        } else {
            run = 0;
        }
        int k;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-')
            k = 1; /* a sign belongs to its number: "+12", "-3" */
        else if (c == ' ' || c == '\t')
            k = prev == 2 ? 2 : 3; /* a name of several words is one run */
        else if (c >= 0x80 || (unsigned)((c | 32) - 'a') < 26u)
            k = 2; /* letters of any script (and other non-ASCII) */
        else
            k = 4 + c;
        if (k == prev && k <= 3)
            continue;
        digit_runs += k == 1;
        prev = k;
        h = (h ^ (uint32_t)k) * 16777619u;
    }
    return digit_runs >= 2 && dated ? h | 1u : 0;
}

int cls_meta_dated(const struct line *L)
{
    if (L->f.n_digits < 2)
        return 0;
    /* cls_meta_shape's two conditions: two runs or more of digits and
     * signs (its symbol 1), and a date or a time, tested as it tests them */
    const char *t = L->text;
    uint32_t runs = 0, run = 0;
    int in_run = 0, dated = 0;
    for (uint32_t b = 0; b < L->len; b++) {
        unsigned char c = (unsigned char)t[b];
        int digit = (unsigned)(c - '0') < 10u, k1 = digit || c == '+' || c == '-';
        runs += (uint32_t)(k1 && !in_run);
        in_run = k1;
        if (!digit) {
            run = 0;
            continue;
        }
        run++;
        if (b + 1 < L->len && run <= 2 && (t[b + 1] == ':' || t[b + 1] == '.' || t[b + 1] == '/') &&
            b + 2 < L->len && t[b + 2] >= '0' && t[b + 2] <= '9')
            dated = 1;
        if (run == 4 && (t[b - 3] == '1' || t[b - 3] == '2') &&
            (b + 1 == L->len || t[b + 1] < '0' || t[b + 1] > '9'))
            dated = 1;
        if (dated && runs >= 2)
            return 1;
    }
    return dated && runs >= 2;
}

static void threads(struct doc *d, const uint64_t *text)
{
    uint32_t *shape = arena_alloc(d->arena, (size_t)(d->n_lines + 1) * sizeof *shape);
    uint32_t cap = 64;
    while (cap < d->n_nonblank * 2u)
        cap *= 2;
    uint32_t *key = arena_alloc(d->arena, (size_t)cap * sizeof *key);
    uint32_t *count = arena_alloc(d->arena, (size_t)cap * sizeof *count);
    if (!shape || !key || !count)
        return;
    memset(key, 0, (size_t)cap * sizeof *key);
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        shape[i] = 0;
        /* a meta line may have been dropped by a rule (a date line), but
         * not as a placeholder or menu (image names carry numbers too) */
        if (!L->len || L->f.bullet || L->f.bracketed || (L->init == LC_BAD && L->why != R_RULE) ||
            L->f.elen >= GOOD_LEN || cls_long_sentence_like(&L->f) || !L->f.n_letters)
            continue;
        shape[i] = cls_meta_shape(L);
        /* or the same words again: "//Politics", "Quote" over every
         * record (not a line with rule evidence: rules name "Report" of
         * an embedded post or "Advertisement" between an article's
         * paragraphs) */
        if (!shape[i] && L->init != LC_BAD && L->rule < 0 && L->key && L->key_len)
            shape[i] = (L->key_hash | 2u) & ~1u;
    }
    /* records per shape: meta lines followed by a line of text */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        if (!shape[i] || text[i] < RANGE_MIN_TEXT)
            continue;
        uint32_t j = i + 1;
        while (j < d->n_lines && (!d->lines[j].len || shape[j] == shape[i]))
            j++;
        if (j == d->n_lines || shape[j] == shape[i])
            continue;
        for (uint32_t s = shape[i] & (cap - 1);; s = (s + 1) & (cap - 1)) {
            if (key[s] == 0) {
                key[s] = shape[i];
                count[s] = 1;
                break;
            }
            if (key[s] == shape[i]) {
                count[s]++;
                break;
            }
        }
    }
    uint32_t tries = 0;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        if (!shape[i] || text[i] < RANGE_MIN_TEXT)
            continue;
        uint32_t n = 0;
        for (uint32_t s = shape[i] & (cap - 1); key[s]; s = (s + 1) & (cap - 1))
            if (key[s] == shape[i]) {
                n = count[s];
                break;
            }
        if (n < THREAD_MIN)
            continue;
        /* the thread: from here to the end of the last record, which is
         * no longer (in non-blank lines) than the longest one before it */
        uint32_t last = i, longest = 0;
        for (uint32_t j = i + 1; j < d->n_lines; j++) {
            if (shape[j] != shape[i])
                continue;
            uint32_t span = d->lines[j].nb - d->lines[last].nb;
            if (span > THREAD_SPAN)
                break; /* the thread ended; a later line of the shape is elsewhere */
            if (span > longest)
                longest = span;
            last = j;
        }
        uint32_t end = last, gap = 0;
        for (uint32_t j = last + 1; j < d->n_lines && gap < SECTION_GAP; j++) {
            const struct line *M = &d->lines[j];
            if (!M->len)
                continue;
            if (M->nb - d->lines[last].nb >= longest)
                break;
            if (M->cls == LC_BAD) {
                gap++;
            } else {
                gap = 0;
                end = j;
            }
        }
        /* a thread (nearly) ends the kept text: one followed by more of
         * it than half the text above is a dated list inside the article
         * (a timeline, a schedule) */
        uint64_t after = 0;
        for (uint32_t j = end + 1; j < d->n_lines; j++)
            if (d->lines[j].len && d->lines[j].cls != LC_BAD &&
                cls_long_sentence_like(&d->lines[j].f))
                after += d->lines[j].f.elen;
        if (after >= RANGE_MIN_TEXT && after * 2 >= text[i]) {
            /* not this shape; try a few others */
            if (++tries == THREAD_TRIES)
                return;
            uint32_t drop = shape[i];
            for (uint32_t j = i; j < d->n_lines; j++)
                if (shape[j] == drop)
                    shape[j] = 0;
            continue;
        }
        drop_range(d, i, end + 1, R_THREAD, n);
        return;
    }
}

/* Teasers: a list of other articles gives each a title and an excerpt
 * cut to one length by the site ("Apple recently launched the new …",
 * 190 characters each); an article's own paragraphs vary.  TEASER_MIN
 * paragraphs or more whose lengths stay within TEASER_BAND per cent of
 * the first, each after a short unpunctuated line (its title), once RANGE_MIN_TEXT of
 * sentence text has gone by, are a teaser list: dropped with their
 * titles. */
#define TEASER_MIN 4
#define TEASER_BAND 4

static void teasers(struct doc *d, const uint64_t *text)
{
    uint32_t first = UINT32_MAX, last = 0, n = 0, width = 0, prev_good = UINT32_MAX;
    for (uint32_t i = 0; i <= d->n_lines; i++) {
        const struct line *L = i < d->n_lines ? &d->lines[i] : NULL;
        if (L && (!L->len || L->cls == LC_BAD || L->why != R_GOOD))
            continue;
        /* a paragraph (or the end): does it extend the run? */
        int titled = 0;
        if (L && prev_good != UINT32_MAX)
            for (uint32_t j = prev_good + 1; j < i && !titled; j++)
                titled = d->lines[j].len && d->lines[j].cls != LC_BAD &&
                         d->lines[j].init == LC_SHORT && !d->lines[j].f.terminal;
        uint32_t w = L ? L->f.n_chars : 0;
        if (L && n && titled && w * 100 <= width * (100 + TEASER_BAND) &&
            w * 100 >= width * (100 - TEASER_BAND)) {
            n++;
            last = i;
        } else {
            if (n >= TEASER_MIN && text[first] >= RANGE_MIN_TEXT) {
                /* the titles before the first excerpt go too */
                uint32_t from = first, shorts = 0;
                while (from > 0 && shorts < HEADING_SHORTS) {
                    const struct line *M = &d->lines[from - 1];
                    if (M->len && (M->cls == LC_BAD || M->why == R_GOOD))
                        break;
                    from--;
                    shorts += M->len ? 1u : 0u;
                }
                drop_range(d, from, last + 1, R_TEASERS, n);
            }
            n = titled ? 1u : 0u; /* an untitled paragraph starts no list */
            first = last = i;
            width = w;
        }
        prev_good = i;
    }
}

/* Sections: kept text split wherever at least G non-blank dropped lines
 * separate it.  The section with the most article text is the article;
 * sections with less than FRAC of its mass are comment threads, teasers
 * and footers that happen to hold sentences. */
#define SECTION_FRAC 0.3 /* sections under this share of the main one go */
static void sections(struct doc *d)
{
    d->main_last = d->n_lines;
    const uint32_t G = SECTION_GAP;
    const double frac = SECTION_FRAC;
    uint32_t n_sec = 0, gap = 0;
    uint32_t *sec = arena_alloc(d->arena, (size_t)(d->n_lines + 1) * sizeof *sec);
    uint64_t *mass = arena_alloc(d->arena, (size_t)(d->n_lines + 1) * 3 * sizeof *mass);
    if (!sec || !mass)
        return;
    /* mass[3k]: article text; mass[3k+1]: paragraphs; mass[3k+2]: short
     * lines standing between two paragraphs */
    int started = 0;
    uint32_t shorts_since = 0;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len)
            continue;
        if (L->cls == LC_BAD) {
            gap += drawn_rule(L) ? G : 1; /* a drawn rule parts sections */
            continue;
        }
        if (!started || gap >= G) {
            n_sec++;
            memset(&mass[(size_t)3 * (n_sec - 1)], 0, 3 * sizeof *mass);
            started = 1;
            shorts_since = 0;
        }
        gap = 0;
        sec[i] = n_sec - 1;
        uint64_t *m = &mass[(size_t)3 * (n_sec - 1)];
        if (L->why == R_GOOD || L->why == R_LONGLINE || L->why == R_KEEP_RULE) {
            m[0] += L->f.elen;
            if (m[1])
                m[2] += shorts_since;
            m[1]++;
            shorts_since = 0;
        } else if (L->why == R_NEAR) {
            m[0] += L->f.elen / 2;
        } else {
            shorts_since++;
        }
    }
    /* A list of teasers or a comment thread puts a short line (title,
     * user name, date) before every paragraph; an article runs its
     * paragraphs together.  Weigh each section by that. */
    for (uint32_t k = 0; k < n_sec; k++) {
        uint64_t *m = &mass[(size_t)3 * k];
        if (m[1])
            m[0] = m[0] * m[1] / (m[1] + m[2]);
        mass[k] = m[0];
    }
    /* the article usually comes first (comments, teasers and footers
     * follow it): the first section holding a paragraph's worth of text
     * weighs a quarter more than it measures */
    for (uint32_t k = 0; k < n_sec; k++)
        if (mass[k] >= RANGE_MIN_TEXT) {
            mass[k] += mass[k] / 4;
            break;
        }
    uint64_t best = 0;
    uint32_t main = 0;
    for (uint32_t k = 0; k < n_sec; k++)
        if (mass[k] > best) {
            best = mass[k];
            main = k;
        }
    /* each kept line's section weight, for the line model */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        L->sec_pct = 255;
        if (L->len && L->cls != LC_BAD && n_sec)
            L->sec_pct = (uint8_t)(best ? mass[sec[i]] * 100 / best : 100);
    }
    if (n_sec < 2)
        return;
    for (uint32_t i = 0; i < d->n_lines; i++)
        if (d->lines[i].len && d->lines[i].cls != LC_BAD && sec[i] == main)
            d->main_last = i;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len || L->cls == LC_BAD || L->protect)
            continue;
        if ((double)mass[sec[i]] < frac * (double)best) {
            L->cls = LC_BAD;
            L->why = R_OFFMAIN;
            L->fig = (uint32_t)(mass[sec[i]] * 100 / (best ? best : 1));
        }
    }
}

/* The removal budget.  Long sentence-like lines dropped by generic
 * decisions are "lost" text (a repeat is not: its text stands elsewhere;
 * nor is a thread: it only begins after the article's text);
 * when more than `share` of the document's long text is lost, drops are
 * undone, least certain first, until the loss is within the budget:
 * the section step as a whole (every off-main line, short ones too), then
 * other heuristics, then rule ranges (a range at a time), then lines a
 * rule named itself.  Site-scoped drops stand. */
static int budget_rank(const struct line *L)
{
    switch (L->why) {
    case R_OFFMAIN: return 0;
    case R_RULE_RANGE: return 2;
    case R_RULE: return 3;
    default: return 1;
    }
}

/* May the budget give this line back? */
static int budget_candidate(const struct doc *d, const struct chaff_rules *r, const struct line *L)
{
    (void)d;
    if (!L->len || L->cls != LC_BAD || L->protect == 2 || L->why == R_REPEAT ||
        L->why == R_THREAD || L->why == R_TEASERS || !cls_long_sentence_like(&L->f))
        return 0;
    return !(L->rule >= 0 && r && r->v[L->rule].site);
}

/* An off-main section after the main one: like a thread, it only begins
 * once the article's text has gone by, so it is not "lost" text. */
static int trailing_section(const struct doc *d, uint32_t i)
{
    return d->lines[i].why == R_OFFMAIN && d->main_last < d->n_lines && i > d->main_last;
}

static void budget(struct doc *d, const struct chaff_rules *r, double share)
{
    uint64_t total = 0, lost = 0;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        if (!L->len || !cls_long_sentence_like(&L->f) || L->why == R_REPEAT || L->why == R_THREAD ||
            L->why == R_TEASERS)
            continue;
        total += L->f.elen;
        if (trailing_section(d, i))
            continue;
        if (L->cls == LC_BAD && L->protect != 2)
            lost += L->f.elen;
    }
    if (!total || (double)lost <= share * (double)total)
        return;
    d->budget_backoff = true;
    const double allowed = share * (double)total;
    /* 1. the section step, as a whole: when the budget is exceeded its
     * choice of main section is in doubt, so every off-main line comes
     * back, short ones too */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len || L->cls != LC_BAD || L->why != R_OFFMAIN || L->protect == 2 ||
            trailing_section(d, i))
            continue;
        if (cls_long_sentence_like(&L->f))
            lost -= L->f.elen;
        L->cls = LC_GOOD;
        L->why = R_BUDGET;
    }
    /* 2. other heuristics, 3. rule ranges (a whole range at a time),
     * 4. lines a rule named: long lines, in document order */
    for (int rank = 1; rank < 4 && (double)lost > allowed; rank++) {
        for (uint32_t i = 0; i < d->n_lines && (double)lost > allowed; i++) {
            struct line *L = &d->lines[i];
            if (!budget_candidate(d, r, L) || budget_rank(L) != rank)
                continue;
            const int32_t rule = L->rule;
            for (uint32_t j = i; j < d->n_lines; j++) {
                struct line *M = &d->lines[j];
                if (j != i && (rank != 2 || M->rule != rule || !budget_candidate(d, r, M) ||
                               budget_rank(M) != rank))
                    continue;
                lost -= M->f.elen;
                M->cls = LC_GOOD;
                M->why = R_BUDGET;
                if (j == i && rank != 2)
                    break;
            }
        }
    }
}

/* ---- the line model --------------------------------------------------- */

/* The model learned from whole web pages (every evaluation page has eight
 * non-blank lines or more but three of 4,375); a record of a few lines (a
 * line of `lines` framing, a short JSONL text) is outside what it has
 * seen, and the rules and heuristics decide it alone. */
#define MODEL_MIN_LINES 8
#define MODEL_CHUNK 64 /* lines scored together, tree by tree */

int cls_rule_certain(const struct line *L)
{
    if (L->protect == 2)
        return -1;
    if (L->protect == 1)
        return 1;
    if (!(L->h_why & 0x80u))
        return 0; /* kept by the heuristics (the budget gave it back) */
    unsigned why = L->h_why & 0x7fu;
    return why == R_RULE || (why == R_RULE_RANGE && L->range == 1) ? -1 : 0;
}

static void article_head(struct doc *d, double thr);

/* A sentence-long line the model kept that repeats, key for key, a line
 * kept above it (a headline printed again under the page's title, a
 * caption twice) adds nothing: the later copy goes as `repeated`.  Short
 * lines repeat legitimately (table cells, list items) and stay. */
#define COPY_MIN 40 /* effective length of a line that counts as a copy */

static void kept_copies(struct doc *d)
{
    struct key_index x;
    if (key_index_init(&x, d->arena, d->n_nonblank))
        return;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        if (!L->len || L->cls == LC_BAD || !L->key || L->f.elen < COPY_MIN)
            continue;
        int32_t *slot = key_index_slot(&x, d, L);
        if (*slot < 0) {
            *slot = (int32_t)i;
        } else if (L->why == R_MODEL || L->why == R_HEADING) {
            L->cls = LC_BAD;
            L->why = R_REPEAT;
            L->fig = d->lines[*slot].nb;
        }
    }
}

static chaff_status model_decide(struct doc *d, const struct chaff_rules *r, const struct model *m,
                                 unsigned flags)
{
    struct feat_ctx ctx;
    chaff_status st = feat_prepare(&ctx, d, r);
    if (st)
        return st;
    /* score the lines the rules leave open, MODEL_CHUNK at a time */
    float *x = chaff_xmalloc((size_t)MODEL_CHUNK * MODEL_STRIDE * sizeof *x);
    if (!x)
        return CHAFF_E_NOMEM;
    uint32_t idx[MODEL_CHUNK];
    double raw[MODEL_CHUNK];
    float best = 0;
    for (uint32_t k = 0; k < ctx.n_nb;) {
        uint32_t n = 0;
        for (; k < ctx.n_nb && n < MODEL_CHUNK; k++) {
            if (cls_rule_certain(&d->lines[ctx.nb[k]]))
                continue;
            feat_line(&ctx, k, x + (size_t)n * MODEL_STRIDE);
            idx[n++] = ctx.nb[k];
        }
        model_scores(m, x, MODEL_STRIDE, n, raw);
        for (uint32_t j = 0; j < n; j++) {
            struct line *L = &d->lines[idx[j]];
            L->p = (float)model_prob(raw[j]);
            if (L->p > best)
                best = L->p;
        }
    }
    chaff_xfree(x);
    /* keep what reaches the threshold, or a share of the page's best */
    double thr = model_threshold(m), rel = model_relative(m) * best;
    if (rel > 0 && rel < thr)
        thr = rel < model_floor(m) ? model_floor(m) : rel;
    for (uint32_t k = 0; k < ctx.n_nb; k++) {
        struct line *L = &d->lines[ctx.nb[k]];
        if (cls_rule_certain(L))
            continue;
        int keep = (double)L->p >= thr;
        /* --keep-comments: a comment thread the heuristics found stays */
        if (!keep && (flags & CHAFF_KEEP_COMMENTS) && (L->h_why & 0x7fu) == R_THREAD) {
            L->cls = LC_GOOD;
            L->why = R_THREAD;
            continue;
        }
        L->cls = keep ? LC_GOOD : LC_BAD;
        L->why = R_MODEL;
    }
    article_head(d, model_threshold(m));
    kept_copies(d);
    return CHAFF_OK;
}

/* The article's head: the headline, standfirst, byline and date stand in
 * short lines right above its first paragraph, where the model, trained
 * on pages whose gold is often the body alone, drops them; a reader wants
 * them with the article.  From the first line the model keeps with
 * confidence that is sentence text, up to ARTICLE_HEAD lines above it
 * that the heuristics kept (across blank lines and up to HEADING_BRIDGE
 * lines a rule dropped) are kept as its head. */
#define ARTICLE_HEAD 4        /* lines of the head at most … */
#define ARTICLE_HEAD_TEXT 400 /* … and their effective length */

static void article_head(struct doc *d, double thr)
{
    uint32_t first = d->n_lines;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        if (L->len && L->why == R_MODEL && L->cls != LC_BAD && (double)L->p >= thr &&
            cls_long_sentence_like(&L->f)) {
            first = i;
            break;
        }
    }
    uint32_t lines = 0, bridged = 0, text = 0;
    for (uint32_t i = first; i-- > 0 && first < d->n_lines;) {
        struct line *L = &d->lines[i];
        if (!L->len)
            continue;
        if (cls_rule_certain(L) < 0) {
            if (++bridged > HEADING_BRIDGE || drawn_rule(L))
                return;
            continue;
        }
        if ((L->h_why & 0x80u) || L->f.elen > HEADING_MAX || L->f.bullet ||
            ++lines > ARTICLE_HEAD || (text += L->f.elen) > ARTICLE_HEAD_TEXT)
            return;
        if (L->cls == LC_BAD) {
            L->cls = LC_GOOD;
            L->why = R_HEADING;
        }
    }
}

chaff_status cls_doc(struct doc *d, const struct chaff_rules *r, struct match_scratch *ms,
                     const struct cls_params *p)
{
    /* sentence text before each line, for the range guards, threads and
     * teasers; features do not change, so it is computed once */
    const uint64_t *text = text_prefix(d);
    if (!text)
        return CHAFF_E_NOMEM;
    sw_doc(d);
    if (r && r->n && !(p->flags & CHAFF_NO_RULES)) {
        chaff_status st = apply_rules(d, r, ms, text);
        if (st)
            return st;
    }
    init_class(d);
    if (p->flags & CHAFF_NO_HEURISTICS) {
        for (uint32_t i = 0; i < d->n_lines; i++) {
            struct line *L = &d->lines[i];
            if (L->len && !(L->init == LC_BAD && (L->why == R_RULE || L->why == R_RULE_RANGE))) {
                L->cls = LC_GOOD;
            }
        }
    } else {
        smooth(d);
        headings(d);
        clusters(d);
        colon_lists(d);
        repeats(d, 1);
        echoes(d);
        threads(d, text);
        teasers(d, text);
        sections(d);
        budget(d, r, p->budget > 0 ? p->budget : 0.5);
    }
    /* the hand-written verdict, kept as features of the line model */
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        L->h_why = (uint8_t)((L->why & 0x7fu) | (L->len && L->cls == LC_BAD ? 0x80u : 0u));
    }
    if (p->model && !(p->flags & CHAFF_NO_HEURISTICS) && d->n_nonblank >= MODEL_MIN_LINES) {
        chaff_status st = model_decide(d, r, p->model, p->flags);
        if (st)
            return st;
    }
    d->n_dropped_rule = d->n_dropped_heur = 0;
    for (uint32_t i = 0; i < d->n_lines; i++) {
        struct line *L = &d->lines[i];
        L->keep = L->len && L->cls != LC_BAD;
        if (L->len && !L->keep) {
            if (L->why == R_RULE || L->why == R_RULE_RANGE)
                d->n_dropped_rule++;
            else
                d->n_dropped_heur++;
        }
    }
    return CHAFF_OK;
}
