/*
 * test_buf.c — the growable buffer (buf.c): appends keep the contents
 * NUL-terminated, the cap turns into CHAFF_E_TOOBIG, the first error is
 * sticky until buf_reset, formatted appends take both the short and the
 * long path, and an allocation failure is CHAFF_E_NOMEM.  (JSON string
 * escaping is jsonl_encode's, tested in test_jsonl.c.)
 */
#include "unit.h"

#include "alloc.h"
#include "buf.h"

static void test_append_and_terminate(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_null(b.p);
    assert_int_equal(buf_add(&b, "", 0), CHAFF_OK);
    assert_non_null(b.p); /* even an empty append gives a terminated string */
    assert_string_equal(b.p, "");
    assert_int_equal(buf_adds(&b, "abc"), CHAFF_OK);
    assert_int_equal(buf_addc(&b, '-'), CHAFF_OK);
    assert_int_equal(buf_add(&b, "xyz", 2), CHAFF_OK);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.p, "abc-xy");
    /* growth past the first block keeps every byte */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), CHAFF_OK);
    assert_int_equal(b.len, 1006);
    assert_true(b.cap > b.len);
    assert_int_equal(b.p[6], 'a');
    assert_int_equal(b.p[1005], (char)('a' + 999 % 26));
    assert_int_equal(b.p[1006], '\0');
    buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

static void test_cap_is_sticky(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_add(&b, "0123456789", 10), CHAFF_OK); /* exactly the cap */
    assert_int_equal(b.len, 10);
    assert_int_equal(buf_addc(&b, 'x'), CHAFF_E_TOOBIG);
    assert_int_equal(b.err, CHAFF_E_TOOBIG);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.p, "0123456789");
    /* sticky: an append that would fit also fails now */
    buf_reset(&b);
    assert_int_equal(b.err, CHAFF_OK);
    assert_int_equal(buf_adds(&b, "ab"), CHAFF_OK);
    assert_int_equal(buf_adds(&b, "0123456789"), CHAFF_E_TOOBIG);
    assert_int_equal(buf_adds(&b, "c"), CHAFF_E_TOOBIG);
    assert_int_equal(buf_addf(&b, "%d", 1), CHAFF_E_TOOBIG);
    assert_int_equal(buf_reserve(&b, 0), CHAFF_E_TOOBIG);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.p, "ab");
    /* buf_free keeps the cap for reuse */
    buf_free(&b);
    assert_int_equal(b.max, 10);
    assert_int_equal(buf_adds(&b, "01234567890"), CHAFF_E_TOOBIG);
    buf_free(&b);
}

static void test_reset_keeps_storage(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_adds(&b, "hello world"), CHAFF_OK);
    char *p = b.p;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.p, p);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.p, "");
    buf_free(&b);
}

static void test_addf_short_and_long(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_addf(&b, "%s=%u;", "n", 42u), CHAFF_OK);
    assert_string_equal(b.p, "n=42;");
    /* longer than the 256-byte stack buffer: formatted straight into b */
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_addf(&b, "[%s]%d", big, 7), CHAFF_OK);
    assert_int_equal(b.len, 5 + 1 + 999 + 1 + 1);
    assert_memory_equal(b.p, "n=42;[qqq", 9);
    assert_string_equal(b.p + b.len - 3, "q]7");
    buf_free(&b);
    /* the long path respects the cap too */
    buf_init(&b, 300);
    assert_int_equal(buf_addf(&b, "%s", big), CHAFF_E_TOOBIG);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_nomem(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    alloc_fail_after(0);
    assert_int_equal(buf_adds(&b, "abc"), CHAFF_E_NOMEM);
    assert_int_equal(b.err, CHAFF_E_NOMEM);
    assert_null(b.p);
    /* sticky even though allocation works again */
    assert_int_equal(buf_adds(&b, "abc"), CHAFF_E_NOMEM);
    buf_reset(&b);
    assert_int_equal(buf_adds(&b, "abc"), CHAFF_OK);
    /* failure while growing keeps what was there */
    alloc_fail_after(0);
    char big[200];
    memset(big, 'z', sizeof big);
    assert_int_equal(buf_add(&b, big, sizeof big), CHAFF_E_NOMEM);
    alloc_fail_after(-1);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.p, "abc");
    buf_free(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_append_and_terminate),
    cmocka_unit_test(test_cap_is_sticky),
    cmocka_unit_test(test_reset_keeps_storage),
    cmocka_unit_test(test_addf_short_and_long),
    cmocka_unit_test(test_nomem),
};
UNIT_MAIN(tests)
