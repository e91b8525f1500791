/*
 * filter.c — the library entry: framing, the per-document pipeline
 * (decode → segment → match/classify → emit), worker threads and stats.
 *
 * Framing.  `text`: the whole input is one document; it is buffered up to
 * the document cap, and a larger document is cleaned in windows of at most
 * the cap, cut at a line end (the charset found in the first window is
 * used for the rest; head rules see only the first window and tail rules
 * only the last; blank-line collapsing carries across windows).  A line
 * longer than the cap is cut between two non-space characters and its
 * kept pieces are joined again.  Whatever the framing, a document is
 * judged in pieces of at most WINDOW_LINES lines (clean_doc), since each
 * line costs a fixed ~200 bytes of structures whatever its length.  `lines`,
 * `nul`, `jsonl`: one record per delimiter; a record over the cap is
 * written through unchanged, counted as an error, and never buffered
 * whole, so memory stays bounded by the cap whatever the stream holds.
 *
 * One record in is one record out, in order: a record that cannot be
 * cleaned (malformed JSON, a decode failure, a record over the cap) is
 * written unchanged and counted in records_error with a warning.  Binary
 * data (binary_controls) is told from text on its first BINARY_SNIFF
 * bytes: a text document is refused, a lines/nul record written empty, a
 * jsonl/warc record written unchanged; each counted and warned about.
 *
 * Threads.  With jobs > 1, complete records are copied into a batch
 * (one buffer, bounded in count and bytes), cleaned by jobs threads each
 * with its own worker state (arena, scratch, matcher scratch, converters),
 * and written in input order once the batch is done.  The rules are shared
 * read-only.  With one job, and whatever the jobs for a record of
 * ALONE_MIN bytes or more (after the batch before it), a record is cleaned
 * where it lies (in the caller's buffer, or in the pending buffer when it
 * spans two feeds) and written as it is made: no copy, no allocation once
 * the buffers have grown.
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
 *
 * Statistics.  Workers count into their own chaff_stats; the counts are
 * added to the filter's totals whenever a record, batch or window is done,
 * on the thread that feeds, so reading the totals never writes.  A record's
 * figures per site (by_site) go into its slot and are added to the site
 * table when it is written, in input order, so which hosts fill the
 * bounded table (sites.h) does not depend on the jobs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "chaff.h"
#include "classify.h"
#include "decode.h"
#include "emit.h"
#include "jsonl.h"
#include "lang.h"
#include "learn.h"
#include "model.h"
#include "rules.h"
#include "segment.h"
#include "sites.h"
#include "warc.h"

#define DEFAULT_MAX_DOC ((size_t)256 << 20)
/* keep at most this much output buffer per batch slot between records */
#define SLOT_KEEP ((size_t)1 << 20)
#define BATCH_RECORDS 512
#define BATCH_BYTES ((size_t)32 << 20)
/* a record of at least this many bytes is cleaned alone, where it lies,
 * and written as it is made, not copied into a batch (add_record) */
#define ALONE_MIN ((size_t)4 << 20)
/* a document is judged in pieces of at most this many lines (clean_doc) */
#define WINDOW_LINES ((uint32_t)1 << 16)

/* the first bytes of a document or record looked at for binary data */
#define BINARY_SNIFF ((size_t)64 << 10)

/* file-local, reachable from the unit tests */
STATIC size_t text_line_cut(const char *q, size_t cap);
STATIC size_t binary_controls(const char *p, size_t len);

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

/* How a text window meets the one before it when a line longer than the
 * cap was cut between them: the first line of the window goes on the
 * output line of the last one, with no line break, when both are kept. */
struct join {
    bool cont;      /* this window starts inside a line cut by the last one */
    bool last_kept; /* the last line of the window before was written */
};

/* Per-thread state; counters are merged into the stats when read. */
struct worker {
    struct arena arena;
    struct seg_scratch seg;
    struct match_scratch *ms;
    struct dec_cache dc;
    struct buf dec, text, url, lang;
    uint32_t rec_langs; /* this record's own languages (0: none) */
    /* this record's figures, for chaff_options.annotate */
    uint64_t rec_chars_in, rec_chars_removed;
    uint64_t *rec_cat; /* rule drops per category */
    uint64_t rec_heur[R_COUNT];
    struct buf annot;
    struct buf id;    /* jsonl: the record's id, for explain headings */
    struct buf *xout; /* explain_write: where this document's listing goes */
    struct buf clean; /* warc, and jsonl with annotate: the cleaned text whole */
    struct buf frame; /* jsonl: the record around its text (jsonl_splice_frame) */
    struct buf stage; /* output written through: the stage (emit_sink) */
    struct dec_info last_dec;
    uint64_t *rule_drops; /* per rule id */
    uint64_t heur_drops[R_COUNT];
    uint64_t n_binary; /* records passed through as binary data */
    chaff_stats st;
};

/* One record of a batch: its bytes (in the batch buffer, or the caller's
 * with one job) and its output. */
struct slot {
    const char *in;
    size_t off; /* offset of in within the batch buffer */
    size_t len;
    uint64_t no;      /* 1-based record number */
    struct buf out;   /* the record as written, delimiter included */
    bool alone;       /* cleaned on its own, not in a batch: it may be written as made */
    bool direct;      /* the cleaned record is written as it is made */
    const char *pass; /* passed through: in[0..len) and this delimiter are written */
    size_t pass_len;
    chaff_status fatal; /* direct: failed after part of the record was written */
    char warn[256];
    char hint[40];     /* its input's charset as sniffed (lines, nul), or "" */
    char lang_bad[16]; /* a code in its language field chaff has no rules for */
    bool no_field;     /* a JSONL record without the text field */
    struct buf xout;   /* its explain listing, for chaff_options.explain_write */
    /* its site's figures for by_site, added in input order (emit_slot);
     * site is "" when the record was not cleaned or has no URL */
    char site[256];
    uint64_t site_in, site_removed;
};

struct chaff_filter {
    const chaff_rules *rules;
    chaff_options opt;
    const struct model *model; /* the line model: model_own or the built-in one */
    struct model *model_own;   /* loaded from chaff_options.model */
    char *s_field, *s_url_field, *s_url, *s_from, *s_lang, *s_lang_field, *s_annotate;
    uint32_t langs_forced;
    char host[256];
    chaff_write_fn write;
    void *ud;
    struct buf pend;  /* bytes of the record not yet complete */
    bool passthrough; /* inside a record over the cap */
    uint64_t rec_no;
    struct worker *w; /* jobs workers */
    unsigned jobs;
    struct slot *batch;
    size_t n_batch;
    struct buf batch_data; /* the batch's records, back to back */
    /* text framing across windows */
    struct emit_state es;
    char win_charset[40];
    char rec_hint[40];   /* lines/nul: this input's charset, sniffed on its first block */
    uint64_t warc_pass;  /* warc: bytes of an over-cap block still to write through */
    struct learn *learn; /* CHAFF_LEARN: the counts */
    bool learn_merged;   /* chaff_filter_learn_merge() was called */
    bool rec_sniffed;
    bool win_started;
    uint8_t text_kind;  /* text: 0 not yet known, 1 text, 2 binary (written through) */
    uint64_t n_binary;  /* text: documents written through as binary data */
    struct join join;   /* text: how the next window meets the last one */
    bool cut_warned;    /* text: the warning about a line over the cap was given */
    chaff_stats total;  /* workers' counts are added after each record */
    struct sites sites; /* by_site: records and lines per host */
    chaff_status err;   /* sticky */
    bool finished;
    bool fed;          /* bytes arrived since the last end of input */
    bool lang_warned;  /* an unknown code in a language field was reported */
    bool field_warned; /* a record without the text field was reported */
    uint64_t inputs;   /* inputs ended so far */
};

