/*
 * filter.c — the library entry: a filter's options, its life, and the
 * feed / end of input / finish calls, which hand bytes to the reader of
 * the framing (filter.h lists the stages and their files).
 *
 * One record in is one record out, in order, whatever happens to it; the
 * readers and writers of each framing keep that promise (filter_rec.c,
 * filter_warc.c), the batch keeps the order (filter_batch.c).
 *
 * Memory.  A document is held whole once, as read (the pending buffer or
 * the caller's); everything else is a constant or per line.  Text that
 * is clean UTF-8 already is cleaned where it lies (dec_text), a line's
 * output form is its span of the text unless normalisation changed it
 * (seg_doc), and kept lines go out from their spans through an emit_sink
 * that writes in pieces (JSONL escaped as it goes, the record around the
 * text from jsonl_splice_frame), so no cleaned copy is built.  What is
 * still held whole: a JSONL record's text with its escapes undone (a
 * second copy, up to the record's size), text in another charset or with
 * CRs or controls (its converted copy), a WARC record's cleaned block (its
 * length goes in the header before it), listings (explain, features),
 * records cleaned in a batch (their outputs wait for the batch to end),
 * and the match keys of lines of at most DOC_KEY_MAX bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "filter.h"
#include "learn.h"
#include "model.h"
#include "rules.h"

#define DEFAULT_MAX_DOC ((size_t)256 << 20)

const char *chaff_version(void) { return CHAFF_VERSION_STRING; }

const char *chaff_strerror(chaff_status s)
{
    switch (s) {
    case CHAFF_OK: return "success";
    case CHAFF_E_NOMEM: return "out of memory";
    case CHAFF_E_TOOBIG: return "too large";
    case CHAFF_E_RULES: return "error in rules";
    case CHAFF_E_IO: return "input/output error";
    case CHAFF_E_CHARSET: return "unknown or unusable charset";
    case CHAFF_E_INVAL: return "invalid argument";
    case CHAFF_E_DATA: return "malformed record";
    case CHAFF_E_MATCHER: return "pattern matcher failed";
    case CHAFF_E_WRITE: return "output failed";
    case CHAFF_E_TEST: return "rule examples failed";
    }
    return "unknown error";
}

void chaff_options_init(chaff_options *o)
{
    memset(o, 0, sizeof *o);
    o->framing = CHAFF_FRAME_TEXT;
    o->field = "text";
    o->url_field = "url";
    o->max_doc = DEFAULT_MAX_DOC;
    o->jobs = 1;
    o->budget = 0.5;
}

void filt_warn(const chaff_filter *f, const char *fmt, ...)
{
    if (!f->opt.warn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->opt.warn(f->opt.warn_ud, msg);
}

/*
 * Binary data: NUL and the C0 controls no text uses (all but tab, line
 * feed, vertical tab, form feed, carriage return and the escape of
 * ISO-2022), and DEL, counted in the first BINARY_SNIFF bytes.  Text, in
 * any charset chaff reads, holds next to none (normalize.c removes the
 * odd one); random or compressed bytes hold one in ten, executables more.
 * A sample is binary when at least two of its bytes, and more than one in
 * twenty, are such controls; a UTF-16 or UTF-32 byte-order mark (whose
 * text is full of NULs) says it is text.  Returns the count of controls
 * when the sample is binary, else 0.
 */
size_t filt_binary(const char *p, size_t len)
{
    /* the controls that count, bit c of the mask for byte c < 32 */
    static const uint32_t ctl = ~(uint32_t)((1u << '\t') | (1u << '\n') | (1u << '\v') |
                                            (1u << '\f') | (1u << '\r') | (1u << 0x1b));
    const unsigned char *s = (const unsigned char *)p;
    size_t n = len < BINARY_SNIFF ? len : BINARY_SNIFF, k = 0;
    if ((n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) ||
        (n >= 4 && s[0] == 0 && s[1] == 0 && s[2] == 0xFE && s[3] == 0xFF))
        return 0;
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    for (size_t i = 0; i < n;) {
        /* eight bytes at a time while none is below 32 or DEL (the tests
         * for "some byte of v is" are exact: a borrow only runs past a
         * byte that already answers yes) */
        uint64_t v, d;
        if (n - i >= 8 && (memcpy(&v, s + i, 8), d = v ^ (ones * 0x7f),
                           !(((v - ones * 32) & ~v & high) | ((d - ones) & ~d & high)))) {
            i += 8;
            continue;
        }
        size_t end = n - i < 8 ? n : i + 8;
        for (; i < end; i++)
            k += s[i] < 32 ? (ctl >> s[i]) & 1 : s[i] == 0x7F;
    }
    return k >= 2 && k * 20 > n ? k : 0;
}

