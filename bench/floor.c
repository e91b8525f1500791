/*
 * floor.c — the speed floor of the benchmark: the cheapest useful pass over
 * the same bytes chaff reads.
 *
 * Usage: floor [FILE]   (default stdin)
 *
 * Reads 1 MiB blocks with fread and finds every '\n' with memchr, counting
 * lines, which is what any line-oriented filter must do at the least.  A
 * line that straddles two blocks needs no copy because only its end is
 * looked for.  Prints "LINES BYTES"; bench/run.sh times it beside chaff, so
 * the ratio of the two speeds is comparable across machines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (1u << 20)

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char *block = malloc(BLOCK);
    if (!block) {
        fputs("floor: out of memory\n", stderr);
        return 1;
    }
    unsigned long long lines = 0, bytes = 0;
    size_t n;
    while ((n = fread(block, 1, BLOCK, f)) > 0) {
        const char *p = block, *end = block + n;
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p++;
        }
        bytes += n;
    }
    int bad = ferror(f);
    free(block);
    if (bad) {
        fputs("floor: read error\n", stderr);
        return 1;
    }
    printf("%llu %llu\n", lines, bytes);
    return 0;
}
