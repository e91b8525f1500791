/*
 * linefeat.c — the line model's input vectors (linefeat.h).
 *
 * A non-blank line is described by
 *   - its own look: lengths (logarithms, so a feature means the same on a
 *     tweet and on an essay), shares of letters, digits, punctuation and
 *     Han/kana, capitalised words, terminal punctuation, sentence breaks,
 *     bullets, separators, URL, indentation in the input, function-word
 *     density (stopwords.c), a date, a trailing colon or ellipsis;
 *   - its rule evidence: a strong or weak hit, a keep rule, a rule range,
 *     a site rule, and the category of the rule behind it;
 *   - what the hand-written heuristics decided (classify.c runs them first):
 *     the initial class and its reason, the final keep/drop and its reason,
 *     the weight of its section against the main one;
 *   - its place: position, sentence text before it, blank lines around it,
 *     its paragraph block, the distance to the nearest sentence, repeats
 *     of it, runs of bullets, of one shape, of one indentation;
 *   - the same few figures of the two lines before and after it;
 *   - the page: lines, length, sentence share, bullet share, sections,
 *     threads or teasers found, script, function-word density, rule share.
 *
 * Every feature is a float; a missing neighbour reads as all zeros with
 * its "exists" feature 0.  The names are written into the model file and
 * checked when it loads.  Cost: O(lines) to prepare, O(1) per vector.
 */
#include "linefeat.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "arena.h"
#include "classify.h"
#include "model.h"
#include "segment.h"

/* keep in sync with the F_* order below */
const char *const feat_names[] = {
    /* own look */
    "len_log",
    "elen_log",
    "words_log",
    "letter_sh",
    "digit_sh",
    "punct_sh",
    "cjk_sh",
    "upper_sh",
    "terminal",
    "stops",
    "bullet",
    "numbered",
    "bracketed",
    "url",
    "sep_lead",
    "seps_log",
    "item_len_log",
    "stop_sh",
    "stop_log",
    "colon_end",
    "ellipsis_end",
    "indent_log",
    "digit_start",
    "dated",
    "title_run",
    "long_sent",
    "currency",
    "quote_start",
    "word_len",
    "long_line",
    /* rule evidence */
    "r_strong",
    "r_weak",
    "r_keep",
    "r_range",
    "r_site",
    "r_certain",
    "c_login",
    "c_share",
    "c_donation",
    "c_newsletter",
    "c_cookie",
    "c_promo",
    "c_nav",
    "c_tags",
    "c_credit",
    "c_related",
    "c_comments",
    "c_footer",
    "c_ads",
    "c_print",
    "c_meta",
    "c_learned",
    "c_other",
    /* hand-written heuristics */
    "h_init_good",
    "h_init_near",
    "h_init_short",
    "h_init_bad",
    "h_nav",
    "h_list",
    "h_nonword",
    "h_placeholder",
    "h_repeat_init",
    "h_keep",
    "h_context",
    "h_heading",
    "h_head",
    "h_tail",
    "h_head_clean",
    "h_tail_clean",
    "h_weak",
    "h_offmain",
    "h_repeat",
    "h_thread",
    "h_teasers",
    "h_colon_list",
    "h_shaped_list",
    "h_budget",
    "sec_share",
    "sec_none",
    /* place */
    "pos",
    "text_before",
    "blank_before",
    "blank_after",
    "block_log",
    "block_pos",
    "dist_prev_log",
    "dist_next_log",
    "reps_log",
    "rep_later",
    "bullet_run_log",
    "shape_run_log",
    "indent_run_log",
    "above_comments",
    "above_related",
    "above_footer",
    "above_share",
    "below_nav",
    "below_login",
    "rules_above_log",
    "rules_below_log",
    "dated_near_log",
    "dated_above_log",
    "dated_below_log",
    /* neighbours: p2 p1 n1 n2 */
    "p2_exists",
    "p2_elen_log",
    "p2_terminal",
    "p2_bullet",
    "p2_stop_sh",
    "p2_long_sent",
    "p2_h_keep",
    "p2_rule",
    "p2_seps",
    "p2_indent_log",
    "p2_blank",
    "p1_exists",
    "p1_elen_log",
    "p1_terminal",
    "p1_bullet",
    "p1_stop_sh",
    "p1_long_sent",
    "p1_h_keep",
    "p1_rule",
    "p1_seps",
    "p1_indent_log",
    "p1_blank",
    "n1_exists",
    "n1_elen_log",
    "n1_terminal",
    "n1_bullet",
    "n1_stop_sh",
    "n1_long_sent",
    "n1_h_keep",
    "n1_rule",
    "n1_seps",
    "n1_indent_log",
    "n1_blank",
    "n2_exists",
    "n2_elen_log",
    "n2_terminal",
    "n2_bullet",
    "n2_stop_sh",
    "n2_long_sent",
    "n2_h_keep",
    "n2_rule",
    "n2_seps",
    "n2_indent_log",
    "n2_blank",
    /* page */
    "pg_lines_log",
    "pg_elen_log",
    "pg_text_sh",
    "pg_bullet_sh",
    "pg_max_log",
    "pg_sections_log",
    "pg_main_sh",
    "pg_thread",
    "pg_teasers",
    "pg_cjk_sh",
    "pg_stop_sh",
    "pg_rule_sh",
    "pg_mean_log",
    "pg_keep_sh",
    "pg_indent_mean",
    "pg_short_sh",
};
const unsigned feat_count = sizeof feat_names / sizeof feat_names[0];

