/*
 * test_jsonl.c — JSON Lines records: parsing the text field (a table of
 * lines with the decoded text or the error each must give), the url field,
 * nesting and size limits, the splice (only the value's bytes change, and
 * parsing the spliced line gives the cleaned text back), the string
 * encoder, and allocation failures.
 */
#include "unit.h"

#include "alloc.h"
#include "buf.h"
#include "jsonl.h"

/* ---- the parse table -------------------------------------------------------- */

enum { ABSENT = 0, STRING = 1, NOTSTR = 2 };

struct pcase {
    const char *line;
    const char *field; /* NULL = "text" */
    chaff_status st;
    const char *want; /* decoded text (OK) or the exact message (error) */
    size_t want_len;  /* 0 = strlen(want) */
    int kind;         /* ABSENT / STRING / NOTSTR, for CHAFF_OK */
};

#define OK_TEXT(l, w)                                                                              \
    {                                                                                              \
        l, NULL, CHAFF_OK, w, 0, STRING                                                            \
    }
#define BAD(l, m)                                                                                  \
    {                                                                                              \
        l, NULL, CHAFF_E_DATA, m, 0, ABSENT                                                        \
    }

static const struct pcase k_cases[] = {
    /* plain values and white space */
    OK_TEXT("{\"text\":\"hello world\"}", "hello world"),
    OK_TEXT(" \t{ \"id\" : 1 ,\r\"text\" :\t\"a b\" }  ", "a b"),
    OK_TEXT("{\"text\":\"\"}", ""),
    OK_TEXT("\xEF\xBB\xBF{\"text\":\"after a bom\"}", "after a bom"),
    /* every escape */
    OK_TEXT("{\"text\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t.\"}", "q\" b\\ s/ \b\f\n\r\t."),
    OK_TEXT("{\"text\":\"\\u0041\\u00e9\\u4e2d\\u00C9\"}", "A\xC3\xA9\xE4\xB8\xAD\xC3\x89"),
    {"{\"text\":\"\\u0000\"}", NULL, CHAFF_OK, "", 1, STRING},
    OK_TEXT("{\"text\":\"\\u001f\\u007f\"}", "\x1f\x7f"),
    /* surrogates: pairs join, lone halves become U+FFFD */
    OK_TEXT("{\"text\":\"\\ud83d\\ude00\"}", "\xF0\x9F\x98\x80"),
    OK_TEXT("{\"text\":\"\\uD834\\uDD1E!\"}", "\xF0\x9D\x84\x9E!"),
    OK_TEXT("{\"text\":\"a\\ud800\"}", "a\xEF\xBF\xBD"),
    OK_TEXT("{\"text\":\"\\ud800\\u0041\"}", "\xEF\xBF\xBD"
                                             "A"),
    OK_TEXT("{\"text\":\"\\udc00x\"}", "\xEF\xBF\xBDx"),
    OK_TEXT("{\"text\":\"\\ud800\\ud83d\\ude00\"}", "\xEF\xBF\xBD\xF0\x9F\x98\x80"),
    OK_TEXT("{\"text\":\"\\ud800\\n\"}", "\xEF\xBF\xBD\n"),
    /* raw UTF-8 kept; ill-formed bytes become one U+FFFD per maximal subpart */
    OK_TEXT("{\"text\":\"caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80\"}",
            "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80"),
    OK_TEXT("{\"text\":\"a\xFF"
            "b\"}",
            "a\xEF\xBF\xBD"
            "b"),
    OK_TEXT("{\"text\":\"a\xE4\xB8"
            "b\"}",
            "a\xEF\xBF\xBD"
            "b"),
    OK_TEXT("{\"text\":\"\xC0\xAF\"}", "\xEF\xBF\xBD\xEF\xBF\xBD"),
    OK_TEXT("{\"text\":\"\xED\xA0\x80\"}", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
    OK_TEXT("{\"text\":\"\xF4\x90\x80\x80|\xE4\xB8\\n\"}",
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\n"),
    /* where the field is: top level only, last of duplicates (as jq) */
    OK_TEXT("{\"a\":{\"b\":[1,2,{\"text\":\"no\"}]},\"text\":\"yes\",\"c\":[[],{},\"x\"]}", "yes"),
    {"{\"meta\":{\"text\":\"no\"},\"list\":[{\"text\":\"no\"}]}", NULL, CHAFF_OK, "", 0, ABSENT},
    OK_TEXT("{\"text\":\"first\",\"text\":\"second\"}", "second"),
    OK_TEXT("{\"text\":\"a\",\"n\":1,\"text\":\"b\",\"text\":\"last\"}", "last"),
    OK_TEXT("{\"text\":null,\"text\":\"second\"}", "second"),
    {"{\"text\":\"first\",\"text\":null}", NULL, CHAFF_OK, "", 0, NOTSTR},
    {"{\"title\":\"x\",\"textual\":\"no\",\"tex\":\"no\"}", NULL, CHAFF_OK, "", 0, ABSENT},
    {"{}", NULL, CHAFF_OK, "", 0, ABSENT},
    {"{\"text\":null}", NULL, CHAFF_OK, "", 0, NOTSTR},
    {"{\"text\":-4.5e+3}", NULL, CHAFF_OK, "", 0, NOTSTR},
    {"{\"text\":{\"text\":\"no\"}}", NULL, CHAFF_OK, "", 0, NOTSTR},
    {"{\"text\":[\"no\"],\"b\":true}", NULL, CHAFF_OK, "", 0, NOTSTR},
    /* keys compare after decoding */
    OK_TEXT("{\"te\\u0078t\":\"escaped key\"}", "escaped key"),
    OK_TEXT("{\"\\u0074\\u0065xt\":\"k\",\"text\":\"dup\"}", "dup"),
    OK_TEXT("{\"\\u0074\\u0065\\u0078\\u0074\":\"all escaped\"}", "all escaped"),
    {"{\"\\u0074\\u0065\\u0078\\u0074\\u0020\":\"x\"}", NULL, CHAFF_OK, "", 0, ABSENT},
    {"{\"\xE6\xAD\xA3\xE6\x96\x87\":\"\xE5\x86\x85\xE5\xAE\xB9\"}", "\xE6\xAD\xA3\xE6\x96\x87",
     CHAFF_OK, "\xE5\x86\x85\xE5\xAE\xB9", 0, STRING},
    {"{\"\\u6b63\\u6587\":\"x\"}", "\xE6\xAD\xA3\xE6\x96\x87", CHAFF_OK, "x", 0, STRING},
    {"{\"text\":\"not this\",\"body\":\"b\\u00f6dy\"}", "body", CHAFF_OK,
     "b\xC3\xB6"
     "dy",
     0, STRING},
    {"{\"te\xFFxt\":\"x\"}", NULL, CHAFF_OK, "", 0, ABSENT},
    /* dotted paths walk into objects (datatrove, dolma): the last of
     * duplicated keys at every level, objects only, keys decoded */
    {"{\"text\":\"top\",\"metadata\":{\"id\":1,\"text\":\"deep\"}}", "metadata.text", CHAFF_OK,
     "deep", 0, STRING},
    {"{\"a\":{\"b\":{\"c\":\"abc\"},\"c\":\"no\"}}", "a.b.c", CHAFF_OK, "abc", 0, STRING},
    {"{\"me\\u0074adata\":{\"te\\u0078t\":\"esc\"}}", "metadata.text", CHAFF_OK, "esc", 0, STRING},
    {"{\"metadata\":{\"text\":\"a\"},\"metadata\":{\"x\":1}}", "metadata.text", CHAFF_OK, "", 0,
     ABSENT},
    {"{\"metadata\":{\"x\":1},\"metadata\":{\"text\":\"b\"}}", "metadata.text", CHAFF_OK, "b", 0,
     STRING},
    {"{\"metadata\":{\"text\":\"a\",\"text\":\"last\"}}", "metadata.text", CHAFF_OK, "last", 0,
     STRING},
    {"{\"metadata\":\"metadata.text\"}", "metadata.text", CHAFF_OK, "", 0, ABSENT},
    {"{\"metadata\":[{\"text\":\"no\"}]}", "metadata.text", CHAFF_OK, "", 0, ABSENT},
    {"{\"metadata.text\":\"no\"}", "metadata.text", CHAFF_OK, "", 0, ABSENT},
    {"{\"metadata\":{\"text\":{\"a\":\"no\"}}}", "metadata.text", CHAFF_OK, "", 0, NOTSTR},
    {"{\"metadata\":{\"text\":\"x\",}}", "metadata.text", CHAFF_E_DATA,
     "expected string key at byte 25", 0, ABSENT},
    {"{\"metadata\":{\"text\":\"x\"}", "metadata.text", CHAFF_E_DATA,
     "unexpected end of line at byte 25", 0, ABSENT},
    /* other values are checked, whatever they hold */
    OK_TEXT("{\"n\":[-0.5e+10,0,1E2,-0,12.25],\"t\":true,\"f\":false,\"z\":null,\"text\":\"ok\"}",
            "ok"),
    OK_TEXT("{\"o\":\"\xFF\xFE\",\"text\":\"ok\",\"del\":\"\x7f\"}", "ok"),
    /* malformed lines */
    BAD("", "empty line"),
    BAD("   \t", "empty line"),
    BAD("\xEF\xBB\xBF", "empty line"),
    BAD("[\"text\"]", "expected '{' at byte 1"),
    BAD("42", "expected '{' at byte 1"),
    BAD("\"text\"", "expected '{' at byte 1"),
    BAD("{\"text\":\"a\"} x", "trailing characters after the object at byte 14"),
    BAD("{\"text\":\"a\"}{}", "trailing characters after the object at byte 13"),
    BAD("{\"text\":\"abc", "unterminated string at byte 9"),
    BAD("{\"text\":\"abc\\", "unterminated string at byte 9"),
    BAD("{\"text\":\"abc\\u12", "unterminated string at byte 9"),
    BAD("{\"text\":\"abc\"", "unexpected end of line at byte 14"),
    BAD("{\"text\":", "unexpected end of line at byte 9"),
    BAD("{\"a\":[1,{\"b\":", "unexpected end of line at byte 14"),
    BAD("{", "unexpected end of line at byte 2"),
    BAD("{\"text\":\"a\",}", "expected string key at byte 13"),
    BAD("{\"a\":[1,],\"text\":\"x\"}", "expected value at byte 9"),
    BAD("{\"a\":{\"b\":1,},\"text\":\"x\"}", "expected string key at byte 13"),
    BAD("{\"text\" \"a\"}", "expected ':' at byte 9"),
    BAD("{\"text\":\"a\"/*c*/}", "expected ',' or '}' at byte 12"),
    BAD("{\"a\":[1 2]}", "expected ',' or ']' at byte 9"),
    BAD("{\"n\":NaN,\"text\":\"a\"}", "expected value at byte 6"),
    BAD("{\"n\":01}", "expected ',' or '}' at byte 7"),
    BAD("{\"n\":-}", "invalid number at byte 6"),
    BAD("{\"n\":1.}", "invalid number at byte 6"),
    BAD("{\"n\":1e+}", "invalid number at byte 6"),
    BAD("{\"n\":.5}", "expected value at byte 6"),
    BAD("{\"n\":+1}", "expected value at byte 6"),
    BAD("{\"a\":tru}", "invalid literal at byte 6"),
    BAD("{\"a\":True}", "expected value at byte 6"),
    BAD("{\"text\":\"a\tb\"}", "control character in string at byte 11"),
    BAD("{\"o\":\"a\x01\",\"text\":\"b\"}", "control character in string at byte 8"),
    BAD("{\"text\":\"\\x\"}", "invalid escape at byte 10"),
    BAD("{\"text\":\"\\u12G4\"}", "invalid \\u escape at byte 10"),
    BAD("{\"o\":\"\\'\",\"text\":\"b\"}", "invalid escape at byte 7"),
    BAD("{'text':'a'}", "expected string key at byte 2"),
    BAD("{text:\"a\"}", "expected string key at byte 2"),
    BAD("{\"text\":\"a\"\x00}", "expected ',' or '}' at byte 12"),
};

static size_t want_len(const struct pcase *c)
{
    return c->want_len ? c->want_len : strlen(c->want);
}

static size_t line_len(const struct pcase *c)
{
    /* One case carries a NUL byte inside the line. */
    if (strcmp(c->line, "{\"text\":\"a\"") == 0)
        return strlen(c->line) + 2;
    return strlen(c->line);
}

/* The decoded text after a splice of `clean` into the case's line, checking
 * on the way that nothing outside the value span changed. */
static void check_splice(const char *line, size_t len, const struct jsonl_rec *rec,
                         const char *field, const char *clean, size_t clean_len)
{
    struct buf out, text;
    struct jsonl_rec r2;
    char msg[128];
    buf_init(&out, 0);
    buf_init(&text, 0);
    assert_int_equal(jsonl_splice(line, len, rec, clean, clean_len, &out), CHAFF_OK);
    if (!rec->has_text) {
        assert_int_equal(out.len, len);
        assert_memory_equal(out.p, line, len);
    } else {
        size_t tail = len - rec->val_end;
        assert_true(out.len >= rec->val_start + 2 + tail);
        assert_memory_equal(out.p, line, rec->val_start);
        assert_memory_equal(out.p + out.len - tail, line + rec->val_end, tail);
        assert_int_equal(jsonl_parse(out.p, out.len, field, NULL, &r2, &text, NULL, msg), CHAFF_OK);
        assert_true(r2.has_text);
        assert_int_equal(r2.val_start, rec->val_start);
        assert_int_equal(r2.val_end, out.len - tail);
        assert_int_equal(text.len, clean_len);
        assert_memory_equal(text.p, clean, clean_len);
    }
    buf_free(&out);
    buf_free(&text);
}

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof k_cases / sizeof k_cases[0]; k++) {
        const struct pcase *c = &k_cases[k];
        const char *field = c->field ? c->field : "text";
        size_t len = line_len(c);
        struct jsonl_rec rec;
        struct buf text;
        char msg[128] = "";
        buf_init(&text, 0);
        chaff_status st = jsonl_parse(c->line, len, field, "url", &rec, &text, NULL, msg);
        if (st != c->st)
            fail_msg("case %zu (%s): status %d, want %d (%s)", k, c->line, st, c->st, msg);
        if (st != CHAFF_OK) {
            if (strcmp(msg, c->want) != 0)
                fail_msg("case %zu (%s): message \"%s\", want \"%s\"", k, c->line, msg, c->want);
            assert_int_equal(text.len, 0);
            assert_false(rec.has_text);
            assert_int_equal(rec.val_end, 0);
            buf_free(&text);
            continue;
        }
        assert_int_equal(rec.has_text, c->kind == STRING);
        assert_int_equal(rec.text_is_null, c->kind == NOTSTR);
        assert_int_equal(text.len, want_len(c));
        if (text.len)
            assert_memory_equal(text.p, c->want, text.len);
        if (c->kind == ABSENT) {
            assert_int_equal(rec.val_start, 0);
            assert_int_equal(rec.val_end, 0);
        } else {
            assert_true(rec.val_start < rec.val_end && rec.val_end <= len);
            if (c->kind == STRING) {
                assert_int_equal(c->line[rec.val_start], '"');
                assert_int_equal(c->line[rec.val_end - 1], '"');
            }
        }
        /* Splice the decoded text back, then a text that needs escapes. */
        check_splice(c->line, len, &rec, field, text.p ? text.p : "", text.len);
        static const char clean[] = "new \"x\"\\\n\tline \xE2\x80\xA8 \xC3\xA9";
        check_splice(c->line, len, &rec, field, clean, sizeof clean - 1);
        buf_free(&text);
    }
}

