/*
 * test_warc.c — WARC record headers (src/warc.c) and the warc framing of
 * the filter (src/filter.c): finding the end of a header block, parsing the
 * fields chaff needs, telling text records from others, the charset of
 * Content-Type, writing a header again for a cleaned block; and whole
 * streams through chaff_filter: a text record cleaned with its header
 * rewritten, other records and bytes that are no record written through,
 * over-cap and cut-short records, pieces of any size giving the same
 * output, several jobs giving the same output.
 */
#include "unit.h"

#include "buf.h"
#include "chaff.h"
#include "warc.h"

#define HEAD(type, extra, len)                                                                     \
    "WARC/1.0\r\nWARC-Type: " type "\r\nWARC-Record-ID: <urn:uuid:1>\r\n" extra                    \
    "Content-Length: " #len "\r\n\r\n"

static void test_head_end(void **state)
{
    (void)state;
    const char crlf[] = "WARC/1.0\r\nContent-Length: 3\r\n\r\nabc";
    assert_int_equal(warc_head_end(crlf, sizeof crlf - 1), sizeof crlf - 1 - 3);
    const char lf[] = "WARC/1.0\nContent-Length: 3\n\nabc";
    assert_int_equal(warc_head_end(lf, sizeof lf - 1), sizeof lf - 1 - 3);
    /* not yet complete */
    assert_int_equal(warc_head_end(crlf, 20), 0);
    assert_int_equal(warc_head_end("WARC/1.0\r\n\r", 11), 0);
    assert_int_equal(warc_is_start("WARC/1.0", 8), 1);
    assert_int_equal(warc_is_start("WARC/", 5), -1);
    assert_int_equal(warc_is_start("WAR", 3), -1);
    assert_int_equal(warc_is_start("WARC/x", 6), 0);
    assert_int_equal(warc_is_start("HTTP/1.1", 8), 0);
}

static void test_parse(void **state)
{
    (void)state;
    const char h1[] =
        "WARC/1.0\r\nwarc-type:  conversion \r\nWARC-Target-URI: https://example.com/a\r\n"
        "X-Long: first\r\n  second\r\ncontent-type: text/plain; charset=\"gbk\"\r\n"
        "CONTENT-LENGTH: 1234\r\n\r\n";
    struct warc_head h;
    char msg[128];
    assert_int_equal(warc_parse(h1, sizeof h1 - 1, &h, msg), CHAFF_OK);
    assert_int_equal(h.len, sizeof h1 - 1);
    assert_int_equal(h.content_length, 1234);
    assert_int_equal(h.type_len, 10);
    assert_memory_equal(h.type, "conversion", 10);
    assert_int_equal(h.uri_len, strlen("https://example.com/a"));
    assert_true(warc_is_text(&h));
    char cs[40];
    warc_charset(&h, cs);
    assert_string_equal(cs, "gbk");
    assert_null(h.lang);

    /* WET's language identification is kept for the record's languages */
    const char h2[] = "WARC/1.0\r\nWARC-Type: conversion\r\n"
                      "WARC-Identified-Content-Language: spa,eng \r\nContent-Length: 3\r\n\r\n";
    assert_int_equal(warc_parse(h2, sizeof h2 - 1, &h, msg), CHAFF_OK);
    assert_int_equal(h.lang_len, 7);
    assert_memory_equal(h.lang, "spa,eng", 7);

    static const struct {
        const char *head, *msg;
    } bad[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "no WARC version line"},
        {"WARC/1.0\r\nWARC-Type: resource\r\n\r\n", "no Content-Length"},
        {"WARC/1.0\r\nContent-Length: 12x\r\n\r\n", "bad Content-Length"},
        {"WARC/1.0\r\nContent-Length:\r\n\r\n", "bad Content-Length"},
        {"WARC/1.0\r\nContent-Length: 1234567890123456789\r\n\r\n", "bad Content-Length"},
        {"WARC/1.0\r\nno colon here\r\nContent-Length: 3\r\n\r\n",
         "header line without a colon: 'no colon here'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(warc_parse(bad[i].head, strlen(bad[i].head), &h, msg), CHAFF_E_DATA);
        assert_string_equal(msg, bad[i].msg);
    }
}

