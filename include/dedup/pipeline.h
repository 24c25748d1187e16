/* Pipeline: runs reader -> normalizer -> shingles -> MinHash -> LSH -> verification ->
 * clusters from one options struct, and owns the result the report stage writes.
 * Document texts are not kept once signed; only metadata and signatures stay, and the
 * shingle sets of documents that cannot be read again (stdin, streams, archives). */
#ifndef DEDUP_PIPELINE_H
#define DEDUP_PIPELINE_H

#include <dedup/status.h>
#include <dedup/reader.h>
#include <dedup/cluster.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DD_LEVEL_COPIES = 0, DD_LEVEL_STORIES = 1 } dd_level;

/** Signature family that proposes story candidates. */
typedef enum { DD_SIGNATURE_MINHASH = 0, DD_SIGNATURE_SIMHASH = 1 } dd_signature;

/** Why a document was not used; every input item ends up used or in exactly one of these. */
typedef enum {
    DD_SKIP_UNREADABLE = 0, /**< missing, unreadable, dangling link, loop, not a regular file */
    DD_SKIP_BINARY,         /**< NUL bytes */
    DD_SKIP_EMPTY,          /**< no word in it */
    DD_SKIP_TOO_LARGE,      /**< over --max-doc-bytes */
    DD_SKIP_MALFORMED,      /**< bad JSON Lines record */
    DD_SKIP_COUNT
} dd_skip_reason;

/** Short name of a skip reason ("unreadable", "binary", ...). */
const char *dd_skip_name(dd_skip_reason r);

/** Diagnostic callback: `msg` is "file[:line]: reason"; `skipped` tells whether a
 *  document was lost (true) or only repaired (false). */
typedef void (*dd_diag_fn)(void *ud, const char *msg, bool skipped);

typedef struct dd_pipeline_opts {
    dd_level level;
    size_t shingle_k;        /**< words per shingle at the copies level (5) */
    size_t num_perm;         /**< MinHash signature length (128) */
    double threshold;        /**< Jaccard a verified pair must reach (0.5) */
    double containment;      /**< or: containment it must reach (0.8; >1 disables) */
    size_t min_contained;    /**< containment counts when the smaller set has >= this many (8) */
    double lsh_threshold;    /**< Jaccard the banding is tuned for (0.3; 0 = threshold) */
    uint64_t seed;           /**< hash seed, part of the output format (1) */
    /* stories level */
    dd_signature signature;  /**< story candidates: MinHash banding or SimHash tables */
    double story_threshold;  /**< mean pair similarity two story clusters need to merge (0.36) */
    size_t top_k;            /**< heaviest terms per document in the story signature (20) */
    double max_days;         /**< dated documents further apart stay apart (4; 0 off) */
    double story_lsh_threshold; /**< Jaccard of top-term sets the story banding targets (0.15) */
    unsigned simhash_distance;  /**< Hamming radius of SimHash candidates (10) */
    const char *idf_text;    /**< background IDF table (dd_idf format); NULL: built in */
    size_t idf_len;
    const char *idf_name;
    size_t keep_text;        /**< copies level: shingle sets stay in memory until this many
                                  bytes of text were read (32 MiB); after that, documents
                                  the reader can read again are, to verify their pairs */
    size_t threads;          /**< signing threads; 0: one per online core. The output is the
                                  same for every count */
    dd_diag_fn on_diag;      /**< may be NULL */
    void *diag_ud;
    /** Stories level: document frequencies from documents outside the run (a stored index,
     *  dd_index). Called once, after the run's own documents are counted, with the run's
     *  distinct term hashes, sorted (n of them); fills df[i] for terms[i] and *docs with how
     *  many documents those counts come from. NULL: the run's documents only. */
    dd_status (*extra_df)(void *ud, const uint64_t *terms, size_t n, uint32_t *df, size_t *docs);
    void *extra_df_ud;
    /** Boilerplate lines from documents outside the run: called once with the run's distinct
     *  line hashes (sorted, n of them); fills groups[i] with how many copies groups outside
     *  the run hold line i (0-3: three make it boilerplate). NULL: the run's only. */
    dd_status (*extra_lines)(void *ud, const uint64_t *lines, size_t n, uint8_t *groups);
    void *extra_lines_ud;
    /** Keep each document's OCR signature in the result (a stored index keys them); a
     *  batch run gives them back before verification. */
    bool keep_ocr_sigs;
    /** Keep every line of every document in the result (a stored index stores their
     *  hashes). Otherwise only the boilerplate lines outlive the boilerplate pass: they are
     *  all that the later stages read. */
    bool keep_lines;
} dd_pipeline_opts;