/* ---- the url field ------------------------------------------------------- */

static void test_url(void **state)
{
    (void)state;
    struct jsonl_rec rec;
    struct buf text, url;
    char msg[128];
    buf_init(&text, 0);
    buf_init(&url, 0);

    const char *l1 = "{\"url\":\"https:\\/\\/example.com\\/a?b=\\u00e9\",\"meta\":{\"url\":\"no\"},"
                     "\"text\":\"t\",\"url\":\"second\"}";
    assert_int_equal(jsonl_parse(l1, strlen(l1), "text", "url", &rec, &text, &url, msg), CHAFF_OK);
    assert_true(rec.has_url);
    assert_string_equal(url.p, "second"); /* the last top-level url, as for text */
    assert_string_equal(text.p, "t");
    buf_reset(&url);
    const char *l0 = "{\"url\":\"https:\\/\\/example.com\\/a?b=\\u00e9\",\"text\":\"t\"}";
    assert_int_equal(jsonl_parse(l0, strlen(l0), "text", "url", &rec, &text, &url, msg), CHAFF_OK);
    assert_string_equal(url.p, "https://example.com/a?b=\xC3\xA9");

    /* url not a string, url absent, no url field asked for */
    buf_reset(&url);
    const char *l2 = "{\"url\":7,\"text\":\"t\"}";
    assert_int_equal(jsonl_parse(l2, strlen(l2), "text", "url", &rec, &text, &url, msg), CHAFF_OK);
    assert_false(rec.has_url);
    assert_int_equal(url.len, 0);
    const char *l3 = "{\"text\":\"t\"}";
    assert_int_equal(jsonl_parse(l3, strlen(l3), "text", "url", &rec, &text, &url, msg), CHAFF_OK);
    assert_false(rec.has_url);
    assert_int_equal(jsonl_parse(l1, strlen(l1), "text", NULL, &rec, &text, NULL, msg), CHAFF_OK);
    assert_false(rec.has_url);

    /* the same member as text and url */
    buf_reset(&text);
    buf_reset(&url);
    const char *l4 = "{\"u\":\"http:\\/\\/x.org\"}";
    assert_int_equal(jsonl_parse(l4, strlen(l4), "u", "u", &rec, &text, &url, msg), CHAFF_OK);
    assert_string_equal(text.p, "http://x.org");
    assert_string_equal(url.p, "http://x.org");
    assert_true(rec.has_text && rec.has_url);

    /* text and url in one nested object, beside top-level ones */
    buf_reset(&text);
    buf_reset(&url);
    const char *l5 = "{\"text\":\"t\",\"url\":\"top\",\"metadata\":{\"url\":\"https:\\/\\/a.org\\/"
                     "\",\"n\":[{}],\"text\":\"nested\"}}";
    assert_int_equal(
        jsonl_parse(l5, strlen(l5), "metadata.text", "metadata.url", &rec, &text, &url, msg),
        CHAFF_OK);
    assert_string_equal(text.p, "nested");
    assert_string_equal(url.p, "https://a.org/");
    assert_true(rec.has_text && rec.has_url);
    assert_int_equal(l5[rec.obj_end], '}');
    assert_int_equal(rec.obj_end, strlen(l5) - 1);

    buf_free(&text);
    buf_free(&url);
}

