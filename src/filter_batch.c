/*
 * filter_batch.c — records in input order: the batch, the worker pool and
 * the slots.
 *
 * With one job, and whatever the jobs for a record of ALONE_MIN bytes or
 * more (after the batch before it), a record is cleaned where it lies (in
 * the caller's buffer, or in the pending buffer when it spans two feeds)
 * and written as it is made: no copy, no allocation once the buffers have
 * grown.  With jobs > 1, complete records are copied into a batch (one
 * buffer, at most BATCH_RECORDS records and BATCH_BYTES bytes); a full
 * batch goes to the pool, whose threads each clean with their own struct
 * worker (arena, scratch, matcher scratch, converters), taking records
 * one at a time, while the feeding thread reads the next batch into the
 * second buffer.  When that one is full, the first is waited for and
 * written in input order, and the second goes to the pool: reading,
 * cleaning and writing overlap, and at most two batches are held.
 *
 * The pool's threads (one per job) are started on the first batch and
 * stay until the filter is freed; each batch is one round.  When no
 * thread can be started the feeding thread cleans the batch itself.
 *
 * Statistics.  Workers count into their own chaff_stats; the counts are
 * added to the filter's totals whenever a record or batch is done, on the
 * thread that feeds, so reading the totals never writes.  A record's
 * figures per site (by_site) go into its slot and are added to the site
 * table when it is written, in input order, so which hosts fill the
 * bounded table (sites.h) does not depend on the jobs.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "filter.h"

void slot_failed(struct slot *s, chaff_status st)
{
    snprintf(s->warn, sizeof s->warn, "record %llu: %s; passed through unchanged",
             (unsigned long long)s->no, chaff_strerror(st));
}

/* Note in s the figures of the record just cleaned for by_site: under
 * host, the lines counted since in0 and out0 (the worker's lines_in and
 * lines_out before it). */
void slot_site(struct slot *s, const struct worker *w, const char *host, uint64_t in0,
               uint64_t out0)
{
    /* what snprintf("%s") would keep, without its cost per record */
    size_t n = host ? strnlen(host, sizeof s->site - 1) : 0;
    if (n)
        memcpy(s->site, host, n);
    s->site[n] = '\0';
    s->site_in = w->st.lines_in - in0;
    uint64_t out = w->st.lines_out - out0;
    s->site_removed = s->site_in > out ? s->site_in - out : 0;
}

/* Append p[0..n) to b with control characters made spaces: a heading
 * stays one line whatever an id or URL holds. */
void filt_add_one_line(struct buf *b, const char *p, size_t n)
{
    size_t at = b->len;
    buf_add(b, p, n);
    for (size_t i = at; !b->err && i < b->len; i++)
        if ((unsigned char)b->p[i] < 0x20)
            b->p[i] = ' ';
}

/* Start s's explain block for explain_write, "# record N id=… url=…", and
 * have the worker's listing go after it; nothing without explain_write. */
void slot_xout_head(const chaff_filter *f, struct worker *w, struct slot *s, const char *id,
                    size_t id_len, const char *url, size_t url_len)
{
    buf_reset(&s->xout);
    w->xout = f->opt.explain_write ? &s->xout : NULL;
    if (!w->xout)
        return;
    buf_addf(&s->xout, "# record %llu", (unsigned long long)s->no);
    if (id_len) {
        buf_adds(&s->xout, " id=");
        filt_add_one_line(&s->xout, id, id_len);
    }
    if (url_len) {
        buf_adds(&s->xout, " url=");
        filt_add_one_line(&s->xout, url, url_len);
    }
    buf_addc(&s->xout, '\n');
}

/* Write a record through as it came, with its delimiter; error: it could
 * not be cleaned (else it simply has nothing to clean).  Its bytes are
 * written from where they lie (emit_slot), not copied. */
void slot_pass(struct worker *w, struct slot *s, const char *delim, size_t delim_len, bool error)
{
    if (error)
        w->st.records_error++;
    buf_reset(&s->out);
    buf_reset(&s->xout); /* a listing begun before an error says nothing true */
    s->pass = delim;
    s->pass_len = delim_len;
    w->st.bytes_out += s->len + delim_len;
}

void slot_begin(struct worker *w, struct slot *s)
{
    buf_reset(&s->out);
    buf_reset(&s->xout);
    s->direct = false;
    s->fatal = CHAFF_OK;
    s->pass = NULL;
    s->warn[0] = '\0';
    s->lang_bad[0] = '\0';
    s->no_field = false;
    s->site[0] = '\0';
    w->xout = NULL;
    w->rec_langs = 0;
    w->st.records++;
    w->st.bytes_in += s->len;
}

