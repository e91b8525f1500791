/*
 * test_api.c — the calls for bindings (src/api.c) through the public API:
 * chaff_clean_buf gives the bytes chaff_clean writes, NUL-terminated, ""
 * for an empty result, and frees through chaff_free; sized options take
 * the defaults past a smaller caller's struct, accept a larger one whose
 * unknown bytes are zero and refuse one that set them; the default rules
 * folder is $CHAFF_RULES or the installed one; chaff_rules_open_default
 * loads a folder, refuses a missing one with its name, and takes extra
 * paths; allocation failures are reported, never leak or crash.
 */
#include "unit.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "chaff.h"

#define P0                                                                                         \
    "The ferry company said on Monday that the new boats would carry twice as many cyclists "      \
    "across the bay, and that the first of them would sail before the end of the summer."
#define P1                                                                                         \
    "Harbour officials expect the timetable to stay the same, although the crossing itself "       \
    "should take about ten minutes less than it does with the old boats."
#define WIDGET "Sign in with your ferry club account"

/* A folder holding one rule file that drops WIDGET; removed by rm_dir. */
static void rules_dir(char *dir, size_t n, const char *file)
{
    snprintf(dir, n, "/tmp/chaff-ut-api.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("@category login\n= " WIDGET "\n", fp);
    assert_int_equal(fclose(fp), 0);
}

static void rm_dir(const char *dir, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
    rmdir(dir);
}

struct sink {
    char p[4096];
    size_t len;
};

static int sink_write(void *ud, const char *buf, size_t len)
{
    struct sink *s = ud;
    assert_true(s->len + len < sizeof s->p);
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    return 0;
}

static const char page[] = WIDGET "\n" P0 "\n" P1 "\n";

/* The buffer holds what the callback form writes, the widget line gone. */
static void test_clean_buf_matches_clean(void **state)
{
    (void)state;
    char dir[64];
    rules_dir(dir, sizeof dir, "a.rules");
    chaff_rules *r = NULL;
    chaff_error err;
    assert_int_equal(chaff_rules_open_default(&r, "", NULL, (const char *const[]){dir}, 1, &err),
                     CHAFF_OK);
    struct sink s = {.len = 0};
    assert_int_equal(chaff_clean(r, NULL, page, strlen(page), NULL, sink_write, &s), CHAFF_OK);
    char *out = NULL;
    size_t len = 99;
    assert_int_equal(chaff_clean_buf(r, NULL, 0, page, strlen(page), NULL, &out, &len), CHAFF_OK);
    assert_non_null(out);
    assert_int_equal(len, s.len);
    assert_memory_equal(out, s.p, len);
    assert_int_equal(out[len], '\0');
    assert_null(strstr(out, WIDGET));
    assert_non_null(strstr(out, P0));
    assert_non_null(strstr(out, P1));
    chaff_free(out);
    chaff_free(NULL);
    chaff_rules_free(r);
    rm_dir(dir, "a.rules");
}

/* Nothing left is "" and length 0, not NULL; bad arguments are refused. */
static void test_clean_buf_empty_and_inval(void **state)
{
    (void)state;
    char *out = NULL;
    size_t len = 99;
    assert_int_equal(chaff_clean_buf(NULL, NULL, 0, NULL, 0, NULL, &out, &len), CHAFF_OK);
    assert_non_null(out);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    chaff_free(out);
    assert_int_equal(chaff_clean_buf(NULL, NULL, 0, NULL, 5, NULL, &out, &len), CHAFF_E_INVAL);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(chaff_clean_buf(NULL, NULL, 0, "x", 1, NULL, NULL, &len), CHAFF_E_INVAL);
    assert_int_equal(chaff_clean_buf(NULL, NULL, 0, "x", 1, NULL, &out, NULL), CHAFF_E_INVAL);
}

/* A caller's struct smaller, equal or larger than the library's. */
static void test_sized_options(void **state)
{
    (void)state;
    size_t lib = chaff_options_size();
    assert_int_equal(lib, sizeof(chaff_options));
    assert_true(CHAFF_OPTIONS_SIZE_MIN <= lib);

    /* init fills what both know with the defaults, zeroes the rest */
    union {
        chaff_options o;
        unsigned char b[sizeof(chaff_options) + 32];
    } big;
    memset(&big, 0xab, sizeof big);
    assert_int_equal(chaff_options_init_sized(&big.o, sizeof big), CHAFF_OK);
    chaff_options d;
    chaff_options_init(&d);
    assert_int_equal(big.o.framing, d.framing);
    assert_string_equal(big.o.field, "text");
    assert_true(big.o.budget == d.budget);
    for (size_t i = sizeof(chaff_options); i < sizeof big; i++)
        assert_int_equal(big.b[i], 0);
    assert_int_equal(chaff_options_init_sized(&big.o, CHAFF_OPTIONS_SIZE_MIN - 1), CHAFF_E_INVAL);
    assert_int_equal(chaff_options_init_sized(NULL, sizeof big), CHAFF_E_INVAL);

    /* a larger struct with its unknown tail zero cleans like the defaults */
    char *out = NULL, *ref = NULL;
    size_t len = 0, ref_len = 0;
    assert_int_equal(chaff_clean_buf(NULL, NULL, 0, page, strlen(page), NULL, &ref, &ref_len),
                     CHAFF_OK);
    assert_int_equal(
        chaff_clean_buf(NULL, &big.o, sizeof big, page, strlen(page), NULL, &out, &len), CHAFF_OK);
    assert_int_equal(len, ref_len);
    assert_memory_equal(out, ref, len);
    chaff_free(out);

    /* ... and a set byte the library does not know is refused */
    big.b[sizeof(chaff_options) + 3] = 1;
    assert_int_equal(
        chaff_clean_buf(NULL, &big.o, sizeof big, page, strlen(page), NULL, &out, &len),
        CHAFF_E_INVAL);
    assert_null(out);

    /* a smaller caller's struct: its fields are read, the rest defaulted.
     * Garbage past its size must not be read. */
    memset(&big, 0xab, sizeof big);
    assert_int_equal(chaff_options_init_sized(&big.o, CHAFF_OPTIONS_SIZE_MIN), CHAFF_OK);
    big.o.lang = "en";
    assert_int_equal(
        chaff_clean_buf(NULL, &big.o, CHAFF_OPTIONS_SIZE_MIN, page, strlen(page), NULL, &out, &len),
        CHAFF_OK);
    assert_non_null(strstr(out, P0));
    chaff_free(out);
    assert_int_equal(chaff_clean_buf(NULL, &big.o, CHAFF_OPTIONS_SIZE_MIN - 1, page, strlen(page),
                                     NULL, &out, &len),
                     CHAFF_E_INVAL);
    /* options are still read: an unknown language is refused */
    big.o.lang = "xx-not-a-language";
    assert_int_equal(
        chaff_clean_buf(NULL, &big.o, CHAFF_OPTIONS_SIZE_MIN, page, strlen(page), NULL, &out, &len),
        CHAFF_E_INVAL);
    chaff_free(ref);
}

/* $CHAFF_RULES, else the installed folder (an absolute path). */
static void test_default_rules_path(void **state)
{
    (void)state;
    const char *old = getenv("CHAFF_RULES");
    char *keep = old ? strdup(old) : NULL;
    assert_int_equal(setenv("CHAFF_RULES", "/somewhere/rules", 1), 0);
    assert_string_equal(chaff_default_rules_path(), "/somewhere/rules");
    assert_int_equal(setenv("CHAFF_RULES", "", 1), 0);
    const char *p = chaff_default_rules_path();
    assert_int_equal(p[0], '/');
    assert_non_null(strstr(p, "/chaff/rules"));
    assert_int_equal(unsetenv("CHAFF_RULES"), 0);
    assert_string_equal(chaff_default_rules_path(), p);
    if (keep) {
        setenv("CHAFF_RULES", keep, 1);
        free(keep);
    }
}

/* A folder as the shipped rules, extra paths, and a missing folder. */
static void test_rules_open_default(void **state)
{
    (void)state;
    char dir[64];
    rules_dir(dir, sizeof dir, "b.rules");
    chaff_rules *r = NULL;
    chaff_error err;
    assert_int_equal(chaff_rules_open_default(&r, dir, NULL, NULL, 0, &err), CHAFF_OK);
    assert_int_equal(chaff_rules_count(r), 1);
    chaff_rules_free(r);
    assert_int_equal(chaff_rules_open_default(&r, dir, NULL, (const char *const[]){dir}, 1, &err),
                     CHAFF_OK);
    assert_int_equal(chaff_rules_files(r), 2);
    chaff_rules_free(r);

    assert_int_equal(setenv("CHAFF_RULES", "/nonexistent/chaff-rules", 1), 0);
    r = (chaff_rules *)&err; /* must be reset */
    assert_int_equal(chaff_rules_open_default(&r, NULL, NULL, NULL, 0, &err), CHAFF_E_IO);
    assert_null(r);
    assert_string_equal(err.file, "/nonexistent/chaff-rules");
    assert_non_null(strstr(err.msg, "not found"));
    assert_int_equal(unsetenv("CHAFF_RULES"), 0);
    assert_int_equal(chaff_rules_open_default(NULL, dir, NULL, NULL, 0, &err), CHAFF_E_INVAL);
    assert_int_equal(chaff_rules_open_default(&r, dir, NULL, NULL, 1, &err), CHAFF_E_INVAL);
    rm_dir(dir, "b.rules");
}

/* Every allocation failing in turn: an error and no buffer, or success. */
static void test_clean_buf_alloc_failures(void **state)
{
    (void)state;
    bool ok = false;
    for (long n = 0; n < 10000 && !ok; n++) {
        char *out = NULL;
        size_t len = 0;
        alloc_fail_after(n);
        chaff_status st = chaff_clean_buf(NULL, NULL, 0, page, strlen(page), NULL, &out, &len);
        alloc_fail_after(-1);
        if (st == CHAFF_OK) {
            assert_non_null(strstr(out, P0));
            ok = true;
        } else {
            assert_null(out);
        }
        chaff_free(out);
    }
    assert_true(ok);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clean_buf_matches_clean),
    cmocka_unit_test(test_clean_buf_empty_and_inval),
    cmocka_unit_test(test_sized_options),
    cmocka_unit_test(test_default_rules_path),
    cmocka_unit_test(test_rules_open_default),
    cmocka_unit_test(test_clean_buf_alloc_failures),
};

UNIT_MAIN(tests)
