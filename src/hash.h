/*
 * hash.h — FNV-1a over bytes, 64 bits wide: the rule database's cache key
 * (rules_compile.c) and the learner's tables (learn.c).  Chain calls to
 * hash several pieces; start from HASH64_INIT.
 *
 * hash_key: a line's match key eight bytes at a time (FNV's multiply with
 * a shift to mix high bits down), for tables built and read in one run
 * (the matcher's memo, repeats among a page's lines): a byte-at-a-time
 * hash over every paragraph is a chain of multiplies as long as the text.
 */
#ifndef CHAFF_HASH_H
#define CHAFF_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HASH64_INIT 14695981039346656037ull

static inline uint64_t hash64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static inline uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    if (len > i)
        memcpy(&w, key + i, len - i);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 32;
    return h;
}

#endif