void slot_done(struct worker *w, struct slot *s, chaff_status st, const char *delim,
               size_t delim_len)
{
    if (st) {
        slot_failed(s, st);
        slot_pass(w, s, delim, delim_len, true);
    } else {
        w->st.bytes_out += s->out.len;
    }
}

bool slot_dropped_or_listed(const chaff_filter *f, struct worker *w, struct slot *s,
                            const struct buf *clean, chaff_status *st)
{
    if (f->opt.flags & CHAFF_EXPLAIN) {
        buf_addf(&s->out, "# record %llu\n", (unsigned long long)s->no);
        buf_add(&s->out, clean->p, clean->len);
        *st = s->out.err;
        return true;
    }
    if (!clean->len && (f->opt.flags & CHAFF_DROP_EMPTY)) {
        w->st.records_dropped++; /* nothing is written for it */
        return true;
    }
    return false;
}

/* ---- the pool ------------------------------------------------------- */

/* The writer of the filter's framing. */
static void clean_slot(const chaff_filter *f, struct worker *w, struct slot *s)
{
    if (f->opt.framing == CHAFF_FRAME_WARC)
        filt_clean_warc(f, w, s);
    else
        filt_clean_record(f, w, s);
}

/* Clean records of b with worker w until none is left: each is taken by
 * whichever thread is free, so a long record does not hold the others
 * back.  The output does not depend on which worker cleans a record:
 * the rules and the model are shared read-only, and a worker's memo of
 * matches answers as its scan would. */
static void clean_batch(chaff_filter *f, struct worker *w, struct batch *b)
{
    size_t k;
    while ((k = atomic_fetch_add_explicit(&f->pool.next, 1, memory_order_relaxed)) < b->n)
        clean_slot(f, w, &b->slot[k]);
}

struct pool_arg {
    chaff_filter *f;
    unsigned wi;
    uint64_t seen; /* the rounds before the thread started */
};

static void *pool_thread(void *arg)
{
    chaff_filter *f = ((struct pool_arg *)arg)->f;
    unsigned wi = ((struct pool_arg *)arg)->wi;
    uint64_t seen = ((struct pool_arg *)arg)->seen;
    chaff_xfree(arg);
    struct pool *p = &f->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->round == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->round;
        struct batch *b = p->job;
        pthread_mutex_unlock(&p->mu);
        clean_batch(f, &f->w[wi], b);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Start the threads for workers 0..jobs-1 (those that can be). */
static void pool_start(chaff_filter *f)
{
    struct pool *p = &f->pool;
    if (!p->ready) {
        if (pthread_mutex_init(&p->mu, NULL))
            return;
        if (pthread_cond_init(&p->go, NULL)) {
            pthread_mutex_destroy(&p->mu);
            return;
        }
        if (pthread_cond_init(&p->done, NULL)) {
            pthread_cond_destroy(&p->go);
            pthread_mutex_destroy(&p->mu);
            return;
        }
        p->ready = true;
    }
    while (p->n_threads < f->jobs) {
        struct pool_arg *a = chaff_xmalloc(sizeof *a);
        if (!a)
            return;
        *a = (struct pool_arg){.f = f, .wi = p->n_threads, .seen = p->round};
        if (pthread_create(&p->th[p->n_threads], NULL, pool_thread, a)) {
            chaff_xfree(a);
            return;
        }
        p->n_threads++;
    }
}

void filt_pool_stop(chaff_filter *f)
{
    struct pool *p = &f->pool;
    if (!p->ready)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->th[i], NULL);
    p->n_threads = 0;
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->go);
    pthread_mutex_destroy(&p->mu);
    p->ready = false;
}

/* Hand b to the pool; with no thread (none could start) it is cleaned
 * here, on worker 0, before this returns. */
