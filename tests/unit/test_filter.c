/*
 * test_filter.c — the library entry (filter.c) through the public API only:
 * chaff_filter_new / feed / end_input / finish with a write callback that
 * collects the output.
 *
 * What is checked: text framing output for small documents; feeding byte
 * by byte gives the same output as feeding at once in every framing; in
 * record framings one record in is one record out, in order, empty records
 * and a last record without its delimiter included; jobs=2 writes the same
 * bytes as jobs=1; a record over the cap is written through unchanged,
 * counted, and the next one is still cleaned; a text document over the cap
 * is cleaned in windows whose output keeps the invariants (every output
 * line is an input line, trimmed; valid UTF-8); the JSON summary parses;
 * write failures and allocation failures are reported, never crash.
 */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "chaff.h"

#include "filter.h"

size_t text_line_cut(const char *q, size_t cap); /* filter_text.c, STATIC */

#define P0                                                                                         \
    "The city council voted on Tuesday evening to extend the tram line across the river, ending "  \
    "a debate that had divided residents of the old harbour district for more than a decade."
#define P1                                                                                         \
    "Supporters of the plan argued that the new link would cut travel times for thousands of "     \
    "commuters who now cross the bridge by car every single morning."
#define P2                                                                                         \
    "Opponents warned that the construction work would close the market square for at least two "  \
    "summers and drive away the small traders who depend on it."
#define ZH                                                                                         \
    "\xe5\xb8\x82\xe8\xae\xae\xe4\xbc\x9a\xe5\x91\xa8\xe4\xba\x8c\xe6\x99\x9a\xe9\x97\xb4\xe6\x8a" \
    "\x95\xe7\xa5\xa8\xe5\x86\xb3\xe5\xae\x9a\xe5\xb0\x86\xe6\x9c\x89\xe8\xbd\xa8\xe7\x94\xb5\xe8" \
    "\xbd\xa6\xe7\xba\xbf\xe8\xb7\xaf\xe5\xbb\xb6\xe4\xbc\xb8\xe5\x88\xb0\xe6\xb2\xb3\xe5\xaf\xb9" \
    "\xe5\xb2\xb8\xef\xbc\x8c\xe7\xbb\x93\xe6\x9d\x9f\xe4\xba\x86\xe4\xb8\x80\xe5\x9c\xba\xe6\x8c" \
    "\x81\xe7\xbb\xad\xe5\x8d\x81\xe5\xa4\x9a\xe5\xb9\xb4\xe7\x9a\x84\xe4\xba\x89\xe8\xae\xba\xe3" \
    "\x80\x82"
#define NAV "Home | News | World | Sport"

/* ---- output collection ------------------------------------------------- */

struct sink {
    char *p;
    size_t len, cap;
    long fail_after; /* writes to accept before failing; < 0 = never fail */
    size_t calls;
};

