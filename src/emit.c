/*
 * emit.c — kept text and the explain listing.
 *
 * Collapsing blank runs needs one bit of state (a blank is owed); keeping
 * it in struct emit_state lets a document cleaned in several windows come
 * out exactly as if it had been cleaned whole.
 */
#include "emit.h"

#include <string.h>

#include "classify.h"
#include "jsonl.h"
#include "linefeat.h"
#include "model.h"

/* features named per line the model decided */
#define EXPLAIN_TOP 3

void emit_sink_init(struct emit_sink *k, struct buf *buf, chaff_write_fn write, void *ud,
                    struct buf *stage)
{
    memset(k, 0, sizeof *k);
    k->buf = buf;
    k->write = write;
    k->ud = ud;
    k->stage = stage;
    k->mode = EMIT_PLAIN;
    if (stage)
        buf_reset(stage);
}

chaff_status emit_flush(struct emit_sink *k)
{
    if (k->buf || !k->stage || !k->stage->len)
        return k->err;
    if (!k->err && k->write(k->ud, k->stage->p, k->stage->len))
        k->err = CHAFF_E_WRITE;
    buf_reset(k->stage);
    return k->err;
}

/* p[0..n) to the buffer or the stage; a piece larger than the stage is
 * written as it is. */
static void put(struct emit_sink *k, const char *p, size_t n)
{
    if (k->err || !n)
        return;
    k->n_out += n;
    if (k->buf) {
        if (buf_add(k->buf, p, n))
            k->err = k->buf->err;
        return;
    }
    if (k->stage->len + n > EMIT_STAGE && emit_flush(k))
        return;
    if (n >= EMIT_STAGE) {
        if (k->write(k->ud, p, n))
            k->err = CHAFF_E_WRITE;
    } else if (buf_add(k->stage, p, n)) {
        k->err = k->stage->err;
    }
}

chaff_status emit_start(struct emit_sink *k)
{
    if (!k->started) {
        k->started = true;
        put(k, k->pre, k->pre_len);
    }
    return k->err;
}

chaff_status emit_raw(struct emit_sink *k, const char *p, size_t n)
{
    emit_start(k);
    put(k, p, n);
    return k->err;
}

/* Text p[0..n) (whole UTF-8 characters) out in k's mode.  JSON is
 * encoded a piece at a time, each cut before a character, so its copy
 * stays within the stage. */
static void put_text(struct emit_sink *k, const char *p, size_t n)
{
    emit_start(k);
    if (k->err)
        return;
    if (k->mode == EMIT_PLAIN) {
        put(k, p, n);
    } else if (k->mode == EMIT_ONE_LINE) {
        for (size_t i = 0; i < n;) {
            const char *nl = memchr(p + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - p) : n;
            put(k, p + i, e - i);
            if (nl)
                put(k, " ", 1);
            i = nl ? e + 1 : n;
        }
    } else if (k->buf) {
        size_t at = k->buf->len;
        if (jsonl_encode(k->buf, p, n))
            k->err = k->buf->err;
        k->n_out += k->buf->len - at;
    } else {
        for (size_t i = 0; i < n && !k->err;) {
            size_t e = n - i > EMIT_STAGE / 8 ? i + EMIT_STAGE / 8 : n;
            while (e < n && ((unsigned char)p[e] & 0xC0) == 0x80)
                e++;
            size_t at = k->stage->len;
            if (jsonl_encode(k->stage, p + i, e - i))
                k->err = k->stage->err;
            k->n_out += k->stage->len - at;
            if (k->stage->len >= EMIT_STAGE)
                emit_flush(k);
            i = e;
        }
    }
}

chaff_status emit_text(const struct doc *d, struct emit_state *es, struct emit_sink *k)
{
    for (uint32_t i = 0; i < d->n_lines && !k->err; i++) {
        const struct line *L = &d->lines[i];
        if (!L->len) {
            if (es->any)
                es->pending_blank = true;
            continue;
        }
        if (!L->keep)
            continue;
        if (es->any)
            put_text(k, es->pending_blank ? "\n\n" : "\n", es->pending_blank ? 2 : 1);
        put_text(k, L->text, L->len);
        es->any = true;
        es->pending_blank = false;
    }
    return k->err;
}

const char *emit_rule_path(const char *path)
{
    const char *best = NULL;
    for (const char *p = strstr(path, "rules/"); p; p = strstr(p + 1, "rules/"))
        if (p == path || p[-1] == '/')
            best = p;
    return best ? best : path;
}

static const char *nb_name(uint8_t c)
{
    return c == LC_GOOD ? "keep" : c == LC_BAD ? "drop" : c == LC_NEAR ? "near" : "edge";
}

/* The features that weighed most in the model's score of the k-th
 * non-blank line: " [name +0.52, name -0.31, ...]". */
static void explain_model(const struct feat_ctx *ctx, uint32_t k, const struct model *m,
                          struct buf *out)
{
    float x[MODEL_INPUTS_MAX];
    feat_line(ctx, k, x);
    unsigned idx[EXPLAIN_TOP];
    double c[EXPLAIN_TOP];
    unsigned n = model_explain(m, x, EXPLAIN_TOP, idx, c);
    buf_adds(out, " [");
    for (unsigned j = 0; j < n; j++)
        buf_addf(out, "%s%s %+.2f", j ? ", " : "", feat_names[idx[j]], c[j]);
    buf_addc(out, ']');
}

