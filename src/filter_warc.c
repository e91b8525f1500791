/*
 * filter_warc.c — the warc framing: WARC/WET records.
 *
 * Reader.  Records are cut by their Content-Length, checked: a block must
 * be followed by its separator, else a length that runs into the next
 * record's header is caught and the bytes before that header pass through
 * as a malformed record.  Bytes that are no record pass through with a
 * warning; a record over the cap is written through as it comes.  An input
 * read in text framing with CHAFF_SNIFF_WARC comes here when it opens with
 * a WARC version line (filt_sniff_warc).
 *
 * Writer.  Text records (WET conversions) get their block cleaned and
 * their header written again (Content-Length; digests dropped when the
 * block changed); every other record is copied.  The cleaned block is
 * built whole, since its length goes in the header before it.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "filter.h"
#include "lang.h"
#include "rules.h"
#include "warc.h"

/* The bytes a cleaning puts out, counted and compared with the block as
 * read. */
struct measure {
    const char *orig; /* the block as read */
    size_t orig_len;
    uint64_t n;   /* bytes put out so far */
    bool changed; /* they are not the block's */
};

static int measure_write(void *ud, const char *p, size_t n)
{
    struct measure *m = ud;
    if (!m->changed && (n > m->orig_len - m->n || memcmp(m->orig + m->n, p, n) != 0))
        m->changed = true;
    m->n += n;
    return 0;
}

/* Whether anything went out through k since it had put out out0 bytes
 * and its buffer held buf0: through the sink, or (a feature listing)
 * into its buffer. */
static bool sink_grew(const struct emit_sink *k, uint64_t out0, size_t buf0)
{
    return k->n_out > out0 || (k->buf && k->buf->len > buf0);
}

/* Clean the block rec[hl..len) of s (a text record) through sink k, the
 * declared charset cs falling back to detection when nothing is out yet
 * (*from is set to the one that worked); then the newline after a block
 * that is not empty, unless k takes a listing. */
static chaff_status block_pass(const chaff_filter *f, struct worker *w, const struct slot *s,
                               size_t hl, const char **from, const char *cs, const char *host,
                               struct emit_sink *k)
{
    struct emit_state es = {0};
    struct doc_job j = {
        .from = *from, .host = host, .at_head = true, .at_tail = true, .es = &es, .out = k};
    uint64_t out0 = k->n_out;
    size_t buf0 = k->buf ? k->buf->len : 0;
    chaff_status st = filt_clean_doc(f, w, s->in + hl, s->len - hl, &j);
    if (st == CHAFF_E_CHARSET && *from == cs && !sink_grew(k, out0, buf0)) {
        es = (struct emit_state){0};
        *from = j.from = NULL; /* a declared name nobody knows: detect */
        st = filt_clean_doc(f, w, s->in + hl, s->len - hl, &j);
    }
    if (!st && sink_grew(k, out0, buf0) && !(f->opt.flags & CHAFF_EXPLAIN))
        st = emit_raw(k, "\n", 1);
    return st ? st : emit_flush(k);
}

/*
 * A text record alone and large: its cleaned block is not held whole (its
 * length goes in the header before it) but made twice, once counted and
 * compared with the block as read, once written through after the header.
 * The worker's counters are set back after the first pass, so the record
 * counts once.  Returns false, having done nothing, when there is no
 * memory to save the counters in (the caller builds the block whole);
 * else the record is done: written, dropped, passed through, or failed
 * after part of it was written (s->fatal).
 */
static bool block_twice(const chaff_filter *f, struct worker *w, struct slot *s,
                        const struct warc_head *h, size_t hl, const char *from, const char *cs,
                        const char *host)
{
    size_t n_rules = f->rules ? f->rules->n : 0;
    uint64_t *drops0 = NULL;
    if (w->rule_drops && !(drops0 = chaff_xmalloc(n_rules * sizeof *drops0)))
        return false;
    if (drops0)
        memcpy(drops0, w->rule_drops, n_rules * sizeof *drops0);
    chaff_stats st0 = w->st;
    uint64_t heur0[R_COUNT];
    memcpy(heur0, w->heur_drops, sizeof heur0);
    struct measure m = {s->in + hl, s->len - hl, 0, false};
    struct emit_sink k;
    emit_sink_init(&k, NULL, measure_write, &m, &w->stage);
    chaff_status st = block_pass(f, w, s, hl, &from, cs, host, &k);
    if (!st && !m.n && (f->opt.flags & CHAFF_DROP_EMPTY)) {
        /* nothing is written for it: the first pass was the only one */
        chaff_xfree(drops0);
        slot_site(s, w, host, st0.lines_in, st0.lines_out);
        w->st.records_dropped++;
        return true;
    }
    w->st = st0;
    memcpy(w->heur_drops, heur0, sizeof heur0);
    if (drops0)
        memcpy(w->rule_drops, drops0, n_rules * sizeof *drops0);
    chaff_xfree(drops0);
    if (!st) {
        warc_write_head(s->in, h, (size_t)m.n, m.changed || m.n != m.orig_len, &s->out);
        st = s->out.err;
    }
    if (st) {
        slot_failed(s, st);
        slot_pass(w, s, "\r\n\r\n", 4, true);
        return true;
    }
    s->direct = true;
    if (f->write(f->ud, s->out.p, s->out.len)) {
        s->fatal = CHAFF_E_WRITE;
        return true;
    }
    emit_sink_init(&k, NULL, f->write, f->ud, &w->stage);
    st = block_pass(f, w, s, hl, &from, cs, host, &k);
    slot_site(s, w, host, st0.lines_in, st0.lines_out);
    if (!st && NEVER(k.n_out != m.n))
        st = CHAFF_E_INVAL; /* the second pass must make the first one's bytes */
    if (!st && f->write(f->ud, "\r\n\r\n", 4))
        st = CHAFF_E_WRITE;
    if (st) {
        s->fatal = st;
        return true;
    }
    w->st.bytes_out += s->out.len + m.n + 4;
    buf_reset(&s->out);
    return true;
}

