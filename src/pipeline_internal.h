/* Internal to the pipeline files: what a run keeps per document and the working state.
 * pipeline_sign.c reads and signs (threads), pipeline.c drives, pipeline_copies.c verifies copies and strips boilerplate,
 * pipeline_story.c builds story vectors and clusters them. */
#ifndef DEDUP_PIPELINE_INTERNAL_H
#define DEDUP_PIPELINE_INTERNAL_H

#include <dedup/dedup.h>

#include "util.h"

/* A line of >= 3 tokens, hashed for boilerplate detection. */
typedef struct dd__line {
    uint64_t h;
    uint32_t doc, a, b, root, bp;
} dd__line;

struct dd__result_mem {
    dd__arena strings;
    uint64_t *set;   /* all shingle sets, document after document, each sorted */
    uint32_t *pos;   /* first position in the text of each set element */
    size_t set_n, set_cap, pos_cap;
    size_t *set_off; /* document i: set[set_off[i] .. set_off[i+1]) */
    size_t *seq_len; /* shingles in text order, repeats included */
    size_t off_cap, seq_cap;
    uint32_t *sigs;  /* num_perm values per document */
    size_t sigs_cap;
    dd__line *lines;
    size_t n_lines, lines_cap;
    size_t docs_cap, pairs_cap;
    /* stories level */
    dd_term *terms;  /* content terms in text order, document after document */
    size_t n_terms, terms_cap;
    size_t *term_off, term_off_cap;
    double *days;    /* date of each document in days since 1970, NaN if unknown */
    size_t days_cap;
    uint64_t *vh;    /* story vectors: hashes and weights, term_off-like offsets */
    float *vw;
    size_t *voff;
    dd__strmap surface; /* unused key space: see pipeline_story.c */
    uint64_t *dict_h;   /* term hash -> first surface form, for key terms in reports */
    const char **dict_s;
    size_t dict_n, dict_cap;
};

/* A shingle hash and its first position in the text, sorted to build a document's set. */
struct dd__hp {
    uint64_t h;
    uint32_t pos;
};

/* Working state of one run. Signing buffers are per thread, in pipeline_sign.c. */
typedef struct dd__run {
    const dd_pipeline_opts *o;
    dd_result *res;
    dd_minhash *mh; /* read-only once made: shared by the signing threads */
} dd__run;

/* opts.threads, or the number of online cores when it is 0. */
size_t dd__thread_count(const dd_pipeline_opts *o);

/* Read, sign and keep every document (pipeline_sign.c), on opts.threads threads. */
dd_status dd__read_all(dd__run *w, dd_reader *r);

/* A signature for a document with nothing to sign (no shingle in its lead, no content
 * term): values of its own, so such documents do not all share one bucket (pipeline.c). */
void dd__lonely_sig(uint32_t *sig, size_t n, size_t doc);

/* MinHash-banding candidates over the documents' signatures (pipeline.c). */
dd_status dd__candidates(dd__run *w, uint64_t **cand, size_t *n_cand);

/* Verify copies candidates into res->pairs (pipeline_copies.c). */
dd_status dd__verify_copies(dd__run *w, const uint64_t *cand, size_t n_cand);

/* Find boilerplate lines from the first clustering, strip them, verify again. */
dd_status dd__boilerplate_pass(dd__run *w, uint64_t **cand, size_t *n_cand);

/* Stories level: remember one document's content terms (with the name reports give each,
 * extracted on a signing thread) and its date (pipeline_story.c). */
dd_status dd__story_add_terms(dd__run *w, const dd_doc *d, const dd_term *t, const dd_span *names,
                              size_t n);

/* Stories level: vectors, candidates, average-linkage clusters into res->clusters. */
dd_status dd__story_run(dd__run *w);

/* Group res->pairs by union-find into res->clusters. */
dd_status dd__cluster_pairs(dd_result *res);

#endif