chaff_status emit_explain(const struct doc *d, const struct chaff_rules *r, const struct model *m,
                          struct buf *out)
{
    /* the model's inputs again, for the lines it decided */
    struct feat_ctx ctx;
    uint32_t k = 0;
    if (m) {
        chaff_status st = feat_prepare(&ctx, d, r);
        if (st)
            return st;
    }
    for (uint32_t i = 0; i < d->n_lines; i++) {
        const struct line *L = &d->lines[i];
        if (!L->len) {
            buf_adds(out, "    \tblank\t\n");
            continue;
        }
        buf_adds(out, L->keep ? "keep\t" : "drop\t");
        uint32_t nb = k++;
        if (L->why == R_MODEL && m) {
            buf_addf(out, "model p=%.2f", (double)L->p);
            explain_model(&ctx, nb, m, out);
            if (L->rule >= 0 && r)
                buf_addf(out, " rule=%s:%u", emit_rule_path(r->files[r->v[L->rule].file].path),
                         r->v[L->rule].line);
        } else if ((L->why == R_RULE || L->why == R_RULE_RANGE || L->why == R_KEEP_RULE ||
                    L->why == R_WEAK) &&
                   r && L->rule >= 0) {
            const struct rule *ru = &r->v[L->rule];
            buf_addf(out, "%s %s:%u [%s%s]",
                     L->why == R_RULE_RANGE  ? "rule-range"
                     : L->why == R_WEAK      ? "weak-rule"
                     : L->why == R_KEEP_RULE ? "keep-rule"
                                             : "rule",
                     emit_rule_path(r->files[ru->file].path), ru->line, r->categories[ru->category],
                     ru->site ? " site" : "");
            if (L->why == R_WEAK)
                buf_addf(out, " neighbours=%s,%s", nb_name(L->nb_prev), nb_name(L->nb_next));
        } else {
            buf_adds(out, cls_reason_name(L->why));
            switch (L->why) {
            case R_GOOD:
            case R_NEAR:
            case R_LONGLINE:
                buf_addf(out, " len=%u words=%u%s", L->f.elen, L->f.n_words,
                         L->f.terminal ? " terminal" : "");
                break;
            case R_CONTEXT:
                buf_addf(out, " len=%u neighbours=%s,%s", L->f.elen, nb_name(L->nb_prev),
                         nb_name(L->nb_next));
                break;
            case R_HEAD:
            case R_TAIL: buf_addf(out, " len=%u lines=%u", L->f.elen, L->fig); break;
            case R_NAV: buf_addf(out, " seps=%u len=%u", L->f.n_seps, L->f.elen); break;
            case R_REPEAT: buf_addf(out, " of-line=%u", L->fig + 1); break;
            case R_OFFMAIN: buf_addf(out, " mass=%u%%", L->fig); break;
            case R_LIST:
            case R_TEASERS:
            case R_COLON_LIST:
            case R_SHAPED_LIST: buf_addf(out, " items=%u", L->fig); break;
            case R_THREAD: buf_addf(out, " records=%u", L->fig); break;
            default:
                if (L->rule >= 0 && r)
                    buf_addf(out, " weak=%s:%u", emit_rule_path(r->files[r->v[L->rule].file].path),
                             r->v[L->rule].line);
                break;
            }
        }
        buf_addc(out, '\t');
        buf_add(out, L->text, L->len);
        buf_addc(out, '\n');
    }
    return out->err;
}

chaff_status emit_features(const struct doc *d, const struct chaff_rules *r, struct buf *out)
{
    struct feat_ctx ctx;
    chaff_status st = feat_prepare(&ctx, d, r);
    if (st)
        return st;
    float x[256];
    if (feat_count > sizeof x / sizeof x[0])
        return CHAFF_E_INVAL;
    buf_adds(out, "#line\tkeep\tp");
    for (unsigned j = 0; j < feat_count; j++) {
        buf_addc(out, '\t');
        buf_adds(out, feat_names[j]);
    }
    buf_adds(out, "\ttext\n");
    for (uint32_t k = 0; k < ctx.n_nb; k++) {
        const struct line *L = &d->lines[ctx.nb[k]];
        feat_line(&ctx, k, x);
        buf_addf(out, "%u\t%u\t%.9g", ctx.nb[k], L->keep, (double)L->p);
        for (unsigned j = 0; j < feat_count; j++) {
            if (x[j] == 0.0f)
                buf_adds(out, "\t0");
            else if (x[j] == 1.0f)
                buf_adds(out, "\t1");
            else
                buf_addf(out, "\t%.9g", (double)x[j]);
        }
        buf_addc(out, '\t');
        /* the text without tabs, so the row keeps its columns */
        for (uint32_t b = 0; b < L->len; b++)
            buf_addc(out, L->text[b] == '\t' ? ' ' : L->text[b]);
        buf_addc(out, '\n');
    }
    return out->err;
}
