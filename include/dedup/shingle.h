/* Shingle stage: tokens -> 64-bit hashes of every run of k consecutive tokens.
 * Each token is hashed once (seeded); a shingle is a rolling polynomial over its k token
 * hashes, finalised with the seed, so token boundaries matter ("ab c" != "a bc"). A document
 * with fewer than k tokens yields one shingle over all of its tokens, never an empty set. */
#ifndef DEDUP_SHINGLE_H
#define DEDUP_SHINGLE_H

#include <dedup/status.h>
#include <dedup/normalize.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_shingle_opts {
    size_t k;      /**< tokens per shingle, >= 1 */
    uint64_t seed; /**< part of the output format */
} dd_shingle_opts;

/** Capacity `out` needs for dd_shingle_hash over `n_tokens` tokens. */
size_t dd_shingle_bound(size_t n_tokens);

/** Hash the k-shingles of `toks[0..n)` into `out` (`cap` >= dd_shingle_bound(n)).
 *  `*n_out` gets the number written: max(n-k+1, 1), or 0 for no tokens. Shingles are in text
 *  order and may repeat. Returns DD_OK or DD_EINVAL (k == 0 or cap too small). */
dd_status dd_shingle_hash(const dd_span *toks, size_t n, const dd_shingle_opts *o, uint64_t *out,
                          size_t cap, size_t *n_out);

/** The two steps of dd_shingle_hash, for a caller that also wants the token hashes (the
 *  pipeline hashes lines from them): out[i] = the hash of toks[i] (up to 16 bytes: two
 *  64-bit multiplies over its bytes, seed and length; longer: XXH3, seeded)... */
void dd_token_hashes(const dd_span *toks, size_t n, uint64_t seed, uint64_t *out);

/** ...then h[0..n) token hashes are combined in place into the k-shingle hashes; returns how
 *  many (as dd_shingle_hash's *n_out; k >= 1). */
size_t dd_shingle_combine(uint64_t *h, size_t n, size_t k, uint64_t seed);

/** Characters per OCR-robust gram, and the sampling modulus (docs/ALGORITHMS.md). */
enum { DD_GRAM_Q = 5, DD_GRAM_SAMPLE = 8 };

/** Capacity `h` and `tok` need for dd_gram_hash over `toks[0..n)`. */
size_t dd_gram_bound(const dd_span *toks, size_t n);

/** OCR-robust character grams of `toks[0..n)`: the tokens' bytes without spaces, folded to
 *  look-alike classes (1/i/l, 0/o, 5/s, e/c, h/b, u/n, f/t, g/q; rn, vv, cl as m, w, d),
 *  every DD_GRAM_Q consecutive ones hashed with `seed` (uniform 64-bit values). Keeps about
 *  one gram in `sample` (rounded up to a power of two; 1 keeps all), chosen by the gram's
 *  value, so the same grams in every document. Writes at most `cap` hashes to `h` in text
 *  order, with the index of the token each gram starts in to `tok` (NULL: values only, and
 *  then every gram, whatever `sample`); returns how many. Part of the output format. */
size_t dd_gram_hash(const dd_span *toks, size_t n, uint64_t seed, size_t sample, uint64_t *h,
                    uint32_t *tok, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