/* An annotation member: added last, or over the value of one present,
 * before or after the text; nothing else changes. */
static void test_splice_annot(void **state)
{
    (void)state;
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"{\"text\":\"a b\",\"n\":1}", "{\"text\":\"X\",\"n\":1,\"ch\":{\"k\":1}}"},
        {"{\"ch\":[1, 2],\"text\":\"a\"} ", "{\"ch\":{\"k\":1},\"text\":\"X\"} "},
        {"{\"text\":\"a\", \"ch\" : null }", "{\"text\":\"X\", \"ch\" : {\"k\":1} }"},
        {"{ }", "{ \"ch\":{\"k\":1}}"},
        {"{\"ch\":{\"text\":\"in\"}}", "{\"ch\":{\"text\":\"X\"}}"}, /* text inside: left out */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *path[JSONL_N] = {k == 4 ? "ch.text" : "text", NULL, NULL, NULL, "ch"};
        struct buf *const to[JSONL_N] = {NULL, NULL, NULL, NULL, NULL};
        struct jsonl_rec rec;
        struct buf out;
        char msg[128];
        buf_init(&out, 0);
        const char *l = cases[k].line;
        assert_int_equal(jsonl_parse_paths(l, strlen(l), path, to, &rec, msg), CHAFF_OK);
        assert_int_equal(jsonl_splice_annot(l, strlen(l), &rec, "X", 1, "ch", "{\"k\":1}", 7, &out),
                         CHAFF_OK);
        assert_string_equal(out.p, cases[k].want);
        buf_free(&out);
    }
}