chaff_status filt_worker_init(struct worker *w, const chaff_rules *r, size_t max_doc, bool annotate)
{
    memset(w, 0, sizeof *w);
    arena_init(&w->arena, 0);
    seg_scratch_init(&w->seg);
    dec_cache_init(&w->dc);
    buf_init(&w->dec, 0);
    buf_init(&w->text, 0);
    buf_init(&w->url, 0);
    buf_init(&w->lang, 4096);
    buf_init(&w->clean, max_doc * 4 + 64);
    buf_init(&w->frame, 0);
    buf_init(&w->stage, 0);
    buf_init(&w->annot, 0);
    buf_init(&w->id, 4096);
    if (annotate && r && r->n_categories &&
        !(w->rec_cat = chaff_xcalloc(r->n_categories, sizeof *w->rec_cat)))
        return CHAFF_E_NOMEM;
    if (r && r->n) {
        w->rule_drops = chaff_xcalloc(r->n, sizeof *w->rule_drops);
        if (!w->rule_drops)
            return CHAFF_E_NOMEM;
        return match_scratch_new(r, &w->ms);
    }
    return CHAFF_OK;
}

void filt_worker_free(struct worker *w)
{
    arena_free(&w->arena);
    seg_scratch_free(&w->seg);
    dec_cache_free(&w->dc);
    buf_free(&w->dec);
    buf_free(&w->text);
    buf_free(&w->url);
    buf_free(&w->lang);
    buf_free(&w->clean);
    buf_free(&w->frame);
    buf_free(&w->stage);
    buf_free(&w->annot);
    buf_free(&w->id);
    chaff_xfree(w->rec_cat);
    match_scratch_free(w->ms);
    chaff_xfree(w->rule_drops);
}

static char *dup_opt(const char *s, chaff_status *st)
{
    if (!s)
        return NULL;
    char *d = chaff_xstrdup(s);
    if (!d)
        *st = CHAFF_E_NOMEM;
    return d;
}

static int discard(void *ud, const char *p, size_t n)
{
    (void)ud;
    (void)p;
    (void)n;
    return 0;
}

/* Read and parse the line model at path into f->model_own; a message
 * through the warn callback when it fails. */
static chaff_status load_model(chaff_filter *f, const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct buf text;
    buf_init(&text, 0);
    chaff_status st = CHAFF_OK;
    chaff_error err;
    memset(&err, 0, sizeof err);
    if (!fp) {
        st = CHAFF_E_IO;
        snprintf(err.msg, sizeof err.msg, "cannot open the model: %s", strerror(errno));
    } else {
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
            buf_add(&text, chunk, n);
        if (ferror(fp))
            st = CHAFF_E_IO;
        fclose(fp);
        if (!st && text.err)
            st = text.err;
        if (!st)
            st = model_parse(&f->model_own, path, text.p ? text.p : "", text.len, &err);
    }
    buf_free(&text);
    if (st && f->opt.warn) {
        char msg[900];
        if (err.line)
            snprintf(msg, sizeof msg, "%s:%u:%u: %s", path, err.line, err.col, err.msg);
        else
            snprintf(msg, sizeof msg, "%s: %s", path, err.msg[0] ? err.msg : chaff_strerror(st));
        f->opt.warn(f->opt.warn_ud, msg);
    }
    f->model = f->model_own;
    return st;
}

