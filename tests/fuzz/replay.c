/*
 * replay.c — runs a libFuzzer target over saved inputs, without libFuzzer.
 *
 * Each fuzz target tests/fuzz/fuzz_<name>.c is linked with this main() into
 * a regression test: every file under tests/fuzz/corpus/<name>/ (crashes
 * found once, seeds written by hand) is fed to LLVMFuzzerTestOneInput, so
 * `make check` replays the corpus on every build, sanitizers included.
 *
 * Arguments are directories (walked recursively; entries sorted by name so
 * runs are reproducible; dot files skipped) or single files.  Each input
 * gets a heap copy of exactly its size, as under libFuzzer, so a read one
 * byte past the end is caught by ASan or valgrind.  A target that finds a
 * bug traps or aborts; the replay itself only fails on I/O errors or a
 * missing argument.  Inputs are capped at 64 MiB.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT ((size_t)64 << 20)

/* Feeds one file to the target; returns 0, or -1 after reporting why. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    int rc = 0;
    while (data) {
        if (len == cap) {
            if (cap >= REPLAY_MAX_INPUT) {
                fprintf(stderr, "fuzz replay: %s: larger than 64 MiB\n", path);
                rc = -1;
                break;
            }
            uint8_t *p = realloc(data, cap * 2);
            if (!p)
                break;
            data = p;
            cap *= 2;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (!data) {
        fprintf(stderr, "fuzz replay: %s: out of memory\n", path);
        rc = -1;
    } else if (ferror(f)) {
        fprintf(stderr, "fuzz replay: %s: read error\n", path);
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && data) {
        /* An exact-size copy: the slack of the read buffer would hide
         * overreads from the sanitizers.  malloc(0) may return NULL, and
         * the target is promised a valid pointer. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            fprintf(stderr, "fuzz replay: %s: out of memory\n", path);
            rc = -1;
        } else {
            if (len)
                memcpy(exact, data, len);
            LLVMFuzzerTestOneInput(exact, len);
            free(exact);
        }
    }
    free(data);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d) { return d->d_name[0] != '.'; }

/* Replays path (a file, or a directory recursively); adds to *count the
 * inputs run.  Returns 0, or -1 after reporting the first error. */
static int replay_path(const char *path, unsigned long *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (replay_file(path) != 0)
            return -1;
        ++*count;
        return 0;
    }
    struct dirent **names;
    int n = scandir(path, &names, skip_dots, by_name);
    if (n < 0) {
        fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            char *sub = malloc(len);
            if (!sub) {
                fprintf(stderr, "fuzz replay: out of memory\n");
                rc = -1;
            } else {
                snprintf(sub, len, "%s/%s", path, names[i]->d_name);
                rc = replay_path(sub, count);
                free(sub);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        unsigned long count = 0;
        if (replay_path(argv[i], &count) != 0)
            return 1;
        printf("fuzz replay %s: %lu inputs\n", argv[i], count);
        fflush(stdout);
    }
    return 0;
}
