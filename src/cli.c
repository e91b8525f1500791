/*
 * cli.c — the chaff command: options, rule loading, input and output.
 *
 * The only file that touches argv, FILE *, stderr and exit().  Inputs are
 * read by struct input: a file (or standard input) that starts with the
 * gzip magic is inflated member after member, one that starts with the
 * zstd magic is decompressed frame after frame (skippable frames too),
 * anything else passes through unchanged, so `.gz` and `.zst` work for any
 * input, by content rather than by name.  Unlike gzread, which drops them
 * silently, bytes after the last member or frame that do not start another
 * one are reported as gzip -t does ("trailing garbage ignored"; a data
 * error for --strict), and a member or frame cut short is a read error.
 * --max-inflate caps what one input may inflate to (bytes, or a multiple
 * of what was read).  After a
 * read error every record read before it is still cleaned and written:
 * in lines, nul and jsonl framing the bytes after the last delimiter are
 * held back until more come, so the record cut by the error is not.
 * Output is
 * written with fwrite into a large stdio buffer and flushed after each
 * block of input has been fed, before the next read can block: every
 * record that block completed reaches the reader then, as promptly as a
 * flush per record would deliver it, at one write(2) per block instead of
 * one per record.  SIGPIPE is ignored: when the reader goes away, chaff
 * stops quietly with status 0.  Every message is "chaff: ..." via errorf().
 *
 * -o FILE never truncates FILE: the output goes to a temporary file beside
 * it (mkstemp), which takes FILE's mode (a new file: 0666 less the umask)
 * and replaces it by rename(2) once everything was written, so a killed or
 * failed run leaves the old FILE whole.  The temporary file is removed on
 * a write error, on exit before the rename and on SIGINT, SIGTERM and
 * SIGHUP (SIGKILL leaves it, named .chaff-*).  FILE that is not a regular
 * file (/dev/null, a FIFO) is written directly.  An output that is one of
 * the inputs (same device and inode) is a usage error.
 *
 * Exit status: 0 ok, 1 data errors under --strict, 2 usage, 3 rules,
 * 4 I/O (enum exit_code; keep in sync with chaff.1 and README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hs/hs.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unicode/uversion.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "chaff.h"
#include "cli_report.h"
#include "config.h" /* CHAFF_RULES_DIR, CHAFF_RULES_DB: made by make from PREFIX */

enum exit_code { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_RULES = 3, EXIT_IO = 4 };

static int quiet;

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("chaff: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *to)
{
    fputs("usage: chaff [OPTION]... [FILE]...\n"
          "Remove page chrome (menus, login and share widgets, appeals, notices, credits,\n"
          "related lists) from scraped page text; write the article text as NFC UTF-8.\n"
          "With no FILE, or when FILE is -, read standard input.  FILEs may be gzip- or "
          "zstd-compressed.\n"
          "\n"
          "  -f, --format FMT      text (whole input is one document; default), lines, nul,\n"
          "                        jsonl, warc (WARC/WET records; text records are cleaned;\n"
          "                        the default for input that starts with WARC/1.x),\n"
          "                        tsv-jsonl (key<TAB>JSON per line; the key kept)\n"
          "      --field PATH      JSONL field holding the text (default text; a dotted\n"
          "                        path such as metadata.text goes into objects)\n"
          "      --url-field PATH  JSONL field holding the page URL (default url)\n"
          "      --url URL         the document's URL, for site-scoped rules\n"
          "      --from CHARSET    input charset (default: BOM, UTF-8, else detected)\n"
          "      --lang LIST       document languages, e.g. en,zh (default: from the scripts)\n"
          "      --lang-field PATH JSONL field holding each record's languages (en, en,de)\n"
          "      --annotate FIELD  add to each JSONL record an object FIELD with its figures\n"
          "      --drop-empty      write no record whose cleaned text is empty (counted)\n"
          "      --explain-to FILE write the --explain listing to FILE beside the output,\n"
          "                        each record's block headed by its number, id and URL\n"
          "  -R, --rules PATH      add a rule file or folder (repeatable)\n"
          "      --no-default-rules  do not load the default rules folder\n"
          "      --rules-db FILE   load a rules database (from --compile-rules) instead of\n"
          "                        the default rules\n"
          "  -o, --output FILE     write to FILE instead of standard output\n"
          "  -j, --jobs N          worker threads for lines, nul, jsonl and warc, 1 to 64;\n"
          "                        0 or no -j: one per core\n"
          "      --max-doc SIZE    document cap, 1K to 1G, e.g. 64M (default 256M)\n"
          "      --max-inflate LIMIT  stop reading a .gz or .zst input that inflates past LIMIT:\n"
          "                        a size (e.g. 10G) or a multiple of its size (e.g. 200x)\n"
          "      --explain         print every line with its decision and reason\n"
          "      --color[=WHEN]    colour --explain's keep/drop: auto (default: on a\n"
          "                        terminal, unless NO_COLOR is set), always, never\n"
          "      --stats[=FILE]    write a JSON summary to FILE (default standard error)\n"
          "      --keep-comments   keep reader comments under an article\n"
          "      --rules-only      no context heuristics\n"
          "      --no-rules        heuristics only\n"
          "      --model FILE      a line model instead of the built-in one\n"
          "      --no-model        the hand-written heuristics decide (for comparison)\n"
          "      --dump-features   write the line model's input per line (make train)\n"
          "      --strict          exit 1 if any record had a data error\n"
          "      --check-rules     load and compile the rules, report every error and the\n"
          "                        patterns slow to compile or to scan, exit\n"
          "      --test-rules      run the rules' inline examples, exit\n"
          "      --list-rules      print the loaded rule files and their rule counts, exit\n"
          "      --compile-rules   compile the rules into one database file (-o FILE), exit\n"
          "  -q, --quiet           no warnings\n"
          "      --progress        progress on standard error: redrawn on a terminal (bytes,\n"
          "                        percent and ETA when the input size is known), else a\n"
          "                        line every 10 seconds and one at the end\n"
          "  -h, --help            this help\n"
          "  -V, --version         version, rules folder and rule count, library versions\n"
          "\n",
          to);
    /* in two: C99 compilers need only take string literals of 4095 bytes */
    fputs("usage: chaff learn [OPTION]... [FILE]...\n"
          "Count the lines repeated across each site's pages (site: the host of the record's URL)\n"
          "and write them as a rule file to review: exact rules scoped with @site.\n"
          "  -f, --format FMT      as above (jsonl and warc carry a URL per record)\n"
          "      --min-share F     lines on at least this share of a site's pages (default 0.5)\n"
          "      --min-pages N     and on N pages or more; smaller sites are left out (default 5)\n"
          "      --counts          write the counts instead, to merge later\n"
          "      --merge           read counts files (from --counts) instead of pages\n"
          "\n"
          "usage: chaff report [OPTION]... STATS.json...\n"
          "Write one static HTML page (no script, nothing fetched) from --stats summaries:\n"
          "totals, removal share per document, removed lines by category, heuristic and\n"
          "rule (with the rule's text), records with errors.\n"
          "  -o, --output FILE     write the page to FILE (default standard output)\n"
          "      --title TEXT      the page's title (default: chaff report)\n"
          "  -R, --rules PATH      rule files or folders whose text to show (repeatable)\n"
          "      --no-default-rules, --rules-db FILE  as above\n"
          "\n"
          "Exit status: 0 ok, 1 data errors (--strict), 2 usage, 3 rules, 4 I/O.\n"
          "Rules: rules/README.md; default folder $CHAFF_RULES, else the checkout's rules/,\n"
          "else " CHAFF_RULES_DIR ".\n",
          to);
}

/* ---- output ------------------------------------------------------------ */

struct out {
    FILE *fp;
    const char *name;
    int broken;      /* EPIPE: the reader went away */
    const char *dst; /* -o FILE replaced by the temporary file at the end */
    mode_t mode;     /* the mode it gets */
    int color;       /* --explain: colour each line's decision */
    int mid_line;    /* colour: not at the start of a line */
    char hold[8];    /* colour: a line's first bytes, until they decide */
    size_t n_hold;
};

/* The temporary file of -o while it exists: removed by out_cleanup() at
 * exit and by on_fatal_signal(), so it must be a fixed array. */
static char out_tmp[PATH_MAX + 32];
static volatile sig_atomic_t out_tmp_live;

static void out_cleanup(void)
{
    if (out_tmp_live) {
        out_tmp_live = 0;
        unlink(out_tmp);
    }
}

/* SIGINT, SIGTERM, SIGHUP: remove the temporary file, then die of the
 * signal as if not caught.  Only async-signal-safe calls. */
static void on_fatal_signal(int sig)
{
    if (out_tmp_live)
        unlink(out_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Are a and b the same file? */
static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Is the output path (NULL or "-": standard output) one of the n inputs
 * (none: standard input)?  Names the input in *which. */
static int output_is_input(const char *path, char **inputs, int n, const char **which)
{
    struct stat os, is;
    if (path && strcmp(path, "-") != 0 ? stat(path, &os) != 0 : fstat(1, &os) != 0)
        return 0; /* a file that does not exist yet is no input */
    if (!S_ISREG(os.st_mode))
        return 0; /* a terminal or /dev/null may well be both */
    for (int i = 0; i < (n ? n : 1); i++) {
        const char *name = n ? inputs[i] : "-";
        int r = strcmp(name, "-") == 0 ? fstat(0, &is) : stat(name, &is);
        if (r == 0 && same_file(&os, &is)) {
            *which = strcmp(name, "-") == 0 ? "standard input" : name;
            return 1;
        }
    }
    return 0;
}

/* Open -o path: a temporary file beside a regular (or new) file, else the
 * file itself.  0, or EXIT_IO after a message. */
static int out_open(struct out *o, const char *path)
{
    o->name = path;
    char real[PATH_MAX];
    struct stat sb;
    const char *dst = path;
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && realpath(path, real))
        dst = real; /* replace the file the link names, not the link */
    if (stat(dst, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (!(o->fp = fopen(path, "wb"))) {
            errorf("cannot open '%s': %s", path, strerror(errno));
            return EXIT_IO;
        }
        return 0;
    }
    if (stat(dst, &sb) == 0) {
        if (access(dst, W_OK) != 0) { /* renaming over it would bypass that */
            errorf("cannot open '%s': %s", path, strerror(errno));
            return EXIT_IO;
        }
        o->mode = sb.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        o->mode = 0666 & ~mask;
    }
    const char *slash = strrchr(dst, '/');
    int dl = slash ? (int)(slash - dst) + 1 : 0;
    if ((size_t)snprintf(out_tmp, sizeof out_tmp, "%.*s.chaff-XXXXXX", dl, dst) >= sizeof out_tmp) {
        errorf("cannot open '%s': %s", path, strerror(ENAMETOOLONG));
        return EXIT_IO;
    }
    int fd = mkstemp(out_tmp);
    if (fd < 0) {
        errorf("cannot create a temporary file beside '%s': %s", path, strerror(errno));
        return EXIT_IO;
    }
    out_tmp_live = 1;
    if (!(o->fp = fdopen(fd, "wb"))) {
        errorf("cannot open '%s': %s", path, strerror(errno));
        close(fd);
        out_cleanup();
        return EXIT_IO;
    }
    size_t n = strlen(dst) + 1;
    char *copy = malloc(n);
    if (!copy) {
        errorf("%s", chaff_strerror(CHAFF_E_NOMEM));
        return EXIT_IO;
    }
    o->dst = memcpy(copy, dst, n);
    return 0;
}

/* Close the output; with commit, a temporary file replaces the -o file,
 * else it is removed.  0, or EXIT_IO after a message. */
static int out_close(struct out *o, int commit)
{
    int code = 0;
    if (o->fp == stdout)
        return 0;
    if (commit && o->dst) /* a file system without modes keeps what it gives */
        (void)fchmod(fileno(o->fp), o->mode);
    if (commit && o->dst && fflush(o->fp) == 0 && fsync(fileno(o->fp)) != 0 && errno != EINVAL &&
        errno != EROFS) {
        errorf("write error on %s: %s", o->name, strerror(errno));
        commit = 0;
        code = EXIT_IO;
    }
    if (fclose(o->fp) != 0 && commit) {
        errorf("write error on %s: %s", o->name, strerror(errno));
        commit = 0;
        code = EXIT_IO;
    }
    if (o->dst) {
        if (commit && rename(out_tmp, o->dst) != 0) {
            errorf("cannot replace '%s': %s", o->name, strerror(errno));
            code = EXIT_IO;
        } else if (commit) {
            out_tmp_live = 0;
        }
        out_cleanup();
        free((char *)o->dst);
        o->dst = NULL;
    }
    return code;
}

#define OUT_BUFSIZE (1 << 18)

static int out_fail(struct out *o)
{
    o->broken = errno == EPIPE ? 1 : 2;
    return 1;
}

/* --explain in colour: a line that starts "keep\t" or "drop\t" gets its
 * decision in green or red (SGR 32 / 31).  Lines reach the callback in
 * pieces of any size, so a line's first five bytes are held until they
 * are all there (or the line ends).  Everything else passes unchanged. */
#define DECISION_LEN 5
static int out_put(struct out *o, const char *p, size_t n)
{
    return n && fwrite(p, 1, n, o->fp) != n ? out_fail(o) : 0;
}

static int out_decide(struct out *o)
{
    static const struct {
        const char *word, *sgr;
    } decision[] = {{"keep\t", "\033[32m"}, {"drop\t", "\033[31m"}};
    for (size_t i = 0; i < sizeof decision / sizeof decision[0]; i++)
        if (o->n_hold == DECISION_LEN && !memcmp(o->hold, decision[i].word, DECISION_LEN)) {
            o->n_hold = 0;
            return out_put(o, decision[i].sgr, strlen(decision[i].sgr)) ||
                   out_put(o, decision[i].word, 4) || out_put(o, "\033[m\t", 4);
        }
    size_t n = o->n_hold;
    o->n_hold = 0;
    return out_put(o, o->hold, n);
}

static int out_write_color(struct out *o, const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (!o->mid_line) {
            while (o->n_hold < DECISION_LEN && i < len && buf[i] != '\n')
                o->hold[o->n_hold++] = buf[i++];
            if (o->n_hold < DECISION_LEN && i == len)
                return 0; /* the rest of the line's start comes later */
            o->mid_line = 1;
            if (out_decide(o))
                return 1;
        }
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) + 1 : len;
        if (out_put(o, buf + i, end - i))
            return 1;
        i = end;
        if (nl)
            o->mid_line = 0;
    }
    return 0;
}

/* The filter's write callback: buffered, see out_flush(). */
static int out_write(void *ud, const char *buf, size_t len)
{
    struct out *o = ud;
    if (o->broken)
        return 1;
    if (o->color)
        return out_write_color(o, buf, len);
    if (fwrite(buf, 1, len, o->fp) != len)
        return out_fail(o);
    return 0;
}

/* Deliver everything written so far; called after each input block is
 * fed, i.e. before chaff can block reading more.  1 on failure. */
static int out_flush(struct out *o)
{
    if (o->broken)
        return 1;
    if (fflush(o->fp) != 0)
        return out_fail(o);
    return 0;
}

static int err_write(void *ud, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, ud) != len;
}