/* Output is appended; an error takes back what the call appended. */
static void test_append_and_rollback(void **state)
{
    (void)state;
    struct jsonl_rec rec;
    struct buf text, url;
    char msg[128];
    buf_init(&text, 0);
    buf_init(&url, 0);
    buf_adds(&text, "keep|");
    buf_adds(&url, "u|");
    const char *ok = "{\"url\":\"x\",\"text\":\"more\"}";
    assert_int_equal(jsonl_parse(ok, strlen(ok), "text", "url", &rec, &text, &url, msg), CHAFF_OK);
    assert_string_equal(text.p, "keep|more");
    assert_string_equal(url.p, "u|x");

    const char *bad = "{\"url\":\"y\",\"text\":\"lost\",\"n\":}";
    assert_int_equal(jsonl_parse(bad, strlen(bad), "text", "url", &rec, &text, &url, msg),
                     CHAFF_E_DATA);
    assert_string_equal(msg, "expected value at byte 30");
    assert_string_equal(text.p, "keep|more");
    assert_string_equal(url.p, "u|x");
    assert_false(rec.has_text || rec.has_url || rec.text_is_null);
    assert_int_equal(rec.val_start + rec.val_end, 0);
    buf_free(&text);
    buf_free(&url);
}

/* ---- limits ---------------------------------------------------------------- */

