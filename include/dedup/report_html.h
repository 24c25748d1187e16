/* HTML report: a dd_result -> one self-contained page (inline CSS, no script, no network)
 * with clusters, members, scores, a pair-similarity matrix per cluster and the shared
 * passages of each pair side by side. Every string from the corpus is HTML-escaped. */
#ifndef DEDUP_REPORT_HTML_H
#define DEDUP_REPORT_HTML_H

#include <dedup/emit.h>
#include <dedup/pipeline.h>
#include <dedup/reader.h>
#include <dedup/status.h>

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_html_opts {
    const dd_pipeline_opts *pipe; /**< shingle size, seed and thresholds (for passages) */
    dd_keep keep;                 /**< which member is marked as kept */
    size_t max_pairs;             /**< pairs shown with passages per cluster (0: all) */
    size_t max_matrix;            /**< largest cluster that gets a matrix (0: all) */
} dd_html_opts;

/** Defaults: keep first, 20 pairs with passages, matrices up to 60 members. */
dd_html_opts dd_html_opts_default(const dd_pipeline_opts *pipe);

/** Texts of the clustered documents of `res`, read again through `r`: a fresh reader over
 *  the same inputs in the same order (standard input cannot be read twice; leave it out).
 *  A document is matched by id, source, line and length, so a file changed in between gets
 *  no text. On DD_OK `*texts` has res->n_docs entries, texts of clustered documents only
 *  (NULL elsewhere; free with dd_html_texts_free). Returns DD_OK or DD_ENOMEM. */
dd_status dd_html_texts(const dd_result *res, dd_reader *r, char ***texts);

void dd_html_texts_free(char **texts, size_t n);

/** Write the page. `texts` (from dd_html_texts; may be NULL) gives the passages. Returns
 *  DD_OK, DD_EIO (a write failed) or DD_ENOMEM. */
dd_status dd_report_html_write(const dd_result *res, char *const *texts, const dd_html_opts *o,
                               FILE *out);

#ifdef __cplusplus
}
#endif

#endif
