/*
 * filter_doc.c — one document through the pipeline: decode → segment →
 * match and classify → emit.
 *
 * A document (a record's text, or one window of a text input) arrives as
 * bytes in any charset with a struct doc_job saying where it stands (head,
 * tail, site, charset) and where its kept text goes.  It is decoded once
 * (dec_text: clean UTF-8 stays where it lies) and then judged in pieces.
 *
 * Pieces.  Each line costs a line structure, features and decisions (about
 * 200 bytes) whatever its length, so a document of many short or empty
 * lines would cost far more than its size: the decoded text is judged in
 * pieces of at most WINDOW_LINES lines, cut at line ends, as the text
 * framing cuts windows (head rules see the first piece, tail rules the
 * last, blank-line collapsing carries over).  Each piece after the first
 * counts as a window.  Documents below WINDOW_LINES lines are one piece,
 * so their decisions do not depend on it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "lang.h"
#include "learn.h"
#include "model.h"
#include "rules.h"

/* a document is judged in pieces of at most this many lines */
#define WINDOW_LINES ((uint32_t)1 << 16)

/*
 * Clean UTF-8 text[0..len), a piece of at most WINDOW_LINES lines of
 * j's document (at_head, at_tail: it holds the document's), and put the kept text out through
 * j->out (or append the listing to j->out->buf).
 */
static chaff_status clean_piece(const chaff_filter *f, struct worker *w, const char *text,
                                size_t len, const struct doc_job *j, bool at_head, bool at_tail)
{
    chaff_status st;
    const char *host = j->host;
    struct emit_state *es = j->es;
    struct emit_sink *out = j->out;
    struct join *jn = j->join;
    arena_reset(&w->arena);
    struct doc d;
    memset(&d, 0, sizeof d);
    d.arena = &w->arena;
    d.at_head = at_head;
    d.at_tail = at_tail;
    d.host = host && *host ? host : NULL;
    if ((st = seg_doc(&d, &w->seg, text, len)) != CHAFF_OK)
        return st;
    if (f->learn) { /* one job: the counts are not shared between threads */
        w->st.lines_in += d.n_nonblank;
        /* a record's own URL tells a recrawl; a --url names a site only */
        bool own =
            (f->opt.framing == CHAFF_FRAME_JSONL || f->opt.framing == CHAFF_FRAME_TSV_JSONL ||
             f->opt.framing == CHAFF_FRAME_WARC) &&
            w->url.len;
        return learn_page(f->learn, d.host, own ? w->url.p : NULL, own ? w->url.len : 0, !at_head,
                          &d);
    }
    /* a record's own languages, then --lang, then its scripts */
    uint32_t given = w->rec_langs ? w->rec_langs : f->langs_forced;
    d.langs = given ? given : lang_detect_mask(d.script_hist);
    d.langs_given = given != 0;
    struct cls_params p = {.budget = f->opt.budget,
                           .flags = f->opt.flags,
                           .model = f->opt.flags & CHAFF_NO_MODEL ? NULL : f->model};
    if ((st = cls_doc(&d, f->rules, w->ms, &p)) != CHAFF_OK)
        return st;
    if ((f->opt.flags & (CHAFF_DUMP_FEATURES | CHAFF_EXPLAIN)) && NEVER(!out->buf)) {
        st = CHAFF_E_INVAL; /* listings are built whole */
    } else if (f->opt.flags & CHAFF_DUMP_FEATURES) {
        st = emit_features(&d, f->rules, out->buf);
    } else if (f->opt.flags & CHAFF_EXPLAIN) {
        st = emit_explain(&d, f->rules, p.flags & CHAFF_NO_HEURISTICS ? NULL : p.model, out->buf);
    } else {
        /* the rest of a cut line continues the output line it was cut from */
        bool glue = jn && jn->cont && jn->last_kept && d.n_lines && d.lines[0].keep &&
                    d.lines[0].len && !es->pending_blank;
        if (glue)
            es->any = false;
        st = emit_text(&d, es, out);
        if (glue)
            es->any = true;
        if (jn)
            jn->last_kept = d.n_lines && d.lines[d.n_lines - 1].keep && d.lines[d.n_lines - 1].len;
        if (!st && w->xout) /* the listing beside the text (--explain-to) */
            st =
                emit_explain(&d, f->rules, p.flags & CHAFF_NO_HEURISTICS ? NULL : p.model, w->xout);
    }
    if (st)
        return st;
    /* counters */
    w->st.lines_in += d.n_nonblank;
    for (uint32_t i = 0; i < d.n_lines; i++) {
        const struct line *L = &d.lines[i];
        if (!L->len)
            continue;
        uint64_t chars = 0;
        if (f->opt.annotate) /* characters: bytes that start a UTF-8 sequence */
            for (uint32_t k = 0; k < L->len; k++)
                chars += ((unsigned char)L->text[k] & 0xC0) != 0x80;
        w->rec_chars_in += chars;
        if (L->keep) {
            w->st.lines_out++;
        } else if ((L->why == R_RULE || L->why == R_RULE_RANGE) && L->rule >= 0) {
            w->st.dropped_rule++;
            w->rec_chars_removed += chars;
            if (w->rule_drops)
                w->rule_drops[L->rule]++;
            if (w->rec_cat)
                w->rec_cat[f->rules->v[L->rule].category]++;
        } else {
            w->st.dropped_heuristic++;
            w->rec_chars_removed += chars;
            w->heur_drops[L->why < R_COUNT ? L->why : R_NONE]++;
            w->rec_heur[L->why < R_COUNT ? L->why : R_NONE]++;
        }
    }
    if (d.budget_backoff)
        w->st.budget_backoffs++;
    return CHAFF_OK;
}

