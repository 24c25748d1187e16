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

/* ---- bound sketches --------------------------------------------------------------------
 * A compact stand-in for a set that bounds, never estimates: a bitmap of 2^w bits (w =
 * floor(log2 n) + low_bits, at least min_width and 6) with bit g(x) mod 2^w set for each
 * element x, g a
 * remix of its hash. Two sketches meet at the smaller width c, the wider one folded (bit i of
 * the fold is the OR of its bits congruent to i mod 2^c): every shared element sets the same
 * bit in both, and the elements of A that share a bit with another of A number at most
 * |A| - popcount(A), so popcount(A & B) + min(|A| - popcount(A), |B| - popcount(B)) >=
 * |A n B|, and popcount(A) <= |A|, whatever the hashes (docs/ALGORITHMS.md, "Bound
 * sketches"). A pair whose bounds already fail a rule is rejected without its sets. */

/** Header bytes of a sketch (then 2^w / 8 bytes of bitmap). */
enum { DD_SKETCH_HEADER = 9 };

/** Bytes dd_sketch_make writes for n hashes; never less for a larger n. */
size_t dd_sketch_bound(size_t n, unsigned low_bits, unsigned min_width);

/** Sketch the n hashes h (any order, repeats allowed: they only loosen the bounds) into out
 *  (dd_sketch_bound(n, low_bits, min_width) bytes). low_bits is 1..8: more bits, tighter
 *  bounds, about 2^low_bits bits per element. Two sketches meet at the smaller width, where
 *  the larger set is denser: a min_width (up to 30) that most sets reach keeps the widths of
 *  a corpus alike, so sets of unlike sizes still bound tightly. Returns the bytes written
 *  (dd_sketch_size of out). */
size_t dd_sketch_make(const uint64_t *h, size_t n, unsigned low_bits, unsigned min_width,
                      uint8_t *out);

/** Bytes of the sketch at s. */
size_t dd_sketch_size(const uint8_t *s);

/** The number of hashes it was made from, repeats included. */
size_t dd_sketch_values(const uint8_t *s);

/** A lower bound on the number of distinct hashes it was made from (0 only for none). */
size_t dd_sketch_count(const uint8_t *s);

/** An upper bound on |A n B| of the sets sketched in a and b. */
size_t dd_sketch_inter(const uint8_t *a, const uint8_t *b);

#ifdef __cplusplus
}
#endif

#endif
