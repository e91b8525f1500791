/*
 * filter_text.c — the text framing: the whole input is one document.
 *
 * Reader.  The document is buffered up to the document cap; a larger one
 * is cleaned in windows of at most the cap, cut at a line end (the charset
 * found in the first window is used for the rest; head rules see only the
 * first window and tail rules only the last; blank-line collapsing carries
 * across windows).  A line longer than the cap is cut between two
 * non-space characters and its kept pieces are joined again (struct join),
 * so memory stays bounded by the cap.  Binary data (filt_binary) is told
 * from text on the first BINARY_SNIFF bytes: such a document is refused.
 * With CHAFF_SNIFF_WARC an input that opens with a WARC version line is
 * handed to the WARC reader instead (filter_warc.c).
 *
 * Writer.  The kept text is written as it is made (an emit_sink through
 * the worker's stage); a listing (explain, features) is built whole per
 * window.  A window that cannot be decoded passes through unchanged unless
 * part of its text is out already.
 */
#include <stdio.h>
#include <string.h>

#include "filter.h"

/* file-local, reachable from the unit tests */
STATIC size_t text_line_cut(const char *q, size_t cap);

/* ---- writer ---------------------------------------------------------- */

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
                filt_add_one_line(&xo, f->opt.url, strlen(f->opt.url));
            }
            buf_addc(&xo, '\n');
        }
    }
    uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
    struct doc_job j = {.from = from,
                        .host = f->host,
                        .at_head = first,
                        .at_tail = last,
                        .es = &f->es,
                        .out = &k,
                        .charset_out = first ? f->win_charset : NULL,
                        .join = &f->join};
    chaff_status st = filt_clean_doc(f, w, p, len, &j);
    if (f->host[0]) { /* the document counts once, its lines window by window */
        uint64_t in = w->st.lines_in - lines0, kept = w->st.lines_out - kept0;
        sites_add(&f->sites, f->host, first ? 1 : 0, in, in > kept ? in - kept : 0);
    }
    w->xout = NULL;
    f->win_started = true;
    /* a window that cannot be cleaned passes through, unless part of its
     * text is written already */
    if ((st == CHAFF_E_CHARSET || st == CHAFF_E_TOOBIG) && (listing || !k.n_out)) {
        filt_warn(f, "document: %s; passed through unchanged", chaff_strerror(st));
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
    filt_stats_take(&f->total, &w->st);
    buf_free(&out);
    buf_free(&xo);
    return st;
}

/* ---- reader ---------------------------------------------------------- */

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
    size_t k = filt_binary(f->pend.p ? f->pend.p : "", f->pend.len < sniff ? f->pend.len : sniff);
    f->text_kind = k ? 2 : 1;
    if (!k)
        return CHAFF_OK;
    f->n_binary++;
    f->total.records++;
    f->total.records_error++;
    filt_warn(
        f, "document: binary data (%zu control bytes in the first %zu); refused, nothing written",
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
            filt_warn(f,
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

chaff_status filt_feed_text(chaff_filter *f, const char *p, size_t len)
{
    if (f->text_kind == 2) { /* binary: refused */
        f->total.bytes_in += len;
        return CHAFF_OK;
    }
    if (buf_add(&f->pend, p, len))
        return f->pend.err;
    if ((f->opt.flags & CHAFF_SNIFF_WARC) && !f->warc_sniffed) {
        bool warc;
        chaff_status st = filt_sniff_warc(f, false, &warc);
        if (st || warc || !f->warc_sniffed)
            return st;
    }
    chaff_status st = text_sniff(f, false);
    return st || f->text_kind != 1 ? st : text_windows(f);
}

chaff_status filt_end_text(chaff_filter *f)
{
    chaff_status st;
    if ((f->opt.flags & CHAFF_SNIFF_WARC) && !f->warc_sniffed) {
        bool warc;
        if ((st = filt_sniff_warc(f, true, &warc)) || warc)
            return st;
    }
    if ((st = text_sniff(f, true)) || (f->text_kind == 1 && (st = text_windows(f))))
        return st;
    if (f->text_kind == 2)
        return CHAFF_OK; /* refused as it came */
    if (f->pend.len || !f->win_started)
        return text_window(f, f->pend.p ? f->pend.p : "", f->pend.len, true);
    /* the last window ended at the input's end: close the text */
    return f->es.any && !(f->opt.flags & CHAFF_EXPLAIN) && f->write(f->ud, "\n", 1) ? CHAFF_E_WRITE
                                                                                    : CHAFF_OK;
}
