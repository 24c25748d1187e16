/* The pipeline's stages, in the order data flows. Each hands its output one way, through
 * the run's result (dd__run.res), to the next; none calls a later one:
 *
 *   read+sign   dd__read_all         pipeline_sign.c, pipeline_merge.c (+ pipeline_rounds.c
 *                                    on MPI ranks, pipeline_terms.c, pipeline_sets.c)
 *   band        dd__ocr_flags,       pipeline_ocr.c
 *               dd__candidates       pipeline_band.c (+ pipeline_ocr.c)
 *   verify      dd__gram_sketches,   pipeline_copies.c, pipeline_copies_bound.c (+
 *               dd__verify_copies    pipeline_sets.c, pipeline_ocr.c)
 *               dd__boilerplate_strip  pipeline_boilerplate.c, pipeline_boilerplate_strip.c
 *                                    (then band and verify again, when a set changed)
 *   cluster     dd__cluster_pairs    pipeline_cluster.c (copies level)
 *               dd__story_run        pipeline_story.c (stories level: terms stripped in
 *                                    pipeline_story_strip.c, vectors from
 *                                    pipeline_vectors.c, candidates and scores from
 *                                    pipeline_story_cand.c, average linkage)
 *   report      dd_report_write      report.c, after dd_pipeline_run returns
 *
 * dd__pipeline_drive (pipeline.c) calls them in that order through a dd__stage_ops table:
 * dd_pipeline_run passes these functions; the MPI driver (src/mpi/) passes wrappers that run
 * the same functions on a share of the work on each rank and exchange the results. */
#ifndef DEDUP_PIPELINE_STAGES_H
#define DEDUP_PIPELINE_STAGES_H

#include "pipeline_internal.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- read + sign (pipeline_sign.c) ---- */

/* Read, sign and keep every document, on opts.threads threads. On MPI ranks (w->shard set):
 * every rank reads every batch but signs one batch in w->shard->ranks, on its calling thread;
 * the signed batches are exchanged, so every rank merges all of them in reading order and
 * ends with the state one process has. */
dd_status dd__read_all(dd__run *w, dd_reader *r);

/* ---- band (pipeline_ocr.c, pipeline_band.c) ---- */

/* Make w->ocr_flag from the documents' lengths and noise estimates. */
dd_status dd__ocr_flags(dd__run *w);

/* MinHash-banding candidates over the documents' signatures, with the lead and OCR
 * candidates; ascending, distinct (a << 32 | b, a < b). */
dd_status dd__candidates(dd__run *w, uint64_t **cand, size_t *n_cand);

/* Append more[0..n_more) to *cand (ascending, distinct) and keep each pair once. */
dd_status dd__candidates_add(uint64_t **cand, size_t *n_cand, const uint64_t *more,
                             size_t n_more);

/* ---- verify (pipeline_copies*.c; the boilerplate pass: pipeline_boilerplate*.c) ---- */

/* Verify copies candidates into res->pairs. */
dd_status dd__verify_copies(dd__run *w, const uint64_t *cand, size_t n_cand);
/* Before each verification, with the whole candidate list (every rank): gram sketches for
 * the clean documents of OCR pairs the word bounds alone cannot reject. */
dd_status dd__gram_sketches(dd__run *w, const uint64_t *cand, size_t n_cand);

/* Find boilerplate lines from the first verification's clusters and strip them; *again
 * when a set changed (then: band again, dd__verify_again, verify every candidate again). */
dd_status dd__boilerplate_strip(dd__run *w, bool *again);

/* Reset the verified pairs and counters for the second verification. */
void dd__verify_again(dd__run *w);

/* ---- cluster (pipeline_cluster.c, pipeline_story.c, pipeline_story_cand.c,
 *      pipeline_story_strip.c, pipeline_vectors.c) ---- */

/* Union-find over res->pairs (*out freed with dd_uf_free, also on failure). */
dd_status dd__pairs_uf(const dd_result *res, dd_uf **out);

/* Group res->pairs by union-find into res->clusters. */
dd_status dd__cluster_pairs(dd_result *res);

/* Stories level: vectors, candidates, average-linkage clusters into res->clusters. */
dd_status dd__story_run(dd__run *w);

/* Its candidate pairs (pipeline_story_cand.c): the signature family's, every verified copy
 * pair and the closed triangles of the strong ones, sorted, each with its story similarity
 * in (*sim)[i]; pairs scoring 0 are dropped. */
dd_status dd__story_candidates(dd__run *w, uint64_t **cand, double **sim, size_t *n_cand);

/* Document d's story vector as term ranks (m->vid: ascending, as the hashes they stand for)
 * and weights. */
