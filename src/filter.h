/*
 * filter.h — the filter's stages, shared by its files (internal).
 *
 * chaff_filter (chaff.h) is cut along the pipeline:
 *   filter.c        the handle: options, create/free, feed/end/finish, one-shot
 *   filter_text.c   text framing: reader (windows of the cap) and writer
 *   filter_rec.c    lines, nul, jsonl, tsv-jsonl: reader (records by
 *                   delimiter) and writer (the record around its cleaned text)
 *   filter_warc.c   warc: reader (records by Content-Length, checked) and
 *                   writer (the header written again before the cleaned block);
 *                   also the sniffing of a WARC input in text framing
 *   filter_doc.c    one document: decode → segment → classify → emit, in
 *                   pieces of at most WINDOW_LINES lines (struct doc_job)
 *   filter_batch.c  records in order: the batch, the persistent worker pool,
 *                   the slots and their writing in input order
 *   filter_stats.c  the totals and the JSON summary
 * Readers hand complete records to filt_add_record(); the batch calls the
 * framing's writer (filt_clean_record, filt_clean_warc) on a worker and
 * writes the slots in input order.  Everything here runs on the thread that
 * feeds except the writers and filt_clean_doc(), which run on workers, each
 * with its own struct worker; the rules, the model and the options are
 * read-only while workers run.
 */
#ifndef CHAFF_FILTER_H
#define CHAFF_FILTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "chaff.h"
#include "classify.h"
#include "decode.h"
#include "emit.h"
#include "segment.h"
#include "sites.h"

/* keep at most this much output buffer per batch slot between records */
#define SLOT_KEEP ((size_t)1 << 20)
#define BATCH_RECORDS 512
#define BATCH_BYTES ((size_t)32 << 20)
/* a record of at least this many bytes is cleaned alone, where it lies,
 * and written as it is made, not copied into a batch (filt_add_record) */
#define ALONE_MIN ((size_t)4 << 20)
/* A document is decoded (converted, or its JSON escapes undone) in parts,
 * so that it is not held twice: a part ends at the first newline at least
 * PART_BYTES bytes in.  With lines shorter than 64 KiB a part fits in a
 * buffer of PART_CAP (buffers grow by doubling from 64 bytes). */
#define PART_CAP ((size_t)4 << 20)
#define PART_BYTES (PART_CAP - ((size_t)64 << 10))
/* the first bytes of a document or record looked at for binary data */
#define BINARY_SNIFF ((size_t)64 << 10)
/* at most this many worker threads */
#define JOBS_MAX 64

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
    struct buf id;        /* jsonl: the record's id, for explain headings */
    struct buf *xout;     /* explain_write: where this document's listing goes */
    struct buf clean;     /* warc, and jsonl with annotate: the cleaned text whole */
    struct buf frame;     /* jsonl: the record around its text (jsonl_splice_frame) */
    struct buf stage;     /* output written through: the stage (emit_sink) */
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
    /* its site's figures for by_site, added in input order (filt_emit_slot);
     * site is "" when the record was not cleaned or has no URL */
    char site[256];
    uint64_t site_in, site_removed;
};

/* Records copied to be cleaned together, and their slots. */
struct batch {
    struct slot *slot; /* BATCH_RECORDS of them */
    size_t n;
    struct buf data; /* the records, back to back */
};

/* Threads that stay for the filter's life and clean the batches: thread
 * i runs worker i.  Started on the first batch; each batch is one round,
 * its records taken one at a time by whichever thread is free. */
struct pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    pthread_t th[JOBS_MAX];
    unsigned n_threads;  /* started: workers 0..n_threads-1 */
    unsigned busy;       /* threads still cleaning the current batch */
    uint64_t round;      /* batches handed out so far */
    struct batch *job;   /* the batch of the current round */
    _Atomic size_t next; /* its next record to clean */
    bool ready;          /* mu and the conditions are initialised */
    bool quit;
};

