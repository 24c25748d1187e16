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
    o.story_threshold = 0.36;
    o.top_k = 12;
    o.max_days = 4;
    o.story_lsh_threshold = 0.15;
    o.simhash_distance = 10;
    o.keep_text = (size_t)32 << 20;
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
        free(res->mem->bkeys);
        free(res->mem->gset);
        free(res->mem->gpos);
        free(res->mem->goff);
        free(res->mem->osig);
        free(res->mem->sk);
        free(res->mem->sk_off);
        free(res->mem->noise);
        free(res->mem->lead);
        free(res->mem->flags);
        free(res->mem->hash);
        free(res->mem->lines);
        free(res->mem->terms);
        free(res->mem->term_off);
        free(res->mem->days);
        free(res->mem->vh);
        free(res->mem->vw);
        free(res->mem->voff);
        free(res->mem->fact_h);
        free(res->mem->fact_k);
        free(res->mem->fact_pos);
        free(res->mem->fact_off);
        free(res->mem->quote_h);
        free(res->mem->quote_off);
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

/* --signature simhash at the copies level: a fingerprint of each shingle set (all weights
 * 1) and block-permutation tables. It finds only near-exact copies (a Jaccard-0.5 copy sits
 * about 17 bits away); docs/ALGORITHMS.md compares it with banding. */
static dd_status simhash_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t n = w->res->n_docs, i, max = 1;
    unsigned dist = w->o->simhash_distance;
    uint64_t *fp = malloc((n + 1) * sizeof *fp);
    float *ones;
    dd_status st;

    for (i = 0; i < n; i++)
        max = m->set_off[i + 1] - m->set_off[i] > max ? m->set_off[i + 1] - m->set_off[i] : max;
    ones = malloc(max * sizeof *ones);
    if (!fp || !ones) {
        free(fp);
        free(ones);
        return DD_ENOMEM;
    }
    for (i = 0; i < max; i++)
        ones[i] = 1.0f;
    for (i = 0; i < n; i++)
        fp[i] = dd_simhash(m->set + m->set_off[i], ones, m->set_off[i + 1] - m->set_off[i]);
    st = dd_simhash_candidates(fp, n, dist, dist + 1 > 16 ? 16 : dist + 1, 0, cand, n_cand);
    free(fp);
    free(ones);
    return st;
}

/* Lead candidates. A copy trimmed from the bottom (the commonest edit of wire copy) keeps
 * the story's first sentences but only a part of its shingles: trimmed to a quarter, its
 * Jaccard with the full story is about 0.25, where banding tuned for 0.3 misses most pairs,
 * though containment (1.0) accepts them. So the first LEAD_SHINGLES shingles of each
 * document get a small signature of their own (LEAD_VALUES MinHash values, banded for a
 * similarity of 0.4, which a lead behind a new byline or headline still reaches); its pairs
 * join the candidates and are verified like the others. */
void dd__lonely_sig(uint32_t *sig, size_t n, size_t doc)
{
    size_t i;

    for (i = 0; i < n; i++) /* Knuth's multiplicative hash: distinct for distinct docs */
        sig[i] = (uint32_t)doc * 2654435761u ^ (uint32_t)i;
}

/* The lead signatures were made at signing (pipeline_sign.c) and remade for documents the
 * boilerplate pass stripped (pipeline_copies.c). */
static dd_status lead_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    size_t n = w->res->n_docs, nl = w->lead_n;
    dd_lsh_params p = dd_lsh_optimal(0.4, nl, 0.25, 0.75);
    dd_lsh *lsh = NULL;
    dd_status st = dd_lsh_new(p.bands, p.rows, 0, &lsh);

    if (st == DD_OK)
        st = dd_lsh_candidates_of(lsh, w->res->mem->lead, n, nl, dd__thread_count(w->o), cand,
                                  n_cand);
    dd_lsh_free(lsh);
    return st;
}

/* Append more[0..n_more) to *cand and keep each pair once. */
static dd_status add_candidates(uint64_t **cand, size_t *n_cand, const uint64_t *more,
                                size_t n_more)
{
    uint64_t *all;

    if (!n_more)
        return DD_OK;
    all = realloc(*cand, (*n_cand + n_more) * sizeof *all);
    if (!all)
        return DD_ENOMEM;
    memcpy(all + *n_cand, more, n_more * sizeof *more);
    *cand = all;
    *n_cand = dd__sort_unique_u64(all, *n_cand + n_more);
    return DD_OK;
}

