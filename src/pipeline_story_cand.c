/* Stories level, candidates: pairs to score (MinHash banding over each vector's top terms,
 * or SimHash tables), every verified copy pair, and the closed triangles of the strong ones,
 * each scored by exact cosine with the length correction; pairs scoring 0 are dropped. On
 * MPI ranks each rank scores a slice and the scores are gathered, so every rank ends with
 * the same list. pipeline_story.c clusters what this returns. */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

typedef struct topsig_job {
    const dd__run *w;
    size_t bands, rows;
    uint64_t *keys; /* bands a document: dd_lsh_band_hashes */
    size_t max;
} topsig_job;

/* Band hashes of documents [lo, hi), from the MinHash of each one's top terms: the hashes,
 * not the signatures, are kept (bands x 8 bytes a document, 280 at 35 bands, not num_perm x 4,
 * 512), and they give the signatures' pairs exactly. A document without
 * terms gets values of its own, so the empty ones do not all share one bucket. */
static dd_status topsig_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    topsig_job *j = ctx;
    size_t np = j->w->o->num_perm, k = j->w->o->top_k, d;
    uint64_t *top = malloc((j->max < k ? j->max : k) * sizeof *top);
    uint64_t *h = malloc(j->max * sizeof *h);
    uint32_t *sig = malloc(np * sizeof *sig);
    dd_status st = top && h && sig ? DD_OK : DD_ENOMEM;

    (void)part; /* ranges write their own documents' slots */
    for (d = lo; st == DD_OK && d < hi; d++) {
        size_t n = 0;
        st = dd_story_top_terms(dd__vec_of(j->w->res->mem, d, h), k, top, &n);
        if (st == DD_OK && n)
            dd_minhash_sign(j->w->mh_terms, top, n, sig);
        else
            dd__lonely_sig(sig, np, d);
        dd_lsh_band_hashes(j->bands, j->rows, sig, j->keys + d * j->bands);
    }
    free(top);
    free(h);
    free(sig);
    return st;
}

/* MinHash banding over each document's top-K term set: rewrites share their heaviest
 * names and figures even when most of their wording differs. Signing and banding run on
 * the run's threads. A bucket of many documents sharing a band of two top-term values is a
 * topic, not a story: each member is paired with its STORY_BUCKET predecessors in it (by
 * document order), where copies banding takes 100. Measured (docs/ALGORITHMS.md,
 * Candidates): the same output on every labelled set, BBC, Reuters-21578 and 300,000
 * sentence-pool articles at 16, 32 and 100; at 8 the pool's output changes. */
#define STORY_BUCKET 32

static dd_status minhash_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    size_t np = w->o->num_perm, d, max = 1, threads = dd__thread_count(w->o);
    dd_lsh_params p = dd_lsh_optimal(w->o->story_lsh_threshold, np, 0.25, 0.75);
    uint64_t *keys = malloc((res->n_docs + 1) * p.bands * sizeof *keys);
    dd_lsh *lsh = NULL;
    topsig_job job;
    dd_status st;

    for (d = 0; d < res->n_docs; d++)
        max = dd__ivec_of(res->mem, d).n > max ? dd__ivec_of(res->mem, d).n : max;
    job = (topsig_job){w, p.bands, p.rows, keys, max};
    st = keys ? dd_lsh_new(p.bands, p.rows, STORY_BUCKET, &lsh) : DD_ENOMEM;
    res->story_bands = p.bands;
    res->story_rows = p.rows;
    if (st == DD_OK)
        st = dd__parallel_for(threads, res->n_docs, topsig_range, &job);
    if (st == DD_OK)
        st = dd_lsh_candidates_hashes(lsh, keys, res->n_docs, p.bands, threads, cand, n_cand);
    dd_lsh_free(lsh);
    free(keys);
    return st;
}

static dd_status simhash_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    uint64_t *fp = malloc((res->n_docs + 1) * sizeof *fp), *h = NULL;
    unsigned dist = w->o->simhash_distance;
    size_t d, cap = 0;
    dd_status st = fp ? DD_OK : DD_ENOMEM;

    for (d = 0; st == DD_OK && d < res->n_docs; d++) {
        dd_vec v;
        if ((st = dd__grow((void **)&h, &cap, dd__ivec_of(res->mem, d).n + 1, sizeof *h)) !=
            DD_OK)
            break;
        v = dd__vec_of(res->mem, d, h);
        fp[d] = dd_simhash(v.h, v.w, v.n);
    }
    free(h);
    if (st != DD_OK) {
        free(fp);
        return st;
    }
    st = dd_simhash_candidates(fp, res->n_docs, dist, dist + 1 > 16 ? 16 : dist + 1, 0, cand,
                               n_cand);
    free(fp);
    return st;
}


