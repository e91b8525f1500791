/*
 * test_blake2b.c — BLAKE2b against known digests (RFC 7693's "abc", and
 * digests made with Python's hashlib.blake2b), keyed and unkeyed, in one
 * call and fed in pieces of every size.
 */
#include "unit.h"

#include "blake2b.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void expect(const uint8_t *d, size_t n, const char *want)
{
    char got[129];
    hex(d, n, got);
    assert_string_equal(got, want);
}

static void test_vectors(void **state)
{
    (void)state;
    uint8_t d[64], key[32], m[1000];
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < sizeof m; i++)
        m[i] = (uint8_t)(i % 251);
    assert_int_equal(b2b(d, 64, NULL, 0, "abc", 3), 0);
    expect(d, 64,
           "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
           "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
    assert_int_equal(b2b(d, 32, NULL, 0, "", 0), 0);
    expect(d, 32, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    assert_int_equal(b2b(d, 32, key, 32, m, 1000), 0);
    expect(d, 32, "bf9c0d3a2590251349ad634ad07f03958d0be63d5f9533daf62752de734b2c76");
    /* exactly two blocks, unkeyed; exactly one block after the key */
    assert_int_equal(b2b(d, 32, NULL, 0, m, 256), 0);
    expect(d, 32, "582f782226018ec33076bd8d1c42413530ac7e1126260ffc0f306ba3befc3f24");
    assert_int_equal(b2b(d, 32, key, 32, m, 128), 0);
    expect(d, 32, "138893f1631ef3165629515d6ed800da3771b7926dced294205c7507351deebc");
}

static void test_pieces(void **state)
{
    (void)state;
    uint8_t key[32], m[1000], whole[32], d[32];
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < sizeof m; i++)
        m[i] = (uint8_t)(i % 251);
    assert_int_equal(b2b(whole, 32, key, 32, m, sizeof m), 0);
    for (size_t step = 1; step <= 300; step++) {
        struct b2b s;
        assert_int_equal(b2b_init(&s, 32, key, 32), 0);
        for (size_t at = 0; at < sizeof m; at += step)
            b2b_update(&s, m + at, sizeof m - at < step ? sizeof m - at : step);
        b2b_final(&s, d);
        assert_memory_equal(d, whole, 32);
    }
}

static void test_bad_lengths(void **state)
{
    (void)state;
    struct b2b s;
    uint8_t key[65] = {0};
    assert_int_equal(b2b_init(&s, 0, NULL, 0), -1);
    assert_int_equal(b2b_init(&s, 65, NULL, 0), -1);
    assert_int_equal(b2b_init(&s, 32, key, 65), -1);
    assert_int_equal(b2b_init(&s, 64, key, 64), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_vectors),
    cmocka_unit_test(test_pieces),
    cmocka_unit_test(test_bad_lengths),
};

UNIT_MAIN(tests)