static void on_warn(void *ud, const char *msg)
{
    (void)ud;
    if (!quiet)
        errorf("%s", msg);
}

/* ---- what --stats adds to the library's summary ------------------------- */

/* The library's summary holds totals.  `chaff report` also shows how much
 * of each document went and which records had errors; both are gathered
 * here, in the command, from what the library already gives it:
 *
 *  - Removal shares: the totals' lines_in and lines_out are read after
 *    each document is cleaned, and their difference is that document's.
 *    That needs documents cleaned one at a time on this thread: text
 *    framing (one document per input) and lines, nul and jsonl with one
 *    job, fed one record at a time.  With more jobs records are cleaned in
 *    batches, and WARC records are not split here, so the summary then says
 *    why no share was measured.  The share is of lines (blank-line runs
 *    collapsed count as removed), the same measure in every framing (bytes
 *    would count JSON escapes).  Bin 0 holds documents with nothing
 *    removed, bin k (1-10) those with a share in ((k-1)/10, k/10].
 *  - Errors: the library's warnings about records ("record 7: malformed
 *    json: ..."), the first ERRORS_KEPT of them.  The library warns from
 *    the thread that feeds; the lock only keeps that from mattering. */
#define SHARE_BINS 11
#define ERRORS_KEPT 1000

struct stats_extra {
    int measure;         /* shares measured, document by document */
    const char *why_not; /* else why not */
    unsigned long long hist[SHARE_BINS], measured;
    unsigned long long last_records, last_in, last_out;
    char *errors[ERRORS_KEPT];
    size_t n_errors;
    unsigned long long errors_dropped;
    pthread_mutex_t lock;
};
static struct stats_extra sx = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The filter's warnings: printed as every warning is, and kept for --stats. */
static void on_data_warn(void *ud, const char *msg)
{
    on_warn(ud, msg);
    pthread_mutex_lock(&sx.lock);
    char *copy = sx.n_errors < ERRORS_KEPT ? strdup(msg) : NULL;
    if (copy)
        sx.errors[sx.n_errors++] = copy;
    else
        sx.errors_dropped++;
    pthread_mutex_unlock(&sx.lock);
}

/* After a document may have been cleaned: its share, when exactly one was. */
static void stats_doc_done(const chaff_filter *f)
{
    const chaff_stats *t = chaff_filter_stats(f);
    if (sx.measure && t->records == sx.last_records + 1 && t->lines_in > sx.last_in) {
        unsigned long long in = t->lines_in - sx.last_in, out = t->lines_out - sx.last_out;
        unsigned bin = 0;
        if (out < in) { /* removed / in, rounded up to the next tenth */
            bin = (unsigned)(((in - out) * 10 + in - 1) / in);
            bin = bin < 1 ? 1 : bin > 10 ? 10 : bin;
        }
        sx.hist[bin]++;
        sx.measured++;
    }
    sx.last_records = t->records;
    sx.last_in = t->lines_in;
    sx.last_out = t->lines_out;
}

/* A growable buffer for the library's JSON summary. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static int sbuf_write(void *ud, const char *buf, size_t len)
{
    struct sbuf *b = ud;
    if (b->len + len > b->cap) {
        size_t cap = (b->len + len) * 2 + 256;
        char *q = realloc(b->p, cap);
        if (!q)
            return 1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, buf, len);
    b->len += len;
    return 0;
}

/* s as a JSON string. */
static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if (*q == '"' || *q == '\\')
            fprintf(fp, "\\%c", *q);
        else if (*q < 0x20)
            fprintf(fp, "\\u%04x", *q);
        else
            fputc(*q, fp);
    }
    fputc('"', fp);
}

