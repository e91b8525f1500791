/*
 * filter_stats.c — a filter's figures: the totals (chaff_stats), added to
 * from the workers' own counts on the thread that feeds, and the JSON
 * summary: totals, removals per category, per heuristic and per rule, and
 * per site.  Per-rule and per-heuristic counts stay in the workers and are
 * summed when the summary is written.
 */
#include <string.h>

#include "filter.h"
#include "jsonl.h"
#include "rules.h"

void filt_stats_take(chaff_stats *total, chaff_stats *st)
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