/** The text the pipeline compares for `d`, malloc'd and NUL-terminated (`*len` bytes): its
 *  text, with a JSON Lines record's title as the first line unless the text starts with it
 *  (after white space)
 *  (docs/FORMATS.md). NULL when out of memory. */
char *dd_doc_compared_text(const dd_doc *d, size_t *len);

/** Every default in one place. */
dd_pipeline_opts dd_pipeline_opts_default(void);

/** What is kept of a document once it is signed. Strings live in the result. */
typedef struct dd_doc_info {
    const char *id, *title, *date, *source;
    size_t bytes, tokens, line;
    long record_off;
    size_t record_len;
    const char *record; /**< copy of dd_doc.record (JSONL record that cannot be re-read) */
} dd_doc_info;

/** A verified pair with its scores; a < b are document indexes. */
typedef struct dd_pair_score {
    uint32_t a, b;
    double jaccard, containment; /**< shingle-set scores; negative when not computed */
    double similarity;           /**< story cosine (stories level), else negative */
    bool copy;                   /**< passed the copies rule */
    /** Stories level: the facts (names and figures, heaviest first, "a, b, c") both state,
     *  only a states and only b states; NULL at the copies level. */
    const char *facts_both, *facts_a, *facts_b;
} dd_pair_score;

typedef struct dd_result {
    dd_doc_info *docs;          /**< documents used, in input order */
    size_t n_docs;
    size_t n_inputs;            /**< items seen = n_docs + all skipped */
    size_t skipped[DD_SKIP_COUNT];
    size_t n_repaired;          /**< documents read with an encoding repair */
    size_t n_changed;           /**< documents that could not be read again as they were
                                     signed (changed or removed during the run); their
                                     candidate pairs are not verified */
    dd_pair_score *pairs;       /**< accepted pairs, ascending by (a, b) */
    size_t n_pairs;
    size_t n_candidates;        /**< pairs the LSH index proposed */
    size_t n_footer_only;       /**< candidates rejected as sharing only a footer block */
    size_t n_bound_rejected;    /**< candidates rejected on the bound sketches of their sets,
                                     without reading them again (last verification pass) */
    size_t n_boilerplate_lines; /**< lines found repeated across unrelated documents */
    size_t n_stripped;          /**< documents whose sets lost boilerplate shingles */
    size_t n_story_stripped;    /**< stories: documents that lost a run of boilerplate terms
                                     (a footer on no line of its own) */
    size_t bands, rows;         /**< banding used */
    size_t story_bands, story_rows; /**< story banding (MinHash signature) */
    size_t n_story_candidates;  /**< pairs proposed by the story signatures */
    size_t n_story_scored;      /**< pairs scored above 0 (with copy pairs, closed triangles) */
    size_t n_copy_pairs;        /**< pairs verified as copies (n_pairs at the copies level) */
    uint32_t *near_copy;        /**< stories: per document, smallest index of its copies group */
    const char **key_terms;     /**< stories: per cluster, "term, term, ..." (NULL at copies) */
    dd_clusters clusters;
    size_t n_clustered;         /**< documents in a cluster of two or more */
    struct dd__result_mem *mem; /**< internal storage */
} dd_result;

/** Read everything `r` yields and cluster it. Per-document problems go to opts->on_diag and
 *  the skip counters; only DD_ENOMEM, DD_EINVAL (bad options) or a fatal reader status stop
 *  the run. On DD_OK `*out` holds the result (free with dd_result_free); else NULL. */
dd_status dd_pipeline_run(const dd_pipeline_opts *opts, dd_reader *r, dd_result **out);

/** Free a result. Accepts NULL. */
void dd_result_free(dd_result *res);

/** Total skipped documents. */
size_t dd_result_skipped(const dd_result *res);

#ifdef __cplusplus
}
#endif

#endif
