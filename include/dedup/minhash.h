/* MinHash stage: a set of 64-bit shingle hashes -> a signature of `num_perm` 32-bit minima.
 * Two families, each with the property that the probability that two signatures agree in
 * one position is the Jaccard similarity of the two sets:
 * - permutations: position i is the least multiply-shift hash (a_i * x + b_i) >> 32 over the
 *   set, with odd a_i drawn from a seeded generator (Dietzfelbinger et al. 1997); O(n k).
 * - one permutation with optimal densification (Shrivastava, ICML 2017): each hash, mixed
 *   with the seed, falls into one of k bins and each bin keeps its least value; an empty
 *   bin copies the original value of the first filled bin a seeded probe sequence of its
 *   own reaches. O(n + k). Its values are less independent on sets much smaller than k. */
#ifndef DEDUP_MINHASH_H
#define DEDUP_MINHASH_H

#include <dedup/status.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dd_minhash_family {
    DD_MINHASH_PERMUTATIONS = 0, /**< num_perm multiply-shift hashes per element */
    DD_MINHASH_ONE_PERMUTATION   /**< one hash per element into num_perm bins, densified */
} dd_minhash_family;

typedef struct dd_minhash_opts {
    size_t num_perm;          /**< signature length, 1..4096 */
    uint64_t seed;            /**< part of the output format */
    dd_minhash_family family; /**< part of the output format */
} dd_minhash_opts;

/** Defaults: 128 permutations, seed 1. */
dd_minhash_opts dd_minhash_opts_default(void);

/** A hash family. Immutable after creation, so one may be shared by threads. */
typedef struct dd_minhash dd_minhash;

/** Returns DD_OK, DD_EINVAL (num_perm out of range) or DD_ENOMEM. */
dd_status dd_minhash_new(const dd_minhash_opts *o, dd_minhash **out);
void dd_minhash_free(dd_minhash *mh);
size_t dd_minhash_num_perm(const dd_minhash *mh);

/** Sign `n` hashes (duplicates allowed) into `sig[num_perm]`. An empty set gives all
 *  UINT32_MAX, which callers must not index (the pipeline skips empty documents). */
void dd_minhash_sign(const dd_minhash *mh, const uint64_t *hashes, size_t n, uint32_t *sig);

/** One-permutation MinHash with densification (Shrivastava and Li 2014): `k` buckets by
 *  the top bits of each hash (uniform 64-bit hashes), the least of the next 32 bits in each;
 *  an empty bucket takes the value of the next filled one to its right (circularly) plus a
 *  constant times the distance. O(n + k) instead of O(n k). Equal fractions of two such
 *  signatures estimate Jaccard similarity. `k` is a power of two <= 4096; with n == 0 every
 *  value is UINT32_MAX. */
void dd_minhash_oph(const uint64_t *hashes, size_t n, uint32_t *sig, size_t k);

/** Fraction of equal positions: an unbiased estimate of Jaccard similarity. */
double dd_minhash_jaccard(const uint32_t *a, const uint32_t *b, size_t num_perm);

#ifdef __cplusplus
}
#endif

#endif