chaff_status chaff_filter_new(chaff_filter **out, const chaff_rules *rules,
                              const chaff_options *opt, chaff_write_fn write, void *ud)
{
    *out = NULL;
    if (!write)
        return CHAFF_E_INVAL;
    chaff_filter *f = chaff_xcalloc(1, sizeof *f);
    if (!f)
        return CHAFF_E_NOMEM;
    if (opt)
        f->opt = *opt;
    else
        chaff_options_init(&f->opt);
    chaff_status st = CHAFF_OK;
    f->s_field = dup_opt(f->opt.field ? f->opt.field : "text", &st);
    f->s_url_field = dup_opt(f->opt.url_field ? f->opt.url_field : "url", &st);
    f->s_url = dup_opt(f->opt.url, &st);
    f->s_from = dup_opt(f->opt.from, &st);
    f->s_lang = dup_opt(f->opt.lang, &st);
    f->s_lang_field = dup_opt(f->opt.lang_field, &st);
    f->s_annotate = dup_opt(f->opt.annotate, &st);
    f->opt.field = f->s_field;
    f->opt.url_field = f->s_url_field;
    f->opt.url = f->s_url;
    f->opt.from = f->s_from;
    f->opt.lang = f->s_lang;
    f->opt.lang_field = f->s_lang_field;
    f->opt.annotate = f->s_annotate;
    if (f->opt.annotate && strchr(f->opt.annotate, '.'))
        st = st ? st : CHAFF_E_INVAL; /* a member is added at the top level only */
    if (!f->opt.max_doc)
        f->opt.max_doc = DEFAULT_MAX_DOC;
    if (f->opt.framing > CHAFF_FRAME_TSV_JSONL)
        st = st ? st : CHAFF_E_INVAL;
    if (!st && f->opt.lang) {
        f->langs_forced = lang_from_list(f->opt.lang);
        if (!f->langs_forced)
            st = CHAFF_E_INVAL;
    }
    if (f->opt.flags & (CHAFF_EXPLAIN | CHAFF_DUMP_FEATURES | CHAFF_LEARN))
        f->opt.explain_write = NULL; /* the listing is the output already, or none is */
    f->opt.model = NULL;             /* the path is read here and not kept */
    if (!st && opt && opt->model)
        st = load_model(f, opt->model);
    else if (!st)
        f->model = model_builtin();
    if (!st && f->opt.from) {
        /* refuse an unknown charset now, not once per record */
        struct buf probe;
        buf_init(&probe, 0);
        st = dec_to_utf8("x", 1, f->opt.from, &probe, NULL);
        buf_free(&probe);
    }
    cls_host(f->opt.url, f->host, sizeof f->host);
    sites_init(&f->sites, 0);
    f->rules = rules;
    f->write = write;
    f->ud = ud;
    buf_init(&f->pend, 0);
    f->jobs = f->opt.jobs > 1 && f->opt.framing != CHAFF_FRAME_TEXT ? f->opt.jobs : 1;
    if (f->jobs > JOBS_MAX)
        f->jobs = JOBS_MAX;
    if (!st && (f->opt.flags & CHAFF_LEARN)) {
        f->jobs = 1;
        f->write = discard; /* the learner writes nothing but its result */
        if (!(f->learn = learn_new(0)))
            st = CHAFF_E_NOMEM;
    }
    if (!st) {
        f->w = chaff_xcalloc(f->jobs, sizeof *f->w);
        st = f->w ? filt_batch_init(f) : CHAFF_E_NOMEM;
    }
    for (unsigned i = 0; !st && i < f->jobs; i++)
        st = filt_worker_init(&f->w[i], rules, f->opt.max_doc, f->opt.annotate != NULL);
    if (st) {
        chaff_filter_free(f);
        return st;
    }
    *out = f;
    return CHAFF_OK;
}

void chaff_filter_free(chaff_filter *f)
{
    if (!f)
        return;
    filt_pool_stop(f);
    if (f->w)
        for (unsigned i = 0; i < f->jobs; i++)
            filt_worker_free(&f->w[i]);
    chaff_xfree(f->w);
    filt_batch_free(f);
    model_free(f->model_own);
    buf_free(&f->pend);
    chaff_xfree(f->s_field);
    chaff_xfree(f->s_url_field);
    chaff_xfree(f->s_url);
    chaff_xfree(f->s_from);
    chaff_xfree(f->s_lang);
    chaff_xfree(f->s_lang_field);
    chaff_xfree(f->s_annotate);
    learn_free(f->learn);
    sites_free(&f->sites);
    chaff_xfree(f);
}