static int sink_write(void *ud, const char *buf, size_t len)
{
    struct sink *s = ud;
    s->calls++;
    if (s->fail_after == 0)
        return 1;
    if (s->fail_after > 0)
        s->fail_after--;
    if (s->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + len + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        assert_non_null(p);
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    s->p[s->len] = '\0';
    return 0;
}

static void sink_init(struct sink *s)
{
    memset(s, 0, sizeof *s);
    s->fail_after = -1;
}

static void sink_free(struct sink *s) { free(s->p); }

static chaff_options opts(chaff_framing fr)
{
    chaff_options o;
    chaff_options_init(&o);
    o.framing = fr;
    return o;
}

/* Run in[0..len) through a filter fed in pieces of step bytes (0 = all at
 * once); the output lands in *s, the stats in *st when not NULL. */
static chaff_status run(const chaff_options *o, const char *in, size_t len, size_t step,
                        struct sink *s, chaff_stats *st)
{
    sink_init(s);
    chaff_filter *f = NULL;
    chaff_status rc = chaff_filter_new(&f, NULL, o, sink_write, s);
    if (rc)
        return rc;
    if (!step)
        step = len ? len : 1;
    for (size_t i = 0; i < len && !rc; i += step)
        rc = chaff_filter_feed(f, in + i, len - i < step ? len - i : step);
    if (!rc)
        rc = chaff_filter_finish(f);
    if (st)
        *st = *chaff_filter_stats(f);
    chaff_filter_free(f);
    return rc;
}

static size_t count(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == c;
    return n;
}

/* Strict UTF-8 check: no overlongs, surrogates or code points past U+10FFFF. */
static int valid_utf8(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        size_t n = c < 0x80                ? 0
                   : c >= 0xc2 && c < 0xe0 ? 1
                   : c >= 0xe0 && c < 0xf0 ? 2
                   : c >= 0xf0 && c < 0xf5 ? 3
                                           : 9;
        if (n == 9 || i + n >= len + (n ? 0 : 1))
            return 0;
        if (n && i + n > len - 1 + 1)
            return 0;
        unsigned long cp = n == 0 ? c : c & (0x3f >> n);
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (u[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* ---- a tiny JSON checker ---------------------------------------------- */

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *json_value(const char *p, int depth);

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (!strchr("0123456789abcdefABCDEF", p[k]) || !p[k])
                        return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *json_value(const char *p, int depth)
{
    p = json_ws(p);
    if (depth > 64)
        return NULL;
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = json_ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (obj) {
                if (!(p = json_string(json_ws(p))))
                    return NULL;
                p = json_ws(p);
                if (*p++ != ':')
                    return NULL;
            }
            if (!(p = json_value(p, depth + 1)))
                return NULL;
            p = json_ws(p);
            if (*p == close)
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    if (*p == '"')
        return json_string(p);
    if (!strncmp(p, "true", 4))
        return p + 4;
    if (!strncmp(p, "false", 5))
        return p + 5;
    if (!strncmp(p, "null", 4))
        return p + 4;
    const char *s = p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p > s ? p : NULL;
}

static int json_ok(const char *s)
{
    const char *e = json_value(s, 0);
    return e && *json_ws(e) == '\0';
}

/* ---- tests ------------------------------------------------------------ */

static void test_text_small(void **state)
{
    (void)state;
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    struct sink s;
    chaff_stats st;
    const char *in = NAV "\n  " P0 "  \n\n\n\n" P1 "\r\n" P2;
    assert_int_equal(run(&o, in, strlen(in), 0, &s, &st), CHAFF_OK);
    assert_string_equal(s.p, P0 "\n\n" P1 "\n" P2 "\n");
    assert_int_equal(st.records, 1);
    assert_int_equal(st.lines_in, 4);
    assert_int_equal(st.lines_out, 3);
    assert_int_equal(st.dropped_heuristic, 1);
    assert_int_equal(st.bytes_in, strlen(in));
    assert_int_equal(st.bytes_out, s.len);
    assert_int_equal(st.windows, 0);
    sink_free(&s);

    /* empty input: nothing out */
    assert_int_equal(run(&o, "", 0, 0, &s, NULL), CHAFF_OK);
    assert_int_equal(s.len, 0);
    sink_free(&s);
    /* nothing kept: nothing out, not even a newline */
    assert_int_equal(run(&o, NAV "\n", strlen(NAV) + 1, 0, &s, NULL), CHAFF_OK);
    assert_int_equal(s.len, 0);
    sink_free(&s);

    /* controls and invalid bytes: removed / replaced and counted */
    const char bad[] = P0 "\n" ZH "\x01\x7f x\xff y\n"; /* mostly UTF-8 */
    assert_int_equal(run(&o, bad, sizeof bad - 1, 0, &s, &st), CHAFF_OK);
    assert_string_equal(s.p, P0 "\n" ZH " x\xef\xbf\xbd y\n");
    assert_int_equal(st.controls, 2);
    assert_int_equal(st.replacements, 1);
    sink_free(&s);

    /* two inputs in text framing are two documents */
    chaff_filter *f;
    sink_init(&s);
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    assert_int_equal(chaff_filter_feed(f, P0, strlen(P0)), CHAFF_OK);
    assert_int_equal(chaff_filter_end_input(f), CHAFF_OK);
    assert_int_equal(chaff_filter_feed(f, ZH "\n", strlen(ZH) + 1), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    assert_int_equal(chaff_filter_stats(f)->records, 2);
    assert_int_equal(chaff_filter_feed(f, "x", 1), CHAFF_E_INVAL); /* after finish */
    assert_int_equal(chaff_filter_finish(f), CHAFF_E_INVAL);
    chaff_filter_free(f);
    assert_string_equal(s.p, P0 "\n" ZH "\n");
    sink_free(&s);

    /* the one-shot call */
    sink_init(&s);
    assert_int_equal(chaff_clean(NULL, NULL, in, strlen(in), NULL, sink_write, &s), CHAFF_OK);
    assert_string_equal(s.p, P0 "\n\n" P1 "\n" P2 "\n");
    sink_free(&s);
}

/* Input for every framing: records with article text, chrome, white
 * space, an empty record, and no delimiter after the last one. */
static char *records(chaff_framing fr, size_t *len)
{
    static const char *const txt[] = {P0, "", "  " P1 "  ", NAV, ZH, "", P2};
    size_t n = sizeof txt / sizeof txt[0];
    char *b = malloc(8192);
    assert_non_null(b);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (fr == CHAFF_FRAME_JSONL && *txt[i])
            k += (size_t)sprintf(b + k, "{\"id\":%zu,\"text\":\"%s\"}", i, txt[i]);
        else if (fr != CHAFF_FRAME_JSONL)
            k += (size_t)sprintf(b + k, "%s", txt[i]);
        if (i + 1 < n)
            b[k++] = fr == CHAFF_FRAME_NUL ? '\0' : '\n';
    }
    *len = k;
    return b;
}

static void test_records(void **state)
{
    (void)state;
    struct sink s;
    chaff_stats st;
    size_t len;

    chaff_options o = opts(CHAFF_FRAME_LINES);
    char *in = records(CHAFF_FRAME_LINES, &len);
    assert_int_equal(run(&o, in, len, 0, &s, &st), CHAFF_OK);
    assert_string_equal(s.p, P0 "\n\n" P1 "\n\n" ZH "\n\n" P2 "\n");
    assert_int_equal(count(s.p, s.len, '\n'), 7);
    assert_int_equal(st.records, 7);
    assert_int_equal(st.records_error, 0);
    sink_free(&s);
    free(in);

    o = opts(CHAFF_FRAME_NUL);
    in = records(CHAFF_FRAME_NUL, &len);
    assert_int_equal(run(&o, in, len, 0, &s, NULL), CHAFF_OK);
    const char want_nul[] = P0 "\0\0" P1 "\0\0" ZH "\0\0" P2 "\0";
    assert_int_equal(s.len, sizeof want_nul - 1);
    assert_memory_equal(s.p, want_nul, sizeof want_nul - 1);
    sink_free(&s);
    free(in);

    o = opts(CHAFF_FRAME_JSONL);
    in = records(CHAFF_FRAME_JSONL, &len);
    assert_int_equal(run(&o, in, len, 0, &s, &st), CHAFF_OK);
    assert_string_equal(s.p, "{\"id\":0,\"text\":\"" P0 "\"}\n\n"
                             "{\"id\":2,\"text\":\"" P1 "\"}\n"
                             "{\"id\":3,\"text\":\"\"}\n"
                             "{\"id\":4,\"text\":\"" ZH "\"}\n\n"
                             "{\"id\":6,\"text\":\"" P2 "\"}\n");
    assert_int_equal(st.records_error, 0);
    sink_free(&s);
    free(in);

    /* malformed JSON and a missing field: through unchanged, in order */
    const char *j =
        "{\"text\":\"" NAV "\\n" P0 "\"}\n{bad json\n{\"body\":\"x\"}\n{\"text\":\"" P1 "\"}";
    assert_int_equal(run(&o, j, strlen(j), 0, &s, &st), CHAFF_OK);
    assert_string_equal(s.p, "{\"text\":\"" P0 "\"}\n{bad json\n{\"body\":\"x\"}\n{\"text\":\"" P1
                             "\"}\n");
    assert_int_equal(st.records_error, 1);
    sink_free(&s);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    const chaff_framing frs[] = {CHAFF_FRAME_TEXT, CHAFF_FRAME_LINES, CHAFF_FRAME_NUL,
                                 CHAFF_FRAME_JSONL};
    for (size_t i = 0; i < 4; i++) {
        chaff_options o = opts(frs[i]);
        size_t len;
        char *in = records(frs[i], &len);
        struct sink whole, bytes, odd;
        assert_int_equal(run(&o, in, len, 0, &whole, NULL), CHAFF_OK);
        assert_int_equal(run(&o, in, len, 1, &bytes, NULL), CHAFF_OK);
        assert_int_equal(run(&o, in, len, 7, &odd, NULL), CHAFF_OK);
        assert_true(whole.len > 0);
        assert_int_equal(bytes.len, whole.len);
        assert_memory_equal(bytes.p, whole.p, whole.len);
        assert_int_equal(odd.len, whole.len);
        assert_memory_equal(odd.p, whole.p, whole.len);
        sink_free(&whole);
        sink_free(&bytes);
        sink_free(&odd);
        free(in);
    }
}

static void test_jobs_identical(void **state)
{
    (void)state;
    const chaff_framing frs[] = {CHAFF_FRAME_LINES, CHAFF_FRAME_JSONL};
    for (size_t fi = 0; fi < 2; fi++) {
        size_t cap = 300 * 600, k = 0;
        char *in = malloc(cap);
        assert_non_null(in);
        for (int i = 0; i < 300; i++) {
            const char *t = i % 5 == 0   ? NAV
                            : i % 5 == 1 ? P0
                            : i % 5 == 2 ? ZH
                            : i % 5 == 3 ? ""
                                         : P2;
            if (frs[fi] == CHAFF_FRAME_JSONL)
                k += (size_t)snprintf(in + k, cap - k, "{\"n\":%d,\"text\":\"%s %d\"}\n", i, t, i);
            else
                k += (size_t)snprintf(in + k, cap - k, "%s %d\n", t, i);
        }
        chaff_options o = opts(frs[fi]);
        struct sink one, two;
        chaff_stats s1, s2;
        o.jobs = 1;
        assert_int_equal(run(&o, in, k, 0, &one, &s1), CHAFF_OK);
        o.jobs = 2;
        assert_int_equal(run(&o, in, k, 4096, &two, &s2), CHAFF_OK);
        assert_int_equal(one.len, two.len);
        assert_memory_equal(one.p, two.p, one.len);
        assert_int_equal(count(one.p, one.len, '\n'), 300);
        assert_int_equal(s1.records, 300);
        assert_int_equal(s2.records, 300);
        assert_int_equal(s1.lines_out, s2.lines_out);
        assert_int_equal(s1.dropped_heuristic, s2.dropped_heuristic);
        sink_free(&one);
        sink_free(&two);
        free(in);
    }
}

/* Many batches (BATCH_RECORDS each) through the pool's threads, which
 * stay between batches: the output and the counts are those of one job. */
static void test_jobs_batches(void **state)
{
    (void)state;
    const int n = 1300;
    size_t cap = (size_t)n * 400, k = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(in + k, cap - k, "{\"n\":%d,\"text\":\"%s %d\\n%s\"}\n", i,
                              i % 3 ? P0 : NAV, i, i % 2 ? P1 : "Share this");
    chaff_options o = opts(CHAFF_FRAME_JSONL);
    struct sink one;
    chaff_stats s1;
    o.jobs = 1;
    assert_int_equal(run(&o, in, k, 0, &one, &s1), CHAFF_OK);
    assert_int_equal(s1.records, (uint64_t)n);
    assert_int_equal(count(one.p, one.len, '\n'), (size_t)n);
    for (unsigned jobs = 2; jobs <= 4; jobs++) {
        struct sink many;
        chaff_stats sn;
        o.jobs = jobs;
        assert_int_equal(run(&o, in, k, 7919, &many, &sn), CHAFF_OK);
        assert_int_equal(one.len, many.len);
        assert_memory_equal(one.p, many.p, one.len);
        assert_int_equal(sn.records, s1.records);
        assert_int_equal(sn.lines_out, s1.lines_out);
        assert_int_equal(sn.bytes_out, s1.bytes_out);
        sink_free(&many);
    }
    sink_free(&one);
    free(in);
}

#define WARC_TEXT(body)                                                                            \
    "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://example.org/a\r\n"               \
    "Content-Type: text/plain\r\nContent-Length: " body "\r\n\r\n"

/* CHAFF_SNIFF_WARC: a text-framing filter reads an input that opens with
 * a WARC version line as warc, whatever the feeds' sizes, with any jobs;
 * anything else stays one text document. */
static void test_sniff_warc(void **state)
{
    (void)state;
    char in[2048];
    const char *body = P0 "\nShare this\n";
    int n = snprintf(in, sizeof in, WARC_TEXT("%zu") "%s\r\n\r\n", strlen(body), body);
    n += snprintf(in + n, sizeof in - (size_t)n, WARC_TEXT("%zu") "%s\r\n\r\n", strlen(P1), P1);
    chaff_options w = opts(CHAFF_FRAME_WARC);
    struct sink want;
    chaff_stats sw;
    assert_int_equal(run(&w, in, (size_t)n, 0, &want, &sw), CHAFF_OK);
    assert_int_equal(sw.records, 2);
    assert_non_null(strstr(want.p, "Content-Length: "));
    for (unsigned jobs = 1; jobs <= 2; jobs++)
        for (size_t step = 0; step <= 5; step += 1) {
            chaff_options o = opts(CHAFF_FRAME_TEXT);
            o.flags |= CHAFF_SNIFF_WARC;
            o.jobs = jobs;
            struct sink got;
            chaff_stats sg;
            assert_int_equal(run(&o, in, (size_t)n, step, &got, &sg), CHAFF_OK);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.p, want.p, want.len);
            assert_int_equal(sg.records, 2);
            sink_free(&got);
        }
    chaff_filter *f = NULL;
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    o.flags |= CHAFF_SNIFF_WARC;
    struct sink s;
    sink_init(&s);
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    assert_int_equal(chaff_filter_framing(f), CHAFF_FRAME_TEXT);
    assert_int_equal(chaff_filter_feed(f, in, 4), CHAFF_OK); /* "WARC": not yet known */
    assert_int_equal(chaff_filter_framing(f), CHAFF_FRAME_TEXT);
    assert_int_equal(chaff_filter_feed(f, in + 4, 2), CHAFF_OK);
    assert_int_equal(chaff_filter_framing(f), CHAFF_FRAME_WARC);
    chaff_filter_free(f);
    sink_free(&s);
    /* not a version line, a WARC not at the start, or no flag: text */
    const char *texts[] = {"WARC/x is a word\n" P0 "\n", P0 "\nWARC/1.0\r\n", "WARC/"};
    for (size_t i = 0; i < 3; i++)
        for (int flag = 0; flag <= 1; flag++) {
            chaff_options t = opts(CHAFF_FRAME_TEXT);
            t.flags |= flag ? CHAFF_SNIFF_WARC : 0;
            struct sink a;
            chaff_stats st;
            assert_int_equal(run(&t, texts[i], strlen(texts[i]), 1, &a, &st), CHAFF_OK);
            assert_int_equal(st.records, 1);
            sink_free(&a);
        }
    chaff_options t = opts(CHAFF_FRAME_TEXT);
    struct sink a;
    chaff_stats st;
    assert_int_equal(run(&t, in, (size_t)n, 0, &a, &st), CHAFF_OK);
    assert_int_equal(st.records, 1); /* no flag: one text document */
    sink_free(&a);
    sink_free(&want);
}

/* An allocator that counts the bytes live and their peak. */
struct counted {
    size_t magic, size;
};
#define COUNTED_MAGIC ((size_t)0xC0FFEE5EED)
/* atomic: the filter's worker threads allocate too; and the C library's
 * own realloc and free, not cmocka's macros of those names, which keep a
 * list no thread but the test's may touch */
static _Atomic size_t live_bytes, peak_bytes;

/* live_bytes grows by add and shrinks by sub; peak_bytes follows it up. */
static void counted_move(size_t add, size_t sub)
{
    atomic_fetch_add(&live_bytes, add);
    size_t now = atomic_fetch_sub(&live_bytes, sub) - sub;
    size_t peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now))
        ;
}

#pragma push_macro("realloc")
#pragma push_macro("free")
#undef realloc
#undef free
static void *counted_resize(void *ud, void *p, size_t size)
{
    (void)ud;
    struct counted *h = p ? (struct counted *)p - 1 : NULL;
    if (h && h->magic != COUNTED_MAGIC)
        return realloc(p, size); /* from before the allocator was set */
    size_t old = h ? h->size : 0;
    struct counted *n = realloc(h, sizeof *n + size);
    if (!n)
        return NULL;
    n->magic = COUNTED_MAGIC;
    n->size = size;
    counted_move(size, old);
    return n + 1;
}
static void *counted_alloc(void *ud, size_t size) { return counted_resize(ud, NULL, size); }
static void counted_release(void *ud, void *p)
{
    (void)ud;
    if (!p)
        return;
    struct counted *h = (struct counted *)p - 1;
    if (h->magic != COUNTED_MAGIC) {
        free(p);
        return;
    }
    counted_move(0, h->size);
    h->magic = 0;
    free(h);
}
#pragma pop_macro("free")
#pragma pop_macro("realloc")

/* A long text is decoded a part at a time (PART_BYTES): a JSONL record's
 * escapes and a CRLF text's line ends are undone in parts, so the filter
 * never holds a second copy of the whole text.  The text in a JSONL
 * record is cut and cleaned as the same text read in text framing. */
static void test_long_text_parts(void **state)
{
    (void)state;
    const size_t text_len = 12u << 20;
    const size_t line = 1000;
    char *text = malloc(text_len + 1);
    assert_non_null(text);
    static const char words[] = "the \"council\" met on tuesday and ";
    for (size_t k = 0; k < text_len; k += line) {
        size_t n = text_len - k < line ? text_len - k : line;
        for (size_t i = 0; i < n; i++)
            text[k + i] = words[(k / line + i) % (sizeof words - 1)];
        text[k + n - 1] = '\n';
    }
    text[text_len] = '\0';
    /* the same text as JSONL (quotes and newlines escaped) and with CRLF */
    size_t cap = text_len * 2 + 64, jl = 0, cl = 0;
    char *jsonl = malloc(cap), *crlf = malloc(cap);
    assert_non_null(jsonl);
    assert_non_null(crlf);
    jl += (size_t)sprintf(jsonl, "{\"id\":1,\"text\":\"");
    for (size_t i = 0; i < text_len; i++) {
        if (text[i] == '\n') {
            jsonl[jl++] = '\\';
            jsonl[jl++] = 'n';
            crlf[cl++] = '\r';
        } else if (text[i] == '"') {
            jsonl[jl++] = '\\';
            jsonl[jl++] = '"';
        } else {
            jsonl[jl++] = text[i];
        }
        if (text[i] != '\n')
            crlf[cl++] = text[i];
        else
            crlf[cl++] = '\n';
    }
    jl += (size_t)sprintf(jsonl + jl, "\"}\n");
    chaff_allocator a = {counted_alloc, counted_resize, counted_release, NULL};
    struct sink plain, viajson, viacrlf;
    chaff_stats st;
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    assert_int_equal(run(&o, text, text_len, 0, &plain, &st), CHAFF_OK);
    assert_true(st.windows >= 2); /* judged in parts */
    chaff_set_allocator(&a);
    live_bytes = peak_bytes = 0;
    o = opts(CHAFF_FRAME_JSONL);
    chaff_status rc = run(&o, jsonl, jl, 0, &viajson, &st);
    size_t peak_json = peak_bytes;
    live_bytes = peak_bytes = 0;
    o = opts(CHAFF_FRAME_TEXT);
    chaff_status rc2 = run(&o, crlf, cl, 0, &viacrlf, NULL);
    size_t peak_crlf = peak_bytes;
    chaff_set_allocator(NULL);
    assert_int_equal(rc, CHAFF_OK);
    assert_int_equal(rc2, CHAFF_OK);
    assert_true(st.windows >= 2);
    /* The record's bytes are the caller's: what the filter holds is a
     * part (4 MiB) and its lines' keys and structures, not a decoded copy
     * of the 12 MiB text.  The text framing holds its input (a 16 MiB
     * buffer) and then a part's conversion, not a 16 MiB one. */
    assert_true(peak_json < text_len);
    assert_true(peak_crlf < 2 * (16u << 20));
    /* CRLF moves the parts' ends (they count bytes as read), so only the
     * size of that output is held to the plain one's */
    assert_true(viacrlf.len > plain.len / 2 && viacrlf.len < plain.len * 2);
    /* the JSON string holds the text without its final newline */
    const char *v = strstr(viajson.p, "\"text\":\"");
    assert_non_null(v);
    struct sink round;
    sink_init(&round);
    for (v += 8; *v != '"'; v++) {
        char c = *v;
        if (c == '\\') {
            c = *++v == 'n' ? '\n' : *v;
        }
        sink_write(&round, &c, 1);
    }
    sink_write(&round, "\n", 1);
    assert_int_equal(round.len, plain.len);
    assert_memory_equal(round.p, plain.p, plain.len);
    sink_free(&round);
    sink_free(&plain);
    sink_free(&viajson);
    sink_free(&viacrlf);
    free(text);
    free(jsonl);
    free(crlf);
}

static int discard_write(void *ud, const char *buf, size_t len)
{
    (void)ud;
    (void)buf;
    (void)len;
    return 0;
}

/* A WARC text record of ALONE_MIN bytes or more is cleaned twice, once to
 * learn its block's length, once written through after the header, so
 * its cleaned block is never held whole; the bytes and the counts are
 * those of the block built whole (as it is when a listing goes beside it). */
static void test_warc_block_twice(void **state)
{
    (void)state;
    const size_t block = 12u << 20, line = 1000;
    static const char head[] = "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: "
                               "http://example.org/a\r\nWARC-Block-Digest: sha1:AAAA\r\n"
                               "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n";
    char *in = malloc(block + 1024);
    assert_non_null(in);
    size_t k = (size_t)sprintf(in, head, block);
    static const char words[] = "the council met on tuesday and ";
    for (size_t i = 0; i < block; i++)
        in[k + i] = (i + 1) % line ? words[(i / line + i) % (sizeof words - 1)] : '\n';
    memcpy(in + k + 7 * line, "Share this \n", 12); /* trimmed: the block changes */
    k += block;
    k += (size_t)sprintf(in + k, "\r\n\r\n");
    k += (size_t)sprintf(in + k, head, (size_t)3);
    k += (size_t)sprintf(in + k, "ab\n\r\n\r\n");
    chaff_allocator a = {counted_alloc, counted_resize, counted_release, NULL};
    for (unsigned jobs = 1; jobs <= 2; jobs++) {
        chaff_options o = opts(CHAFF_FRAME_WARC);
        o.jobs = jobs;
        struct sink twice, whole;
        chaff_stats s2, s1;
        chaff_set_allocator(&a);
        live_bytes = peak_bytes = 0;
        chaff_status rc = run(&o, in, k, 65536, &twice, &s2);
        size_t peak_twice = peak_bytes;
        o.explain_write = discard_write; /* a listing beside the text: built whole */
        live_bytes = peak_bytes = 0;
        chaff_status rc2 = run(&o, in, k, 65536, &whole, &s1);
        size_t peak_whole = peak_bytes;
        chaff_set_allocator(NULL);
        assert_int_equal(rc, CHAFF_OK);
        assert_int_equal(rc2, CHAFF_OK);
        assert_int_equal(twice.len, whole.len);
        assert_memory_equal(twice.p, whole.p, whole.len);
        assert_int_equal(s2.records, 2);
        assert_int_equal(s2.lines_in, s1.lines_in);
        assert_int_equal(s2.lines_out, s1.lines_out);
        assert_int_equal(s2.bytes_out, s1.bytes_out);
        assert_int_equal(s2.bytes_out, twice.len);
        const char *end = strstr(twice.p, "\r\n\r\n");
        assert_non_null(end);
        assert_true(strstr(twice.p, "Block-Digest") > end); /* the first block changed */
        /* the record as read is held (fed in pieces); its cleaned block
         * is not, beside it */
        assert_true(peak_twice + (8u << 20) < peak_whole);
        sink_free(&twice);
        sink_free(&whole);
    }
    free(in);
}

static void test_record_over_cap(void **state)
{
    (void)state;
    size_t big = 5000;
    char *in = malloc(big + 2 * sizeof P0 + 16);
    assert_non_null(in);
    size_t k = 0;
    in[k++] = ' ';
    for (; k < big; k++)
        in[k] = (char)('a' + k % 26);
    in[k++] = ' '; /* white space that cleaning would trim */
    in[k++] = '\n';
    k += (size_t)sprintf(in + k, "  %s  \n%s", P1, P2);
    const char *rest = P1 "\n" P2 "\n";
    chaff_options o = opts(CHAFF_FRAME_LINES);
    o.max_doc = 4096;
    for (size_t step = 0; step <= 1000; step += 1000) {
        struct sink s;
        chaff_stats st;
        assert_int_equal(run(&o, in, k, step, &s, &st), CHAFF_OK);
        assert_int_equal(s.len, big + 2 + strlen(rest));
        assert_memory_equal(s.p, in, big + 2); /* unchanged, with its delimiter */
        assert_string_equal(s.p + big + 2, rest);
        assert_int_equal(st.records, 3);
        assert_int_equal(st.records_error, 1);
        /* the big record's bytes count too: every record's bytes in, and
         * everything written out */
        assert_int_equal(st.bytes_in, k - 2);
        assert_int_equal(st.bytes_out, s.len);
        sink_free(&s);
    }
    /* the same in NUL framing, the big record last and unterminated */
    o.framing = CHAFF_FRAME_NUL;
    char *nul = malloc(big + 200);
    assert_non_null(nul);
    size_t m = (size_t)sprintf(nul, "  %s", P0);
    nul[m++] = '\0';
    memset(nul + m, 'x', big);
    m += big;
    struct sink s;
    chaff_stats st;
    assert_int_equal(run(&o, nul, m, 333, &s, &st), CHAFF_OK);
    assert_int_equal(s.len, m + 1 - 2); /* the first record loses its two spaces */
    assert_memory_equal(s.p, P0 "\0", sizeof P0);
    assert_memory_equal(s.p + sizeof P0, nul + strlen(P0) + 3, big);
    assert_int_equal(s.p[s.len - 1], '\0');
    assert_int_equal(st.records_error, 1);
    assert_int_equal(st.bytes_in, m - 1);
    assert_int_equal(st.bytes_out, s.len);
    sink_free(&s);
    free(nul);
    free(in);
}

static void test_text_windows(void **state)
{
    (void)state;
    /* 50 KiB document of lines under the 4 KiB cap: article, chrome, CJK */
    size_t cap = 60000, k = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    for (int i = 0; k < 50 * 1024; i++) {
        const char *t = i % 4 == 0 ? P0 : i % 4 == 1 ? ZH : i % 4 == 2 ? NAV : P1;
        k += (size_t)snprintf(in + k, cap - k, "  %d %s\n%s", i, t, i % 7 == 0 ? "\n" : "");
    }
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    o.max_doc = 4096;
    struct sink s;
    chaff_stats st;
    assert_int_equal(run(&o, in, k, 0, &s, &st), CHAFF_OK);
    assert_true(st.windows > 0);
    assert_int_equal(st.records, 1);
    assert_true(valid_utf8(s.p, s.len));
    /* the same paragraphs recur with new numbers: after its first copies,
     * a window drops them as echoes, but every window keeps article text */
    size_t n_article = 0;
    for (const char *p = s.p; (p = strstr(p, P0)) != NULL; p++)
        n_article++;
    assert_true(n_article >= st.windows);
    assert_int_equal(s.p[s.len - 1], '\n');
    /* every output line is an input line, trimmed */
    size_t n_lines = 0;
    for (char *p = s.p, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        assert_non_null(e);
        if (e == p)
            continue;
        *e = '\0';
        char needle[4200];
        snprintf(needle, sizeof needle, "  %s\n", p);
        if (!strstr(in, needle))
            fail_msg("output line not in the input: %.60s", p);
        *e = '\n';
        n_lines++;
    }
    assert_int_equal(n_lines, st.lines_out);
    /* byte-by-byte feeding cuts the same windows */
    struct sink b;
    assert_int_equal(run(&o, in, k, 1, &b, NULL), CHAFF_OK);
    assert_int_equal(b.len, s.len);
    assert_memory_equal(b.p, s.p, s.len);
    sink_free(&b);
    sink_free(&s);
    free(in);
}

static void test_long_line_windows(void **state)
{
    (void)state;
    /* a line longer than max_doc is cut into windows between two
     * characters that are not spaces, and the pieces of a kept line are
     * joined again: the article line comes out whole, fed at once or in
     * pieces */
    size_t k = 0, cap = 12000;
    char *in = malloc(cap);
    assert_non_null(in);
    while (k < 10000)
        k += (size_t)snprintf(in + k, cap - k, "%s ", P0);
    k--; /* no trailing space */
    in[k] = '\0';
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    o.max_doc = 4096;
    struct sink s;
    chaff_stats st;
    assert_int_equal(run(&o, in, k, 0, &s, &st), CHAFF_OK);
    assert_true(st.windows > 0);
    assert_int_equal(s.len, k + 1);
    assert_memory_equal(s.p, in, k);
    struct sink b;
    assert_int_equal(run(&o, in, k, 333, &b, NULL), CHAFF_OK);
    assert_int_equal(b.len, s.len);
    assert_memory_equal(b.p, s.p, s.len);
    sink_free(&b);
    sink_free(&s);
    free(in);
}

static void test_line_cut(void **state)
{
    (void)state;
    /* between two characters that are not white space, never inside a
     * UTF-8 sequence */
    const char *a = "abc def";
    assert_int_equal(text_line_cut(a, 4), 2); /* "ab|c def", not "abc|" */
    assert_int_equal(text_line_cut(a, 6), 6); /* "abc de|f" */
    const char *u = "x\xc3\xa9\xc3\xa9y";     /* x é é y */
    assert_int_equal(text_line_cut(u, 4), 3); /* "xé|é", not inside the second é */
    assert_int_equal(text_line_cut(u, 2), 1);
    const char *sp = "      "; /* white space all along */
    assert_int_equal(text_line_cut(sp, 3), 3);
}

static void test_binary(void **state)
{
    (void)state;
    /* the sample: two controls at least, and more than one byte in twenty */
    assert_int_equal(filt_binary("", 0), 0);
    assert_int_equal(filt_binary("ab\x01", 3), 0);
    assert_int_equal(filt_binary("a\x01\x02", 3), 2);
    static const char ws[] = "tab\tnl\ncr\r\nff\fesc\x1b$B";
    assert_int_equal(filt_binary(ws, sizeof ws - 1), 0);
    char buf[100];
    memset(buf, 'x', sizeof buf);
    buf[10] = buf[50] = buf[90] = '\0';
    assert_int_equal(filt_binary(buf, 100), 0); /* 3 in 100 */
    buf[20] = buf[30] = '\x7f';
    buf[40] = '\x08';
    assert_int_equal(filt_binary(buf, 100), 6);
    /* eight bytes at a time: the same count as byte by byte, at every
     * offset and length, for bytes around the edges of the tests (31, 32,
     * 126, 127, 128, 255) and the controls text holds */
    static const unsigned char edge[] = {0,    1,    8,    9,    10,   13,   27,   31,  32,
                                         'a',  126,  127,  128,  129,  159,  160,  254, 255,
                                         0x9b, 0xe4, 0x7e, 0x7f, 0x1f, 0x20, 0x1b, '\n'};
    unsigned seed = 99;
    char rnd[300];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 300), want = 0;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly letters, so that some samples are text and some are not */
            unsigned char c = (seed >> 16) % 4 ? (unsigned char)('a' + (seed >> 8) % 26)
                                               : edge[(seed >> 16) % sizeof edge];
            rnd[i] = (char)c;
            want += c < 32
                        ? c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1b
                        : c == 0x7f;
        }
        if (len >= 2 && (unsigned char)rnd[0] >= 0xfe)
            continue;                   /* a byte-order mark may say text */
        size_t off = (size_t)round % 8; /* unaligned starts too */
        char at[310];
        memcpy(at + off, rnd, len);
        assert_int_equal(filt_binary(at + off, len), want >= 2 && want * 20 > len ? want : 0);
    }
    /* a UTF-16 byte-order mark: NULs are its ASCII */
    assert_int_equal(filt_binary("\xff\xfe"
                                 "a\0b\0c\0",
                                 8),
                     0);
    /* text framing: a binary document is refused whole, however it is fed */
    size_t n = 200000;
    char *in = malloc(n);
    assert_non_null(in);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)(i % 7 == 0 ? 0 : 'a' + i % 26);
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    for (size_t step = 0; step <= 4096; step += 4096) {
        struct sink s;
        chaff_stats st;
        assert_int_equal(run(&o, in, n, step, &s, &st), CHAFF_OK);
        assert_int_equal(s.len, 0);
        assert_int_equal(st.records, 1);
        assert_int_equal(st.records_error, 1);
        assert_int_equal(st.bytes_in, n);
        sink_free(&s);
    }
    free(in);
}