typedef struct score_job {
    const struct dd__result_mem *m;
    const uint64_t *p;
    double *sim;
} score_job;

static dd_status score_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    score_job *j = ctx;
    size_t i;

    (void)part; /* ranges write their own documents' slots */
    for (i = lo; i < hi; i++) {
        uint32_t a = (uint32_t)(j->p[i] >> 32), b = (uint32_t)j->p[i];
        j->sim[i] = dd__ivec_similarity(dd__ivec_of(j->m, a), dd__ivec_of(j->m, b),
                                        DD_STORY_PENALTY);
    }
    return DD_OK;
}

/* Score the block p[0..n) on the run's threads into sim (room for n). On MPI ranks each rank
 * scores its slice and the similarities are gathered: every rank ends with the whole block. */
static dd_status score_block(const dd__run *w, const uint64_t *p, double *sim, size_t n)
{
    score_job job = {w->res->mem, p, sim};
    size_t lo, hi;

    dd__rank_slice(w->shard, n, &lo, &hi);
    job.p = p + lo;
    job.sim = sim + lo;
    (void)dd__parallel_for(dd__thread_count(w->o), hi - lo, score_range, &job); /* no fail */
    if (w->shard && w->shard->ranks > 1) {
        void *all = NULL;
        size_t cap = 0, *lens = calloc(w->shard->ranks, sizeof *lens);
        dd_status st = lens ? w->shard->allgather(w->shard->ud, sim + lo, (hi - lo) * sizeof *sim,
                                                  &all, &cap, lens)
                            : DD_ENOMEM;
        if (st == DD_OK) /* rank after rank: the slices in order, the whole block */
            memcpy(sim, all, n * sizeof *sim);
        free(all);
        free(lens);
        return st;
    }
    return DD_OK;
}

/* Score the pairs p[0..n) a block at a time and keep those above 0, in order, in p; *sim
 * gets their similarities (allocated here) and *kept their count. Only the kept pairs' scores
 * are held: on articles built from shared sentences most candidates score 0. */
enum { SCORE_BLOCK = 1 << 20 };

static dd_status score_pairs(const dd__run *w, uint64_t *p, size_t n, double **sim,
                             size_t *kept)
{
    size_t i, b, k = 0, cap = 0, bn = n < SCORE_BLOCK ? n : SCORE_BLOCK;
    double *blk = malloc((bn + 1) * sizeof *blk), *out = NULL;
    dd_status st = blk ? DD_OK : DD_ENOMEM;

    for (b = 0; st == DD_OK && b < n; b += bn) {
        size_t m = n - b < bn ? n - b : bn;
        st = score_block(w, p + b, blk, m);
        for (i = 0; st == DD_OK && i < m; i++) {
            if (!(blk[i] > 0))
                continue;
            if ((st = dd__grow((void **)&out, &cap, k + 1, sizeof *out)) != DD_OK)
                break;
            out[k] = blk[i];
            p[k++] = p[b + i];
        }
    }
    free(blk);
    if (st == DD_OK && !out && !(out = malloc(sizeof *out)))
        st = DD_ENOMEM;
    if (st != DD_OK) {
        free(out);
        return st;
    }
    *sim = out;
    *kept = k;
    return DD_OK;
}

/* Add the pairs add[0..n_add) (sorted, distinct; freed here) to the scored list (*cand,
 * *sim, *n_cand; sorted): those not in it yet are scored, and the ones above 0 merged in
 * order. A pair in the list keeps its score, which scoring it again would give again. */
static dd_status add_scored(const dd__run *w, uint64_t **cand, double **sim, size_t *n_cand,
                            uint64_t *add, size_t n_add)
{
    size_t i, j = 0, n = 0, k;
    double *as, *ns;
    uint64_t *p;
    dd_status st;

    for (i = 0; i < n_add; i++) { /* both sorted: drop what the list has */
        while (j < *n_cand && (*cand)[j] < add[i])
            j++;
        if (j == *n_cand || (*cand)[j] != add[i])
            add[n++] = add[i];
    }
    st = score_pairs(w, add, n, &as, &n);
    if (st != DD_OK) {
        free(add);
        return st;
    }
    p = realloc(*cand, (*n_cand + n + 1) * sizeof *p);
    if (p)
        *cand = p;
    ns = p ? realloc(*sim, (*n_cand + n + 1) * sizeof *ns) : NULL;
    if (ns)
        *sim = ns;
    if (!p || !ns) {
        free(add);
        free(as);
        return DD_ENOMEM;
    }
    for (i = *n_cand, j = n, k = *n_cand + n; j > 0;) { /* merge from the back, in place */
        if (i > 0 && (*cand)[i - 1] > add[j - 1]) {
            (*cand)[--k] = (*cand)[--i];
            (*sim)[k] = (*sim)[i];
        } else {
            (*cand)[--k] = add[--j];
            (*sim)[k] = as[j];
        }
    }
    *n_cand += n;
    free(add);
    free(as);
    return DD_OK;
}

