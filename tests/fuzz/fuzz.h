/*
 * fuzz.h — what every fuzz harness shares: libFuzzer's entry point (also
 * called by replay.c) and CHECK, which stops the run on a broken invariant.
 */
#ifndef CHAFF_FUZZ_H
#define CHAFF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

#endif