/* A document of many lines is judged in pieces of WINDOW_LINES lines:
 * memory per line stays bounded, and the pieces count as windows. */
static void test_many_lines(void **state)
{
    (void)state;
    size_t n = 3 * 65536 + 100, k = 0;
    char *in = malloc(n * 2 + 1);
    assert_non_null(in);
    for (size_t i = 0; i < n; i++) {
        in[k++] = i % 2 ? 'a' : '\n';
        if (i % 2)
            in[k++] = '\n';
    }
    for (int fr = 0; fr < 2; fr++) {
        chaff_options o = opts(fr ? CHAFF_FRAME_NUL : CHAFF_FRAME_TEXT);
        struct sink s;
        chaff_stats st;
        assert_int_equal(run(&o, in, k, 0, &s, &st), CHAFF_OK);
        assert_int_equal(st.records, 1);
        assert_true(st.windows >= 2);
        sink_free(&s);
    }
    free(in);
}

static void test_stats_json(void **state)
{
    (void)state;
    chaff_options o = opts(CHAFF_FRAME_JSONL);
    chaff_filter *f;
    struct sink s, js;
    sink_init(&s);
    sink_init(&js);
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    const char *in = "{\"text\":\"" NAV "\\n" P0 "\"}\n{oops\n";
    assert_int_equal(chaff_filter_feed(f, in, strlen(in)), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    assert_int_equal(chaff_filter_stats_json(f, sink_write, &js), CHAFF_OK);
    assert_true(js.len > 2);
    assert_int_equal(js.p[js.len - 1], '\n');
    if (!json_ok(js.p))
        fail_msg("not JSON: %s", js.p);
    const char *keys[] = {"\"records\":2",         "\"records_error\":1",
                          "\"lines_in\":",         "\"lines_out\":",
                          "\"bytes_in\":",         "\"bytes_out\":",
                          "\"replacements\":0",    "\"controls\":0",
                          "\"dropped_rule\":0",    "\"dropped_heuristic\":1",
                          "\"budget_backoffs\":0", "\"windows\":0",
                          "\"by_category\":{}",    "\"by_heuristic\":{\"separator-nav\":1}",
                          "\"by_rule\":{}"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(js.p, keys[i]))
            fail_msg("no %s in %s", keys[i], js.p);
    /* reasons late in the list have their own names too (a comment thread
     * was once counted as "none") */
    chaff_filter_free(f);
    sink_free(&js);
    sink_init(&js);
    o = opts(CHAFF_FRAME_TEXT);
    o.flags |= CHAFF_NO_MODEL;
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    const char *thread =
        P0 "\n" P1 "\n" P2 "\n\n"
           "+12 #1 Anna 26.11.2011 16:14\nWhat a decision, the tram is long overdue in our part of "
           "town.\n"
           "-3 #2 Old Harbour Resident 26.11.2011 17:05\nThe works will ruin the market for two "
           "summers.\n"
           "+5 #3 Ivan 26.11.2011 17:38\nI will believe it when I see the first tram cross the "
           "bridge.\n"
           "+1 #4 Mari 26.11.2011 18:41\nWho is going to pay for the loan in the end? We are.\n";
    assert_int_equal(chaff_filter_feed(f, thread, strlen(thread)), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    assert_int_equal(chaff_filter_stats_json(f, sink_write, &js), CHAFF_OK);
    if (!strstr(js.p, "\"thread\":8") || strstr(js.p, "\"none\""))
        fail_msg("thread not counted by name: %s", js.p);
    /* the checker itself rejects broken JSON */
    assert_false(json_ok("{\"a\":1,}"));
    assert_false(json_ok("{\"a\" 1}"));
    assert_true(json_ok("{\"a\":{\"b\":[1,-2.5,\"x\\n\"]},\"c\":true}"));
    /* a failing writer */
    struct sink bad;
    sink_init(&bad);
    bad.fail_after = 0;
    assert_int_equal(chaff_filter_stats_json(f, sink_write, &bad), CHAFF_E_WRITE);
    chaff_filter_free(f);
    sink_free(&s);
    sink_free(&js);
    sink_free(&bad);
}

/* by_site: per host of the record's URL (case and port dropped), records
 * without one left out, the same with one job as with three; in text
 * framing the host of chaff_options.url. */
static void test_stats_by_site(void **state)
{
    (void)state;
    const char *in = "{\"url\":\"https://A.example/1\",\"text\":\"" NAV "\\n" P0 "\"}\n"
                     "{\"url\":\"http://b.example:8080/x\",\"text\":\"" P1 "\"}\n"
                     "{\"url\":\"https://a.example/2\",\"text\":\"" P0 "\"}\n"
                     "{\"text\":\"" P1 "\"}\n{oops\n";
    const char *want = "\"by_site\":{\"a.example\":{\"records\":2,\"lines_in\":3,"
                       "\"lines_removed\":1},\"b.example\":{\"records\":1,\"lines_in\":1,"
                       "\"lines_removed\":0}}";
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        chaff_options o = opts(CHAFF_FRAME_JSONL);
        o.jobs = jobs;
        chaff_filter *f;
        struct sink s, js;
        sink_init(&s);
        sink_init(&js);
        assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
        assert_int_equal(chaff_filter_feed(f, in, strlen(in)), CHAFF_OK);
        assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
        assert_int_equal(chaff_filter_stats_json(f, sink_write, &js), CHAFF_OK);
        if (!json_ok(js.p) || !strstr(js.p, want))
            fail_msg("jobs %u: no %s in %s", jobs, want, js.p);
        chaff_filter_free(f);
        sink_free(&s);
        sink_free(&js);
    }
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    o.url = "http://T.example./page";
    chaff_filter *f;
    struct sink s, js;
    sink_init(&s);
    sink_init(&js);
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    const char *doc = NAV "\n" P0 "\n";
    assert_int_equal(chaff_filter_feed(f, doc, strlen(doc)), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    assert_int_equal(chaff_filter_stats_json(f, sink_write, &js), CHAFF_OK);
    if (!strstr(js.p, "\"by_site\":{\"t.example\":{\"records\":1,\"lines_in\":2,"
                      "\"lines_removed\":1}}"))
        fail_msg("text framing: %s", js.p);
    chaff_filter_free(f);
    sink_free(&s);
    sink_free(&js);
}

static void test_write_failure(void **state)
{
    (void)state;
    const chaff_framing frs[] = {CHAFF_FRAME_TEXT, CHAFF_FRAME_LINES, CHAFF_FRAME_JSONL};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *in = records(frs[i], &len);
        chaff_options o = opts(frs[i]);
        struct sink s;
        sink_init(&s);
        s.fail_after = 1; /* the second write fails */
        chaff_filter *f;
        assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
        chaff_status st = chaff_filter_feed(f, in, len);
        if (!st)
            st = chaff_filter_finish(f);
        assert_int_equal(st, frs[i] == CHAFF_FRAME_TEXT ? CHAFF_OK : CHAFF_E_WRITE);
        chaff_filter_free(f);
        /* text framing writes once: fail that one */
        sink_free(&s);
        sink_init(&s);
        s.fail_after = 0;
        assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
        st = chaff_filter_feed(f, in, len);
        if (!st)
            st = chaff_filter_finish(f);
        assert_int_equal(st, CHAFF_E_WRITE);
        /* sticky */
        assert_true(chaff_filter_feed(f, "x", 1) != CHAFF_OK);
        chaff_filter_free(f);
        sink_free(&s);
        free(in);
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    chaff_filter *f = (chaff_filter *)&f;
    struct sink s;
    sink_init(&s);
    assert_int_equal(chaff_filter_new(&f, NULL, NULL, NULL, &s), CHAFF_E_INVAL);
    assert_null(f);
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    o.framing = (chaff_framing)9;
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_E_INVAL);
    o = opts(CHAFF_FRAME_TEXT);
    o.lang = "en,xx";
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_E_INVAL);
    o = opts(CHAFF_FRAME_TEXT);
    o.from = "no-such-charset";
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_E_CHARSET);
    assert_null(f);
    /* option strings are copied */
    char lang[] = "en";
    o = opts(CHAFF_FRAME_TEXT);
    o.lang = lang;
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    lang[0] = 'x';
    assert_int_equal(chaff_filter_feed(f, P0, strlen(P0)), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    chaff_filter_free(f);
    chaff_filter_free(NULL);
    assert_string_equal(s.p, P0 "\n");
    sink_free(&s);
    assert_string_equal(chaff_version(), CHAFF_VERSION_STRING);
    assert_string_equal(chaff_strerror(CHAFF_E_WRITE), "output failed");
    assert_string_equal(chaff_strerror((chaff_status)99), "unknown error");
}

