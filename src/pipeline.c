/* Pipeline: reader -> normalizer -> shingles -> MinHash -> LSH -> verification -> clusters.
 * Per document only metadata, the sorted shingle set (with each shingle's first position,
 * used to recognise a shared footer) and the signature are kept; the text is dropped as
 * soon as it is signed. See docs/ARCHITECTURE.md for the tour. */
#include "pipeline_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static const char *const skip_names[DD_SKIP_COUNT] = {"unreadable", "binary", "empty",
                                                      "too_large", "malformed"};

const char *dd_skip_name(dd_skip_reason r)
{
    return (unsigned)r < DD_SKIP_COUNT ? skip_names[r] : "unknown";
}

dd_pipeline_opts dd_pipeline_opts_default(void)
{
    dd_pipeline_opts o;

    memset(&o, 0, sizeof o);
    o.level = DD_LEVEL_STORIES;
    o.shingle_k = 5;
    o.num_perm = 128;
    o.threshold = 0.5;
    o.containment = 0.8;
    o.min_contained = 8;
    o.lsh_threshold = 0.3;
    o.seed = 1;
    o.signature = DD_SIGNATURE_MINHASH;
    o.story_threshold = 0.45;
    o.top_k = 100;
    o.max_days = 4;
    o.story_lsh_threshold = 0.15;
    o.simhash_distance = 10;
    return o;
}

size_t dd_result_skipped(const dd_result *res)
{
    size_t i, n = 0;

    for (i = 0; i < DD_SKIP_COUNT; i++)
        n += res->skipped[i];
    return n;
}

void dd_result_free(dd_result *res)
{
    if (!res)
        return;
    if (res->mem) {
        dd__arena_free(&res->mem->strings);
        free(res->mem->set);
        free(res->mem->pos);
        free(res->mem->set_off);
        free(res->mem->seq_len);
        free(res->mem->sigs);
        free(res->mem->lines);
        free(res->mem->terms);
        free(res->mem->term_off);
        free(res->mem->days);
        free(res->mem->vh);
        free(res->mem->vw);
        free(res->mem->voff);
        free(res->mem->dict_h);
        free(res->mem->dict_s);
        free(res->mem);
    }
    free(res->docs);
    free(res->pairs);
    free(res->near_copy);
    free(res->key_terms);
    dd_clusters_free(&res->clusters);
    free(res);
}

static void diag(const dd__run *w, const char *msg, bool skipped)
{
    if (w->o->on_diag)
        w->o->on_diag(w->o->diag_ud, msg, skipped);
}

static dd_skip_reason skip_reason(dd_status st)
{
    switch (st) {
    case DD_EBINARY:
        return DD_SKIP_BINARY;
    case DD_EEMPTY:
        return DD_SKIP_EMPTY;
    case DD_ELIMIT:
        return DD_SKIP_TOO_LARGE;
    case DD_EPARSE:
    case DD_EUTF8:
        return DD_SKIP_MALFORMED;
    default:
        return DD_SKIP_UNREADABLE;
    }
}

static bool hp_less(const struct dd__hp *a, const struct dd__hp *b)
{
    return a->h < b->h || (a->h == b->h && a->pos < b->pos);
}

/* Sort by (hash, position), all keys distinct. Quicksort with the comparison inlined: glibc's
 * qsort calls a comparator per step and was 10% of a copies run. Hashes are uniform, so a
 * median of three keeps the depth near log n; the smaller side recurses. */
