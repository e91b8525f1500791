/*
 * blake2b.c — BLAKE2b as specified by RFC 7693, written from the RFC.
 *
 * Why BLAKE2b.  The rule database files (rules_db.c) need a digest of
 * their sources and a tag over every byte of a database, checked on each
 * load; a keyed tag is a MAC with no HMAC wrapping.  Portable C runs at
 * about 1 GB/s on this kind of machine, and nothing beyond libc is needed.
 *
 * Limits.  Inputs up to 2^64 bytes (the counter's high word is carried
 * but never needed here).
 */
#include "blake2b.h"

#include <string.h>

static const uint64_t iv[8] = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
    0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

/* message word schedule, RFC 7693 section 2.7 (rounds 10 and 11 repeat
 * rows 0 and 1) */
static const uint8_t sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static uint64_t rotr(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

static uint64_t load64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
#endif
}

#define G(a, b, c, d, x, y)                                                                        \
    do {                                                                                           \
        v[a] = v[a] + v[b] + (x);                                                                  \
        v[d] = rotr(v[d] ^ v[a], 32);                                                              \
        v[c] = v[c] + v[d];                                                                        \
        v[b] = rotr(v[b] ^ v[c], 24);                                                              \
        v[a] = v[a] + v[b] + (y);                                                                  \
        v[d] = rotr(v[d] ^ v[a], 16);                                                              \
        v[c] = v[c] + v[d];                                                                        \
        v[b] = rotr(v[b] ^ v[c], 63);                                                              \
    } while (0)

/* The compression function F on one 128-byte block. */
static void compress(struct b2b *s, const uint8_t *block, int last)
{
    uint64_t v[16], m[16];
    for (unsigned i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = iv[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last)
        v[14] = ~v[14];
    for (size_t i = 0; i < 16; i++)
        m[i] = load64(block + 8 * i);
#define ROUND(r) /* unrolled so that every sigma index is a constant */                            \
    do {                                                                                           \
        G(0, 4, 8, 12, m[sigma[r][0]], m[sigma[r][1]]);                                            \
        G(1, 5, 9, 13, m[sigma[r][2]], m[sigma[r][3]]);                                            \
        G(2, 6, 10, 14, m[sigma[r][4]], m[sigma[r][5]]);                                           \
        G(3, 7, 11, 15, m[sigma[r][6]], m[sigma[r][7]]);                                           \
        G(0, 5, 10, 15, m[sigma[r][8]], m[sigma[r][9]]);                                           \
        G(1, 6, 11, 12, m[sigma[r][10]], m[sigma[r][11]]);                                         \
        G(2, 7, 8, 13, m[sigma[r][12]], m[sigma[r][13]]);                                          \
        G(3, 4, 9, 14, m[sigma[r][14]], m[sigma[r][15]]);                                          \
    } while (0)
    ROUND(0);
    ROUND(1);
    ROUND(2);
    ROUND(3);
    ROUND(4);
    ROUND(5);
    ROUND(6);
    ROUND(7);
    ROUND(8);
    ROUND(9);
    ROUND(10);
    ROUND(11);
#undef ROUND
    for (unsigned i = 0; i < 8; i++)
        s->h[i] ^= v[i] ^ v[i + 8];
}

int b2b_init(struct b2b *s, size_t outlen, const void *key, size_t keylen)
{
    if (outlen == 0 || outlen > 64 || keylen > 64)
        return -1;
    memset(s, 0, sizeof *s);
    for (unsigned i = 0; i < 8; i++)
        s->h[i] = iv[i];
    s->h[0] ^= 0x01010000ull ^ ((uint64_t)keylen << 8) ^ outlen;
    s->outlen = outlen;
    if (keylen > 0) {
        /* the key is the first block, zero-padded */
        b2b_update(s, key, keylen);
        s->c = 128;
    }
    return 0;
}

void b2b_update(struct b2b *s, const void *in, size_t n)
{
    const uint8_t *p = in;
    while (n > 0) {
        if (s->c == 128) {
            /* the block is full and more input follows: it is not last */
            s->t[0] += 128;
            if (s->t[0] < 128)
                s->t[1]++;
            compress(s, s->b, 0);
            s->c = 0;
        }
        size_t k = 128 - s->c < n ? 128 - s->c : n;
        memcpy(s->b + s->c, p, k);
        s->c += k;
        p += k;
        n -= k;
    }
}

void b2b_final(struct b2b *s, void *out)
{
    s->t[0] += s->c;
    if (s->t[0] < s->c)
        s->t[1]++;
    memset(s->b + s->c, 0, 128 - s->c);
    compress(s, s->b, 1);
    uint8_t full[64];
    for (unsigned i = 0; i < 64; i++)
        full[i] = (uint8_t)(s->h[i / 8] >> (8 * (i % 8)));
    memcpy(out, full, s->outlen);
}

int b2b(void *out, size_t outlen, const void *key, size_t keylen, const void *in, size_t n)
{
    struct b2b s;
    if (b2b_init(&s, outlen, key, keylen))
        return -1;
    b2b_update(&s, in, n);
    b2b_final(&s, out);
    return 0;
}