enum {
    F_OWN = 0,
    F_RULE = 30,
    F_CAT = 36,
    F_HEUR = 53,
    F_PLACE = 79,
    F_NEIGH = 103,
    NEIGH_W = 11,
    F_PAGE = 147,
    F_END = 163
};
_Static_assert(sizeof feat_names / sizeof feat_names[0] == F_END, "feat_names and F_* disagree");
_Static_assert(F_END <= MODEL_INPUTS_MAX, "a feature vector longer than MODEL_INPUTS_MAX");

/* rule categories with a feature of their own; keep in sync with c_* and
 * the CAT_* bits below */
static const char *const cat_names[] = {
    "login",  "share",   "donation", "newsletter", "cookie", "promo", "nav",  "tags",
    "credit", "related", "comments", "footer",     "ads",    "print", "meta", "learned"};
#define N_CAT (sizeof cat_names / sizeof cat_names[0])

static float lg(double x) { return (float)log2(1.0 + x); }

/* lg of a count: a table for small ones (most), the same value as lg */
#define LG_TABLE 4096
static float lg_table[LG_TABLE];
static pthread_once_t lg_once = PTHREAD_ONCE_INIT;

static void lg_init(void)
{
    for (unsigned k = 0; k < LG_TABLE; k++)
        lg_table[k] = lg(k);
}

static float lgn(uint32_t n) { return n < LG_TABLE ? lg_table[n] : lg(n); }

/* The feature slot (cat_names index) of the category of the rule behind a
 * line, or -1 without one; N_CAT for a category without a slot. */
static int rule_cat(const struct feat_ctx *c, const struct line *L)
{
    if (L->rule < 0 || !c->r)
        return -1;
    const struct rule *rr = &c->r->v[L->rule];
    if (rr->action == RA_KEEP)
        return -1;
    int ci = rr->category < 64 ? c->cat_index[rr->category] : -1;
    return ci >= 0 ? ci : (int)N_CAT;
}

/* dated lines counted this far each way */
#define DATED_NEAR 8

/* bits of categories in cat_above/cat_below: cat_names order */
enum {
    CAT_LOGIN = 0,
    CAT_SHARE = 1,
    CAT_NAV = 6,
    CAT_RELATED = 9,
    CAT_COMMENTS = 10,
    CAT_FOOTER = 11
};

static float has_cat(uint32_t bits, unsigned cat) { return (float)((bits >> cat) & 1u); }

static int is_sentence(const struct line *L) { return L->len && cls_long_sentence_like(&L->f); }

static int ends_with(const struct line *L, const char *s)
{
    size_t n = strlen(s);
    return L->len >= n && memcmp(L->text + L->len - n, s, n) == 0;
}

static int starts_quote(const struct line *L)
{
    const unsigned char *t = (const unsigned char *)L->text;
    if (L->len >= 1 && (t[0] == '"' || t[0] == '\''))
        return 1;
    /* “ ‘ « 「 『 */
    return (L->len >= 3 && t[0] == 0xe2 && t[1] == 0x80 && (t[2] == 0x9c || t[2] == 0x98)) ||
           (L->len >= 2 && t[0] == 0xc2 && t[1] == 0xab) ||
           (L->len >= 3 && t[0] == 0xe3 && t[1] == 0x80 && (t[2] == 0x8c || t[2] == 0x8e));
}