static void sort_hp(struct dd__hp *v, size_t n)
{
    while (n > 16) {
        struct dd__hp *x = &v[0], *y = &v[n / 2], *z = &v[n - 1], p, t;
        size_t i = 0, j = n - 1;
        if (hp_less(y, x))
            t = *x, *x = *y, *y = t;
        if (hp_less(z, y))
            t = *y, *y = *z, *z = t;
        if (hp_less(y, x))
            t = *x, *x = *y, *y = t;
        p = *y;
        for (;;) {
            while (hp_less(&v[i], &p))
                i++;
            while (hp_less(&p, &v[j]))
                j--;
            if (i >= j)
                break;
            t = v[i], v[i] = v[j], v[j] = t;
            i++;
            j--;
        }
        if (j + 1 < n - j - 1) {
            sort_hp(v, j + 1);
            v += j + 1;
            n -= j + 1;
        } else {
            sort_hp(v + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        struct dd__hp t = v[i];
        size_t j = i;
        for (; j > 0 && hp_less(&t, &v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

/* Sort shingles, keep each once with its first position, append to the result's sets. */
static dd_status store_set(dd__run *w, size_t n)
{
    struct dd__result_mem *m = w->res->mem;
    size_t i, u = 0, base = m->set_n;

    if (dd__grow((void **)&w->hp, &w->hp_cap, n, sizeof *w->hp) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        w->hp[i].h = w->sh[i];
        w->hp[i].pos = (uint32_t)i;
    }
    sort_hp(w->hp, n);
    if (dd__grow((void **)&m->set, &m->set_cap, base + n, sizeof *m->set) != DD_OK ||
        dd__grow((void **)&m->pos, &m->pos_cap, base + n, sizeof *m->pos) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        if (i && w->hp[i].h == w->hp[i - 1].h)
            continue;
        m->set[base + u] = w->hp[i].h;
        m->pos[base + u] = w->hp[i].pos;
        u++;
    }
    m->set_n = base + u;
    return DD_OK;
}

static dd_status store_meta(dd__run *w, const dd_doc *d, size_t ntok, size_t nseq)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    dd_doc_info *info;
    size_t idx = res->n_docs;

    if (dd__grow((void **)&res->docs, &m->docs_cap, idx + 1, sizeof *res->docs) != DD_OK ||
        dd__grow((void **)&m->set_off, &m->off_cap, idx + 2, sizeof *m->set_off) != DD_OK ||
        dd__grow((void **)&m->seq_len, &m->seq_cap, idx + 1, sizeof *m->seq_len) != DD_OK)
        return DD_ENOMEM;
    info = &res->docs[idx];
    memset(info, 0, sizeof *info);
    info->id = dd__arena_strndup(&m->strings, d->id, strlen(d->id));
    info->title = dd__arena_strndup(&m->strings, d->title, strlen(d->title));
    info->source = dd__arena_strndup(&m->strings, d->source, strlen(d->source));
    info->date = d->date ? dd__arena_strndup(&m->strings, d->date, strlen(d->date)) : NULL;
    if (!info->id || !info->title || !info->source || (d->date && !info->date))
        return DD_ENOMEM;
    info->bytes = d->len;
    info->tokens = ntok;
    info->line = d->line;
    info->record_off = d->record_off;
    info->record_len = d->record_len;
    m->seq_len[idx] = nseq;
    m->set_off[idx + 1] = m->set_n;
    res->n_docs++;
    return DD_OK;
}

/* Hash every line of three or more tokens; lines repeated across unrelated documents are
 * boilerplate (bylines, footers, share buttons), found after the first clustering pass. */
static dd_status store_lines(dd__run *w, const dd_span *toks, size_t ntok, uint32_t doc)
{
    struct dd__result_mem *m = w->res->mem;
    size_t n_lines, i, j;
    const size_t *starts = dd_normalizer_lines(w->nz, &n_lines);
    XXH3_state_t st;

    XXH3_INITSTATE(&st); /* reset alone leaves fields valgrind flags as read uninitialised */
    for (i = 0; i < n_lines; i++) {
        size_t a = starts[i], b = i + 1 < n_lines ? starts[i + 1] : ntok;
        if (b - a < 3)
            continue;
        if (dd__grow((void **)&m->lines, &m->lines_cap, m->n_lines + 1, sizeof *m->lines) != DD_OK)
            return DD_ENOMEM;
        XXH3_64bits_reset_withSeed(&st, w->o->seed);
        for (j = a; j < b; j++) {
            XXH3_64bits_update(&st, toks[j].ptr, toks[j].len);
            XXH3_64bits_update(&st, "\x1f", 1);
        }
        m->lines[m->n_lines++] = (dd__line){XXH3_64bits_digest(&st), doc, (uint32_t)a,
                                               (uint32_t)b, 0, 0};
    }
    return DD_OK;
}

static dd_status sign_doc(dd__run *w, const dd_doc *d)
{
    struct dd__result_mem *m = w->res->mem;
    dd_shingle_opts so = {w->o->shingle_k, w->o->seed};
    size_t ntok = 0, nsh = 0, np = w->o->num_perm, idx = w->res->n_docs;
    const dd_span *toks;
    dd_status st = dd_normalize(w->nz, d->text, d->len, &toks, &ntok);

    if (st != DD_OK)
        return st;
    if (ntok == 0)
        return DD_EEMPTY;
    st = store_lines(w, toks, ntok, (uint32_t)idx);
    if (st != DD_OK)
        return st;
    if (dd__grow((void **)&w->sh, &w->sh_cap, dd_shingle_bound(ntok), sizeof *w->sh) != DD_OK)
        return DD_ENOMEM;
    st = dd_shingle_hash(toks, ntok, &so, w->sh, w->sh_cap, &nsh);
    if (st != DD_OK)
        return st;
    if (dd__grow((void **)&m->sigs, &m->sigs_cap, (idx + 1) * np, sizeof *m->sigs) != DD_OK)
        return DD_ENOMEM;
    dd_minhash_sign(w->mh, w->sh, nsh, m->sigs + idx * np);
    st = store_set(w, nsh);
    if (st == DD_OK && w->o->level == DD_LEVEL_STORIES)
        st = dd__story_add_doc(w, d, toks, ntok);
    return st == DD_OK ? store_meta(w, d, ntok, nsh) : st;
}

static void report_skip(dd__run *w, dd_status st, const char *msg)
{
    w->res->skipped[skip_reason(st)]++;
    diag(w, msg, true);
}

/* "file:line" for a JSONL record, "file" for a whole-file document: where to look. */
static const char *where(const dd_doc *d, char *buf, size_t cap)
{
    if (!d->line)
        return d->source;
    snprintf(buf, cap, "%s:%zu", d->source, d->line);
    return buf;
}

static dd_status read_all(dd__run *w, dd_reader *r)
{
    char loc[1100];
    char msg[1200];
    dd_doc d;

    for (;;) {
        dd_status st = dd_reader_next(r, &d);
        if (st == DD_END)
            return DD_OK;
        if (st == DD_ENOMEM)
            return st;
        w->res->n_inputs++;
        if (st != DD_OK) {
            report_skip(w, st, dd_reader_error(r));
            continue;
        }
        if (d.warning) {
            w->res->n_repaired++;
            snprintf(msg, sizeof msg, "%s: warning: %s", where(&d, loc, sizeof loc), d.warning);
            diag(w, msg, false);
        }
        st = sign_doc(w, &d);
        if (st == DD_ENOMEM)
            return st;
        if (st != DD_OK) {
            snprintf(msg, sizeof msg, "%s: %s, skipped", where(&d, loc, sizeof loc),
                     st == DD_EEMPTY ? "no words" : dd_strerror(st));
            report_skip(w, st, msg);
        }
    }
}

dd_status dd__candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    double t = w->o->lsh_threshold > 0 ? w->o->lsh_threshold : w->o->threshold;
    /* Verification is exact, so a missed pair costs more than a spurious one. */
    dd_lsh_params p = dd_lsh_optimal(t, w->o->num_perm, 0.25, 0.75);
    dd_lsh *lsh = NULL;
    dd_status st = dd_lsh_new(p.bands, p.rows, 0, &lsh);
    size_t i;

    res->bands = p.bands;
    res->rows = p.rows;
    for (i = 0; st == DD_OK && i < res->n_docs; i++)
        st = dd_lsh_insert(lsh, (uint32_t)i, res->mem->sigs + i * w->o->num_perm,
                           w->o->num_perm);
    if (st == DD_OK)
        st = dd_lsh_candidates(lsh, cand, n_cand);
    dd_lsh_free(lsh);
    return st;
}

dd_status dd__cluster_pairs(dd_result *res)
{
    dd_uf *uf = NULL;
    dd_status st = dd_uf_new(res->n_docs, &uf);
    size_t i;

    if (st != DD_OK)
        return st;
    for (i = 0; i < res->n_pairs; i++)
        dd_uf_union(uf, res->pairs[i].a, res->pairs[i].b);
    st = dd_cluster_extract(uf, res->n_docs, &res->clusters);
    dd_uf_free(uf);
    if (st == DD_OK)
        res->n_clustered = res->clusters.count ? res->clusters.start[res->clusters.count] : 0;
    return st;
}

static dd_status check_opts(const dd_pipeline_opts *o)
{
    if (o->shingle_k == 0 || o->shingle_k > 64 || o->num_perm == 0 || o->num_perm > 4096 ||
        !(o->threshold > 0 && o->threshold <= 1) || !(o->containment > 0) ||
        !(o->lsh_threshold >= 0 && o->lsh_threshold <= 1) ||
        !(o->story_threshold > 0 && o->story_threshold <= 1) || o->top_k == 0 ||
        !(o->story_lsh_threshold > 0 && o->story_lsh_threshold <= 1) ||
        o->simhash_distance > 15)
        return DD_EINVAL;
    return DD_OK;
}

static dd_status start(dd__run *w, const dd_pipeline_opts *o)
{
    dd_minhash_opts mo = {o->num_perm, o->seed};

    memset(w, 0, sizeof *w);
    w->o = o;
    w->res = calloc(1, sizeof *w->res);
    if (!w->res)
        return DD_ENOMEM;
    w->res->mem = calloc(1, sizeof *w->res->mem);
    if (!w->res->mem)
        return DD_ENOMEM;
    dd__arena_init(&w->res->mem->strings);
    if (dd__grow((void **)&w->res->mem->set_off, &w->res->mem->off_cap, 1,
                 sizeof(size_t)) != DD_OK)
        return DD_ENOMEM;
    w->res->mem->set_off[0] = 0;
    if (dd_normalizer_new(&w->nz) != DD_OK)
        return DD_ENOMEM;
    if (o->level == DD_LEVEL_STORIES && dd_terms_new(o->seed, &w->terms) != DD_OK)
        return DD_ENOMEM;
    return dd_minhash_new(&mo, &w->mh);
}

static void finish(dd__run *w)
{
    dd_normalizer_free(w->nz);
    dd_minhash_free(w->mh);
    dd_terms_free(w->terms);
    free(w->sh);
    free(w->hp);
}

dd_status dd_pipeline_run(const dd_pipeline_opts *opts, dd_reader *r, dd_result **out)
{
    uint64_t *cand = NULL;
    size_t n_cand = 0;
    dd__run w;
    dd_status st;

    *out = NULL;
    if (check_opts(opts) != DD_OK)
        return DD_EINVAL;
    st = start(&w, opts);
    if (st == DD_OK)
        st = read_all(&w, r);
    if (st == DD_OK)
        st = dd__candidates(&w, &cand, &n_cand);
    if (st == DD_OK)
        st = dd__verify_copies(&w, cand, n_cand);
    if (st == DD_OK)
        st = dd__boilerplate_pass(&w, &cand, &n_cand);
    if (w.res)
        w.res->n_candidates = n_cand;
    free(cand);
    if (st == DD_OK && opts->level == DD_LEVEL_STORIES)
        st = dd__story_run(&w);
    else if (st == DD_OK)
        st = dd__cluster_pairs(w.res);
    finish(&w);
    if (st != DD_OK) {
        dd_result_free(w.res);
        return st;
    }
    *out = w.res;
    return DD_OK;
}
