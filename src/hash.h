/*
 * hash.h — FNV-1a over bytes, 64 bits wide: the rule database's cache key
 * (rules_compile.c) and the learner's tables (learn.c).  Chain calls to
 * hash several pieces; start from HASH64_INIT.
 */
#ifndef CHAFF_HASH_H
#define CHAFF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH64_INIT 14695981039346656037ull

static inline uint64_t hash64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#endif
