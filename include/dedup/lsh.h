/* LSH stage: MinHash signatures -> candidate pairs by banding. A signature of b*r values is
 * cut into b bands of r rows; two documents are candidates when any band hashes equal.
 * Buckets are found by sorting (band key, document) pairs, not with pointer-heavy tables.
 * P(candidate | Jaccard s) = 1 - (1 - s^r)^b: the S-curve of docs/ALGORITHMS.md. */
#ifndef DEDUP_LSH_H
#define DEDUP_LSH_H

#include <dedup/status.h>
#include <dedup/simhash.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_lsh_params {
    size_t bands, rows;
    double fp_area; /**< mean false-positive probability below the threshold */
    double fn_area; /**< mean false-negative probability above the threshold */
} dd_lsh_params;

/** Choose b and r (b*r <= num_perm) for `threshold` minimising
 *  fp_weight * mean FP rate + fn_weight * mean FN rate under the S-curve. */
dd_lsh_params dd_lsh_optimal(double threshold, size_t num_perm, double fp_weight,
                             double fn_weight);

/** Probability that a pair of Jaccard `s` becomes a candidate. */
double dd_lsh_probability(double s, size_t bands, size_t rows);

typedef struct dd_lsh dd_lsh;

/** Create an index for signatures of at least bands*rows values. Buckets with more than
 *  `max_bucket` members pair each member only with its `max_bucket` predecessors (0: 100),
 *  which bounds the work on degenerate inputs. Returns DD_OK, DD_EINVAL or DD_ENOMEM. */
dd_status dd_lsh_new(size_t bands, size_t rows, size_t max_bucket, dd_lsh **out);
void dd_lsh_free(dd_lsh *lsh);

/** Index `sig` (sig_len >= bands*rows values) under `doc`. Returns DD_OK, DD_EINVAL, DD_ENOMEM. */
dd_status dd_lsh_insert(dd_lsh *lsh, uint32_t doc, const uint32_t *sig, size_t sig_len);

/** All candidate pairs, each once, as (a << 32 | b) with a < b, sorted ascending.
 *  `*pairs` is malloc'd and owned by the caller. Returns DD_OK or DD_ENOMEM. */
dd_status dd_lsh_candidates(dd_lsh *lsh, uint64_t **pairs, size_t *n_pairs);

/** The pairs dd_lsh_candidates would give after inserting documents 0..n-1 (signature i at
 *  `sigs + i * stride`, at least bands * rows values) in that order, made one band at a time
 *  on up to `threads` threads (0 or 1: the calling thread only; at most 16): working memory
 *  is 32 bytes per document per thread, not 16 x bands per document. The pairs do not depend
 *  on `threads`. `lsh` supplies bands, rows and max_bucket and is not changed. Returns DD_OK,
 *  DD_EINVAL (stride < bands * rows or n > UINT32_MAX) or DD_ENOMEM. */
dd_status dd_lsh_candidates_of(const dd_lsh *lsh, const uint32_t *sigs, size_t n, size_t stride,
                               size_t threads, uint64_t **pairs, size_t *n_pairs);

/** The same over the bands b with b % parts == part only (a band's buckets hold every
 *  document, so its pairs are whole): the union of the parts' pairs is what
 *  dd_lsh_candidates_of gives. For sharing the banding out (one part per MPI rank). Also
 *  DD_EINVAL when part >= parts. */
dd_status dd_lsh_candidates_part(const dd_lsh *lsh, const uint32_t *sigs, size_t n,
                                 size_t stride, size_t threads, size_t part, size_t parts,
                                 uint64_t **pairs, size_t *n_pairs);

/** The 32-bit band keys of one signature (bands * rows values): keys[b] is the low half of
 *  the 64-bit hash dd_lsh_insert files band b under. A document kept as its `bands` keys
 *  instead of its signature costs 4 x bands bytes (168 at 42 bands) instead of 4 x num_perm
 *  (512); two documents whose band differs share its key by chance 1 time in 2^32, which
 *  adds a few spurious candidates (about 5,000 over 42 bands at a million documents) and
 *  loses none. */
void dd_lsh_band_keys(size_t bands, size_t rows, const uint32_t *sig, uint32_t *keys);

/** dd_lsh_candidates_part over band keys (document i's at `keys + i * stride`, stride >=
 *  bands): the pairs that share a key in some band b with b % parts == part (part 0 of 1:
 *  every band). Returns DD_OK, DD_EINVAL or DD_ENOMEM. */
dd_status dd_lsh_candidates_keys(const dd_lsh *lsh, const uint32_t *keys, size_t n,
                                 size_t stride, size_t threads, size_t part, size_t parts,
                                 uint64_t **pairs, size_t *n_pairs);

/** The 64-bit hashes dd_lsh_insert files the bands of one signature under (bands * rows
 *  values): 8 x bands bytes a document where the signature is 4 x num_perm, and the pairs
 *  are exactly the signatures' (no chance collisions beyond theirs). */
void dd_lsh_band_hashes(size_t bands, size_t rows, const uint32_t *sig, uint64_t *hashes);

/** dd_lsh_candidates_of over band hashes (dd_lsh_band_hashes; document i's at
 *  `hashes + i * stride`, stride >= bands): the same pairs. DD_OK, DD_EINVAL or DD_ENOMEM. */
dd_status dd_lsh_candidates_hashes(const dd_lsh *lsh, const uint64_t *hashes, size_t n,
                                   size_t stride, size_t threads, uint64_t **pairs,
                                   size_t *n_pairs);

/** A band key made unique across bands: equal for two documents exactly when they share
 *  band `band`'s 32-bit key `key` (a bijection of band << 32 | key, spread over 64 bits). */
uint64_t dd_lsh_mixed_key(size_t band, uint32_t key);

/** The pairs of entries (mixed keys, dd_lsh_mixed_key, with their documents) given in any
 *  order and from any bands: every run of equal keys is one band's bucket, and yields the
 *  pairs dd_lsh_candidates_keys would (documents ascending in the bucket, the same cap on
 *  large buckets), as (a << 32 | b), a < b, sorted, each once; `*pairs` is malloc'd. This is
 *  how MPI ranks band: each key goes to one owning rank, which makes its buckets' pairs.
 *  Returns DD_OK or DD_ENOMEM. */
dd_status dd_lsh_candidates_mixed(const dd_lsh *lsh, const uint64_t *keys, const uint32_t *docs,
                                  size_t n, uint64_t **pairs, size_t *n_pairs);

/** SimHash block-permutation tables (Manku, Jain and Das Sarma, WWW 2007): the 64 bits are
 *  cut into `blocks` blocks; two fingerprints within Hamming distance `max_dist` agree on
 *  at least blocks - max_dist of them (pigeonhole), so one table per choice of that many
 *  blocks finds every such pair. Returns the pairs within `max_dist`, each once, as
 *  (a << 32 | b), a < b, sorted; `*pairs` is malloc'd. Buckets larger than `max_bucket`
 *  (0: 100) pair each member with its predecessors only, as in dd_lsh_candidates.
 *  Requires max_dist < blocks <= 16. Returns DD_OK, DD_EINVAL or DD_ENOMEM. */
dd_status dd_simhash_candidates(const uint64_t *fp, size_t n, unsigned max_dist, unsigned blocks,
                                size_t max_bucket, uint64_t **pairs, size_t *n_pairs);

#ifdef __cplusplus
}
#endif

#endif
