/*
 * cli_report.c — `chaff report`: one static HTML page from --stats summaries.
 *
 * Each summary is parsed by a small JSON reader (the whole text into a
 * tree; depth, nesting and string sizes capped, since a summary may come
 * from anywhere) and added into one struct report: totals summed, the
 * removals by category, heuristic and rule summed key by key, the per-site
 * counts (by_site) summed host by host, the removal share histogram summed
 * bin by bin, error messages appended (the first REPORT_ERRORS_MAX).  Keys the report does not know
 * are ignored, so an older chaff reads a newer summary.
 *
 * The page is one file with nothing to fetch: inline CSS, charts as inline
 * SVG, no script.  It is written as well-formed XML (void elements closed,
 * every text escaped), so xmllint can check it as well as a browser can
 * show it.  A rule is shown with its text, read from the line its key
 * names ("rules/en/share.rules:12") in the loaded rule file whose path
 * ends so, else in that path from the current folder; a rule whose file
 * cannot be found is shown by its key alone.
 *
 * Sites are summed in the library's own table (sites.h), since summaries
 * hold up to 10,000 each: at most REPORT_SITES_MAX hosts are kept over all
 * summaries, the rest added to "(other)", so merging many summaries stays
 * bounded too.
 *
 * Limits: REPORT_DEPTH_MAX nesting, REPORT_RULES_SHOWN rules and
 * REPORT_SITES_SHOWN sites on the page (the rest counted), summaries'
 * numbers read as doubles (exact to 2^53; sites' counts as integers, what
 * is negative or not a number counting nothing).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_report.h"
#include "sites.h"

#define REPORT_DEPTH_MAX 32
#define REPORT_ERRORS_MAX 1000
#define REPORT_RULES_SHOWN 200
#define REPORT_SITES_SHOWN 50
#define REPORT_SITES_MAX 100000
#define SHARE_BINS 11 /* keep in sync with cli.c (stats_doc_done) */

/* ---- JSON -------------------------------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype t;
    double num;
    char *str;        /* J_STR: NUL-terminated UTF-8 (owned) */
    size_t n;         /* J_ARR, J_OBJ: items */
    struct jv *items; /* owned */
    char **keys;      /* J_OBJ: owned */
};

struct jp {
    const char *p, *start, *end;
    const char *err;
    const char *err_at;
    int depth;
};

static void jv_free(struct jv *v)
{
    if (v->t == J_STR)
        free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static int jp_fail(struct jp *j, const char *msg)
{
    if (!j->err) {
        j->err = msg;
        j->err_at = j->p;
    }
    return -1;
}

static void jp_space(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16)
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* A string at j->p (its opening quote) into a new NUL-terminated buffer:
 * escapes decoded, \uXXXX (surrogate pairs too) as UTF-8. */
static int jp_string(struct jp *j, char **out)
{
    j->p++;
    /* the decoded text is never longer than the escaped one */
    const char *q = j->p;
    while (q < j->end && *q != '"')
        q += *q == '\\' && q + 1 < j->end ? 2 : 1;
    if (q >= j->end)
        return jp_fail(j, "unterminated string");
    char *s = malloc((size_t)(q - j->p) + 1), *w = s;
    if (!s)
        return jp_fail(j, "out of memory");
    while (*j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20) {
            free(s);
            return jp_fail(j, "control character in a string");
        }
        if (c != '\\') {
            *w++ = *j->p++;
            continue;
        }
        j->p++;
        char e = *j->p++;
        switch (e) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned u, lo;
            if (q - j->p < 4 || hex4(j->p, &u)) {
                free(s);
                return jp_fail(j, "bad \\u escape");
            }
            j->p += 4;
            if (u >= 0xd800 && u < 0xdc00 && q - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' &&
                !hex4(j->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                j->p += 6;
            } else if (u >= 0xd800 && u < 0xe000) {
                u = 0xfffd; /* a lone surrogate */
            }
            /* 6 escaped bytes (12 for a pair) always hold the 1-4 written */
            if (u < 0x80) {
                *w++ = (char)u;
            } else if (u < 0x800) {
                *w++ = (char)(0xc0 | (u >> 6));
                *w++ = (char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                *w++ = (char)(0xe0 | (u >> 12));
                *w++ = (char)(0x80 | ((u >> 6) & 0x3f));
                *w++ = (char)(0x80 | (u & 0x3f));
            } else {
                *w++ = (char)(0xf0 | (u >> 18));
                *w++ = (char)(0x80 | ((u >> 12) & 0x3f));
                *w++ = (char)(0x80 | ((u >> 6) & 0x3f));
                *w++ = (char)(0x80 | (u & 0x3f));
            }
            break;
        }
        default:
            free(s);
            j->p--;
            return jp_fail(j, "bad escape in a string");
        }
    }
    *w = '\0';
    j->p++;
    *out = s;
    return 0;
}