/* Write the summary: the library's object with the command's keys added
 * before its closing brace (keep in sync with README.md, Statistics, and
 * chaff.1).  0, or 1 on a write or memory failure. */
static int stats_write(chaff_filter *f, FILE *fp, char **inputs, int n_inputs)
{
    struct sbuf b = {0};
    if (chaff_filter_stats_json(f, sbuf_write, &b) || b.len < 2 || b.p[b.len - 2] != '}') {
        free(b.p);
        return 1;
    }
    fwrite(b.p, 1, b.len - 2, fp); /* without "}\n" */
    free(b.p);
    fputs(",\"inputs\":[", fp);
    for (int i = 0; i < (n_inputs ? n_inputs : 1); i++) {
        fputs(i ? "," : "", fp);
        json_string(fp, n_inputs ? inputs[i] : "-");
    }
    fprintf(fp, "],\"documents_measured\":%llu,\"removal_share_hist\":[", sx.measured);
    for (unsigned i = 0; i < SHARE_BINS; i++)
        fprintf(fp, "%s%llu", i ? "," : "", sx.hist[i]);
    fputs("]", fp);
    if (!sx.measure && sx.why_not) {
        fputs(",\"documents_not_measured\":", fp);
        json_string(fp, sx.why_not);
    }
    fputs(",\"errors\":[", fp);
    for (size_t i = 0; i < sx.n_errors; i++) {
        fputs(i ? "," : "", fp);
        json_string(fp, sx.errors[i]);
    }
    fprintf(fp, "],\"errors_not_kept\":%llu}\n", sx.errors_dropped);
    return ferror(fp) != 0;
}

/* ---- rules ------------------------------------------------------------- */

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The default rules folder: $CHAFF_RULES, the checkout's rules/ beside the
 * executable (build/chaff or ./chaff), else the installed folder.  *db is
 * the database `make` built from it: rules.db beside the executable in a
 * checkout, the installed one, or NULL (beside the folder) for
 * $CHAFF_RULES. */
static const char *default_rules(char *buf, size_t n, char *dbbuf, size_t dbn, const char **db)
{
    const char *env = getenv("CHAFF_RULES");
    *db = NULL;
    if (env && *env)
        return env;
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* build/chaff, build/san/chaff, ./chaff: the checkout is a
             * few folders up at most */
            static const char *const rel[] = {"/rules", "/../rules", "/../../rules",
                                              "/../../../rules"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char probe[PATH_MAX + 32];
                snprintf(probe, sizeof probe, "%s%s/README.md", exe, rel[i]);
                if (access(probe, R_OK) == 0) {
                    snprintf(dbbuf, dbn, "%s/rules.db", exe);
                    *db = dbbuf;
                    snprintf(buf, n, "%s%s", exe, rel[i]);
                    char *real = realpath(buf, NULL);
                    if (real) {
                        snprintf(buf, n, "%s", real);
                        free(real);
                    }
                    return buf;
                }
            }
        }
    }
    *db = CHAFF_RULES_DB;
    return CHAFF_RULES_DIR;
}

/* ---- numbers in options ------------------------------------------------ */

/* Every number an option takes is read here, strictly: decimal digits only
 * (no sign, space or hex, which strtoul would let through, "-5" wrapping
 * to 2^64 - 5), no overflow, and within the option's range, so a value the
 * library would overflow on never reaches it.  Keep the ranges in sync with
 * chaff.1 and README.md (Limits: options and output). */

#define MAX_DOC_MIN ((size_t)1 << 10)
/* line lengths are 32-bit, and a worker's output buffer is four times the
 * document: 1 GiB keeps every size derived from the cap in range */
#define MAX_DOC_MAX ((size_t)1 << 30)
#define MAX_INFLATE_MIN ((unsigned long long)1 << 10)
#define MAX_INFLATE_MAX ((unsigned long long)1 << 50)

/* s as a decimal number in [lo, hi]; 0 on anything else. */
static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    unsigned long long v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
            return 0;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* A size: digits with an optional K, M, G or T (powers of 1024), in [lo, hi]
 * bytes; 0 on anything else. */
static int parse_size(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char digits[32];
    size_t n = strlen(s);
    unsigned shift = 0;
    if (n > 1) {
        switch (s[n - 1]) {
        case 'k':
        case 'K': shift = 10; break;
        case 'm':
        case 'M': shift = 20; break;
        case 'g':
        case 'G': shift = 30; break;
        case 't':
        case 'T': shift = 40; break;
        default: break;
        }
    }
    if (shift)
        n--;
    if (n >= sizeof digits)
        return 0;
    memcpy(digits, s, n);
    digits[n] = '\0';
    unsigned long long v;
    if (!parse_uint(digits, 0, ULLONG_MAX >> shift, &v))
        return 0;
    v <<= shift;
    if (v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* A share: a decimal fraction above 0 and at most 1 ("0.5", ".5", "1");
 * no sign, exponent, "nan" or "inf".  0 on anything else. */
static int parse_share(const char *s, double *out)
{
    size_t i = 0, digits = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (s[i] == '.')
        for (i++; s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (s[i] || !digits)
        return 0;
    double v = strtod(s, NULL);
    if (!(v > 0 && v <= 1))
        return 0;
    *out = v;
    return 1;
}

/* ---- input ------------------------------------------------------------- */

#define IN_BUFSIZE (1 << 17)
#define CARRY_MAX ((size_t)4 << 20) /* a longer cut record is written cut */

/* One input file, plain, gzip or zstd (see the file comment). */
struct input {
    int fd;
    const char *name; /* for messages: the file name or "standard input" */
    int gzip;         /* 1: inflating; 0: plain (or not yet known) */
    ZSTD_DStream *zd; /* decompressing zstd, else NULL */
    int started, eof, in_member, trailing;
    int failed;  /* err is set: reported after the bytes before it */
    z_stream zs; /* zlib's state; next_in/avail_in are the read cursor of
                    every input, plain and zstd too */
    unsigned char buf[IN_BUFSIZE];
    unsigned long long read_total, out_total;
    unsigned long long max_out; /* --max-inflate SIZE, or 0 */
    unsigned ratio;             /* --max-inflate Nx, or 0 */
    char err[160];              /* why input_read() returned -1 */
};

/* Open name ("-": standard input) into in (caller-owned; input_close
 * it).  0, or -1 with errno set. */
static int input_open(struct input *in, const char *name)
{
    /* all but the buffer, which is large and needs no clearing */
    memset(in, 0, offsetof(struct input, buf));
    in->read_total = in->out_total = in->max_out = 0;
    in->ratio = 0;
    in->err[0] = '\0';
    int is_stdin = strcmp(name, "-") == 0;
    in->name = is_stdin ? "standard input" : name;
    in->fd = is_stdin ? 0 : open(name, O_RDONLY);
    return in->fd < 0 ? -1 : 0;
}

static void input_close(struct input *in)
{
    if (in->gzip)
        inflateEnd(&in->zs);
    ZSTD_freeDStream(in->zd); /* accepts NULL */
    in->zd = NULL;
    if (in->fd > 0)
        close(in->fd);
    in->fd = -1;
}

/* Read more into in->buf after the avail_in bytes still unread, which
 * move to the front.  0 at the end of the file, -1 on error. */
static ssize_t input_fill(struct input *in)
{
    if (in->zs.avail_in && in->zs.next_in != in->buf)
        memmove(in->buf, in->zs.next_in, in->zs.avail_in);
    in->zs.next_in = in->buf;
    ssize_t k;
    do
        k = read(in->fd, in->buf + in->zs.avail_in, sizeof in->buf - in->zs.avail_in);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        snprintf(in->err, sizeof in->err, "%s", strerror(errno));
        return -1;
    }
    if (k == 0)
        in->eof = 1;
    in->zs.avail_in += (uInt)k;
    in->read_total += (unsigned long long)k;
    return k;
}

/* Does p (4 bytes) open a zstd frame, or a skippable frame (0x184D2A5?),
 * both little-endian magic numbers? */
static int is_zstd_magic(const unsigned char *p)
{
    return (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) ||
           ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18);
}

/* Has the input inflated past --max-inflate?  Then 1, with in->err set. */
static int inflate_over(struct input *in)
{
    if (in->max_out && in->out_total > in->max_out) {
        snprintf(in->err, sizeof in->err, "inflates to more than --max-inflate allows (%llu bytes)",
                 in->max_out);
        return 1;
    }
    if (in->ratio && in->out_total > ((unsigned long long)1 << 20) &&
        in->out_total / in->ratio > in->read_total) {
        snprintf(in->err, sizeof in->err,
                 "inflates to more than --max-inflate allows (%ux the compressed size)", in->ratio);
        return 1;
    }
    return 0;
}

/* input_read() of a zstd input: frame after frame, as gzip members are
 * read below.  ZSTD_decompressStream starts the next frame by itself; the
 * magic is checked between frames only to tell trailing bytes. */
static ssize_t input_read_zstd(struct input *in, char *p, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        if (!in->in_member) {
            while (in->zs.avail_in < 4 && !in->eof)
                if (input_fill(in) < 0)
                    goto fail;
            if (in->zs.avail_in == 0)
                break;
            if (in->zs.avail_in < 4 || !is_zstd_magic(in->zs.next_in)) {
                in->trailing = 1;
                in->zs.avail_in = 0;
                in->eof = 1;
                break;
            }
            in->in_member = 1;
        }
        if (in->zs.avail_in == 0 && !in->eof && input_fill(in) < 0)
            goto fail;
        ZSTD_inBuffer zi = {in->zs.next_in, in->zs.avail_in, 0};
        ZSTD_outBuffer zo = {p + got, cap - got, 0};
        size_t zr = ZSTD_decompressStream(in->zd, &zo, &zi);
        in->zs.next_in += zi.pos;
        in->zs.avail_in -= (uInt)zi.pos;
        got += zo.pos;
        in->out_total += zo.pos;
        if (ZSTD_isError(zr)) {
            snprintf(in->err, sizeof in->err, "damaged zstd data (%s)", ZSTD_getErrorName(zr));
            goto fail;
        }
        if (zr == 0)
            in->in_member = 0;
        else if (!zi.pos && !zo.pos && !in->zs.avail_in && in->eof) {
            snprintf(in->err, sizeof in->err, "truncated zstd data");
            goto fail;
        }
        if (inflate_over(in))
            goto fail;
    }
    return (ssize_t)got;
fail:
    in->failed = 1;
    return got ? (ssize_t)got : -1;
}