/* Feed in[0..len) to a filter made with o, with allocation k failing for
 * each k below n_k: the stream succeeds or reports NOMEM, never a crash or
 * a leak; when it succeeds, the output holds lines newlines (SIZE_MAX: any). */
static void fail_each_allocation(const chaff_options *o, const char *in, size_t len, long n_k,
                                 size_t lines)
{
    for (long k = 0; k < n_k; k++) {
        struct sink s;
        sink_init(&s);
        chaff_filter *f;
        assert_int_equal(chaff_filter_new(&f, NULL, o, sink_write, &s), CHAFF_OK);
        alloc_fail_after(k);
        chaff_status st = chaff_filter_feed(f, in, len);
        if (!st)
            st = chaff_filter_finish(f);
        alloc_fail_after(-1);
        assert_true(st == CHAFF_OK || st == CHAFF_E_NOMEM);
        if (st == CHAFF_OK && lines != SIZE_MAX)
            assert_int_equal(count(s.p, s.len, '\n'), lines);
        chaff_filter_free(f);
        sink_free(&s);
    }
}

static void test_nomem(void **state)
{
    (void)state;
    const unsigned jobs[] = {1, 2};
    for (size_t j = 0; j < 2; j++) {
        chaff_options o = opts(CHAFF_FRAME_JSONL);
        o.jobs = jobs[j];
        o.lang = "en";
        o.url = "https://example.com/";
        long k;
        for (k = 0; k < 100; k++) {
            chaff_filter *f = (chaff_filter *)&f;
            struct sink s;
            sink_init(&s);
            alloc_fail_after(k);
            chaff_status st = chaff_filter_new(&f, NULL, &o, sink_write, &s);
            alloc_fail_after(-1);
            if (st == CHAFF_OK) {
                chaff_filter_free(f);
                break;
            }
            assert_int_equal(st, CHAFF_E_NOMEM);
            assert_null(f);
        }
        assert_true(k > 3 && k < 100);
    }
    /* failures inside the pipeline: the stream reports NOMEM (text) or
     * passes the record through (records); never a crash or a leak */
    const chaff_framing frs[] = {CHAFF_FRAME_TEXT, CHAFF_FRAME_LINES, CHAFF_FRAME_JSONL};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *in = records(frs[i], &len);
        chaff_options o = opts(frs[i]);
        struct sink ref;
        assert_int_equal(run(&o, in, len, 0, &ref, NULL), CHAFF_OK);
        /* one record out per record in */
        fail_each_allocation(&o, in, len, 60,
                             frs[i] != CHAFF_FRAME_TEXT ? count(ref.p, ref.len, '\n') : SIZE_MAX);
        sink_free(&ref);
        free(in);
    }
}