/* Whether text in charset cs (or starting with a BOM for one) can be
 * cut at its '\n' bytes: not UTF-16 or UTF-32, whose units hold 0x0A. */
static bool cut_at_newlines(const char *doc, size_t len, const char *cs)
{
    const unsigned char *u = (const unsigned char *)doc;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        return false;
    if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF)
        return false;
    static const char *const wide[] = {"UTF-16", "UTF16", "UTF-32", "UTF32", "UCS-2", "UCS-4"};
    for (size_t k = 0; cs && k < sizeof wide / sizeof wide[0]; k++)
        if (strncasecmp(cs, wide[k], strlen(wide[k])) == 0)
            return false;
    return true;
}

/* The end of the part of doc[0..len) that starts at off: after the first
 * newline at least PART_BYTES bytes in, or the end. */
static size_t part_end(const char *doc, size_t len, size_t off)
{
    if (len - off <= PART_BYTES)
        return len;
    const char *e = memchr(doc + off + PART_BYTES - 1, '\n', len - off - PART_BYTES + 1);
    return e ? (size_t)(e - doc) + 1 : len;
}

/* Decode part doc[0..len) of j's document (at_head, at_tail: it holds
 * the document's) and judge it in pieces. */
static chaff_status clean_part(const chaff_filter *f, struct worker *w, const char *doc, size_t len,
                               const struct doc_job *j, const char *from, bool at_head,
                               bool at_tail, struct dec_info *di)
{
    buf_reset(&w->dec);
    memset(di, 0, sizeof *di);
    const char *t;
    size_t tl;
    chaff_status st = dec_text(&w->dc, doc, len, from, from ? NULL : j->hint, &w->dec, di, &t, &tl);
    if (st)
        return st;
    w->st.replacements += di->n_invalid;
    w->st.controls += di->n_controls;
    size_t off = 0;
    do {
        size_t k = 0;
        for (uint32_t n = 0; k < tl - off && n < WINDOW_LINES; n++) {
            const char *e = memchr(t + off + k, '\n', tl - off - k);
            k = e ? (size_t)(e - (t + off)) + 1 : tl - off;
        }
        bool first = off == 0, last = off + k == tl;
        if (!first)
            w->st.windows++;
        st = clean_piece(f, w, t + off, k, j, at_head && first, at_tail && last);
        if (j->join)
            j->join->cont = false; /* only the first piece can continue a cut line */
        off += k;
    } while (!st && off < tl);
    return st;
}

chaff_status filt_clean_doc(const chaff_filter *f, struct worker *w, const char *doc, size_t len,
                            const struct doc_job *j)
{
    /* A document that must be converted is held twice, as read and as
     * decoded; in parts of at most PART_BYTES the second copy is one part.
     * All parts are read in one charset: the given one, or the one the
     * first part is found in (as text windows are).  A document that
     * cannot be cut at its newlines (UTF-16, UTF-32) is decoded whole. */
    struct dec_info di;
    const char *from = j->from;
    char found[40];
    bool parts = len > PART_BYTES && cut_at_newlines(doc, len, from);
    if (parts && !from) {
        buf_reset(&w->dec);
        memset(&di, 0, sizeof di);
        const char *t;
        size_t tl;
        chaff_status st =
            dec_text(&w->dc, doc, part_end(doc, len, 0), NULL, j->hint, &w->dec, &di, &t, &tl);
        if (st)
            return st;
        snprintf(found, sizeof found, "%s", di.charset);
        from = found;
        parts = cut_at_newlines(doc, len, from);
        if (!parts)
            from = NULL;
    }
    size_t end = parts ? part_end(doc, len, 0) : len;
    chaff_status st =
        clean_part(f, w, doc, end, j, from, j->at_head, j->at_tail && end == len, &di);
    if (!st && j->charset_out)
        snprintf(j->charset_out, 40, "%s", di.charset);
    for (size_t off = end; !st && off < len; off = end) {
        end = part_end(doc, len, off);
        w->st.windows++;
        st = clean_part(f, w, doc + off, end - off, j, from, false, j->at_tail && end == len, &di);
    }
    if (w->dec.cap > SLOT_KEEP) /* after a document that had to be converted */
        buf_free(&w->dec);
    return st;
}