/* Up to cap bytes of the file's content into p: their number, 0 at its
 * end, -1 on an error described in in->err.  in->trailing is set when
 * bytes after the last gzip member or zstd frame were ignored. */
static ssize_t input_read(struct input *in, char *p, size_t cap)
{
    if (in->failed)
        return -1;
    if (!in->started) {
        in->started = 1;
        /* enough bytes to tell gzip and zstd from plain, unless the file
         * is shorter */
        while (in->zs.avail_in < 4 && !in->eof)
            if (input_fill(in) < 0)
                return -1;
        if (in->zs.avail_in >= 2 && in->buf[0] == 0x1f && in->buf[1] == 0x8b) {
            if (inflateInit2(&in->zs, 15 + 16) != Z_OK) {
                snprintf(in->err, sizeof in->err, "%s", chaff_strerror(CHAFF_E_NOMEM));
                return -1;
            }
            in->gzip = in->in_member = 1;
        } else if (in->zs.avail_in >= 4 && is_zstd_magic(in->buf)) {
            if (!(in->zd = ZSTD_createDStream())) {
                snprintf(in->err, sizeof in->err, "%s", chaff_strerror(CHAFF_E_NOMEM));
                return -1;
            }
            in->in_member = 1;
        }
    }
    if (in->zd)
        return input_read_zstd(in, p, cap);
    if (!in->gzip) {
        /* what was read to look for the magic, then more: a full block
         * unless the file ends, so block boundaries do not depend on how
         * a pipe happens to deliver (lines and nul framing sniff the
         * charset from the first block) */
        size_t got = in->zs.avail_in < cap ? in->zs.avail_in : cap;
        memcpy(p, in->zs.next_in, got);
        in->zs.next_in += got;
        in->zs.avail_in -= (uInt)got;
        while (got < cap && !in->eof) {
            ssize_t k = read(in->fd, p + got, cap - got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                snprintf(in->err, sizeof in->err, "%s", strerror(errno));
                in->failed = 1;
                break;
            }
            if (k == 0)
                in->eof = 1;
            got += (size_t)k;
            in->read_total += (unsigned long long)k;
        }
        return got || !in->failed ? (ssize_t)got : -1;
    }
    size_t got = 0;
    while (got < cap) {
        if (!in->in_member) {
            /* after a member: another one, the end, or trailing garbage */
            while (in->zs.avail_in < 2 && !in->eof)
                if (input_fill(in) < 0)
                    goto fail;
            if (in->zs.avail_in == 0)
                break;
            if (in->zs.avail_in < 2 || in->zs.next_in[0] != 0x1f || in->zs.next_in[1] != 0x8b) {
                in->trailing = 1;
                in->zs.avail_in = 0;
                in->eof = 1;
                break;
            }
            inflateReset(&in->zs);
            in->in_member = 1;
        }
        if (in->zs.avail_in == 0 && !in->eof && input_fill(in) < 0)
            goto fail;
        in->zs.next_out = (unsigned char *)p + got;
        in->zs.avail_out = (uInt)(cap - got);
        int zr = inflate(&in->zs, Z_NO_FLUSH);
        size_t made = cap - got - in->zs.avail_out;
        got += made;
        in->out_total += made;
        if (zr == Z_STREAM_END) {
            in->in_member = 0;
        } else if (zr == Z_BUF_ERROR && in->zs.avail_in == 0 && in->eof) {
            snprintf(in->err, sizeof in->err, "truncated gzip data");
            goto fail;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            snprintf(in->err, sizeof in->err, "damaged gzip data (%s)",
                     in->zs.msg          ? in->zs.msg
                     : zr == Z_MEM_ERROR ? "out of memory"
                                         : "zlib error");
            goto fail;
        }
        if (inflate_over(in))
            goto fail;
    }
    return (ssize_t)got;
fail:
    /* the bytes inflated before the error first, then the error */
    in->failed = 1;
    return got ? (ssize_t)got : -1;
}

/* The bytes of a record framing held back from the filter: those after
 * the last delimiter read, a record not yet known to be whole. */
struct carry {
    char *p;
    size_t len, cap;
};

/* A record framing's delimiter, or -1 (text, warc: nothing held back). */
static int delimiter_of(chaff_framing fr)
{
    return fr == CHAFF_FRAME_LINES || fr == CHAFF_FRAME_JSONL || fr == CHAFF_FRAME_TSV_JSONL ? '\n'
           : fr == CHAFF_FRAME_NUL                                                           ? '\0'
                                                                                             : -1;
}

static chaff_status carry_add(struct carry *c, const char *p, size_t n)
{
    if (c->len + n > c->cap) {
        size_t cap = (c->len + n) * 2;
        char *q = realloc(c->p, cap);
        if (!q)
            return CHAFF_E_NOMEM;
        c->p = q;
        c->cap = cap;
    }
    memcpy(c->p + c->len, p, n);
    c->len += n;
    return CHAFF_OK;
}

/* Feed p[0..n) to f up to its last delimiter, after what c held; keep the
 * rest in c.  A record longer than CARRY_MAX is fed as it comes. */
static chaff_status feed_held(chaff_filter *f, struct carry *c, int delim, const char *p, size_t n)
{
    size_t k = n; /* bytes up to the last delimiter; no delimiter: all */
    if (delim >= 0)
        while (k && p[k - 1] != (char)delim)
            k--;
    if (!k && c->len + n <= CARRY_MAX)
        return carry_add(c, p, n);
    if (!k)
        k = n;
    chaff_status st = CHAFF_OK;
    if (c->len)
        st = chaff_filter_feed(f, c->p, c->len);
    c->len = 0;
    if (!st)
        st = chaff_filter_feed(f, p, k);
    if (!st && k < n)
        st = carry_add(c, p + k, n - k);
    return st;
}

/* Feed p[0..n) one record at a time, each followed by stats_doc_done(). */
static chaff_status feed_measured(chaff_filter *f, struct carry *c, int delim, const char *p,
                                  size_t n)
{
    while (n) {
        const char *d = memchr(p, delim, n);
        size_t k = d ? (size_t)(d - p) + 1 : n;
        chaff_status st = feed_held(f, c, delim, p, k);
        if (st)
            return st;
        if (d)
            stats_doc_done(f);
        p += k;
        n -= k;
    }
    return CHAFF_OK;
}

/* Report a chaff_filter_new() failure; returns the exit status. */
static int start_failed(chaff_status st, const chaff_options *opt)
{
    if (opt->model && (st == CHAFF_E_DATA || st == CHAFF_E_IO))
        return EXIT_USAGE; /* the library said what is wrong with the file */
    if (st == CHAFF_E_CHARSET)
        errorf("unknown charset '%s' in --from", opt->from);
    else if (st == CHAFF_E_INVAL && opt->lang)
        errorf("unknown language in --lang '%s'", opt->lang);
    else
        errorf("cannot start: %s", chaff_strerror(st));
    return st == CHAFF_E_INVAL || st == CHAFF_E_CHARSET ? EXIT_USAGE : EXIT_IO;
}