static void test_is_text(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        int text;
    } cases[] = {
        {HEAD("conversion", "", 0), 1},
        {HEAD("conversion", "Content-Type: text/plain\r\n", 0), 1},
        {HEAD("conversion", "Content-Type: application/pdf\r\n", 0), 0},
        {HEAD("resource", "Content-Type: TEXT/PLAIN;charset=utf-8\r\n", 0), 1},
        {HEAD("resource", "Content-Type: text/plainish\r\n", 0), 0},
        {HEAD("resource", "", 0), 0},
        {HEAD("response", "Content-Type: application/http; msgtype=response\r\n", 0), 0},
        {HEAD("warcinfo", "Content-Type: application/warc-fields\r\n", 0), 0},
        {"WARC/1.0\r\nContent-Length: 0\r\n\r\n", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct warc_head h;
        char msg[128];
        assert_int_equal(warc_parse(cases[i].head, strlen(cases[i].head), &h, msg), CHAFF_OK);
        if (warc_is_text(&h) != cases[i].text)
            fail_msg("case %zu: %s", i, cases[i].head);
    }
}

static void test_write_head(void **state)
{
    (void)state;
    const char head[] = "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Block-Digest: sha1:AAAA\r\n"
                        "  folded digest\r\nContent-Type: text/plain; charset=gbk; x=1\r\n"
                        "WARC-Payload-Digest: sha1:BBBB\r\nContent-Length: 500\r\n\r\n";
    struct warc_head h;
    char msg[128];
    assert_int_equal(warc_parse(head, sizeof head - 1, &h, msg), CHAFF_OK);
    struct buf out;
    buf_init(&out, 0);
    /* unchanged block: only the length is written again */
    assert_int_equal(warc_write_head(head, &h, 500, 0, &out), CHAFF_OK);
    assert_int_equal(out.len, sizeof head - 1);
    assert_memory_equal(out.p, head, out.len);
    buf_reset(&out);
    /* a changed block: new length, no digests (nor their continuation),
     * the charset is UTF-8 now */
    assert_int_equal(warc_write_head(head, &h, 42, 1, &out), CHAFF_OK);
    assert_string_equal(out.p, "WARC/1.0\r\nWARC-Type: conversion\r\n"
                               "Content-Type: text/plain; charset=UTF-8; x=1\r\n"
                               "Content-Length: 42\r\n\r\n");
    buf_free(&out);
}

/* ---- streams through the filter ------------------------------------------- */

static int collect(void *ud, const char *p, size_t n) { return buf_add(ud, p, n) != CHAFF_OK; }

static void count_warn(void *ud, const char *msg)
{
    (void)msg;
    ++*(unsigned *)ud;
}

static chaff_stats run(const char *in, size_t len, size_t step, unsigned jobs, size_t max_doc,
                       struct buf *out, unsigned *warnings)
{
    chaff_options o;
    chaff_options_init(&o);
    o.framing = CHAFF_FRAME_WARC;
    o.jobs = jobs;
    o.max_doc = max_doc;
    o.warn = count_warn;
    o.warn_ud = warnings;
    chaff_filter *f;
    assert_int_equal(chaff_filter_new(&f, NULL, &o, collect, out), CHAFF_OK);
    for (size_t i = 0; i < len; i += step)
        assert_int_equal(chaff_filter_feed(f, in + i, len - i < step ? len - i : step), CHAFF_OK);
    assert_int_equal(chaff_filter_finish(f), CHAFF_OK);
    chaff_stats st = *chaff_filter_stats(f);
    chaff_filter_free(f);
    return st;
}

#define ARTICLE                                                                                    \
    "Home | News | World | Sport | Business\n"                                                     \
    "The city council voted on Tuesday evening to extend the tram line across the river, "         \
    "ending a debate that had divided residents of the old harbour district for a decade.\n"       \
    "Supporters of the plan argued that the new link would cut travel times for thousands of "     \
    "commuters who now cross the bridge by car every single morning.\n"