/* {"a":[[...]],"text":"x"} with `arrays` nested arrays under the top object. */
static char *nested(size_t arrays, size_t *len)
{
    const char *head = "{\"a\":", *tail = ",\"text\":\"x\"}";
    size_t n = strlen(head) + 2 * arrays + strlen(tail);
    char *s = malloc(n + 1);
    assert_non_null(s);
    size_t o = 0;
    memcpy(s, head, strlen(head));
    o += strlen(head);
    memset(s + o, '[', arrays);
    o += arrays;
    memset(s + o, ']', arrays);
    o += arrays;
    memcpy(s + o, tail, strlen(tail) + 1);
    *len = n;
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    struct jsonl_rec rec;
    struct buf text;
    char msg[128];
    size_t len;
    buf_init(&text, 0);

    /* The top-level object is one level: 255 arrays under it are allowed. */
    char *s = nested(JSONL_MAX_DEPTH - 1, &len);
    assert_int_equal(jsonl_parse(s, len, "text", NULL, &rec, &text, NULL, msg), CHAFF_OK);
    assert_string_equal(text.p, "x");
    free(s);

    s = nested(JSONL_MAX_DEPTH, &len);
    assert_int_equal(jsonl_parse(s, len, "text", NULL, &rec, &text, NULL, msg), CHAFF_E_DATA);
    assert_string_equal(msg, "nesting deeper than 256 at byte 261");
    free(s);

    /* Hostile depth costs no stack. */
    s = nested(1000000, &len);
    assert_int_equal(jsonl_parse(s, len, "text", NULL, &rec, &text, NULL, msg), CHAFF_E_DATA);
    free(s);

    /* Objects count the same as arrays. */
    const char *objs = "{\"a\":{\"b\":{\"c\":{}}},\"text\":\"y\"}";
    buf_reset(&text);
    assert_int_equal(jsonl_parse(objs, strlen(objs), "text", NULL, &rec, &text, NULL, msg),
                     CHAFF_OK);
    assert_string_equal(text.p, "y");
    buf_free(&text);
}