static int jp_value(struct jp *j, struct jv *v);

/* An array or object at j->p; obj says which. */
static int jp_items(struct jp *j, struct jv *v, int obj)
{
    if (++j->depth > REPORT_DEPTH_MAX)
        return jp_fail(j, "nested too deeply");
    v->t = obj ? J_OBJ : J_ARR;
    char close = obj ? '}' : ']';
    j->p++;
    jp_space(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        if (v->n == cap) {
            cap = cap ? cap * 2 : 8;
            struct jv *items = realloc(v->items, cap * sizeof *items);
            if (!items)
                return jp_fail(j, "out of memory");
            v->items = items;
            if (obj) {
                char **keys = realloc(v->keys, cap * sizeof *keys);
                if (!keys)
                    return jp_fail(j, "out of memory");
                v->keys = keys;
            }
        }
        struct jv *it = &v->items[v->n];
        memset(it, 0, sizeof *it);
        if (obj) {
            jp_space(j);
            if (j->p >= j->end || *j->p != '"')
                return jp_fail(j, "expected a string key");
            char *key;
            if (jp_string(j, &key))
                return -1;
            v->keys[v->n] = key;
            jp_space(j);
            if (j->p >= j->end || *j->p != ':') {
                v->n++; /* the key is freed with the object */
                return jp_fail(j, "expected ':'");
            }
            j->p++;
        }
        v->n++;
        if (jp_value(j, it))
            return -1;
        jp_space(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return 0;
        }
        return jp_fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int jp_value(struct jp *j, struct jv *v)
{
    jp_space(j);
    if (j->p >= j->end)
        return jp_fail(j, "unexpected end");
    char c = *j->p;
    if (c == '{' || c == '[')
        return jp_items(j, v, c == '{');
    if (c == '"') {
        v->t = J_STR;
        return jp_string(j, &v->str);
    }
    static const struct {
        const char *word;
        enum jtype t;
    } words[] = {{"null", J_NULL}, {"true", J_BOOL}, {"false", J_BOOL}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t k = strlen(words[i].word);
        if ((size_t)(j->end - j->p) >= k && !memcmp(j->p, words[i].word, k)) {
            v->t = words[i].t;
            v->num = i == 1;
            j->p += k;
            return 0;
        }
    }
    /* a number: JSON's grammar checked loosely, strtod on a bounded copy */
    const char *q = j->p;
    while (q < j->end && strchr("+-0123456789.eE", *q))
        q++;
    char buf[64];
    if (q == j->p || (size_t)(q - j->p) >= sizeof buf)
        return jp_fail(j, "unexpected character");
    memcpy(buf, j->p, (size_t)(q - j->p));
    buf[q - j->p] = '\0';
    char *endp;
    v->t = J_NUM;
    v->num = strtod(buf, &endp);
    if (*endp || !isfinite(v->num))
        return jp_fail(j, "bad number");
    j->p = q;
    return 0;
}

/* ---- the report -------------------------------------------------------- */

/* The summary's totals, in the order the page lists them; keep in sync
 * with chaff_filter_stats_json(). */
static const char *const total_keys[] = {
    "records",      "records_error",     "lines_in",        "lines_out",
    "bytes_in",     "bytes_out",         "replacements",    "controls",
    "dropped_rule", "dropped_heuristic", "budget_backoffs", "windows",
};
enum {
    T_RECORDS,
    T_ERRORS,
    T_LINES_IN,
    T_LINES_OUT,
    T_BYTES_IN,
    T_BYTES_OUT,
    T_REPL,
    T_CONTROLS,
    T_DROP_RULE,
    T_DROP_HEUR,
    T_BACKOFFS,
    T_WINDOWS,
    N_TOTALS
};

struct count {
    char *key;
    double n;
};

struct counts {
    struct count *v;
    size_t n, cap;
};

struct note {
    char *source; /* the summary it came from (not owned: r->files) */
    char *text;
};

struct report {
    char **files;
    size_t n_files;
    double total[N_TOTALS];
    struct counts by_category, by_heuristic, by_rule, inputs;
    struct sites sites;
    double hist[SHARE_BINS], measured;
    char *why_not;
    struct note *errors;
    size_t n_errors;
    double errors_not_kept;
};

struct report *report_new(void)
{
    struct report *r = calloc(1, sizeof(struct report));
    if (r)
        sites_init(&r->sites, REPORT_SITES_MAX);
    return r;
}

static void counts_free(struct counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].key);
    free(c->v);
}