#define ARTICLE_LEN 360
#define CLEANED                                                                                    \
    "The city council voted on Tuesday evening to extend the tram line across the river, "         \
    "ending a debate that had divided residents of the old harbour district for a decade.\n"       \
    "Supporters of the plan argued that the new link would cut travel times for thousands of "     \
    "commuters who now cross the bridge by car every single morning.\n"

static void test_stream(void **state)
{
    (void)state;
    assert_int_equal(strlen(ARTICLE), ARTICLE_LEN);
    const char in[] = HEAD("warcinfo", "", 4) "abc\n\r\n\r\n" HEAD(
        "conversion", "WARC-Block-Digest: sha1:AAAA\r\n", 360) ARTICLE
        "\r\n\r\n" HEAD("response", "", 5) "\x00\x01\x02\xff\x00\r\n\r\n";
    const char want[] = HEAD("warcinfo", "", 4) "abc\n\r\n\r\n" HEAD("conversion", "", 321) CLEANED
        "\r\n\r\n" HEAD("response", "", 5) "\x00\x01\x02\xff\x00\r\n\r\n";
    struct buf out;
    buf_init(&out, 0);
    unsigned warnings = 0;
    chaff_stats st = run(in, sizeof in - 1, sizeof in - 1, 1, 0, &out, &warnings);
    assert_int_equal(strlen(CLEANED), 321);
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.p, want, out.len);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.records_error, 0);
    assert_int_equal(warnings, 0);
    assert_int_equal(st.bytes_out, out.len);
    /* any piece size, and several jobs, give the same bytes */
    for (size_t step = 1; step < 64; step += 7) {
        for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
            struct buf o2;
            buf_init(&o2, 0);
            chaff_stats s2 = run(in, sizeof in - 1, step, jobs, 0, &o2, &warnings);
            assert_int_equal(o2.len, out.len);
            assert_memory_equal(o2.p, out.p, out.len);
            assert_int_equal(s2.records, 3);
            buf_free(&o2);
        }
    }
    buf_free(&out);
}

static void test_bad_streams(void **state)
{
    (void)state;
    /* bytes that are no record, a header that does not parse, and a record
     * cut short: all written through, each reported once */
    const char in[] =
        "not a record\n" HEAD("conversion", "", 5) "hello\r\n\r\n"
                                                   "WARC/1.0\r\nContent-Length: x\r\n\r\n" HEAD(
                                                       "conversion", "", 99) "short";
    struct buf out;
    buf_init(&out, 0);
    unsigned warnings = 0;
    chaff_stats st = run(in, sizeof in - 1, 5, 1, 0, &out, &warnings);
    const char want[] =
        "not a record\n" HEAD("conversion", "", 6) "hello\n\r\n\r\n"
                                                   "WARC/1.0\r\nContent-Length: x\r\n\r\n" HEAD(
                                                       "conversion", "", 99) "short";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.p, want, out.len);
    assert_int_equal(warnings, 3);
    assert_int_equal(st.records, 4);
    assert_int_equal(st.records_error, 3);

    /* a record over the document cap goes through as it comes */
    char big[6000];
    memset(big, 'x', sizeof big);
    struct buf in2;
    buf_init(&in2, 0);
    buf_addf(&in2, "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: %zu\r\n\r\n%.*s\r\n\r\n",
             sizeof big, (int)sizeof big, big);
    size_t big_len = in2.len;
    buf_adds(&in2, HEAD("conversion", "", 5) "hello\r\n\r\n");
    buf_reset(&out);
    warnings = 0;
    st = run(in2.p, in2.len, 1000, 1, 4096, &out, &warnings);
    assert_int_equal(warnings, 1);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.records_error, 1);
    assert_true(out.len > sizeof big);
    assert_memory_equal(out.p, in2.p, big_len); /* the big one, unchanged */
    buf_free(&in2);
    buf_free(&out);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_head_end), cmocka_unit_test(test_parse),
    cmocka_unit_test(test_is_text),  cmocka_unit_test(test_write_head),
    cmocka_unit_test(test_stream),   cmocka_unit_test(test_bad_streams),
};

UNIT_MAIN(tests)