static void warnf(const chaff_filter *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(const chaff_filter *f, const char *fmt, ...)
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
STATIC size_t binary_controls(const char *p, size_t len)
{
    /* the controls that count, bit c of the mask for byte c < 32 */
    static const uint32_t ctl = ~(uint32_t)((1u << '\t') | (1u << '\n') | (1u << '\v') |
                                            (1u << '\f') | (1u << '\r') | (1u << 0x1b));
    const unsigned char *s = (const unsigned char *)p;
    size_t n = len < BINARY_SNIFF ? len : BINARY_SNIFF, k = 0;
    if ((n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) ||
        (n >= 4 && s[0] == 0 && s[1] == 0 && s[2] == 0xFE && s[3] == 0xFF))
        return 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] < 32 ? (ctl >> s[i]) & 1 : s[i] == 0x7F;
    return k >= 2 && k * 20 > n ? k : 0;
}

static chaff_status worker_init(struct worker *w, const chaff_rules *r, size_t max_doc,
                                bool annotate)
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

static void worker_free(struct worker *w)
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
    buf_init(&f->batch_data, 0);
    f->jobs = f->opt.jobs > 1 && f->opt.framing != CHAFF_FRAME_TEXT ? f->opt.jobs : 1;
    if (f->jobs > 64)
        f->jobs = 64;
    if (!st && (f->opt.flags & CHAFF_LEARN)) {
        f->jobs = 1;
        f->write = discard; /* the learner writes nothing but its result */
        if (!(f->learn = learn_new(0)))
            st = CHAFF_E_NOMEM;
    }
    if (!st) {
        f->w = chaff_xcalloc(f->jobs, sizeof *f->w);
        f->batch = chaff_xcalloc(BATCH_RECORDS, sizeof *f->batch);
        if (!f->w || !f->batch)
            st = CHAFF_E_NOMEM;
    }
    for (unsigned i = 0; !st && i < f->jobs; i++)
        st = worker_init(&f->w[i], rules, f->opt.max_doc, f->opt.annotate != NULL);
    if (st) {
        chaff_filter_free(f);
        return st;
    }
    for (size_t i = 0; i < BATCH_RECORDS; i++) {
        buf_init(&f->batch[i].out, 0);
        buf_init(&f->batch[i].xout, 0);
    }
    *out = f;
    return CHAFF_OK;
}