chaff_status chaff_filter_learn_merge(chaff_filter *f, const char *line, size_t len, char msg[128])
{
    if (!f || !f->learn)
        return CHAFF_E_INVAL;
    f->learn_merged = true;
    return learn_merge_line(f->learn, line, len, msg);
}

chaff_status chaff_filter_learned(chaff_filter *f, int counts, unsigned min_pages, double min_share,
                                  chaff_write_fn write, void *ud)
{
    if (!f || !f->learn)
        return CHAFF_E_INVAL;
    /* nothing to learn from is an error, not an empty file; an empty
     * shard's counts are empty, since a map step may get an empty split */
    if (!f->learn_merged && !learn_n_pages(f->learn) && (!counts || learn_n_seen(f->learn)))
        return CHAFF_E_DATA;
    struct buf out;
    buf_init(&out, 0);
    chaff_status st = counts ? learn_write_counts(f->learn, &out)
                             : learn_write_rules(f->learn, min_pages, min_share, &out);
    if (!st && out.len && write(ud, out.p, out.len))
        st = CHAFF_E_WRITE;
    buf_free(&out);
    return st;
}

/* ---- feed / finish ----------------------------------------------------- */

chaff_status chaff_filter_feed(chaff_filter *f, const void *buf, size_t len)
{
    if (!f || f->finished)
        return CHAFF_E_INVAL;
    if (f->err)
        return f->err;
    if (!len)
        return CHAFF_OK;
    f->fed = true;
    chaff_status st = f->opt.framing == CHAFF_FRAME_TEXT   ? filt_feed_text(f, buf, len)
                      : f->opt.framing == CHAFF_FRAME_WARC ? filt_feed_warc(f, buf, len)
                                                           : filt_feed_records(f, buf, len);
    return f->err = st;
}

chaff_status chaff_filter_end_input(chaff_filter *f)
{
    if (!f || f->finished)
        return CHAFF_E_INVAL;
    if (f->err)
        return f->err;
    if (!f->fed && f->inputs) /* finish after the last input ended: nothing new */
        return CHAFF_OK;
    f->fed = false;
    f->inputs++;
    chaff_status st = f->opt.framing == CHAFF_FRAME_TEXT   ? filt_end_text(f)
                      : f->opt.framing == CHAFF_FRAME_WARC ? filt_end_warc(f)
                                                           : filt_end_records(f);
    buf_reset(&f->pend);
    f->win_started = false;
    f->join = (struct join){0};
    f->text_kind = 0;
    f->cut_warned = false;
    f->rec_sniffed = false;
    f->es = (struct emit_state){0};
    return f->err = st;
}

chaff_framing chaff_filter_framing(const chaff_filter *f) { return f->opt.framing; }

chaff_status chaff_filter_finish(chaff_filter *f)
{
    if (!f || f->finished)
        return CHAFF_E_INVAL;
    chaff_status st = chaff_filter_end_input(f);
    if (!st && f->opt.framing != CHAFF_FRAME_TEXT)
        st = filt_flush_batch(f);
    f->finished = true;
    buf_free(&f->pend);
    return f->err = st;
}

/* ---- one-shot ---------------------------------------------------------- */

chaff_status chaff_clean(const chaff_rules *rules, const chaff_options *opt, const char *doc,
                         size_t len, const char *url, chaff_write_fn write, void *ud)
{
    chaff_options o;
    if (opt)
        o = *opt;
    else
        chaff_options_init(&o);
    o.framing = CHAFF_FRAME_TEXT;
    if (url)
        o.url = url;
    chaff_filter *f;
    chaff_status st = chaff_filter_new(&f, rules, &o, write, ud);
    if (st)
        return st;
    st = chaff_filter_feed(f, doc, len);
    if (!st)
        st = chaff_filter_finish(f);
    chaff_filter_free(f);
    return st;
}