static void test_huge_string(void **state)
{
    (void)state;
    /* 4 MiB of text with an escape every so often, and multibyte text
     * across the SWAR word boundaries. */
    size_t n_units = 1u << 18;
    const char unit_raw[] = "abc\\n\xE4\xB8\xAD\\u00e9xyz\\\""; /* 16 bytes */
    const char unit_dec[] = "abc\n\xE4\xB8\xAD\xC3\xA9xyz\"";   /* 12 bytes */
    size_t rl = sizeof unit_raw - 1, dl = sizeof unit_dec - 1;
    size_t len = 9 + n_units * rl + 2;
    char *line = malloc(len + 1);
    char *want = malloc(n_units * dl);
    assert_non_null(line);
    assert_non_null(want);
    memcpy(line, "{\"text\":\"", 9);
    for (size_t k = 0; k < n_units; k++) {
        memcpy(line + 9 + k * rl, unit_raw, rl);
        memcpy(want + k * dl, unit_dec, dl);
    }
    memcpy(line + len - 2, "\"}", 3);

    struct jsonl_rec rec;
    struct buf text, out;
    char msg[128];
    buf_init(&text, 0);
    buf_init(&out, 0);
    assert_int_equal(jsonl_parse(line, len, "text", NULL, &rec, &text, NULL, msg), CHAFF_OK);
    assert_int_equal(text.len, n_units * dl);
    assert_memory_equal(text.p, want, text.len);
    assert_int_equal(rec.val_start, 8);
    assert_int_equal(rec.val_end, len - 1);

    /* Splicing the text back gives the same line but for escapes spelt
     * differently: \u00e9 comes back as raw UTF-8. */
    assert_int_equal(jsonl_splice(line, len, &rec, text.p, text.len, &out), CHAFF_OK);
    assert_int_equal(out.len, len - n_units * 4);

    /* A capped buffer gives TOOBIG and is left as it was. */
    struct buf small;
    buf_init(&small, 1000);
    assert_int_equal(jsonl_parse(line, len, "text", NULL, &rec, &small, NULL, msg), CHAFF_E_TOOBIG);
    assert_string_equal(msg, "text field too large");
    assert_int_equal(small.len, 0);
    assert_false(rec.has_text);

    /* With the field skipped the line validates without touching the
     * buffer, even one that holds a sticky error. */
    assert_int_equal(jsonl_parse(line, len, "body", NULL, &rec, &small, NULL, msg), CHAFF_OK);
    assert_false(rec.has_text);

    buf_free(&small);
    buf_free(&text);
    buf_free(&out);
    free(line);
    free(want);
}

/* Every prefix of a valid line is rejected, and never read past. */
static void test_truncations(void **state)
{
    (void)state;
    const char *full =
        "\xEF\xBB\xBF{ \"id\": -1.5e3, \"te\\u0078t\": \"a\\ud83d\\ude00\xE4\xB8\xAD\", "
        "\"m\": [true, false, null, {\"k\": \"v\"}] }";
    size_t n = strlen(full);
    struct jsonl_rec rec;
    struct buf text;
    char msg[128];
    buf_init(&text, 0);
    assert_int_equal(jsonl_parse(full, n, "text", NULL, &rec, &text, NULL, msg), CHAFF_OK);
    assert_string_equal(text.p, "a\xF0\x9F\x98\x80\xE4\xB8\xAD");
    for (size_t k = 0; k < n; k++) {
        /* A copy of exactly k bytes, so ASan sees any read past the end. */
        char *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, full, k);
        buf_reset(&text);
        assert_int_equal(jsonl_parse(p, k, "text", NULL, &rec, &text, NULL, msg), CHAFF_E_DATA);
        assert_int_equal(text.len, 0);
        free(p);
    }
    buf_free(&text);
}

/* ---- splice and encoding -------------------------------------------------- */

static void splice_str(const char *line, const char *field, const char *clean, size_t clean_len,
                       const char *want)
{
    struct jsonl_rec rec;
    struct buf text, out;
    char msg[128];
    buf_init(&text, 0);
    buf_init(&out, 0);
    assert_int_equal(jsonl_parse(line, strlen(line), field, NULL, &rec, &text, NULL, msg),
                     CHAFF_OK);
    assert_int_equal(jsonl_splice(line, strlen(line), &rec, clean, clean_len, &out), CHAFF_OK);
    assert_string_equal(out.p, want);
    assert_int_equal(out.len, strlen(want));
    buf_free(&text);
    buf_free(&out);
}