/* A price: a currency sign beside a digit ("$19.99", "12,50 €", "¥980").
 * The signs are found by their first bytes, one memchr pass for each
 * (several signs share one), and each place is tested as for its sign. */
static int has_price(const struct line *L)
{
    static const char *const signs[] = {"$",
                                        "\xe2\x82\xac",
                                        "\xc2\xa3",
                                        "\xc2\xa5",
                                        "\xe2\x82\xbd",
                                        "\xe2\x82\xb9",
                                        "\xef\xbf\xa5",
                                        "\xe5\x85\x83"};
    static const char firsts[] = "$\xe2\xc2\xef\xe5"; /* the signs' first bytes */
    const char *t = L->text, *end = L->text + L->len;
    for (const char *fb = firsts; *fb; fb++) {
        for (const char *p = t; p < end; p++) {
            p = memchr(p, *fb, (size_t)(end - p));
            if (!p)
                break;
            for (size_t k = 0; k < sizeof signs / sizeof signs[0]; k++) {
                const char *sg = signs[k];
                if (sg[0] != *fb)
                    continue;
                size_t n = strlen(sg), j = 1;
                if ((size_t)(end - p) < n)
                    continue;
                while (j < n && p[j] == sg[j])
                    j++;
                if (j < n)
                    continue;
                const char *q = p + n;
                while (q < end && *q == ' ')
                    q++;
                const char *b = p;
                while (b > t && b[-1] == ' ')
                    b--;
                if ((q < end && *q >= '0' && *q <= '9') || (b > t && b[-1] >= '0' && b[-1] <= '9'))
                    return 1;
            }
        }
    }
    return 0;
}

static float stop_share(const struct line *L)
{
    return L->n_sw_words ? (float)L->n_stop / (float)L->n_sw_words : 0.0f;
}

static int h_kept(const struct line *L) { return L->h_why != 0xff && L->h_why >> 7 == 0; }

/* h_why holds the heuristics' reason in its low 7 bits and 1 << 7 when
 * they dropped the line (classify.c). */
static unsigned h_reason(const struct line *L) { return L->h_why & 0x7fu; }

