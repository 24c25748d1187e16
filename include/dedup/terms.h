/* Terms stage (stories level): tokens -> content terms. English stop words and one-letter
 * words are dropped, the rest stemmed with the Snowball English stemmer (libstemmer), so
 * "rebels", "rebel's" and "rebel" are one term; numbers are kept as they identify a story.
 * In scripts written without spaces each pair of adjacent characters is a term. */
#ifndef DEDUP_TERMS_H
#define DEDUP_TERMS_H

#include <dedup/status.h>
#include <dedup/normalize.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What kind of fact a term is, for telling developments apart (dd_term.flags). */
enum {
    DD_TERM_FIGURE = 1, /**< a number as written ("960", "19.25"), not a magnitude word */
    DD_TERM_NAME = 2    /**< written capitalised inside a sentence (set by the caller) */
};

/** One content term: its hash, the token it came from, and DD_TERM_* flags. */
typedef struct dd_term {
    uint64_t hash;  /**< XXH3 of the stem, seeded */
    uint32_t token; /**< index of the (first) source token */
    uint32_t flags; /**< DD_TERM_FIGURE from dd_terms_extract; DD_TERM_NAME is the caller's */
} dd_term;

typedef struct dd_terms dd_terms;

/** Create an extractor (owns a stemmer; one per thread). Returns DD_OK or DD_ENOMEM. */
dd_status dd_terms_new(uint64_t seed, dd_terms **out);
void dd_terms_free(dd_terms *t);

/** True when `word` (lowercase UTF-8) is an English stop word. */
bool dd_terms_is_stop(const char *word, size_t len);

/** Extract the content terms of `toks[0..n)` in text order. On DD_OK `*terms` views `*n_out`
 *  terms, valid until the next call on `t`. Returns DD_OK or DD_ENOMEM. */
dd_status dd_terms_extract(dd_terms *t, const dd_span *toks, size_t n, const dd_term **terms,
                           size_t *n_out);

/** Flag DD_TERM_NAME on the terms `terms[0..n)` whose word `text` writes capitalised inside
 *  a sentence somewhere ("Hama", "IAAF"; not "The" opening one, not a headline on the
 *  first line, not a line written all in capitals). Only ASCII capitals are seen. Invalidates
 *  the view of the last dd_terms_extract(), so copy its terms first. DD_OK or DD_ENOMEM. */
dd_status dd_terms_mark_names(dd_terms *t, const char *text, size_t len, dd_term *terms,
                              size_t n);

/** The quoted words of `text` (`len` bytes): every run of three consecutive content words
 *  (ASCII letters and digits, lowercased; stop words and single characters skipped) inside
 *  quotation marks (straight double quotes, which toggle; curly double quotes, low-9 and
 *  guillemets, which open or close), hashed with `seed`, sorted and distinct, written to
 *  `out`: the first `cap` runs at most. A blank line closes an open quote, as news leaves a
 *  quote that runs on to the next paragraph unclosed. Returns the number written.
 *  Rewrites of one report keep its quotes word for word; the next development of a saga
 *  quotes new words. */
size_t dd_terms_quotes(const char *text, size_t len, uint64_t seed, uint64_t *out, size_t cap);

/** The stem (or number, or character pair) of term `i` of the last extraction, not
 *  NUL-terminated; `*len` gets its length. A view valid until the next call on `t`. */
const char *dd_terms_text(const dd_terms *t, size_t i, size_t *len);

/** The stem of `word` as the extractor computes it, a view valid until the next call;
 *  `*len` gets its length. NULL on out of memory. */
const char *dd_terms_stem(dd_terms *t, const char *word, size_t len, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