struct chaff_filter {
    const chaff_rules *rules;
    chaff_options opt;
    const struct model *model; /* the line model: model_own or the built-in one */
    struct model *model_own;   /* loaded from chaff_options.model */
    char *s_field, *s_url_field, *s_url, *s_from, *s_lang, *s_lang_field, *s_annotate;
    chaff_write_fn write;
    void *ud;
    struct buf pend;  /* bytes of the record not yet complete */
    struct worker *w; /* jobs workers */
    /* jobs > 1: records are copied into batch[fill] while the pool
     * cleans batch[!fill] (when cleaning), which is written after */
    struct batch batch[2];
    struct pool pool;
    struct learn *learn;  /* CHAFF_LEARN: the counts */
    struct emit_state es; /* text: blank-line collapsing across windows */
    chaff_stats total;    /* workers' counts are added after each record */
    struct sites sites;   /* by_site: records and lines per host */
    uint64_t rec_no;
    uint64_t warc_pass; /* warc: bytes of an over-cap block still to write through */
    uint64_t n_binary;  /* text: documents written through as binary data */
    uint64_t inputs;    /* inputs ended so far */
    unsigned jobs;
    unsigned fill;
    uint32_t langs_forced;
    chaff_status err; /* sticky */
    char host[256];
    char win_charset[40]; /* text: the charset of the first window */
    char rec_hint[40];    /* lines/nul: this input's charset, sniffed on its first block */
    struct join join;     /* text: how the next window meets the last one */
    uint8_t text_kind;    /* text: 0 not yet known, 1 text, 2 binary (written through) */
    bool passthrough;     /* inside a record over the cap */
    bool cleaning;
    bool learn_merged; /* chaff_filter_learn_merge() was called */
    bool rec_sniffed;
    bool win_started;
    bool warc_sniffed; /* CHAFF_SNIFF_WARC: the input's first bytes were looked at */
    bool cut_warned;   /* text: the warning about a line over the cap was given */
    bool finished;
    bool fed;          /* bytes arrived since the last end of input */
    bool lang_warned;  /* an unknown code in a language field was reported */
    bool field_warned; /* a record without the text field was reported */
};

/* ---- filter.c ---- */

