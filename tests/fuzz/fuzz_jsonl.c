/*
 * fuzz_jsonl.c — libFuzzer target for JSON Lines records (src/jsonl.c).
 *
 * The input is one line.  When it parses, the decoded text is spliced back
 * and the spliced line must parse again to the very same text, with the
 * bytes outside the value span untouched, and decoding the value a part
 * at a time (jsonl_string_part) must give the same text; any difference
 * traps.  Lines that
 * do not parse must leave the output buffers as they were.  The target
 * also runs as a corpus replay test (tests/fuzz/replay.c supplies main()).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    struct jsonl_rec rec, rec2;
    struct buf text, url, out, text2;
    char msg[128];

    buf_init(&text, 0);
    buf_init(&url, 0);
    buf_init(&out, 0);
    buf_init(&text2, 0);
    chaff_status st = jsonl_parse(line, size, "text", "url", &rec, &text, &url, msg);
    if (st != CHAFF_OK) {
        CHECK(st == CHAFF_E_DATA);
        CHECK(text.len == 0 && url.len == 0 && !rec.has_text && rec.val_end == 0);
        CHECK(memchr(msg, '\0', 128) != NULL && msg[0] != '\0');
        goto done;
    }
    CHECK(rec.has_text + rec.text_is_null <= 1);
    CHECK(rec.val_start <= rec.val_end && rec.val_end <= size);
    if (!rec.has_text)
        CHECK(text.len == 0);

    CHECK(jsonl_splice(line, size, &rec, text.p ? text.p : "", text.len, &out) == CHAFF_OK);
    CHECK(jsonl_parse(out.p, out.len, "text", "url", &rec2, &text2, NULL, msg) == CHAFF_OK);
    CHECK(rec2.has_text == rec.has_text && rec2.text_is_null == rec.text_is_null);
    CHECK(text2.len == text.len);
    CHECK(text.len == 0 || memcmp(text.p, text2.p, text.len) == 0);
    if (rec.has_text) {
        /* decoded a part at a time (the first byte picks the part size),
         * the parts join to the same text */
        struct jsonl_member m = {rec.val_start, rec.val_end, JSONL_STRING};
        size_t at = 0, want = size ? data[0] % 8 : 1;
        buf_reset(&text2);
        do
            CHECK(jsonl_string_part(line, size, &m, &at, want, &text2) == CHAFF_OK);
        while (at != m.end);
        CHECK(text2.len == text.len);
        CHECK(text.len == 0 || memcmp(text.p, text2.p, text.len) == 0);
        size_t tail = size - rec.val_end;
        CHECK(rec2.val_start == rec.val_start && rec2.val_end == out.len - tail);
        CHECK(memcmp(out.p, line, rec.val_start) == 0);
        CHECK(memcmp(out.p + out.len - tail, line + rec.val_end, tail) == 0);
    } else {
        CHECK(out.len == size && (size == 0 || memcmp(out.p, line, size) == 0));
    }

done:
    buf_free(&text);
    buf_free(&url);
    buf_free(&out);
    buf_free(&text2);
    return 0;
}