void report_free(struct report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i]);
    free(r->files);
    counts_free(&r->by_category);
    counts_free(&r->by_heuristic);
    counts_free(&r->by_rule);
    counts_free(&r->inputs);
    sites_free(&r->sites);
    free(r->why_not);
    for (size_t i = 0; i < r->n_errors; i++)
        free(r->errors[i].text);
    free(r->errors);
    free(r);
}

/* Add n to key's count (a new key is appended).  0, or -1 out of memory. */
static int counts_add(struct counts *c, const char *key, double n)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].key, key)) {
            c->v[i].n += n;
            return 0;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct count *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    if (!(c->v[c->n].key = strdup(key)))
        return -1;
    c->v[c->n++].n = n;
    return 0;
}

/* Line and column of p in the text from start, for messages. */
static void line_col(const char *start, const char *p, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (const char *q = start; q < p; q++) {
        if (*q == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)*q & 0xc0) != 0x80) {
            ++*col;
        }
    }
}

static const struct jv *obj_get(const struct jv *o, const char *key)
{
    for (size_t i = 0; o->t == J_OBJ && i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return &o->items[i];
    return NULL;
}

/* The number o holds at key, or 0. */
static double num_of(const struct jv *o, const char *key)
{
    const struct jv *x = obj_get(o, key);
    return x && x->t == J_NUM ? x->num : 0;
}

/* Every number of the object o added into c. */
static int add_map(struct counts *c, const struct jv *o)
{
    for (size_t i = 0; o && o->t == J_OBJ && i < o->n; i++)
        if (o->items[i].t == J_NUM && counts_add(c, o->keys[i], o->items[i].num))
            return -1;
    return 0;
}

static double num_of(const struct jv *o, const char *key);

/* A summary's count as an integer: what is not a finite number from 0 up
 * counts nothing. */
static uint64_t count_of(const struct jv *o, const char *key)
{
    double x = num_of(o, key);
    return isfinite(x) && x > 0 ? (x < 1.8e19 ? (uint64_t)x : UINT64_MAX) : 0;
}

/* Every host of the by_site object o added into c (SITES_OTHER's counts
 * to c's own, as are hosts past its cap). */
static int add_sites(struct sites *c, const struct jv *o)
{
    for (size_t i = 0; o && o->t == J_OBJ && i < o->n; i++) {
        const struct jv *x = &o->items[i];
        if (x->t == J_OBJ && *o->keys[i] &&
            sites_add(c, o->keys[i], count_of(x, "records"), count_of(x, "lines_in"),
                      count_of(x, "lines_removed")) != CHAFF_OK)
            return -1;
    }
    return 0;
}

/* Merge the parsed summary v (already checked to be one) into r. */
static int report_merge(struct report *r, const char *source, const struct jv *v)
{
    for (size_t i = 0; i < N_TOTALS; i++) {
        const struct jv *x = obj_get(v, total_keys[i]);
        if (x && x->t == J_NUM)
            r->total[i] += x->num;
    }
    if (add_map(&r->by_category, obj_get(v, "by_category")) ||
        add_map(&r->by_heuristic, obj_get(v, "by_heuristic")) ||
        add_map(&r->by_rule, obj_get(v, "by_rule")) || add_sites(&r->sites, obj_get(v, "by_site")))
        return -1;
    const struct jv *x = obj_get(v, "inputs");
    for (size_t i = 0; x && x->t == J_ARR && i < x->n; i++)
        if (x->items[i].t == J_STR && counts_add(&r->inputs, x->items[i].str, 1))
            return -1;
    x = obj_get(v, "documents_measured");
    if (x && x->t == J_NUM)
        r->measured += x->num;
    x = obj_get(v, "removal_share_hist");
    for (size_t i = 0; x && x->t == J_ARR && i < x->n && i < SHARE_BINS; i++)
        if (x->items[i].t == J_NUM)
            r->hist[i] += x->items[i].num;
    x = obj_get(v, "documents_not_measured");
    if (x && x->t == J_STR && !r->why_not && !(r->why_not = strdup(x->str)))
        return -1;
    x = obj_get(v, "errors");
    for (size_t i = 0; x && x->t == J_ARR && i < x->n; i++) {
        if (x->items[i].t != J_STR)
            continue;
        if (r->n_errors == REPORT_ERRORS_MAX) {
            r->errors_not_kept++;
            continue;
        }
        if (!(r->n_errors & (r->n_errors - 1))) { /* at 0, 1, 2, 4, ...: grow */
            struct note *e = realloc(r->errors, (r->n_errors ? r->n_errors * 2 : 1) * sizeof *e);
            if (!e)
                return -1;
            r->errors = e;
        }
        if (!(r->errors[r->n_errors].text = strdup(x->items[i].str)))
            return -1;
        r->errors[r->n_errors++].source = (char *)source;
    }
    x = obj_get(v, "errors_not_kept");
    if (x && x->t == J_NUM)
        r->errors_not_kept += x->num;
    return 0;
}

int report_add(struct report *r, const char *name, const char *json, size_t len, char why[256])
{
    struct jp j = {json, json, json + len, NULL, NULL, 0};
    struct jv v;
    memset(&v, 0, sizeof v);
    int bad = jp_value(&j, &v);
    if (!bad) {
        jp_space(&j);
        if (j.p != j.end)
            bad = jp_fail(&j, "text after the summary");
    }
    if (bad) {
        unsigned line, col;
        line_col(json, j.err_at ? j.err_at : j.p, &line, &col);
        snprintf(why, 256, "%u:%u: %s", line, col, j.err);
        jv_free(&v);
        return -1;
    }
    const struct jv *rec = obj_get(&v, "records");
    if (v.t != J_OBJ || !rec || rec->t != J_NUM) {
        snprintf(why, 256, "not a chaff --stats summary (no \"records\")");
        jv_free(&v);
        return -1;
    }
    char **files = realloc(r->files, (r->n_files + 1) * sizeof *files);
    char *copy = strdup(name);
    if (files)
        r->files = files;
    if (!files || !copy || report_merge(r, copy, &v)) {
        /* what was merged before the failure stays: the run stops anyway */
        free(copy);
        snprintf(why, 256, "out of memory");
        jv_free(&v);
        return -1;
    }
    r->files[r->n_files++] = copy;
    jv_free(&v);
    return 0;
}

/* ---- the page ---------------------------------------------------------- */

/* s as XML text (also right inside attribute values in double quotes). */
static void esc(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default:
            /* XML 1.0 allows no control characters but tab and newlines */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
                fputs("\xef\xbf\xbd", fp);
            else
                fputc(*s, fp);
        }
    }
}