typedef struct dd__ivec {
    const uint32_t *id;
    const float *w;
    size_t n;
} dd__ivec;

static inline dd__ivec dd__ivec_of(const struct dd__result_mem *m, size_t d)
{
    dd__ivec v = {m->vid + m->voff[d], m->vw + m->voff[d], m->voff[d + 1] - m->voff[d]};
    return v;
}

/* Document d's story vector with its hashes (written to h, room for its length): the form
 * the public dd_story_* functions take. */
static inline dd_vec dd__vec_of(const struct dd__result_mem *m, size_t d, uint64_t *h)
{
    dd__ivec v = dd__ivec_of(m, d);
    dd_vec x = {h, v.w, v.n};
    size_t i;

    for (i = 0; i < v.n; i++)
        h[i] = m->vhash[v.id[i]];
    return x;
}

/* The dot product of two rank vectors: shared terms' weight products added in ascending
 * rank, as dd_story_cosine adds them in ascending hash. With SSE2 four ranks of each side are
 * compared at once (every rotation of one against the other); the block whose last rank is
 * the smaller moves on, so every shared term is met once and in ascending order, and the sum
 * has the same bits. Most terms are not shared: the scalar merge took a step per term. */
static inline double dd__ivec_dot(dd__ivec a, dd__ivec b)
{
    size_t i = 0, j = 0;
    double dot = 0;

#if defined(__SSE2__)
    while (i + 4 <= a.n && j + 4 <= b.n) {
        __m128i va = _mm_loadu_si128((const __m128i *)(const void *)(a.id + i));
        __m128i vb = _mm_loadu_si128((const __m128i *)(const void *)(b.id + j));
        __m128i eq = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi32(va, vb),
                         _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(0, 3, 2, 1)))),
            _mm_or_si128(_mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(1, 0, 3, 2))),
                         _mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(2, 1, 0, 3)))));
        unsigned mask = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(eq));
        uint32_t amax = a.id[i + 3], bmax = b.id[j + 3];
        while (mask) { /* a's shared ranks in order; each one's place in b's block */
            unsigned k = (unsigned)__builtin_ctz(mask);
            __m128i x = _mm_set1_epi32((int)a.id[i + k]);
            unsigned at = (unsigned)__builtin_ctz(
                (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(vb, x))));
            dot += (double)a.w[i + k] * b.w[j + at];
            mask &= mask - 1;
        }
        i += amax <= bmax ? 4 : 0;
        j += bmax <= amax ? 4 : 0;
    }
#endif
    while (i < a.n && j < b.n) { /* branch-free steps, as dd_story_cosine */
        uint32_t x = a.id[i], y = b.id[j];
        if (x == y)
            dot += (double)a.w[i] * b.w[j];
        i += x <= y;
        j += y <= x;
    }
    return dot;
}

/* dd_story_similarity over term ranks: the same cosine, so the same bits. */
static inline double dd__ivec_similarity(dd__ivec a, dd__ivec b, double penalty)
{
    size_t n = a.n < b.n ? a.n : b.n;
    double dot = dd__ivec_dot(a, b), s;

    if (dot < DD_STORY_MIN_COSINE || n == 0)
        return 0;
    s = dot - penalty / sqrt((double)n);
    return s > 0 ? s : 0;
}

/* Its per-document steps (pipeline_story_strip.c, then pipeline_vectors.c), in this order:
 * drop the terms on boilerplate lines; drop boilerplate runs (term trigrams in RUN_GROUPS copies groups, `group` the copies
 * label of each document); each document's facts; document frequencies into idf (the
 * background already loaded) and every document's tf-idf vector. */
void dd__story_strip_lines(struct dd__result_mem *m, size_t n_docs);
dd_status dd__story_strip_runs(const dd__run *w, dd_result *res, const uint32_t *group);
dd_status dd__story_facts(const dd__run *w, struct dd__result_mem *m, size_t n_docs);
dd_status dd__story_vectors(dd__run *w, dd_idf *idf);

/* ---- the driver (pipeline.c) ---- */

/* The stages a run calls. Every one leaves the same state in w->res, on every rank. */
typedef struct dd__stage_ops {
    dd_status (*read_all)(dd__run *w, dd_reader *r);
    dd_status (*candidates)(dd__run *w, uint64_t **cand, size_t *n_cand);
    dd_status (*verify)(dd__run *w, const uint64_t *cand, size_t n_cand);
    dd_status (*stories)(dd__run *w);
} dd__stage_ops;

/* dd_pipeline_run with the given stages; `shard` is left in w->shard for them. */
dd_status dd__pipeline_drive(const dd_pipeline_opts *opts, dd_reader *r, const dd__stage_ops *ops,
                             const dd__shard *shard, dd_result **out);

#endif