dd_status dd__candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    dd_lsh *lsh = NULL;
    uint64_t *lead = NULL, *ocr = NULL;
    size_t n_lead = 0, n_ocr = 0;
    dd_status st;

    if (w->o->level == DD_LEVEL_COPIES && w->o->signature == DD_SIGNATURE_SIMHASH)
        return simhash_candidates(w, cand, n_cand);
    st = dd_lsh_new(w->bands, w->rows, 0, &lsh);
    res->bands = w->bands;
    res->rows = w->rows;
    if (st == DD_OK)
        st = dd_lsh_candidates_keys(lsh, res->mem->bkeys, res->n_docs, w->bands,
                                    dd__thread_count(w->o), cand, n_cand);
    dd_lsh_free(lsh);
    if (st == DD_OK)
        st = lead_candidates(w, &lead, &n_lead);
    if (st == DD_OK)
        st = add_candidates(cand, n_cand, lead, n_lead);
    /* The OCR signatures are not made again with the boilerplate stripped: their candidates
     * are the first pass's, which the second pass keeps. */
    if (st == DD_OK && !w->ocr_banded)
        st = dd__ocr_candidates(w, &ocr, &n_ocr);
    if (st == DD_OK)
        st = add_candidates(cand, n_cand, ocr, n_ocr);
    w->ocr_banded = true;
    free(lead);
    free(ocr);
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

static dd_status start(dd__run *w, const dd_pipeline_opts *o, dd_reader *r)
{
    dd_minhash_opts mo = {o->num_perm, o->seed, DD_MINHASH_ONE_PERMUTATION}, lo, to;

    memset(w, 0, sizeof *w);
    w->o = o;
    w->reader = r;
    w->lead_n = o->num_perm < LEAD_VALUES ? o->num_perm : LEAD_VALUES;
    { /* Verification is exact, so a missed pair costs more than a spurious one. */
        double t = o->lsh_threshold > 0 ? o->lsh_threshold : o->threshold;
        dd_lsh_params p = dd_lsh_optimal(t, o->num_perm, 0.25, 0.75);
        w->bands = p.bands;
        w->rows = p.rows;
    }
    /* Sets are read again when needed, at both levels (the story stage needs them only for
     * the pairs of its clusters); SimHash fingerprints every set, so it keeps them. */
    w->keep_sets = o->signature == DD_SIGNATURE_SIMHASH;
    lo = (dd_minhash_opts){w->lead_n, o->seed, DD_MINHASH_PERMUTATIONS};
    to = (dd_minhash_opts){o->num_perm, o->seed, DD_MINHASH_PERMUTATIONS};
    w->res = calloc(1, sizeof *w->res);
    if (!w->res)
        return DD_ENOMEM;
    w->res->mem = calloc(1, sizeof *w->res->mem);
    if (!w->res->mem)
        return DD_ENOMEM;
    dd__arena_init(&w->res->mem->strings);
    if (dd__grow((void **)&w->res->mem->set_off, &w->res->mem->off_cap, 1,
                 sizeof(size_t)) != DD_OK ||
        dd__grow((void **)&w->res->mem->goff, &w->res->mem->goff_cap, 1, sizeof(size_t)) !=
            DD_OK)
        return DD_ENOMEM;
    w->res->mem->set_off[0] = 0;
    w->res->mem->goff[0] = 0;
    /* The permutations come from the seed in order, so the lead's are mh_terms's first
     * lead_n. A document's shingle set is signed by one permutation (hundreds of elements,
     * one hash each); the lead (32 shingles) and the story terms (a dozen) by permutations,
     * which stay independent on sets much smaller than the signature. */
    if (dd_minhash_new(&lo, &w->mh_lead) != DD_OK || dd_minhash_new(&to, &w->mh_terms) != DD_OK ||
        dd_vocab_new(o->seed, &w->vocab) != DD_OK)
        return DD_ENOMEM;
    return dd_minhash_new(&mo, &w->mh);
}

static void finish(dd__run *w)
{
    dd_minhash_free(w->mh);
    dd_minhash_free(w->mh_terms);
    dd_minhash_free(w->mh_lead);
    dd_vocab_free(w->vocab);
    free(w->ocr_flag);
    dd__ocr_memo_free(&w->memo);
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
    st = start(&w, opts, r);
    if (st == DD_OK)
        st = dd__read_all(&w, r);
    if (st == DD_OK)
        st = dd__ocr_flags(&w);
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