static void test_splice(void **state)
{
    (void)state;
    /* spacing, order and the other members' bytes stay as written */
    splice_str("{\"id\":7, \"text\" : \"old\\u0020\" ,\"z\":[1.50,\"\\u00e9\"]}", "text", "new", 3,
               "{\"id\":7, \"text\" : \"new\" ,\"z\":[1.50,\"\\u00e9\"]}");
    splice_str("\xEF\xBB\xBF{\"text\":\"x\"}  ", "text", "", 0, "\xEF\xBB\xBF{\"text\":\"\"}  ");
    splice_str("{\"text\":\"keep\",\"body\":\"old\"}", "body", "b", 1,
               "{\"text\":\"keep\",\"body\":\"b\"}");
    /* absent, null and non-string fields pass through */
    splice_str("{\"title\":\"t\"}", "text", "x", 1, "{\"title\":\"t\"}");
    splice_str("{\"text\":null}", "text", "x", 1, "{\"text\":null}");
    splice_str("{\"text\": [1, 2]}", "text", "x", 1, "{\"text\": [1, 2]}");
    /* the encoding */
    static const char clean[] = "a\"b\\c/\n\r\t\b\f\x01\x1f\x7f \xC3\xA9 \xE4\xB8\xAD \xE2\x80\xA8 "
                                "\xE2\x80\xA9 \xE2\x80\xAA \xFF \xF0\x9F\x98\x80";
    splice_str("{\"text\":\"\"}", "text", clean, sizeof clean - 1,
               "{\"text\":\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f \xC3\xA9 \xE4\xB8\xAD "
               "\\u2028 \\u2029 \xE2\x80\xAA \xEF\xBF\xBD \xF0\x9F\x98\x80\"}");
    /* an embedded NUL */
    splice_str("{\"text\":\"\"}", "text", "a\0b", 3, "{\"text\":\"a\\u0000b\"}");
}

static void test_encode(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    /* long ASCII runs go through the word-at-a-time path; the escapes sit at
     * every offset within a word */
    for (size_t at = 0; at < 24; at++) {
        char in[40];
        memset(in, 'x', sizeof in);
        in[at] = '"';
        buf_reset(&b);
        assert_int_equal(jsonl_encode(&b, in, sizeof in), CHAFF_OK);
        assert_int_equal(b.len, sizeof in + 1);
        assert_int_equal(b.p[at], '\\');
        assert_int_equal(b.p[at + 1], '"');
    }
    /* the encoder's output stays inside a cap */
    struct buf capped;
    buf_init(&capped, 8);
    assert_int_equal(jsonl_encode(&capped, "0123456789", 10), CHAFF_E_TOOBIG);
    buf_free(&capped);
    buf_free(&b);
}

/* ---- allocation failures ------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    /* an escaped key exercises the key scratch buffer too */
    const char *line =
        "{\"\\u0075rl\":\"https:\\/\\/a.b\",\"te\\u0078t\":\"a longer text that has to "
        "grow the buffer past its first allocation of sixty-four bytes\"}";
    size_t len = strlen(line);
    int failures = 0;
    for (long n = 0;; n++) {
        struct jsonl_rec rec;
        struct buf text, url, out;
        char msg[128] = "";
        buf_init(&text, 0);
        buf_init(&url, 0);
        buf_init(&out, 0);
        alloc_fail_after(n);
        chaff_status st = jsonl_parse(line, len, "text", "url", &rec, &text, &url, msg);
        if (st == CHAFF_OK)
            st = jsonl_splice(line, len, &rec, text.p, text.len, &out);
        alloc_fail_after(-1);
        buf_free(&text);
        buf_free(&url);
        buf_free(&out);
        if (st == CHAFF_OK) {
            assert_true(n >= 4);
            break;
        }
        assert_int_equal(st, CHAFF_E_NOMEM);
        assert_true(msg[0] != '\0' || text.len == 0);
        failures++;
    }
    assert_true(failures >= 4);
}

static void test_alloc_failure_messages(void **state)
{
    (void)state;
    const char *line = "{\"te\\u0078t\":\"abc\"}";
    struct jsonl_rec rec;
    struct buf text;
    char msg[128];
    buf_init(&text, 0);
    alloc_fail_after(0); /* the key scratch */
    assert_int_equal(jsonl_parse(line, strlen(line), "text", NULL, &rec, &text, NULL, msg),
                     CHAFF_E_NOMEM);
    assert_string_equal(msg, "out of memory");
    alloc_fail_after(0); /* the text buffer */
    const char *plain = "{\"text\":\"abc\"}";
    assert_int_equal(jsonl_parse(plain, strlen(plain), "text", NULL, &rec, &text, NULL, msg),
                     CHAFF_E_NOMEM);
    assert_string_equal(msg, "text field out of memory");
    alloc_fail_after(-1);
    buf_free(&text);
}