static int by_count_desc(const void *a, const void *b)
{
    const struct count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The counts of c sorted, most first: a copy the caller frees (NULL when
 * empty or out of memory). */
static struct count *sorted(const struct counts *c)
{
    if (!c->n)
        return NULL;
    struct count *v = malloc(c->n * sizeof *v);
    if (!v)
        return NULL;
    memcpy(v, c->v, c->n * sizeof *v);
    qsort(v, c->n, sizeof *v, by_count_desc);
    return v;
}

/* The text of line `line` of the file at path into buf (newline cut);
 * 0, or -1 when the file or the line is not there. */
static int read_line(const char *path, unsigned line, char *buf, size_t n)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    unsigned at = 0;
    int found = -1;
    while (fgets(buf, (int)n, fp)) {
        size_t k = strlen(buf);
        int whole = k && buf[k - 1] == '\n';
        if (++at == line) {
            buf[k - whole] = '\0';
            found = 0;
            break;
        }
        /* a line longer than buf: skip the rest of it */
        while (!whole && fgets(buf, (int)n, fp)) {
            k = strlen(buf);
            whole = k && buf[k - 1] == '\n';
        }
    }
    fclose(fp);
    return found;
}

/* The rule text of a by_rule key ("rules/en/share.rules:12"); see the
 * file comment.  0 with buf filled, or -1. */