/* A document's strong neighbours (pairs with a similarity of at least half the threshold),
 * at most STRONG_CAP per document, best first. */
#define STRONG_CAP 32

typedef struct nb {
    uint32_t doc, other;
    double s;
} nb;

static int cmp_nb(const void *pa, const void *pb)
{
    const nb *a = pa, *b = pb;

    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    if (a->s != b->s)
        return a->s > b->s ? -1 : 1;
    return (a->other > b->other) - (a->other < b->other);
}

/* Close the triangles of the strong-neighbour graph: when A and B both resemble C, the pair
 * A-B is scored too. Signatures miss some pairs of rewrites that share the original's facts
 * but few words with each other, and average linkage counts a missing pair as 0, which
 * would keep the third version of a story out of its cluster. */
static dd_status close_triangles(dd__run *w, uint64_t **cand, double **sim, size_t *n_cand)
{
    double floor = 0.5 * w->o->story_threshold;
    size_t i, j, k, n_nb = 0, n_new = 0, cap_new = 0;
    nb *nbs = malloc((2 * *n_cand + 1) * sizeof *nbs);
    uint64_t *add = NULL;

    if (!nbs)
        return DD_ENOMEM;
    for (i = 0; i < *n_cand; i++) {
        uint32_t a = (uint32_t)((*cand)[i] >> 32), b = (uint32_t)(*cand)[i];
        if ((*sim)[i] < floor)
            continue;
        nbs[n_nb++] = (nb){a, b, (*sim)[i]};
        nbs[n_nb++] = (nb){b, a, (*sim)[i]};
    }
    if (n_nb > 1)
        qsort(nbs, n_nb, sizeof *nbs, cmp_nb);
    for (i = 0; i < n_nb; i = j) {
        size_t deg;
        for (j = i; j < n_nb && nbs[j].doc == nbs[i].doc; j++)
            ;
        deg = j - i < STRONG_CAP ? j - i : STRONG_CAP;
        for (k = 0; k < deg; k++) {
            size_t l;
            for (l = k + 1; l < deg; l++) {
                uint32_t a = nbs[i + k].other, b = nbs[i + l].other;
                if (dd__grow((void **)&add, &cap_new, n_new + 1, sizeof *add) != DD_OK) {
                    free(nbs);
                    free(add);
                    return DD_ENOMEM;
                }
                add[n_new++] = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
            }
        }
    }
    free(nbs);
    if (n_new == 0) {
        free(add);
        return DD_OK;
    }
    n_new = dd__sort_unique_u64_mt(add, n_new, dd__thread_count(w->o));
    return add_scored(w, cand, sim, n_cand, add, n_new);
}

/* Candidate pairs for stories: the signature family's, plus every verified copy pair, plus
 * the closed triangles of the strong ones, each with its story similarity; pairs scoring 0
 * add nothing to an average and are dropped. */
dd_status dd__story_candidates(dd__run *w, uint64_t **cand, double **sim, size_t *n_cand)
{
    dd_result *res = w->res;
    dd_status st = w->o->signature == DD_SIGNATURE_SIMHASH ? simhash_candidates(w, cand, n_cand)
                                                           : minhash_candidates(w, cand, n_cand);
    uint64_t *p;
    size_t i;

    if (st != DD_OK)
        return st;
    res->n_story_candidates = *n_cand;
    p = realloc(*cand, (*n_cand + res->n_pairs + 1) * sizeof *p);
    if (!p)
        return DD_ENOMEM;
    *cand = p;
    for (i = 0; i < res->n_pairs; i++)
        p[*n_cand + i] = (uint64_t)res->pairs[i].a << 32 | res->pairs[i].b;
    *n_cand = dd__sort_unique_u64_mt(p, *n_cand + res->n_pairs, dd__thread_count(w->o));
    st = score_pairs(w, p, *n_cand, sim, n_cand);
    if (st == DD_OK && (p = realloc(*cand, (*n_cand + 1) * sizeof *p)) != NULL)
        *cand = p; /* the pairs scoring 0 given back */
    if (st == DD_OK)
        st = close_triangles(w, cand, sim, n_cand);
    res->n_story_scored = *n_cand;
    return st;
}
