/* IDF stage (stories level): how rare a term is across news. Document frequencies come from
 * a background table (built into the library from a public news corpus, or a user's own
 * table) plus the corpus being processed, so a five-file input still has sensible weights
 * and a large one speaks for itself: idf(t) = ln((N_bg + N + 1) / (df_bg(t) + df(t) + 1)).
 * Table format (one term a line): "#dedup-idf<TAB>1<TAB>docs<TAB>N", then "stem<TAB>df". */
#ifndef DEDUP_IDF_H
#define DEDUP_IDF_H

#include <dedup/status.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_idf dd_idf;

/** Create an empty table; terms are hashed with `seed` (as dd_terms does). */
dd_status dd_idf_new(uint64_t seed, dd_idf **out);
void dd_idf_free(dd_idf *idf);

/** Load the background table built into the library (English news). */
dd_status dd_idf_load_builtin(dd_idf *idf);

/** Load a table from `len` bytes of `text` named `name`; `err` gets "name:line: reason".
 *  Returns DD_OK, DD_EPARSE or DD_ENOMEM. */
dd_status dd_idf_load(dd_idf *idf, const char *text, size_t len, const char *name, char *err,
                      size_t err_len);

/** Count one document of the corpus: `hashes` are its distinct term hashes. */
dd_status dd_idf_add_doc(dd_idf *idf, const uint64_t *hashes, size_t n);

/** Count `docs` documents from outside the corpus in which terms[i] occurs counts[i] times. */
dd_status dd_idf_add_counts(dd_idf *idf, const uint64_t *terms, const uint32_t *counts, size_t n,
                            size_t docs);

/** Inverse document frequency of a term over background + corpus (always > 0). */
double dd_idf_weight(const dd_idf *idf, uint64_t hash);

/** Documents counted: background + corpus. */
size_t dd_idf_docs(const dd_idf *idf);

/** Build a table from documents: call dd_idf_builder_add() with each document's stems and
 *  write it with dd_idf_builder_write(), keeping stems seen in >= min_df documents. */
typedef struct dd_idf_builder dd_idf_builder;
dd_status dd_idf_builder_new(dd_idf_builder **out);
void dd_idf_builder_free(dd_idf_builder *b);
/** Count the stem once for the current document. */
dd_status dd_idf_builder_term(dd_idf_builder *b, const char *stem, size_t len);
/** Close the current document. */
void dd_idf_builder_next_doc(dd_idf_builder *b);
/** Write the table in byte order of stems. Returns DD_OK or DD_EIO. */
dd_status dd_idf_builder_write(const dd_idf_builder *b, size_t min_df, FILE *out);

#ifdef __cplusplus
}
#endif

#endif