static int rule_text(const chaff_rules *rules, const char *key, char *buf, size_t n)
{
    const char *colon = strrchr(key, ':');
    if (!colon || colon == key)
        return -1;
    unsigned long line = strtoul(colon + 1, NULL, 10);
    size_t plen = (size_t)(colon - key);
    if (!line || line > 100000000UL)
        return -1;
    const char *path;
    for (size_t i = 0; rules && (path = chaff_rules_file(rules, i, NULL)) != NULL; i++) {
        size_t k = strlen(path);
        if ((k == plen || (k > plen && path[k - plen - 1] == '/')) &&
            !memcmp(path + k - plen, key, plen))
            return read_line(path, (unsigned)line, buf, n);
    }
    char rel[4096];
    if (plen >= sizeof rel)
        return -1;
    memcpy(rel, key, plen);
    rel[plen] = '\0';
    return read_line(rel, (unsigned)line, buf, n);
}

static const char *const style =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;"
    "color:#222}"
    "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;"
    "vertical-align:top}tr:nth-child(even){background:#f4f4f4}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}code{font-size:.9em;white-space:pre-wrap;"
    "word-break:break-all}.muted{color:#777}svg text{font:12px system-ui,sans-serif}";

static double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

/* The removal share histogram as a bar chart. */
static void page_histogram(FILE *fp, const struct report *r)
{
    static const char *const label[SHARE_BINS] = {"0",      "0-10%",  "10-20%", "20-30%",
                                                  "30-40%", "40-50%", "50-60%", "60-70%",
                                                  "70-80%", "80-90%", "90-100%"};
    double max = 1;
    for (int i = 0; i < SHARE_BINS; i++)
        max = r->hist[i] > max ? r->hist[i] : max;
    const int bw = 52, h = 160, top = 20, base = top + h;
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"documents by share of lines removed\">\n",
            SHARE_BINS * bw + 10, base + 40);
    for (int i = 0; i < SHARE_BINS; i++) {
        double bh = r->hist[i] / max * h;
        int x = 5 + i * bw;
        fprintf(fp,
                "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s: "
                "%.0f documents</title></rect>\n",
                x + 4, base - bh, bw - 8, bh, i ? "#c0504d" : "#4f81bd", label[i], r->hist[i]);
        fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x + bw / 2,
                base - bh - 5, r->hist[i]);
        fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x + bw / 2,
                base + 16, label[i]);
    }
    fprintf(fp,
            "<text x=\"5\" y=\"%d\">share of each document's lines removed (0: nothing "
            "removed)</text>\n</svg>\n",
            base + 34);
}

struct site_row {
    const char *host;
    const struct site *row;
};

static int by_removed_desc(const void *a, const void *b)
{
    const struct site_row *x = a, *y = b;
    if (x->row->lines_removed != y->row->lines_removed)
        return x->row->lines_removed > y->row->lines_removed ? -1 : 1;
    return strcmp(x->host, y->host);
}

/* The Top sites table: the REPORT_SITES_SHOWN hosts that lost most lines,
 * each with its records, lines in, lines removed and their share; then how
 * many more there are, and what went under SITE_OTHER. */
