/*
 * fuzz_warc.c — libFuzzer target for the warc framing (src/warc.c and the
 * WARC reader in src/filter.c).
 *
 * Header block: warc_head_end() ends on a line end within the input; a
 * header that parses is written back unchanged in what it says -- parsed
 * again it gives the same Content-Length, WARC-Type, WARC-Target-URI and
 * Content-Type.  Stream: the input is read as a WARC stream (no rules, a
 * 4 KiB document cap so over-cap records are written through), once fed
 * whole and once in pieces whose size comes from the first byte; output
 * and counts must be the same, and the bytes counted out must be the bytes
 * written.  Any violation traps.  The target also runs as a corpus
 * replay test (tests/fuzz/replay.c supplies main()).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "chaff.h"
#include "fuzz.h"
#include "warc.h"

static int collect(void *ud, const char *p, size_t n) { return buf_add(ud, p, n) != CHAFF_OK; }

static void quiet(void *ud, const char *msg)
{
    (void)msg;
    ++*(unsigned *)ud;
}

static void run(const uint8_t *data, size_t size, size_t step, struct buf *out, chaff_stats *st,
                unsigned *warnings)
{
    chaff_options o;
    chaff_options_init(&o);
    o.framing = CHAFF_FRAME_WARC;
    o.max_doc = 4096;
    o.warn = quiet;
    o.warn_ud = warnings;
    chaff_filter *f;
    CHECK(chaff_filter_new(&f, NULL, &o, collect, out) == CHAFF_OK);
    for (size_t i = 0; i < size; i += step)
        CHECK(chaff_filter_feed(f, data + i, size - i < step ? size - i : step) == CHAFF_OK);
    CHECK(chaff_filter_finish(f) == CHAFF_OK);
    *st = *chaff_filter_stats(f);
    chaff_filter_free(f);
}

static int same_field(const char *a, size_t an, const char *b, size_t bn)
{
    return (a == NULL) == (b == NULL) && an == bn && (!an || memcmp(a, b, an) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t hl = warc_head_end(p, size);
    CHECK(hl <= size);
    if (hl) {
        CHECK(hl >= 2 && p[hl - 1] == '\n');
        struct warc_head h, h2;
        char msg[128];
        if (warc_parse(p, hl, &h, msg) == CHAFF_OK) {
            struct buf again;
            buf_init(&again, 0);
            CHECK(warc_write_head(p, &h, h.content_length, 0, &again) == CHAFF_OK);
            CHECK(warc_head_end(again.p, again.len) == again.len);
            CHECK(warc_parse(again.p, again.len, &h2, msg) == CHAFF_OK);
            CHECK(h2.content_length == h.content_length);
            CHECK(same_field(h.type, h.type_len, h2.type, h2.type_len));
            CHECK(same_field(h.uri, h.uri_len, h2.uri, h2.uri_len));
            CHECK(same_field(h.ctype, h.ctype_len, h2.ctype, h2.ctype_len));
            CHECK(warc_is_text(&h) == warc_is_text(&h2));
            buf_free(&again);
        } else {
            CHECK(memchr(msg, '\0', sizeof msg) != NULL && msg[0] != '\0');
        }
    }

    struct buf whole, pieces;
    buf_init(&whole, 0);
    buf_init(&pieces, 0);
    chaff_stats s1, s2;
    unsigned w1 = 0, w2 = 0;
    run(data, size, size ? size : 1, &whole, &s1, &w1);
    run(data, size, 1 + (size ? data[0] % 61 : 0), &pieces, &s2, &w2);
    CHECK(whole.len == pieces.len && (!whole.len || memcmp(whole.p, pieces.p, whole.len) == 0));
    CHECK(s1.records == s2.records && s1.records_error == s2.records_error);
    CHECK(s1.bytes_in == s2.bytes_in && s1.bytes_out == s2.bytes_out);
    CHECK(w1 == w2);
    CHECK(s1.bytes_out == whole.len);
    buf_free(&whole);
    buf_free(&pieces);
    return 0;
}
