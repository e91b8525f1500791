/*
 * api.c — the calls bindings need (chaff.h, "for bindings"): cleaning into
 * a buffer the library allocates, the default rules folder, opening rules
 * without filling a chaff_rules_config, and chaff_options passed with its
 * size so the struct can grow.
 *
 * Everything here is a thin layer over chaff_clean() and
 * chaff_rules_open(): a binding gets the same output, rules and errors as
 * the command, and nothing new to keep in step with the pipeline.
 *
 * Sized options follow Linux's copy_struct_from_user() (openat2, clone3):
 * the caller's bytes are copied over a struct filled with the defaults, as
 * far as both know the fields; what only the caller knows must be zero,
 * since a library that ignored a set field would silently do something
 * else than asked.
 *
 * The installed rules folder comes from $(B)/gen/config.h, written by make
 * from PREFIX/datadir (the Makefile makes this object depend on it), so a
 * `make install PREFIX=/x` library looks under /x.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "chaff.h"
#include "config.h" /* CHAFF_RULES_DIR: made by make from PREFIX */

size_t chaff_options_size(void) { return sizeof(chaff_options); }

chaff_status chaff_options_init_sized(chaff_options *o, size_t size)
{
    if (!o || size < CHAFF_OPTIONS_SIZE_MIN)
        return CHAFF_E_INVAL;
    chaff_options d;
    chaff_options_init(&d);
    size_t known = size < sizeof d ? size : sizeof d;
    memcpy(o, &d, known);
    if (size > known)
        memset((char *)o + known, 0, size - known);
    return CHAFF_OK;
}

/* The caller's options of size bytes as this library's struct, in *o:
 * defaults past what the caller knows; CHAFF_E_INVAL when the caller set a
 * byte this library does not know. */
static chaff_status options_from_sized(chaff_options *o, const chaff_options *opt, size_t size)
{
    chaff_options_init(o);
    if (!opt)
        return CHAFF_OK;
    if (size < CHAFF_OPTIONS_SIZE_MIN)
        return CHAFF_E_INVAL;
    if (size > sizeof *o) {
        const unsigned char *extra = (const unsigned char *)opt + sizeof *o;
        for (size_t i = 0; i < size - sizeof *o; i++)
            if (extra[i])
                return CHAFF_E_INVAL;
        size = sizeof *o;
    }
    memcpy(o, opt, size);
    return CHAFF_OK;
}

const char *chaff_default_rules_path(void)
{
    const char *env = getenv("CHAFF_RULES");
    return env && *env ? env : CHAFF_RULES_DIR;
}

chaff_status chaff_rules_open_default(chaff_rules **out, const char *shipped,
                                      const char *shipped_db, const char *const *paths,
                                      size_t n_paths, chaff_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!out || (n_paths && !paths))
        return CHAFF_E_INVAL;
    *out = NULL;
    if (!shipped)
        shipped = chaff_default_rules_path();
    chaff_rules_config c;
    chaff_rules_config_init(&c);
    if (*shipped) {
        /* a missing folder would otherwise load no rules at all and pass
         * every page through nearly unchanged: say so instead */
        struct stat sb;
        if (stat(shipped, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            if (err) {
                snprintf(err->file, sizeof err->file, "%s", shipped);
                snprintf(err->msg, sizeof err->msg,
                         "rules folder not found (set CHAFF_RULES or pass a folder)");
            }
            return CHAFF_E_IO;
        }
        c.shipped = shipped;
        c.shipped_db = shipped_db;
    }
    c.paths = paths;
    c.n_paths = n_paths;
    return chaff_rules_open(out, &c, err);
}

/* chaff_write_fn into a struct buf. */
static int buf_write(void *ud, const char *p, size_t len)
{
    return buf_add(ud, p, len) != CHAFF_OK;
}

chaff_status chaff_clean_buf(const chaff_rules *rules, const chaff_options *opt, size_t opt_size,
                             const char *doc, size_t len, const char *url, char **out,
                             size_t *out_len)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!out || !out_len || (!doc && len))
        return CHAFF_E_INVAL;
    chaff_options o;
    chaff_status st = options_from_sized(&o, opt, opt_size);
    if (st)
        return st;
    /* The input is held to the document cap (opt->max_doc); the output,
     * cleaned from it, needs no cap of its own beyond buf's. */
    struct buf b;
    buf_init(&b, 0);
    st = chaff_clean(rules, &o, doc ? doc : "", len, url, buf_write, &b);
    if (st == CHAFF_E_WRITE && b.err)
        st = b.err; /* the buffer's own failure, not the caller's */
    if (!st)
        st = buf_add(&b, "", 0); /* an empty result is "", not NULL */
    if (st) {
        buf_free(&b);
        return st;
    }
    *out = b.p;
    *out_len = b.len;
    return CHAFF_OK;
}

void chaff_free(void *p) { chaff_xfree(p); }