static void page_sites(FILE *fp, const struct sites *c)
{
    bool other = c->other.records > 0 || c->other.lines_in > 0;
    struct site_row *v = c->n ? malloc(c->n * sizeof *v) : NULL;
    if (!c->n && !other) {
        fputs("<p class=\"muted\">None: no record had a URL, or the summaries have no "
              "per-site counts.</p>\n",
              fp);
    } else if (c->n && !v) {
        fputs("<p class=\"muted\">Out of memory.</p>\n", fp);
    } else if (v) {
        for (size_t i = 0; i < c->n; i++)
            v[i] = (struct site_row){sites_host(c, i), &c->v[i]};
        qsort(v, c->n, sizeof *v, by_removed_desc);
        size_t shown = c->n < REPORT_SITES_SHOWN ? c->n : REPORT_SITES_SHOWN;
        fputs("<table>\n<tr><th>site</th><th>records</th><th>lines in</th><th>lines "
              "removed</th><th>removed</th></tr>\n",
              fp);
        for (size_t i = 0; i < shown; i++) {
            fputs("<tr><td><code>", fp);
            esc(fp, v[i].host);
            fprintf(fp,
                    "</code></td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td "
                    "class=\"n\">%llu</td><td class=\"n\">%.1f%%</td></tr>\n",
                    (unsigned long long)v[i].row->records, (unsigned long long)v[i].row->lines_in,
                    (unsigned long long)v[i].row->lines_removed,
                    pct((double)v[i].row->lines_removed, (double)v[i].row->lines_in));
        }
        fputs("</table>\n", fp);
        if (shown < c->n)
            fprintf(fp, "<p class=\"muted\">and %zu more sites.</p>\n", c->n - shown);
        free(v);
    }
    if (other)
        fprintf(fp,
                "<p class=\"muted\">Hosts past the limit of sites kept, counted together as "
                "%s: %llu records, %llu lines in, %llu removed (%.1f%%).</p>\n",
                SITES_OTHER, (unsigned long long)c->other.records,
                (unsigned long long)c->other.lines_in, (unsigned long long)c->other.lines_removed,
                pct((double)c->other.lines_removed, (double)c->other.lines_in));
}

/* Horizontal bars of the counts v[0..n). */
static void page_bars(FILE *fp, const struct count *v, size_t n, const char *what)
{
    const int row = 22, label_w = 160, bar_w = 360;
    double max = n ? v[0].n : 1;
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" role=\"img\" "
            "aria-label=\"%s\">\n",
            label_w + bar_w + 80, n * (size_t)row + 4, what);
    for (size_t i = 0; i < n; i++) {
        double w = max > 0 ? v[i].n / max * bar_w : 0;
        size_t y = i * (size_t)row;
        fprintf(fp, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", label_w - 6, y + 15);
        esc(fp, v[i].key);
        fprintf(fp,
                "</text><rect x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\" fill=\"#c0504d\"/>",
                label_w, y + 3, w, row - 6);
        fprintf(fp, "<text x=\"%.1f\" y=\"%zu\">%.0f</text>\n", label_w + w + 6, y + 15, v[i].n);
    }
    fputs("</svg>\n", fp);
}