static void pool_begin(chaff_filter *f, struct batch *b)
{
    struct pool *p = &f->pool;
    for (size_t k = 0; k < b->n; k++)
        b->slot[k].in = b->data.p + b->slot[k].off;
    pool_start(f);
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    if (!p->n_threads) {
        clean_batch(f, &f->w[0], b);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->job = b;
    p->busy = p->n_threads;
    p->round++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
}

/* Wait until the pool has cleaned its batch. */
static void pool_wait(chaff_filter *f)
{
    struct pool *p = &f->pool;
    if (!p->n_threads)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->busy)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* ---- the batches ---------------------------------------------------- */

/* Warn about and write one cleaned record; *st keeps the first write
 * error (later records are still warned about, not written). */
static void emit_slot(chaff_filter *f, struct slot *s, chaff_status *st)
{
    if (s->warn[0])
        filt_warn(f, "%s", s->warn);
    if (s->no_field && !f->field_warned) {
        f->field_warned = true;
        filt_warn(f,
                  "record %llu: no field '%s'; such records pass through unchanged (said once, "
                  "counted in records_no_field)",
                  (unsigned long long)s->no, f->opt.field);
    }
    if (s->lang_bad[0] && !f->lang_warned) {
        f->lang_warned = true;
        filt_warn(f, "record %llu: no rules for language '%s' in field '%s'; ignored (said once)",
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

/* Write the cleaned batch b in order and empty it; the pool is idle, so
 * the workers' counts can be taken. */
static chaff_status batch_write(chaff_filter *f, struct batch *b)
{
    for (unsigned i = 0; i < f->jobs; i++)
        filt_stats_take(&f->total, &f->w[i].st);
    chaff_status st = CHAFF_OK;
    for (size_t k = 0; k < b->n; k++)
        emit_slot(f, &b->slot[k], &st);
    b->n = 0;
    buf_reset(&b->data);
    if (b->data.cap > BATCH_BYTES + SLOT_KEEP)
        buf_free(&b->data); /* after a record near the cap */
    return st;
}

/* Wait for the batch the pool is cleaning, if any, and write it. */
static chaff_status settle(chaff_filter *f)
{
    if (!f->cleaning)
        return CHAFF_OK;
    pool_wait(f);
    f->cleaning = false;
    return batch_write(f, &f->batch[!f->fill]);
}

/* The batch being filled is full: once the one before it is written, it
 * goes to the pool, and the other is filled meanwhile. */
static chaff_status dispatch(chaff_filter *f)
{
    chaff_status st = settle(f);
    if (st)
        return st;
    pool_begin(f, &f->batch[f->fill]);
    f->cleaning = true;
    f->fill = !f->fill;
    return CHAFF_OK;
}

chaff_status filt_flush_batch(chaff_filter *f)
{
    chaff_status st = settle(f);
    struct batch *b = &f->batch[f->fill];
    if (!st && b->n) {
        pool_begin(f, b);
        pool_wait(f);
        st = batch_write(f, b);
    }
    return st;
}

chaff_status filt_batch_init(chaff_filter *f)
{
    for (unsigned i = 0; i < 2; i++) {
        struct batch *b = &f->batch[i];
        buf_init(&b->data, 0);
        /* one job cleans each record alone, in the first slot, but a WARC
         * input found by sniffing may bring more jobs (filt_sniff_warc) */
        if (!(b->slot = chaff_xcalloc(BATCH_RECORDS, sizeof *b->slot)))
            return CHAFF_E_NOMEM;
        for (size_t k = 0; k < BATCH_RECORDS; k++) {
            buf_init(&b->slot[k].out, 0);
            buf_init(&b->slot[k].xout, 0);
        }
    }
    return CHAFF_OK;
}

void filt_batch_free(chaff_filter *f)
{
    for (unsigned i = 0; i < 2; i++) {
        struct batch *b = &f->batch[i];
        for (size_t k = 0; b->slot && k < BATCH_RECORDS; k++) {
            buf_free(&b->slot[k].out);
            buf_free(&b->slot[k].xout);
        }
        chaff_xfree(b->slot);
        b->slot = NULL;
        buf_free(&b->data);
    }
}

chaff_status filt_add_record(chaff_filter *f, const char *rec, size_t len)
{
    if (f->jobs == 1 || len >= ALONE_MIN) {
        chaff_status fst = filt_flush_batch(f);
        if (fst)
            return fst;
        struct slot *s = &f->batch[f->fill].slot[0];
        s->alone = true;
        s->in = rec;
        s->len = len;
        s->no = ++f->rec_no;
        memcpy(s->hint, f->rec_hint, sizeof s->hint);
        clean_slot(f, &f->w[0], s);
        filt_stats_take(&f->total, &f->w[0].st);
        chaff_status st = CHAFF_OK;
        emit_slot(f, s, &st);
        return st ? st : s->fatal;
    }
    struct batch *b = &f->batch[f->fill];
    struct slot *s = &b->slot[b->n];
    s->alone = false;
    s->off = b->data.len;
    if (buf_add(&b->data, rec, len))
        return b->data.err;
    s->len = len;
    s->no = ++f->rec_no;
    memcpy(s->hint, f->rec_hint, sizeof s->hint);
    b->n++;
    if (b->n == BATCH_RECORDS || b->data.len >= BATCH_BYTES)
        return dispatch(f);
    return CHAFF_OK;
}

chaff_status filt_reader_pass(chaff_filter *f)
{
    chaff_status st = filt_flush_batch(f);
    if (st)
        return st;
    f->rec_no++;
    f->total.records++;
    f->total.records_error++;
    return CHAFF_OK;
}

void filt_warn_over_cap(const chaff_filter *f)
{
    filt_warn(f, "record %llu: larger than the document cap (%zu bytes); passed through unchanged",
              (unsigned long long)f->rec_no, f->opt.max_doc);
}