chaff_status feat_prepare(struct feat_ctx *c, const struct doc *d, const struct chaff_rules *r)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->r = r;
    uint32_t n = d->n_nonblank;
    c->n_nb = n;
    struct arena *a = d->arena;
    size_t n1 = (size_t)(n ? n : 1);
    c->nb = arena_alloc(a, n1 * sizeof *c->nb);
    c->block = arena_alloc(a, n1 * sizeof *c->block);
    c->block_pos = arena_alloc(a, n1 * sizeof *c->block_pos);
    c->dist_prev = arena_alloc(a, n1 * sizeof *c->dist_prev);
    c->dist_next = arena_alloc(a, n1 * sizeof *c->dist_next);
    c->reps = arena_alloc(a, n1 * sizeof *c->reps);
    c->rep_later = arena_alloc(a, n1 * sizeof *c->rep_later);
    c->bullet_run = arena_alloc(a, n1 * sizeof *c->bullet_run);
    c->shape_run = arena_alloc(a, n1 * sizeof *c->shape_run);
    c->indent_run = arena_alloc(a, n1 * sizeof *c->indent_run);
    c->text_before = arena_alloc(a, n1 * sizeof *c->text_before);
    c->lc = arena_alloc(a, n1 * sizeof *c->lc);
    c->dated_pre = arena_alloc(a, (n1 + 1) * sizeof *c->dated_pre);
    c->cat_above = arena_alloc(a, n1 * sizeof *c->cat_above);
    c->cat_below = arena_alloc(a, n1 * sizeof *c->cat_below);
    c->rules_above = arena_alloc(a, n1 * sizeof *c->rules_above);
    c->rules_below = arena_alloc(a, n1 * sizeof *c->rules_below);
    if (!c->lc || !c->dated_pre || !c->cat_above || !c->cat_below || !c->rules_above ||
        !c->rules_below)
        return CHAFF_E_NOMEM;
    pthread_once(&lg_once, lg_init);
    if (!c->nb || !c->block || !c->block_pos || !c->dist_prev || !c->dist_next || !c->reps ||
        !c->rep_later || !c->bullet_run || !c->shape_run || !c->indent_run || !c->text_before)
        return CHAFF_E_NOMEM;
    for (uint32_t i = 0, k = 0; i < d->n_lines; i++)
        if (d->lines[i].len)
            c->nb[k++] = i;
    /* what a line says of itself and to its neighbours, once */
    for (uint32_t k = 0; k < n; k++) {
        const struct line *L = &d->lines[c->nb[k]];
        struct feat_line_cache *lc = &c->lc[k];
        lc->elen_log = lgn(L->f.elen);
        lc->stop_sh = stop_share(L);
        lc->indent_log = lgn(L->indent);
        lc->terminal = L->f.terminal;
        lc->bullet = L->f.bullet != 0;
        lc->long_sent = (uint8_t)cls_long_sentence_like(&L->f);
        lc->h_kept = (uint8_t)h_kept(L);
        lc->rule = L->rule >= 0;
        lc->seps = L->f.n_seps > 0;
        lc->dated = (uint8_t)cls_meta_dated(L);
    }
    c->dated_pre[0] = 0;
    for (uint32_t k = 0; k < n; k++)
        c->dated_pre[k + 1] = c->dated_pre[k] + c->lc[k].dated;
    for (size_t k = 0; k < sizeof c->cat_index / sizeof c->cat_index[0]; k++)
        c->cat_index[k] = -1;
    if (r)
        for (uint32_t k = 0; k < r->n_categories && k < 64; k++)
            for (unsigned j = 0; j < N_CAT; j++)
                if (strcmp(r->categories[k], cat_names[j]) == 0)
                    c->cat_index[k] = (int16_t)j;

    /* blocks: runs of non-blank lines between blank lines */
    for (uint32_t k = 0; k < n;) {
        uint32_t j = k + 1;
        while (j < n && c->nb[j] == c->nb[j - 1] + 1)
            j++;
        for (uint32_t m = k; m < j; m++) {
            c->block[m] = (uint16_t)(j - k > UINT16_MAX ? UINT16_MAX : j - k);
            c->block_pos[m] = (uint16_t)(m - k > UINT16_MAX ? UINT16_MAX : m - k);
        }
        k = j;
    }
    /* distance to the nearest sentence line, each way */
    uint32_t last = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        const struct line *L = &d->lines[c->nb[k]];
        c->dist_prev[k] =
            last == UINT32_MAX ? UINT16_MAX : (uint16_t)(k - last > 999 ? 999 : k - last);
        if (is_sentence(L))
            last = k;
    }
    last = UINT32_MAX;
    for (uint32_t k = n; k-- > 0;) {
        const struct line *L = &d->lines[c->nb[k]];
        c->dist_next[k] =
            last == UINT32_MAX ? UINT16_MAX : (uint16_t)(last - k > 999 ? 999 : last - k);
        if (is_sentence(L))
            last = k;
    }
    /* repeats: lines with the same key (a table of first occurrences) */
    struct key_index x;
    if (key_index_init(&x, a, n))
        return CHAFF_E_NOMEM;
    uint32_t *first = arena_alloc(a, n1 * sizeof *first);
    if (!first)
        return CHAFF_E_NOMEM;
    for (uint32_t k = 0; k < n; k++) {
        const struct line *L = &d->lines[c->nb[k]];
        first[k] = k;
        c->reps[k] = 1;
        c->rep_later[k] = 0;
        if (!L->key || !L->key_len)
            continue;
        int32_t *slot = key_index_slot(&x, d, L);
        if (*slot < 0) {
            *slot = (int32_t)c->nb[k];
            continue;
        }
        uint32_t f = d->lines[*slot].nb; /* c->nb[f] == *slot */
        first[k] = f;
        c->rep_later[k] = 1;
        if (c->reps[f] < UINT16_MAX)
            c->reps[f]++;
    }
    for (uint32_t k = 0; k < n; k++)
        c->reps[k] = c->reps[first[k]];
    /* rule evidence above and below each line: the categories of rules
     * that named a line (bit j = cat_names[j]) and how many lines they
     * named; a comment form or a related list above says the article has
     * ended, a menu or a login box below that it has not begun */
    uint32_t bits = 0, named = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct line *L = &d->lines[c->nb[k]];
        c->cat_above[k] = bits;
        c->rules_above[k] = named > UINT16_MAX ? UINT16_MAX : (uint16_t)named;
        int ci = rule_cat(c, L);
        if (ci >= 0) {
            bits |= 1u << ci;
            named++;
        }
    }
    bits = named = 0;
    for (uint32_t k = n; k-- > 0;) {
        const struct line *L = &d->lines[c->nb[k]];
        c->cat_below[k] = bits;
        c->rules_below[k] = named > UINT16_MAX ? UINT16_MAX : (uint16_t)named;
        int ci = rule_cat(c, L);
        if (ci >= 0) {
            bits |= 1u << ci;
            named++;
        }
    }
    /* runs of bullets, of one shape, of one indentation */
    for (uint32_t k = 0; k < n;) {
        const struct line *L = &d->lines[c->nb[k]];
        uint32_t j = k + 1;
        while (j < n && d->lines[c->nb[j]].f.bullet && L->f.bullet)
            j++;
        for (uint32_t m = k; m < j; m++)
            c->bullet_run[m] = (uint16_t)(L->f.bullet ? (j - k > 999 ? 999 : j - k) : 0);
        k = j;
    }
    for (uint32_t k = 0; k < n;) {
        const struct line *L = &d->lines[c->nb[k]];
        uint32_t j = k + 1;
        while (j < n && L->f.shape && d->lines[c->nb[j]].f.shape == L->f.shape)
            j++;
        for (uint32_t m = k; m < j; m++)
            c->shape_run[m] = (uint16_t)(L->f.shape ? (j - k > 999 ? 999 : j - k) : 0);
        k = j;
    }
    for (uint32_t k = 0; k < n;) {
        const struct line *L = &d->lines[c->nb[k]];
        uint32_t j = k + 1;
        while (j < n && d->lines[c->nb[j]].indent == L->indent)
            j++;
        for (uint32_t m = k; m < j; m++)
            c->indent_run[m] = (uint16_t)(j - k > 999 ? 999 : j - k);
        k = j;
    }
    /* sentence text before each line; page figures */
    uint64_t text = 0, elen = 0, maxlen = 0, bullets = 0, kept = 0, cjk = 0, chars = 0;
    uint64_t stops = 0, sw_words = 0, ruled = 0, indent = 0, shorts = 0;
    uint32_t sections = 0, prev_sec_line = UINT32_MAX;
    int thread = 0, teasers = 0;
    double main_mass = 0, all_mass = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct line *L = &d->lines[c->nb[k]];
        c->text_before[k] = text;
        if (is_sentence(L))
            text += L->f.elen;
        elen += L->f.elen;
        if (L->f.elen > maxlen)
            maxlen = L->f.elen;
        bullets += L->f.bullet != 0;
        if (h_kept(L))
            kept += L->f.elen;
        cjk += L->f.n_cjk;
        chars += L->f.n_chars;
        stops += L->n_stop;
        sw_words += L->n_sw_words;
        ruled += L->rule >= 0;
        indent += L->indent;
        shorts += L->f.elen < 40;
        thread |= h_reason(L) == R_THREAD;
        teasers |= h_reason(L) == R_TEASERS;
        if (L->sec_pct != 255) {
            if (prev_sec_line == UINT32_MAX || L->sec_pct != d->lines[prev_sec_line].sec_pct)
                sections++;
            prev_sec_line = c->nb[k];
            if (is_sentence(L)) {
                all_mass += L->f.elen;
                if (L->sec_pct == 100)
                    main_mass += L->f.elen;
            }
        }
    }
    double dn = n ? (double)n : 1.0;
    c->page[0] = lg((double)n);
    c->page[1] = lg((double)elen);
    c->page[2] = elen ? (float)((double)text / (double)elen) : 0.0f;
    c->page[3] = (float)((double)bullets / dn);
    c->page[4] = lg((double)maxlen);
    c->page[5] = lg((double)sections);
    c->page[6] = all_mass > 0 ? (float)(main_mass / all_mass) : 0.0f;
    c->page[7] = (float)thread;
    c->page[8] = (float)teasers;
    c->page[9] = chars ? (float)((double)cjk / (double)chars) : 0.0f;
    c->page[10] = sw_words ? (float)((double)stops / (double)sw_words) : 0.0f;
    c->page[11] = (float)((double)ruled / dn);
    c->page[12] = lg((double)elen / dn);
    c->page[13] = elen ? (float)((double)kept / (double)elen) : 0.0f;
    c->page[14] = (float)((double)indent / dn / 10.0);
    c->page[15] = (float)((double)shorts / dn);
    return CHAFF_OK;
}