int report_write(const struct report *r, FILE *fp, const chaff_rules *rules, const char *title)
{
    const double *t = r->total;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n<title>",
          fp);
    esc(fp, title ? title : "chaff report");
    fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
    esc(fp, title ? title : "chaff report");
    fputs("</h1>\n<p class=\"muted\">From ", fp);
    for (size_t i = 0; i < r->n_files; i++) {
        fputs(i ? ", " : "", fp);
        fputs("<code>", fp);
        esc(fp, r->files[i]);
        fputs("</code>", fp);
    }
    if (r->inputs.n) {
        fputs("; inputs ", fp);
        for (size_t i = 0; i < r->inputs.n; i++) {
            fputs(i ? ", " : "", fp);
            fputs("<code>", fp);
            esc(fp, r->inputs.v[i].key);
            fputs("</code>", fp);
        }
    }
    fprintf(fp, ".  Written by chaff %s.</p>\n", chaff_version());

    fputs("<h2 id=\"totals\">Totals</h2>\n<table>\n", fp);
    static const struct {
        int key;
        const char *what;
    } rows[] = {
        {T_RECORDS, "documents"},
        {T_ERRORS, "documents with errors (passed through unchanged)"},
        {T_LINES_IN, "lines in"},
        {T_LINES_OUT, "lines out"},
        {T_BYTES_IN, "bytes in"},
        {T_BYTES_OUT, "bytes out"},
        {T_DROP_RULE, "lines dropped by rules"},
        {T_DROP_HEUR, "lines dropped by heuristics and the model"},
        {T_REPL, "invalid byte sequences replaced"},
        {T_CONTROLS, "control characters removed"},
        {T_BACKOFFS, "documents where the removal budget acted"},
        {T_WINDOWS, "extra windows of documents over the cap"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(fp, "<tr><th>%s</th><td class=\"n\">%.0f</td></tr>\n", rows[i].what,
                t[rows[i].key]);
    double removed = t[T_LINES_IN] > t[T_LINES_OUT] ? t[T_LINES_IN] - t[T_LINES_OUT] : 0;
    fprintf(fp, "<tr><th>share of lines removed</th><td class=\"n\">%.1f%%</td></tr>\n",
            pct(removed, t[T_LINES_IN]));
    fprintf(
        fp, "<tr><th>share of bytes removed</th><td class=\"n\">%.1f%%</td></tr>\n</table>\n",
        pct(t[T_BYTES_IN] > t[T_BYTES_OUT] ? t[T_BYTES_IN] - t[T_BYTES_OUT] : 0, t[T_BYTES_IN]));

    fputs("<h2 id=\"shares\">Removal share per document</h2>\n", fp);
    if (r->measured > 0) {
        fprintf(fp, "<p>%.0f documents measured.</p>\n", r->measured);
        page_histogram(fp, r);
    } else {
        fputs("<p class=\"muted\">Not measured", fp);
        if (r->why_not) {
            fputs(": ", fp);
            esc(fp, r->why_not);
        }
        fputs(".</p>\n", fp);
    }

    fputs("<h2 id=\"categories\">Removed lines by category</h2>\n", fp);
    struct count *v = sorted(&r->by_category);
    if (v)
        page_bars(fp, v, r->by_category.n, "removed lines by category");
    else
        fputs("<p class=\"muted\">No line was removed by a rule.</p>\n", fp);
    free(v);

    fputs("<h2 id=\"heuristics\">Removed lines by heuristic</h2>\n", fp);
    if ((v = sorted(&r->by_heuristic)) != NULL) {
        fputs("<table>\n<tr><th>lines</th><th>heuristic</th></tr>\n", fp);
        for (size_t i = 0; i < r->by_heuristic.n; i++) {
            fprintf(fp, "<tr><td class=\"n\">%.0f</td><td>", v[i].n);
            esc(fp, v[i].key);
            fputs("</td></tr>\n", fp);
        }
        fputs("</table>\n", fp);
    } else {
        fputs("<p class=\"muted\">None.</p>\n", fp);
    }
    free(v);

    fputs("<h2 id=\"rules\">Removed lines by rule</h2>\n", fp);
    if ((v = sorted(&r->by_rule)) != NULL) {
        fputs("<table>\n<tr><th>lines</th><th>rule</th><th>text</th></tr>\n", fp);
        size_t shown = r->by_rule.n < REPORT_RULES_SHOWN ? r->by_rule.n : REPORT_RULES_SHOWN;
        for (size_t i = 0; i < shown; i++) {
            char text[1024];
            fprintf(fp, "<tr><td class=\"n\">%.0f</td><td><code>", v[i].n);
            esc(fp, v[i].key);
            fputs("</code></td><td>", fp);
            if (rule_text(rules, v[i].key, text, sizeof text) == 0) {
                fputs("<code>", fp);
                esc(fp, text);
                fputs("</code>", fp);
            } else {
                fputs("<span class=\"muted\">(rule file not found)</span>", fp);
            }
            fputs("</td></tr>\n", fp);
        }
        fputs("</table>\n", fp);
        if (shown < r->by_rule.n)
            fprintf(fp, "<p class=\"muted\">and %zu more rules.</p>\n", r->by_rule.n - shown);
    } else {
        fputs("<p class=\"muted\">None.</p>\n", fp);
    }
    free(v);

    fputs("<h2 id=\"sites\">Top sites</h2>\n", fp);
    page_sites(fp, &r->sites);

    fprintf(fp, "<h2 id=\"errors\">Records with errors</h2>\n<p>%.0f documents had errors.</p>\n",
            t[T_ERRORS]);
    if (r->n_errors) {
        fputs("<table>\n<tr><th>summary</th><th>message</th></tr>\n", fp);
        for (size_t i = 0; i < r->n_errors; i++) {
            fputs("<tr><td><code>", fp);
            esc(fp, r->errors[i].source);
            fputs("</code></td><td>", fp);
            esc(fp, r->errors[i].text);
            fputs("</td></tr>\n", fp);
        }
        fputs("</table>\n", fp);
    }
    if (r->errors_not_kept > 0)
        fprintf(fp, "<p class=\"muted\">and %.0f more messages not kept.</p>\n",
                r->errors_not_kept);
    fputs("</body>\n</html>\n", fp);
    return ferror(fp) ? -1 : 0;
}