/* Allocation failures while the pool runs (its threads' start, a batch's
 * buffers, a record's cleaning): the stream succeeds or reports NOMEM, one
 * record out per record in when it succeeds; a thread that cannot start
 * leaves its records to the others.  Never a crash, a hang or a leak. */
static void test_nomem_pool(void **state)
{
    (void)state;
    const int n = 700; /* more than one batch */
    size_t cap = (size_t)n * 300, len = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(in + len, cap - len, "{\"n\":%d,\"text\":\"%s %d\"}\n", i,
                                i % 2 ? P0 : NAV, i);
    chaff_options o = opts(CHAFF_FRAME_JSONL);
    o.jobs = 3;
    struct sink ref;
    assert_int_equal(run(&o, in, len, 0, &ref, NULL), CHAFF_OK);
    assert_int_equal(count(ref.p, ref.len, '\n'), (size_t)n);
    fail_each_allocation(&o, in, len, 40, (size_t)n);
    sink_free(&ref);
    free(in);
}

/* Reading the totals does not write to the filter: two threads reading
 * them through a const pointer at once always see the same, complete
 * totals (a merge done on each read would let one reader see the other's
 * half-cleared sums). */
struct stats_job {
    const chaff_filter *f;
    uint64_t records, bytes_in;
    int bad;
};

