/*
 * unit.h — common prelude of the cmocka unit tests, one executable per
 * module (tests/unit/test_<module>.c).
 *
 * UNIT_MAIN(tests) gives every test executable the same main(): an optional
 * first argument (or $CHAFF_TEST_FILTER) selects tests by cmocka's glob.
 * CHAFF_TOP names the checkout so tests can reach rules/ and fixtures.
 */
#ifndef CHAFF_UNIT_H
#define CHAFF_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define UNIT_MAIN(tests)                                                                           \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        const char *filt = argc > 1 ? argv[1] : getenv("CHAFF_TEST_FILTER");                       \
        if (filt && *filt)                                                                         \
            cmocka_set_test_filter(filt);                                                          \
        return cmocka_run_group_tests(tests, NULL, NULL);                                          \
    }

/* Path of a file under the checkout: CHAFF_TOP or ".". Static storage. */
static inline const char *unit_path(const char *rel)
{
    static char path[4096];
    const char *top = getenv("CHAFF_TOP");
    snprintf(path, sizeof path, "%s/%s", top && *top ? top : ".", rel);
    return path;
}

#endif
