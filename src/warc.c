/*
 * warc.c — WARC/1.x record headers (see warc.h).
 *
 * Field names are matched without regard to case, values are trimmed of
 * spaces and tabs; a line starting with a space or tab continues the field
 * above (kept as it is on output).  Only three fields matter here --
 * Content-Length, WARC-Type, WARC-Target-URI, Content-Type and
 * WARC-Identified-Content-Language -- and only
 * Content-Length is required.  The header is written back line by line, so
 * fields chaff does not know, their order and their line ends survive.
 */
#include "warc.h"

#include <stdio.h>
#include <string.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int name_is(const char *p, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n != k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)p[i]) != name[i])
            return 0;
    return 1;
}

int warc_is_start(const char *p, size_t n)
{
    static const char v[] = "WARC/";
    for (size_t i = 0; i < 5; i++) {
        if (i == n)
            return -1;
        if (p[i] != v[i])
            return 0;
    }
    if (n == 5)
        return -1;
    return p[5] >= '0' && p[5] <= '9';
}

size_t warc_head_end(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\n')
            continue;
        if (p[i + 1] == '\n')
            return i + 2;
        if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The next line of p[0..n) from *at: its text without the line end in
 * [*s, *s + *len), the offset after it in *at.  0 at the end. */
static int next_line(const char *p, size_t n, size_t *at, const char **s, size_t *len)
{
    if (*at >= n)
        return 0;
    const char *b = p + *at;
    const char *e = memchr(b, '\n', n - *at);
    size_t k = e ? (size_t)(e - b) : n - *at;
    *s = b;
    *len = k && b[k - 1] == '\r' ? k - 1 : k;
    *at += e ? k + 1 : k;
    return 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

chaff_status warc_parse(const char *p, size_t n, struct warc_head *h, char msg[128])
{
    memset(h, 0, sizeof *h);
    h->len = n;
    size_t at = 0, len;
    const char *s;
    if (!next_line(p, n, &at, &s, &len) || warc_is_start(s, len) != 1) {
        snprintf(msg, 128, "no WARC version line");
        return CHAFF_E_DATA;
    }
    int have_length = 0;
    while (next_line(p, n, &at, &s, &len)) {
        if (!len || s[0] == ' ' || s[0] == '\t')
            continue; /* the blank line, or a continuation */
        const char *colon = memchr(s, ':', len);
        if (!colon) {
            snprintf(msg, 128, "header line without a colon: '%.*s'", (int)(len < 40 ? len : 40),
                     s);
            for (char *q = msg; *q; q++)
                if ((unsigned char)*q < 0x20)
                    *q = ' ';
            return CHAFF_E_DATA;
        }
        size_t name_len = (size_t)(colon - s);
        const char *v = colon + 1;
        size_t vn = len - name_len - 1;
        trim(&v, &vn);
        if (name_is(s, name_len, "content-length")) {
            uint64_t x = 0;
            if (!vn || vn > 18) {
                snprintf(msg, 128, "bad Content-Length");
                return CHAFF_E_DATA;
            }
            for (size_t i = 0; i < vn; i++) {
                if (v[i] < '0' || v[i] > '9') {
                    snprintf(msg, 128, "bad Content-Length");
                    return CHAFF_E_DATA;
                }
                x = x * 10 + (uint64_t)(v[i] - '0');
            }
            h->content_length = x;
            have_length = 1;
        } else if (name_is(s, name_len, "warc-type")) {
            h->type = v;
            h->type_len = vn;
        } else if (name_is(s, name_len, "warc-target-uri")) {
            h->uri = v;
            h->uri_len = vn;
        } else if (name_is(s, name_len, "content-type")) {
            h->ctype = v;
            h->ctype_len = vn;
        } else if (name_is(s, name_len, "warc-record-id")) {
            h->rid = v;
            h->rid_len = vn;
        } else if (name_is(s, name_len, "warc-identified-content-language")) {
            h->lang = v;
            h->lang_len = vn;
        }
    }
    if (!have_length) {
        snprintf(msg, 128, "no Content-Length");
        return CHAFF_E_DATA;
    }
    return CHAFF_OK;
}

/* Does v[0..n) start with the media type t (then end, ';' or space)? */
static int media_is(const char *v, size_t n, const char *t)
{
    size_t k = strlen(t);
    if (n < k || !name_is(v, k, t))
        return 0;
    return n == k || v[k] == ';' || v[k] == ' ' || v[k] == '\t';
}

int warc_is_text(const struct warc_head *h)
{
    if (!h->type)
        return 0;
    if (name_is(h->type, h->type_len, "conversion"))
        return !h->ctype || media_is(h->ctype, h->ctype_len, "text/plain");
    if (name_is(h->type, h->type_len, "resource"))
        return h->ctype && media_is(h->ctype, h->ctype_len, "text/plain");
    return 0;
}

/* The charset parameter of the Content-Type value v[0..n): its value, in
 * quotes when quoted, spans [*b, *e).  0 when there is none. */
static int charset_param(const char *v, size_t n, const char **b, const char **e)
{
    const char *end = v + n;
    for (const char *q = v; q + 8 <= end; q++) {
        if (!name_is(q, 8, "charset=") || (q > v && q[-1] != ';' && q[-1] != ' ' && q[-1] != '\t'))
            continue;
        const char *x = q + 8, *y = x;
        if (y < end && *y == '"') {
            const char *close = memchr(y + 1, '"', (size_t)(end - y - 1));
            y = close ? close + 1 : end;
        } else {
            while (y < end && *y != ';' && *y != ' ' && *y != '\t')
                y++;
        }
        *b = x;
        *e = y;
        return 1;
    }
    return 0;
}

void warc_charset(const struct warc_head *h, char out[40])
{
    out[0] = '\0';
    const char *q, *end;
    if (!h->ctype || !charset_param(h->ctype, h->ctype_len, &q, &end))
        return;
    if (q < end && *q == '"')
        q++;
    size_t k = 0;
    while (q + k < end && k < 39 && q[k] != ';' && q[k] != '"' && q[k] != ' ' && q[k] != '\t')
        k++;
    memcpy(out, q, k);
    out[k] = '\0';
}

chaff_status warc_write_head(const char *p, const struct warc_head *h, uint64_t new_len,
                             int changed, struct buf *out)
{
    size_t at = 0, len;
    const char *s;
    int skipping = 0; /* inside a dropped field, continuation lines too */
    while (at < h->len) {
        size_t from = at;
        next_line(p, h->len, &at, &s, &len);
        const char *eol = s + len;
        size_t eol_len = at - (size_t)(eol - p);
        if (len && (s[0] == ' ' || s[0] == '\t')) {
            if (!skipping)
                buf_add(out, p + from, at - from);
            continue;
        }
        skipping = 0;
        const char *colon = len ? memchr(s, ':', len) : NULL;
        size_t name_len = colon ? (size_t)(colon - s) : 0;
        if (colon && name_is(s, name_len, "content-length")) {
            buf_add(out, s, name_len);
            buf_addf(out, ": %llu", (unsigned long long)new_len);
            buf_add(out, eol, eol_len);
        } else if (colon && changed &&
                   (name_is(s, name_len, "warc-block-digest") ||
                    name_is(s, name_len, "warc-payload-digest"))) {
            skipping = 1;
        } else if (colon && changed && name_is(s, name_len, "content-type")) {
            /* the block is UTF-8 now, whatever it was */
            const char *v, *ve, *end = s + len;
            if (!charset_param(colon + 1, (size_t)(end - colon - 1), &v, &ve)) {
                buf_add(out, p + from, at - from);
                continue;
            }
            buf_add(out, s, (size_t)(v - s));
            buf_adds(out, "UTF-8");
            buf_add(out, ve, (size_t)(end - ve));
            buf_add(out, eol, eol_len);
        } else {
            buf_add(out, p + from, at - from);
        }
    }
    return out->err;
}
