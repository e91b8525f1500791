/*
 * sites.c — the per-site counts of the --stats summary (see sites.h).
 *
 * Rows sit in one array in the order their hosts first came; an open
 * addressing index (FNV-1a of the host, linear probing) finds a host's row
 * in constant time, and is rebuilt twice as large when half full.  The
 * hosts' bytes live back to back in one buffer, so a full table of
 * SITES_MAX hosts costs at most some 3 MB, and nothing is freed row by row.
 * Sorting happens only when the summary is written.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "jsonl.h"
#include "sites.h"

void sites_init(struct sites *s, size_t max)
{
    memset(s, 0, sizeof *s);
    s->max = max ? max : SITES_MAX;
    buf_init(&s->names, 0);
}

void sites_free(struct sites *s)
{
    chaff_xfree(s->v);
    chaff_xfree(s->index);
    buf_free(&s->names);
    s->v = NULL;
    s->index = NULL;
    s->n = s->cap = s->index_cap = 0;
}

static const char *host_of(const struct sites *s, const struct site *r)
{
    return s->names.p + r->host;
}

/* The index slot of host: its row's, or the empty one where it would go. */
static size_t slot_of(const struct sites *s, const char *host, size_t len)
{
    size_t mask = s->index_cap - 1;
    size_t i = (size_t)hash64(HASH64_INIT, host, len) & mask;
    while (s->index[i] && strcmp(host_of(s, &s->v[s->index[i] - 1]), host) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Make room for one more row: the rows' array and an index at most half
 * full.  CHAFF_OK or CHAFF_E_NOMEM (the table is left as it was). */
static chaff_status grow(struct sites *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct site *v = chaff_xrealloc(s->v, cap * sizeof *v);
        if (!v)
            return CHAFF_E_NOMEM;
        s->v = v;
        s->cap = cap;
    }
    if ((s->n + 1) * 2 <= s->index_cap)
        return CHAFF_OK;
    size_t cap = s->index_cap ? s->index_cap * 2 : 128;
    uint32_t *index = chaff_xcalloc(cap, sizeof *index);
    if (!index)
        return CHAFF_E_NOMEM;
    chaff_xfree(s->index);
    s->index = index;
    s->index_cap = cap;
    for (size_t r = 0; r < s->n; r++) {
        const char *h = host_of(s, &s->v[r]);
        s->index[slot_of(s, h, strlen(h))] = (uint32_t)(r + 1);
    }
    return CHAFF_OK;
}

static void count(struct site *r, uint64_t records, uint64_t lines_in, uint64_t lines_removed)
{
    r->records += records;
    r->lines_in += lines_in;
    r->lines_removed += lines_removed;
}

chaff_status sites_add(struct sites *s, const char *host, uint64_t records, uint64_t lines_in,
                       uint64_t lines_removed)
{
    if (s->err || !host || !*host)
        return s->err;
    if (!strcmp(host, SITES_OTHER)) { /* a host spelt so is no row of its own */
        count(&s->other, records, lines_in, lines_removed);
        return CHAFF_OK;
    }
    size_t len = strlen(host);
    if (s->index_cap) {
        size_t i = slot_of(s, host, len);
        if (s->index[i]) {
            count(&s->v[s->index[i] - 1], records, lines_in, lines_removed);
            return CHAFF_OK;
        }
    }
    if (s->n >= s->max) { /* full: the bound on memory */
        count(&s->other, records, lines_in, lines_removed);
        return CHAFF_OK;
    }
    size_t at = s->names.len;
    if ((s->err = grow(s)) != CHAFF_OK || (s->err = buf_add(&s->names, host, len + 1)) != CHAFF_OK)
        return s->err;
    struct site *r = &s->v[s->n];
    memset(r, 0, sizeof *r);
    r->host = at;
    count(r, records, lines_in, lines_removed);
    s->index[slot_of(s, host, len)] = (uint32_t)(s->n + 1);
    s->n++;
    return CHAFF_OK;
}

const char *sites_host(const struct sites *s, size_t i) { return host_of(s, &s->v[i]); }

struct ranked {
    const char *host;
    const struct site *row;
};

static int by_removed(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->row->lines_removed != y->row->lines_removed)
        return x->row->lines_removed > y->row->lines_removed ? -1 : 1;
    return strcmp(x->host, y->host);
}

static void row_json(struct buf *b, const char *host, const struct site *r, const char *sep)
{
    buf_addf(b, "%s\"", sep);
    jsonl_encode(b, host, strlen(host));
    buf_addf(b, "\":{\"records\":%llu,\"lines_in\":%llu,\"lines_removed\":%llu}",
             (unsigned long long)r->records, (unsigned long long)r->lines_in,
             (unsigned long long)r->lines_removed);
}

chaff_status sites_json(const struct sites *s, struct buf *b)
{
    struct ranked *v = s->n ? chaff_xmalloc(s->n * sizeof *v) : NULL;
    if (s->n && !v)
        return CHAFF_E_NOMEM;
    for (size_t i = 0; i < s->n; i++)
        v[i] = (struct ranked){host_of(s, &s->v[i]), &s->v[i]};
    if (s->n)
        qsort(v, s->n, sizeof *v, by_removed);
    buf_addc(b, '{');
    for (size_t i = 0; i < s->n; i++)
        row_json(b, v[i].host, v[i].row, i ? "," : "");
    if (s->other.records || s->other.lines_in)
        row_json(b, SITES_OTHER, &s->other, s->n ? "," : "");
    buf_addc(b, '}');
    chaff_xfree(v);
    return s->err ? s->err : b->err;
}
