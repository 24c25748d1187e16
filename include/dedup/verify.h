/* Verification stage: exact set similarity of a candidate pair, so the LSH estimate never
 * decides alone. Sets are sorted, duplicate-free arrays of 64-bit shingle hashes. */
#ifndef DEDUP_VERIFY_H
#define DEDUP_VERIFY_H

#include <dedup/status.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_set_score {
    size_t inter;       /**< |A n B| */
    double jaccard;     /**< |A n B| / |A u B| */
    double containment; /**< |A n B| / min(|A|, |B|): an abridged copy inside a longer one */
} dd_set_score;

/** Score two sorted, duplicate-free sets. Empty sets score 0. */
dd_set_score dd_verify_sets(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

#ifdef __cplusplus
}
#endif

#endif