void chaff_filter_free(chaff_filter *f)
{
    if (!f)
        return;
    if (f->w)
        for (unsigned i = 0; i < f->jobs; i++)
            worker_free(&f->w[i]);
    if (f->batch)
        for (size_t i = 0; i < BATCH_RECORDS; i++) {
            buf_free(&f->batch[i].out);
            buf_free(&f->batch[i].xout);
        }
    chaff_xfree(f->w);
    chaff_xfree(f->batch);
    buf_free(&f->batch_data);
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

/* Start counting one record's figures for chaff_options.annotate. */
static void rec_figures_reset(const chaff_filter *f, struct worker *w)
{
    w->rec_chars_in = w->rec_chars_removed = 0;
    if (w->rec_cat)
        memset(w->rec_cat, 0, f->rules->n_categories * sizeof *w->rec_cat);
    memset(w->rec_heur, 0, sizeof w->rec_heur);
}

/* The annotation of one record into w->annot: a JSON object of its lines
 * in and out (from the counters' values before it, lines0 and out0), the
 * characters its dropped lines held and their share, and its removals by
 * rule category and by heuristic, shaped like --stats. */
static chaff_status rec_figures_json(const chaff_filter *f, struct worker *w, uint64_t lines0,
                                     uint64_t out0)
{
    struct buf *b = &w->annot;
    buf_reset(b);
    double share = w->rec_chars_in ? (double)w->rec_chars_removed / (double)w->rec_chars_in : 0;
    buf_addf(b,
             "{\"lines_in\":%llu,\"lines_out\":%llu,\"chars_removed\":%llu,"
             "\"removed_share\":%.4f,\"by_category\":{",
             (unsigned long long)(w->st.lines_in - lines0),
             (unsigned long long)(w->st.lines_out - out0), (unsigned long long)w->rec_chars_removed,
             share);
    const char *sep = "";
    for (uint32_t c = 0; w->rec_cat && c < f->rules->n_categories; c++) {
        if (!w->rec_cat[c])
            continue;
        buf_addf(b, "%s\"", sep);
        jsonl_encode(b, f->rules->categories[c], strlen(f->rules->categories[c]));
        buf_addf(b, "\":%llu", (unsigned long long)w->rec_cat[c]);
        sep = ",";
    }
    buf_adds(b, "},\"by_heuristic\":{");
    sep = "";
    for (unsigned why = 0; why < R_COUNT; why++) {
        if (!w->rec_heur[why])
            continue;
        buf_addf(b, "%s\"%s\":%llu", sep, cls_reason_name(why),
                 (unsigned long long)w->rec_heur[why]);
        sep = ",";
    }
    return buf_adds(b, "}}");
}

/* ---- one document ------------------------------------------------------ */

/*
 * Clean UTF-8 text[0..len) (a piece of at most WINDOW_LINES lines of one
 * document) and put the kept text out through out (or append the explain
 * listing to out->buf).
 */
static chaff_status clean_piece(const chaff_filter *f, struct worker *w, const char *text,
                                size_t len, const char *host, bool at_head, bool at_tail,
                                struct emit_state *es, struct emit_sink *out, struct join *jn)
{
    chaff_status st;
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

/*
 * Clean utf8-or-not bytes doc[0..len) as one document (or one window of
 * one), putting the kept text out through out (an explain listing or the
 * features are appended to out->buf, which must be set for them).  charset may
 * be NULL (detect) and receives the charset used when charset_out != NULL.
 *
 * Each line costs a line structure, features and decisions (about 200
 * bytes) whatever its length, so a document of many short or empty lines
 * would cost far more than its size: the decoded text is judged in pieces
 * of at most WINDOW_LINES lines, cut at line ends, as the text framing
 * cuts windows (head rules see the first piece, tail rules the last,
 * blank-line collapsing carries over).  Each piece after the first counts
 * as a window.
 */
static chaff_status clean_doc(const chaff_filter *f, struct worker *w, const char *doc, size_t len,
                              const char *from, const char *hint, const char *host, bool at_head,
                              bool at_tail, struct emit_state *es, struct emit_sink *out,
                              char *charset_out, struct join *jn)
{
    buf_reset(&w->dec);
    struct dec_info di;
    memset(&di, 0, sizeof di);
    const char *t;
    size_t tl;
    chaff_status st = dec_text(&w->dc, doc, len, from, from ? NULL : hint, &w->dec, &di, &t, &tl);
    if (st)
        return st;
    if (charset_out)
        snprintf(charset_out, 40, "%s", di.charset);
    w->st.replacements += di.n_invalid;
    w->st.controls += di.n_controls;
    w->last_dec = di;
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
        st = clean_piece(f, w, t + off, k, host, at_head && first, at_tail && last, es, out, jn);
        if (jn)
            jn->cont = false; /* only the first piece can continue a cut line */
        off += k;
    } while (!st && off < tl);
    if (w->dec.cap > SLOT_KEEP) /* after a document that had to be converted */
        buf_free(&w->dec);
    return st;
}

/* The warning for a record written through unchanged because of st. */
static void record_failed(struct slot *s, chaff_status st)
{
    snprintf(s->warn, sizeof s->warn, "record %llu: %s; passed through unchanged",
             (unsigned long long)s->no, chaff_strerror(st));
}

/* Note in s the figures of the record just cleaned for by_site: under
 * host, the lines counted since in0 and out0 (the worker's lines_in and
 * lines_out before it). */
static void slot_site(struct slot *s, const struct worker *w, const char *host, uint64_t in0,
                      uint64_t out0)
{
    snprintf(s->site, sizeof s->site, "%s", host ? host : "");
    s->site_in = w->st.lines_in - in0;
    uint64_t out = w->st.lines_out - out0;
    s->site_removed = s->site_in > out ? s->site_in - out : 0;
}

/* Clean one record of a record framing into s->out (delimiter included).
 * Never fails the stream: a record that cannot be cleaned is copied. */
static void clean_warc(const chaff_filter *f, struct worker *w, struct slot *s);

/* Append p[0..n) to b with control characters made spaces: a heading
 * stays one line whatever an id or URL holds. */
static void add_one_line(struct buf *b, const char *p, size_t n)
{
    size_t at = b->len;
    buf_add(b, p, n);
    for (size_t i = at; !b->err && i < b->len; i++)
        if ((unsigned char)b->p[i] < 0x20)
            b->p[i] = ' ';
}

/* Start s's explain block for explain_write, "# record N id=… url=…", and
 * have the worker's listing go after it; nothing without explain_write. */
static void xout_head(const chaff_filter *f, struct worker *w, struct slot *s, const char *id,
                      size_t id_len, const char *url, size_t url_len)
{
    buf_reset(&s->xout);
    w->xout = f->opt.explain_write ? &s->xout : NULL;
    if (!w->xout)
        return;
    buf_addf(&s->xout, "# record %llu", (unsigned long long)s->no);
    if (id_len) {
        buf_adds(&s->xout, " id=");
        add_one_line(&s->xout, id, id_len);
    }
    if (url_len) {
        buf_adds(&s->xout, " url=");
        add_one_line(&s->xout, url, url_len);
    }
    buf_addc(&s->xout, '\n');
}

/* Write a record through as it came, with its delimiter; error: it could
 * not be cleaned (else it simply has nothing to clean).  Its bytes are
 * written from where they lie (emit_slot), not copied. */
static void pass_record(struct worker *w, struct slot *s, const char *delim, size_t delim_len,
                        bool error)
{
    if (error)
        w->st.records_error++;
    buf_reset(&s->out);
    buf_reset(&s->xout); /* a listing begun before an error says nothing true */
    s->pass = delim;
    s->pass_len = delim_len;
    w->st.bytes_out += s->len + delim_len;
}

static void clean_record(const chaff_filter *f, struct worker *w, struct slot *s)
{
    if (f->opt.framing == CHAFF_FRAME_WARC) {
        clean_warc(f, w, s);
        return;
    }
    const char delim = f->opt.framing == CHAFF_FRAME_NUL ? '\0' : '\n';
    const char *rec = s->in;
    size_t len = s->len;
    /* listings are built whole; so is the record with an annotation,
     * which goes before the text when its member does */
    const bool listing = f->opt.flags & (CHAFF_EXPLAIN | CHAFF_DUMP_FEATURES);
    s->direct = s->alone && !listing;
    s->fatal = CHAFF_OK;
    s->pass = NULL;
    struct emit_sink sink;
    buf_reset(&s->out);
    s->warn[0] = '\0';
    s->lang_bad[0] = '\0';
    s->no_field = false;
    s->site[0] = '\0';
    buf_reset(&s->xout);
    w->xout = NULL;
    w->rec_langs = 0;
    w->st.records++;
    w->st.bytes_in += len;
    /* a CR before the newline is no part of the record, but it is written
     * back before the delimiter: line ends come out as they went in */
    const bool cr = f->opt.framing != CHAFF_FRAME_NUL && len && rec[len - 1] == '\r';
    if (cr)
        len--;
    struct emit_state es = {0};
    chaff_status st;
    size_t out0 = 0;
    if (f->opt.framing == CHAFF_FRAME_JSONL || f->opt.framing == CHAFF_FRAME_TSV_JSONL) {
        struct jsonl_rec jr;
        char msg[128] = "";
        buf_reset(&w->text);
        buf_reset(&w->url);
        buf_reset(&w->lang);
        size_t k = 0;
        while (k < len && (rec[k] == ' ' || rec[k] == '\t'))
            k++;
        if (k == len) { /* an empty line stays as it is, and is no record */
            w->st.records--;
            goto passthrough_quiet;
        }
        /* tsv-jsonl: the key and its tab (Hadoop Streaming, Spark pipe())
         * go out as they came; the JSON after them is the record */
        size_t key = 0;
        if (f->opt.framing == CHAFF_FRAME_TSV_JSONL) {
            const char *tab = memchr(rec, '\t', len);
            if (!tab) {
                snprintf(s->warn, sizeof s->warn,
                         "record %llu: no tab between key and JSON; passed through unchanged",
                         (unsigned long long)s->no);
                goto passthrough;
            }
            key = (size_t)(tab - rec) + 1;
        }
        buf_reset(&w->id);
        const char *const path[JSONL_N] = {f->opt.field, f->opt.url_field, f->opt.lang_field,
                                           f->opt.explain_write ? "id" : NULL, f->opt.annotate};
        struct buf *const to[JSONL_N] = {&w->text, &w->url, &w->lang, &w->id, NULL};
        st = jsonl_parse_paths(rec + key, len - key, path, to, &jr, msg);
        if (!st && jr.m[JSONL_LANG].kind == JSONL_STRING)
            w->rec_langs = lang_from_record(w->lang.p, w->lang.len, s->lang_bad);
        if (st) {
            snprintf(s->warn, sizeof s->warn, "record %llu: %s%s%s", (unsigned long long)s->no,
                     st == CHAFF_E_DATA ? "malformed json: " : chaff_strerror(st),
                     st == CHAFF_E_DATA ? msg : "", "; passed through unchanged");
            goto passthrough;
        }
        if (!jr.has_text) {
            /* absent, unlike null or a number, is what a misspelt
             * --field looks like: counted, and said once */
            if (jr.m[JSONL_TEXT].kind == JSONL_ABSENT) {
                w->st.records_no_field++;
                s->no_field = true;
            }
            goto passthrough_quiet;
        }
        if (binary_controls(w->text.p, w->text.len)) {
            w->n_binary++;
            snprintf(s->warn, sizeof s->warn, "record %llu: binary data; passed through unchanged",
                     (unsigned long long)s->no);
            goto passthrough;
        }
        char host[256];
        cls_host(w->url.len ? w->url.p : f->opt.url, host, sizeof host);
        struct buf *clean = &w->clean;
        buf_reset(clean);
        uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
        rec_figures_reset(f, w);
        if (f->opt.explain_write) {
            const struct jsonl_member *id = &jr.m[JSONL_ID];
            bool raw = id->kind == JSONL_OTHER; /* a number, as written */
            xout_head(f, w, s, raw ? rec + key + id->start : w->id.p,
                      raw ? id->end - id->start : w->id.len, w->url.p, w->url.len);
        }
        /* The record is put out around its text as the text is cleaned:
         * the bytes before the text's value (pre), the text encoded a
         * piece at a time, then the rest (frame after text_at).  Neither
         * the cleaned text nor the record out is held whole. */
        const bool whole = listing || f->opt.annotate;
        size_t text_at = 0;
        if (!whole) {
            buf_reset(&w->frame);
            buf_add(&w->frame, rec, key);
            st = jsonl_splice_frame(rec + key, len - key, &jr, NULL, NULL, 0, &w->frame, &text_at);
            if (!st && cr)
                st = buf_addc(&w->frame, '\r');
            if (!st)
                st = buf_addc(&w->frame, delim);
            if (!st && NEVER(text_at == SIZE_MAX))
                st = CHAFF_E_INVAL;
            if (st) {
                record_failed(s, st);
                goto passthrough;
            }
            text_at += key;
            s->direct = s->alone;
            emit_sink_init(&sink, s->direct ? NULL : &s->out, f->write, f->ud, &w->stage);
            sink.mode = EMIT_JSON;
            sink.pre = w->frame.p;
            sink.pre_len = text_at;
        } else {
            s->direct = false;
            emit_sink_init(&sink, clean, NULL, NULL, NULL);
        }
        st = clean_doc(f, w, w->text.p ? w->text.p : "", w->text.len, f->opt.from, NULL, host, true,
                       true, &es, &sink, NULL, NULL);
        slot_site(s, w, host, lines0, kept0);
        if (!whole) {
            if (!st && !sink.started && (f->opt.flags & CHAFF_DROP_EMPTY)) {
                w->st.records_dropped++; /* nothing is written for it */
            } else if (!st) {
                emit_raw(&sink, w->frame.p + text_at, w->frame.len - text_at);
                st = emit_flush(&sink);
            }
            if (w->frame.cap > SLOT_KEEP)
                buf_free(&w->frame);
            if (st && s->direct && sink.n_out) {
                s->fatal = st; /* part of it is out: it cannot pass through */
                return;
            }
            if (st) {
                record_failed(s, st);
                goto passthrough;
            }
            w->st.bytes_out += s->direct ? sink.n_out : s->out.len;
            return;
        }
        if (!st && f->opt.annotate)
            st = rec_figures_json(f, w, lines0, kept0);
        if (!st && !clean->len && (f->opt.flags & CHAFF_DROP_EMPTY) &&
            !(f->opt.flags & CHAFF_EXPLAIN)) {
            w->st.records_dropped++; /* nothing is written for it */
        } else if (!st) {
            if (f->opt.flags & CHAFF_EXPLAIN) {
                buf_addf(&s->out, "# record %llu\n", (unsigned long long)s->no);
                buf_add(&s->out, clean->p, clean->len);
                st = s->out.err;
            } else {
                buf_add(&s->out, rec, key);
                st = jsonl_splice_annot(rec + key, len - key, &jr, clean->p ? clean->p : "",
                                        clean->len, f->opt.annotate, w->annot.p, w->annot.len,
                                        &s->out);
                if (!st && cr)
                    st = buf_addc(&s->out, '\r');
                if (!st)
                    st = buf_addc(&s->out, delim);
            }
        }
        if (clean->cap > SLOT_KEEP)
            buf_free(clean);
        if (st) {
            record_failed(s, st);
            goto passthrough;
        }
        w->st.bytes_out += s->out.len;
        return;
    }
    if (binary_controls(rec, len)) {
        /* the output is text: the record is refused, written empty */
        w->n_binary++;
        w->st.records_error++;
        snprintf(s->warn, sizeof s->warn, "record %llu: binary data; refused, written empty",
                 (unsigned long long)s->no);
        if (cr)
            buf_addc(&s->out, '\r');
        buf_addc(&s->out, delim);
        w->st.bytes_out += s->out.len;
        return;
    }
    if (f->opt.flags & CHAFF_EXPLAIN) {
        buf_addf(&s->out, "# record %llu\n", (unsigned long long)s->no);
        out0 = s->out.len;
    }
    xout_head(f, w, s, NULL, 0, f->opt.url, f->opt.url ? strlen(f->opt.url) : 0);
    uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
    emit_sink_init(&sink, s->direct ? NULL : &s->out, f->write, f->ud, &w->stage);
    if (f->opt.framing == CHAFF_FRAME_LINES)
        sink.mode = EMIT_ONE_LINE; /* one line in, one line out: the cleaned text adds none */
    st = clean_doc(f, w, rec, len, f->opt.from, s->hint, f->host, true, true, &es, &sink, NULL,
                   NULL);
    slot_site(s, w, f->host, lines0, kept0);
    if (!st && !sink.n_out && s->out.len == out0 && (f->opt.flags & CHAFF_DROP_EMPTY) &&
        !(f->opt.flags & CHAFF_EXPLAIN)) {
        w->st.records_dropped++; /* nothing is written for it */
        return;
    }
    if (!st && sink.buf && f->opt.framing == CHAFF_FRAME_LINES && !(f->opt.flags & CHAFF_EXPLAIN))
        for (size_t i = out0; i < s->out.len; i++) /* the feature listing too */
            if (s->out.p[i] == '\n')
                s->out.p[i] = ' ';
    if (!st && cr && !(f->opt.flags & CHAFF_EXPLAIN))
        st = emit_raw(&sink, "\r", 1);
    if (!st && !(f->opt.flags & CHAFF_EXPLAIN))
        st = emit_raw(&sink, &delim, 1);
    if (!st)
        st = emit_flush(&sink);
    if (st && s->direct && sink.n_out) {
        s->fatal = st; /* part of it is out: it cannot pass through */
        return;
    }
    if (st) {
        record_failed(s, st);
        goto passthrough;
    }
    w->st.bytes_out += s->direct ? sink.n_out : s->out.len;
    return;
passthrough:
    pass_record(w, s, delim ? "\n" : "", 1, true);
    return;
passthrough_quiet:
    pass_record(w, s, delim ? "\n" : "", 1, false);
}

/* One WARC record (header block and block, without the separator after it)
 * into s->out, separator included.  Text records get their block cleaned
 * and their header written again (Content-Length; digests dropped when the
 * block changed); every other record is copied. */
static void clean_warc(const chaff_filter *f, struct worker *w, struct slot *s)
{
    const char *rec = s->in;
    size_t len = s->len;
    buf_reset(&s->out);
    s->direct = false;
    s->fatal = CHAFF_OK;
    s->pass = NULL;
    s->warn[0] = '\0';
    s->lang_bad[0] = '\0';
    s->site[0] = '\0';
    buf_reset(&s->xout);
    w->xout = NULL;
    w->rec_langs = 0;
    w->st.records++;
    w->st.bytes_in += len;
    struct warc_head h;
    char msg[128] = "";
    size_t hl = warc_head_end(rec, len < WARC_HEAD_MAX ? len : WARC_HEAD_MAX);
    chaff_status st = hl ? warc_parse(rec, hl, &h, msg) : CHAFF_E_DATA;
    if (st) { /* the reader checked the header; stay safe all the same */
        snprintf(s->warn, sizeof s->warn,
                 "record %llu: malformed WARC: %s; passed through unchanged",
                 (unsigned long long)s->no, msg[0] ? msg : "no header end");
        goto passthrough;
    }
    if (!warc_is_text(&h)) {
        if (f->opt.flags & CHAFF_EXPLAIN) {
            buf_addf(&s->out, "# record %llu: WARC-Type %.*s, not text: passed through\n",
                     (unsigned long long)s->no, (int)(h.type_len < 40 ? h.type_len : 40),
                     h.type ? h.type : "(none)");
            w->st.bytes_out += s->out.len;
            return;
        }
        goto passthrough_quiet;
    }
    char host[256], cs[40];
    buf_reset(&w->url);
    if (h.uri)
        buf_add(&w->url, h.uri, h.uri_len);
    cls_host(w->url.len ? w->url.p : f->opt.url, host, sizeof host);
    if (binary_controls(rec + hl, len - hl)) {
        w->n_binary++;
        snprintf(s->warn, sizeof s->warn, "record %llu: binary data; passed through unchanged",
                 (unsigned long long)s->no);
        goto passthrough;
    }
    warc_charset(&h, cs);
    if (h.lang) { /* WET's language identification; codes without rules are dropped */
        char bad[16];
        w->rec_langs = lang_from_record(h.lang, h.lang_len, bad);
    }
    const char *from = f->opt.from ? f->opt.from : cs[0] ? cs : NULL;
    struct buf *clean = &w->clean;
    buf_reset(clean);
    struct emit_state es = {0};
    struct emit_sink k; /* the block is built whole: its length goes before it */
    emit_sink_init(&k, clean, NULL, NULL, NULL);
    xout_head(f, w, s, h.rid, h.rid_len, h.uri, h.uri_len);
    uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
    st = clean_doc(f, w, rec + hl, len - hl, from, NULL, host, true, true, &es, &k, NULL, NULL);
    if (st == CHAFF_E_CHARSET && from == cs) { /* a declared name nobody knows: detect */
        buf_reset(clean);
        emit_sink_init(&k, clean, NULL, NULL, NULL);
        xout_head(f, w, s, h.rid, h.rid_len, h.uri, h.uri_len);
        es = (struct emit_state){0};
        st = clean_doc(f, w, rec + hl, len - hl, NULL, NULL, host, true, true, &es, &k, NULL, NULL);
    }
    slot_site(s, w, host, lines0, kept0);
    if (!st && !(f->opt.flags & CHAFF_EXPLAIN) && clean->len)
        st = buf_addc(clean, '\n');
    if (!st && !clean->len && (f->opt.flags & CHAFF_DROP_EMPTY) &&
        !(f->opt.flags & CHAFF_EXPLAIN)) {
        w->st.records_dropped++; /* nothing is written for it */
    } else if (!st) {
        if (f->opt.flags & CHAFF_EXPLAIN) {
            buf_addf(&s->out, "# record %llu\n", (unsigned long long)s->no);
            buf_add(&s->out, clean->p, clean->len);
        } else {
            int changed = clean->len != len - hl ||
                          (clean->len && memcmp(clean->p, rec + hl, clean->len) != 0);
            warc_write_head(rec, &h, clean->len, changed, &s->out);
            if (s->alone && !s->out.err) {
                /* alone: the block is written from where it lies, not
                 * copied after its header */
                s->direct = true;
                if (f->write(f->ud, s->out.p, s->out.len) ||
                    (clean->len && f->write(f->ud, clean->p, clean->len)) ||
                    f->write(f->ud, "\r\n\r\n", 4)) {
                    s->fatal = CHAFF_E_WRITE;
                    return;
                }
                w->st.bytes_out += s->out.len + clean->len + 4;
                buf_reset(&s->out);
                if (clean->cap > SLOT_KEEP)
                    buf_free(clean);
                return;
            }
            buf_add(&s->out, clean->p, clean->len);
            buf_add(&s->out, "\r\n\r\n", 4);
        }
        st = s->out.err;
    }
    if (clean->cap > SLOT_KEEP)
        buf_free(clean);
    if (st) {
        record_failed(s, st);
        goto passthrough;
    }
    w->st.bytes_out += s->out.len;
    return;
passthrough:
    pass_record(w, s, "\r\n\r\n", 4, true);
    return;
passthrough_quiet:
    pass_record(w, s, "\r\n\r\n", 4, false);
}

/* ---- batches ----------------------------------------------------------- */

struct batch_job {
    chaff_filter *f;
    unsigned wi;
    size_t next; /* records are dealt round-robin: record k to worker k % jobs */
};

static void *batch_thread(void *arg)
{
    struct batch_job *j = arg;
    chaff_filter *f = j->f;
    for (size_t k = j->wi; k < f->n_batch; k += f->jobs)
        clean_record(f, &f->w[j->wi], &f->batch[k]);
    return NULL;
}

/* Add the counts of st to the totals and clear them. */
static void stats_take(chaff_stats *total, chaff_stats *st)
{
    total->records += st->records;
    total->records_error += st->records_error;
    total->lines_in += st->lines_in;
    total->lines_out += st->lines_out;
    total->bytes_in += st->bytes_in;
    total->bytes_out += st->bytes_out;
    total->replacements += st->replacements;
    total->controls += st->controls;
    total->dropped_rule += st->dropped_rule;
    total->dropped_heuristic += st->dropped_heuristic;
    total->budget_backoffs += st->budget_backoffs;
    total->windows += st->windows;
    total->records_no_field += st->records_no_field;
    total->records_dropped += st->records_dropped;
    memset(st, 0, sizeof *st);
}

/* Warn about and write one cleaned record; *st keeps the first write
 * error (later records are still warned about, not written). */
static void emit_slot(chaff_filter *f, struct slot *s, chaff_status *st)
{
    if (s->warn[0])
        warnf(f, "%s", s->warn);
    if (s->no_field && !f->field_warned) {
        f->field_warned = true;
        warnf(f,
              "record %llu: no field '%s'; such records pass through unchanged (said once, "
              "counted in records_no_field)",
              (unsigned long long)s->no, f->opt.field);
    }
    if (s->lang_bad[0] && !f->lang_warned) {
        f->lang_warned = true;
        warnf(f, "record %llu: no rules for language '%s' in field '%s'; ignored (said once)",
              (unsigned long long)s->no, s->lang_bad, f->opt.lang_field);
    }
    if (s->site[0]) /* a failure is sticky in the table, and told by the summary */
        sites_add(&f->sites, s->site, 1, s->site_in, s->site_removed);
    s->site[0] = '\0';
    if (!*st && s->pass &&
        ((s->len && f->write(f->ud, s->in, s->len)) || f->write(f->ud, s->pass, s->pass_len)))
        *st = CHAFF_E_WRITE;
    s->pass = NULL;
    if (!*st && s->out.len && f->write(f->ud, s->out.p, s->out.len))
        *st = CHAFF_E_WRITE;
    if (!*st && s->xout.len && f->opt.explain_write &&
        f->opt.explain_write(f->opt.explain_ud, s->xout.p, s->xout.len))
        *st = CHAFF_E_WRITE;
    buf_reset(&s->xout);
    if (s->xout.cap > SLOT_KEEP)
        buf_free(&s->xout);
    s->in = NULL;
    /* keep small output buffers for reuse, drop big ones */
    if (s->out.cap > SLOT_KEEP)
        buf_free(&s->out);
}

static chaff_status flush_batch(chaff_filter *f)
{
    if (!f->n_batch)
        return CHAFF_OK;
    for (size_t k = 0; k < f->n_batch; k++)
        f->batch[k].in = f->batch_data.p + f->batch[k].off;
    if (f->jobs > 1 && f->n_batch > 1) {
        pthread_t th[64];
        struct batch_job jobs[64];
        unsigned started = 0;
        for (unsigned i = 1; i < f->jobs; i++) {
            jobs[i] = (struct batch_job){.f = f, .wi = i};
            if (pthread_create(&th[i], NULL, batch_thread, &jobs[i]) != 0)
                break;
            started = i;
        }
        jobs[0] = (struct batch_job){.f = f, .wi = 0};
        batch_thread(&jobs[0]);
        for (unsigned i = 1; i <= started; i++)
            pthread_join(th[i], NULL);
        /* records of workers that could not start: clean them here */
        for (unsigned i = started + 1; i < f->jobs; i++)
            for (size_t k = i; k < f->n_batch; k += f->jobs)
                clean_record(f, &f->w[0], &f->batch[k]);
    } else {
        for (size_t k = 0; k < f->n_batch; k++)
            clean_record(f, &f->w[0], &f->batch[k]);
    }
    for (unsigned i = 0; i < f->jobs; i++)
        stats_take(&f->total, &f->w[i].st);
    chaff_status st = CHAFF_OK;
    for (size_t k = 0; k < f->n_batch; k++)
        emit_slot(f, &f->batch[k], &st);
    f->n_batch = 0;
    buf_reset(&f->batch_data);
    if (f->batch_data.cap > BATCH_BYTES + SLOT_KEEP)
        buf_free(&f->batch_data); /* after a record near the cap */
    return st;
}

/* A complete record: with one job, or when it is large, cleaned and
 * written now, from where it lies (after the batch before it); else copied
 * into the batch, which is flushed when full. */
static chaff_status add_record(chaff_filter *f, const char *rec, size_t len)
{
    if (f->jobs == 1 || len >= ALONE_MIN) {
        chaff_status fst = flush_batch(f);
        if (fst)
            return fst;
        struct slot *s = &f->batch[0];
        s->alone = true;
        s->in = rec;
        s->len = len;
        s->no = ++f->rec_no;
        memcpy(s->hint, f->rec_hint, sizeof s->hint);
        clean_record(f, &f->w[0], s);
        stats_take(&f->total, &f->w[0].st);
        chaff_status st = CHAFF_OK;
        emit_slot(f, s, &st);
        return st ? st : s->fatal;
    }
    struct slot *s = &f->batch[f->n_batch];
    s->alone = false;
    s->off = f->batch_data.len;
    if (buf_add(&f->batch_data, rec, len))
        return f->batch_data.err;
    s->len = len;
    s->no = ++f->rec_no;
    memcpy(s->hint, f->rec_hint, sizeof s->hint);
    f->n_batch++;
    if (f->n_batch == BATCH_RECORDS || f->batch_data.len >= BATCH_BYTES)
        return flush_batch(f);
    return CHAFF_OK;
}

/* ---- text framing windows --------------------------------------------- */

static chaff_status text_window(chaff_filter *f, const char *p, size_t len, bool last)
{
    struct worker *w = &f->w[0];
    /* the kept text is written as it is made; a listing is built whole */
    const bool listing = f->opt.flags & (CHAFF_EXPLAIN | CHAFF_DUMP_FEATURES);
    struct buf out;
    buf_init(&out, 0);
    struct emit_sink k;
    emit_sink_init(&k, listing ? &out : NULL, f->write, f->ud, &w->stage);
    bool first = !f->win_started;
    if (first)
        w->st.records++;
    else
        w->st.windows++;
    w->st.bytes_in += len;
    const char *from = f->opt.from ? f->opt.from : (first ? NULL : f->win_charset);
    struct buf xo; /* the listing beside the text (explain_write) */
    buf_init(&xo, 0);
    if (f->opt.explain_write) {
        w->xout = &xo;
        if (first) {
            buf_addf(&xo, "# document %llu", (unsigned long long)f->total.records + 1);
            if (f->opt.url) {
                buf_adds(&xo, " url=");
                add_one_line(&xo, f->opt.url, strlen(f->opt.url));
            }
            buf_addc(&xo, '\n');
        }
    }
    uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
    chaff_status st = clean_doc(f, w, p, len, from, NULL, f->host, first, last, &f->es, &k,
                                first ? f->win_charset : NULL, &f->join);
    if (f->host[0]) { /* the document counts once, its lines window by window */
        uint64_t in = w->st.lines_in - lines0, kept = w->st.lines_out - kept0;
        sites_add(&f->sites, f->host, first ? 1 : 0, in, in > kept ? in - kept : 0);
    }
    w->xout = NULL;
    f->win_started = true;
    /* a window that cannot be cleaned passes through, unless part of its
     * text is written already */
    if ((st == CHAFF_E_CHARSET || st == CHAFF_E_TOOBIG) && (listing || !k.n_out)) {
        warnf(f, "document: %s; passed through unchanged", chaff_strerror(st));
        w->st.records_error++;
        buf_reset(&out);
        emit_sink_init(&k, listing ? &out : NULL, f->write, f->ud, &w->stage);
        st = emit_raw(&k, p, len);
    }
    if (!st && last && !(f->opt.flags & CHAFF_EXPLAIN) && (f->es.any || k.n_out || out.len))
        st = emit_raw(&k, "\n", 1);
    if (!st)
        st = emit_flush(&k);
    if (!st && listing && out.len && f->write(f->ud, out.p, out.len))
        st = CHAFF_E_WRITE;
    if (!st && xo.len && f->opt.explain_write(f->opt.explain_ud, xo.p, xo.len))
        st = CHAFF_E_WRITE;
    w->st.bytes_out += listing ? out.len : k.n_out;
    stats_take(&f->total, &w->st);
    buf_free(&out);
    buf_free(&xo);
    return st;
}

/* ---- feed / finish ----------------------------------------------------- */

/* Where to cut a line of q[0..cap] longer than the cap: at most cap
 * bytes, between two characters that are not white space (each piece is
 * trimmed, so a space at the cut would be lost) and never inside a UTF-8
 * sequence; q[cap] must be readable. */
STATIC size_t text_line_cut(const char *q, size_t cap)
{
    size_t lo = cap > 4096 ? cap - 4096 : 1;
    for (size_t k = cap; k >= lo && k > 0; k--) {
        unsigned char a = (unsigned char)q[k - 1], b = (unsigned char)q[k];
        if ((b & 0xC0) != 0x80 && a != ' ' && a != '\t' && a != '\r' && b != ' ' && b != '\t' &&
            b != '\r')
            return k;
    }
    for (size_t k = cap; k > 0 && cap - k < 4; k--) /* white space all along */
        if (((unsigned char)q[k] & 0xC0) != 0x80)
            return k;
    return cap;
}

/* The last '\n' of q[0..n), or NULL (memrchr is not standard C). */
static const char *last_nl(const char *q, size_t n)
{
    while (n > 0)
        if (q[--n] == '\n')
            return q + n;
    return NULL;
}

/* Text framing: once the first BINARY_SNIFF bytes of the document (or
 * all of it, when shorter) are in, decide whether it is binary.  The
 * output is text, so a binary document is refused: nothing is written, its
 * bytes are read and dropped as they come, and it is counted as a record
 * with an error, with a message.  The decision does not depend on how the
 * input was cut into feeds. */
static chaff_status text_sniff(chaff_filter *f, bool at_end)
{
    size_t sniff = BINARY_SNIFF < f->opt.max_doc ? BINARY_SNIFF : f->opt.max_doc;
    if (f->text_kind || (!at_end && f->pend.len < sniff))
        return CHAFF_OK;
    size_t k =
        binary_controls(f->pend.p ? f->pend.p : "", f->pend.len < sniff ? f->pend.len : sniff);
    f->text_kind = k ? 2 : 1;
    if (!k)
        return CHAFF_OK;
    f->n_binary++;
    f->total.records++;
    f->total.records_error++;
    warnf(f, "document: binary data (%zu control bytes in the first %zu); refused, nothing written",
          k, f->pend.len < BINARY_SNIFF ? f->pend.len : BINARY_SNIFF);
    f->total.bytes_in += f->pend.len;
    buf_reset(&f->pend);
    return CHAFF_OK;
}

/* Clean the windows the pending text holds beyond the cap. */
static chaff_status text_windows(chaff_filter *f)
{
    while (f->pend.len > f->opt.max_doc) {
        /* window: up to the cap, cut after the last line end in it; a
         * single line longer than the cap is cut (text_line_cut) and its
         * pieces are joined again in the output when both are kept, so
         * memory stays bounded by the cap */
        const char *q = f->pend.p;
        const char *nl = last_nl(q, f->opt.max_doc);
        size_t cut = nl ? (size_t)(nl - q) + 1 : text_line_cut(q, f->opt.max_doc);
        if (!nl && !f->cut_warned) {
            f->cut_warned = true;
            warnf(f,
                  "document: a line longer than the document cap (%zu bytes) is cleaned in "
                  "pieces",
                  f->opt.max_doc);
        }
        chaff_status st = text_window(f, q, cut, false);
        if (st)
            return st;
        f->join.cont = !nl;
        memmove(f->pend.p, q + cut, f->pend.len - cut);
        f->pend.len -= cut;
    }
    return CHAFF_OK;
}

static chaff_status feed_text(chaff_filter *f, const char *p, size_t len)
{
    if (f->text_kind == 2) { /* binary: refused */
        f->total.bytes_in += len;
        return CHAFF_OK;
    }
    if (buf_add(&f->pend, p, len))
        return f->pend.err;
    chaff_status st = text_sniff(f, false);
    return st || f->text_kind != 1 ? st : text_windows(f);
}

/* A record the reader writes through itself (one over the cap, or bytes
 * that are no record): the records before it go out first, and it counts
 * as a record passed through with an error.  The caller warns and writes. */
static chaff_status reader_pass(chaff_filter *f)
{
    chaff_status st = flush_batch(f);
    if (st)
        return st;
    f->rec_no++;
    f->total.records++;
    f->total.records_error++;
    return CHAFF_OK;
}

static void warn_over_cap(const chaff_filter *f)
{
    warnf(f, "record %llu: larger than the document cap (%zu bytes); passed through unchanged",
          (unsigned long long)f->rec_no, f->opt.max_doc);
}

static chaff_status feed_records(chaff_filter *f, const char *p, size_t len)
{
    const char delim = f->opt.framing == CHAFF_FRAME_NUL ? '\0' : '\n';
    if (!f->rec_sniffed) {
        /* one charset for the input's records, from its first block: a
         * record that reads cleanly in it is not detected alone */
        f->rec_sniffed = true;
        f->rec_hint[0] = '\0';
        if (!f->opt.from && f->opt.framing != CHAFF_FRAME_JSONL &&
            f->opt.framing != CHAFF_FRAME_TSV_JSONL) {
            chaff_status st = dec_sniff(&f->w[0].dc, p, len, f->rec_hint);
            if (st)
                return st;
        }
    }
    while (len) {
        const char *e = memchr(p, delim, len);
        size_t n = e ? (size_t)(e - p) : len;
        if (f->passthrough) {
            /* inside an oversized record: write it through as it comes */
            f->total.bytes_in += n;
            f->total.bytes_out += n + (e ? 1 : 0);
            if ((n && f->write(f->ud, p, n)) || (e && f->write(f->ud, &delim, 1)))
                return CHAFF_E_WRITE;
            if (e)
                f->passthrough = false;
        } else if (f->pend.len + n > f->opt.max_doc) {
            chaff_status st = reader_pass(f);
            if (st)
                return st;
            /* counted like any record passed through: the delimiter is
             * not input text but is output */
            f->total.bytes_in += f->pend.len + n;
            f->total.bytes_out += f->pend.len + n + (e ? 1 : 0);
            warn_over_cap(f);
            if ((f->pend.len && f->write(f->ud, f->pend.p, f->pend.len)) ||
                (n && f->write(f->ud, p, n)) || (e && f->write(f->ud, &delim, 1)))
                return CHAFF_E_WRITE;
            buf_reset(&f->pend);
            f->passthrough = !e;
        } else if (e) {
            chaff_status st;
            if (f->pend.len) {
                if (buf_add(&f->pend, p, n))
                    return f->pend.err;
                st = add_record(f, f->pend.p, f->pend.len);
                buf_reset(&f->pend);
            } else {
                st = add_record(f, p, n);
            }
            if (st)
                return st;
        } else if (buf_add(&f->pend, p, n)) {
            return f->pend.err;
        }
        if (!e)
            break;
        len -= n + 1;
        p = e + 1;
    }
    return CHAFF_OK;
}

/* Bytes that are not a WARC record (before the first record, or after a
 * malformed header up to the next line that starts a record), written
 * through as they are, in order, and reported. */
static chaff_status warc_garbage(chaff_filter *f, const char *p, size_t n, const char *why)
{
    chaff_status st = reader_pass(f);
    if (st)
        return st;
    f->total.bytes_in += n;
    f->total.bytes_out += n;
    warnf(f, "record %llu: malformed WARC: %s; %zu bytes passed through unchanged",
          (unsigned long long)f->rec_no, why, n);
    return n && f->write(f->ud, p, n) ? CHAFF_E_WRITE : CHAFF_OK;
}

/* The offset of the next line of b[from..n) that starts a record, or n;
 * *wait is set when the buffer ends too early to tell. */
static size_t warc_next_start(const char *b, size_t from, size_t n, bool *wait)
{
    *wait = false;
    for (size_t k = from; k < n;) {
        const char *nl = memchr(b + k, '\n', n - k);
        if (!nl)
            break;
        k = (size_t)(nl - b) + 1;
        int is = warc_is_start(b + k, n - k);
        if (is == 1)
            return k;
        if (is < 0) {
            *wait = true;
            return k;
        }
    }
    return n;
}

/* The offset of the first record header inside b[from..to): a WARC
 * version line after a blank line whose header block parses (its end may
 * lie up to n).  0 when there is none; *wait is set when one may start
 * there but its header block is not complete in b[0..n). */
static size_t warc_inner_record(const char *b, size_t from, size_t to, size_t n, bool *wait)
{
    *wait = false;
    for (size_t k = from; k < to;) {
        const char *w = memchr(b + k, 'W', to - k);
        if (!w)
            break;
        k = (size_t)(w - b);
        bool after_blank = k >= 2 && b[k - 1] == '\n' &&
                           (b[k - 2] == '\n' || (k >= 3 && b[k - 2] == '\r' && b[k - 3] == '\n'));
        int is = after_blank ? warc_is_start(b + k, n - k) : 0;
        if (is < 0) { /* "WARC/" cut by the end of what is here: it may be one */
            *wait = true;
            return k;
        }
        if (is == 1) {
            size_t lim = n - k < WARC_HEAD_MAX ? n - k : WARC_HEAD_MAX;
            size_t hl = warc_head_end(b + k, lim);
            struct warc_head h;
            char msg[128];
            if (hl && warc_parse(b + k, hl, &h, msg) == CHAFF_OK)
                return k;
            if (!hl && lim < WARC_HEAD_MAX) {
                *wait = true;
                return k;
            }
        }
        k++;
    }
    return 0;
}

/* Cut the pending bytes into records: complete ones go to add_record(),
 * over-cap ones are written through (the rest of their block as it comes,
 * see feed_warc), bytes that are not a record are written through with a
 * warning.  At the end of an input a record cut short is written through
 * too. */
static chaff_status warc_drain(chaff_filter *f, bool at_end)
{
    const char *b = f->pend.p;
    size_t n = f->pend.len, pos = 0;
    chaff_status st = CHAFF_OK;
    while (!st && pos < n) {
        if (b[pos] == '\r' || b[pos] == '\n') { /* the blank lines between records */
            pos++;
            continue;
        }
        int is = warc_is_start(b + pos, n - pos);
        if (is < 0 && !at_end)
            break;
        if (is != 1) {
            bool wait;
            size_t k = warc_next_start(b, pos, n, &wait);
            if ((wait || k == n) && !at_end) {
                if (n - pos <= WARC_HEAD_MAX)
                    break; /* the next record may start in bytes still to come */
                k = n - 8; /* keep a tail that may hold the start of "\nWARC/1" */
            }
            st = warc_garbage(f, b + pos, k - pos, "not a WARC record");
            pos = k;
            continue;
        }
        size_t hl = warc_head_end(b + pos, n - pos < WARC_HEAD_MAX ? n - pos : WARC_HEAD_MAX);
        if (!hl) {
            if (!at_end && n - pos < WARC_HEAD_MAX)
                break;
            bool wait;
            size_t k = warc_next_start(b, pos, n, &wait);
            st = warc_garbage(f, b + pos, k - pos, "header without an end");
            pos = k;
            continue;
        }
        struct warc_head h;
        char msg[128];
        if (warc_parse(b + pos, hl, &h, msg)) {
            st = warc_garbage(f, b + pos, hl, msg);
            pos += hl;
            continue;
        }
        if (hl > f->opt.max_doc || h.content_length > f->opt.max_doc - hl) {
            if ((st = reader_pass(f)))
                break;
            warn_over_cap(f);
            uint64_t total = hl + h.content_length;
            size_t avail = n - pos < total ? n - pos : (size_t)total;
            f->total.bytes_in += avail;
            f->total.bytes_out += avail;
            if (f->write(f->ud, b + pos, avail)) {
                st = CHAFF_E_WRITE;
                break;
            }
            pos += avail;
            f->warc_pass = total - avail;
            if (!f->warc_pass) {
                f->total.bytes_out += 4;
                if (f->write(f->ud, "\r\n\r\n", 4))
                    st = CHAFF_E_WRITE;
            }
            continue;
        }
        /* The block is whole once the byte after it is here (or the input
         * ended), and it must be followed by the separator: a
         * Content-Length larger than the block runs into the next record,
         * which would be swallowed.  So a block not followed by a line end,
         * or cut short by the end of the input, is searched for a record
         * header after a blank line; when there is one, the bytes before it
         * are written through as a malformed record and reading goes on
         * from it.  A block that is followed by the separator is taken as
         * it is, whatever it holds (a WARC file archived in a WARC). */
        size_t total = hl + (size_t)h.content_length;
        bool whole = n - pos > total || (at_end && n - pos == total);
        if (!whole && !at_end)
            break;
        size_t after = pos + total;
        if (whole && (after == n || b[after] == '\r' || b[after] == '\n')) {
            st = add_record(f, b + pos, total);
            pos = after;
            continue;
        }
        bool wait;
        size_t k = warc_inner_record(b, pos + hl, whole ? after : n, n, &wait);
        if (wait && !at_end)
            break;
        if (k && !wait) {
            char why[128];
            snprintf(why, sizeof why,
                     "Content-Length %llu runs into the next record (a WARC header at byte %zu "
                     "of the block)",
                     (unsigned long long)h.content_length, k - pos - hl + 1);
            st = warc_garbage(f, b + pos, k - pos, why);
            pos = k;
            continue;
        }
        if (whole) { /* no separator, but no record inside either: lax */
            st = add_record(f, b + pos, total);
            pos = after;
            continue;
        }
        char why[96];
        snprintf(why, sizeof why, "record cut short (Content-Length %llu, %zu bytes left)",
                 (unsigned long long)h.content_length, n - pos - hl);
        st = warc_garbage(f, b + pos, n - pos, why);
        pos = n;
    }
    if (pos) {
        memmove(f->pend.p, b + pos, n - pos);
        f->pend.len = n - pos;
    }
    return st;
}

static chaff_status feed_warc(chaff_filter *f, const char *p, size_t len)
{
    if (f->warc_pass) {
        size_t k = len < f->warc_pass ? len : (size_t)f->warc_pass;
        f->total.bytes_in += k;
        f->total.bytes_out += k;
        if (f->write(f->ud, p, k))
            return CHAFF_E_WRITE;
        f->warc_pass -= k;
        p += k;
        len -= k;
        if (f->warc_pass)
            return CHAFF_OK;
        f->total.bytes_out += 4;
        if (f->write(f->ud, "\r\n\r\n", 4))
            return CHAFF_E_WRITE;
    }
    if (!len)
        return CHAFF_OK;
    if (buf_add(&f->pend, p, len))
        return f->pend.err;
    return warc_drain(f, false);
}

chaff_status chaff_filter_feed(chaff_filter *f, const void *buf, size_t len)
{
    if (!f || f->finished)
        return CHAFF_E_INVAL;
    if (f->err)
        return f->err;
    if (!len)
        return CHAFF_OK;
    f->fed = true;
    chaff_status st = f->opt.framing == CHAFF_FRAME_TEXT   ? feed_text(f, buf, len)
                      : f->opt.framing == CHAFF_FRAME_WARC ? feed_warc(f, buf, len)
                                                           : feed_records(f, buf, len);
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
    chaff_status st;
    if (f->opt.framing == CHAFF_FRAME_TEXT &&
        ((st = text_sniff(f, true)) != CHAFF_OK || (f->text_kind == 1 && (st = text_windows(f))))) {
        ; /* failed */
    } else if (f->opt.framing == CHAFF_FRAME_TEXT && f->text_kind == 2) {
        st = CHAFF_OK; /* refused as it came */
    } else if (f->opt.framing == CHAFF_FRAME_TEXT) {
        if (f->pend.len || !f->win_started)
            st = text_window(f, f->pend.p ? f->pend.p : "", f->pend.len, true);
        else /* the last window ended at the input's end: close the text */
            st = f->es.any && !(f->opt.flags & CHAFF_EXPLAIN) && f->write(f->ud, "\n", 1)
                     ? CHAFF_E_WRITE
                     : CHAFF_OK;
    } else if (f->opt.framing == CHAFF_FRAME_WARC) {
        if (f->warc_pass) /* the input ended inside a block written through */
            warnf(f, "record %llu: cut short (%llu bytes of its block missing)",
                  (unsigned long long)f->rec_no, (unsigned long long)f->warc_pass);
        f->warc_pass = 0;
        st = warc_drain(f, true);
    } else {
        st = CHAFF_OK;
        if (f->passthrough) {
            const char delim = f->opt.framing == CHAFF_FRAME_NUL ? '\0' : '\n';
            f->total.bytes_out++;
            if (f->write(f->ud, &delim, 1))
                st = CHAFF_E_WRITE;
        } else if (f->pend.len) {
            st = add_record(f, f->pend.p, f->pend.len);
        }
        f->passthrough = false;
    }
    buf_reset(&f->pend);
    f->win_started = false;
    f->join = (struct join){0};
    f->text_kind = 0;
    f->cut_warned = false;
    f->rec_sniffed = false;
    f->es = (struct emit_state){0};
    return f->err = st;
}

chaff_status chaff_filter_finish(chaff_filter *f)
{
    if (!f || f->finished)
        return CHAFF_E_INVAL;
    chaff_status st = chaff_filter_end_input(f);
    if (!st && f->opt.framing != CHAFF_FRAME_TEXT)
        st = flush_batch(f);
    f->finished = true;
    buf_free(&f->pend);
    return f->err = st;
}

const chaff_stats *chaff_filter_stats(const chaff_filter *f) { return &f->total; }

chaff_status chaff_filter_stats_json(const chaff_filter *f, chaff_write_fn write, void *ud)
{
    const chaff_stats *t = chaff_filter_stats(f);
    uint64_t n_binary = f->n_binary; /* documents and records written through as binary */
    for (unsigned k = 0; k < f->jobs; k++)
        n_binary += f->w[k].n_binary;
    struct buf b;
    buf_init(&b, 0);
    buf_addf(&b,
             "{\"records\":%llu,\"records_error\":%llu,\"lines_in\":%llu,\"lines_out\":%llu,"
             "\"bytes_in\":%llu,\"bytes_out\":%llu,\"replacements\":%llu,\"controls\":%llu,"
             "\"dropped_rule\":%llu,\"dropped_heuristic\":%llu,\"budget_backoffs\":%llu,"
             "\"windows\":%llu,\"binary\":%llu,\"records_no_field\":%llu,\"records_dropped\":%llu",
             (unsigned long long)t->records, (unsigned long long)t->records_error,
             (unsigned long long)t->lines_in, (unsigned long long)t->lines_out,
             (unsigned long long)t->bytes_in, (unsigned long long)t->bytes_out,
             (unsigned long long)t->replacements, (unsigned long long)t->controls,
             (unsigned long long)t->dropped_rule, (unsigned long long)t->dropped_heuristic,
             (unsigned long long)t->budget_backoffs, (unsigned long long)t->windows,
             (unsigned long long)n_binary, (unsigned long long)t->records_no_field,
             (unsigned long long)t->records_dropped);
    const chaff_rules *r = f->rules;
    /* per category and per rule */
    buf_adds(&b, ",\"by_category\":{");
    if (r) {
        int first = 1;
        for (uint32_t c = 0; c < r->n_categories; c++) {
            uint64_t n = 0;
            for (uint32_t i = 0; i < r->n; i++)
                if (r->v[i].category == c)
                    for (unsigned k = 0; k < f->jobs; k++)
                        n += f->w[k].rule_drops ? f->w[k].rule_drops[i] : 0;
            if (!n)
                continue;
            buf_adds(&b, first ? "\"" : ",\"");
            jsonl_encode(&b, r->categories[c], strlen(r->categories[c]));
            buf_addf(&b, "\":%llu", (unsigned long long)n);
            first = 0;
        }
    }
    buf_adds(&b, "},\"by_heuristic\":{");
    int first = 1;
    for (unsigned why = 0; why < R_COUNT; why++) {
        uint64_t n = 0;
        for (unsigned k = 0; k < f->jobs; k++)
            n += f->w[k].heur_drops[why];
        if (!n)
            continue;
        buf_addf(&b, "%s\"%s\":%llu", first ? "" : ",", cls_reason_name(why),
                 (unsigned long long)n);
        first = 0;
    }
    buf_adds(&b, "},\"by_rule\":{");
    first = 1;
    if (r)
        for (uint32_t i = 0; i < r->n; i++) {
            uint64_t n = 0;
            for (unsigned k = 0; k < f->jobs; k++)
                n += f->w[k].rule_drops ? f->w[k].rule_drops[i] : 0;
            if (!n)
                continue;
            const char *path = emit_rule_path(r->files[r->v[i].file].path);
            buf_adds(&b, first ? "\"" : ",\"");
            jsonl_encode(&b, path, strlen(path));
            buf_addf(&b, ":%u\":%llu", r->v[i].line, (unsigned long long)n);
            first = 0;
        }
    buf_adds(&b, "},\"by_site\":");
    chaff_status st = sites_json(&f->sites, &b);
    buf_adds(&b, "}\n");
    if (!st)
        st = b.err;
    if (!st && write(ud, b.p, b.len))
        st = CHAFF_E_WRITE;
    buf_free(&b);
    return st;
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
