/* OCR noise estimate: how many of a document's words a news vocabulary does not know.
 * The vocabulary (data/vocab/news-en.txt, compiled in) holds English word forms found in
 * three or more news articles; a page read by OCR with a few per cent of its characters
 * misread has several times the unknown words of a clean one. Used by the copies level to
 * decide where OCR-robust verification is needed (docs/ALGORITHMS.md). */
#ifndef DEDUP_VOCAB_H
#define DEDUP_VOCAB_H

#include <dedup/normalize.h>
#include <dedup/status.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque set of the built-in vocabulary's token hashes. Read-only once made: any number of
 *  threads may call dd_vocab_noise on one vocabulary. */
typedef struct dd_vocab dd_vocab;

/** Make the set, hashing each word as dd_token_hashes does with `seed`. Returns DD_OK or
 *  DD_ENOMEM (then `*out` is NULL). */
dd_status dd_vocab_new(uint64_t seed, dd_vocab **out);

void dd_vocab_free(dd_vocab *v);

/** Checked words added to the denominator of dd_vocab_noise: a short text's two or three
 *  names and abbreviations say more about its subject than about its spelling. */
enum { DD_VOCAB_PRIOR = 25 };

/** Unknown words per thousand of `toks[0..n)`, whose dd_token_hashes (same seed) are
 *  `hashes`: unknown * 1000 / (checked + DD_VOCAB_PRIOR). A token is checked when it has 3
 *  or more ASCII letters and digits and at least one letter; it is unknown when the
 *  vocabulary lacks it or it mixes letters and digits other than as an ordinal (4th). */
unsigned dd_vocab_noise(const dd_vocab *v, const dd_span *toks, const uint64_t *hashes, size_t n);

#ifdef __cplusplus
}
#endif

#endif