/* Decode the text member of line[0..len) in parts of at least want bytes
 * (each but the last ending in a newline) into *out, joined. */
static void decode_parts(const char *line, size_t len, size_t want, struct buf *out)
{
    const char *path[JSONL_N] = {"text", NULL, NULL, NULL, NULL};
    struct buf *const to[JSONL_N] = {NULL, NULL, NULL, NULL, NULL};
    struct jsonl_rec rec;
    char msg[128];
    assert_int_equal(jsonl_parse_paths(line, len, path, to, &rec, msg), CHAFF_OK);
    assert_int_equal(rec.m[JSONL_TEXT].kind, JSONL_STRING);
    size_t at = 0, parts = 0;
    do {
        struct buf part;
        buf_init(&part, 0);
        assert_int_equal(jsonl_string_part(line, len, &rec.m[JSONL_TEXT], &at, want, &part),
                         CHAFF_OK);
        if (at != rec.m[JSONL_TEXT].end) { /* a cut: after a newline, want bytes in */
            assert_true(part.len >= want);
            assert_int_equal(part.p[part.len - 1], '\n');
        }
        buf_add(out, part.p ? part.p : "", part.len);
        buf_free(&part);
        assert_true(++parts <= len + 1);
    } while (at != rec.m[JSONL_TEXT].end);
    size_t end = at;
    assert_int_equal(jsonl_string_part(line, len, &rec.m[JSONL_TEXT], &end, want, out),
                     CHAFF_E_INVAL); /* nothing past the end */
}

/* jsonl_string_part(): the parts joined are the whole decoded value, for
 * every table case and for random strings of escapes, newlines written
 * both ways, surrogates and ill-formed bytes. */
static void test_string_parts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        const struct pcase *c = &k_cases[i];
        if (c->st != CHAFF_OK || c->kind != STRING || c->field)
            continue;
        for (size_t want = 0; want < 6; want++) {
            struct buf out;
            buf_init(&out, 0);
            decode_parts(c->line, line_len(c), want, &out);
            assert_int_equal(out.len, want_len(c));
            assert_memory_equal(out.p ? out.p : "", c->want, want_len(c));
            buf_free(&out);
        }
    }
    static const char *const bits[] = {
        "\\n",      "\\u000a",          "\\u000A", "a",       "b c",  "\xC3\xA9", "\xFF",
        "\xE4\xB8", "\\ud83d\\ude00",   "\\ud800", "\\udc00", "\\\"", "\\\\",     "\\/",
        "\\t",      "\xF0\x9F\x98\x80", "\\u00e9"};
    const size_t n_bits = sizeof bits / sizeof bits[0];
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        struct buf line;
        buf_init(&line, 0);
        buf_adds(&line, "{\"id\":7,\"text\":\"");
        int n = 1 + (int)(seed % 40);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            buf_adds(&line, bits[(seed >> 16) % n_bits]);
        }
        buf_adds(&line, "\",\"url\":\"x\"}");
        const char *path[JSONL_N] = {"text", NULL, NULL, NULL, NULL};
        struct buf whole;
        buf_init(&whole, 0);
        struct buf *const to[JSONL_N] = {&whole, NULL, NULL, NULL, NULL};
        struct jsonl_rec rec;
        char msg[128];
        assert_int_equal(jsonl_parse_paths(line.p, line.len, path, to, &rec, msg), CHAFF_OK);
        for (size_t want = 1; want < 8; want += 3) {
            struct buf joined;
            buf_init(&joined, 0);
            decode_parts(line.p, line.len, want, &joined);
            assert_int_equal(joined.len, whole.len);
            assert_memory_equal(joined.p ? joined.p : "", whole.p ? whole.p : "", whole.len);
            buf_free(&joined);
        }
        buf_free(&whole);
        buf_free(&line);
    }
    /* not a string member */
    struct jsonl_member m = {0, 0, JSONL_OTHER};
    size_t at = 0;
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(jsonl_string_part("{}", 2, &m, &at, 1, &out), CHAFF_E_INVAL);
    buf_free(&out);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_table),    cmocka_unit_test(test_url),
    cmocka_unit_test(test_string_parts),   cmocka_unit_test(test_append_and_rollback),
    cmocka_unit_test(test_depth),          cmocka_unit_test(test_huge_string),
    cmocka_unit_test(test_truncations),    cmocka_unit_test(test_splice),
    cmocka_unit_test(test_splice_annot),   cmocka_unit_test(test_encode),
    cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_alloc_failure_messages),
};

UNIT_MAIN(tests)
