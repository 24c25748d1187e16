/* Index stage: documents against a stored index (dd_store), for daily batches and a live
 * feed. A batch is signed on its own, its keys find candidate stored documents (band keys
 * in an SQL index, then the whole stored copies group and story of each), and the batch
 * pipeline runs on those candidates followed by the batch, with document frequencies of
 * the rest of the store added: memory is bounded by the candidates, not the store, and the
 * result is the one a batch over store + batch would give for the batch's documents
 * (docs/ARCHITECTURE.md, "Stored index"). */
#ifndef DEDUP_INDEX_H
#define DEDUP_INDEX_H

#include <dedup/status.h>
#include <dedup/pipeline.h>
#include <dedup/reader.h>
#include <dedup/store.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_index_opts {
    dd_pipeline_opts pipe;  /**< query: its level is the report's; add and stream always
                                 cluster at the stories level (both kinds of group) */
    size_t batch;           /**< add: documents per transaction (10000) */
    size_t max_candidates;  /**< stored documents loaded per batch at most (200000) */
} dd_index_opts;

dd_index_opts dd_index_opts_default(void);

/** Where the documents of an add went. */
typedef struct dd_index_counts {
    size_t inputs;                 /**< items read */
    size_t added;                  /**< documents stored */
    size_t already;                /**< skipped: the same id and text is already stored */
    size_t skipped[DD_SKIP_COUNT]; /**< skipped as a batch run would */
    size_t repaired;               /**< read with an encoding repair */
    size_t batches;                /**< transactions committed */
} dd_index_counts;

/** Sign and store everything `r` yields, `o->batch` documents per transaction. Per-document
 *  problems go to o->pipe.on_diag and the counters. A failed batch is rolled back whole.
 *  Returns DD_OK, DD_EIO (dd_store_error says why), DD_ENOMEM or DD_EINVAL. */
dd_status dd_index_add(dd_store *s, const dd_index_opts *o, dd_reader *r, dd_index_counts *c);

/** A query's answer: `res` as a batch run over store + query would give it, restricted to
 *  the clusters that hold a queried document, with all their members and pairs; the stored
 *  documents come first (stored[i] true). */
typedef struct dd_index_result {
    dd_result *res;
    const bool *stored;   /**< per document of res */
    size_t n_stored;      /**< stored documents in res */
    size_t n_candidates;  /**< stored documents loaded */
    struct dd__index_mem *mem;
} dd_index_result;

/** Query everything `r` yields against the store, without storing it. */
dd_status dd_index_query(dd_store *s, const dd_index_opts *o, dd_reader *r,
                         dd_index_result **out);

void dd_index_result_free(dd_index_result *q);

/** The texts of q->res's documents for dd_report_html_write, read back from the query's
 *  run file (stored and queried documents alike); free with dd_html_texts_free. */
dd_status dd_index_texts(const dd_index_result *q, char ***texts);

/** A stream decision for one document. */
typedef enum { DD_STREAM_NEW = 0, DD_STREAM_COPY = 1, DD_STREAM_STORY = 2, DD_STREAM_SKIPPED = 3 }
    dd_stream_status;

typedef struct dd_stream_decision {
    dd_stream_status status;
    char id[512];    /**< the document's id (truncated past 511 bytes) */
    char of[512];    /**< copy / story: the stored document it matches best */
    double score;    /**< copy: shingle Jaccard; story: story similarity */
    bool stored;     /**< it was added to the store */
} dd_stream_decision;

/** Decide the one document `r` yields against the store (and so every earlier one), then
 *  store it, in one transaction. A skipped item gives DD_STREAM_SKIPPED (said through
 *  on_diag). `emit` is called with the decision before the document is stored, so a
 *  caller can answer before the write. */
dd_status dd_index_stream_one(dd_store *s, const dd_index_opts *o, dd_reader *r,
                              void (*emit)(void *ud, const dd_stream_decision *d), void *ud);

#ifdef __cplusplus
}
#endif

#endif