static void *stats_thread(void *arg)
{
    struct stats_job *j = arg;
    for (int i = 0; i < 200000; i++) {
        const chaff_stats *t = chaff_filter_stats(j->f);
        if (t->records != j->records || t->bytes_in != j->bytes_in)
            j->bad++;
    }
    return NULL;
}

static void test_stats_const_readers(void **state)
{
    (void)state;
    chaff_options o = opts(CHAFF_FRAME_LINES);
    o.jobs = 2;
    chaff_filter *f;
    struct sink s;
    sink_init(&s);
    assert_int_equal(chaff_filter_new(&f, NULL, &o, sink_write, &s), CHAFF_OK);
    const char *in = P0 "\n" NAV "\n" P1 "\n";
    assert_int_equal(chaff_filter_feed(f, in, strlen(in)), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    struct stats_job jobs[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        jobs[i] = (struct stats_job){.f = f, .records = 3, .bytes_in = strlen(in) - 3};
        assert_int_equal(pthread_create(&th[i], NULL, stats_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].bad, 0);
    }
    chaff_filter_free(f);
    sink_free(&s);
}

/* The JSON summary escapes names as JSONL output does (jsonl_encode): a
 * rule file whose name holds a quote and U+2028 still gives one line of
 * valid JSON, with \u2028 escaped. */
static void test_stats_json_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/chaff-ut.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/q\"\xe2\x80\xa8.rules", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("@category share\n= share on facebook\n", fp);
    assert_int_equal(fclose(fp), 0);
    chaff_rules *r = NULL;
    chaff_error err;
    const char *paths[] = {path};
    assert_int_equal(chaff_rules_load(&r, paths, 1, &err), CHAFF_OK);
    chaff_options o = opts(CHAFF_FRAME_TEXT);
    chaff_filter *f;
    struct sink s, js;
    sink_init(&s);
    sink_init(&js);
    assert_int_equal(chaff_filter_new(&f, r, &o, sink_write, &s), CHAFF_OK);
    const char *in = "Share on Facebook\n" P0 "\n";
    assert_int_equal(chaff_filter_feed(f, in, strlen(in)), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    assert_int_equal(chaff_filter_stats_json(f, sink_write, &js), CHAFF_OK);
    if (!json_ok(js.p))
        fail_msg("not JSON: %s", js.p);
    if (!strstr(js.p, "q\\\"\\u2028.rules:2\":1"))
        fail_msg("name not escaped: %s", js.p);
    assert_int_equal(count(js.p, js.len, '\n'), 1);
    chaff_filter_free(f);
    chaff_rules_free(r);
    sink_free(&s);
    sink_free(&js);
    unlink(path);
    rmdir(dir);
}

/* Append to b a JSONL record whose text holds units of several lines
 * (escaped quotes and line ends, CJK, a menu, one-letter lines) up to at
 * least n bytes; broken: its object is not closed (malformed). */
static void big_record(struct buf *b, unsigned id, size_t n, bool broken)
{
    size_t at = b->len;
    buf_addf(b, "{\"id\":%u,\"text\":\"", id);
    for (unsigned k = 0; b->len - at < n; k++)
        buf_addf(b, "%s\\n%s\\n\\n\\\"%u\\\" caf\\u00e9 " ZH "\\r\\nx\\ny\\n", k % 3 ? P0 : P2, NAV,
                 k);
    buf_adds(b, broken ? "\"\n" : "\",\"url\":\"https://example.com/a\"}\r\n");
}

/* Records cleaned alone (one job, or ALONE_MIN bytes and more) are
 * written as they are made, records in a batch whole: the output is the
 * same byte for byte, whatever the jobs and the pieces fed, with one
 * record out per record in and a malformed one passed through. */
static void test_large_records(void **state)
{
    (void)state;
    struct buf in;
    buf_init(&in, 0);
    buf_adds(&in, "{\"id\":0,\"text\":\"" P1 "\"}\n");
    big_record(&in, 1, (size_t)3 << 20, false); /* batched with -j2, alone with -j1 */
    buf_adds(&in, "{\"id\":2,\"text\":\"" NAV "\\n" P2 "\"}\n");
    big_record(&in, 3, (size_t)9 << 19, false); /* 4.5 MiB: alone always */
    size_t broken_at = in.len;
    big_record(&in, 4, (size_t)9 << 19, true);
    size_t broken_len = in.len - broken_at;
    buf_adds(&in, "{\"id\":5,\"text\":\"" P0 "\"}\n");
    assert_int_equal(in.err, CHAFF_OK);

    struct sink ref, s;
    chaff_stats st;
    chaff_options o = opts(CHAFF_FRAME_JSONL);
    o.jobs = 1;
    assert_int_equal(run(&o, in.p, in.len, 0, &ref, &st), CHAFF_OK);
    assert_int_equal(count(ref.p, ref.len, '\n'), 6);
    assert_int_equal(st.records, 6);
    assert_int_equal(st.records_error, 1);
    assert_int_equal(st.bytes_out, ref.len);
    assert_true(ref.len < in.len); /* lines were removed */
    assert_true(valid_utf8(ref.p, ref.len));
    /* the malformed record as it came */
    bool found = false;
    for (size_t i = 0; !found && i + broken_len <= ref.len; i++)
        found = memcmp(ref.p + i, in.p + broken_at, broken_len) == 0;
    assert_true(found);
    const size_t steps[] = {65536, 1000003, 0};
    for (unsigned jobs = 1; jobs <= 3; jobs++)
        for (size_t k = 0; k < 3; k++) {
            o.jobs = jobs;
            assert_int_equal(run(&o, in.p, in.len, steps[k], &s, &st), CHAFF_OK);
            assert_int_equal(s.len, ref.len);
            assert_memory_equal(s.p, ref.p, ref.len);
            assert_int_equal(st.bytes_out, ref.len);
            sink_free(&s);
        }
    sink_free(&ref);
    buf_free(&in);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_text_small),
    cmocka_unit_test(test_records),
    cmocka_unit_test(test_byte_by_byte),
    cmocka_unit_test(test_jobs_identical),
    cmocka_unit_test(test_jobs_batches),
    cmocka_unit_test(test_sniff_warc),
    cmocka_unit_test(test_long_text_parts),
    cmocka_unit_test(test_warc_block_twice),
    cmocka_unit_test(test_record_over_cap),
    cmocka_unit_test(test_text_windows),
    cmocka_unit_test(test_long_line_windows),
    cmocka_unit_test(test_line_cut),
    cmocka_unit_test(test_many_lines),
    cmocka_unit_test(test_binary),
    cmocka_unit_test(test_stats_json),
    cmocka_unit_test(test_stats_by_site),
    cmocka_unit_test(test_stats_const_readers),
    cmocka_unit_test(test_stats_json_names),
    cmocka_unit_test(test_write_failure),
    cmocka_unit_test(test_bad_options),
    cmocka_unit_test(test_nomem),
    cmocka_unit_test(test_nomem_pool),
    cmocka_unit_test(test_large_records),
};

UNIT_MAIN(tests)
