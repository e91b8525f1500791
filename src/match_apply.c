/*
 * match_apply.c — rule guards and hit verdicts (match_apply.h), and the
 * inline-example runner behind chaff_rules_test().
 *
 * Precedence, highest first: a site-scoped drop; a keep rule; a generic
 * strong drop; a weak hit.  The example runner treats an example as a
 * one-line document in the language and site its file section declares,
 * with position guards met; a weak hit counts as a drop there, since weak
 * rules exist to drop lines in chrome context.
 */
#include "match_apply.h"

#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "normalize.h"
#include "segment.h"

bool apply_guard(const struct chaff_rules *r, const struct rule *ru, const struct seg_feat *f,
                 uint32_t nb, const struct apply_ctx *ax)
{
    if (ru->langs != LANG_ALL && !(ru->langs & ax->langs))
        return false;
    if (ru->site && !rules_site_match(r, ru->site, ax->host))
        return false;
    if (ru->match != RM_EXACT && ru->maxlen && f->n_chars > ru->maxlen)
        return false;
    if (!ax->any_position) {
        uint32_t wn = ru->where_n ? ru->where_n : RULE_DEFAULT_WHERE_N;
        if (ru->where == RW_HEAD && (!ax->at_head || nb >= wn))
            return false;
        if (ru->where == RW_TAIL && (!ax->at_tail || nb + wn < ax->n_nonblank))
            return false;
    }
    return true;
}

void apply_verdict(const struct chaff_rules *r, const uint32_t *hits, uint32_t n,
                   struct hit_verdict *v)
{
    v->site_drop = v->keep = v->strong = v->weak = -1;
    for (uint32_t k = 0; k < n; k++) {
        const struct rule *ru = &r->v[hits[k]];
        if (ru->action == RA_BLOCK_END)
            continue;
        if (ru->action == RA_KEEP) {
            if (v->keep < 0)
                v->keep = (int32_t)ru->id;
        } else if (ru->site && ru->strong) {
            if (v->site_drop < 0)
                v->site_drop = (int32_t)ru->id;
        } else if (ru->strong) {
            if (v->strong < 0)
                v->strong = (int32_t)ru->id;
        } else if (v->weak < 0) {
            v->weak = (int32_t)ru->id;
        }
    }
}

struct ids {
    uint32_t v[256];
    uint32_t n;
};

static void add_id(void *ud, uint32_t id)
{
    struct ids *s = ud;
    if (s->n < sizeof s->v / sizeof s->v[0])
        s->v[s->n++] = id;
}

chaff_status chaff_rules_test(const chaff_rules *r, chaff_test_fail_fn fail, void *ud,
                              size_t *n_pass, size_t *n_fail)
{
    size_t pass = 0, failed = 0;
    chaff_status st = CHAFF_OK;
    if (!r)
        return CHAFF_E_INVAL;
    struct match_scratch *ms = NULL;
    if ((st = match_scratch_new(r, &ms)) != CHAFF_OK)
        return st;
    struct buf out, key;
    buf_init(&out, 0);
    buf_init(&key, 0);
    for (uint32_t e = 0; e < r->n_examples; e++) {
        const struct rule_example *ex = &r->examples[e];
        buf_reset(&out);
        buf_reset(&key);
        if (norm_output(ex->text, strlen(ex->text), &out) ||
            norm_key(out.p ? out.p : "", out.len, &key)) {
            st = out.err ? out.err : key.err;
            break;
        }
        struct seg_feat f;
        seg_features(out.p ? out.p : "", out.len, &f, NULL);
        /* the example's site: the first included name of its scope */
        char host[256] = "";
        if (ex->site && ex->site < r->n_sites) {
            const struct site_set *ss = &r->sites[ex->site];
            for (uint32_t k = 0; k < ss->n; k++)
                if (ss->names[k][0] != '~') {
                    snprintf(host, sizeof host, "%s", ss->names[k]);
                    /* "example.*" stands for any suffix: try ".com", cut
                     * short when the name fills host */
                    char *star = strstr(host, ".*");
                    if (star)
                        snprintf(star, sizeof host - (size_t)(star - host), ".com");
                    break;
                }
        }
        struct apply_ctx ax = {.langs = ex->langs,
                               .host = host[0] ? host : NULL,
                               .n_nonblank = 1,
                               .at_head = true,
                               .at_tail = true,
                               .any_position = true};
        struct ids hits = {.n = 0};
        if ((st = match_key(r, ms, key.p ? key.p : "", key.len, add_id, &hits)) != CHAFF_OK)
            break;
        uint32_t w = 0;
        for (uint32_t k = 0; k < hits.n; k++)
            if (apply_guard(r, &r->v[hits.v[k]], &f, 0, &ax))
                hits.v[w++] = hits.v[k];
        struct hit_verdict v;
        apply_verdict(r, hits.v, w, &v);
        bool dropped = v.site_drop >= 0 || (v.keep < 0 && (v.strong >= 0 || v.weak >= 0));
        if (dropped == ex->expect_drop) {
            pass++;
            continue;
        }
        failed++;
        if (fail) {
            chaff_error ce;
            memset(&ce, 0, sizeof ce);
            snprintf(ce.file, sizeof ce.file, "%s", r->files[ex->file].path);
            ce.line = ex->line;
            ce.col = ex->col;
            if (ex->expect_drop)
                snprintf(ce.msg, sizeof ce.msg, "test-drop failed: no rule drops '%.160s'",
                         ex->text);
            else {
                int32_t by = v.site_drop >= 0 ? v.site_drop : v.strong >= 0 ? v.strong : v.weak;
                const struct rule *ru = &r->v[by];
                snprintf(ce.msg, sizeof ce.msg, "test-keep failed: '%.120s' dropped by %s:%u",
                         ex->text, r->files[ru->file].path, ru->line);
            }
            fail(ud, &ce);
        }
    }
    buf_free(&out);
    buf_free(&key);
    match_scratch_free(ms);
    if (n_pass)
        *n_pass = pass;
    if (n_fail)
        *n_fail = failed;
    if (st)
        return st;
    return failed ? CHAFF_E_TEST : CHAFF_OK;
}