static void test_fail(void *ud, const chaff_error *e)
{
    (void)ud;
    errorf("%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
}

/* --check-rules: every error, printed in the order of the files and of
 * their lines once all were found.  The library finds them in two passes
 * (a file's parse errors as it is read, then the regexes that do not
 * compile), which read out of order (line 6, then line 4).  An error that
 * cannot be kept (no memory) is printed at once. */
struct rule_errs {
    struct rule_err {
        chaff_error e;
        size_t file_rank, seq; /* the file's first error; arrival */
    } * v;
    size_t n, cap;
    unsigned n_total;
};

static void rule_error_print(const chaff_error *e)
{
    if (e->line)
        errorf("%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
    else
        errorf("%s: %s", e->file, e->msg);
}

static void rule_error(void *ud, const chaff_error *e)
{
    struct rule_errs *re = ud;
    re->n_total++;
    if (re->n == re->cap) {
        size_t cap = re->cap ? re->cap * 2 : 16;
        struct rule_err *v = realloc(re->v, cap * sizeof *v);
        if (!v) {
            rule_error_print(e);
            return;
        }
        re->v = v;
        re->cap = cap;
    }
    struct rule_err *r = &re->v[re->n];
    r->e = *e;
    r->seq = re->n;
    r->file_rank = re->n;
    for (size_t i = 0; i < re->n; i++)
        if (!strcmp(re->v[i].e.file, e->file)) {
            r->file_rank = re->v[i].file_rank;
            break;
        }
    re->n++;
}

static int rule_err_cmp(const void *a, const void *b)
{
    const struct rule_err *x = a, *y = b;
    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->e.line != y->e.line)
        return x->e.line < y->e.line ? -1 : 1;
    if (x->e.col != y->e.col)
        return x->e.col < y->e.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print the errors kept by rule_error(), sorted, and free them. */
static void rule_errors_flush(struct rule_errs *re)
{
    if (re->n)
        qsort(re->v, re->n, sizeof re->v[0], rule_err_cmp);
    for (size_t i = 0; i < re->n; i++)
        rule_error_print(&re->v[i].e);
    free(re->v);
    re->v = NULL;
    re->n = re->cap = 0;
}

/* ---- chaff learn --merge ------------------------------------------------ */

/* The lines of a counts file, whole lines at a time, to the learner. */
struct merge_in {
    char *p;
    size_t len, cap;
    unsigned long long line;
};

/* Append p[0..n) and hand over every complete line (and, at the end of
 * the file, the rest).  0, or EXIT_DATA / EXIT_IO after a message. */
static int merge_feed(chaff_filter *f, struct merge_in *m, const char *name, const char *p,
                      size_t n, int at_end)
{
    if (m->len + n > m->cap) {
        size_t cap = (m->len + n) * 2 + 4096;
        char *q = realloc(m->p, cap);
        if (!q) {
            errorf("%s", chaff_strerror(CHAFF_E_NOMEM));
            return EXIT_IO;
        }
        m->p = q;
        m->cap = cap;
    }
    if (n)
        memcpy(m->p + m->len, p, n);
    m->len += n;
    size_t at = 0;
    for (;;) {
        char *nl = m->len > at ? memchr(m->p + at, '\n', m->len - at) : NULL;
        if (!nl && !(at_end && at < m->len))
            break;
        size_t k = nl ? (size_t)(nl - m->p) - at : m->len - at;
        char msg[128] = "";
        m->line++;
        chaff_status st = chaff_filter_learn_merge(f, m->p + at, k, msg);
        if (st) {
            errorf("%s:%llu: %s", name, m->line, st == CHAFF_E_DATA ? msg : chaff_strerror(st));
            return st == CHAFF_E_DATA ? EXIT_DATA : EXIT_IO;
        }
        at += k + (nl ? 1 : 0);
    }
    memmove(m->p, m->p + at, m->len - at);
    m->len -= at;
    if (at_end)
        m->line = 0;
    return 0;
}

/* ---- main -------------------------------------------------------------- */

enum {
    OPT_FIELD = 256,
    OPT_URL_FIELD,
    OPT_URL,
    OPT_FROM,
    OPT_LANG,
    OPT_NO_DEFAULT,
    OPT_MAX_DOC,
    OPT_EXPLAIN,
    OPT_STATS,
    OPT_RULES_ONLY,
    OPT_NO_RULES,
    OPT_STRICT,
    OPT_CHECK,
    OPT_TEST,
    OPT_LIST,
    OPT_PROGRESS,
    OPT_COUNTS,
    OPT_MERGE,
    OPT_MIN_PAGES,
    OPT_MIN_SHARE,
    OPT_COMPILE,
    OPT_RULES_DB,
    OPT_DUMP_FEATURES,
    OPT_KEEP_COMMENTS,
    OPT_MODEL,
    OPT_NO_MODEL,
    OPT_MAX_INFLATE,
    OPT_COLOR,
    OPT_TITLE
};
/* per-record options for pipelines (a block of their own) */
enum { OPT_LANG_FIELD = 512, OPT_ANNOTATE, OPT_DROP_EMPTY, OPT_EXPLAIN_TO };

static const struct option long_opts[] = {
    {"format", required_argument, NULL, 'f'},
    {"field", required_argument, NULL, OPT_FIELD},
    {"url-field", required_argument, NULL, OPT_URL_FIELD},
    {"url", required_argument, NULL, OPT_URL},
    {"from", required_argument, NULL, OPT_FROM},
    {"lang", required_argument, NULL, OPT_LANG},
    {"lang-field", required_argument, NULL, OPT_LANG_FIELD},
    {"annotate", required_argument, NULL, OPT_ANNOTATE},
    {"drop-empty", no_argument, NULL, OPT_DROP_EMPTY},
    {"explain-to", required_argument, NULL, OPT_EXPLAIN_TO},
    {"rules", required_argument, NULL, 'R'},
    {"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT},
    {"output", required_argument, NULL, 'o'},
    {"jobs", required_argument, NULL, 'j'},
    {"max-doc", required_argument, NULL, OPT_MAX_DOC},
    {"max-inflate", required_argument, NULL, OPT_MAX_INFLATE},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"color", optional_argument, NULL, OPT_COLOR},
    {"colour", optional_argument, NULL, OPT_COLOR},
    {"stats", optional_argument, NULL, OPT_STATS},
    {"rules-only", no_argument, NULL, OPT_RULES_ONLY},
    {"dump-features", no_argument, NULL, OPT_DUMP_FEATURES},
    {"keep-comments", no_argument, NULL, OPT_KEEP_COMMENTS},
    {"model", required_argument, NULL, OPT_MODEL},
    {"no-model", no_argument, NULL, OPT_NO_MODEL},
    {"no-rules", no_argument, NULL, OPT_NO_RULES},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"check-rules", no_argument, NULL, OPT_CHECK},
    {"test-rules", no_argument, NULL, OPT_TEST},
    {"list-rules", no_argument, NULL, OPT_LIST},
    {"compile-rules", no_argument, NULL, OPT_COMPILE},
    {"rules-db", required_argument, NULL, OPT_RULES_DB},
    {"quiet", no_argument, NULL, 'q'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"counts", no_argument, NULL, OPT_COUNTS},
    {"merge", no_argument, NULL, OPT_MERGE},
    {"min-pages", required_argument, NULL, OPT_MIN_PAGES},
    {"min-share", required_argument, NULL, OPT_MIN_SHARE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* --progress.  On a terminal (standard error) one line, redrawn four
 * times a second; elsewhere (a log file, a pipe) a plain line every ten
 * seconds, so a log is not flooded and holds no carriage returns, and one
 * at the end.  The position is in bytes of the input files as read
 * (compressed bytes for .gz and .zst), so with every input a regular file
 * their summed sizes give a percentage and an ETA; standard input from a
 * pipe has no size and shows bytes and rate alone. */
struct progress {
    int on, tty;
    unsigned jobs; /* worker threads cleaning */
    double start, last;
    unsigned long long bytes; /* content bytes fed (after decompression) */
    unsigned long long done;  /* input bytes of the files finished */
    unsigned long long total; /* the inputs' sizes summed; 0: not known */
    const struct input *in;   /* the file being read, or NULL */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* v bytes in B, kB, MB or GB (powers of 1000, as rates are read). */
static const char *human_bytes(char *b, size_t n, double v)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
    size_t u = 0;
    while (v >= 1000 && u + 1 < sizeof unit / sizeof unit[0]) {
        v /= 1000;
        u++;
    }
    snprintf(b, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return b;
}

/* The inputs' sizes summed, or 0 when one has none (a pipe, a terminal). */
static unsigned long long inputs_size(char **names, int n)
{
    unsigned long long total = 0;
    for (int i = 0; i < (n ? n : 1); i++) {
        struct stat sb;
        const char *name = n ? names[i] : "-";
        int r = strcmp(name, "-") == 0 ? fstat(0, &sb) : stat(name, &sb);
        if (r != 0 || !S_ISREG(sb.st_mode))
            return 0;
        total += (unsigned long long)sb.st_size;
    }
    return total;
}

static void progress_tick(struct progress *p, chaff_filter *f, int final)
{
    if (!p->on)
        return;
    double t = now_seconds();
    if (!final && t - p->last < (p->tty ? 0.25 : 10.0))
        return;
    p->last = t;
    const chaff_stats *s = chaff_filter_stats(f);
    unsigned long long pos = p->done + (p->in ? p->in->read_total : 0);
    double secs = t - p->start;
    char a[32], b[32], r[32], line[200];
    size_t k = 0;
#define ADD(...)                                                                                   \
    (k += (size_t)snprintf(line + k, k < sizeof line ? sizeof line - k : 0, __VA_ARGS__))
    ADD("%s", human_bytes(a, sizeof a, (double)pos));
    if (p->total)
        ADD(" of %s (%llu%%)", human_bytes(b, sizeof b, (double)p->total),
            pos >= p->total ? 100ULL : pos * 100 / p->total);
    ADD(", %llu records, %u job%s, %s/s", (unsigned long long)s->records, p->jobs,
        p->jobs == 1 ? "" : "s", human_bytes(r, sizeof r, secs > 0 ? (double)pos / secs : 0.0));
    if (p->total && !final && pos && pos < p->total && secs >= 1) {
        unsigned long long eta =
            (unsigned long long)(secs * (double)(p->total - pos) / (double)pos);
        if (eta >= 3600)
            ADD(", ETA %llu:%02llu:%02llu", eta / 3600, eta / 60 % 60, eta % 60);
        else
            ADD(", ETA %llu:%02llu", eta / 60, eta % 60);
    }
    if (final)
        ADD(", done in %.1f s", secs);
#undef ADD
    if (p->tty) /* \033[K: clear what a longer line left */
        fprintf(stderr, "\rchaff: %s\033[K%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "chaff: progress: %s\n", line);
}

/* --version: the command's and the libraries' versions, and which rules a
 * run would load (the same folder, database and -R files).  rules may be
 * NULL, with why in note. */
static void print_version(const char *folder, const chaff_rules *rules, const char *note)
{
    printf("chaff %s\n", chaff_version());
    if (rules)
        printf("rules: %s (%zu rules in %zu files)\n", folder ? folder : "(none)",
               chaff_rules_count(rules), chaff_rules_files(rules));
    else
        printf("rules: %s (%s)\n", folder ? folder : "(none)", note);
    /* hs_version() is "5.4.9 2023-..." : the number alone */
    const char *hv = hs_version();
    int hn = (int)strcspn(hv, " ");
    UVersionInfo uv;
    char icu[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(uv);
    u_versionToString(uv, icu);
    printf("Vectorscan %.*s, ICU %s, zlib %s, zstd %s\n", hn, hv, icu, zlibVersion(),
           ZSTD_versionString());
}

/* ---- chaff report ------------------------------------------------------- */

#define REPORT_INPUT_MAX ((size_t)256 << 20) /* one summary file, at most */

/* The whole of the file name ("-": standard input) in *p (caller frees).
 * 0, or EXIT_IO / EXIT_DATA after a message. */
static int slurp(const char *name, char **p, size_t *len)
{
    int is_stdin = !strcmp(name, "-");
    FILE *fp = is_stdin ? stdin : fopen(name, "rb");
    if (!fp) {
        errorf("cannot open '%s': %s", name, strerror(errno));
        return EXIT_IO;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    int code = b ? 0 : EXIT_IO;
    while (!code) {
        if (n == cap) {
            char *q = cap < REPORT_INPUT_MAX ? realloc(b, cap * 2) : NULL;
            if (!q) {
                errorf("%s: %s", name,
                       cap < REPORT_INPUT_MAX ? chaff_strerror(CHAFF_E_NOMEM)
                                              : "larger than a summary can be (256M)");
                code = cap < REPORT_INPUT_MAX ? EXIT_IO : EXIT_DATA;
                break;
            }
            b = q;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, fp);
        n += k;
        if (k == 0) {
            if (ferror(fp)) {
                errorf("read error in '%s': %s", name, strerror(errno));
                code = EXIT_IO;
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(fp);
    if (code) {
        free(b);
        return code;
    }
    *p = b;
    *len = n;
    return 0;
}

/* getopt_long's ':' (an argument missing) or '?' (an unknown option):
 * say which, as GNU tools do; returns the exit status. */
static int bad_option(int c, char **argv)
{
    if (c == ':')
        errorf("option '%s' requires an argument", argv[optind - 1]);
    else if (optopt)
        errorf("invalid option -- '%c'", optopt);
    else
        errorf("unrecognized option '%s'", argv[optind - 1]);
    fputs("Try 'chaff --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* chaff report STATS.json... (argv[0] is "report"). */
static int report_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"title", required_argument, NULL, OPT_TITLE},
        {"rules", required_argument, NULL, 'R'},
        {"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT},
        {"rules-db", required_argument, NULL, OPT_RULES_DB},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL, *title = NULL, *rules_db = NULL, *rule_paths[256];
    size_t n_rules = 0;
    int no_default = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:R:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case OPT_TITLE: title = optarg; break;
        case 'R':
            if (n_rules == sizeof rule_paths / sizeof rule_paths[0]) {
                errorf("too many --rules options");
                return EXIT_USAGE;
            }
            rule_paths[n_rules++] = optarg;
            break;
        case OPT_NO_DEFAULT: no_default = 1; break;
        case OPT_RULES_DB: rules_db = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return bad_option(c, argv);
        }
    }
    int n_files = argc - optind;
    if (!n_files) {
        errorf("chaff report reads --stats summaries: name one or more");
        fputs("Try 'chaff --help' for more information.\n", stderr);
        return EXIT_USAGE;
    }
    const char *which;
    if (output_is_input(out_path, argv + optind, n_files, &which)) {
        errorf("'%s' is both an input and the output", which);
        return EXIT_USAGE;
    }
    struct report *rep = report_new();
    if (!rep) {
        errorf("%s", chaff_strerror(CHAFF_E_NOMEM));
        return EXIT_IO;
    }
    for (int i = 0; i < n_files; i++) {
        char *text = NULL, why[256];
        size_t len = 0;
        const char *name = argv[optind + i];
        int code = slurp(name, &text, &len);
        if (!code && report_add(rep, name, text, len, why)) {
            errorf("%s:%s%s", name, why[0] >= '0' && why[0] <= '9' ? "" : " ", why);
            code = EXIT_DATA;
        }
        free(text);
        if (code) {
            report_free(rep);
            return code;
        }
    }

    /* The rules give each rule's text.  They are loaded as a run would
     * load them; when they cannot be, the page shows rules by file:line,
     * with their text from files found from the current folder. */
    char defbuf[PATH_MAX + 32], dbbuf[PATH_MAX + 32];
    chaff_rules_config rc;
    chaff_rules_config_init(&rc);
    if (!no_default && !rules_db) {
        const char *d = default_rules(defbuf, sizeof defbuf, dbbuf, sizeof dbbuf, &rc.shipped_db);
        if (is_dir(d))
            rc.shipped = d;
    }
    rc.db = rules_db;
    rc.paths = rule_paths;
    rc.n_paths = n_rules;
    rc.notice = on_warn;
    chaff_rules *rules = NULL;
    chaff_error rerr;
    memset(&rerr, 0, sizeof rerr);
    if ((rc.shipped || rc.db || rc.n_paths) && chaff_rules_open(&rules, &rc, &rerr) != CHAFF_OK)
        errorf("rules not loaded, rules shown by file and line: %s%s%s",
               rerr.file[0] ? rerr.file : "", rerr.file[0] ? ": " : "", rerr.msg);

    struct out out = {.fp = stdout, .name = "standard output"};
    int code = EXIT_OK;
    if (out_path && strcmp(out_path, "-") != 0) {
        atexit(out_cleanup);
        code = out_open(&out, out_path);
    }
    if (!code) {
        int bad = report_write(rep, out.fp, rules, title) != 0 || fflush(out.fp) != 0;
        if (bad && out.fp == stdout && errno == EPIPE)
            bad = 0, out.broken = 1;
        else if (bad)
            errorf("write error on %s: %s", out.name, strerror(errno));
        int cc = out_close(&out, !bad && !out.broken);
        code = bad ? EXIT_IO : cc;
    }
    chaff_rules_free(rules);
    report_free(rep);
    return code;
}

int main(int argc, char **argv)
{
    chaff_options opt;
    chaff_options_init(&opt);
    const char *rule_paths[256];
    size_t n_rules = 0;
    int no_default = 0, explain = 0, strict = 0, check = 0, test = 0, list = 0, format_set = 0;
    int compile = 0;
    const char *rules_db = NULL;
    const char *stats_path = NULL, *out_path = NULL, *explain_to = NULL;
    int want_stats = 0, jobs_set = 0, version = 0;
    int color = -1; /* --color: 1 always, 0 never, -1 auto */
    struct progress prog = {0};
    unsigned long long max_inflate = 0;
    unsigned max_ratio = 0;
    int c;
    /* chaff learn: count lines repeated across each site's pages */
    int learn = argc > 1 && strcmp(argv[1], "learn") == 0, counts = 0, merge = 0;
    unsigned min_pages = 5;
    double min_share = 0.5;
    const char *learn_only = NULL;
    if (argc > 1 && strcmp(argv[1], "report") == 0) {
        signal(SIGPIPE, SIG_IGN);
        return report_main(argc - 1, argv + 1);
    }
    if (learn) {
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    opterr = 0; /* getopt's own messages would not say "chaff: " */
    while ((c = getopt_long(argc, argv, ":f:R:o:j:qhV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format_set = 1;
            if (!strcmp(optarg, "text"))
                opt.framing = CHAFF_FRAME_TEXT;
            else if (!strcmp(optarg, "lines"))
                opt.framing = CHAFF_FRAME_LINES;
            else if (!strcmp(optarg, "nul"))
                opt.framing = CHAFF_FRAME_NUL;
            else if (!strcmp(optarg, "jsonl"))
                opt.framing = CHAFF_FRAME_JSONL;
            else if (!strcmp(optarg, "warc"))
                opt.framing = CHAFF_FRAME_WARC;
            else if (!strcmp(optarg, "tsv-jsonl"))
                opt.framing = CHAFF_FRAME_TSV_JSONL;
            else {
                errorf("unknown format '%s' (text, lines, nul, jsonl, warc, tsv-jsonl)", optarg);
                fputs("Try 'chaff --help' for more information.\n", stderr);
                return EXIT_USAGE;
            }
            break;
        case OPT_FIELD: opt.field = optarg; break;
        case OPT_URL_FIELD: opt.url_field = optarg; break;
        case OPT_URL: opt.url = optarg; break;
        case OPT_FROM: opt.from = optarg; break;
        case OPT_LANG: opt.lang = optarg; break;
        case OPT_LANG_FIELD: opt.lang_field = optarg; break;
        case OPT_ANNOTATE:
            if (!*optarg || strchr(optarg, '.')) {
                errorf("--annotate takes a top-level field name, not '%s'", optarg);
                return EXIT_USAGE;
            }
            opt.annotate = optarg;
            break;
        case OPT_DROP_EMPTY: opt.flags |= CHAFF_DROP_EMPTY; break;
        case OPT_EXPLAIN_TO: explain_to = optarg; break;
        case 'R':
            if (n_rules == sizeof rule_paths / sizeof rule_paths[0]) {
                errorf("too many --rules options");
                return EXIT_USAGE;
            }
            rule_paths[n_rules++] = optarg;
            break;
        case OPT_NO_DEFAULT: no_default = 1; break;
        case 'o': out_path = optarg; break;
        case 'j': {
            unsigned long long v;
            if (!parse_uint(optarg, 0, 64, &v)) {
                errorf("invalid --jobs '%s' (a number from 1 to 64, or 0 for one per core)",
                       optarg);
                return EXIT_USAGE;
            }
            opt.jobs = (unsigned)v;
            jobs_set = v != 0;
            break;
        }
        case OPT_MAX_DOC: {
            unsigned long long v;
            if (!parse_size(optarg, MAX_DOC_MIN, MAX_DOC_MAX, &v)) {
                errorf("invalid --max-doc '%s' (a size from 1K to 1G, e.g. 64M)", optarg);
                return EXIT_USAGE;
            }
            opt.max_doc = (size_t)v;
            break;
        }
        case OPT_MAX_INFLATE: {
            size_t k = strlen(optarg);
            unsigned long long v;
            if (k > 1 && optarg[k - 1] == 'x') {
                char digits[24];
                if (k < sizeof digits) {
                    memcpy(digits, optarg, k - 1);
                    digits[k - 1] = '\0';
                }
                if (k >= sizeof digits || !parse_uint(digits, 2, 100000, &v)) {
                    errorf("invalid --max-inflate '%s' (a ratio from 2x to 100000x)", optarg);
                    return EXIT_USAGE;
                }
                max_ratio = (unsigned)v;
            } else if (parse_size(optarg, MAX_INFLATE_MIN, MAX_INFLATE_MAX, &v)) {
                max_inflate = v;
            } else {
                errorf("invalid --max-inflate '%s' (a size from 1K to 1024T, e.g. 10G, or a "
                       "ratio such as 200x)",
                       optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case OPT_EXPLAIN: explain = 1; break;
        case OPT_COLOR:
            if (!optarg || !strcmp(optarg, "always"))
                color = 1;
            else if (!strcmp(optarg, "never"))
                color = 0;
            else if (!strcmp(optarg, "auto"))
                color = -1;
            else {
                errorf("invalid --color '%s' (auto, always, never)", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_STATS: {
            /* --stats FILE cannot mean the file: a bare --stats followed by
             * an input (`chaff --stats page.txt`) has always read it, and
             * taking it as the summary's file would overwrite that input.
             * A next word that looks like a summary is refused instead of
             * being read as a page. */
            const char *next = !optarg && optind < argc ? argv[optind] : NULL;
            size_t k = next ? strlen(next) : 0;
            if (k > 5 && !strcasecmp(next + k - 5, ".json")) {
                errorf("--stats takes its file as --stats=FILE: '%s' after it would be read as "
                       "input (--stats=%s writes the summary there; --stats -- %s reads it)",
                       next, next, next);
                return EXIT_USAGE;
            }
            want_stats = 1;
            stats_path = optarg;
            break;
        }
        case OPT_RULES_ONLY: opt.flags |= CHAFF_NO_HEURISTICS; break;
        case OPT_DUMP_FEATURES: opt.flags |= CHAFF_DUMP_FEATURES; break;
        case OPT_KEEP_COMMENTS: opt.flags |= CHAFF_KEEP_COMMENTS; break;
        case OPT_MODEL: opt.model = optarg; break;
        case OPT_NO_MODEL: opt.flags |= CHAFF_NO_MODEL; break;
        case OPT_NO_RULES: opt.flags |= CHAFF_NO_RULES; break;
        case OPT_STRICT: strict = 1; break;
        case OPT_CHECK: check = 1; break;
        case OPT_TEST: test = 1; break;
        case OPT_LIST: list = 1; break;
        case OPT_COMPILE: compile = 1; break;
        case OPT_RULES_DB: rules_db = optarg; break;
        case 'q': quiet = 1; break;
        case OPT_PROGRESS: prog.on = 1; break;
        case OPT_COUNTS:
            counts = 1;
            learn_only = "--counts";
            break;
        case OPT_MERGE:
            merge = 1;
            learn_only = "--merge";
            break;
        case OPT_MIN_PAGES: {
            unsigned long long v;
            if (!parse_uint(optarg, 1, 1000000, &v)) {
                errorf("invalid --min-pages '%s' (a number of pages from 1 to 1000000)", optarg);
                return EXIT_USAGE;
            }
            min_pages = (unsigned)v;
            learn_only = "--min-pages";
            break;
        }
        case OPT_MIN_SHARE:
            if (!parse_share(optarg, &min_share)) {
                errorf("invalid --min-share '%s' (a share of pages, above 0 and at most 1)",
                       optarg);
                return EXIT_USAGE;
            }
            learn_only = "--min-share";
            break;
        case 'h': usage(stdout); return EXIT_OK;
        case 'V': version = 1; break;
        default: return bad_option(c, argv);
        }
    }
    if (learn_only && !learn) {
        errorf("%s is an option of 'chaff learn'", learn_only);
        fputs("Try 'chaff --help' for more information.\n", stderr);
        return EXIT_USAGE;
    }
    if (learn) {
        if (explain || n_rules || check || test || list || compile || rules_db) {
            errorf("chaff learn reads no rules and explains nothing");
            return EXIT_USAGE;
        }
        opt.flags |= CHAFF_LEARN | CHAFF_NO_RULES;
        no_default = 1;
    }
    if (explain)
        opt.flags |= CHAFF_EXPLAIN;
    if (!jobs_set) {
        /* one worker per core, as make -j and xz -T0 would be asked for;
         * the library caps it at 64 and uses one for text framing */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        opt.jobs = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
    }
    if ((opt.flags & CHAFF_NO_HEURISTICS) && (opt.flags & CHAFF_NO_RULES)) {
        errorf("--rules-only and --no-rules exclude each other");
        return EXIT_USAGE;
    }
    if (compile && (!out_path || !strcmp(out_path, "-"))) {
        errorf("--compile-rules writes a file: name it with -o FILE");
        return EXIT_USAGE;
    }
    if (compile && rules_db) {
        errorf("--compile-rules compiles rule files, not a database (--rules-db)");
        return EXIT_USAGE;
    }
    const char *which;
    if (!compile && output_is_input(out_path, argv + optind, argc - optind, &which)) {
        errorf("'%s' is both an input and the output", which);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    opt.warn = want_stats ? on_data_warn : on_warn;
    if (!check && !test && !list && !compile && !version) {
        /* usage errors in the filter options (--from, --lang) are found
         * before the rules are loaded, which may take seconds */
        chaff_filter *probe = NULL;
        chaff_status pst = chaff_filter_new(&probe, NULL, &opt, err_write, stderr);
        chaff_filter_free(probe);
        if (pst)
            return start_failed(pst, &opt);
    }

    /* rules */
    char defbuf[PATH_MAX + 32], dbbuf[PATH_MAX + 32];
    chaff_rules_config rc;
    chaff_rules_config_init(&rc);
    int meta = check || test || list || compile;
    const char *folder = rules_db;
    if (!no_default && !rules_db) {
        const char *d = default_rules(defbuf, sizeof defbuf, dbbuf, sizeof dbbuf, &rc.shipped_db);
        folder = d;
        if (!is_dir(d) && version) {
            print_version(d, NULL, "not found");
            return EXIT_OK;
        }
        if (!is_dir(d)) {
            /* running without the rules one meant to load would pass every
             * page through nearly unchanged, with exit 0 */
            if (meta || !(opt.flags & CHAFF_NO_RULES)) {
                errorf("rules folder '%s' not found (set CHAFF_RULES, or "
                       "--no-default-rules with -R)",
                       d);
                return EXIT_RULES;
            }
        } else {
            rc.shipped = d;
        }
    }
    rc.db = rules_db;
    rc.paths = rule_paths;
    rc.n_paths = n_rules;
    rc.notice = on_warn;
    struct rule_errs rerrs = {0};
    if (check) {
        rc.flags |= CHAFF_RULES_CHECK;
        rc.on_error = rule_error;
        rc.error_ud = &rerrs;
    }
    chaff_rules *rules = NULL;
    chaff_error rerr;
    memset(&rerr, 0, sizeof rerr);
    chaff_status st =
        compile ? chaff_rules_compile(&rc, out_path, &rerr) : chaff_rules_open(&rules, &rc, &rerr);
    rule_errors_flush(&rerrs);
    if (version) {
        char why[300];
        snprintf(why, sizeof why, "cannot load: %s", rerr.msg[0] ? rerr.msg : chaff_strerror(st));
        print_version(folder ? folder : n_rules ? rule_paths[0] : NULL, rules, why);
        chaff_rules_free(rules);
        return EXIT_OK;
    }
    if (st) {
        if (rerrs.n_total)
            ; /* each was reported */
        else if (rerr.line)
            errorf("%s:%u:%u: %s", rerr.file, rerr.line, rerr.col, rerr.msg);
        else if (rerr.file[0])
            errorf("%s: %s", rerr.file, rerr.msg[0] ? rerr.msg : chaff_strerror(st));
        else
            errorf("rules: %s", rerr.msg[0] ? rerr.msg : chaff_strerror(st));
        return st == CHAFF_E_IO && compile ? EXIT_IO : EXIT_RULES;
    }
    if (compile)
        return EXIT_OK;
    if (check || test || list) {
        int code = EXIT_OK;
        if (check && !quiet)
            fprintf(stderr, "chaff: %zu rules in %zu files: ok\n", chaff_rules_count(rules),
                    chaff_rules_files(rules));
        if (list) {
            size_t k;
            const char *path;
            for (size_t i = 0; (path = chaff_rules_file(rules, i, &k)) != NULL; i++)
                printf("%6zu  %s\n", k, path);
            printf("%zu rules in %zu files\n", chaff_rules_count(rules), chaff_rules_files(rules));
        }
        if (test) {
            size_t pass = 0, fail = 0;
            st = chaff_rules_test(rules, test_fail, NULL, &pass, &fail);
            printf("rule examples: %zu passed, %zu failed\n", pass, fail);
            if (st == CHAFF_E_TEST)
                code = EXIT_RULES;
            else if (st) {
                errorf("test-rules: %s", chaff_strerror(st));
                code = EXIT_RULES;
            }
        }
        chaff_rules_free(rules);
        return code;
    }

    /* output */
    struct out out = {.fp = stdout, .name = "standard output"};
    if (out_path && strcmp(out_path, "-") != 0) {
        atexit(out_cleanup);
        static const int fatal[] = {SIGINT, SIGTERM, SIGHUP};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_fatal_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(fatal[i], &sa, NULL);
        }
        int oc = out_open(&out, out_path);
        if (oc) {
            chaff_rules_free(rules);
            return oc;
        }
    }
    /* a failure leaves stdio's own buffer, which works as well */
    (void)setvbuf(out.fp, NULL, _IOFBF, OUT_BUFSIZE);
    if (explain) { /* NO_COLOR (no-color.org) turns auto off, not always */
        const char *nc = getenv("NO_COLOR");
        out.color = color > 0 || (color < 0 && !(nc && *nc) && isatty(fileno(out.fp)));
    }
    FILE *xf = NULL; /* --explain-to */
    if (explain_to && !(xf = fopen(explain_to, "w"))) {
        errorf("cannot open '%s': %s", explain_to, strerror(errno));
        chaff_rules_free(rules);
        return EXIT_IO;
    }
    opt.explain_write = xf ? err_write : NULL;
    opt.explain_ud = xf;
    if (!format_set)
        opt.flags |= CHAFF_SNIFF_WARC;
    chaff_filter *f = NULL;
    st = chaff_filter_new(&f, rules, &opt, out_write, &out);
    if (st) {
        chaff_rules_free(rules);
        return start_failed(st, &opt);
    }

    int code = EXIT_OK, read_failed = 0;
    unsigned n_trailing = 0;
    struct merge_in mi = {0};
    struct carry cy = {0};
    int n_files = argc - optind;
    static char block[1 << 20];
    static struct input in;
    prog.start = prog.last = now_seconds();
    prog.tty = isatty(2);
    prog.jobs = opt.framing == CHAFF_FRAME_TEXT || learn ? 1 : opt.jobs;
    prog.in = &in;
    if (prog.on)
        prog.total = inputs_size(argv + optind, n_files);
    for (int i = 0; i < (n_files ? n_files : 1) && code == EXIT_OK; i++) {
        const char *name = n_files ? argv[optind + i] : "-";
        if (input_open(&in, name) != 0) {
            errorf("cannot open '%s': %s", name, strerror(errno));
            code = EXIT_IO;
            break;
        }
        in.max_out = max_inflate;
        in.ratio = max_ratio;
        for (;;) {
            ssize_t n = input_read(&in, block, sizeof block);
            if (n < 0) {
                errorf("read error in '%s': %s", in.name, in.err);
                code = EXIT_IO;
                read_failed = 1;
                break;
            }
            if (n == 0)
                break;
            if (merge) {
                prog.bytes += (unsigned long long)n;
                if ((code = merge_feed(f, &mi, in.name, block, (size_t)n, 0)))
                    break;
                continue;
            }
            prog.jobs = opt.framing == CHAFF_FRAME_TEXT || learn ? 1 : opt.jobs;
            sx.measure = want_stats && !learn &&
                         (opt.framing == CHAFF_FRAME_TEXT ||
                          (prog.jobs == 1 && opt.framing != CHAFF_FRAME_WARC));
            sx.why_not = opt.framing == CHAFF_FRAME_WARC
                             ? "warc framing: records are not measured one by one"
                             : "more than one job cleans records in batches: -j1 measures each";
            prog.bytes += (unsigned long long)n;
            st = sx.measure && opt.framing != CHAFF_FRAME_TEXT
                     ? feed_measured(f, &cy, delimiter_of(opt.framing), block, (size_t)n)
                     : feed_held(f, &cy, delimiter_of(opt.framing), block, (size_t)n);
            if (!format_set && chaff_filter_framing(f) != opt.framing) {
                /* without --format, a stream that opens with a WARC
                 * record is read as warc (CHAFF_SNIFF_WARC), known once
                 * its first bytes are in: nothing was cleaned yet */
                opt.framing = chaff_filter_framing(f);
                prog.jobs = learn ? 1 : opt.jobs;
                sx.measure = false;
                sx.why_not = "warc framing: records are not measured one by one";
            }
            if (!st && out_flush(&out))
                st = CHAFF_E_WRITE;
            if (st)
                break;
            progress_tick(&prog, f, 0);
        }
        if (in.trailing) {
            n_trailing++;
            if (!quiet)
                errorf("%s: trailing garbage ignored", in.name);
        }
        input_close(&in);
        prog.done += in.read_total;
        in.read_total = 0;
        if (merge && code == EXIT_OK)
            code = merge_feed(f, &mi, in.name, NULL, 0, 1);
        if (!st && code == EXIT_OK && cy.len) /* the last record, without its delimiter */
            st = chaff_filter_feed(f, cy.p, cy.len);
        cy.len = 0;
        if (!st && code == EXIT_OK)
            st = chaff_filter_end_input(f);
        if (!st && code == EXIT_OK && sx.measure)
            stats_doc_done(f);      /* a text document, or a last record without delimiter */
        if (!st && out_flush(&out)) /* the next input may block */
            st = CHAFF_E_WRITE;
        if (st)
            break;
    }
    /* After a read error the records read before it are still cleaned and
     * written (with -j2 they wait in a batch): all of a record framing's,
     * the one cut by the error held back (see feed_held).  A text
     * document cut by the error is not written. */
    if (!st && (code == EXIT_OK || (read_failed && !merge && opt.framing != CHAFF_FRAME_TEXT)))
        st = chaff_filter_finish(f);
    free(cy.p);
    free(mi.p);
    if (!st && code == EXIT_OK && learn)
        st = chaff_filter_learned(f, counts, min_pages, min_share, out_write, &out);
    if (!st && out.n_hold && out_decide(&out)) /* a last line shorter than a decision */
        st = CHAFF_E_WRITE;
    if (!st && out_flush(&out))
        st = CHAFF_E_WRITE;
    progress_tick(&prog, f, 1);
    if (st == CHAFF_E_WRITE || out.broken) {
        if (out.broken != 1) {
            errorf("write error on %s: %s", out.name, strerror(errno));
            code = EXIT_IO;
        }
    } else if (st == CHAFF_E_DATA && learn) {
        errorf("no page had a usable URL: chaff learn needs a URL per page (jsonl, warc) or --url");
        code = EXIT_USAGE;
    } else if (st) {
        errorf("%s", chaff_strerror(st));
        code = st == CHAFF_E_CHARSET ? EXIT_USAGE : EXIT_IO;
        if (st == CHAFF_E_CHARSET && opt.from)
            errorf("unknown charset '%s'", opt.from);
    }
    const chaff_stats *s = chaff_filter_stats(f);
    if (want_stats) {
        FILE *sf = stderr;
        if (stats_path && strcmp(stats_path, "-") != 0 && !(sf = fopen(stats_path, "w"))) {
            errorf("cannot open '%s': %s", stats_path, strerror(errno));
            code = code ? code : EXIT_IO;
        } else {
            int bad = stats_write(f, sf, argv + optind, n_files);
            if (sf != stderr && fclose(sf) != 0)
                bad = 1;
            if (bad) {
                int to_file = stats_path && strcmp(stats_path, "-") != 0;
                errorf("write error on %s", to_file ? stats_path : "standard error");
                code = code ? code : EXIT_IO;
            }
        }
        for (size_t i = 0; i < sx.n_errors; i++)
            free(sx.errors[i]);
    }
    if (code == EXIT_OK && strict && (s->records_error || s->records_no_field || n_trailing))
        code = EXIT_DATA;
    if (xf && fclose(xf) != 0) {
        errorf("write error on '%s': %s", explain_to, strerror(errno));
        code = code ? code : EXIT_IO;
    }
    chaff_filter_free(f);
    chaff_rules_free(rules);
    /* the output is kept when all of it was written, even after an input
     * error: it then holds every record read before the error, as standard
     * output would; chaff learn writes its result whole or not at all */
    int cc = out_close(&out, !out.broken && st != CHAFF_E_WRITE && !(learn && st));
    if (cc && code == EXIT_OK)
        code = cc;
    return code;
}
