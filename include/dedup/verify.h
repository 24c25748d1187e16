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
 * A compact stand-in for a set that bounds, never estimates: each element is kept as the top
 * b bits of a remix of its hash (b = floor(log2 n) + low_bits), the sorted values stored as
 * an Elias-Fano list (low_bits + about 2 bits per element). For two sketches,
 * dd_sketch_inter is at least |A n B| and dd_sketch_count at most each set's size, whatever
 * the hashes: every shared element has one value in both lists, so the multiset
 * intersection of the lists counts it (docs/ALGORITHMS.md, "Bound sketches"). A pair whose
 * bounds already fail a rule is rejected without its sets. */

/** Header bytes of a sketch (then ceil(n * low / 8) + ceil((n + 2^h) / 8) bytes). */
enum { DD_SKETCH_HEADER = 10 };

/** Bytes dd_sketch_make writes for n hashes at most. */
size_t dd_sketch_bound(size_t n, unsigned low_bits);

/** Sketch the n hashes h (any order, repeats allowed: they only loosen the bounds) into out
 *  (dd_sketch_bound(n, low_bits) bytes). low_bits is 1..8: more bits, tighter bounds.
 *  scratch needs 2 n + 2 values. Returns the bytes written (dd_sketch_size of out). */
size_t dd_sketch_make(const uint64_t *h, size_t n, unsigned low_bits, uint32_t *scratch,
                      uint8_t *out);

/** Bytes of the sketch at s. */
size_t dd_sketch_size(const uint8_t *s);

/** Values in the sketch (the n it was made from): scratch for dd_sketch_inter. */
size_t dd_sketch_values(const uint8_t *s);

/** A lower bound on the number of distinct hashes it was made from (0 only for none). */
size_t dd_sketch_count(const uint8_t *s);

/** An upper bound on |A n B| of the sets sketched in a and b. scratch needs
 *  dd_sketch_values(a) + dd_sketch_values(b) + 2 values. */
size_t dd_sketch_inter(const uint8_t *a, const uint8_t *b, uint32_t *scratch);

/** Bits of each value of the sketch at s. Two sketches compare at the smaller: a value cut
 *  to fewer of its top bits is what the shorter sketch holds. */
unsigned dd_sketch_bits(const uint8_t *s);

/** The values of the sketch at s, ascending, at its own dd_sketch_bits, into out
 *  (dd_sketch_values(s) slots). Returns how many. For comparing one sketch with many. */
size_t dd_sketch_decode(const uint8_t *s, uint32_t *out);

/** The multiset intersection of two ascending value lists, x's values shifted right by sx
 *  bits and y's by sy (to a common width), stopping as soon as the answer to "is it at least
 *  need?" is known. Returns r with r >= need exactly when the intersection is >= need, and
 *  r >= the intersection when r < need (dd_sketch_inter is the exact count). */
size_t dd_sketch_meet(const uint32_t *x, size_t nx, unsigned sx, const uint32_t *y, size_t ny,
                      unsigned sy, size_t need);

#ifdef __cplusplus
}
#endif

#endif
