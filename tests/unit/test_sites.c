/*
 * test_sites.c — the per-site counts (sites.c): counts add up per host,
 * records without a host are left out, the table stops at its cap and
 * counts the rest under "(other)", the index survives growing, the JSON is
 * ordered by lines removed, and an allocation failure is sticky NOMEM.
 */
#include "unit.h"

#include "alloc.h"
#include "sites.h"

static char *json_of(const struct sites *s, chaff_status want)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(sites_json(s, &b), want);
    return b.p; /* the caller frees it with chaff_xfree */
}

static void test_counts_per_host(void **state)
{
    (void)state;
    struct sites s;
    sites_init(&s, 0);
    char *j = json_of(&s, CHAFF_OK);
    assert_string_equal(j, "{}");
    chaff_xfree(j);
    assert_int_equal(sites_add(&s, "a.example", 1, 10, 2), CHAFF_OK);
    assert_int_equal(sites_add(&s, "b.example", 1, 4, 3), CHAFF_OK);
    assert_int_equal(sites_add(&s, "a.example", 1, 5, 4), CHAFF_OK);
    assert_int_equal(sites_add(&s, "", 1, 7, 7), CHAFF_OK); /* no URL: no site */
    assert_int_equal(sites_add(&s, NULL, 1, 7, 7), CHAFF_OK);
    assert_int_equal(s.n, 2);
    j = json_of(&s, CHAFF_OK);
    assert_string_equal(j, "{\"a.example\":{\"records\":2,\"lines_in\":15,\"lines_removed\":6},"
                           "\"b.example\":{\"records\":1,\"lines_in\":4,\"lines_removed\":3}}");
    chaff_xfree(j);
    /* ties in lines removed go by host; a host is JSON-escaped */
    assert_int_equal(sites_add(&s, "b.example", 1, 3, 3), CHAFF_OK);
    assert_int_equal(sites_add(&s, "q\"x", 1, 0, 0), CHAFF_OK);
    j = json_of(&s, CHAFF_OK);
    assert_string_equal(j, "{\"a.example\":{\"records\":2,\"lines_in\":15,\"lines_removed\":6},"
                           "\"b.example\":{\"records\":2,\"lines_in\":7,\"lines_removed\":6},"
                           "\"q\\\"x\":{\"records\":1,\"lines_in\":0,\"lines_removed\":0}}");
    chaff_xfree(j);
    sites_free(&s);
    sites_free(&s); /* twice is harmless */
}

static void test_cap_and_other(void **state)
{
    (void)state;
    struct sites s;
    sites_init(&s, 2);
    assert_int_equal(sites_add(&s, "a", 1, 1, 1), CHAFF_OK);
    assert_int_equal(sites_add(&s, "b", 1, 2, 0), CHAFF_OK);
    assert_int_equal(sites_add(&s, "c", 1, 3, 3), CHAFF_OK); /* past the cap */
    assert_int_equal(sites_add(&s, "d", 2, 4, 1), CHAFF_OK);
    assert_int_equal(sites_add(&s, "a", 1, 1, 1), CHAFF_OK); /* a row still counts */
    assert_int_equal(sites_add(&s, SITES_OTHER, 1, 0, 0), CHAFF_OK);
    assert_int_equal(s.n, 2);
    char *j = json_of(&s, CHAFF_OK);
    assert_string_equal(j, "{\"a\":{\"records\":2,\"lines_in\":2,\"lines_removed\":2},"
                           "\"b\":{\"records\":1,\"lines_in\":2,\"lines_removed\":0},"
                           "\"(other)\":{\"records\":4,\"lines_in\":7,\"lines_removed\":4}}");
    chaff_xfree(j);
    sites_free(&s);
}

static void test_many_hosts(void **state)
{
    (void)state;
    struct sites s;
    sites_init(&s, 0);
    char host[32];
    /* twice over SITES_MAX hosts, each twice: every index growth, then the cap */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 2 * SITES_MAX; i++) {
            snprintf(host, sizeof host, "h%d.example", i);
            assert_int_equal(sites_add(&s, host, 1, 2, 1), CHAFF_OK);
        }
    assert_int_equal(s.n, SITES_MAX);
    assert_int_equal(s.other.records, 2 * SITES_MAX);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.v[i].records, 2);
    assert_true(s.index_cap >= 2 * s.n);
    sites_free(&s);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    struct sites s;
    sites_init(&s, 0);
    alloc_fail_after(0);
    assert_int_equal(sites_add(&s, "a", 1, 1, 1), CHAFF_E_NOMEM);
    alloc_fail_after(-1);
    /* sticky: the table has lost counts, and says so when written */
    assert_int_equal(sites_add(&s, "b", 1, 1, 1), CHAFF_E_NOMEM);
    char *j = json_of(&s, CHAFF_E_NOMEM);
    chaff_xfree(j);
    sites_free(&s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_counts_per_host),
    cmocka_unit_test(test_cap_and_other),
    cmocka_unit_test(test_many_hosts),
    cmocka_unit_test(test_alloc_failure),
};
UNIT_MAIN(tests)