/* A warning through chaff_options.warn, when there is one. */
void filt_warn(const chaff_filter *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The count of controls no text holds in the first BINARY_SNIFF bytes of
 * p[0..len) when they say it is binary data, else 0. */
size_t filt_binary(const char *p, size_t len);
/* Set up worker w for rules r (NULL: none); free with filt_worker_free. */
chaff_status filt_worker_init(struct worker *w, const chaff_rules *r, size_t max_doc,
                              bool annotate);
void filt_worker_free(struct worker *w);

/* ---- filter_doc.c ---- */

/* One document (or one window of one) to clean, and where it goes. */
struct doc_job {
    const char *from;      /* its charset, or NULL: detect */
    const char *hint;      /* a charset to try before detecting (from NULL), or NULL */
    const char *host;      /* its site ("" or NULL: none) */
    bool at_head, at_tail; /* it holds the document's head, its tail (head and tail rules) */
    struct emit_state *es; /* blank-line collapsing, carried across windows */
    struct emit_sink *out; /* the kept text; a listing is appended to out->buf */
    char *charset_out;     /* [40]: receives the charset used, or NULL */
    struct join *join;     /* text windows: how it meets the window before, or NULL */
};

/*
 * Clean doc[0..len) (in j->from, or detected) as j says: decoded, then
 * judged in pieces of at most WINDOW_LINES lines, the kept text put out
 * through j->out; the worker's counters are added to.  Errors: decoding
 * (CHAFF_E_CHARSET), memory, the sink's.
 */
chaff_status filt_clean_doc(const chaff_filter *f, struct worker *w, const char *doc, size_t len,
                            const struct doc_job *j);

/* ---- filter_batch.c ---- */

/* A complete record from a reader: cleaned now or batched; the records
 * before it are written first.  Errors are the stream's (writing). */
chaff_status filt_add_record(chaff_filter *f, const char *rec, size_t len);
/* Clean and write every record copied so far, in order. */
chaff_status filt_flush_batch(chaff_filter *f);
/* Set up and free the batches. */
chaff_status filt_batch_init(chaff_filter *f);
void filt_batch_free(chaff_filter *f);
/* A record the reader writes through itself (over the cap, or bytes that
 * are no record): the batch before it is written, and it is counted as a
 * record passed through with an error.  The caller warns and writes. */
chaff_status filt_reader_pass(chaff_filter *f);
/* The warning for the record the reader passes through over the cap. */
void filt_warn_over_cap(const chaff_filter *f);
/* Stop and join the pool's threads. */
void filt_pool_stop(chaff_filter *f);

/* Slot helpers for the writers. */
/* The warning for a record written through unchanged because of st. */
void slot_failed(struct slot *s, chaff_status st);
/* Note in s the record's figures for by_site: under host, the worker's
 * lines counted since in0 and out0. */
void slot_site(struct slot *s, const struct worker *w, const char *host, uint64_t in0,
               uint64_t out0);
/* Start s's explain block for explain_write ("# record N id=… url=…") and
 * have the worker's listing go after it; nothing without explain_write. */
void slot_xout_head(const chaff_filter *f, struct worker *w, struct slot *s, const char *id,
                    size_t id_len, const char *url, size_t url_len);
/* Write the record through as it came, with delim after it; error: it
 * could not be cleaned (else it has nothing to clean). */
void slot_pass(struct worker *w, struct slot *s, const char *delim, size_t delim_len, bool error);
/* A writer starts on record s: its output and notes cleared, counted in. */
void slot_begin(struct worker *w, struct slot *s);
/* The end of a record made in s->out: counted, or (st not CHAFF_OK)
 * written through as it came, with delim after it. */
void slot_done(struct worker *w, struct slot *s, chaff_status st, const char *delim,
               size_t delim_len);
/* For a record cleaned whole into clean: true when that is all there is
 * to it, the listing (CHAFF_EXPLAIN) put in s->out under its heading (*st
 * its error), or the record dropped, empty (CHAFF_DROP_EMPTY). */
bool slot_dropped_or_listed(const chaff_filter *f, struct worker *w, struct slot *s,
                            const struct buf *clean, chaff_status *st);
/* Append p[0..n) to b with control characters made spaces. */
void filt_add_one_line(struct buf *b, const char *p, size_t n);

/* ---- the framings: readers (feed, end of input) and writers ---- */

chaff_status filt_feed_text(chaff_filter *f, const char *p, size_t len);
chaff_status filt_end_text(chaff_filter *f);
chaff_status filt_feed_records(chaff_filter *f, const char *p, size_t len);
chaff_status filt_end_records(chaff_filter *f);
chaff_status filt_feed_warc(chaff_filter *f, const char *p, size_t len);
chaff_status filt_end_warc(chaff_filter *f);
/* Text framing with CHAFF_SNIFF_WARC: once the input's first bytes are
 * pending, read it as WARC when it opens with a WARC version line.  Sets
 * *switched when it does (the pending bytes are then the WARC reader's). */
chaff_status filt_sniff_warc(chaff_filter *f, bool at_end, bool *switched);

/* Clean one record of s into s->out (or written through when s->direct),
 * the framing's writer.  Never fails the stream: a record that cannot be
 * cleaned is passed through (s->pass), one written in part sets s->fatal. */
void filt_clean_record(const chaff_filter *f, struct worker *w, struct slot *s);
void filt_clean_warc(const chaff_filter *f, struct worker *w, struct slot *s);

/* ---- filter_stats.c ---- */

/* Add the counts of st to the totals and clear them. */
void filt_stats_take(chaff_stats *total, chaff_stats *st);

#endif
