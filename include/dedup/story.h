/* Story stage (stories level): content terms -> weighted vectors -> story clusters.
 * A document is the L2-normalised tf-idf vector of its top-K content terms (sublinear tf,
 * idf from dd_idf). Clusters grow by average linkage: two clusters merge when the mean
 * cosine over all their cross pairs reaches the threshold, which equals the dot product of
 * the clusters' summed vectors divided by |A||B|, so it is exact without visiting pairs and
 * a cluster cannot chain into a topic through one neighbour. See docs/ALGORITHMS.md. */
#ifndef DEDUP_STORY_H
#define DEDUP_STORY_H

#include <dedup/status.h>
#include <dedup/idf.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A sparse vector: `n` terms sorted by hash, weights aligned. A view. */
typedef struct dd_vec {
    const uint64_t *h;
    const float *w;
    size_t n;
} dd_vec;

/** Build the vector of one document. `h[0..n)` are its term hashes in text order (repeats
 *  allowed); the top `top_k` by weight (ties to the smaller hash) are kept, normalised and
 *  written sorted by hash to out_h/out_w (capacity >= min(n, top_k)); `*n_out` gets the
 *  count. Returns DD_OK or DD_ENOMEM. */
dd_status dd_story_vector(const uint64_t *h, size_t n, const dd_idf *idf, size_t top_k,
                          uint64_t *out_h, float *out_w, size_t *n_out);

/** Cosine of two normalised vectors (their dot product). */
double dd_story_cosine(dd_vec a, dd_vec b);

typedef struct dd_story_opts {
    double threshold; /**< mean cosine two clusters need to merge (0.45) */
    double max_days;  /**< documents dated further apart never share a cluster (4; <= 0 off) */
} dd_story_opts;

dd_story_opts dd_story_opts_default(void);

/** Average-linkage clustering of `n` documents (vectors `v`, dates in days or NaN when
 *  unknown) over the candidate graph `pairs` (a << 32 | b). `label[i]` starts as the group
 *  of i (e.g. its copies cluster, the smallest member's index) and ends as the smallest
 *  document index of its story cluster. Returns DD_OK or DD_ENOMEM. */
dd_status dd_story_cluster(const dd_vec *v, const double *days, size_t n, const uint64_t *pairs,
                           size_t n_pairs, const dd_story_opts *o, uint32_t *label);

#ifdef __cplusplus
}
#endif

#endif
