/*
 * filter_rec.c — the record framings: lines, nul, jsonl and tsv-jsonl.
 *
 * Reader.  One record per delimiter (a newline, or NUL); a record spanning
 * two feeds is gathered in the pending buffer.  A record over the cap is
 * written through unchanged as it comes, counted as an error, and never
 * buffered whole, so memory stays bounded by the cap whatever the stream
 * holds.  Lines and nul records are read in one charset for the input,
 * sniffed on its first block.
 *
 * Writer.  One record in is one record out, in order: a record that
 * cannot be cleaned (malformed JSON, a decode failure) is written
 * unchanged and counted in records_error with a warning.  Binary data in a
 * lines/nul record makes it empty; in a JSONL text, the record is written
 * unchanged.  A JSONL record is put out around its text as the text is
 * cleaned: the bytes before the text's value, the text encoded a piece at
 * a time, then the rest (jsonl_splice_frame); neither the cleaned text nor
 * the record out is held whole, except for a listing or an annotation,
 * which are built whole.  The record as read is kept until its output is
 * complete, for it is what passes through when cleaning fails.
 */
#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "jsonl.h"
#include "lang.h"
#include "rules.h"

/* the worker's text buffer may grow this far (its default) */
#define TEXT_MAX ((size_t)-1 / 2)

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

/* The end of a record put out through k: counted when st is CHAFF_OK;
 * written through as it came when it failed before any of it was out;
 * fatal for the stream when part of it is out already. */
static void record_done(struct worker *w, struct slot *s, const struct emit_sink *k,
                        chaff_status st, char delim)
{
    if (st && s->direct && k->n_out) {
        s->fatal = st; /* part of it is out: it cannot pass through */
    } else if (st || !s->direct) {
        slot_done(w, s, st, delim ? "\n" : "", 1);
    } else {
        w->st.bytes_out += k->n_out;
    }
}

void filt_clean_record(const chaff_filter *f, struct worker *w, struct slot *s)
{
    const char delim = f->opt.framing == CHAFF_FRAME_NUL ? '\0' : '\n';
    const char *rec = s->in;
    size_t len = s->len;
    /* listings are built whole; so is the record with an annotation,
     * which goes before the text when its member does */
    const bool listing = f->opt.flags & (CHAFF_EXPLAIN | CHAFF_DUMP_FEATURES);
    slot_begin(w, s);
    s->direct = s->alone && !listing;
    struct emit_sink sink;
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
        /* A text of less than a part is decoded with the record, in one
         * pass; a longer one is decoded below a part at a time (PART_BYTES,
         * cut after a newline), each part cleaned as a window of the text,
         * so that it is not held twice, escaped and not. */
        struct buf *to[JSONL_N] = {&w->text, &w->url, &w->lang, &w->id, NULL};
        buf_reset(&w->text);
        w->text.max = PART_CAP - 1;
        st = jsonl_parse_paths(rec + key, len - key, path, to, &jr, msg);
        w->text.max = TEXT_MAX;
        bool in_parts = st == CHAFF_E_TOOBIG && w->text.err == CHAFF_E_TOOBIG;
        if (in_parts) {
            buf_reset(&w->text);
            to[JSONL_TEXT] = NULL;
            st = jsonl_parse_paths(rec + key, len - key, path, to, &jr, msg);
        }
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
        const struct jsonl_member *tm = &jr.m[JSONL_TEXT];
        size_t text_next = tm->end; /* decoded whole */
        if (in_parts) {
            text_next = 0;
            st = buf_reserve(&w->text, PART_CAP - 1);
            if (!st)
                st = jsonl_string_part(rec + key, len - key, tm, &text_next, PART_BYTES, &w->text);
        }
        if (st) {
            slot_failed(s, st);
            goto passthrough;
        }
        if (filt_binary(w->text.p, w->text.len)) { /* the first part holds BINARY_SNIFF bytes */
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
            slot_xout_head(f, w, s, raw ? rec + key + id->start : w->id.p,
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
                slot_failed(s, st);
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
        struct doc_job j = {.from = f->opt.from,
                            .host = host,
                            .at_head = true,
                            .at_tail = true,
                            .es = &es,
                            .out = &sink};
        for (;;) {
            j.at_tail = text_next == tm->end;
            st = filt_clean_doc(f, w, w->text.p ? w->text.p : "", w->text.len, &j);
            if (st || j.at_tail)
                break;
            w->st.windows++;
            j.at_head = false;
            buf_reset(&w->text);
            st = jsonl_string_part(rec + key, len - key, tm, &text_next, PART_BYTES, &w->text);
            if (st)
                break;
        }
        if (w->text.cap > SLOT_KEEP)
            buf_free(&w->text);
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
            record_done(w, s, &sink, st, delim);
            return;
        }
        if (!st && f->opt.annotate)
            st = rec_figures_json(f, w, lines0, kept0);
        if (!st && !slot_dropped_or_listed(f, w, s, clean, &st)) {
            buf_add(&s->out, rec, key);
            st = jsonl_splice_annot(rec + key, len - key, &jr, clean->p ? clean->p : "", clean->len,
                                    f->opt.annotate, w->annot.p, w->annot.len, &s->out);
            if (!st && cr)
                st = buf_addc(&s->out, '\r');
            if (!st)
                st = buf_addc(&s->out, delim);
        }
        if (clean->cap > SLOT_KEEP)
            buf_free(clean);
        slot_done(w, s, st, delim ? "\n" : "", 1);
        return;
    }
    if (filt_binary(rec, len)) {
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
    slot_xout_head(f, w, s, NULL, 0, f->opt.url, f->opt.url ? strlen(f->opt.url) : 0);
    uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
    emit_sink_init(&sink, s->direct ? NULL : &s->out, f->write, f->ud, &w->stage);
    if (f->opt.framing == CHAFF_FRAME_LINES)
        sink.mode = EMIT_ONE_LINE; /* one line in, one line out: the cleaned text adds none */
    struct doc_job j = {.from = f->opt.from,
                        .hint = s->hint,
                        .host = f->host,
                        .at_head = true,
                        .at_tail = true,
                        .es = &es,
                        .out = &sink};
    st = filt_clean_doc(f, w, rec, len, &j);
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
    record_done(w, s, &sink, st, delim);
    return;
passthrough:
    slot_pass(w, s, delim ? "\n" : "", 1, true);
    return;
passthrough_quiet:
    slot_pass(w, s, delim ? "\n" : "", 1, false);
}

chaff_status filt_feed_records(chaff_filter *f, const char *p, size_t len)
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
            chaff_status st = filt_reader_pass(f);
            if (st)
                return st;
            /* counted like any record passed through: the delimiter is
             * not input text but is output */
            f->total.bytes_in += f->pend.len + n;
            f->total.bytes_out += f->pend.len + n + (e ? 1 : 0);
            filt_warn_over_cap(f);
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
                st = filt_add_record(f, f->pend.p, f->pend.len);
                buf_reset(&f->pend);
            } else {
                st = filt_add_record(f, p, n);
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

chaff_status filt_end_records(chaff_filter *f)
{
    chaff_status st = CHAFF_OK;
    if (f->passthrough) {
        const char delim = f->opt.framing == CHAFF_FRAME_NUL ? '\0' : '\n';
        f->total.bytes_out++;
        if (f->write(f->ud, &delim, 1))
            st = CHAFF_E_WRITE;
    } else if (f->pend.len) {
        st = filt_add_record(f, f->pend.p, f->pend.len);
    }
    f->passthrough = false;
    return st;
}
