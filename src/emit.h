/*
 * emit.h — write a classified document: kept text or the explain listing.
 */
#ifndef CHAFF_EMIT_H
#define CHAFF_EMIT_H

#include <stdbool.h>

#include "chaff.h"
#include "doc.h"
#include "rules.h"

struct model;

/* Carries blank-line state across the windows of one document. */
struct emit_state {
    bool any;           /* something was written */
    bool pending_blank; /* a blank line is owed before the next kept line */
};

/* How kept text is put out. */
enum emit_mode {
    EMIT_PLAIN,    /* as it is */
    EMIT_ONE_LINE, /* the line breaks between lines made spaces (lines framing) */
    EMIT_JSON      /* as the inside of a JSON string (jsonl_encode) */
};

/* Stage of a sink that writes through: bytes are handed to write in
 * pieces of about this size. */
#define EMIT_STAGE ((size_t)64 << 10)

/*
 * Where kept text goes: appended to buf, or, when buf is NULL, written
 * through write(ud, …) in pieces of at most about EMIT_STAGE bytes, so no
 * copy of the cleaned text is ever held whole.  pre[0..pre_len) (the
 * bytes of a record before its text; not copied, must outlive the sink)
 * goes out once, before the first byte of text.  Errors are sticky: a
 * buffer's, or CHAFF_E_WRITE when write returns non-zero.
 */
struct emit_sink {
    struct buf *buf;
    chaff_write_fn write;
    void *ud;
    enum emit_mode mode;
    const char *pre;
    size_t pre_len;
    bool started;      /* pre is out (text, or emit_start, came) */
    uint64_t n_out;    /* bytes put out, pre and escapes included */
    struct buf *stage; /* write-through staging, the caller's (reused) */
    chaff_status err;
};

/* A sink appending to buf, or (buf NULL) writing through write/ud with
 * stage as its staging buffer; no pre, mode EMIT_PLAIN. */
void emit_sink_init(struct emit_sink *k, struct buf *buf, chaff_write_fn write, void *ud,
                    struct buf *stage);
/* Put pre out now if it is not yet. */
chaff_status emit_start(struct emit_sink *k);
/* Put p[0..n) out as it is (no escaping, no mode), after pre. */
chaff_status emit_raw(struct emit_sink *k, const char *p, size_t n);
/* Hand what is staged to write.  Returns the sticky error. */
chaff_status emit_flush(struct emit_sink *k);

/* Put the kept lines of d out through k (k->mode applies): in order,
 * output form, blank-line runs collapsed to one, no leading or trailing
 * blank line.  Lines are joined with '\n'; no newline after the last one
 * (the framing adds it).  Nothing is put out, pre neither, when no line is
 * kept.  Returns k's sticky error. */
chaff_status emit_text(const struct doc *d, struct emit_state *es, struct emit_sink *k);

/* Append the explain listing of d: one line per input line,
 * "keep|drop <TAB> reason and figures <TAB> text".  A line the model m
 * decided shows its score and the three features that moved it most.
 * Uses d->arena. */
chaff_status emit_explain(const struct doc *d, const struct chaff_rules *r, const struct model *m,
                          struct buf *out);

/* Append the line model's input for d (--dump-features, make train): a
 * header row "#line, keep, p, <feature names>, text", then per non-blank
 * line its index, the decision, the model's score (-1 when it did not
 * score the line), its features and its text with tabs made spaces,
 * tab-separated. */
chaff_status emit_features(const struct doc *d, const struct chaff_rules *r, struct buf *out);

/* Path of a rule file as shown to people: from its "rules/" folder on. */
const char *emit_rule_path(const char *path);

#endif
