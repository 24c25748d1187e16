/* Explain stage: two documents -> their scores and the passages they share, as evidence an
 * editor can read. Scores are the pipeline's own: Jaccard and containment of the shingle
 * sets, and the story cosine from a stories-level run over the two documents alone. */
#ifndef DEDUP_EXPLAIN_H
#define DEDUP_EXPLAIN_H

#include <dedup/pipeline.h>
#include <dedup/status.h>
#include <dedup/verify.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One shared passage: the same run of shingles in both texts, as byte ranges of the
 *  original texts (whole words, so they can be cut out and highlighted as they are). */
typedef struct dd_passage {
    size_t a_off, a_len; /**< bytes in text A */
    size_t b_off, b_len; /**< bytes in text B */
    size_t words;        /**< tokens the passage spans in A */
} dd_passage;

typedef struct dd_explain {
    dd_set_score copies;           /**< Jaccard and containment of the k-shingle sets */
    size_t shingles_a, shingles_b; /**< distinct shingles of each text */
    double similarity;             /**< story cosine; 0 when the two share no key term */
    bool copy;            /**< the pair passes the copies rule (threshold or containment) */
    dd_passage *passages; /**< in text order of A; a passage of B is matched at most once */
    size_t n_passages;
    size_t words_a, words_b;   /**< tokens in each text */
    size_t shared_a, shared_b; /**< tokens of each text inside some passage */
    /** The facts (names and figures, "a, b, c", heaviest first) both texts state, only A
     *  states, only B states: what tells one development from the next. Empty strings when
     *  there are none, and NULL from dd_explain_passages. */
    char *facts_both, *facts_a, *facts_b;
    /** Quoted-word runs (dd_terms_quotes, at most DD_EXPLAIN_QUOTES each) of A, of B, and
     *  in both: versions of one report keep its quotes. 0 from dd_explain_passages. */
    size_t quotes_a, quotes_b, quotes_shared;
} dd_explain;

/** Quoted-word runs read per text by dd_explain_pair (as many as the stories level reads). */
#define DD_EXPLAIN_QUOTES 4096

/** Explain texts `a` and `b` (valid UTF-8, `la`/`lb` bytes) under `o` (shingle size, seed,
 *  thresholds and the story options; its level and callbacks are ignored). On DD_OK `*out`
 *  is freed with dd_explain_free. Returns DD_OK, DD_EINVAL (bad options), DD_EEMPTY (a text
 *  without words) or DD_ENOMEM. */
dd_status dd_explain_pair(const dd_pipeline_opts *o, const char *a, size_t la, const char *b,
                          size_t lb, dd_explain **out);

/** As dd_explain_pair without the story run (`similarity` is left at -1): scores and
 *  passages only, for reports that already hold the pair's story similarity. */
dd_status dd_explain_passages(const dd_pipeline_opts *o, const char *a, size_t la, const char *b,
                              size_t lb, dd_explain **out);

/** The first passage starting at or after byte `at` of text B (`b`) or A, in that text's
 *  order (passages are kept in A's order): its index, or SIZE_MAX when none is left. For
 *  writers that walk a text and mark its passages. */
size_t dd_explain_next(const dd_explain *e, bool b, size_t at);

/** Free an explanation. Accepts NULL. */
void dd_explain_free(dd_explain *e);

#ifdef __cplusplus
}
#endif

#endif