/* One WARC record (header block and block, without the separator after it)
 * into s->out, separator included.  Text records get their block cleaned
 * and their header written again (Content-Length; digests dropped when the
 * block changed); every other record is copied. */
void filt_clean_warc(const chaff_filter *f, struct worker *w, struct slot *s)
{
    const char *rec = s->in;
    size_t len = s->len;
    slot_begin(w, s);
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
    if (filt_binary(rec + hl, len - hl)) {
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
    if (s->alone && len >= ALONE_MIN && !f->learn && !f->opt.explain_write &&
        !(f->opt.flags & (CHAFF_EXPLAIN | CHAFF_DUMP_FEATURES))) {
        /* a large block is cleaned twice rather than held cleaned */
        if (block_twice(f, w, s, &h, hl, from, cs, host))
            return;
    }
    struct buf *clean = &w->clean;
    buf_reset(clean);
    struct emit_sink k; /* the block is built whole: its length goes before it */
    emit_sink_init(&k, clean, NULL, NULL, NULL);
    slot_xout_head(f, w, s, h.rid, h.rid_len, h.uri, h.uri_len);
    uint64_t lines0 = w->st.lines_in, kept0 = w->st.lines_out;
    st = block_pass(f, w, s, hl, &from, cs, host, &k);
    slot_site(s, w, host, lines0, kept0);
    if (!st && !slot_dropped_or_listed(f, w, s, clean, &st)) {
        int changed =
            clean->len != len - hl || (clean->len && memcmp(clean->p, rec + hl, clean->len) != 0);
        warc_write_head(rec, &h, clean->len, changed, &s->out);
        if (s->alone && !s->out.err) {
            /* alone: the block is written from where it lies, not copied
             * after its header */
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
        st = s->out.err;
    }
    if (clean->cap > SLOT_KEEP)
        buf_free(clean);
    slot_done(w, s, st, "\r\n\r\n", 4);
    return;
passthrough:
    slot_pass(w, s, "\r\n\r\n", 4, true);
    return;
passthrough_quiet:
    slot_pass(w, s, "\r\n\r\n", 4, false);
}

/* ---- reader ---------------------------------------------------------- */

/* Bytes that are not a WARC record (before the first record, or after a
 * malformed header up to the next line that starts a record), written
 * through as they are, in order, and reported. */
static chaff_status warc_garbage(chaff_filter *f, const char *p, size_t n, const char *why)
{
    chaff_status st = filt_reader_pass(f);
    if (st)
        return st;
    f->total.bytes_in += n;
    f->total.bytes_out += n;
    filt_warn(f, "record %llu: malformed WARC: %s; %zu bytes passed through unchanged",
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
            if ((st = filt_reader_pass(f)))
                break;
            filt_warn_over_cap(f);
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
            st = filt_add_record(f, b + pos, total);
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
            st = filt_add_record(f, b + pos, total);
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

chaff_status filt_feed_warc(chaff_filter *f, const char *p, size_t len)
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

chaff_status filt_end_warc(chaff_filter *f)
{
    if (f->warc_pass) /* the input ended inside a block written through */
        filt_warn(f, "record %llu: cut short (%llu bytes of its block missing)",
                  (unsigned long long)f->rec_no, (unsigned long long)f->warc_pass);
    f->warc_pass = 0;
    return warc_drain(f, true);
}

/* The first bytes of a stream in text framing, when they are WARC/1.x or
 * the like, make it a WARC stream: nothing else starts that way.  The
 * workers the text framing did without (it uses one) are set up here. */
chaff_status filt_sniff_warc(chaff_filter *f, bool at_end, bool *switched)
{
    static const char magic[] = "WARC/";
    *switched = false;
    if ((f->pend.len < sizeof magic && !at_end) || !f->pend.len)
        return CHAFF_OK; /* "WARC/" and a digit are not in yet, or no byte is */
    f->warc_sniffed = true;
    if (f->pend.len < sizeof magic || memcmp(f->pend.p, magic, sizeof magic - 1) != 0 ||
        f->pend.p[sizeof magic - 1] < '0' || f->pend.p[sizeof magic - 1] > '9')
        return CHAFF_OK;
    unsigned jobs = f->opt.jobs > 1 && !f->learn ? f->opt.jobs : 1;
    if (jobs > JOBS_MAX)
        jobs = JOBS_MAX;
    if (jobs > f->jobs) {
        struct worker *w = chaff_xrealloc(f->w, jobs * sizeof *w);
        if (!w)
            return CHAFF_E_NOMEM;
        f->w = w;
        for (; f->jobs < jobs; f->jobs++) {
            chaff_status st =
                filt_worker_init(&f->w[f->jobs], f->rules, f->opt.max_doc, f->opt.annotate != NULL);
            if (st) {
                filt_worker_free(&f->w[f->jobs]);
                return st;
            }
        }
    }
    f->opt.framing = CHAFF_FRAME_WARC;
    *switched = true;
    return warc_drain(f, at_end);
}
