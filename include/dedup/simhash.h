/* SimHash stage: weighted features -> a 64-bit fingerprint (Charikar 2002). Bit i is the
 * sign of the weighted vote of bit i of every feature hash, so documents with similar
 * weighted feature vectors (cosine) get fingerprints at small Hamming distance. */
#ifndef DEDUP_SIMHASH_H
#define DEDUP_SIMHASH_H

#include <dedup/status.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Fingerprint of `n` features: `hashes[i]` (well-mixed 64-bit) with weight `weights[i]`
 *  (> 0). No features gives 0. */
uint64_t dd_simhash(const uint64_t *hashes, const float *weights, size_t n);

/** Number of differing bits. */
unsigned dd_hamming(uint64_t a, uint64_t b);

/** Expected Hamming distance of two fingerprints whose feature vectors have cosine `cos`:
 *  64 * arccos(cos) / pi. */
double dd_simhash_expected_distance(double cos);

#ifdef __cplusplus
}
#endif

#endif
