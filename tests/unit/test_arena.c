/*
 * test_arena.c — the per-document bump allocator (arena.c): alignment of
 * every piece, no overlap, blocks of their own for large requests, reset
 * reusing the largest block, the cap, strndup, allocation failures, and a
 * request so large that rounding it up would wrap around.
 */
#include "unit.h"

#include <stdalign.h>
#include <stdint.h>

#include "alloc.h"
#include "arena.h"

#define ALIGN alignof(max_align_t)

static void test_alignment_and_no_overlap(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    unsigned char *p[64];
    size_t n[64];
    for (int i = 0; i < 64; i++) {
        n[i] = (size_t)(i * 7 + 1); /* odd sizes */
        p[i] = arena_alloc(&a, n[i]);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % ALIGN, 0);
        memset(p[i], i, n[i]);
    }
    for (int i = 0; i < 64; i++)
        for (size_t k = 0; k < n[i]; k++)
            assert_int_equal(p[i][k], (unsigned char)i);
    /* zero bytes still gives a distinct, aligned pointer */
    void *z1 = arena_alloc(&a, 0), *z2 = arena_alloc(&a, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    assert_int_equal((uintptr_t)z1 % ALIGN, 0);
    arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.used_total, 0);
}

static void test_large_and_reset_reuse(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    char *small = arena_alloc(&a, 100);
    assert_non_null(small);
    arena_reset(&a);
    assert_int_equal(a.used_total, 0);
    /* one block kept: the same storage comes back */
    assert_ptr_equal(arena_alloc(&a, 100), small);

    /* a request over the default block size gets a block of its own ... */
    size_t big_n = (size_t)1 << 20;
    char *big = arena_alloc(&a, big_n);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % ALIGN, 0);
    memset(big, 'b', big_n);
    char *after = arena_alloc(&a, 32);
    assert_non_null(after);
    assert_true(after + 32 <= big || after >= big + big_n);
    assert_int_equal(a.used_total, 112 + big_n + 32);
    /* ... and reset keeps the largest block, so the next piece is its start */
    arena_reset(&a);
    assert_ptr_equal(arena_alloc(&a, 16), big);
    arena_free(&a);
}

static void test_cap(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1000);
    assert_null(arena_alloc(&a, 1001));
    assert_null(arena_alloc(&a, 1000)); /* 1000 rounds up past the cap */
    char *p = arena_alloc(&a, 992);
    assert_non_null(p);
    assert_int_equal(a.used_total, 992);
    assert_null(arena_alloc(&a, 1));
    arena_reset(&a);
    assert_non_null(arena_alloc(&a, 1));
    arena_free(&a);
}

static void test_strndup(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    char *s = arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    char *e = arena_strndup(&a, "ignored", 0);
    assert_non_null(e);
    assert_string_equal(e, "");
    char *nul = arena_strndup(&a, "a\0b", 3); /* n bytes, NULs included */
    assert_memory_equal(nul, "a\0b\0", 4);
    arena_free(&a);
}

static void test_nomem(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    alloc_fail_after(0);
    assert_null(arena_alloc(&a, 10));
    assert_null(a.head);
    assert_int_equal(a.used_total, 0);
    assert_non_null(arena_alloc(&a, 10));
    /* a new block that cannot be had leaves the old one in use */
    alloc_fail_after(0);
    assert_null(arena_alloc(&a, (size_t)1 << 20));
    alloc_fail_after(-1);
    assert_int_equal(a.used_total, 16);
    alloc_fail_after(0);
    assert_null(arena_strndup(&a, "x", (size_t)1 << 20));
    alloc_fail_after(-1);
    arena_free(&a);
}

static void test_huge_request(void **state)
{
    (void)state;
    /* rounding n up to the alignment must not wrap to a small request
     * for n near SIZE_MAX: such a request fails */
    struct arena a;
    arena_init(&a, 0);
    assert_null(arena_alloc(&a, SIZE_MAX - 8));
    arena_free(&a);
    arena_init(&a, 4096);
    assert_null(arena_alloc(&a, SIZE_MAX));
    arena_free(&a);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_alignment_and_no_overlap),
    cmocka_unit_test(test_large_and_reset_reuse),
    cmocka_unit_test(test_cap),
    cmocka_unit_test(test_strndup),
    cmocka_unit_test(test_nomem),
    cmocka_unit_test(test_huge_request),
};

UNIT_MAIN(tests)