static void neighbour(const struct feat_ctx *c, uint32_t k, int off, float *x)
{
    int64_t j = (int64_t)k + off;
    memset(x, 0, NEIGH_W * sizeof *x);
    if (j < 0 || j >= (int64_t)c->n_nb)
        return;
    const struct feat_line_cache *m = &c->lc[j];
    x[0] = 1;
    x[1] = m->elen_log;
    x[2] = m->terminal;
    x[3] = m->bullet;
    x[4] = m->stop_sh;
    x[5] = m->long_sent;
    x[6] = m->h_kept;
    x[7] = m->rule;
    x[8] = m->seps;
    x[9] = m->indent_log;
    /* a blank line between the two */
    uint32_t lo = c->nb[off < 0 ? j : k], hi = c->nb[off < 0 ? k : j];
    x[10] = hi - lo > (uint32_t)(off < 0 ? -off : off);
}

void feat_line(const struct feat_ctx *c, uint32_t k, float *x)
{
    const struct doc *d = c->d;
    uint32_t i = c->nb[k];
    const struct line *L = &d->lines[i];
    const struct seg_feat *f = &L->f;
    memset(x, 0, F_END * sizeof *x);
    float nc = f->n_chars ? (float)f->n_chars : 1.0f;
    uint32_t cased = (uint32_t)f->n_upper + f->n_lower;
    float *o = x + F_OWN;
    o[0] = lgn(f->n_chars);
    o[1] = c->lc[k].elen_log;
    o[2] = lgn(f->n_words);
    o[3] = (float)f->n_letters / nc;
    o[4] = (float)f->n_digits / nc;
    o[5] = (float)f->n_punct / nc;
    o[6] = (float)f->n_cjk / nc;
    o[7] = cased ? (float)f->n_upper / (float)cased : 0.0f;
    o[8] = f->terminal;
    o[9] = f->n_stops > 8 ? 8.0f : (float)f->n_stops;
    o[10] = f->bullet == 1;
    o[11] = f->bullet == 2;
    o[12] = f->bracketed;
    o[13] = f->url;
    o[14] = f->sep_lead;
    o[15] = lgn(f->n_seps);
    o[16] = lg((double)f->elen / (f->n_seps + 1.0));
    o[17] = c->lc[k].stop_sh;
    o[18] = lgn(L->n_stop);
    o[19] = ends_with(L, ":") || ends_with(L, "\xef\xbc\x9a");
    o[20] = ends_with(L, "...") || ends_with(L, "\xe2\x80\xa6");
    o[21] = c->lc[k].indent_log;
    o[22] = L->len && L->text[0] >= '0' && L->text[0] <= '9';
    o[23] = c->lc[k].dated;
    o[24] = (float)cls_title_case_run(f);
    o[25] = c->lc[k].long_sent;
    o[26] = (float)has_price(L);
    o[27] = (float)starts_quote(L);
    o[28] = f->n_words ? (float)f->n_letters / (float)f->n_words : 0.0f;
    o[29] = !L->key;

    float *ru = x + F_RULE;
    if (L->rule >= 0 && c->r) {
        const struct rule *rr = &c->r->v[L->rule];
        int own = L->why == R_RULE || (L->h_why & 0x7f) == R_RULE;
        ru[0] = rr->strong && own && rr->action != RA_KEEP;
        ru[1] = !rr->strong;
        ru[2] = rr->action == RA_KEEP;
        ru[4] = rr->site != 0;
        int ci = rr->category < 64 ? c->cat_index[rr->category] : -1;
        x[F_CAT + (ci >= 0 ? (unsigned)ci : N_CAT)] = 1;
    }
    ru[3] = L->range;
    ru[5] = cls_rule_certain(L) < 0;

    float *h = x + F_HEUR;
    h[0] = L->init == LC_GOOD;
    h[1] = L->init == LC_NEAR;
    h[2] = L->init == LC_SHORT;
    h[3] = L->init == LC_BAD;
    /* the initial reason is not kept apart from the final one; the
     * initial class together with the final reason says it */
    unsigned why = h_reason(L);
    h[4] = why == R_NAV;
    h[5] = why == R_LIST;
    h[6] = why == R_NONWORD;
    h[7] = why == R_PLACEHOLDER;
    h[8] = L->init == LC_BAD && why == R_REPEAT;
    h[9] = (float)h_kept(L);
    h[10] = why == R_CONTEXT;
    h[11] = why == R_HEADING;
    h[12] = why == R_HEAD;
    h[13] = why == R_TAIL;
    h[14] = why == R_HEAD_CLEAN;
    h[15] = why == R_TAIL_CLEAN;
    h[16] = why == R_WEAK;
    h[17] = why == R_OFFMAIN;
    h[18] = why == R_REPEAT;
    h[19] = why == R_THREAD;
    h[20] = why == R_TEASERS;
    h[21] = why == R_COLON_LIST;
    h[22] = why == R_SHAPED_LIST;
    h[23] = why == R_BUDGET;
    h[24] = L->sec_pct == 255 ? 0.0f : (float)L->sec_pct / 100.0f;
    h[25] = L->sec_pct == 255;

    float *p = x + F_PLACE;
    double n = c->n_nb ? (double)c->n_nb : 1.0;
    uint64_t text_all =
        c->n_nb ? c->text_before[c->n_nb - 1] + (is_sentence(&d->lines[c->nb[c->n_nb - 1]])
                                                     ? d->lines[c->nb[c->n_nb - 1]].f.elen
                                                     : 0)
                : 0;
    p[0] = (float)((double)k / n);
    p[1] = text_all ? (float)((double)c->text_before[k] / (double)text_all) : 0.0f;
    p[2] = i > 0 && !d->lines[i - 1].len;
    p[3] = i + 1 < d->n_lines && !d->lines[i + 1].len;
    p[4] = lgn(c->block[k]);
    p[5] = c->block[k] > 1 ? (float)c->block_pos[k] / (float)(c->block[k] - 1) : 0.0f;
    p[6] = lgn(c->dist_prev[k] == UINT16_MAX ? 1000 : c->dist_prev[k]);
    p[7] = lgn(c->dist_next[k] == UINT16_MAX ? 1000 : c->dist_next[k]);
    p[8] = lgn(c->reps[k] - 1u);
    p[9] = c->rep_later[k];
    p[10] = lgn(c->bullet_run[k]);
    p[11] = lgn(c->shape_run[k]);
    p[12] = lgn(c->indent_run[k]);
    p[13] = has_cat(c->cat_above[k], CAT_COMMENTS);
    p[14] = has_cat(c->cat_above[k], CAT_RELATED);
    p[15] = has_cat(c->cat_above[k], CAT_FOOTER);
    p[16] = has_cat(c->cat_above[k], CAT_SHARE);
    p[17] = has_cat(c->cat_below[k], CAT_NAV);
    p[18] = has_cat(c->cat_below[k], CAT_LOGIN);
    p[19] = lgn(c->rules_above[k]);
    p[20] = lgn(c->rules_below[k]);
    /* dated lines (a comment's or a post's meta line) around, above, below */
    uint32_t n_nb = c->n_nb, lo = k >= DATED_NEAR ? k - DATED_NEAR : 0,
             hi = k + DATED_NEAR + 1 < n_nb ? k + DATED_NEAR + 1 : n_nb;
    p[21] = lgn(c->dated_pre[hi] - c->dated_pre[lo] - c->lc[k].dated);
    p[22] = lgn(c->dated_pre[k]);
    p[23] = lgn(c->dated_pre[n_nb] - c->dated_pre[k + 1]);

    neighbour(c, k, -2, x + F_NEIGH);
    neighbour(c, k, -1, x + F_NEIGH + NEIGH_W);
    neighbour(c, k, +1, x + F_NEIGH + (size_t)2 * NEIGH_W);
    neighbour(c, k, +2, x + F_NEIGH + (size_t)3 * NEIGH_W);
    memcpy(x + F_PAGE, c->page, sizeof c->page);
}
